//! "You started but did not finish": one reminder to a candidate a day after they started, sent
//! only if the invitation is still `started` (not completed, withdrawn, cancelled or expired) and
//! still open when the job runs. The before-expiry reminders stay with the invitation jobs.
//!
//! It is written in the language the candidate sees the interview in: the one they picked on its
//! pages, else the interview template's (English or Spanish, like the candidate pages; English
//! for any other).

use super::Notifier;
use crate::events::{EventSink, InvitationEvent};
use crate::jobs::{JobError, JobHandler, JobInput, email};
use crate::mailer::{Mailer, OutgoingEmail};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use shortlist_domain::{OrgId, TemplateVersionId};
use shortlist_store::invitations::{self as inv, InvitationRow};
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
        let lang = language(n, &org, &id, &row).await?;
        let (subject, text) = wording(
            lang,
            row.candidate_name.trim(),
            &row.position_title,
            &n.links.url(&row.id, &row.link_nonce),
            row.expires_at,
        );
        let mail = OutgoingEmail {
            to: row.candidate_email.clone(),
            subject: subject.replace(['\r', '\n'], " "),
            text,
            dedup_id: email::message_key(job),
            html: None,
            reply_to: None,
        };
        email::send_once(&n.db, self.mailer.as_ref(), job, &mail, None).await
    }
}

/// The candidate's choice on the interview pages, else the template's language.
async fn language(
    n: &Notifier,
    org: &OrgId,
    id: &shortlist_domain::InvitationId,
    row: &InvitationRow,
) -> Result<Lang, JobError> {
    let progress = shortlist_store::interviews::progress(&n.db, org, id)
        .await
        .map_err(JobError::retry)?;
    if let Some(chosen) = progress.locale {
        return Ok(Lang::for_tag(&chosen));
    }
    let Ok(version) = TemplateVersionId::parse(&row.template_version_id) else {
        return Ok(Lang::En);
    };
    let spec = shortlist_store::templates::version(&n.db, org, &version)
        .await
        .map_err(JobError::retry)?
        .and_then(|v| serde_json::from_str::<shortlist_domain::template::TemplateSpec>(&v.spec).ok());
    Ok(spec.map(|s| Lang::for_tag(&s.locale)).unwrap_or(Lang::En))
}

/// The languages the candidate pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Es,
}

impl Lang {
    /// `es-MX` → Spanish; anything unknown → English (as the candidate pages do).
    fn for_tag(tag: &str) -> Lang {
        match tag
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "es" => Lang::Es,
            _ => Lang::En,
        }
    }
}

/// Subject and text of the reminder.
fn wording(lang: Lang, name: &str, position: &str, link: &str, until: DateTime<Utc>) -> (String, String) {
    let until = until.format("%Y-%m-%d %H:%M UTC");
    match lang {
        Lang::En => {
            let name = if name.is_empty() { "there" } else { name };
            (
                format!("You have not finished your interview for {position}"),
                format!(
                    "Hello {name},\n\nYou started your interview for {position} but have not finished it yet. Your answers \
                     so far are saved; continue where you left off:\n\n{link}\n\nThe link works until {until}.\n"
                ),
            )
        }
        Lang::Es => {
            let hello = if name.is_empty() {
                "Hola:".to_string()
            } else {
                format!("Hola, {name}:")
            };
            (
                format!("Aún no has terminado tu entrevista para {position}"),
                format!(
                    "{hello}\n\nEmpezaste tu entrevista para {position}, pero aún no la has terminado. Tus respuestas \
                     hasta ahora están guardadas; continúa donde lo dejaste:\n\n{link}\n\nEl enlace funciona hasta el \
                     {until}.\n"
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reminder_speaks_english_or_spanish() {
        let until = DateTime::parse_from_rfc3339("2026-12-04T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Lang::for_tag("es-MX"), Lang::Es);
        assert_eq!(Lang::for_tag("fr"), Lang::En);
        let (subject, text) = wording(Lang::Es, "Kim", "Soporte", "http://x/i/t", until);
        assert_eq!(subject, "Aún no has terminado tu entrevista para Soporte");
        assert!(
            text.starts_with("Hola, Kim:\n") && text.contains("http://x/i/t"),
            "{text}"
        );
        assert!(text.contains("hasta el 2026-12-04 16:00 UTC"), "{text}");
        let (_, text) = wording(Lang::Es, "", "Soporte", "http://x/i/t", until);
        assert!(text.starts_with("Hola:\n"), "{text}");
        let (subject, text) = wording(Lang::En, "", "Support", "http://x/i/t", until);
        assert_eq!(subject, "You have not finished your interview for Support");
        assert!(text.starts_with("Hello there,\n") && text.contains("until 2026-12-04 16:00 UTC."));
    }
}
