//! `Idempotency-Key` records, keyed by credential and key. The row is claimed (state `running`)
//! before the request runs and filled with the response after, so a replay needs no work and a
//! concurrent duplicate sees that the first is still running.

use crate::{Db, on_db};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdemRow {
    pub request_hash: String,
    pub state: String,
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Claims `(credential, key)`; `Ok(true)` when this call owns it. Records created before
/// `stale_before` (of any credential) are dropped first, which is how keys expire; the
/// `created_at` index keeps that cheap.
pub async fn claim(
    db: &Db,
    credential: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    purge(db, stale_before).await?;
    let sql = "INSERT INTO idempotency_keys (credential, idem_key, request_hash, state, created_at) \
               VALUES ($1, $2, $3, 'running', $4) ON CONFLICT (credential, idem_key) DO NOTHING";
    let n = on_db!(db, p => sqlx::query(sql).bind(credential).bind(key).bind(request_hash).bind(now)
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

pub async fn get(db: &Db, credential: &str, key: &str) -> Result<Option<IdemRow>, sqlx::Error> {
    let sql = "SELECT request_hash, state, status, content_type, body, created_at FROM idempotency_keys \
               WHERE credential = $1 AND idem_key = $2";
    on_db!(db, p => sqlx::query_as(sql).bind(credential).bind(key).fetch_optional(p).await)
}

pub async fn finish(
    db: &Db,
    credential: &str,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<(), sqlx::Error> {
    let sql = "UPDATE idempotency_keys SET state = 'done', status = $3, content_type = $4, body = $5 \
               WHERE credential = $1 AND idem_key = $2";
    on_db!(db, p => sqlx::query(sql).bind(credential).bind(key).bind(i32::from(status)).bind(content_type)
        .bind(body).execute(p).await?.rows_affected());
    Ok(())
}

/// Gives the key back (the request failed on our side), so the client may retry with it.
pub async fn release(db: &Db, credential: &str, key: &str) -> Result<(), sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE credential = $1 AND idem_key = $2 AND state = 'running'";
    on_db!(db, p => sqlx::query(sql).bind(credential).bind(key).execute(p).await?.rows_affected());
    Ok(())
}

/// Drops records older than `before`.
pub async fn purge(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE created_at < $1";
    on_db!(db, p => Ok(sqlx::query(sql).bind(before).execute(p).await?.rows_affected()))
}
