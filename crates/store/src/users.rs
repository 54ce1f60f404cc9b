//! Accounts. E-mail is unique across the installation so that sign-in needs no org picker.

use crate::{Db, on_db};
use chrono::{DateTime, Utc};
use shortlist_domain::{Email, OrgId, Role, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub time_zone: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, org_id, email, name, role, password_hash, time_zone, disabled_at, created_at, updated_at";

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

/// Inserts a user; `Ok(None)` when the e-mail is already registered.
pub async fn create(db: &Db, org: &OrgId, new: NewUser<'_>) -> Result<Option<UserId>, sqlx::Error> {
    let id = UserId::generate();
    let now = crate::now();
    let sql = "INSERT INTO users (id, org_id, email, name, role, password_hash, time_zone, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, 'UTC', $7, $7) ON CONFLICT (email) DO NOTHING";
    let done = on_db!(db, pool => sqlx::query(sql)
        .bind(id.as_str()).bind(org.as_str()).bind(new.email.as_str()).bind(new.name)
        .bind(new.role.as_str()).bind(new.password_hash).bind(now)
        .execute(pool).await?.rows_affected());
    Ok((done == 1).then_some(id))
}

/// Sign-in is the one lookup that starts without an organisation: the e-mail names the account.
pub async fn find_for_login(db: &Db, email: &Email) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = const_format_users("WHERE email = $1");
    on_db!(db, pool => sqlx::query_as(&sql).bind(email.as_str()).fetch_optional(pool).await)
}

pub async fn get(db: &Db, org: &OrgId, user: &UserId) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = const_format_users("WHERE org_id = $1 AND id = $2");
    on_db!(db, pool => sqlx::query_as(&sql)
        .bind(org.as_str()).bind(user.as_str()).fetch_optional(pool).await)
}

pub async fn find_by_email(db: &Db, org: &OrgId, email: &Email) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = const_format_users("WHERE org_id = $1 AND email = $2");
    on_db!(db, pool => sqlx::query_as(&sql)
        .bind(org.as_str()).bind(email.as_str()).fetch_optional(pool).await)
}

pub async fn list(db: &Db, org: &OrgId) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = const_format_users("WHERE org_id = $1 ORDER BY email");
    on_db!(db, pool => sqlx::query_as(&sql).bind(org.as_str()).fetch_all(pool).await)
}

pub async fn set_password_hash(db: &Db, org: &OrgId, user: &UserId, hash: &str) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE users SET password_hash = $3, updated_at = $4 WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, pool => sqlx::query(sql)
        .bind(org.as_str()).bind(user.as_str()).bind(hash).bind(crate::now())
        .execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Same as [`set_password_hash`] inside a caller's transaction, so the change and the jobs it
/// triggers (the "your password was changed" e-mail) commit together.
pub async fn set_password_hash_tx(
    tx: &mut crate::Tx,
    org: &OrgId,
    user: &UserId,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE users SET password_hash = $3, updated_at = $4 WHERE org_id = $1 AND id = $2";
    let n = crate::on_tx!(tx, conn => sqlx::query(sql)
        .bind(org.as_str()).bind(user.as_str()).bind(hash).bind(crate::now())
        .execute(conn).await?.rows_affected());
    Ok(n == 1)
}

fn const_format_users(where_clause: &str) -> String {
    format!("SELECT {COLS} FROM users {where_clause}")
}
