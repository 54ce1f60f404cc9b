//! Delivery: one `webhook.deliver` job per attempt. The first job of an event freezes the body
//! and the `webhook-id` in a delivery row; every job then checks the endpoint, resolves and
//! checks its URL again (SSRF guard, pinned to the checked addresses), signs and POSTs, and in
//! ONE transaction records the attempt, moves the delivery on and enqueues the next attempt of
//! the schedule at its time. So the schedule lives in the jobs' `run_at`, the worker's generic
//! backoff is used only when our own bookkeeping fails, and other job kinds are untouched.
//!
//! Outcomes: 2xx ends the delivery; 410 Gone disables the endpoint (its pending deliveries
//! stop); anything else — redirects are not followed — is a failed attempt. An endpoint with no
//! success for [`FAILING_DAYS`] is disabled and its owner e-mailed.

use super::payload::{self, EventRef};
use super::{Webhooks, sign};
use crate::jobs::{JobError, JobHandler, JobInput, SendEmail};
use crate::mailer::OutgoingEmail;
use crate::outbound::{Clients, Profile};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use shortlist_domain::{InvitationId, OrgId, Role, UserId};
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::webhooks::{self as store, DeliveryRow, EndpointRow, Outcome};
use shortlist_store::{credentials, users};
use std::time::{Duration, Instant};

pub const DELIVER_KIND: &str = "webhook.deliver";
/// Runs of one job when our own bookkeeping (the database) fails; HTTP failures never count here.
pub const MAX_JOB_ATTEMPTS: i32 = 5;
/// The wait after the n-th failed attempt (n = 1…7); the 8th failure ends the delivery.
pub const RETRY_DELAYS_SECS: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/// An endpoint with failures and no success for this long is disabled.
pub const FAILING_DAYS: i64 = 5;
const TIMEOUT: Duration = Duration::from_secs(15);
/// How deliveries talk: no redirect, no proxy, [`TIMEOUT`] (see [`crate::outbound::client`]).
pub const PROFILE: Profile = Profile {
    user_agent: concat!("Shortlist-Webhooks/", env!("CARGO_PKG_VERSION")),
    timeout: TIMEOUT,
    connect_timeout: TIMEOUT,
    http1_only: false,
};
const EXCERPT_BYTES: usize = 512;

/// Attempt `step` of the schedule (1 = the first).
pub fn step_job(org: &OrgId, endpoint: &str, delivery: &str, step: usize, run_at: Option<DateTime<Utc>>) -> NewJob {
    let mut job = NewJob::new(
        DELIVER_KIND,
        json!({ "endpoint_id": endpoint, "delivery_id": delivery, "step": step }),
    )
    .for_org(org)
    .unique(format!("{delivery}/step/{step}"))
    .max_attempts(MAX_JOB_ATTEMPTS);
    job.run_at = run_at;
    job
}

/// A manual redelivery: one attempt outside the schedule.
pub fn manual_job(org: &OrgId, endpoint: &str, delivery: &str) -> NewJob {
    NewJob::new(
        DELIVER_KIND,
        json!({ "endpoint_id": endpoint, "delivery_id": delivery, "manual": true }),
    )
    .for_org(org)
    .unique(format!("{delivery}/manual/{}", uuid::Uuid::now_v7().simple()))
    .max_attempts(MAX_JOB_ATTEMPTS)
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Step(usize),
    Manual,
}

/// What the receiver did.
struct Sent {
    status: Option<u16>,
    error: Option<String>,
    excerpt: String,
}

pub struct DeliverWebhook {
    pub webhooks: Webhooks,
    /// Clients reused per checked target, of [`PROFILE`] (see [`crate::outbound::client`]).
    pub clients: Clients,
}

fn text<'a>(job: &'a JobInput, key: &str) -> &'a str {
    job.payload.get(key).and_then(|v| v.as_str()).unwrap_or_default()
}

fn permanent(msg: &str) -> JobError {
    JobError::Permanent(anyhow::anyhow!("{msg}"))
}

