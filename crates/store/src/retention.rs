//! Deleting finished work that nobody needs any more: done and dead jobs, expired
//! `Idempotency-Key` records, and old webhook deliveries with their attempts.
//!
//! Every function deletes at most `limit` rows per call so one statement never holds the
//! database (SQLite has a single writer) for long; the housekeeping job calls them in a loop.

use crate::{Db, on_db, on_tx};
use chrono::{DateTime, Utc};

/// Deletes up to `limit` jobs in `state` (`done` or `dead`) that finished before `before`.
/// Queued and running jobs are never touched, whatever their age.
pub async fn delete_finished_jobs(db: &Db, state: &str, before: DateTime<Utc>, limit: i64) -> Result<u64, sqlx::Error> {
    debug_assert!(state == "done" || state == "dead");
    let sql = "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = $1 AND finished_at < $2 \
               ORDER BY finished_at LIMIT $3) AND state = $1";
    Ok(on_db!(db, p => sqlx::query(sql).bind(state).bind(before).bind(limit).execute(p).await?.rows_affected()))
}

/// Deletes up to `limit` Idempotency-Key records created before `before`.
pub async fn delete_idempotency_keys(db: &Db, before: DateTime<Utc>, limit: i64) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE (credential, idem_key) IN \
               (SELECT credential, idem_key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2)";
    Ok(on_db!(db, p => sqlx::query(sql).bind(before).bind(limit).execute(p).await?.rows_affected()))
}

/// Deletes up to `limit` webhook deliveries last changed before `before`, with their attempts.
/// Pending deliveries stay (a retry or redelivery is still coming), and so does the newest
/// delivery of every endpoint, so its log always shows how the endpoint last fared.
pub async fn delete_webhook_deliveries(db: &Db, before: DateTime<Utc>, limit: i64) -> Result<u64, sqlx::Error> {
    let pick = "SELECT d.id FROM webhook_deliveries d WHERE d.state <> 'pending' AND d.updated_at < $1 \
                AND EXISTS (SELECT 1 FROM webhook_deliveries n WHERE n.org_id = d.org_id AND n.endpoint_id = d.endpoint_id \
                            AND (n.created_at > d.created_at OR (n.created_at = d.created_at AND n.id > d.id))) \
                ORDER BY d.updated_at LIMIT $2";
    let ids: Vec<String> = on_db!(db, p => sqlx::query_scalar(pick).bind(before).bind(limit).fetch_all(p).await)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let marks = marks.join(", ");
    // Attempts first (they reference the delivery), both in one transaction.
    // Re-checked here: a delivery redelivered since the pick is pending again and stays whole.
    let attempts = format!(
        "DELETE FROM webhook_attempts WHERE delivery_id IN \
         (SELECT id FROM webhook_deliveries WHERE id IN ({marks}) AND state <> 'pending')"
    );
    let deliveries = format!("DELETE FROM webhook_deliveries WHERE id IN ({marks}) AND state <> 'pending'");
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, c => {
        let mut q = sqlx::query(&attempts);
        for id in &ids {
            q = q.bind(id);
        }
        q.execute(c).await?.rows_affected()
    });
    let n = on_tx!(&mut tx, c => {
        let mut q = sqlx::query(&deliveries);
        for id in &ids {
            q = q.bind(id);
        }
        q.execute(c).await?.rows_affected()
    });
    tx.commit().await?;
    Ok(n)
}
