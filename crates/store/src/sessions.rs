//! Server-side sessions: the cookie carries a random token, the database only its SHA-256, so a
//! leaked database does not let anyone sign in. Rows are shared by every instance.

use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::{OrgId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub org_id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(db: &Db, row: &SessionRow) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO sessions (token_hash, org_id, user_id, csrf_token, created_at, last_seen_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_db!(db, pool => sqlx::query(sql)
        .bind(&row.token_hash).bind(&row.org_id).bind(&row.user_id).bind(&row.csrf_token)
        .bind(row.created_at).bind(row.last_seen_at).bind(row.expires_at)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The session for a token hash, if it has not expired.
pub async fn find_live(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRow>, sqlx::Error> {
    let sql = "SELECT token_hash, org_id, user_id, csrf_token, created_at, last_seen_at, expires_at \
               FROM sessions WHERE token_hash = $1 AND expires_at > $2";
    on_db!(db, pool => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(pool).await)
}

pub async fn touch(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1";
    on_db!(db, pool => sqlx::query(sql).bind(token_hash).bind(now).bind(expires_at).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends every session of a user except, optionally, the one making the request (password change).
pub async fn delete_for_user(db: &Db, org: &OrgId, user: &UserId, keep: Option<&str>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM sessions WHERE org_id = $1 AND user_id = $2 AND token_hash <> $3";
    let n = on_db!(db, pool => sqlx::query(sql)
        .bind(org.as_str()).bind(user.as_str()).bind(keep.unwrap_or(""))
        .execute(pool).await?.rows_affected());
    Ok(n)
}
