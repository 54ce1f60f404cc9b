//! Templates and their immutable-once-used versions. The content is a JSON document
//! (`TemplateSpec`) kept as text so both backends store it the same way.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{OrgId, TemplateId, TemplateVersionId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: String,
    pub org_id: String,
    pub key: String,
    pub current_version: i32,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Name of the current version.
    pub name: String,
    pub current_version_id: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub id: String,
    pub template_id: String,
    pub version: i32,
    pub name: String,
    pub spec: String,
    pub created_at: DateTime<Utc>,
}

const TEMPLATE_SELECT: &str = "SELECT t.id, t.org_id, t.key, t.current_version, t.archived_at, t.created_at, t.updated_at, \
    v.name, v.id AS current_version_id FROM templates t \
    JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version";

/// Creates a template with version 1; `Ok(None)` when the key is taken in this organisation.
pub async fn create(
    tx: &mut Tx,
    org: &OrgId,
    key: &str,
    name: &str,
    spec: &str,
    by: Option<&UserId>,
) -> Result<Option<(TemplateId, TemplateVersionId)>, sqlx::Error> {
    let (id, vid, now) = (TemplateId::generate(), TemplateVersionId::generate(), crate::now());
    let by = by.map(|u| u.as_str());
    let sql = "INSERT INTO templates (id, org_id, key, current_version, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, 1, $4, $5, $5) ON CONFLICT (org_id, key) DO NOTHING";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(id.as_str()).bind(org.as_str()).bind(key).bind(by).bind(now)
        .execute(c).await?.rows_affected());
    if n == 0 {
        return Ok(None);
    }
    insert_version(tx, org, &id, &vid, 1, name, spec, by).await?;
    Ok(Some((id, vid)))
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(
    tx: &mut Tx,
    org: &OrgId,
    tpl: &TemplateId,
    vid: &TemplateVersionId,
    version: i32,
    name: &str,
    spec: &str,
    by: Option<&str>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO template_versions (id, org_id, template_id, version, name, spec, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, c => sqlx::query(sql).bind(vid.as_str()).bind(org.as_str()).bind(tpl.as_str()).bind(version)
        .bind(name).bind(spec).bind(by).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &Db, org: &OrgId, id: &TemplateId) -> Result<Option<TemplateRow>, sqlx::Error> {
    let sql = format!("{TEMPLATE_SELECT} WHERE t.org_id = $1 AND t.id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id.as_str()).fetch_optional(p).await)
}

pub async fn find_by_key(db: &Db, org: &OrgId, key: &str) -> Result<Option<TemplateRow>, sqlx::Error> {
    let sql = format!("{TEMPLATE_SELECT} WHERE t.org_id = $1 AND t.key = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(key).fetch_optional(p).await)
}

/// Templates of an organisation, newest first; archived ones only when asked.
pub async fn list(db: &Db, org: &OrgId, include_archived: bool) -> Result<Vec<TemplateRow>, sqlx::Error> {
    let sql = format!(
        "{TEMPLATE_SELECT} WHERE t.org_id = $1 AND ($2 OR t.archived_at IS NULL) ORDER BY t.created_at DESC, t.id DESC"
    );
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(include_archived).fetch_all(p).await)
}

/// One page of [`list`]'s order (newest first).
pub async fn page(
    db: &Db,
    org: &OrgId,
    include_archived: bool,
    page: &crate::page::PageReq,
) -> Result<crate::page::Paged<TemplateRow>, sqlx::Error> {
    let after = crate::page::after("t.created_at", "t.id", 3, 4);
    let sql = format!(
        "{TEMPLATE_SELECT} WHERE t.org_id = $1 AND ($2 OR t.archived_at IS NULL) AND {after} \
         ORDER BY t.created_at DESC, t.id DESC LIMIT $5"
    );
    let rows: Vec<TemplateRow> = on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(include_archived)
        .bind(page.after_at()).bind(page.after_id()).bind(page.fetch()).fetch_all(p).await)?;
    Ok(page.cut(rows, |r| crate::page::Keyset {
        at: r.created_at,
        id: r.id.clone(),
    }))
}

pub async fn version(db: &Db, org: &OrgId, id: &TemplateVersionId) -> Result<Option<VersionRow>, sqlx::Error> {
    let sql =
        "SELECT id, template_id, version, name, spec, created_at FROM template_versions WHERE org_id = $1 AND id = $2";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(id.as_str()).fetch_optional(p).await)
}

pub async fn versions(db: &Db, org: &OrgId, tpl: &TemplateId) -> Result<Vec<VersionRow>, sqlx::Error> {
    let sql = "SELECT id, template_id, version, name, spec, created_at FROM template_versions \
               WHERE org_id = $1 AND template_id = $2 ORDER BY version DESC";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(tpl.as_str()).fetch_all(p).await)
}

/// Saves new content. While no invitation uses the current version it is edited in place;
/// otherwise a new version is added and becomes current. Returns the version now current.
pub async fn save(
    tx: &mut Tx,
    org: &OrgId,
    tpl: &TemplateId,
    name: &str,
    spec: &str,
    by: Option<&UserId>,
) -> Result<Option<(TemplateVersionId, i32)>, sqlx::Error> {
    let sql = "SELECT v.id, v.version, (SELECT COUNT(*) FROM invitations i WHERE i.template_version_id = v.id) AS used \
               FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version \
               WHERE t.org_id = $1 AND t.id = $2";
    let current: Option<(String, i32, i64)> =
        on_tx!(tx, c => sqlx::query_as(sql).bind(org.as_str()).bind(tpl.as_str()).fetch_optional(c).await)?;
    let Some((vid, version, used)) = current else {
        return Ok(None);
    };
    let now = crate::now();
    if used == 0 {
        let sql = "UPDATE template_versions SET name = $3, spec = $4 WHERE org_id = $1 AND id = $2";
        on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(&vid).bind(name).bind(spec)
            .execute(c).await.map(|r| r.rows_affected()))?;
        let sql = "UPDATE templates SET updated_at = $3 WHERE org_id = $1 AND id = $2";
        on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(tpl.as_str()).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        let vid = TemplateVersionId::parse(&vid).map_err(|e| sqlx::Error::Decode(e.into()))?;
        return Ok(Some((vid, version)));
    }
    let new_id = TemplateVersionId::generate();
    insert_version(tx, org, tpl, &new_id, version + 1, name, spec, by.map(|u| u.as_str())).await?;
    let sql = "UPDATE templates SET current_version = $3, updated_at = $4 WHERE org_id = $1 AND id = $2";
    on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(tpl.as_str()).bind(version + 1).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(Some((new_id, version + 1)))
}

pub async fn set_archived(db: &Db, org: &OrgId, tpl: &TemplateId, archived: bool) -> Result<bool, sqlx::Error> {
    let now = crate::now();
    let sql = "UPDATE templates SET archived_at = $3, updated_at = $4 WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(tpl.as_str()).bind(archived.then_some(now)).bind(now)
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}
