//! One row per uploaded file: which organisation owns the object under `key` in the media
//! store, what kind of file it is and its content type.

use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::{OrgId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaObjectRow {
    pub key: String,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
}

const COLS: &str = "key, kind, content_type, size_bytes, created_at";

pub struct NewMediaObject<'a> {
    pub key: &'a str,
    pub kind: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub created_by: Option<&'a UserId>,
}

pub async fn insert(db: &Db, org: &OrgId, m: &NewMediaObject<'_>) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO media_objects (key, org_id, kind, content_type, size_bytes, created_by, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let by = m.created_by.map(|u| u.as_str());
    on_db!(db, p => sqlx::query(sql).bind(m.key).bind(org.as_str()).bind(m.kind).bind(m.content_type)
        .bind(m.size_bytes).bind(by).bind(crate::now()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Forgets an upload of this organisation (its object is removed by the caller); whether a row
/// was there.
pub async fn delete(db: &Db, org: &OrgId, key: &str) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM media_objects WHERE org_id = $1 AND key = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(key).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The object under `key` if this organisation owns it.
pub async fn get(db: &Db, org: &OrgId, key: &str) -> Result<Option<MediaObjectRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM media_objects WHERE org_id = $1 AND key = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(key).fetch_optional(p).await)
}

/// Those of `keys` this organisation owns.
pub async fn find(db: &Db, org: &OrgId, keys: &[&str]) -> Result<Vec<MediaObjectRow>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let marks: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT {COLS} FROM media_objects WHERE org_id = $1 AND key IN ({})",
        marks.join(", ")
    );
    on_db!(db, p => {
        let mut q = sqlx::query_as(&sql).bind(org.as_str());
        for k in keys {
            q = q.bind(*k);
        }
        q.fetch_all(p).await
    })
}
