//! The durable job queue, which is also the outbox: a job is a row written in the same
//! transaction as the business change that causes it.
//!
//! Workers claim jobs with a lease (`locked_by`, `locked_until`) instead of holding a row lock
//! while the job runs, because SQLite cannot keep a write transaction open that long. A lease
//! that runs out (the worker died) makes the job claimable again; completion is fenced on
//! `(locked_by, attempts)` so a worker that lost its lease cannot overwrite a newer attempt.
//! Delivery to handlers is therefore at-least-once, and handlers are written to be idempotent.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{JobId, OrgId};

pub const DEFAULT_MAX_ATTEMPTS: i32 = 10;

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub org_id: Option<OrgId>,
    /// Jobs with the same kind and key are enqueued once (a second enqueue is a no-op).
    pub unique_key: Option<String>,
    pub payload: serde_json::Value,
    pub max_attempts: i32,
    pub run_at: Option<DateTime<Utc>>,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            org_id: None,
            unique_key: None,
            payload,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: None,
        }
    }

    pub fn for_org(mut self, org: &OrgId) -> Self {
        self.org_id = Some(org.clone());
        self
    }

    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    Created(JobId),
    /// A job with the same kind and unique key already exists.
    Duplicate,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub unique_key: Option<String>,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const JOB_COLS: &str = "id, org_id, kind, unique_key, payload, state, attempts, max_attempts, run_at, \
                        locked_by, locked_until, last_error, created_at, finished_at";

/// A job handed to a worker; `attempts` is this attempt's number (1 for the first run).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Writes a job inside the caller's transaction (the outbox write).
pub async fn enqueue(tx: &mut Tx, job: &NewJob) -> Result<Enqueued, sqlx::Error> {
    let id = JobId::generate();
    let now = crate::now();
    let sql = "INSERT INTO jobs (id, org_id, kind, unique_key, payload, state, attempts, max_attempts, run_at, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $8, $8) \
               ON CONFLICT (kind, unique_key) WHERE unique_key IS NOT NULL DO NOTHING";
    let payload = job.payload.to_string();
    let n = on_tx!(tx, conn => sqlx::query(sql)
        .bind(id.as_str()).bind(job.org_id.as_ref().map(|o| o.as_str())).bind(&job.kind)
        .bind(job.unique_key.as_deref()).bind(&payload).bind(job.max_attempts)
        .bind(job.run_at.map(crate::truncate_micros).unwrap_or(now)).bind(now)
        .execute(conn).await?.rows_affected());
    Ok(if n == 1 {
        Enqueued::Created(id)
    } else {
        Enqueued::Duplicate
    })
}

/// Enqueues many jobs in one transaction (bulk producers, tests, benchmarks).
pub async fn enqueue_many(db: &Db, jobs: &[NewJob]) -> Result<Vec<Enqueued>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        out.push(enqueue(&mut tx, j).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// Leases up to `limit` due jobs to `worker` until `lease_until`. Also picks up jobs whose lease
/// ran out while they still had attempts left.
pub async fn claim(
    db: &Db,
    worker: &str,
    limit: i64,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    // Postgres: SKIP LOCKED lets concurrent claimers pass over each other's rows. SQLite has a
    // single writer, so the plain statement is already atomic.
    const PG: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
        WHERE id IN (SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) \
                     AND attempts < max_attempts ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
        RETURNING id, org_id, kind, payload, attempts, max_attempts";
    const LITE: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
        WHERE id IN (SELECT id FROM jobs WHERE ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) \
                     AND attempts < max_attempts ORDER BY run_at, id LIMIT $4) \
        RETURNING id, org_id, kind, payload, attempts, max_attempts";
    match db {
        Db::Postgres(p) => {
            sqlx::query_as(PG)
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(p)
                .await
        }
        Db::Sqlite(p) => {
            sqlx::query_as(LITE)
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .fetch_all(p)
                .await
        }
    }
}

/// Marks a job done if `worker` still holds this attempt's lease. Returns false when the lease
/// was lost (the job was re-claimed), in which case the newer attempt's outcome stands.
pub async fn complete(db: &Db, job: &ClaimedJob, worker: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, finished_at = $4, updated_at = $4 \
               WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'";
    let n = on_db!(db, pool => sqlx::query(sql)
        .bind(&job.id).bind(worker).bind(job.attempts).bind(now)
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Records a failed attempt: back to `queued` at `retry_at`, or `dead` when `retry_at` is None.
pub async fn fail(
    db: &Db,
    job: &ClaimedJob,
    worker: &str,
    now: DateTime<Utc>,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let error: String = error.chars().take(4000).collect();
    let n = match retry_at {
        Some(at) => {
            let sql = "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, run_at = $5, last_error = $6, updated_at = $4 \
                       WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'";
            on_db!(db, pool => sqlx::query(sql)
                .bind(&job.id).bind(worker).bind(job.attempts).bind(now).bind(crate::truncate_micros(at)).bind(&error)
                .execute(pool).await?.rows_affected())
        }
        None => {
            let sql = "UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, finished_at = $4, last_error = $5, updated_at = $4 \
                       WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'";
            on_db!(db, pool => sqlx::query(sql)
                .bind(&job.id).bind(worker).bind(job.attempts).bind(now).bind(&error)
                .execute(pool).await?.rows_affected())
        }
    };
    Ok(n == 1)
}

/// Extends the leases of the jobs `worker` is still executing, named by `ids`. A job whose
/// handler has finished is left out even while its outcome is not yet written: renewing it would
/// keep it `running` for as long as the process lives, and a crash would then run it again.
pub async fn heartbeat(
    db: &Db,
    worker: &str,
    ids: &[String],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "UPDATE jobs SET locked_until = $2, updated_at = $3 WHERE locked_by = $1 AND state = 'running' AND id IN ({})",
        list.join(", ")
    );
    Ok(on_db!(db, pool => {
        let mut q = sqlx::query(&sql).bind(worker).bind(lease_until).bind(now);
        for id in ids {
            q = q.bind(id);
        }
        q.execute(pool).await?.rows_affected()
    }))
}

/// What earlier attempts of a job left of its e-mail (`mail_state`, written around the send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailMark {
    /// No attempt got as far as sending.
    None,
    /// An attempt marked the send and never recorded how it ended: it may have been delivered.
    Sending,
    /// An attempt recorded the e-mail as handed over; only the job's own outcome is missing.
    Sent,
}

