//! Share links (read-only access for people outside the team) and the log of their views.

use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::OrgId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareLinkRow {
    pub id: String,
    pub org_id: String,
    pub position_id: String,
    pub label: String,
    pub invitation_ids: String,
    pub hidden_questions: String,
    pub anonymised: bool,
    pub access_code_hash: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, org_id, position_id, label, invitation_ids, hidden_questions, anonymised, \
    access_code_hash, expires_at, revoked_at, created_by, created_at FROM share_links";

pub struct NewShareLink<'a> {
    pub id: &'a str,
    pub position_id: &'a str,
    pub token_hash: &'a str,
    pub label: &'a str,
    pub invitation_ids: &'a str,
    pub hidden_questions: &'a str,
    pub anonymised: bool,
    pub access_code_hash: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
    pub created_by: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn insert(db: &Db, org: &OrgId, n: &NewShareLink<'_>) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO share_links (id, org_id, position_id, token_hash, label, invitation_ids, hidden_questions, \
               anonymised, access_code_hash, expires_at, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    on_db!(db, p => sqlx::query(sql).bind(n.id).bind(org.as_str()).bind(n.position_id).bind(n.token_hash)
        .bind(n.label).bind(n.invitation_ids).bind(n.hidden_questions).bind(n.anonymised).bind(n.access_code_hash)
        .bind(crate::truncate_micros(n.expires_at)).bind(n.created_by).bind(crate::truncate_micros(n.at))
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A share link is a capability: it is looked up by the hash of its token, without an
/// organisation.
pub async fn find_by_token_hash(db: &Db, hash: &str) -> Result<Option<ShareLinkRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE token_hash = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(hash).fetch_optional(p).await)
}

pub async fn get(db: &Db, org: &OrgId, id: &str) -> Result<Option<ShareLinkRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id).fetch_optional(p).await)
}

pub async fn list_for_position(db: &Db, org: &OrgId, position: &str) -> Result<Vec<ShareLinkRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE org_id = $1 AND position_id = $2 ORDER BY created_at DESC, id DESC");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(position).fetch_all(p).await)
}

/// Revokes the link (the first revocation counts); `Ok(false)` when there is no such link.
pub async fn revoke(db: &Db, org: &OrgId, id: &str, at: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE share_links SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).bind(crate::truncate_micros(at))
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ViewRow {
    pub invitation_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub at: DateTime<Utc>,
}

pub async fn record_view(
    db: &Db,
    org: &OrgId,
    link: &str,
    invitation: Option<&str>,
    ip: &str,
    user_agent: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO share_link_views (id, org_id, share_link_id, invitation_id, ip, user_agent, at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let id = format!("shv_{}", uuid::Uuid::now_v7().simple());
    on_db!(db, p => sqlx::query(sql).bind(&id).bind(org.as_str()).bind(link).bind(invitation).bind(ip)
        .bind(user_agent).bind(crate::truncate_micros(at)).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn views(db: &Db, org: &OrgId, link: &str) -> Result<Vec<ViewRow>, sqlx::Error> {
    let sql = "SELECT invitation_id, ip, user_agent, at FROM share_link_views WHERE org_id = $1 AND share_link_id = $2 \
               ORDER BY at, id";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(link).fetch_all(p).await)
}
