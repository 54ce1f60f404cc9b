//! Write-back bookkeeping for every ATS: the object and handle per invitation, ordering, the
//! lease, parking, and the daily request count per connection.

use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WritebackRow {
    pub invitation_id: String,
    pub org_id: String,
    pub connection_id: String,
    /// What the ATS calls the thing we write to (iCIMS applicant workflow, Greenhouse instance URL).
    pub external_ref: String,
    /// What we own there, once created (iCIMS assessmentresults entry id).
    pub handle: Option<String>,
    pub written_kind: Option<String>,
    pub written_event_at: Option<DateTime<Utc>>,
    pub parked_kind: Option<String>,
    pub parked_event_at: Option<DateTime<Utc>>,
    pub parked_error: Option<String>,
    pub parked_at: Option<DateTime<Utc>>,
}

const COLS: &str = "invitation_id, org_id, connection_id, external_ref, handle, written_kind, written_event_at, parked_kind, \
    parked_event_at, parked_error, parked_at";

/// One write-back target: an invitation as one ATS object knows it (an invitation can stand for
/// several, e.g. a result reused for a second application).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub org: &'a OrgId,
    pub inv: &'a InvitationId,
    pub external_ref: &'a str,
}

pub async fn ensure(db: &Db, t: Target<'_>, connection: &str) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO ats_writebacks (invitation_id, org_id, connection_id, external_ref, updated_at) \
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (invitation_id, external_ref) DO NOTHING";
    on_db!(db, p => sqlx::query(sql).bind(t.inv.as_str()).bind(t.org.as_str()).bind(connection).bind(t.external_ref)
        .bind(crate::now())
        .execute(p).await.map(|_| ()))?;
    Ok(())
}

pub async fn get(db: &Db, t: Target<'_>) -> Result<Option<WritebackRow>, sqlx::Error> {
    let sql =
        format!("SELECT {COLS} FROM ats_writebacks WHERE org_id = $1 AND invitation_id = $2 AND external_ref = $3");
    on_db!(db, p => sqlx::query_as(&sql).bind(t.org.as_str()).bind(t.inv.as_str()).bind(t.external_ref)
        .fetch_optional(p).await)
}

/// Every write-back target of an invitation.
pub async fn for_invitation(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Vec<WritebackRow>, sqlx::Error> {
    let sql =
        format!("SELECT {COLS} FROM ats_writebacks WHERE org_id = $1 AND invitation_id = $2 ORDER BY external_ref");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(inv.as_str()).fetch_all(p).await)
}

/// Takes the target's write-back lease until `until`; false while another write-back holds it.
pub async fn try_lock(db: &Db, t: Target<'_>, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE ats_writebacks SET locked_until = $4, updated_at = $5 WHERE org_id = $1 AND invitation_id = $2 \
               AND external_ref = $3 AND (locked_until IS NULL OR locked_until < $5)";
    let n = on_db!(db, p => sqlx::query(sql).bind(t.org.as_str()).bind(t.inv.as_str()).bind(t.external_ref)
        .bind(until).bind(now).execute(p).await?.rows_affected());
    Ok(n == 1)
}

