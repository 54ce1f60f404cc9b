//! Resumable uploads (tus): the upload rows, the parts staged while bytes arrive, and the answer
//! takes a completed upload produces.
//!
//! A PATCH holds its upload with a lease (`lock_token`, `locked_until`) taken by a conditional
//! UPDATE, so two instances behind one load balancer cannot both append to the same upload.
//! Every write a holder makes is fenced on its token and on the offset it started from.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadRow {
    pub id: String,
    pub org_id: String,
    pub invitation_id: String,
    pub question_id: String,
    pub take: i32,
    pub filetype: String,
    pub filename: Option<String>,
    pub upload_length: i64,
    pub upload_offset: i64,
    pub metadata: String,
    pub state: String,
    pub lock_token: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub media_key: String,
    pub sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    // Joined from the invitation, to authorise each request.
    pub token_hash: String,
    pub invitation_state: String,
    pub invitation_expires_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT u.id, u.org_id, u.invitation_id, u.question_id, u.take, u.filetype, u.filename, \
    u.upload_length, u.upload_offset, u.metadata, u.state, u.lock_token, u.locked_until, u.media_key, u.sha256, \
    u.created_at, u.updated_at, u.expires_at, i.token_hash, i.state AS invitation_state, \
    i.expires_at AS invitation_expires_at FROM uploads u JOIN invitations i ON i.id = u.invitation_id";

pub struct NewUpload<'a> {
    pub id: &'a str,
    pub org_id: &'a OrgId,
    pub invitation_id: &'a InvitationId,
    pub question_id: &'a str,
    pub take: i32,
    pub filetype: &'a str,
    pub filename: Option<&'a str>,
    pub length: i64,
    pub metadata: &'a str,
    pub media_key: &'a str,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, n: &NewUpload<'_>) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO uploads (id, org_id, invitation_id, question_id, take, filetype, filename, upload_length, \
               upload_offset, metadata, state, media_key, created_at, updated_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, 'uploading', $10, $11, $11, $12)";
    on_tx!(tx, c => sqlx::query(sql).bind(n.id).bind(n.org_id.as_str()).bind(n.invitation_id.as_str())
        .bind(n.question_id).bind(n.take).bind(n.filetype).bind(n.filename).bind(n.length).bind(n.metadata)
        .bind(n.media_key).bind(crate::truncate_micros(n.now)).bind(crate::truncate_micros(n.expires_at))
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// How many uploads an invitation has started (for the per-invitation limit).
pub async fn count_for_invitation(tx: &mut Tx, inv: &InvitationId) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM uploads WHERE invitation_id = $1";
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(sql).bind(inv.as_str()).fetch_one(c).await)?;
    Ok(n)
}

/// Ends unfinished uploads of the same take (a new upload of a take replaces them); returns
/// their ids so their staged parts can be removed.
pub async fn supersede(
    tx: &mut Tx,
    inv: &InvitationId,
    question: &str,
    take: i32,
    now: DateTime<Utc>,
) -> Result<Vec<String>, sqlx::Error> {
    let sql = "UPDATE uploads SET state = 'terminated', updated_at = $4 \
               WHERE invitation_id = $1 AND question_id = $2 AND take = $3 AND state = 'uploading' RETURNING id";
    let rows: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(sql).bind(inv.as_str()).bind(question).bind(take)
        .bind(now).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn get(db: &Db, id: &str) -> Result<Option<UploadRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE u.id = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)
}

/// `upload_length` of an upload created with `Upload-Defer-Length: 1` until a PATCH names the
/// length (the column predates deferred lengths and is NOT NULL; no real length is negative).
pub const DEFERRED_LENGTH: i64 = -1;

