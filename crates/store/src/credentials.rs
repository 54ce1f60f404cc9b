//! Machine credentials of the partner API: partners (a public key plus hashed secrets, a
//! lifecycle status with audit rows, a policy), organisation API keys and personal access
//! tokens. Only SHA-256 hashes of secrets are stored; a secret is found by its hash.
//!
//! Partners are installation-wide (an administrator registers them), so their functions take no
//! `OrgId`; API keys belong to one organisation and every query on them names it.

use crate::{Db, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{OrgId, UserId};

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartnerRow {
    pub id: String,
    pub name: String,
    pub contact: String,
    pub partner_key: String,
    pub status: String,
    pub scopes: String,
    pub rate_per_sec: i32,
    pub rate_burst: i32,
    pub ip_allow: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const PARTNER_COLS: &str =
    "id, name, contact, partner_key, status, scopes, rate_per_sec, rate_burst, ip_allow, created_at, updated_at";

pub struct NewSecret<'a> {
    pub owner_id: &'a str,
    pub secret_hash: &'a str,
}

/// Inserts a partner, the organisations it may serve, its first secret and the audit row, in one
/// transaction.
pub async fn create_partner(db: &Db, p: &PartnerRow, orgs: &[OrgId], secret_hash: &str) -> Result<(), sqlx::Error> {
    create_partner_by(db, p, orgs, secret_hash, "admin").await
}

/// [`create_partner`] with the audit row naming who registered it.
pub async fn create_partner_by(
    db: &Db,
    p: &PartnerRow,
    orgs: &[OrgId],
    secret_hash: &str,
    actor: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let sql = format!("INSERT INTO partners ({PARTNER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    on_tx!(&mut tx, c => sqlx::query(&sql).bind(&p.id).bind(&p.name).bind(&p.contact).bind(&p.partner_key)
        .bind(&p.status).bind(&p.scopes).bind(p.rate_per_sec).bind(p.rate_burst).bind(&p.ip_allow)
        .bind(p.created_at).bind(p.updated_at).execute(c).await?.rows_affected());
    for org in orgs {
        let sql = "INSERT INTO partner_orgs (partner_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        on_tx!(&mut tx, c => sqlx::query(sql).bind(&p.id).bind(org.as_str()).execute(c).await?.rows_affected());
    }
    insert_secret(&mut tx, &p.id, secret_hash, p.created_at).await?;
    audit(&mut tx, &p.id, actor, "created", None, Some(&p.status), "").await?;
    tx.commit().await
}

async fn insert_secret(tx: &mut crate::Tx, owner: &str, hash: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO credential_secrets (secret_hash, owner_id, created_at) VALUES ($1, $2, $3)";
    on_tx!(tx, c => sqlx::query(sql).bind(hash).bind(owner).bind(now).execute(c).await?.rows_affected());
    Ok(())
}

async fn audit(
    tx: &mut crate::Tx,
    partner: &str,
    actor: &str,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO partner_audit (id, partner_id, actor, action, from_status, to_status, detail, at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, c => sqlx::query(sql).bind(new_id("paud")).bind(partner).bind(actor).bind(action).bind(from)
        .bind(to).bind(detail).bind(crate::now()).execute(c).await?.rows_affected());
    Ok(())
}

pub async fn partner_by_key(db: &Db, key: &str) -> Result<Option<PartnerRow>, sqlx::Error> {
    let sql = format!("SELECT {PARTNER_COLS} FROM partners WHERE partner_key = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(key).fetch_optional(p).await)
}

pub async fn partner(db: &Db, id: &str) -> Result<Option<PartnerRow>, sqlx::Error> {
    let sql = format!("SELECT {PARTNER_COLS} FROM partners WHERE id = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)
}

pub async fn partners(db: &Db) -> Result<Vec<PartnerRow>, sqlx::Error> {
    let sql = format!("SELECT {PARTNER_COLS} FROM partners ORDER BY created_at, id");
    on_db!(db, p => sqlx::query_as(&sql).fetch_all(p).await)
}

pub async fn partner_orgs(db: &Db, partner: &str) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT org_id FROM partner_orgs WHERE partner_id = $1 ORDER BY org_id";
    on_db!(db, p => sqlx::query_scalar(sql).bind(partner).fetch_all(p).await)
}

/// Moves a partner to `to` and records who did it; `Ok(None)` when the partner is unknown.
pub async fn set_status(db: &Db, partner: &str, to: &str, actor: &str) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let sql = "SELECT status FROM partners WHERE id = $1";
    let from: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(sql).bind(partner).fetch_optional(c).await)?;
    let Some(from) = from else { return Ok(None) };
    let sql = "UPDATE partners SET status = $2, updated_at = $3 WHERE id = $1";
    on_tx!(&mut tx, c => sqlx::query(sql).bind(partner).bind(to).bind(crate::now()).execute(c).await?.rows_affected());
    audit(&mut tx, partner, actor, "status", Some(&from), Some(to), "").await?;
    tx.commit().await?;
    Ok(Some(from))
}

