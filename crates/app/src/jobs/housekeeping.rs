//! Housekeeping: a job that runs once an hour and deletes finished work past its retention
//! window, as an hourly chain ([`hourly`]).

use super::{JobError, JobHandler, JobInput, hourly};
use crate::clock::Clock;
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use shortlist_store::Db;
use shortlist_store::retention as store;
use std::sync::Arc;

pub const KIND: &str = "housekeeping";

/// Rows deleted per statement: small enough that other writers barely wait on SQLite.
const BATCH: i64 = 500;
/// Batches per table per run; what is left waits for the next hour (bounded work per job).
const MAX_BATCHES: usize = 200;

/// How long finished work is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub done_jobs: TimeDelta,
    /// Longer than done jobs: administrators look at dead jobs to find out what went wrong.
    pub dead_jobs: TimeDelta,
    pub idempotency_keys: TimeDelta,
    pub webhook_deliveries: TimeDelta,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            done_jobs: TimeDelta::days(7),
            dead_jobs: TimeDelta::days(30),
            idempotency_keys: TimeDelta::hours(24),
            webhook_deliveries: TimeDelta::days(30),
        }
    }
}

/// Starts the chain at boot (a no-op when this hour's run exists).
pub async fn start(db: &Db, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    hourly::enqueue(db, KIND, hourly::this_hour(now)).await
}

pub struct Housekeeping {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub retention: Retention,
}

#[async_trait]
impl JobHandler for Housekeeping {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, _job: &JobInput) -> Result<(), JobError> {
        let now = self.clock.now();
        hourly::enqueue(&self.db, KIND, hourly::this_hour(now) + TimeDelta::hours(1))
            .await
            .map_err(JobError::retry)?;
        let r = &self.retention;
        let db = &self.db;
        let done = drain(|| store::delete_finished_jobs(db, "done", now - r.done_jobs, BATCH)).await?;
        let dead = drain(|| store::delete_finished_jobs(db, "dead", now - r.dead_jobs, BATCH)).await?;
        let idem = drain(|| store::delete_idempotency_keys(db, now - r.idempotency_keys, BATCH)).await?;
        let hooks = drain(|| store::delete_webhook_deliveries(db, now - r.webhook_deliveries, BATCH)).await?;
        tracing::info!(
            done,
            dead,
            idempotency_keys = idem,
            webhook_deliveries = hooks,
            "housekeeping"
        );
        Ok(())
    }
}

/// Calls `batch` until it deletes less than a full batch or the per-run bound is reached.
async fn drain<F, Fut>(mut batch: F) -> Result<u64, JobError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, sqlx::Error>>,
{
    let mut total = 0;
    for _ in 0..MAX_BATCHES {
        let n = batch().await.map_err(JobError::retry)?;
        total += n;
        if n < BATCH as u64 {
            break;
        }
    }
    Ok(total)
}
