//! Candidates: one per person and organisation, found by normalised e-mail.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{CandidateId, Email, OrgId};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CandidateRow {
    pub id: String,
    #[serde(skip)]
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, email, name, phone, locale, time_zone, created_at";

pub struct CandidateInput<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub locale: Option<&'a str>,
    pub time_zone: Option<&'a str>,
}

/// Finds the candidate by e-mail or creates them. Details given now fill in what was missing
/// before; a known name is not overwritten by a blank one.
pub async fn upsert(tx: &mut Tx, org: &OrgId, c: &CandidateInput<'_>) -> Result<CandidateRow, sqlx::Error> {
    let now = crate::now();
    let sql = "INSERT INTO candidates (id, org_id, email, name, phone, locale, time_zone, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
               ON CONFLICT (org_id, email) DO UPDATE SET \
                 name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE candidates.name END, \
                 phone = COALESCE(excluded.phone, candidates.phone), \
                 locale = COALESCE(excluded.locale, candidates.locale), \
                 time_zone = COALESCE(excluded.time_zone, candidates.time_zone), \
                 updated_at = excluded.updated_at";
    on_tx!(tx, x => sqlx::query(sql).bind(CandidateId::generate().as_str()).bind(org.as_str()).bind(c.email.as_str())
        .bind(c.name.trim()).bind(c.phone).bind(c.locale).bind(c.time_zone).bind(now)
        .execute(x).await.map(|r| r.rows_affected()))?;
    let sql = format!("SELECT {COLS} FROM candidates WHERE org_id = $1 AND email = $2");
    on_tx!(tx, x => sqlx::query_as(&sql).bind(org.as_str()).bind(c.email.as_str()).fetch_one(x).await)
}

pub async fn get(db: &Db, org: &OrgId, id: &CandidateId) -> Result<Option<CandidateRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM candidates WHERE org_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id.as_str()).fetch_optional(p).await)
}

pub async fn find_by_email(db: &Db, org: &OrgId, email: &Email) -> Result<Option<CandidateRow>, sqlx::Error> {
    let sql = format!("SELECT {COLS} FROM candidates WHERE org_id = $1 AND email = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(email.as_str()).fetch_optional(p).await)
}
