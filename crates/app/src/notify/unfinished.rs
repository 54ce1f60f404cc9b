//! "You started but did not finish": one reminder to a candidate a day after they started, sent
//! only if the invitation is still `started` (not completed, withdrawn, cancelled or expired) and
//! still open when the job runs. The before-expiry reminders stay with the invitation jobs.

use super::Notifier;
use crate::events::{EventSink, InvitationEvent};
use crate::jobs::{JobError, JobHandler, JobInput};
use crate::mailer::{Mailer, OutgoingEmail};
use async_trait::async_trait;
use chrono::TimeDelta;
use shortlist_store::invitations as inv;
use shortlist_store::jobs::NewJob;
use std::sync::Arc;

pub const UNFINISHED_KIND: &str = "notify.unfinished_reminder";
/// How long after starting a candidate who has not finished is reminded.
pub const AFTER: TimeDelta = TimeDelta::hours(24);

pub struct UnfinishedSink;

#[async_trait]
impl EventSink for UnfinishedSink {
    async fn jobs_for(&self, e: &InvitationEvent) -> Result<Vec<NewJob>, JobError> {
        if e.kind != "started" {
            return Ok(vec![]);
        }
        let payload = serde_json::json!({ "invitation_id": e.invitation.as_str() });
        let mut job = NewJob::new(UNFINISHED_KIND, payload)
            .for_org(&e.org)
            .unique(e.job_key("unfinished"))
            .max_attempts(8);
        job.run_at = Some(e.at + AFTER);
        Ok(vec![job])
    }
}

pub struct UnfinishedReminder {
    pub notifier: Notifier,
    pub mailer: Arc<dyn Mailer>,
}

#[async_trait]
impl JobHandler for UnfinishedReminder {
    fn kind(&self) -> &'static str {
        UNFINISHED_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let n = &self.notifier;
        let (org, id) = job.invitation()?;
        let Some(row) = inv::get(&n.db, &org, &id).await.map_err(JobError::retry)? else {
            return Ok(());
        };
        // The state decides, not what was true when the job was queued.
        if row.state != "started" || n.clock.now() >= row.expires_at {
            return Ok(());
        }
        let name = if row.candidate_name.trim().is_empty() {
            "there"
        } else {
            row.candidate_name.as_str()
        };
        let text = format!(
            "Hello {name},\n\nYou started your interview for {} but have not finished it yet. Your answers so far are saved; \
             continue where you left off:\n\n{}\n\nThe link works until {}.\n",
            row.position_title,
            n.links.url(&row.id, &row.link_nonce),
            row.expires_at.format("%Y-%m-%d %H:%M UTC"),
        );
        let mail = OutgoingEmail {
            to: row.candidate_email.clone(),
            subject: format!("You have not finished your interview for {}", row.position_title)
                .replace(['\r', '\n'], " "),
            text,
            dedup_id: format!("{}-{}", job.id, job.attempt),
            html: None,
            reply_to: None,
        };
        Ok(self.mailer.send(&mail).await?)
    }
}
