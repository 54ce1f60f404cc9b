//! Organisations (tenants).

use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::{OrgId, Slug};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub is_sandbox: bool,
    pub created_at: DateTime<Utc>,
}

impl OrgRow {
    pub fn org_id(&self) -> Result<OrgId, shortlist_domain::ParseError> {
        OrgId::parse(&self.id)
    }
}

/// Inserts an organisation; `Ok(None)` when the slug is taken.
pub async fn create(db: &Db, slug: &Slug, name: &str, is_sandbox: bool) -> Result<Option<OrgRow>, sqlx::Error> {
    let row = OrgRow {
        id: OrgId::generate().to_string(),
        slug: slug.to_string(),
        name: name.to_string(),
        is_sandbox,
        created_at: crate::now(),
    };
    let sql = "INSERT INTO orgs (id, slug, name, is_sandbox, created_at) VALUES ($1, $2, $3, $4, $5) \
               ON CONFLICT (slug) DO NOTHING";
    let done = on_db!(db, pool => sqlx::query(sql)
        .bind(&row.id).bind(&row.slug).bind(&row.name).bind(row.is_sandbox).bind(row.created_at)
        .execute(pool).await?.rows_affected());
    Ok((done == 1).then_some(row))
}

/// Organisations are looked up by slug from the CLI, the one place without a tenant context.
pub async fn find_by_slug(db: &Db, slug: &str) -> Result<Option<OrgRow>, sqlx::Error> {
    let sql = "SELECT id, slug, name, is_sandbox, created_at FROM orgs WHERE slug = $1";
    on_db!(db, pool => sqlx::query_as(sql).bind(slug).fetch_optional(pool).await)
}

pub async fn get(db: &Db, org: &OrgId) -> Result<Option<OrgRow>, sqlx::Error> {
    let sql = "SELECT id, slug, name, is_sandbox, created_at FROM orgs WHERE id = $1";
    on_db!(db, pool => sqlx::query_as(sql).bind(org.as_str()).fetch_optional(pool).await)
}

pub async fn list(db: &Db) -> Result<Vec<OrgRow>, sqlx::Error> {
    let sql = "SELECT id, slug, name, is_sandbox, created_at FROM orgs ORDER BY slug";
    on_db!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)
}
