//! iCIMS connections (one per organisation, routed on the iCIMS customer id) and the ATS return
//! URL kept on an invitation.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{IcimsConnectionId, InvitationId, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub org_id: String,
    pub customer_id: String,
    pub region: String,
    pub api_base_url: Option<String>,
    pub outbound_auth_kind: String,
    pub outbound_user: String,
    pub outbound_secret_sealed: String,
    pub outbound_token_url: Option<String>,
    pub inbound_auth_kind: String,
    pub inbound_user: String,
    pub inbound_secret_hash: String,
    /// JSON array of iCIMS workflow status ids.
    pub trigger_statuses: String,
    pub resend_status: Option<String>,
    /// JSON object {sent, in_progress, complete, expired?, cancelled?} of iCIMS list values.
    pub status_values: String,
    pub observer_user_id: String,
    /// JSON array of CIDRs, or NULL for "any caller".
    pub caller_allowlist: Option<String>,
    pub daily_budget: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, customer_id, region, api_base_url, outbound_auth_kind, outbound_user, \
    outbound_secret_sealed, outbound_token_url, inbound_auth_kind, inbound_user, inbound_secret_hash, \
    trigger_statuses, resend_status, status_values, observer_user_id, caller_allowlist, daily_budget, \
    created_at, updated_at";

pub struct NewConnection<'a> {
    pub id: &'a IcimsConnectionId,
    pub customer_id: &'a str,
    pub region: &'a str,
    pub api_base_url: Option<&'a str>,
    pub outbound_auth_kind: &'a str,
    pub outbound_user: &'a str,
    pub outbound_secret_sealed: &'a str,
    pub outbound_token_url: Option<&'a str>,
    pub inbound_auth_kind: &'a str,
    pub inbound_user: &'a str,
    pub inbound_secret_hash: &'a str,
    pub trigger_statuses: &'a str,
    pub resend_status: Option<&'a str>,
    pub status_values: &'a str,
    pub observer_user_id: &'a str,
    pub caller_allowlist: Option<&'a str>,
    pub daily_budget: i64,
}

/// `Ok(false)` when the organisation or the customer id already has a connection.
pub async fn create(db: &Db, org: &OrgId, n: &NewConnection<'_>) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO icims_connections ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
         $15, $16, $17, $18, $19, $19) ON CONFLICT DO NOTHING"
    );
    let n = on_db!(db, p => sqlx::query(&sql).bind(n.id.as_str()).bind(org.as_str()).bind(n.customer_id)
        .bind(n.region).bind(n.api_base_url).bind(n.outbound_auth_kind).bind(n.outbound_user)
        .bind(n.outbound_secret_sealed).bind(n.outbound_token_url).bind(n.inbound_auth_kind).bind(n.inbound_user)
        .bind(n.inbound_secret_hash).bind(n.trigger_statuses).bind(n.resend_status).bind(n.status_values)
        .bind(n.observer_user_id).bind(n.caller_allowlist).bind(n.daily_budget).bind(crate::now())
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

pub async fn for_org(db: &Db, org: &OrgId) -> Result<Option<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM icims_connections WHERE org_id = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).fetch_optional(p).await)
}

/// The connection an inbound event names. Not tenant-scoped on purpose: the customer id *is* how
/// an event finds its tenant, and the caller is authenticated against the row found.
pub async fn by_customer(db: &Db, customer_id: &str) -> Result<Option<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM icims_connections WHERE customer_id = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(customer_id).fetch_optional(p).await)
}

/// For the token endpoint, where the client id is all the caller names.
pub async fn by_inbound_user(db: &Db, user: &str) -> Result<Option<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM icims_connections WHERE inbound_user = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(user).fetch_optional(p).await)
}

/// All connections, for the operator's `admin icims list`.
pub async fn list(db: &Db) -> Result<Vec<ConnectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM icims_connections ORDER BY created_at, id");
    on_db!(db, p => sqlx::query_as(&sql).fetch_all(p).await)
}

pub async fn set_triggers(
    db: &Db,
    org: &OrgId,
    trigger_statuses: &str,
    resend_status: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE icims_connections SET trigger_statuses = $2, resend_status = $3, updated_at = $4 \
               WHERE org_id = $1";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(trigger_statuses).bind(resend_status)
        .bind(crate::now()).execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Replaces the trigger statuses, the resend status and the list values in one statement.
pub async fn set_workflow(
    db: &Db,
    org: &OrgId,
    trigger_statuses: &str,
    resend_status: Option<&str>,
    status_values: &str,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE icims_connections SET trigger_statuses = $2, resend_status = $3, status_values = $4, \
               updated_at = $5 WHERE org_id = $1";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(trigger_statuses).bind(resend_status)
        .bind(status_values).bind(crate::now()).execute(p).await?.rows_affected());
    Ok(n == 1)
}

pub async fn set_inbound(db: &Db, org: &OrgId, kind: &str, user: &str, secret_hash: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE icims_connections SET inbound_auth_kind = $2, inbound_user = $3, inbound_secret_hash = $4, \
               updated_at = $5 WHERE org_id = $1";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(kind).bind(user).bind(secret_hash)
        .bind(crate::now()).execute(p).await?.rows_affected());
    Ok(n == 1)
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

/// Points an ATS id of an invitation (an iCIMS applicant workflow) at `inv`, replacing an earlier
/// invitation it named: the ATS shows one assessment per workflow, the latest one.
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