/// Marks the job's e-mail as being sent (before the SMTP call) and tells what earlier attempts
/// left behind, so a second attempt knows it is a re-send or that there is nothing to send.
pub async fn mark_mail_sending(db: &Db, job_id: &str) -> Result<MailMark, sqlx::Error> {
    let sql = "UPDATE jobs SET mail_state = 'sending' WHERE id = $1 AND mail_state IS NULL";
    let fresh = on_db!(db, pool => sqlx::query(sql).bind(job_id).execute(pool).await?.rows_affected());
    if fresh == 1 {
        return Ok(MailMark::None);
    }
    let sql = "SELECT mail_state FROM jobs WHERE id = $1";
    let state: Option<Option<String>> =
        on_db!(db, pool => sqlx::query_scalar(sql).bind(job_id).fetch_optional(pool).await?);
    Ok(match state.flatten().as_deref() {
        Some("sent") => MailMark::Sent,
        Some(_) => MailMark::Sending,
        // The job row is gone (deleted by an operator): send as if new.
        None => MailMark::None,
    })
}

/// Records the job's e-mail as handed over, inside the transaction that records its effect
/// (the invitation's delivery state), so "sent" is durable before the job is acknowledged.
pub async fn mark_mail_sent(tx: &mut Tx, job_id: &str) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => sqlx::query(MARK_MAIL_SENT).bind(job_id).execute(c).await?.rows_affected());
    Ok(())
}

/// Like [`mark_mail_sent`] for senders that record nothing else.
pub async fn mark_mail_sent_now(db: &Db, job_id: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(MARK_MAIL_SENT).bind(job_id).execute(pool).await?.rows_affected());
    Ok(())
}

const MARK_MAIL_SENT: &str = "UPDATE jobs SET mail_state = 'sent' WHERE id = $1";

/// Forgets the mark after the SMTP server refused or could not be reached: nothing went out, so
/// the next attempt is not a re-send.
pub async fn clear_mail_mark(db: &Db, job_id: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE jobs SET mail_state = NULL WHERE id = $1 AND mail_state = 'sending'";
    on_db!(db, pool => sqlx::query(sql).bind(job_id).execute(pool).await?.rows_affected());
    Ok(())
}

/// Gives a job back without an outcome (graceful shutdown ran out of time): due again at once.
pub async fn release(db: &Db, job: &ClaimedJob, worker: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, run_at = $4, updated_at = $4 \
               WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'";
    let n = on_db!(db, pool => sqlx::query(sql)
        .bind(&job.id).bind(worker).bind(job.attempts).bind(now).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Jobs whose lease expired on their last allowed attempt cannot be claimed again: bury them
/// so they show up among the dead instead of staying `running` forever.
pub async fn bury_expired(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, finished_at = $1, updated_at = $1, \
               last_error = COALESCE(last_error, 'worker lost') || ' (lease expired on the last attempt)' \
               WHERE state = 'running' AND locked_until < $1 AND attempts >= max_attempts";
    Ok(on_db!(db, pool => sqlx::query(sql).bind(now).execute(pool).await?.rows_affected()))
}

/// Number of jobs per state (for metrics and `/readyz`-style dashboards).
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let sql = "SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state";
    on_db!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)
}

pub async fn get(db: &Db, id: &JobId) -> Result<Option<JobRow>, sqlx::Error> {
    let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1");
    on_db!(db, pool => sqlx::query_as(&sql).bind(id.as_str()).fetch_optional(pool).await)
}

pub async fn list_by_state(db: &Db, state: &str, limit: i64) -> Result<Vec<JobRow>, sqlx::Error> {
    let sql = format!("SELECT {JOB_COLS} FROM jobs WHERE state = $1 ORDER BY updated_at DESC, id LIMIT $2");
    on_db!(db, pool => sqlx::query_as(&sql).bind(state).bind(limit).fetch_all(pool).await)
}

/// Puts a dead job back in the queue with a fresh attempt budget; the last error is kept until
/// the next attempt overwrites it. Returns false if the job is not dead.
pub async fn retry_dead(db: &Db, id: &JobId, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, finished_at = NULL, updated_at = $2 \
               WHERE id = $1 AND state = 'dead'";
    let n = on_db!(db, pool => sqlx::query(sql).bind(id.as_str()).bind(now).execute(pool).await?.rows_affected());
    Ok(n == 1)
}
