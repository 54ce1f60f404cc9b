//! Recruiters' notification preferences, position followers, completions waiting for a digest
//! and the digests sent. The digest table's unique (org, user, local date) is what makes "one
//! digest per local day" durable across restarts, retries and several workers.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{OrgId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrefsRow {
    pub org_id: String,
    pub user_id: String,
    /// `immediate`, `daily`, `weekly` or `off`.
    pub completions: String,
    pub weekday: i32,
    pub local_time: String,
    pub time_zone: String,
    pub send_empty: bool,
    pub prior_invites: bool,
    pub email_failed: bool,
    pub push_kinds: String,
    pub effective_from: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const PREFS_COLS: &str = "org_id, user_id, completions, weekday, local_time, time_zone, send_empty, prior_invites, \
    email_failed, push_kinds, effective_from, updated_at";

pub async fn prefs(db: &Db, org: &OrgId, user: &UserId) -> Result<Option<PrefsRow>, sqlx::Error> {
    let sql = format!("SELECT {PREFS_COLS} FROM notify_prefs WHERE org_id = $1 AND user_id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(user.as_str()).fetch_optional(p).await)
}

pub async fn put_prefs(db: &Db, r: &PrefsRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO notify_prefs ({PREFS_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (org_id, user_id) DO UPDATE SET completions = excluded.completions, weekday = excluded.weekday, \
         local_time = excluded.local_time, time_zone = excluded.time_zone, send_empty = excluded.send_empty, \
         prior_invites = excluded.prior_invites, email_failed = excluded.email_failed, \
         push_kinds = excluded.push_kinds, effective_from = excluded.effective_from, updated_at = excluded.updated_at"
    );
    on_db!(db, p => sqlx::query(&sql).bind(&r.org_id).bind(&r.user_id).bind(&r.completions).bind(r.weekday)
        .bind(&r.local_time).bind(&r.time_zone).bind(r.send_empty).bind(r.prior_invites).bind(r.email_failed)
        .bind(&r.push_kinds).bind(crate::truncate_micros(r.effective_from)).bind(crate::truncate_micros(r.updated_at))
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Everyone on a digest, across organisations: the scheduler's one installation-wide read. Each
/// digest is then built with the row's own organisation in every query.
pub async fn digest_users(db: &Db) -> Result<Vec<PrefsRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {PREFS_COLS} FROM notify_prefs WHERE completions IN ('daily', 'weekly') ORDER BY org_id, user_id"
    );
    on_db!(db, p => sqlx::query_as(&sql).fetch_all(p).await)
}

pub async fn follow(db: &Db, org: &OrgId, position: &str, user: &UserId) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO position_followers (org_id, position_id, user_id, created_at) \
               SELECT $1, p.id, $3, $4 FROM positions p WHERE p.org_id = $1 AND p.id = $2 \
               ON CONFLICT (position_id, user_id) DO NOTHING";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(position).bind(user.as_str()).bind(crate::now())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn unfollow(db: &Db, org: &OrgId, position: &str, user: &UserId) -> Result<(), sqlx::Error> {
    let sql = "DELETE FROM position_followers WHERE org_id = $1 AND position_id = $2 AND user_id = $3";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(position).bind(user.as_str())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Positions the user follows (ids).
pub async fn followed(db: &Db, org: &OrgId, user: &UserId) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT position_id FROM position_followers WHERE org_id = $1 AND user_id = $2 ORDER BY position_id";
    let rows: Vec<(String,)> =
        on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(user.as_str()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Who hears about a position: its owner and its followers (active accounts only), ids.
pub async fn audience(db: &Db, org: &OrgId, position: &str) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT u.id FROM users u WHERE u.org_id = $1 AND u.disabled_at IS NULL AND (\
               u.id = (SELECT owner_id FROM positions WHERE org_id = $1 AND id = $2) \
               OR u.id IN (SELECT user_id FROM position_followers WHERE org_id = $1 AND position_id = $2)) \
               ORDER BY u.id";
    let rows: Vec<(String,)> =
        on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(position).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Queues a completion for the user's next digest; the same event twice is kept once.
pub async fn add_pending(
    tx: &mut Tx,
    org: &OrgId,
    user: &str,
    invitation: &str,
    event_id: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO notify_pending (id, org_id, user_id, invitation_id, event_id, occurred_at, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, event_id) DO NOTHING";
    let id = format!("npd_{}", uuid::Uuid::now_v7().simple());
    on_tx!(tx, c => sqlx::query(sql).bind(&id).bind(org.as_str()).bind(user).bind(invitation).bind(event_id)
        .bind(crate::truncate_micros(at)).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingItem {
    pub invitation_id: String,
    pub occurred_at: DateTime<Utc>,
    pub position_id: String,
    pub position_title: String,
    pub candidate_name: String,
    pub candidate_email: String,
}

/// Records the digest of `local_date` unless one exists (`Ok(None)`), and hands it every
/// completion that waited for it, oldest first, in the same transaction.
pub async fn claim_digest(
    tx: &mut Tx,
    org: &OrgId,
    user: &str,
    local_date: &str,
    frequency: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, Vec<PendingItem>)>, sqlx::Error> {
    let id = format!("dig_{}", uuid::Uuid::now_v7().simple());
    let ins = "INSERT INTO notify_digests (id, org_id, user_id, local_date, frequency, items, created_at) \
               VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (org_id, user_id, local_date) DO NOTHING";
    let n = on_tx!(tx, c => sqlx::query(ins).bind(&id).bind(org.as_str()).bind(user).bind(local_date).bind(frequency)
        .bind(crate::truncate_micros(now)).execute(c).await?.rows_affected());
    if n == 0 {
        return Ok(None);
    }
    let take = "UPDATE notify_pending SET digest_id = $3 WHERE org_id = $1 AND user_id = $2 AND digest_id IS NULL";
    on_tx!(tx, c => sqlx::query(take).bind(org.as_str()).bind(user).bind(&id).execute(c).await.map(|r| r.rows_affected()))?;
    let sel = "SELECT n.invitation_id, n.occurred_at, p.id AS position_id, p.title AS position_title, \
               c.name AS candidate_name, c.email AS candidate_email FROM notify_pending n \
               JOIN invitations i ON i.id = n.invitation_id AND i.org_id = n.org_id \
               JOIN positions p ON p.id = i.position_id JOIN candidates c ON c.id = i.candidate_id \
               WHERE n.org_id = $1 AND n.digest_id = $2 ORDER BY p.title, p.id, n.occurred_at, n.id";
    let items: Vec<PendingItem> = on_tx!(tx, c => sqlx::query_as(sel).bind(org.as_str()).bind(&id).fetch_all(c).await)?;
    let upd = "UPDATE notify_digests SET items = $3 WHERE org_id = $1 AND id = $2";
    on_tx!(tx, c => sqlx::query(upd).bind(org.as_str()).bind(&id).bind(items.len() as i32)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(Some((id, items)))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestRow {
    pub id: String,
    pub user_id: String,
    pub local_date: String,
    pub frequency: String,
    pub items: i32,
}

pub async fn digests(db: &Db, org: &OrgId, user: &UserId) -> Result<Vec<DigestRow>, sqlx::Error> {
    let sql = "SELECT id, user_id, local_date, frequency, items FROM notify_digests \
               WHERE org_id = $1 AND user_id = $2 ORDER BY local_date";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(user.as_str()).fetch_all(p).await)
}

/// Whether the digest of `local_date` was already taken (a cheap read before the scheduler
/// writes anything).
pub async fn digest_exists(db: &Db, org: &OrgId, user: &UserId, local_date: &str) -> Result<bool, sqlx::Error> {
    let sql = "SELECT id FROM notify_digests WHERE org_id = $1 AND user_id = $2 AND local_date = $3";
    let row: Option<(String,)> = on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(user.as_str())
        .bind(local_date).fetch_optional(p).await)?;
    Ok(row.is_some())
}

/// An installation-wide key pair (the VAPID key), `(public, private)`.
pub async fn server_key(db: &Db, name: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let sql = "SELECT public_key, private_key FROM server_keys WHERE name = $1";
    on_db!(db, p => sqlx::query_as(sql).bind(name).fetch_optional(p).await)
}

/// Stores a key unless another instance stored one first (then that one is kept).
pub async fn insert_server_key(db: &Db, name: &str, public: &str, private: &str) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO server_keys (name, public_key, private_key, created_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (name) DO NOTHING";
    on_db!(db, p => sqlx::query(sql).bind(name).bind(public).bind(private).bind(crate::now())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PushSubscriptionRow {
    pub id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Registers a browser's push subscription for the user; the same endpoint again updates it.
pub async fn add_subscription(
    db: &Db,
    org: &OrgId,
    user: &UserId,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO push_subscriptions (id, org_id, user_id, endpoint, p256dh, auth, created_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (endpoint) DO UPDATE SET org_id = excluded.org_id, \
               user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth";
    let id = format!("psub_{}", uuid::Uuid::now_v7().simple());
    on_db!(db, p => sqlx::query(sql).bind(&id).bind(org.as_str()).bind(user.as_str()).bind(endpoint).bind(p256dh)
        .bind(auth).bind(crate::now()).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn remove_subscription(db: &Db, org: &OrgId, user: &UserId, endpoint: &str) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM push_subscriptions WHERE org_id = $1 AND user_id = $2 AND endpoint = $3";
    let n = on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(user.as_str()).bind(endpoint)
        .execute(p).await?.rows_affected());
    Ok(n > 0)
}

/// The push service said the subscription is gone (404/410).
pub async fn drop_subscription(db: &Db, org: &OrgId, id: &str) -> Result<(), sqlx::Error> {
    let sql = "DELETE FROM push_subscriptions WHERE org_id = $1 AND id = $2";
    on_db!(db, p => sqlx::query(sql).bind(org.as_str()).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn subscriptions(db: &Db, org: &OrgId, user: &UserId) -> Result<Vec<PushSubscriptionRow>, sqlx::Error> {
    let sql =
        "SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE org_id = $1 AND user_id = $2 ORDER BY id";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(user.as_str()).fetch_all(p).await)
}
