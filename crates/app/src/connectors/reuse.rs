//! Dedup policy "reuse": a candidate who completed the same package within the connection's
//! validity window is not invited again. The new order's reference is pointed at the completed
//! invitation and its result is written back there at once — the interview stays under the
//! position it was taken for; the new job's position is made (or found) and linked as usual so
//! the recruiter sees the package on it.

use super::order::{Order, OrderError, Placed};
use super::registry::Status;
use super::{AtsConnection, Shared};
use crate::AppError;
use chrono::TimeDelta;
use shortlist_domain::{Email, InvitationId, PositionId, TemplateId};
use shortlist_store::invitations::{self as inv, InvitationRow, NewEvent};
use shortlist_store::jobs as jobq;
use shortlist_store::{ats, positions};

/// How long after answering a reused order its result is written back.
const REUSE_WRITE_DELAY_SECS: i64 = 5;

fn internal(e: impl std::fmt::Display) -> OrderError {
    OrderError::App(AppError::Internal(anyhow::anyhow!("{e}")))
}

impl Shared {
    /// The candidate's completed invitation to `template` within `days`, if any.
    pub(super) async fn reusable(
        &self,
        conn: &AtsConnection,
        email: &str,
        template: &TemplateId,
        days: u32,
    ) -> Result<Option<InvitationRow>, OrderError> {
        let Ok(email) = Email::parse(email.trim()) else {
            return Ok(None);
        };
        let since = self.recruiting.clock.now() - TimeDelta::days(i64::from(days));
        let org = &conn.org_id;
        let Some(id) = ats::reusable_result(&self.db, org, email.as_str(), template.as_str(), since).await? else {
            return Ok(None);
        };
        let id = InvitationId::parse(&id).map_err(|e| internal(e.0))?;
        Ok(inv::get(&self.db, org, &id).await?)
    }

    /// Answers `order` with the completed invitation `done`, in one transaction: the job's
    /// position and template link, the new references, a history line, and the write-back.
    /// `None` when another order created the job's position meanwhile (the caller starts over).
    pub(super) async fn reuse(
        &self,
        conn: &AtsConnection,
        order: &Order,
        position: Option<PositionId>,
        template: &TemplateId,
        done: InvitationRow,
    ) -> Result<Option<Placed>, OrderError> {
        let org = &conn.org_id;
        let who = conn.actor();
        let id = InvitationId::parse(&done.id).map_err(|e| internal(e.0))?;
        let app_ref = conn.reference(&order.application_ref);
        let job_ref = conn.reference(&order.job_id);
        let now = self.recruiting.clock.now();
        let mut tx = self.db.begin().await?;
        let pos = match position {
            Some(p) => p,
            None => {
                let title: String = order.job_title.chars().take(200).collect();
                let p = positions::create(&mut tx, org, &title, &conn.observer_user_id).await?;
                if !positions::add_external_ref(&mut tx, org, "position", p.as_str(), &job_ref).await? {
                    // Another order for the same new job made its position first: start over.
                    return Ok(None);
                }
                p
            }
        };
        positions::link_template(&mut tx, org, &pos, template).await?;
        ats::point_invitation_ref(&mut tx, org, &id, &app_ref).await?;
        if let Some(person) = &order.person_id {
            // Already someone else's in this connection only if the ATS reused a person id.
            positions::add_external_ref(&mut tx, org, "candidate", &done.candidate_id, &conn.reference(person)).await?;
        }
        let detail = format!("result reused for {} {}", conn.kind, order.application_ref);
        let event = NewEvent {
            kind: "result_reused",
            from_state: Some("completed"),
            to_state: Some("completed"),
            actor: &who.label,
            detail: Some(&detail),
            at: now,
        };
        inv::add_event(&mut tx, org, &id, &event).await?;
        let unique = format!("ats-reuse/{}/{}/{}", id.as_str(), conn.id, order.application_ref);
        let mut job = super::writeback::job_for(
            org,
            &id,
            &app_ref,
            Status::Complete,
            done.completed_at.unwrap_or(now),
            unique,
        );
        // Not before the ATS has our answer to this order: a completion PATCH that arrives while
        // Greenhouse still waits for send_test's reply names an instance it cannot ask about yet.
        job.run_at = Some(now + TimeDelta::seconds(REUSE_WRITE_DELAY_SECS));
        jobq::enqueue(&mut tx, &job).await?;
        tx.commit().await?;
        let (view, _) = self.recruiting.invitation(&who, &id).await?;
        Ok(Some(Placed::Reused(view)))
    }
}
