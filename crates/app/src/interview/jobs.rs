//! Work that follows a completed interview: telling the position owner.

use crate::jobs::{JobError, JobHandler, JobInput};
use crate::mailer::{Mailer, OutgoingEmail};
use crate::recruiting::Recruiting;
use async_trait::async_trait;
use shortlist_domain::{InvitationId, OrgId, PositionId};
use shortlist_store::Tx;
use shortlist_store::invitations as inv;
use shortlist_store::jobs::{self as jobq, NewJob};
use std::sync::Arc;

pub const COMPLETED_NOTICE_KIND: &str = "interview.completed_notice";

/// Enqueued in the completing transaction; the unique key makes a second enqueue a no-op.
pub(crate) async fn enqueue_completed(tx: &mut Tx, org: &OrgId, id: &InvitationId) -> Result<(), sqlx::Error> {
    let payload = serde_json::json!({ "invitation_id": id.to_string() });
    let job = NewJob::new(COMPLETED_NOTICE_KIND, payload)
        .for_org(org)
        .unique(format!("{id}/completed_notice"))
        .max_attempts(8);
    jobq::enqueue(tx, &job).await?;
    Ok(())
}

/// E-mails the position owner "<candidate> completed the interview for <position>".
pub struct CompletedNotice {
    pub recruiting: Recruiting,
    pub mailer: Arc<dyn Mailer>,
}

#[async_trait]
impl JobHandler for CompletedNotice {
    fn kind(&self) -> &'static str {
        COMPLETED_NOTICE_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let (org, id) = job.invitation()?;
        let db = &self.recruiting.db;
        let Some(row) = inv::get(db, &org, &id).await.map_err(JobError::retry)? else {
            return Ok(());
        };
        let pos_id = PositionId::parse(&row.position_id).map_err(JobError::retry)?;
        let Some(position) = shortlist_store::positions::get(db, &org, &pos_id)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(());
        };
        let candidate = if row.candidate_name.trim().is_empty() {
            row.candidate_email.clone()
        } else {
            row.candidate_name.clone()
        };
        let subject = format!("{candidate} completed the interview for {}", position.title).replace(['\r', '\n'], " ");
        let completed = row
            .completed_at
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let text = format!(
            "Hello {},\n\n{candidate} completed the interview for {} on {completed}.\n\nCandidate: {} <{}>\nSee the answers: {}/invitations/{}\n",
            position.owner_name,
            position.title,
            row.candidate_name,
            row.candidate_email,
            self.recruiting.links.public_url(),
            row.id
        );
        let mail = OutgoingEmail {
            to: position.owner_email.clone(),
            subject,
            text,
            dedup_id: format!("{}-{}", job.id, job.attempt),
            html: None,
            reply_to: None,
        };
        Ok(self.mailer.send(&mail).await?)
    }
}
