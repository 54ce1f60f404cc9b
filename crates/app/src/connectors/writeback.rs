//! Write-back, shared by every connector: invitation events become `ats.writeback` jobs (the
//! [`WritebackSink`] only enqueues, in the event's transaction), and the [`Writeback`] job hands
//! each to its connector under a lease, a daily request budget and one failure policy.
//!
//! Ordering: write-backs of one invitation hold a short lease on its row, and a job whose event
//! is older than the last one written does nothing — a retried "Sent" never overwrites "Complete".
//! Failures: 429/5xx/network are retried with the worker's backoff; any other refusal is parked
//! with the ATS's own message, the organisation's admins are e-mailed, and nothing more is sent
//! for that invitation until an admin retries it.

use super::registry::{Outcome, Status, WriteError};
use super::{AtsConnection, Registry, Shared};
use crate::clock::Clock;
use crate::events::{EventSink, InvitationEvent};
use crate::jobs::{JobError, JobHandler, JobInput, SendEmail};
use crate::links::LinkSigner;
use crate::mailer::OutgoingEmail;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::ats_writeback as store;
use shortlist_store::invitations::InvitationRow;
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::{Db, invitations, positions, users};
use std::sync::Arc;

pub const WRITEBACK_KIND: &str = "ats.writeback";
const LEASE: i64 = 120;

/// One status to write for one invitation, under the runner's lease.
pub struct WriteJob<'a> {
    pub conn: &'a AtsConnection,
    pub org: &'a OrgId,
    pub invitation: &'a InvitationRow,
    pub status: Status,
    pub event_at: DateTime<Utc>,
    /// The ATS's id of what we write to (iCIMS applicant workflow, Greenhouse instance URL).
    pub external_ref: &'a str,
    /// What we created there on an earlier write (iCIMS entry id), kept across retries.
    pub handle: Option<String>,
    pub outcome: Outcome,
    db: &'a Db,
    clock: &'a dyn Clock,
    job: &'a JobInput,
    inv_id: &'a InvitationId,
}

impl WriteJob<'_> {
    /// Counts one request against today's budget; `Err(BudgetSpent)` when it is used up (the
    /// runner re-queues the job for the next UTC day). Crossing 80 % e-mails the admins once.
    pub async fn spend(&self) -> Result<(), WriteError> {
        let now = self.clock.now();
        let day = now.format("%Y-%m-%d").to_string();
        let conn = self.conn;
        let n = store::count_request(self.db, conn.id.as_str(), &day).await?;
        let budget = conn.daily_budget.max(1);
        if n * 5 >= budget * 4 && store::claim_warning(self.db, conn.id.as_str(), &day).await? {
            let subject = format!("{}: {n} of {budget} daily API calls used", conn.kind);
            let text = format!(
                "Shortlist has made {n} of the {budget} calls to {} (account {}) it may make on {day} (UTC).\n\
                 At the limit, write-backs wait until the next day. Raise the daily budget if your \
                 contract allows more calls.",
                conn.kind, conn.tenant_ref
            );
            let key = format!("ats-budget/{}/{day}", conn.id.as_str());
            mail_admins(self.db, self.org, &subject, &text, &key).await?;
        }
        if n <= budget {
            return Ok(());
        }
        let tomorrow = (now + Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc());
        let mut again = NewJob::new(WRITEBACK_KIND, self.job.payload.clone())
            .for_org(self.org)
            .unique(format!("{}/after-budget/{day}", self.job.id));
        again.run_at = tomorrow;
        let mut tx = self.db.begin().await.map_err(|e| WriteError::Retry(e.to_string()))?;
        jobq::enqueue(&mut tx, &again).await?;
        tx.commit().await?;
        tracing::warn!(connection = %conn.id.as_str(), "daily ATS request budget spent; write-back waits for tomorrow");
        Err(WriteError::BudgetSpent)
    }

    /// Remembers what we created in the ATS as soon as it is known, so a crash right after
    /// cannot create a second one.
    pub async fn save_handle(&mut self, handle: &str) -> Result<(), WriteError> {
        let t = store::Target {
            org: self.org,
            inv: self.inv_id,
            external_ref: self.external_ref,
        };
        store::set_handle(self.db, t, handle).await?;
        self.handle = Some(handle.to_string());
        Ok(())
    }
}

