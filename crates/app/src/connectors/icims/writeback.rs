//! Write-back to iCIMS: invitation events (sent, started, completed, expired, cancelled) become
//! one `assessmentresults` entry on the candidate's applicant workflow, created once and then
//! updated in place. Through the outbox: the [`WritebackSink`] only enqueues, the [`Writeback`]
//! job talks to iCIMS.
//!
//! Ordering: write-backs of one invitation hold a short lease on its row, and a job whose event
//! is older than the last one written does nothing — a retried "Sent" never overwrites "Complete".
//! Failures: 429/5xx/network are retried with the worker's backoff; any other refusal (iCIMS's
//! required-field error, a deleted workflow) is parked with iCIMS's message until an admin asks
//! for a retry. Every request counts against the connection's daily budget.

use super::{Connection, Icims, IcimsClient, IcimsError};
use crate::clock::Clock;
use crate::events::{EventSink, InvitationEvent};
use crate::jobs::{JobError, JobHandler, JobInput, SendEmail};
use crate::links::LinkSigner;
use crate::mailer::OutgoingEmail;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::Db;
use shortlist_store::icims_writeback as store;
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::{invitations, positions, users};
use std::sync::Arc;

pub const WRITEBACK_KIND: &str = "icims.writeback";
/// iCIMS DATETIME fields, in UTC.
const DATE_FORMAT: &str = "%Y-%m-%d %I:%M %p";
const LEASE: i64 = 120;

/// Our status name for an invitation event kind, if iCIMS hears about it.
fn status_for(event_kind: &str) -> Option<&'static str> {
    match event_kind {
        "email_sent" => Some("sent"),
        "started" => Some("in_progress"),
        "completed" => Some("complete"),
        // A reviewer's evaluation or decision changes the score on the completed entry.
        "evaluation_submitted" | "decision_set" => Some("complete"),
        "expired" => Some("expired"),
        "cancelled" => Some("cancelled"),
        _ => None,
    }
}

/// The customer's list value for a status; None when the customer has no such value.
fn list_value(c: &Connection, status: &str) -> Option<String> {
    let v = &c.status_values;
    match status {
        "sent" => Some(v.sent.clone()),
        "in_progress" => Some(v.in_progress.clone()),
        "complete" => Some(v.complete.clone()),
        "expired" => v.expired.clone(),
        "cancelled" => v.cancelled.clone(),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn label(status: &str) -> &'static str {
    match status {
        "sent" => "Invited",
        "in_progress" => "In progress",
        "complete" => "Completed",
        "expired" => "Expired",
        _ => "Cancelled",
    }
}

/// The iCIMS applicant workflow id an invitation was created for.
async fn workflow_of(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Option<String>, sqlx::Error> {
    let refs = positions::external_refs(db, org, "invitation", inv.as_str()).await?;
    Ok(refs
        .into_iter()
        .find(|r| r.ats_kind == super::events::ATS_KIND)
        .map(|r| r.external_id))
}

/// Enqueues a write-back job for each invitation event iCIMS should see.
pub struct WritebackSink {
    pub icims: Icims,
}

#[async_trait]
impl EventSink for WritebackSink {
    async fn jobs_for(&self, event: &InvitationEvent) -> Result<Vec<NewJob>, JobError> {
        let Some(status) = status_for(&event.kind) else {
            return Ok(vec![]);
        };
        let Some(conn) = self
            .icims
            .connection_for_org(&event.org)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(vec![]);
        };
        if list_value(&conn, status).is_none() {
            return Ok(vec![]);
        }
        if workflow_of(&self.icims.db, &event.org, &event.invitation)
            .await
            .map_err(JobError::retry)?
            .is_none()
        {
            return Ok(vec![]);
        }
        let payload = json!({
            "invitation_id": event.invitation.as_str(),
            "status": status,
            "event_at": event.at,
            "event_id": event.event_id,
        });
        Ok(vec![
            NewJob::new(WRITEBACK_KIND, payload)
                .for_org(&event.org)
                .unique(event.job_key(WRITEBACK_KIND)),
        ])
    }
}

/// Runs `icims.writeback` jobs.
pub struct Writeback {
    pub icims: Icims,
    pub links: LinkSigner,
    pub clock: Arc<dyn Clock>,
}

enum Done {
    Written,
    /// A newer event was already written.
    Stale,
    /// The day's budget is spent; a copy of the job waits for tomorrow.
    Deferred,
}

enum Failure {
    Icims(IcimsError),
    Db(String),
}

impl Failure {
    fn into_retry(self) -> JobError {
        match self {
            Failure::Icims(e) => JobError::retry(e),
            Failure::Db(e) => JobError::retry(e),
        }
    }
}

impl From<IcimsError> for Failure {
    fn from(e: IcimsError) -> Self {
        Failure::Icims(e)
    }
}
impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Db(e.to_string())
    }
}