pub async fn unlock(db: &Db, t: Target<'_>) -> Result<(), sqlx::Error> {
    let sql =
        "UPDATE ats_writebacks SET locked_until = NULL WHERE org_id = $1 AND invitation_id = $2 AND external_ref = $3";
    on_db!(db, p => sqlx::query(sql).bind(t.org.as_str()).bind(t.inv.as_str()).bind(t.external_ref)
        .execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Remembers the handle as soon as it is known, so a crash before the end cannot create a second one.
pub async fn set_handle(db: &Db, t: Target<'_>, handle: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE ats_writebacks SET handle = $4, updated_at = $5 \
               WHERE org_id = $1 AND invitation_id = $2 AND external_ref = $3";
    on_db!(db, p => sqlx::query(sql).bind(t.org.as_str()).bind(t.inv.as_str()).bind(t.external_ref).bind(handle)
        .bind(crate::now()).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// A successful write: clears any parked error and the lease.
pub async fn written(db: &Db, t: Target<'_>, kind: &str, event_at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let sql = "UPDATE ats_writebacks SET written_kind = $4, written_event_at = $5, parked_kind = NULL, \
               parked_event_at = NULL, parked_error = NULL, parked_at = NULL, locked_until = NULL, updated_at = $6 \
               WHERE org_id = $1 AND invitation_id = $2 AND external_ref = $3";
    on_db!(db, p => sqlx::query(sql).bind(t.org.as_str()).bind(t.inv.as_str()).bind(t.external_ref).bind(kind)
        .bind(crate::truncate_micros(event_at)).bind(crate::now()).execute(p).await.map(|_| ()))?;
    Ok(())
}

pub async fn park(db: &Db, t: Target<'_>, kind: &str, event_at: DateTime<Utc>, error: &str) -> Result<(), sqlx::Error> {
    let error: String = error.chars().take(2000).collect();
    let now = crate::now();
    let sql = "UPDATE ats_writebacks SET parked_kind = $4, parked_event_at = $5, parked_error = $6, parked_at = $7, \
               locked_until = NULL, updated_at = $7 WHERE org_id = $1 AND invitation_id = $2 AND external_ref = $3";
    on_db!(db, p => sqlx::query(sql).bind(t.org.as_str()).bind(t.inv.as_str()).bind(t.external_ref).bind(kind)
        .bind(crate::truncate_micros(event_at)).bind(&error).bind(now).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Parked write-backs, newest first; all organisations when `org` is None (admin CLI).
pub async fn parked(db: &Db, org: Option<&OrgId>) -> Result<Vec<WritebackRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLS} FROM ats_writebacks WHERE parked_at IS NOT NULL AND ($1 = '' OR org_id = $1) \
         ORDER BY parked_at DESC, invitation_id"
    );
    let org = org.map(|o| o.as_str().to_owned()).unwrap_or_default();
    on_db!(db, p => sqlx::query_as(&sql).bind(org).fetch_all(p).await)
}

/// Counts one request against the connection's day and returns the day's total so far.
pub async fn count_request(db: &Db, connection: &str, day: &str) -> Result<i64, sqlx::Error> {
    let sql = "INSERT INTO ats_request_counts (connection_id, day, requests) VALUES ($1, $2, 1) \
               ON CONFLICT (connection_id, day) DO UPDATE SET requests = ats_request_counts.requests + 1 \
               RETURNING requests";
    let row: (i64,) = on_db!(db, p => sqlx::query_as(sql).bind(connection).bind(day).fetch_one(p).await)?;
    Ok(row.0)
}

pub async fn requests_on(db: &Db, connection: &str, day: &str) -> Result<i64, sqlx::Error> {
    let sql = "SELECT requests FROM ats_request_counts WHERE connection_id = $1 AND day = $2";
    let row: Option<(i64,)> = on_db!(db, p => sqlx::query_as(sql).bind(connection).bind(day).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}

/// True exactly once per connection and day: the caller sends the budget warning.
pub async fn claim_warning(db: &Db, connection: &str, day: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE ats_request_counts SET warned_at = $3 \
               WHERE connection_id = $1 AND day = $2 AND warned_at IS NULL";
    let n = on_db!(db, p => sqlx::query(sql).bind(connection).bind(day).bind(crate::now())
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Activity {
    pub last_written_at: Option<DateTime<Utc>>,
    pub parked: i64,
}

/// When the connection last wrote back successfully, and how many write-backs wait parked.
pub async fn activity(db: &Db, org: &OrgId, connection: &str) -> Result<Activity, sqlx::Error> {
    let sql = "SELECT MAX(CASE WHEN parked_at IS NULL AND written_kind IS NOT NULL THEN updated_at END) AS last_written_at, \
               COUNT(parked_at) AS parked FROM ats_writebacks WHERE org_id = $1 AND connection_id = $2";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(connection).fetch_one(p).await)
}
