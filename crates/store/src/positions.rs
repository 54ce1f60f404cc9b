//! Positions (jobs), the templates linked to them, and external references (ATS ids) of
//! positions and candidates.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{OrgId, PositionId, TemplateId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PositionRow {
    pub id: String,
    pub org_id: String,
    pub title: String,
    pub owner_id: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub owner_name: String,
    pub owner_email: String,
}

const SELECT: &str = "SELECT p.id, p.org_id, p.title, p.owner_id, p.status, p.created_at, p.updated_at, \
    u.name AS owner_name, u.email AS owner_email FROM positions p JOIN users u ON u.id = p.owner_id";

pub async fn create(tx: &mut Tx, org: &OrgId, title: &str, owner: &UserId) -> Result<PositionId, sqlx::Error> {
    let id = PositionId::generate();
    let sql = "INSERT INTO positions (id, org_id, title, owner_id, status, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, 'open', $5, $5)";
    on_tx!(tx, c => sqlx::query(sql).bind(id.as_str()).bind(org.as_str()).bind(title).bind(owner.as_str())
        .bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

pub async fn get(db: &Db, org: &OrgId, id: &PositionId) -> Result<Option<PositionRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE p.org_id = $1 AND p.id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id.as_str()).fetch_optional(p).await)
}

/// Positions newest first, optionally only those with a status.
pub async fn list(db: &Db, org: &OrgId, status: Option<&str>) -> Result<Vec<PositionRow>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE p.org_id = $1 AND ($2 IS NULL OR p.status = $2) ORDER BY p.created_at DESC, p.id DESC LIMIT 500"
    );
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(status).fetch_all(p).await)
}

/// One page of [`list`]'s order (newest first), optionally only those with a status.
pub async fn page(
    db: &Db,
    org: &OrgId,
    status: Option<&str>,
    page: &crate::page::PageReq,
) -> Result<crate::page::Paged<PositionRow>, sqlx::Error> {
    let after = crate::page::after("p.created_at", "p.id", 3, 4);
    let sql = format!(
        "{SELECT} WHERE p.org_id = $1 AND ($2 IS NULL OR p.status = $2) AND {after} \
         ORDER BY p.created_at DESC, p.id DESC LIMIT $5"
    );
    let rows: Vec<PositionRow> = on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(status)
        .bind(page.after_at()).bind(page.after_id()).bind(page.fetch()).fetch_all(p).await)?;
    Ok(page.cut(rows, |r| crate::page::Keyset {
        at: r.created_at,
        id: r.id.clone(),
    }))
}

pub async fn update(db: &Db, org: &OrgId, id: &PositionId, title: &str, status: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE positions SET title = $3, status = $4, updated_at = $5 WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id.as_str()).bind(title).bind(status)
        .bind(crate::now()).execute(p).await?.rows_affected());
    Ok(n == 1)
}

pub async fn link_template(tx: &mut Tx, org: &OrgId, pos: &PositionId, tpl: &TemplateId) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO position_templates (org_id, position_id, template_id) VALUES ($1, $2, $3) \
               ON CONFLICT (position_id, template_id) DO NOTHING";
    on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(pos.as_str()).bind(tpl.as_str())
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn unlink_template(db: &Db, org: &OrgId, pos: &PositionId, tpl: &TemplateId) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM position_templates WHERE org_id = $1 AND position_id = $2 AND template_id = $3";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(pos.as_str()).bind(tpl.as_str())
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// Ids of the templates linked to a position, oldest link first.
pub async fn linked_templates(db: &Db, org: &OrgId, pos: &PositionId) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT pt.template_id FROM position_templates pt JOIN templates t ON t.id = pt.template_id \
               WHERE pt.org_id = $1 AND pt.position_id = $2 ORDER BY t.created_at, t.id";
    let rows: Vec<(String,)> =
        on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(pos.as_str()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ExternalRef {
    pub ats_kind: String,
    /// The ATS connection's id; empty for references a partner gave without one (a lookup with
    /// an empty id matches any connection of the kind).
    #[serde(default)]
    pub connection_id: String,
    pub external_id: String,
}

/// Records an ATS id for a position or candidate. `Ok(false)` when that id already belongs to
/// another record of the same kind on the same connection.
#[allow(clippy::too_many_arguments)]
pub async fn add_external_ref(
    tx: &mut Tx,
    org: &OrgId,
    entity: &str,
    entity_id: &str,
    r: &ExternalRef,
) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO external_refs (org_id, entity, entity_id, ats_kind, connection_id, external_id, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) \
               ON CONFLICT (org_id, entity, ats_kind, connection_id, external_id) DO NOTHING";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(entity).bind(entity_id).bind(&r.ats_kind)
        .bind(&r.connection_id).bind(&r.external_id).bind(crate::now()).execute(c).await?.rows_affected());
    if n == 1 {
        return Ok(true);
    }
    Ok(find_by_external_tx(tx, org, entity, r).await?.as_deref() == Some(entity_id))
}

async fn find_by_external_tx(
    tx: &mut Tx,
    org: &OrgId,
    entity: &str,
    r: &ExternalRef,
) -> Result<Option<String>, sqlx::Error> {
    let sql = "SELECT entity_id FROM external_refs WHERE org_id = $1 AND entity = $2 AND ats_kind = $3 \
               AND connection_id = $4 AND external_id = $5";
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(sql).bind(org.as_str()).bind(entity)
        .bind(&r.ats_kind).bind(&r.connection_id).bind(&r.external_id).fetch_optional(c).await)?;
    Ok(row.map(|r| r.0))
}

/// The position or candidate an ATS id points to.
pub async fn find_by_external(
    db: &Db,
    org: &OrgId,
    entity: &str,
    r: &ExternalRef,
) -> Result<Option<String>, sqlx::Error> {
    // A caller that leaves the connection blank means "the organisation's connection of this
    // kind" (one per kind), so references from before connection ids were kept still match.
    let sql = "SELECT entity_id FROM external_refs WHERE org_id = $1 AND entity = $2 AND ats_kind = $3 \
               AND ($4 = '' OR connection_id = $4) AND external_id = $5 ORDER BY created_at LIMIT 1";
    let row: Option<(String,)> = on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(entity)
        .bind(&r.ats_kind).bind(&r.connection_id).bind(&r.external_id).fetch_optional(p).await)?;
    Ok(row.map(|r| r.0))
}

pub async fn external_refs(
    db: &Db,
    org: &OrgId,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<ExternalRef>, sqlx::Error> {
    let sql = "SELECT ats_kind, connection_id, external_id FROM external_refs \
               WHERE org_id = $1 AND entity = $2 AND entity_id = $3 ORDER BY created_at";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(entity).bind(entity_id).fetch_all(p).await)
}

/// The position an ATS job reference names (exact connection), with what an order checks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefPosition {
    pub id: String,
    pub status: String,
    pub title: String,
}

pub async fn for_ref(db: &Db, org: &OrgId, r: &ExternalRef) -> Result<Option<RefPosition>, sqlx::Error> {
    let sql = "SELECT p.id, p.status, p.title FROM external_refs r JOIN positions p ON p.id = r.entity_id \
               AND p.org_id = r.org_id WHERE r.org_id = $1 AND r.entity = 'position' AND r.ats_kind = $2 \
               AND r.connection_id = $3 AND r.external_id = $4";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(&r.ats_kind).bind(&r.connection_id)
        .bind(&r.external_id).fetch_optional(p).await)
}
