//! Per-recipient notification jobs: a completed interview (mailed now, queued for the digest, or
//! dropped, as the user chose when the job runs) and an invitation e-mail that bounced.

use super::sink::{COMPLETED_NOTICE_KIND, EMAIL_FAILED_KIND};
use super::{Kind, Notifier};
use crate::jobs::{JobError, JobHandler, JobInput, email};
use crate::mailer::{Mailer, OutgoingEmail};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shortlist_domain::{OrgId, UserId};
use shortlist_store::invitations::{self as inv, InvitationRow};
use shortlist_store::users::UserRow;
use std::sync::Arc;

/// The recipient of a notification job, if the account still exists and is active.
async fn recipient(n: &Notifier, org: &OrgId, job: &JobInput) -> Result<Option<UserRow>, JobError> {
    let raw = job.payload["user_id"].as_str().unwrap_or_default();
    let Ok(user) = UserId::parse(raw) else {
        return Ok(None);
    };
    let row = shortlist_store::users::get(&n.db, org, &user)
        .await
        .map_err(JobError::retry)?;
    Ok(row.filter(|u| u.disabled_at.is_none()))
}

pub fn candidate_label(name: &str, email: &str) -> String {
    if name.trim().is_empty() {
        email.to_string()
    } else {
        name.to_string()
    }
}

pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()
}

async fn send(
    n: &Notifier,
    mailer: &dyn Mailer,
    job: &JobInput,
    user: &UserRow,
    kind: Kind,
    subject: String,
    body: String,
) -> Result<(), JobError> {
    let mail = OutgoingEmail {
        to: user.email.clone(),
        subject: subject.replace(['\r', '\n'], " "),
        text: format!("{body}{}", n.footer(&user.org_id, &user.id, kind)),
        dedup_id: email::message_key(job),
        html: None,
        reply_to: None,
    };
    let unsubscribe = n.unsubscribe_url(&user.org_id, &user.id, kind);
    email::send_once(&n.db, mailer, job, &mail, Some(&unsubscribe)).await
}

async fn invitation(n: &Notifier, job: &JobInput) -> Result<Option<(OrgId, InvitationRow)>, JobError> {
    let (org, id) = job.invitation()?;
    let row = inv::get(&n.db, &org, &id).await.map_err(JobError::retry)?;
    Ok(row.map(|r| (org, r)))
}

pub struct CompletedNotice {
    pub notifier: Notifier,
    pub mailer: Arc<dyn Mailer>,
}

#[async_trait]
impl JobHandler for CompletedNotice {
    fn kind(&self) -> &'static str {
        COMPLETED_NOTICE_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let n = &self.notifier;
        let Some((org, row)) = invitation(n, job).await? else {
            return Ok(());
        };
        // Jobs queued before followers existed carry no user: they were for the owner.
        let user = match recipient(n, &org, job).await? {
            Some(u) => u,
            None if job.payload.get("user_id").is_none() => {
                let owner = n.db.clone();
                let pos = shortlist_domain::PositionId::parse(&row.position_id).map_err(JobError::retry)?;
                let Some(p) = shortlist_store::positions::get(&owner, &org, &pos)
                    .await
                    .map_err(JobError::retry)?
                else {
                    return Ok(());
                };
                let id = UserId::parse(&p.owner_id).map_err(JobError::retry)?;
                match shortlist_store::users::get(&n.db, &org, &id)
                    .await
                    .map_err(JobError::retry)?
                {
                    Some(u) => u,
                    None => return Ok(()),
                }
            }
            None => return Ok(()),
        };
        let user_id = UserId::parse(&user.id).map_err(JobError::retry)?;
        let prefs = n.prefs_of(&org, &user_id).await.map_err(JobError::retry)?;
        let completed_at = row.completed_at.unwrap_or(row.updated_at);
        match prefs.completions.as_str() {
            "immediate" => {}
            "daily" | "weekly" => {
                let event = job.payload["event_id"].as_str().unwrap_or(&job.id).to_string();
                let mut tx = n.db.begin().await.map_err(JobError::retry)?;
                shortlist_store::notify::add_pending(&mut tx, &org, &user.id, &row.id, &event, completed_at)
                    .await
                    .map_err(JobError::retry)?;
                return tx.commit().await.map_err(JobError::retry);
            }
            _ => return Ok(()),
        }
        let candidate = candidate_label(&row.candidate_name, &row.candidate_email);
        let subject = format!("{candidate} completed the interview for {}", row.position_title);
        let body = format!(
            "Hello {},\n\n{candidate} completed the interview for {} on {}.\n\nCandidate: {} <{}>\nSee the interview: {}\nThe invitation: {}/invitations/{}\n",
            user.name,
            row.position_title,
            local(completed_at, prefs.time_zone),
            row.candidate_name,
            row.candidate_email,
            n.links.review_url(&row.id),
            n.links.public_url(),
            row.id,
        );
        send(n, self.mailer.as_ref(), job, &user, Kind::Completions, subject, body).await
    }
}

pub struct EmailFailedNotice {
    pub notifier: Notifier,
    pub mailer: Arc<dyn Mailer>,
}

#[async_trait]
impl JobHandler for EmailFailedNotice {
    fn kind(&self) -> &'static str {
        EMAIL_FAILED_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let n = &self.notifier;
        let Some((org, row)) = invitation(n, job).await? else {
            return Ok(());
        };
        let Some(user) = recipient(n, &org, job).await? else {
            return Ok(());
        };
        let user_id = UserId::parse(&user.id).map_err(JobError::retry)?;
        if !n.prefs_of(&org, &user_id).await.map_err(JobError::retry)?.email_failed {
            return Ok(());
        }
        let subject = format!(
            "The invitation e-mail to {} could not be delivered",
            row.candidate_email
        );
        let body = format!(
            "Hello {},\n\nThe invitation e-mail for {} to {} <{}> could not be delivered.\n\nReason: {}\n\nCheck the address and resend: {}/invitations/{}\n",
            user.name,
            row.position_title,
            row.candidate_name,
            row.candidate_email,
            row.delivery_error.as_deref().unwrap_or("the mail server refused it"),
            n.links.public_url(),
            row.id,
        );
        send(n, self.mailer.as_ref(), job, &user, Kind::EmailFailed, subject, body).await
    }
}