#[async_trait]
impl JobHandler for DeliverWebhook {
    fn kind(&self) -> &'static str {
        DELIVER_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let org = job
            .org_id
            .as_deref()
            .and_then(|o| OrgId::parse(o).ok())
            .ok_or_else(|| permanent("webhook job without an organisation"))?;
        let endpoint = text(job, "endpoint_id");
        let (delivery, mode) = if text(job, "delivery_id").is_empty() {
            match self.materialise(&org, endpoint, job).await? {
                Some(d) => (d, Mode::Step(1)),
                None => return Ok(()),
            }
        } else {
            let mode = if job.payload["manual"].as_bool() == Some(true) {
                Mode::Manual
            } else {
                let step = job.payload["step"].as_u64().unwrap_or(1);
                Mode::Step(usize::try_from(step).unwrap_or(1).max(1))
            };
            (text(job, "delivery_id").to_string(), mode)
        };
        self.attempt(&org, endpoint, &delivery, mode).await
    }
}

impl DeliverWebhook {
    /// Freezes the body and `webhook-id` of an event's delivery. `None`: nothing to send (the
    /// invitation is gone, or an earlier run of this job already made the first attempt).
    async fn materialise(&self, org: &OrgId, endpoint: &str, job: &JobInput) -> Result<Option<String>, JobError> {
        let db = &self.webhooks.db;
        let event_id = text(job, "event_id");
        if let Some(d) = store::delivery_for_event(db, org, endpoint, event_id)
            .await
            .map_err(JobError::retry)?
        {
            return Ok((d.attempts == 0).then_some(d.id));
        }
        let invitation = InvitationId::parse(text(job, "invitation_id")).map_err(|_| permanent("bad invitation id"))?;
        let at = serde_json::from_value::<DateTime<Utc>>(job.payload["at"].clone())
            .map_err(|_| permanent("webhook job without a valid `at`"))?;
        let event = EventRef {
            event_id: event_id.to_string(),
            event_type: text(job, "event_type").to_string(),
            invitation,
            actor: text(job, "actor").to_string(),
            at,
        };
        let Some(body) = payload::body(&self.webhooks.recruiting, org, &event)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(None);
        };
        let now = shortlist_store::truncate_micros(self.webhooks.clock.now());
        let row = DeliveryRow {
            id: format!("whd_{}", uuid::Uuid::now_v7().simple()),
            org_id: org.to_string(),
            endpoint_id: endpoint.to_string(),
            msg_id: sign::new_msg_id(),
            event_type: event.event_type,
            event_id: Some(event.event_id),
            body: body.to_string(),
            state: "pending".into(),
            attempts: 0,
            next_attempt_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        let mut tx = db.begin().await.map_err(JobError::retry)?;
        let inserted = store::insert_delivery(&mut tx, &row).await.map_err(JobError::retry)?;
        tx.commit().await.map_err(JobError::retry)?;
        if inserted {
            return Ok(Some(row.id));
        }
        // Another run got there first; whoever inserted it attempts it.
        Ok(None)
    }

