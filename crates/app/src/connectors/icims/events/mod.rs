//! Inbound iCIMS events: a workflow status change at a trigger status invites the candidate
//! (package from the job's `assessmenttype`, or the template a recruiter picked for the job); an
//! Application Complete event sends the candidate straight into the interview. The person and the
//! job are read from iCIMS; the invitation, its e-mail and timers are one transaction (the
//! Recruiting invite use case), so the reply goes out well inside iCIMS's time-out.

mod invite;
mod parse;
mod reply;

pub use parse::Event;
pub use reply::{EventError, Reply};

use super::{Connection, Icims};
use crate::AppError;
use crate::recruiting::Actor;
use crate::recruiting::invitations::InviteOutcome;
use invite::{check_email, invite_request, last_segment};
use reply::{bad, duplicate, from_icims};
use shortlist_domain::{InvitationId, OrgId, PositionId, Role};
use shortlist_store::positions;

pub const ATS_KIND: &str = "icims";

/// How an event should be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Trigger { resend: bool },
    ApplicationComplete,
}

impl Icims {
    fn actor(&self, conn: &Connection) -> Actor {
        Actor {
            org_id: conn.org_id.clone(),
            user_id: Some(conn.observer_user_id.clone()),
            role: Role::Recruiter,
            label: format!("icims:{}", conn.id),
        }
    }

    /// Handles one authenticated event of `conn`.
    pub async fn handle_event(&self, conn: &Connection, ev: &Event) -> Result<Reply, EventError> {
        let kind = if ev.is_application_complete() {
            Kind::ApplicationComplete
        } else {
            let status = ev.new_status.as_deref().unwrap_or_default();
            if conn.is_resend(status) {
                Kind::Trigger { resend: true }
            } else if conn.is_trigger(status) {
                Kind::Trigger { resend: false }
            } else {
                // Other statuses (hired, rejected, …) arrive on the same feed: not ours.
                return Ok(Reply::Ok);
            }
        };
        let workflow = ev.system_id.clone().ok_or_else(|| {
            bad(
                "The event names no applicant workflow ({{applicantworkflow.systemid}}).",
                "systemId is missing",
            )
        })?;
        let person_ref = ev
            .link("person")
            .map(str::to_string)
            .or_else(|| ev.person_id.as_ref().map(|p| format!("people/{p}")))
            .or_else(|| match kind {
                Kind::ApplicationComplete => ev.user_id.as_ref().map(|p| format!("people/{p}")),
                Kind::Trigger { .. } => None,
            })
            .ok_or_else(|| {
                bad(
                    "The event names no candidate ({{person.systemid}}).",
                    "no person link or personId",
                )
            })?;
        let job_ref = ev
            .link("job")
            .map(str::to_string)
            .or_else(|| ev.job_id.as_ref().map(|j| format!("jobs/{j}")))
            .ok_or_else(|| bad("The event names no job ({{job.systemid}}).", "no job link or jobId"))?;
        let client = self.client(conn)?;
        let (person, job) = tokio::join!(client.get_person(&person_ref), client.get_job(&job_ref));
        let person = person.map_err(|e| from_icims("person", e))?;
        let job = job.map_err(|e| from_icims("job", e))?;
        let person_id = last_segment(&person_ref);
        let job_id = last_segment(&job_ref);
        check_email(&person)?;
        let _slot = self
            .db_slots
            .acquire()
            .await
            .map_err(|_| EventError::Unavailable("shutting down".into()))?;

        let title = job
            .jobtitle
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("iCIMS job {job_id}"));
        let pos = self.position_for_job(conn, &job_id, &title).await?;
        let package = job
            .assessmenttype
            .iter()
            .filter_map(|n| n.value.as_deref())
            .map(str::trim)
            .find(|v| !v.is_empty());
        let template = match package {
            Some(label) => Some(self.template_for_package(conn, &pos, label).await?),
            None => positions::linked_templates(&self.db, &conn.org_id, &pos)
                .await?
                .into_iter()
                .next(),
        };
        let Some(template) = template else {
            if kind == Kind::ApplicationComplete {
                return Err(bad(
                    "The job has no Video Interviewing Package ({{job.assessmenttype}}); choose one on the job.",
                    "no assessmenttype and no template linked",
                ));
            }
            return Ok(Reply::SeeOther(self.pick_url(&pos, &workflow, &person_id)));
        };
        let req = invite_request(
            &person,
            &person_id,
            &workflow,
            Some(template),
            kind == Kind::Trigger { resend: true },
            ev.return_url.clone().filter(|_| kind == Kind::ApplicationComplete),
        );
        let outcome = self
            .recruiting
            .invite(&self.actor(conn), &pos, &req)
            .await
            .map_err(EventError::from)?;
        match (kind, outcome) {
            (
                Kind::ApplicationComplete,
                InviteOutcome::Created { invitation, .. } | InviteOutcome::Resent { invitation, .. },
            ) => Ok(Reply::SeeOther(invitation.candidate_url)),
            (Kind::ApplicationComplete, InviteOutcome::Duplicate { existing }) => {
                // The candidate came back through the portal: same interview, latest return URL.
                if let Some(url) = ev
                    .return_url
                    .as_ref()
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                {
                    self.set_return_url(&conn.org_id, &existing.id, url).await?;
                }
                Ok(Reply::SeeOther(existing.candidate_url))
            }
            (Kind::Trigger { .. }, InviteOutcome::Duplicate { existing }) => Err(duplicate(&existing)),
            (Kind::Trigger { .. }, _) => Ok(Reply::Ok),
        }
    }

    async fn set_return_url(&self, org: &OrgId, id: &str, url: &str) -> Result<(), AppError> {
        let id = InvitationId::parse(id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let mut tx = self.db.begin().await?;
        shortlist_store::icims::set_return_url(&mut tx, org, &id, url).await?;
        tx.commit().await?;
        Ok(())
    }

    fn pick_url(&self, pos: &PositionId, workflow: &str, person: &str) -> String {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("workflow", workflow)
            .append_pair("person", person)
            .finish();
        format!("{}/connectors/icims/pick/{pos}?{q}", self.recruiting.links.public_url())
    }
}