/// The ATS references (kind, connection, id) an invitation stands for: usually one; more when a
/// second order was answered with it (a replay under another reference, a reused result).
async fn ats_refs_of(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Vec<positions::ExternalRef>, sqlx::Error> {
    let refs = positions::external_refs(db, org, "invitation", inv.as_str()).await?;
    Ok(refs.into_iter().filter(|r| !r.connection_id.is_empty()).collect())
}

/// A write-back job for one status of one invitation at one ATS reference.
pub(crate) fn job_for(
    org: &OrgId,
    inv: &InvitationId,
    r: &positions::ExternalRef,
    status: Status,
    event_at: DateTime<Utc>,
    unique: String,
) -> NewJob {
    let payload = json!({
        "invitation_id": inv.as_str(),
        "status": status.as_str(),
        "event_at": event_at,
        "connection_id": r.connection_id,
        "external_ref": r.external_id,
    });
    NewJob::new(WRITEBACK_KIND, payload).for_org(org).unique(unique)
}

/// Enqueues a write-back job for each invitation event its ATS should hear about.
pub struct WritebackSink {
    pub shared: Shared,
    pub registry: Registry,
}

#[async_trait]
impl EventSink for WritebackSink {
    async fn jobs_for(&self, event: &InvitationEvent) -> Result<Vec<NewJob>, JobError> {
        let Some(status) = Status::from_event(&event.kind) else {
            return Ok(vec![]);
        };
        let db = &self.shared.db;
        let mut jobs = vec![];
        for r in ats_refs_of(db, &event.org, &event.invitation)
            .await
            .map_err(JobError::retry)?
        {
            let Some(conn) = self
                .shared
                .connection_by_id(&event.org, &r.connection_id)
                .await
                .map_err(JobError::retry)?
            else {
                continue;
            };
            let Some(connector) = self.registry.get(&conn.kind) else {
                continue;
            };
            if !connector.writes(&conn, status) {
                continue;
            }
            let unique = format!("{}/{}", event.job_key(WRITEBACK_KIND), r.external_id);
            jobs.push(job_for(&event.org, &event.invitation, &r, status, event.at, unique));
        }
        Ok(jobs)
    }
}

/// Runs `ats.writeback` jobs.
pub struct Writeback {
    pub shared: Shared,
    pub registry: Registry,
    pub links: LinkSigner,
    pub clock: Arc<dyn Clock>,
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
            .and_then(Status::parse)
            .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("write-back job without a known status")))?;
        let event_at = job
            .payload
            .get("event_at")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
            .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("write-back job without a valid event_at")))?;
        let db = &self.shared.db;
        let refs = ats_refs_of(db, &org, &inv).await.map_err(JobError::retry)?;
        // Jobs name their reference; ones queued before references were named mean the latest.
        let named = job.payload.get("external_ref").and_then(Value::as_str);
        let r = match named {
            Some(id) => refs.into_iter().find(|r| {
                r.external_id == id
                    && job.payload.get("connection_id").and_then(Value::as_str) == Some(r.connection_id.as_str())
            }),
            None => refs.into_iter().last(),
        };
        let Some(r) = r else {
            return Ok(());
        };
        let Some(conn) = self
            .shared
            .connection_by_id(&org, &r.connection_id)
            .await
            .map_err(JobError::retry)?
        else {
            return Ok(());
        };
        let Some(connector) = self.registry.get(&conn.kind).cloned() else {
            return Ok(());
        };
        if !connector.writes(&conn, status) {
            return Ok(());
        }
        let t = store::Target {
            org: &org,
            inv: &inv,
            external_ref: &r.external_id,
        };
        store::ensure(db, t, conn.id.as_str()).await.map_err(JobError::retry)?;
        let now = self.clock.now();
        if !store::try_lock(db, t, now, now + Duration::seconds(LEASE))
            .await
            .map_err(JobError::retry)?
        {
            return Err(JobError::retry("another write-back of this invitation is running"));
        }
        let result = self.write(&*connector, &conn, job, t, status, event_at).await;
        match result {
            Ok(true) => store::written(db, t, status.as_str(), event_at)
                .await
                .map_err(JobError::retry),
            Ok(false) | Err(WriteError::BudgetSpent) => store::unlock(db, t).await.map_err(JobError::retry),
            Err(WriteError::Rejected { status: code, message }) => {
                let why = format!("{} answered {code}: {message}", connector.label());
                tracing::warn!(invitation = %inv.as_str(), %why, "write-back parked");
                store::park(db, t, status.as_str(), event_at, &why)
                    .await
                    .map_err(JobError::retry)?;
                self.tell_parked(&conn, connector.label(), t, status, event_at, &why)
                    .await
                    .map_err(JobError::retry)
            }
            Err(WriteError::Retry(e)) => {
                let _ = store::unlock(db, t).await;
                Err(JobError::retry(e))
            }
        }
    }
}

