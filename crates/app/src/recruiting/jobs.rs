//! Background work caused by invitations: the e-mails (invitation, resend, reminders), the
//! expiry timer and the "invited before" notice to the position owner.

use super::Recruiting;
use super::mail::{self, EmailTemplate, MailContext};
use crate::jobs::{JobError, JobHandler, JobInput, email};
use crate::mailer::{MailError, Mailer, OutgoingEmail};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::invitations::{self as inv, NewEvent};
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::{Tx, orgs, settings};
use std::sync::Arc;

pub const MAIL_KIND: &str = "invitation.email";
pub const EXPIRE_KIND: &str = "invitation.expire";
pub const PRIOR_KIND: &str = "invitation.prior_notice";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailPurpose {
    Invitation,
    Resend,
    Reminder,
}

impl MailPurpose {
    fn template_kind(self) -> &'static str {
        match self {
            MailPurpose::Invitation => "invitation",
            MailPurpose::Resend => "resend",
            MailPurpose::Reminder => "reminder",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct MailJob {
    invitation_id: String,
    purpose: MailPurpose,
    /// Reminders belong to one deadline; after an extension they are replaced.
    #[serde(default)]
    for_expiry: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct TimerJob {
    invitation_id: String,
    expires_at: DateTime<Utc>,
}

fn payload<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

pub(crate) async fn enqueue_mail(
    tx: &mut Tx,
    org: &OrgId,
    id: &InvitationId,
    purpose: MailPurpose,
    for_expiry: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let job = MailJob {
        invitation_id: id.to_string(),
        purpose,
        for_expiry,
    };
    let key = match purpose {
        MailPurpose::Invitation => format!("{id}/invitation"),
        // Each resend is its own request, and is sent even if an earlier one was.
        MailPurpose::Resend => format!("{id}/resend/{}", uuid::Uuid::now_v7().simple()),
        MailPurpose::Reminder => format!(
            "{id}/reminder/{}",
            for_expiry.map(|t| t.timestamp_micros()).unwrap_or_default()
        ),
    };
    jobq::enqueue(
        tx,
        &NewJob::new(MAIL_KIND, payload(&job))
            .for_org(org)
            .unique(key)
            .max_attempts(8),
    )
    .await?;
    Ok(())
}

/// Reminders `hours` before the deadline (those still in the future) and the expiry itself.
pub(crate) async fn schedule_timers(
    tx: &mut Tx,
    org: &OrgId,
    id: &InvitationId,
    expires_at: DateTime<Utc>,
    hours: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for h in hours
        .split(',')
        .filter_map(|h| h.trim().parse::<i64>().ok())
        .filter(|h| *h > 0)
    {
        let at = expires_at - TimeDelta::hours(h);
        if at > now {
            let job = MailJob {
                invitation_id: id.to_string(),
                purpose: MailPurpose::Reminder,
                for_expiry: Some(expires_at),
            };
            let mut j = NewJob::new(MAIL_KIND, payload(&job))
                .for_org(org)
                .unique(format!("{id}/reminder/{}/{h}", expires_at.timestamp_micros()))
                .max_attempts(8);
            j.run_at = Some(at);
            jobq::enqueue(tx, &j).await?;
        }
    }
    let timer = TimerJob {
        invitation_id: id.to_string(),
        expires_at,
    };
    let mut j = NewJob::new(EXPIRE_KIND, payload(&timer))
        .for_org(org)
        .unique(format!("{id}/expire/{}", expires_at.timestamp_micros()));
    j.run_at = Some(expires_at);
    jobq::enqueue(tx, &j).await?;
    Ok(())
}

pub(crate) async fn enqueue_prior_notice(tx: &mut Tx, org: &OrgId, id: &InvitationId) -> Result<(), sqlx::Error> {
    let job = serde_json::json!({ "invitation_id": id.to_string() });
    jobq::enqueue(
        tx,
        &NewJob::new(PRIOR_KIND, job).for_org(org).unique(format!("{id}/prior")),
    )
    .await?;
    Ok(())
}

/// Sends invitation, resend and reminder e-mails and records the delivery outcome.
pub struct InvitationMail {
    pub recruiting: Recruiting,
    pub mailer: Arc<dyn Mailer>,
}

impl InvitationMail {
    async fn template(&self, org: &OrgId, kind: &str) -> Result<EmailTemplate, JobError> {
        Ok(
            match settings::email_template(&self.recruiting.db, org, kind)
                .await
                .map_err(JobError::retry)?
            {
                Some(t) => EmailTemplate {
                    subject: t.subject,
                    text_body: t.text_body,
                    html_body: t.html_body,
                },
                None => mail::default_template(kind),
            },
        )
    }
}

#[async_trait]
impl JobHandler for InvitationMail {
    fn kind(&self) -> &'static str {
        MAIL_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let p: MailJob = serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Permanent(e.into()))?;
        let (org, id) = job.invitation()?;
        let db = &self.recruiting.db;
        let Some(row) = inv::get(db, &org, &id).await.map_err(JobError::retry)? else {
            return Ok(());
        };
        let now = self.recruiting.clock.now();
        let wanted = match p.purpose {
            MailPurpose::Reminder => {
                ["sent", "opened", "started"].contains(&row.state.as_str())
                    && p.for_expiry == Some(row.expires_at)
                    && now < row.expires_at
            }
            _ => super::invitations::LIVE.contains(&row.state.as_str()),
        };
        if !wanted {
            return Ok(());
        }
        let position = shortlist_store::positions::get(
            db,
            &org,
            &shortlist_domain::PositionId::parse(&row.position_id).map_err(JobError::retry)?,
        )
        .await
        .map_err(JobError::retry)?
        .ok_or_else(|| JobError::retry("position vanished"))?;
        let company = orgs::get(db, &org)
            .await
            .map_err(JobError::retry)?
            .map(|o| o.name)
            .unwrap_or_default();
        let cand = shortlist_store::candidates::get(
            db,
            &org,
            &shortlist_domain::CandidateId::parse(&row.candidate_id).map_err(JobError::retry)?,
        )
        .await
        .map_err(JobError::retry)?
        .ok_or_else(|| JobError::retry("candidate vanished"))?;
        let link = self.recruiting.links.url(&row.id, &row.link_nonce);
        let ctx = MailContext {
            candidate_name: if cand.name.is_empty() { "there" } else { &cand.name },
            position_title: &position.title,
            company_name: &company,
            owner_name: &position.owner_name,
            link: &link,
            expires_at: row.expires_at,
            time_zone: cand.time_zone.as_deref(),
        };
        let (subject, text, html) = mail::render(&self.template(&org, p.purpose.template_kind()).await?, &ctx);
        let mail = OutgoingEmail {
            to: cand.email.clone(),
            subject,
            text,
            dedup_id: email::message_key(job),
            html: Some(html),
            reply_to: Some(format!(
                "{} <{}>",
                position.owner_name.replace(['<', '>', '"'], ""),
                position.owner_email
            )),
        };
        if email::begin(db, job).await? == email::Attempt::AlreadySent {
            return Ok(());
        }
        let result = self.mailer.send(&mail).await;
        if result.is_err() {
            email::send_failed(db, job).await;
        }
        let mut tx = db.begin().await.map_err(JobError::retry)?;
        let purpose = p.purpose.template_kind();
        let outcome = match &result {
            Ok(()) => {
                inv::set_delivery(&mut tx, &org, &id, "sent", None)
                    .await
                    .map_err(JobError::retry)?;
                // With the delivery state, so a crash before the job's outcome is written
                // leaves "sent" and the next attempt sends nothing.
                jobq::mark_mail_sent(&mut tx, &job.id).await.map_err(JobError::retry)?;
                let moved = inv::transition(&mut tx, &org, &id, &["created", "failed"], "sent", now)
                    .await
                    .map_err(JobError::retry)?;
                let to = if moved { "sent" } else { row.state.as_str() };
                let e = NewEvent {
                    kind: "email_sent",
                    from_state: Some(&row.state),
                    to_state: Some(to),
                    actor: "system",
                    detail: Some(purpose),
                    at: now,
                };
                inv::add_event(&mut tx, &org, &id, &e).await.map_err(JobError::retry)?;
                Ok(())
            }
            Err(MailError::Permanent(reason)) => {
                inv::set_delivery(&mut tx, &org, &id, "failed", Some(reason))
                    .await
                    .map_err(JobError::retry)?;
                let moved = inv::transition(&mut tx, &org, &id, &["created"], "failed", now)
                    .await
                    .map_err(JobError::retry)?;
                let to = if moved { "failed" } else { row.state.as_str() };
                let detail = format!("{purpose}: {reason}");
                let e = NewEvent {
                    kind: "email_failed",
                    from_state: Some(&row.state),
                    to_state: Some(to),
                    actor: "system",
                    detail: Some(&detail),
                    at: now,
                };
                inv::add_event(&mut tx, &org, &id, &e).await.map_err(JobError::retry)?;
                Err(JobError::Permanent(anyhow::anyhow!("{reason}")))
            }
            Err(MailError::Transient(reason)) => {
                inv::set_delivery(&mut tx, &org, &id, "queued", Some(reason))
                    .await
                    .map_err(JobError::retry)?;
                Err(JobError::retry(reason))
            }
        };
        tx.commit().await.map_err(JobError::retry)?;
        outcome
    }
}

/// Marks an invitation expired when its deadline passes (unless it was extended meanwhile).
pub struct ExpireInvitation {
    pub recruiting: Recruiting,
}

#[async_trait]
impl JobHandler for ExpireInvitation {
    fn kind(&self) -> &'static str {
        EXPIRE_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let p: TimerJob = serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Permanent(e.into()))?;
        let (org, id) = job.invitation()?;
        let db = &self.recruiting.db;
        let Some(row) = inv::get(db, &org, &id).await.map_err(JobError::retry)? else {
            return Ok(());
        };
        let now = self.recruiting.clock.now();
        if row.expires_at != p.expires_at || now < row.expires_at {
            return Ok(());
        }
        let mut tx = db.begin().await.map_err(JobError::retry)?;
        let live = super::invitations::LIVE;
        if inv::transition(&mut tx, &org, &id, &live, "expired", now)
            .await
            .map_err(JobError::retry)?
        {
            let e = NewEvent {
                kind: "expired",
                from_state: Some(&row.state),
                to_state: Some("expired"),
                actor: "system",
                detail: None,
                at: now,
            };
            inv::add_event(&mut tx, &org, &id, &e).await.map_err(JobError::retry)?;
        }
        tx.commit().await.map_err(JobError::retry)
    }
}