/// What one job is about.
struct Task<'a> {
    job: &'a JobInput,
    org: OrgId,
    inv: InvitationId,
    status: String,
    event_at: DateTime<Utc>,
    workflow: String,
}

#[async_trait]
impl JobHandler for Writeback {
    fn kind(&self) -> &'static str {
        WRITEBACK_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let (org, inv) = job.invitation()?;
        let status = job
            .payload
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let event_at = job
            .payload
            .get("event_at")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
            .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("write-back job without a valid event_at")))?;
        let db = &self.icims.db;
        let Some(conn) = self.icims.connection_for_org(&org).await.map_err(JobError::retry)? else {
            return Ok(());
        };
        let (Some(value), Some(workflow)) = (
            list_value(&conn, &status),
            workflow_of(db, &org, &inv).await.map_err(JobError::retry)?,
        ) else {
            return Ok(());
        };
        store::ensure(db, &org, &inv, &workflow)
            .await
            .map_err(JobError::retry)?;
        let now = self.clock.now();
        if !store::try_lock(db, &org, &inv, now, now + Duration::seconds(LEASE))
            .await
            .map_err(JobError::retry)?
        {
            return Err(JobError::retry("another write-back of this invitation is running"));
        }
        let task = Task {
            job,
            org,
            inv,
            status,
            event_at,
            workflow,
        };
        let outcome = self.write(&conn, &task, &value).await;
        let (org, inv) = (&task.org, &task.inv);
        match outcome {
            Ok(Done::Written) => store::written(db, org, inv, &task.status, event_at)
                .await
                .map_err(JobError::retry),
            Ok(Done::Stale | Done::Deferred) => store::unlock(db, org, inv).await.map_err(JobError::retry),
            Err(Failure::Icims(IcimsError::Permanent { status, message })) => {
                let why = format!("iCIMS answered {status}: {message}");
                tracing::warn!(invitation = %inv.as_str(), %why, "iCIMS write-back parked");
                store::park(db, org, inv, &task.status, event_at, &why)
                    .await
                    .map_err(JobError::retry)?;
                self.tell_parked(&task, &why).await.map_err(Failure::into_retry)
            }
            Err(e) => {
                let _ = store::unlock(db, org, inv).await;
                Err(e.into_retry())
            }
        }
    }
}

