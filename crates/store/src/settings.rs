//! Per-organisation settings and editable e-mail templates.

use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::OrgId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgSettingsRow {
    pub default_expiry_days: i32,
    /// Comma-separated hours before expiry at which unfinished candidates are reminded.
    pub reminder_hours: String,
}

impl Default for OrgSettingsRow {
    fn default() -> Self {
        Self {
            default_expiry_days: 14,
            reminder_hours: "48,24".into(),
        }
    }
}

pub async fn get(db: &Db, org: &OrgId) -> Result<OrgSettingsRow, sqlx::Error> {
    let sql = "SELECT default_expiry_days, reminder_hours FROM org_settings WHERE org_id = $1";
    let row = on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).fetch_optional(p).await)?;
    Ok(row.unwrap_or_default())
}

pub async fn put(db: &Db, org: &OrgId, s: &OrgSettingsRow) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO org_settings (org_id, default_expiry_days, reminder_hours, updated_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (org_id) DO UPDATE SET default_expiry_days = excluded.default_expiry_days, \
               reminder_hours = excluded.reminder_hours, updated_at = excluded.updated_at";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(s.default_expiry_days).bind(&s.reminder_hours)
        .bind(crate::now()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailTemplateRow {
    pub kind: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub updated_at: DateTime<Utc>,
}

/// The organisation's own version of an e-mail, if it edited one.
pub async fn email_template(db: &Db, org: &OrgId, kind: &str) -> Result<Option<EmailTemplateRow>, sqlx::Error> {
    let sql =
        "SELECT kind, subject, text_body, html_body, updated_at FROM email_templates WHERE org_id = $1 AND kind = $2";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(kind).fetch_optional(p).await)
}

pub async fn put_email_template(
    db: &Db,
    org: &OrgId,
    kind: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO email_templates (org_id, kind, subject, text_body, html_body, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, kind) DO UPDATE SET subject = excluded.subject, \
               text_body = excluded.text_body, html_body = excluded.html_body, updated_at = excluded.updated_at";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(kind).bind(subject).bind(text).bind(html)
        .bind(crate::now()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn reset_email_template(db: &Db, org: &OrgId, kind: &str) -> Result<(), sqlx::Error> {
    on_db!(db, p => sqlx::query("DELETE FROM email_templates WHERE org_id = $1 AND kind = $2")
        .bind(org.as_str()).bind(kind).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}