/// Sets the length of a deferred upload, fenced on the holder's token; `Ok(false)` when the
/// holder lost the upload, the length was already set, or more bytes than `length` are stored.
pub async fn set_length(db: &Db, id: &str, token: &str, length: i64) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE uploads SET upload_length = $3 WHERE id = $1 AND lock_token = $2 AND state = 'uploading' \
               AND upload_length = $4 AND upload_offset <= $3";
    let n = on_db!(db, p => sqlx::query(sql).bind(id).bind(token).bind(length).bind(DEFERRED_LENGTH)
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Takes the lease on an unfinished upload nobody holds (or whose holder's lease ran out).
pub async fn acquire(
    db: &Db,
    id: &str,
    token: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE uploads SET lock_token = $2, locked_until = $4, updated_at = $3 \
               WHERE id = $1 AND state = 'uploading' AND (locked_until IS NULL OR locked_until < $3)";
    let n = on_db!(db, p => sqlx::query(sql).bind(id).bind(token).bind(now).bind(until)
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Extends the holder's lease; `Ok(false)` when it lost it or the upload ended.
pub async fn renew(db: &Db, id: &str, token: &str, until: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE uploads SET locked_until = $3 WHERE id = $1 AND lock_token = $2 AND state = 'uploading'";
    let n = on_db!(db, p => sqlx::query(sql).bind(id).bind(token).bind(until).execute(p).await?.rows_affected());
    Ok(n == 1)
}

pub async fn release(db: &Db, id: &str, token: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE uploads SET lock_token = NULL, locked_until = NULL WHERE id = $1 AND lock_token = $2";
    on_db!(db, p => sqlx::query(sql).bind(id).bind(token).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A byte range durably stored as one staging object.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PartRow {
    pub part_offset: i64,
    pub size: i64,
    pub object_key: String,
}

/// Records staged parts and moves the offset from `from` to `to`, fenced on the holder's token
/// and the offset it started from, and extends the lease. `Ok(false)`: the holder lost the
/// upload, nothing recorded.
#[allow(clippy::too_many_arguments)]
pub async fn commit_parts(
    tx: &mut Tx,
    id: &str,
    token: &str,
    from: i64,
    to: i64,
    parts: &[PartRow],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE uploads SET upload_offset = $4, updated_at = $5, locked_until = $6 \
               WHERE id = $1 AND lock_token = $2 AND upload_offset = $3 AND state = 'uploading'";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(id).bind(token).bind(from).bind(to).bind(now).bind(lease_until)
        .execute(c).await?.rows_affected());
    if n != 1 {
        return Ok(false);
    }
    let ins = "INSERT INTO upload_parts (upload_id, part_offset, size, object_key) VALUES ($1, $2, $3, $4)";
    for p in parts {
        on_tx!(tx, c => sqlx::query(ins).bind(id).bind(p.part_offset).bind(p.size).bind(&p.object_key)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(true)
}

pub async fn parts(db: &Db, id: &str) -> Result<Vec<PartRow>, sqlx::Error> {
    let sql = "SELECT part_offset, size, object_key FROM upload_parts WHERE upload_id = $1 ORDER BY part_offset";
    on_db!(db, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)
}

pub async fn delete_parts(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    let sql = "DELETE FROM upload_parts WHERE upload_id = $1";
    on_db!(db, p => sqlx::query(sql).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks a fully received upload complete (the offset already equals the length), fenced like
/// [`commit_parts`], and releases the lease.
pub async fn complete(
    tx: &mut Tx,
    id: &str,
    token: &str,
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE uploads SET state = 'complete', sha256 = $3, lock_token = NULL, locked_until = NULL, \
               updated_at = $4 WHERE id = $1 AND lock_token = $2 AND state = 'uploading' \
               AND upload_offset = upload_length";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(id).bind(token).bind(sha256).bind(now)
        .execute(c).await?.rows_affected());
    Ok(n == 1)
}

/// Ends an unfinished upload (termination or expiry). `Ok(false)` if it was not unfinished.
pub async fn terminate(db: &Db, id: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE uploads SET state = 'terminated', lock_token = NULL, locked_until = NULL, updated_at = $2 \
               WHERE id = $1 AND state = 'uploading'";
    let n = on_db!(db, p => sqlx::query(sql).bind(id).bind(now).execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Unfinished uploads past their expiry that nobody holds, oldest first.
pub async fn expired(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT id FROM uploads WHERE state = 'uploading' AND expires_at < $1 \
               AND (locked_until IS NULL OR locked_until < $1) ORDER BY expires_at LIMIT $2";
    let rows: Vec<(String,)> = on_db!(db, p => sqlx::query_as(sql).bind(now).bind(limit).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// One stored answer take (a recording or a document).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TakeRow {
    pub org_id: String,
    pub invitation_id: String,
    pub question_id: String,
    pub take: i32,
    pub media_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

/// Records a take. A submitted take is never replaced: `Ok(false)` (nothing written) when the
/// take is already recorded.
pub async fn insert_take(tx: &mut Tx, t: &TakeRow) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO answer_takes (org_id, invitation_id, question_id, take, media_key, content_type, \
               size_bytes, sha256, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
               ON CONFLICT (invitation_id, question_id, take) DO NOTHING";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(&t.org_id).bind(&t.invitation_id).bind(&t.question_id).bind(t.take)
        .bind(&t.media_key).bind(&t.content_type).bind(t.size_bytes).bind(&t.sha256)
        .bind(crate::truncate_micros(t.uploaded_at)).execute(c).await?.rows_affected());
    Ok(n == 1)
}

/// Every stored take of an invitation, by question and take.
pub async fn takes_for(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Vec<TakeRow>, sqlx::Error> {
    let sql = "SELECT org_id, invitation_id, question_id, take, media_key, content_type, size_bytes, sha256, \
               uploaded_at FROM answer_takes WHERE org_id = $1 AND invitation_id = $2 ORDER BY question_id, take";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(inv.as_str()).fetch_all(p).await)
}
