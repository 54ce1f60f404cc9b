//! `Idempotency-Key` records, keyed by credential and key. The row is claimed (state `running`,
//! with an owner and a lease) before the request runs and filled with the response after, so a
//! replay needs no work and a concurrent duplicate sees that the first is still running. The
//! owner renews the lease while it works; once it lapses (the owner died or lost the database),
//! the next request with the same key and body takes the record over and runs.

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
    pub lease_until: Option<DateTime<Utc>>,
}

/// What claiming a key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: this request owns it.
    New,
    /// The key was in progress under a lapsed lease: this request owns it now and runs again.
    TakenOver,
    /// Someone else holds it (running under a live lease, or done): read it with [`get`].
    Held,
}

/// One claim attempt by `owner` for `(credential, key)`, leased until `lease_until`.
pub struct ClaimReq<'a> {
    pub credential: &'a str,
    pub key: &'a str,
    pub request_hash: &'a str,
    pub owner: &'a str,
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    /// Records created before this (of any credential) are dropped first: that is how keys expire.
    pub stale_before: DateTime<Utc>,
    /// A running record from before leases existed counts as lapsed when created before this.
    pub legacy_lapsed_before: DateTime<Utc>,
}

/// Claims the key, taking over a running record whose lease has lapsed when the request is the
/// same (a different request is the caller's 422, so it must not take the record).
pub async fn claim(db: &Db, c: &ClaimReq<'_>) -> Result<Claim, sqlx::Error> {
    purge(db, c.stale_before).await?;
    let insert = "INSERT INTO idempotency_keys \
                  (credential, idem_key, request_hash, state, created_at, owner, lease_until) \
                  VALUES ($1, $2, $3, 'running', $4, $5, $6) ON CONFLICT (credential, idem_key) DO NOTHING";
    let n = on_db!(db, p => sqlx::query(insert).bind(c.credential).bind(c.key).bind(c.request_hash).bind(c.now)
        .bind(c.owner).bind(c.lease_until).execute(p).await?.rows_affected());
    if n == 1 {
        return Ok(Claim::New);
    }
    let take = "UPDATE idempotency_keys SET owner = $3, lease_until = $4 \
                WHERE credential = $1 AND idem_key = $2 AND state = 'running' AND request_hash = $5 \
                AND ((lease_until IS NULL AND created_at < $6) OR lease_until < $7)";
    let n = on_db!(db, p => sqlx::query(take).bind(c.credential).bind(c.key).bind(c.owner).bind(c.lease_until)
        .bind(c.request_hash).bind(c.legacy_lapsed_before).bind(c.now).execute(p).await?.rows_affected());
    Ok(if n == 1 { Claim::TakenOver } else { Claim::Held })
}

pub async fn get(db: &Db, credential: &str, key: &str) -> Result<Option<IdemRow>, sqlx::Error> {
    let sql = "SELECT request_hash, state, status, content_type, body, created_at, lease_until \
               FROM idempotency_keys WHERE credential = $1 AND idem_key = $2";
    on_db!(db, p => sqlx::query_as(sql).bind(credential).bind(key).fetch_optional(p).await)
}

/// Extends the owner's lease; `Ok(false)` when the record is no longer this owner's.
pub async fn renew(
    db: &Db,
    credential: &str,
    key: &str,
    owner: &str,
    lease_until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE idempotency_keys SET lease_until = $4 \
               WHERE credential = $1 AND idem_key = $2 AND owner = $3 AND state = 'running'";
    let n = on_db!(db, p => sqlx::query(sql).bind(credential).bind(key).bind(owner).bind(lease_until)
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// The answer to keep. Fenced by owner: a request whose key was taken over does not overwrite
/// the answer of the request that took it.
pub struct Finished<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a str,
}

pub async fn finish(db: &Db, credential: &str, key: &str, owner: &str, f: &Finished<'_>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE idempotency_keys SET state = 'done', status = $4, content_type = $5, body = $6, \
               lease_until = NULL WHERE credential = $1 AND idem_key = $2 AND owner = $3 AND state = 'running'";
    let n = on_db!(db, p => sqlx::query(sql).bind(credential).bind(key).bind(owner).bind(i32::from(f.status))
        .bind(f.content_type).bind(f.body).execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Gives the key back (the request failed on our side), so the client may retry with it.
pub async fn release(db: &Db, credential: &str, key: &str, owner: &str) -> Result<(), sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE credential = $1 AND idem_key = $2 AND owner = $3 \
               AND state = 'running'";
    on_db!(db, p => sqlx::query(sql).bind(credential).bind(key).bind(owner).execute(p).await?.rows_affected());
    Ok(())
}

/// Drops records older than `before`.
pub async fn purge(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE created_at < $1";
    on_db!(db, p => Ok(sqlx::query(sql).bind(before).execute(p).await?.rows_affected()))
}
