//! The notification consumer of invitation events: which recruiters hear about a completion (the
//! position's owner and followers) and about an invitation e-mail that bounced (who invited, or
//! the owner). It only enqueues one job per recipient; each job reads that user's preferences
//! when it runs, so a change of mind in between is respected.

use super::Notifier;
use crate::events::{EventSink, InvitationEvent};
use crate::jobs::{JobError, JobHandler, JobInput};
use async_trait::async_trait;
use shortlist_store::invitations as inv;
use shortlist_store::jobs::NewJob;

/// Kept from the first release (which mailed the owner directly) so queued jobs still run.
pub const COMPLETED_NOTICE_KIND: &str = "interview.completed_notice";
pub const EMAIL_FAILED_KIND: &str = "notify.email_failed";

pub struct NotifySink {
    pub notifier: Notifier,
}

fn job(kind: &str, e: &InvitationEvent, user: &str) -> NewJob {
    let payload = serde_json::json!({
        "invitation_id": e.invitation.as_str(),
        "user_id": user,
        "event_id": e.event_id,
        "at": e.at,
    });
    NewJob::new(kind, payload)
        .for_org(&e.org)
        .unique(e.job_key(&format!("notify/{user}")))
        .max_attempts(8)
}

#[async_trait]
impl EventSink for NotifySink {
    async fn jobs_for(&self, e: &InvitationEvent) -> Result<Vec<NewJob>, JobError> {
        let db = &self.notifier.db;
        let kind = match e.kind.as_str() {
            "completed" => COMPLETED_NOTICE_KIND,
            "email_failed" => EMAIL_FAILED_KIND,
            _ => return Ok(vec![]),
        };
        let Some(row) = inv::get(db, &e.org, &e.invitation).await.map_err(JobError::retry)? else {
            return Ok(vec![]);
        };
        let users = if kind == EMAIL_FAILED_KIND {
            // Only the person who invited (or the owner), not every follower.
            match row.created_by.as_deref() {
                Some(who) if who.starts_with("usr_") => vec![who.to_string()],
                _ => owner_only(db, &e.org, &row.position_id).await?,
            }
        } else {
            shortlist_store::notify::audience(db, &e.org, &row.position_id)
                .await
                .map_err(JobError::retry)?
        };
        let mut jobs: Vec<NewJob> = users.iter().map(|u| job(kind, e, u)).collect();
        // A push job per recipient too; it checks their choice and their browsers when it runs.
        for u in &users {
            let mut j = job(super::push::PUSH_KIND, e, u);
            j.payload["event"] = serde_json::Value::String(e.kind.clone());
            j.unique_key = Some(e.job_key(&format!("push/{u}")));
            jobs.push(j);
        }
        Ok(jobs)
    }
}

async fn owner_only(
    db: &shortlist_store::Db,
    org: &shortlist_domain::OrgId,
    position: &str,
) -> Result<Vec<String>, JobError> {
    let id = shortlist_domain::PositionId::parse(position).map_err(JobError::retry)?;
    Ok(shortlist_store::positions::get(db, org, &id)
        .await
        .map_err(JobError::retry)?
        .map(|p| vec![p.owner_id])
        .unwrap_or_default())
}

/// Sends an e-mail a notification job rendered earlier (digests), with the unsubscribe headers.
pub struct NotifyEmail {
    pub mailer: std::sync::Arc<dyn crate::mailer::Mailer>,
}

pub const NOTIFY_EMAIL_KIND: &str = "notify.email";

#[async_trait]
impl JobHandler for NotifyEmail {
    fn kind(&self) -> &'static str {
        NOTIFY_EMAIL_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let mail: crate::mailer::OutgoingEmail =
            serde_json::from_value(job.payload["mail"].clone()).map_err(|e| JobError::Permanent(e.into()))?;
        let unsubscribe = job.payload["unsubscribe"].as_str().unwrap_or_default();
        Ok(self.mailer.send_with_unsubscribe(&mail, unsubscribe).await?)
    }
}