    async fn attempt(&self, org: &OrgId, endpoint: &str, delivery: &str, mode: Mode) -> Result<(), JobError> {
        let w = &self.webhooks;
        let Some(ep) = store::endpoint_any_owner(&w.db, org, endpoint)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(());
        };
        let Some(d) = store::delivery(&w.db, org, endpoint, delivery)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(());
        };
        if matches!(mode, Mode::Step(_)) && d.state != "pending" {
            return Ok(());
        }
        if !ep.enabled || self.partner_suspended(&ep).await? {
            if d.state == "pending" {
                let mut tx = w.db.begin().await.map_err(JobError::retry)?;
                store::set_delivery_state(&mut tx, org, &d.id, "cancelled", w.clock.now())
                    .await
                    .map_err(JobError::retry)?;
                tx.commit().await.map_err(JobError::retry)?;
            }
            return Ok(());
        }
        let secrets = w.secrets(&ep).map_err(|e| JobError::Permanent(e.into()))?;
        let started = Instant::now();
        let sent = self.send(&ep.url, &d, &secrets).await;
        let response_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.record(org, &ep, &d, mode, &sent, response_ms).await
    }

    async fn partner_suspended(&self, ep: &EndpointRow) -> Result<bool, JobError> {
        let Some(p) = &ep.partner_id else { return Ok(false) };
        let row = credentials::partner(&self.webhooks.db, p)
            .await
            .map_err(JobError::retry)?;
        Ok(row.is_none_or(|p| p.status == "suspended"))
    }

    async fn send(&self, url: &str, d: &DeliveryRow, secrets: &[String]) -> Sent {
        let failed = |error: String| Sent {
            status: None,
            error: Some(error),
            excerpt: String::new(),
        };
        let target = match self.webhooks.guard.check(url).await {
            Ok(t) => t,
            Err(r) => return failed(format!("refused by the address check: {r}")),
        };
        let client = match self.clients.get(&target) {
            Ok(c) => c,
            Err(e) => return failed(describe(&e)),
        };
        // The receiver compares this with its own clock (5-minute tolerance), so it is the
        // real time of sending, not the injected clock that schedules the attempts.
        let ts = Utc::now().timestamp();
        let resp = client
            .post(target.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &d.msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                sign::signature_header(secrets, &d.msg_id, ts, &d.body),
            )
            .body(d.body.clone())
            .send()
            .await;
        match resp {
            Err(e) => failed(describe(&e)),
            Ok(mut r) => {
                let status = r.status().as_u16();
                let mut excerpt = Vec::new();
                // Only the start of the answer is kept; a receiver cannot make us read more.
                while excerpt.len() < EXCERPT_BYTES {
                    match r.chunk().await {
                        Ok(Some(c)) => excerpt.extend_from_slice(&c),
                        _ => break,
                    }
                }
                let cut: String = String::from_utf8_lossy(&excerpt)
                    .chars()
                    .take(EXCERPT_BYTES / 2)
                    .collect();
                Sent {
                    status: Some(status),
                    error: (!(200..300).contains(&status)).then(|| format!("the receiver answered {status}")),
                    excerpt: cut,
                }
            }
        }
    }

    async fn record(
        &self,
        org: &OrgId,
        ep: &EndpointRow,
        d: &DeliveryRow,
        mode: Mode,
        sent: &Sent,
        response_ms: i64,
    ) -> Result<(), JobError> {
        let w = &self.webhooks;
        let now = w.clock.now();
        let ok = sent.status.is_some_and(|s| (200..300).contains(&s));
        let gone = sent.status == Some(410);
        let (state, next) = match mode {
            _ if ok => ("succeeded", None),
            _ if gone => ("failed", None),
            Mode::Step(k) => match RETRY_DELAYS_SECS.get(k - 1) {
                Some(secs) => ("pending", Some(now + TimeDelta::seconds(*secs))),
                None => ("failed", None),
            },
            // A manual attempt leaves a running schedule as it was.
            Mode::Manual if d.state == "pending" => ("pending", d.next_attempt_at),
            Mode::Manual => ("failed", None),
        };
        let failing_too_long = !ok
            && !gone
            && ep
                .failing_since
                .is_some_and(|s| now - s >= TimeDelta::days(FAILING_DAYS));
        let owners = if failing_too_long {
            self.owner_emails(org, ep).await?
        } else {
            Vec::new()
        };
        let outcome = Outcome {
            at: now,
            status: sent.status.map(i32::from),
            error: sent.error.as_deref(),
            response_ms,
            response_excerpt: &sent.excerpt,
            state,
            next_attempt_at: next,
        };
        let mut tx = w.db.begin().await.map_err(JobError::retry)?;
        store::record_attempt(&mut tx, org, &d.id, &outcome)
            .await
            .map_err(JobError::retry)?;
        if let (Mode::Step(k), Some(at)) = (mode, next) {
            jobq::enqueue(&mut tx, &step_job(org, &ep.id, &d.id, k + 1, Some(at)))
                .await
                .map_err(JobError::retry)?;
        }
        if ok {
            store::endpoint_succeeded(&mut tx, org, &ep.id)
                .await
                .map_err(JobError::retry)?;
        } else if gone {
            let reason = format!("the receiver answered 410 Gone on {}", now.format("%Y-%m-%d %H:%M UTC"));
            store::disable_endpoint(&mut tx, org, &ep.id, &reason, now)
                .await
                .map_err(JobError::retry)?;
        } else {
            store::endpoint_failed(&mut tx, org, &ep.id, now)
                .await
                .map_err(JobError::retry)?;
            if let (true, Some(since)) = (failing_too_long, ep.failing_since) {
                let reason = format!(
                    "no successful delivery since {} ({FAILING_DAYS} days)",
                    since.format("%Y-%m-%d %H:%M UTC")
                );
                if store::disable_endpoint(&mut tx, org, &ep.id, &reason, now)
                    .await
                    .map_err(JobError::retry)?
                {
                    for to in owners {
                        jobq::enqueue(&mut tx, &disabled_notice(org, ep, &to, &reason))
                            .await
                            .map_err(JobError::retry)?;
                    }
                }
            }
        }
        tx.commit().await.map_err(JobError::retry)
    }

    /// Whom to tell: the endpoint's creator if a person created it, else the organisation's
    /// admins; and for a partner's endpoint also the partner's contact, who runs the receiver.
    async fn owner_emails(&self, org: &OrgId, ep: &EndpointRow) -> Result<Vec<String>, JobError> {
        let db = &self.webhooks.db;
        let mut to = match UserId::parse(&ep.created_by) {
            Ok(u) => users::get(db, org, &u)
                .await
                .map_err(JobError::retry)?
                .filter(|u| u.disabled_at.is_none())
                .map(|u| vec![u.email])
                .unwrap_or_default(),
            Err(_) => vec![],
        };
        if to.is_empty() {
            let admins = users::list(db, org).await.map_err(JobError::retry)?;
            to = admins
                .into_iter()
                .filter(|u| u.disabled_at.is_none() && Role::parse(&u.role).ok() == Some(Role::Admin))
                .map(|u| u.email)
                .collect();
        }
        if let Some(pid) = &ep.partner_id
            && let Some(p) = shortlist_store::credentials::partner(db, pid)
                .await
                .map_err(JobError::retry)?
            && p.contact.contains('@')
            && !to.iter().any(|t| t.eq_ignore_ascii_case(&p.contact))
        {
            to.push(p.contact);
        }
        Ok(to)
    }
}

