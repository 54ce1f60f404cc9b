//! ATS connections of every kind (one per organisation and kind), the errors connectors answered,
//! and what an ATS attached to an invitation (its id for it, the return URL).

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub tenant_ref: String,
    /// JSON object read by the connector of `kind`.
    pub settings: String,
    pub secrets_sealed: Option<String>,
    pub inbound_user: Option<String>,
    pub inbound_secret_hash: Option<String>,
    pub observer_user_id: String,
    /// JSON array of CIDRs, or NULL for "any caller".
    pub caller_allowlist: Option<String>,
    pub daily_budget: i64,
    /// `reject` or `replay`; None: the connector's default.
    pub dedup_policy: Option<String>,
    /// The validity window of `reuse`, in days.
    pub reuse_days: Option<i64>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, kind, tenant_ref, settings, secrets_sealed, inbound_user, inbound_secret_hash, \
    observer_user_id, caller_allowlist, daily_budget, dedup_policy, reuse_days, last_inbound_at, created_at, updated_at";

pub struct NewConnection<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub tenant_ref: &'a str,
    pub settings: &'a str,
    pub secrets_sealed: Option<&'a str>,
    pub inbound_user: Option<&'a str>,
    pub inbound_secret_hash: Option<&'a str>,
    pub observer_user_id: &'a str,
    pub caller_allowlist: Option<&'a str>,
    pub daily_budget: i64,
}

/// `Ok(false)` when the organisation already has a connection of this kind, or the tenant
/// reference is another organisation's.
pub async fn create(db: &Db, org: &OrgId, n: &NewConnection<'_>) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO ats_connections (id, org_id, kind, tenant_ref, settings, secrets_sealed, inbound_user, \
         inbound_secret_hash, observer_user_id, caller_allowlist, daily_budget, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) ON CONFLICT DO NOTHING";
    let n = on_db!(db, p => sqlx::query(sql).bind(n.id).bind(org.as_str()).bind(n.kind).bind(n.tenant_ref)
        .bind(n.settings).bind(n.secrets_sealed).bind(n.inbound_user).bind(n.inbound_secret_hash)
        .bind(n.observer_user_id).bind(n.caller_allowlist).bind(n.daily_budget).bind(crate::now())
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

pub async fn for_org(db: &Db, org: &OrgId, kind: &str) -> Result<Option<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM ats_connections WHERE org_id = $1 AND kind = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(kind).fetch_optional(p).await)
}

/// Every connection of an organisation, for its Integrations page.
pub async fn all_for_org(db: &Db, org: &OrgId) -> Result<Vec<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM ats_connections WHERE org_id = $1 ORDER BY kind");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).fetch_all(p).await)
}

pub async fn get(db: &Db, org: &OrgId, id: &str) -> Result<Option<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM ats_connections WHERE org_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id).fetch_optional(p).await)
}

/// The connection an inbound call names by its tenant (iCIMS customer id). Not tenant-scoped on
/// purpose: this *is* how a call finds its tenant, and the caller is authenticated against the row.
pub async fn by_tenant(db: &Db, kind: &str, tenant_ref: &str) -> Result<Option<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM ats_connections WHERE kind = $1 AND tenant_ref = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(kind).bind(tenant_ref).fetch_optional(p).await)
}

/// The connection whose inbound credentials start with `user` (a client id, a key id); the
/// caller compares the secret's hash. Not tenant-scoped, like [`by_tenant`].
pub async fn by_inbound_user(db: &Db, kind: &str, user: &str) -> Result<Option<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM ats_connections WHERE kind = $1 AND inbound_user = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(kind).bind(user).fetch_optional(p).await)
}

/// All connections of a kind (all kinds when empty), for the operator's CLI.
pub async fn list(db: &Db, kind: &str) -> Result<Vec<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM ats_connections WHERE ($1 = '' OR kind = $1) ORDER BY created_at, id");
    on_db!(db, p => sqlx::query_as(&sql).bind(kind).fetch_all(p).await)
}