impl Writeback {
    async fn write(&self, conn: &Connection, t: &Task<'_>, value: &str) -> Result<Done, Failure> {
        let db = &self.icims.db;
        let Some(row) = store::get(db, &t.org, &t.inv).await? else {
            return Ok(Done::Stale);
        };
        if row.written_event_at.is_some_and(|w| w > t.event_at) {
            return Ok(Done::Stale);
        }
        let Some(inv) = invitations::get(db, &t.org, &t.inv).await? else {
            return Ok(Done::Stale);
        };
        let client = self.icims.client(conn).map_err(|e| IcimsError::Permanent {
            status: 0,
            message: e.to_string(),
        })?;
        let url = self.links.review_url(t.inv.as_str());
        let score = crate::review::evaluate::average_score(db, &t.org, &t.inv)
            .await
            .map_err(|e| Failure::Db(e.to_string()))?;
        // The entry's date is when the interview was completed, not when a reviewer scored it.
        let at = match (t.status.as_str(), inv.completed_at) {
            ("complete", Some(done)) => done,
            _ => t.event_at,
        };
        let mut entry = entry_json(&inv.template_key, &inv.position_title, &t.status, value, at, &url);
        if let Some(score) = score {
            entry["assessmentscore"] = json!((score * 100.0).round() / 100.0);
        }
        let path = format!("applicantworkflows/{}", t.workflow);

        let mut entry_id = row.entry_id;
        if entry_id.is_none() {
            // A crash after creating the entry must not create a second one: look for ours first.
            if !self.spend(conn, t).await? {
                return Ok(Done::Deferred);
            }
            entry_id = find_entry(&client, &path, &url).await?;
            if entry_id.is_none() {
                if !self.spend(conn, t).await? {
                    return Ok(Done::Deferred);
                }
                patch(&client, &path, json!({"assessmentresults": [entry]})).await?;
                if !self.spend(conn, t).await? {
                    return Ok(Done::Deferred);
                }
                let created = find_entry(&client, &path, &url).await?;
                let created =
                    created.ok_or_else(|| IcimsError::Retryable("the new entry is not visible yet".into()))?;
                store::set_entry(db, &t.org, &t.inv, &created).await?;
                return Ok(Done::Written);
            }
        }
        let Some(id) = entry_id else { return Ok(Done::Stale) };
        store::set_entry(db, &t.org, &t.inv, &id).await?;
        if !self.spend(conn, t).await? {
            return Ok(Done::Deferred);
        }
        entry["entry"] = id.parse::<u64>().map(Value::from).unwrap_or(Value::String(id));
        patch(&client, &path, json!({"assessmentresults": [entry]})).await?;
        Ok(Done::Written)
    }

    /// Counts one request against today's budget. False when it is spent: the job is re-enqueued
    /// for the start of the next UTC day. Crossing 80 % e-mails the organisation's admins once.
    async fn spend(&self, conn: &Connection, t: &Task<'_>) -> Result<bool, Failure> {
        let db = &self.icims.db;
        let now = self.clock.now();
        let day = now.format("%Y-%m-%d").to_string();
        let n = store::count_request(db, conn.id.as_str(), &day).await?;
        let budget = conn.daily_budget.max(1);
        if n * 5 >= budget * 4 && store::claim_warning(db, conn.id.as_str(), &day).await? {
            self.warn_admins(conn, &day, n, budget).await?;
        }
        if n <= budget {
            return Ok(true);
        }
        let tomorrow = (now + Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc());
        let mut again = NewJob::new(WRITEBACK_KIND, t.job.payload.clone())
            .for_org(&t.org)
            .unique(format!("{}/after-budget/{day}", t.job.id));
        again.run_at = tomorrow;
        let mut tx = db.begin().await?;
        jobq::enqueue(&mut tx, &again).await?;
        tx.commit().await?;
        tracing::warn!(connection = %conn.id.as_str(), "iCIMS daily request budget spent; write-back waits for tomorrow");
        Ok(false)
    }

    async fn warn_admins(&self, conn: &Connection, day: &str, n: i64, budget: i64) -> Result<(), Failure> {
        let subject = format!("iCIMS: {n} of {budget} daily API calls used");
        let text = format!(
            "Shortlist has made {n} of the {budget} calls to iCIMS (customer {}) it may make on {day} (UTC).\n\
             At the limit, write-backs to iCIMS wait until the next day. Raise the daily budget if your \
             iCIMS contract allows more calls.",
            conn.customer_id
        );
        mail_admins(
            &self.icims.db,
            &conn.org_id,
            &subject,
            &text,
            &format!("icims-budget/{}/{day}", conn.id.as_str()),
        )
        .await
    }