fn disabled_notice(org: &OrgId, ep: &EndpointRow, to: &str, reason: &str) -> NewJob {
    let text = format!(
        "Shortlist stopped sending webhooks to {url} ({id}): {reason}.\n\n\
         Events since then were not sent. When the receiver works again, enable the endpoint \
         (Settings → Webhooks, or PATCH /api/v1/webhooks/{id} with {{\"enabled\": true}}) and \
         redeliver what it missed from its delivery log.\n",
        url = ep.url,
        id = ep.id,
    );
    let mail = OutgoingEmail {
        to: to.to_string(),
        subject: format!("Webhook endpoint disabled: {}", ep.url),
        text,
        dedup_id: format!("{}-disabled-{}", ep.id, uuid::Uuid::now_v7().simple()),
        html: None,
        reply_to: None,
    };
    NewJob::new(SendEmail::KIND, serde_json::to_value(&mail).unwrap_or_default())
        .for_org(org)
        .unique(format!("{}/disabled-notice/{to}/{}", ep.id, mail.dedup_id))
}

/// An error with its causes ("timed out", "connection refused").
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", TIMEOUT.as_secs());
    }
    let mut out = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_the_documented_one() {
        let mins: Vec<i64> = RETRY_DELAYS_SECS.iter().map(|s| s / 60).collect();
        assert_eq!(mins, vec![0, 5, 30, 120, 300, 600, 600]);
        let job = step_job(&OrgId::generate(), "whk_1", "whd_1", 3, None);
        assert_eq!(job.unique_key.as_deref(), Some("whd_1/step/3"));
    }
}
