//! Jobs that run once an hour as a chain: each run enqueues its successor under a key named after
//! the hour it is due, so any number of workers and restarts keep exactly one chain.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use shortlist_store::Db;
use shortlist_store::jobs::{self as jobq, NewJob};

/// The start of the hour `now` is in.
pub fn this_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now)
}

/// The run of `kind` due at `hour` (a no-op to enqueue when it exists).
fn run_job(kind: &str, hour: DateTime<Utc>) -> NewJob {
    let mut j = NewJob::new(kind, serde_json::json!({}))
        .unique(hour.format("%Y-%m-%dT%HZ").to_string())
        .max_attempts(3);
    j.run_at = Some(hour);
    j
}

/// Enqueues the run of `kind` due at `hour`, in a transaction of its own.
pub async fn enqueue(db: &Db, kind: &str, hour: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    jobq::enqueue(&mut tx, &run_job(kind, hour)).await?;
    tx.commit().await
}