/// Moves a partner from `from` to `to` only if it is still in `from` (so two reviewers acting at
/// once cannot skip a step), with the reviewer's note in the audit row. `false`: it was not.
pub async fn set_status_noted(
    db: &Db,
    partner: &str,
    from: &str,
    to: &str,
    actor: &str,
    note: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let sql = "UPDATE partners SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2";
    let n = on_tx!(&mut tx, c => sqlx::query(sql).bind(partner).bind(from).bind(to).bind(crate::now())
        .execute(c).await?.rows_affected());
    if n == 1 {
        audit(&mut tx, partner, actor, "status", Some(from), Some(to), note).await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

/// The whole policy at once, including the organisations served, audited with who changed it.
pub struct PolicyChange<'a> {
    pub scopes: &'a str,
    pub rate_per_sec: i32,
    pub rate_burst: i32,
    pub ip_allow: &'a str,
    pub orgs: &'a [OrgId],
    pub actor: &'a str,
    pub detail: &'a str,
}

pub async fn set_policy_and_orgs(db: &Db, partner: &str, p: &PolicyChange<'_>) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let sql = "UPDATE partners SET scopes = $2, rate_per_sec = $3, rate_burst = $4, ip_allow = $5, updated_at = $6 \
               WHERE id = $1";
    let n = on_tx!(&mut tx, c => sqlx::query(sql).bind(partner).bind(p.scopes).bind(p.rate_per_sec)
        .bind(p.rate_burst).bind(p.ip_allow).bind(crate::now()).execute(c).await?.rows_affected());
    if n == 1 {
        let sql = "DELETE FROM partner_orgs WHERE partner_id = $1";
        on_tx!(&mut tx, c => sqlx::query(sql).bind(partner).execute(c).await?.rows_affected());
        for org in p.orgs {
            let sql = "INSERT INTO partner_orgs (partner_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
            on_tx!(&mut tx, c => sqlx::query(sql).bind(partner).bind(org.as_str()).execute(c).await?.rows_affected());
        }
        audit(&mut tx, partner, p.actor, "policy", None, None, p.detail).await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

/// Policy: scopes, rate, IP allow-list. Audited like a status change.
pub async fn set_policy(
    db: &Db,
    partner: &str,
    scopes: &str,
    rate_per_sec: i32,
    rate_burst: i32,
    ip_allow: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let sql = "UPDATE partners SET scopes = $2, rate_per_sec = $3, rate_burst = $4, ip_allow = $5, updated_at = $6 \
               WHERE id = $1";
    let n = on_tx!(&mut tx, c => sqlx::query(sql).bind(partner).bind(scopes).bind(rate_per_sec).bind(rate_burst)
        .bind(ip_allow).bind(crate::now()).execute(c).await?.rows_affected());
    if n == 1 {
        let detail = format!("scopes={scopes} rate={rate_per_sec}/s burst={rate_burst} ip_allow={ip_allow}");
        audit(&mut tx, partner, "admin", "policy", None, None, &detail).await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub at: DateTime<Utc>,
}

pub async fn audit_rows(db: &Db, partner: &str) -> Result<Vec<AuditRow>, sqlx::Error> {
    let sql = "SELECT actor, action, from_status, to_status, detail, at FROM partner_audit \
               WHERE partner_id = $1 ORDER BY at, id";
    on_db!(db, p => sqlx::query_as(sql).bind(partner).fetch_all(p).await)
}

/// Whether `hash` is a live secret of `owner` (no expiry, or not yet past it).
pub async fn secret_valid(db: &Db, owner: &str, hash: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "SELECT owner_id FROM credential_secrets WHERE secret_hash = $1 AND owner_id = $2 \
               AND (expires_at IS NULL OR expires_at > $3)";
    let found: Option<String> =
        on_db!(db, p => sqlx::query_scalar(sql).bind(hash).bind(owner).bind(now).fetch_optional(p).await)?;
    Ok(found.is_some())
}

/// The owner of a live secret, for bearer tokens that carry no separate key.
pub async fn secret_owner(db: &Db, hash: &str, now: DateTime<Utc>) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT owner_id FROM credential_secrets WHERE secret_hash = $1 \
               AND (expires_at IS NULL OR expires_at > $2)";
    on_db!(db, p => sqlx::query_scalar(sql).bind(hash).bind(now).fetch_optional(p).await)
}

/// Rotation: secrets already on their way out are dropped, the current one expires at
/// `old_until`, and `new_hash` becomes current, so at most two secrets are valid at once.
pub async fn rotate(
    db: &Db,
    owner: &str,
    new_hash: &str,
    old_until: DateTime<Utc>,
    actor: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let now = crate::now();
    let sql = "DELETE FROM credential_secrets WHERE owner_id = $1 AND expires_at IS NOT NULL";
    on_tx!(&mut tx, c => sqlx::query(sql).bind(owner).execute(c).await?.rows_affected());
    let sql = "UPDATE credential_secrets SET expires_at = $2 WHERE owner_id = $1 AND expires_at IS NULL";
    on_tx!(&mut tx, c => sqlx::query(sql).bind(owner).bind(crate::truncate_micros(old_until))
        .execute(c).await?.rows_affected());
    insert_secret(&mut tx, owner, new_hash, now).await?;
    if let Some(actor) = actor {
        let detail = format!("previous secret valid until {}", old_until.to_rfc3339());
        audit(&mut tx, owner, actor, "rotated", None, None, &detail).await?;
    }
    tx.commit().await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub name: String,
    pub scopes: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

const KEY_COLS: &str =
    "id, org_id, user_id, name, scopes, expires_at, revoked_at, last_used_at, created_by, created_at";

pub async fn create_api_key(db: &Db, k: &ApiKeyRow, secret_hash: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let sql = format!("INSERT INTO api_keys ({KEY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    on_tx!(&mut tx, c => sqlx::query(&sql).bind(&k.id).bind(&k.org_id).bind(&k.user_id).bind(&k.name)
        .bind(&k.scopes).bind(k.expires_at.map(crate::truncate_micros)).bind(k.revoked_at).bind(k.last_used_at)
        .bind(&k.created_by).bind(k.created_at).execute(c).await?.rows_affected());
    insert_secret(&mut tx, &k.id, secret_hash, k.created_at).await?;
    tx.commit().await
}

/// The key by id without a tenant: only after its secret was verified (the secret names it).
pub async fn api_key_for_secret_owner(db: &Db, id: &str) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE id = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)
}

pub async fn api_key(db: &Db, org: &OrgId, id: &str) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE org_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id).fetch_optional(p).await)
}

/// An organisation's keys; with `user`, only that user's personal tokens.
pub async fn api_keys(db: &Db, org: &OrgId, user: Option<&UserId>) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {KEY_COLS} FROM api_keys WHERE org_id = $1 AND ($2 = '' OR user_id = $2) ORDER BY created_at, id"
    );
    let u = user.map(|u| u.as_str()).unwrap_or("");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(u).fetch_all(p).await)
}

pub async fn revoke_api_key(db: &Db, org: &OrgId, id: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).bind(crate::now())
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Written at most once a minute per key, so busy integrations do not write on every request.
pub async fn touch_api_key(db: &Db, org: &OrgId, id: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let sql = "UPDATE api_keys SET last_used_at = $3 WHERE org_id = $1 AND id = $2 \
               AND (last_used_at IS NULL OR last_used_at < $4)";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).bind(now)
        .bind(now - chrono::TimeDelta::minutes(1)).execute(p).await?.rows_affected());
    Ok(())
}