impl Writeback {
    /// `Ok(false)` when there is nothing (more) to write: a newer event was written already.
    async fn write(
        &self,
        connector: &dyn super::Connector,
        conn: &AtsConnection,
        job: &JobInput,
        t: store::Target<'_>,
        status: Status,
        event_at: DateTime<Utc>,
    ) -> Result<bool, WriteError> {
        let db = &self.shared.db;
        let (org, inv, external_ref) = (t.org, t.inv, t.external_ref);
        let Some(row) = store::get(db, t).await? else {
            return Ok(false);
        };
        if row.written_event_at.is_some_and(|w| w > event_at) {
            return Ok(false);
        }
        let Some(invitation) = invitations::get(db, org, inv).await? else {
            return Ok(false);
        };
        let outcome = outcome_of(&self.shared, &self.links, org, &invitation).await?;
        let mut w = WriteJob {
            conn,
            org,
            invitation: &invitation,
            status,
            event_at,
            external_ref,
            handle: row.handle,
            outcome,
            db,
            clock: &*self.clock,
            job,
            inv_id: inv,
        };
        connector.write(&mut w).await?;
        Ok(true)
    }

    /// Tells the organisation's admins that a write-back was parked, with the ATS's own words.
    async fn tell_parked(
        &self,
        conn: &AtsConnection,
        label: &str,
        t: store::Target<'_>,
        status: Status,
        event_at: DateTime<Utc>,
        why: &str,
    ) -> Result<(), WriteError> {
        let (org, inv, external_ref) = (t.org, t.inv, t.external_ref);
        let subject = format!("{label} refused a write-back for {}", inv.as_str());
        let text = format!(
            "Shortlist could not update {external_ref} in {label} ({} status).\n{why}\n\n\
             Nothing more is sent for this candidate until an admin retries it: Settings → Integrations, or \
             `shortlist admin {} retry-writeback --org {} --invitation {}`.",
            status.label(),
            conn.kind,
            org.as_str(),
            inv.as_str()
        );
        let key = format!("ats-parked/{}/{}", inv.as_str(), event_at.timestamp_micros());
        mail_admins(&self.shared.db, org, &subject, &text, &key).await
    }
}

/// The result as an ATS receives it: the reviewers' average score and count, the interview URL,
/// the date.
pub async fn outcome_of(
    shared: &Shared,
    links: &LinkSigner,
    org: &OrgId,
    inv: &InvitationRow,
) -> Result<Outcome, WriteError> {
    let id = InvitationId::parse(&inv.id).map_err(|e| WriteError::Retry(e.0))?;
    let (score, reviews) = shortlist_store::review::average(&shared.db, org, &id).await?;
    Ok(Outcome {
        score,
        reviews,
        review_url: links.review_url(&inv.id),
        completed_at: inv.completed_at,
    })
}

/// How the runner reads an ATS's answer to a write request: 2xx written; no answer, 429 or 5xx
/// retried with backoff; anything else refused on the merits (parked), with the ATS's own words.
pub async fn http_outcome(ats: &str, sent: reqwest::Result<reqwest::Response>) -> Result<(), WriteError> {
    let resp = sent.map_err(|e| WriteError::Retry(format!("{ats} could not be reached: {e}")))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let body = crate::outbound::read_capped(resp, 64 * 1024).await.unwrap_or_default();
    let text = crate::outbound::short_reason(&String::from_utf8_lossy(&body), 200);
    if status.as_u16() == 429 || status.is_server_error() {
        return Err(WriteError::Retry(format!("{ats} answered {status}: {text}")));
    }
    Err(WriteError::Rejected {
        status: status.as_u16(),
        message: text,
    })
}

/// One e-mail job per active admin of the organisation; `key` keeps a retried call from mailing twice.
pub(crate) async fn mail_admins(db: &Db, org: &OrgId, subject: &str, text: &str, key: &str) -> Result<(), WriteError> {
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

/// Puts the invitation's parked write-backs back in the queue (an admin's "retry"); false when
/// none was parked.
pub async fn retry_parked(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<bool, sqlx::Error> {
    let mut jobs = vec![];
    for row in store::for_invitation(db, org, inv).await? {
        let (Some(status), Some(at), Some(parked_at)) = (row.parked_kind, row.parked_event_at, row.parked_at) else {
            continue;
        };
        let Some(status) = Status::parse(&status) else { continue };
        let r = positions::ExternalRef {
            ats_kind: String::new(),
            connection_id: row.connection_id,
            external_id: row.external_ref,
        };
        let unique = format!(
            "ats-retry/{}/{}/{}",
            inv.as_str(),
            r.external_id,
            parked_at.timestamp_micros()
        );
        jobs.push(job_for(org, inv, &r, status, at, unique));
    }
    if jobs.is_empty() {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    for j in &jobs {
        jobq::enqueue(&mut tx, j).await?;
    }
    tx.commit().await?;
    Ok(true)
}