pub async fn set_settings(db: &Db, org: &OrgId, id: &str, settings: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE ats_connections SET settings = $3, updated_at = $4 WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).bind(settings)
        .bind(crate::now()).execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Sets what a second order for the same application does (None: the connector's default).
pub async fn set_dedup(
    db: &Db,
    org: &OrgId,
    id: &str,
    policy: Option<&str>,
    reuse_days: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let sql =
        "UPDATE ats_connections SET dedup_policy = $3, reuse_days = $4, updated_at = $5 WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).bind(policy).bind(reuse_days)
        .bind(crate::now()).execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Replaces the inbound credentials (the settings that describe them, and the sealed secrets when
/// given) in one statement.
pub async fn set_inbound(
    db: &Db,
    org: &OrgId,
    id: &str,
    settings: &str,
    user: &str,
    secret_hash: &str,
    secrets_sealed: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE ats_connections SET settings = $3, inbound_user = $4, inbound_secret_hash = $5, updated_at = $6, \
               secrets_sealed = COALESCE($7, secrets_sealed) WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).bind(settings).bind(user).bind(secret_hash)
        .bind(crate::now()).bind(secrets_sealed).execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// When the ATS last called.
pub async fn touch_inbound(db: &Db, org: &OrgId, id: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE ats_connections SET last_inbound_at = $3 WHERE org_id = $1 AND id = $2";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).bind(crate::now())
        .execute(p).await.map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ErrorRow {
    pub call: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

/// Records an error the ATS reported about our answer (or we answered it), clipped.
pub async fn record_error(
    db: &Db,
    org: &OrgId,
    connection: &str,
    call: &str,
    message: &str,
) -> Result<(), sqlx::Error> {
    let sql =
        "INSERT INTO ats_errors (id, org_id, connection_id, call, message, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    let message: String = message.chars().take(2000).collect();
    let call: String = call.chars().take(100).collect();
    let id = uuid::Uuid::new_v4().to_string();
    on_db!(db, p => sqlx::query(sql).bind(id).bind(org.as_str()).bind(connection).bind(call).bind(message)
        .bind(crate::now()).execute(p).await.map(|_| ()))?;
    Ok(())
}

pub async fn recent_errors(db: &Db, org: &OrgId, connection: &str, limit: i64) -> Result<Vec<ErrorRow>, sqlx::Error> {
    let sql = "SELECT call, message, created_at FROM ats_errors WHERE org_id = $1 AND connection_id = $2 \
               ORDER BY created_at DESC LIMIT $3";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(connection).bind(limit).fetch_all(p).await)
}

pub async fn set_return_url(tx: &mut Tx, org: &OrgId, inv: &InvitationId, url: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE invitations SET return_url = $3 WHERE org_id = $1 AND id = $2";
    on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(inv.as_str()).bind(url)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Where the ATS wants the candidate sent after finishing, if it said so.
pub async fn return_url(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT return_url FROM invitations WHERE org_id = $1 AND id = $2";
    let row: Option<(Option<String>,)> =
        on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(inv.as_str()).fetch_optional(p).await)?;
    Ok(row.and_then(|r| r.0))
}

/// Points an ATS id of an invitation (an iCIMS applicant workflow, a Greenhouse test instance) at
/// `inv`, replacing an earlier invitation it named: the ATS shows one assessment per id, the latest.
pub async fn point_invitation_ref(
    tx: &mut Tx,
    org: &OrgId,
    inv: &InvitationId,
    r: &crate::positions::ExternalRef,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO external_refs (org_id, entity, entity_id, ats_kind, connection_id, external_id, created_at) \
               VALUES ($1, 'invitation', $2, $3, $4, $5, $6) \
               ON CONFLICT (org_id, entity, ats_kind, connection_id, external_id) DO UPDATE SET entity_id = excluded.entity_id";
    on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(inv.as_str()).bind(&r.ats_kind).bind(&r.connection_id)
        .bind(&r.external_id).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The invitation an ATS id names now (exact connection), for a replayed order.
pub async fn invitation_for_ref(
    db: &Db,
    org: &OrgId,
    r: &crate::positions::ExternalRef,
) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT entity_id FROM external_refs WHERE org_id = $1 AND entity = 'invitation' AND ats_kind = $2 \
               AND connection_id = $3 AND external_id = $4";
    let row: Option<(String,)> = on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(&r.ats_kind)
        .bind(&r.connection_id).bind(&r.external_id).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}

/// The most recent invitation of the candidate with this (normalised) e-mail to `template`
/// completed at or after `since`: a result an ATS order may reuse.
pub async fn reusable_result(
    db: &Db,
    org: &OrgId,
    email: &str,
    template: &str,
    since: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT i.id FROM invitations i JOIN candidates c ON c.id = i.candidate_id AND c.org_id = i.org_id \
               WHERE i.org_id = $1 AND c.email = $2 AND i.template_id = $3 AND i.state = 'completed' \
               AND i.completed_at >= $4 ORDER BY i.completed_at DESC LIMIT 1";
    let row: Option<(String,)> = on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(email).bind(template)
        .bind(crate::truncate_micros(since)).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}