    /// Tells the organisation's admins that a write-back was parked, with iCIMS's own words.
    async fn tell_parked(&self, t: &Task<'_>, why: &str) -> Result<(), Failure> {
        let subject = format!("iCIMS refused a write-back for {}", t.inv.as_str());
        let text = format!(
            "Shortlist could not update applicant workflow {} in iCIMS ({} status).\n{why}\n\n\
             Nothing more is sent for this candidate until an admin retries it: Settings → iCIMS, or \
             `shortlist admin icims retry-writeback --org {} --invitation {}`.",
            t.workflow,
            label(&t.status),
            t.org.as_str(),
            t.inv.as_str()
        );
        let key = format!("icims-parked/{}/{}", t.inv.as_str(), t.event_at.timestamp_micros());
        mail_admins(&self.icims.db, &t.org, &subject, &text, &key).await
    }
}

/// One e-mail job per active admin of the organisation; `key` keeps a retried call from mailing twice.
async fn mail_admins(db: &Db, org: &OrgId, subject: &str, text: &str, key: &str) -> Result<(), Failure> {
    let admins = users::list(db, org).await?;
    let jobs: Vec<NewJob> = admins
        .into_iter()
        .filter(|u| u.role == "admin" && u.disabled_at.is_none())
        .map(|u| {
            let mail = OutgoingEmail {
                to: u.email.clone(),
                subject: subject.to_string(),
                text: text.to_string(),
                dedup_id: format!("{key}/{}", u.id).replace('/', "-"),
                html: None,
                reply_to: None,
            };
            NewJob::new(SendEmail::KIND, json!(mail))
                .for_org(org)
                .unique(format!("{key}/{}", u.id))
        })
        .collect();
    jobq::enqueue_many(db, &jobs).await?;
    Ok(())
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The `assessmentresults` entry for a status. The date is the event's, so a retried create
/// sends identical content (iCIMS then refuses the duplicate silently).
fn entry_json(template: &str, position: &str, status: &str, value: &str, at: DateTime<Utc>, url: &str) -> Value {
    let date = at.format(DATE_FORMAT).to_string();
    json!({
        "assessmentname": {"value": template},
        "assessmentstatus": {"id": value},
        "assessmentresult": clip(label(status), 128),
        "assessmentnotes": clip(&format!("{} · {position} · {template} · {date} UTC", label(status)), 192),
        "assessmentdate": date,
        "assessmenturl": url,
    })
}

async fn patch(client: &IcimsClient, path: &str, body: Value) -> Result<(), IcimsError> {
    let rb = client.request(Method::PATCH, path).await?.json(&body);
    client.send(rb).await.map(|_| ())
}

/// The id of the entry whose `assessmenturl` is ours, if the workflow has one.
async fn find_entry(client: &IcimsClient, path: &str, url: &str) -> Result<Option<String>, IcimsError> {
    let rb = client
        .request(Method::GET, path)
        .await?
        .query(&[("fields", "assessmentresults")]);
    let resp = client.send(rb).await?;
    let v: Value = resp
        .json()
        .await
        .map_err(|e| IcimsError::Retryable(format!("unreadable workflow: {e}")))?;
    let entries = v
        .get("assessmentresults")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(entries
        .iter()
        .find(|e| e.get("assessmenturl").and_then(Value::as_str) == Some(url))
        .and_then(|e| match e.get("entry") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }))
}

/// Puts a parked write-back back in the queue (admin's "retry" on request).
pub async fn retry_parked(icims: &Icims, org: &OrgId, inv: &InvitationId) -> Result<bool, sqlx::Error> {
    let Some(row) = store::get(&icims.db, org, inv).await? else {
        return Ok(false);
    };
    let (Some(status), Some(at), Some(parked_at)) = (row.parked_kind, row.parked_event_at, row.parked_at) else {
        return Ok(false);
    };
    let payload = json!({"invitation_id": inv.as_str(), "status": status, "event_at": at});
    let job = NewJob::new(WRITEBACK_KIND, payload).for_org(org).unique(format!(
        "icims-retry/{}/{}",
        inv.as_str(),
        parked_at.timestamp_micros()
    ));
    let mut tx = icims.db.begin().await?;
    jobq::enqueue(&mut tx, &job).await?;
    tx.commit().await?;
    Ok(true)
}