/// Tells the position owner that the candidate they just invited was invited elsewhere before.
pub struct PriorInvitationNotice {
    pub recruiting: Recruiting,
    pub mailer: Arc<dyn Mailer>,
    /// The owner's preferences decide whether this is sent; the mail ends with their links.
    pub notifier: crate::notify::Notifier,
}

#[async_trait]
impl JobHandler for PriorInvitationNotice {
    fn kind(&self) -> &'static str {
        PRIOR_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let (org, id) = job.invitation()?;
        let db = &self.recruiting.db;
        let Some(row) = inv::get(db, &org, &id).await.map_err(JobError::retry)? else {
            return Ok(());
        };
        let pos_id = shortlist_domain::PositionId::parse(&row.position_id).map_err(JobError::retry)?;
        let Some(position) = shortlist_store::positions::get(db, &org, &pos_id)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(());
        };
        let owner = shortlist_domain::UserId::parse(&position.owner_id).map_err(JobError::retry)?;
        let prefs = self.notifier.prefs_of(&org, &owner).await.map_err(JobError::retry)?;
        if !prefs.wants(crate::notify::Kind::PriorInvites) {
            return Ok(());
        }
        let others: Vec<String> = inv::list_for_candidate(db, &org, &row.candidate_id)
            .await
            .map_err(JobError::retry)?
            .into_iter()
            .filter(|o| o.position_id != row.position_id)
            .map(|o| {
                format!(
                    "- {} ({}), invited {}",
                    o.position_title,
                    o.state,
                    o.created_at.format("%Y-%m-%d")
                )
            })
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        let text = format!(
            "Hello {},\n\nYou invited {} <{}> to an interview for {}. They were invited to other interviews before:\n\n{}\n\n{}/positions/{}\n",
            position.owner_name,
            row.candidate_name,
            row.candidate_email,
            position.title,
            others.join("\n"),
            self.recruiting.links.public_url(),
            position.id
        );
        let kind = crate::notify::Kind::PriorInvites;
        let mail = OutgoingEmail {
            to: position.owner_email.clone(),
            subject: format!("{} was invited to other interviews before", row.candidate_email),
            text: format!("{text}{}", self.notifier.footer(org.as_str(), owner.as_str(), kind)),
            dedup_id: email::message_key(job),
            html: None,
            reply_to: None,
        };
        let unsubscribe = self.notifier.unsubscribe_url(org.as_str(), owner.as_str(), kind);
        email::send_once(db, self.mailer.as_ref(), job, &mail, Some(&unsubscribe)).await
    }
}
