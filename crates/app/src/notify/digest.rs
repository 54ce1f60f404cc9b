//! The digest scheduler: a job that runs once a minute (it enqueues its successor under a key
//! named after the next minute, so any number of workers and restarts make one chain) and sends
//! every digest that is due. Each digest is claimed by inserting its (org, user, local date) row
//! in the transaction that enqueues its e-mail: a digest is sent once even if scans overlap, and
//! after downtime only the latest missed date is due, so it comes once, late, with everything
//! that waited.

use super::jobs::{candidate_label, local};
use super::schedule::{due, weekday_from_index};
use super::sink::NOTIFY_EMAIL_KIND;
use super::{Kind, Notifier, Prefs};
use crate::jobs::{JobError, JobHandler, JobInput};
use crate::mailer::OutgoingEmail;
use async_trait::async_trait;
use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use shortlist_domain::{OrgId, UserId};
use shortlist_store::Db;
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::notify::{self as store, PendingItem, PrefsRow};

pub const SCAN_KIND: &str = "notify.digest_scan";

fn scan_job(minute: DateTime<Utc>) -> NewJob {
    let mut j = NewJob::new(SCAN_KIND, serde_json::json!({}))
        .unique(minute.format("%Y-%m-%dT%H:%MZ").to_string())
        .max_attempts(3);
    j.run_at = Some(minute);
    j
}

/// Starts the chain at boot (a no-op when this minute's scan exists).
pub async fn start(db: &Db, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    let mut tx = db.begin().await?;
    jobq::enqueue(&mut tx, &scan_job(minute)).await?;
    tx.commit().await
}

pub struct DigestScan {
    pub notifier: Notifier,
}

#[async_trait]
impl JobHandler for DigestScan {
    fn kind(&self) -> &'static str {
        SCAN_KIND
    }

    async fn run(&self, _job: &JobInput) -> Result<(), JobError> {
        let n = &self.notifier;
        let now = n.clock.now();
        let next = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now) + TimeDelta::minutes(1);
        let mut tx = n.db.begin().await.map_err(JobError::retry)?;
        jobq::enqueue(&mut tx, &scan_job(next)).await.map_err(JobError::retry)?;
        tx.commit().await.map_err(JobError::retry)?;
        let users = store::digest_users(&n.db).await.map_err(JobError::retry)?;
        for row in users {
            // One user's trouble must not hold up everyone else's digest.
            if let Err(e) = self.one(&row, now).await {
                tracing::warn!(user = %row.user_id, error = %e, "digest failed; next scan retries");
            }
        }
        Ok(())
    }
}

impl DigestScan {
    async fn one(&self, row: &PrefsRow, now: DateTime<Utc>) -> anyhow::Result<()> {
        let n = &self.notifier;
        let prefs = Prefs::from_row(row);
        let weekly = row.completions == "weekly";
        let weekday = weekly.then(|| weekday_from_index(row.weekday));
        let (date, at) = due(now, prefs.time_zone, prefs.local_time, weekday);
        if at < row.effective_from {
            return Ok(());
        }
        let (org, user_id) = (OrgId::parse(&row.org_id)?, UserId::parse(&row.user_id)?);
        let date_key = date.format("%Y-%m-%d").to_string();
        if store::digest_exists(&n.db, &org, &user_id, &date_key).await? {
            return Ok(());
        }
        let Some(user) = shortlist_store::users::get(&n.db, &org, &user_id).await? else {
            return Ok(());
        };
        if user.disabled_at.is_some() {
            return Ok(());
        }
        let mut tx = n.db.begin().await?;
        let Some((digest_id, items)) =
            store::claim_digest(&mut tx, &org, &row.user_id, &date_key, &row.completions, now).await?
        else {
            return Ok(());
        };
        if !items.is_empty() || prefs.send_empty {
            let mut scores = Vec::with_capacity(items.len());
            for it in &items {
                scores.push(score_of(n, &org, &it.invitation_id).await);
            }
            let (subject, body) = render(n, &prefs, weekly, date, &user.name, &items, &scores);
            let mail = OutgoingEmail {
                to: user.email.clone(),
                subject,
                text: format!("{body}{}", n.footer(&row.org_id, &row.user_id, Kind::Completions)),
                dedup_id: digest_id.clone(),
                html: None,
                reply_to: None,
            };
            let payload = serde_json::json!({
                "mail": mail,
                "unsubscribe": n.unsubscribe_url(&row.org_id, &row.user_id, Kind::Completions),
            });
            let job = NewJob::new(NOTIFY_EMAIL_KIND, payload)
                .for_org(&org)
                .unique(format!("{digest_id}/email"))
                .max_attempts(8);
            jobq::enqueue(&mut tx, &job).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The reviewers' average for an invitation, if anyone evaluated it yet. A failed read leaves the
/// score out rather than holding back the digest.
async fn score_of(n: &Notifier, org: &OrgId, invitation: &str) -> Option<f64> {
    let id = shortlist_domain::InvitationId::parse(invitation).ok()?;
    crate::review::evaluate::average_score(&n.db, org, &id)
        .await
        .ok()
        .flatten()
}

/// Subject and body of a digest: completions grouped by position, each with its interview URL
/// and the reviewers' average score where there is one (`scores` runs parallel to `items`).
pub fn render(
    n: &Notifier,
    prefs: &Prefs,
    weekly: bool,
    date: NaiveDate,
    name: &str,
    items: &[PendingItem],
    scores: &[Option<f64>],
) -> (String, String) {
    let what = if weekly { "weekly" } else { "daily" };
    let day = date.format("%a %-d %b %Y");
    let count = match items.len() {
        0 => "nothing new".to_string(),
        1 => "1 completed interview".to_string(),
        k => format!("{k} completed interviews"),
    };
    let subject = format!("Your {what} Shortlist digest for {day}: {count}");
    let mut body = format!("Hello {name},\n\n");
    if items.is_empty() {
        body.push_str("Nothing new: no candidate completed an interview since your last digest.\n");
        return (subject, body);
    }
    body.push_str(&format!("Completed since your last digest ({count}):\n"));
    let mut current = "";
    for (i, it) in items.iter().enumerate() {
        if it.position_id != current {
            body.push_str(&format!("\n{}\n", it.position_title));
            current = &it.position_id;
        }
        let score = match scores.get(i).copied().flatten() {
            Some(s) => format!(", score {s:.1} of 5"),
            None => String::new(),
        };
        body.push_str(&format!(
            "- {} <{}>, completed {}{score}\n  {}\n",
            candidate_label(&it.candidate_name, &it.candidate_email),
            it.candidate_email,
            local(it.occurred_at, prefs.time_zone),
            n.links.review_url(&it.invitation_id),
        ));
    }
    (subject, body)
}
