//! Invitations (candidate × position × template version × round) and their history.
//!
//! Duplicate suppression is a unique column: `active_key` holds
//! `position|template|candidate|round` while the invitation counts as active and is cleared when
//! it is cancelled or expires, so concurrent requests cannot create two active invitations.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: String,
    pub org_id: String,
    pub candidate_id: String,
    pub position_id: String,
    pub template_id: String,
    pub template_version_id: String,
    pub round: i32,
    pub state: String,
    pub link_nonce: String,
    pub expires_at: DateTime<Utc>,
    pub delivery: String,
    pub delivery_error: Option<String>,
    pub send_count: i32,
    pub sent_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub metadata: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    // Joined for display.
    pub candidate_email: String,
    pub candidate_name: String,
    pub position_title: String,
    pub template_key: String,
}

pub(crate) const SELECT: &str = "SELECT i.id, i.org_id, i.candidate_id, i.position_id, i.template_id, i.template_version_id, \
    i.round, i.state, i.link_nonce, i.expires_at, i.delivery, i.delivery_error, i.send_count, i.sent_at, i.opened_at, \
    i.started_at, i.completed_at, i.metadata, i.created_by, i.created_at, i.updated_at, \
    c.email AS candidate_email, c.name AS candidate_name, p.title AS position_title, t.key AS template_key \
    FROM invitations i JOIN candidates c ON c.id = i.candidate_id JOIN positions p ON p.id = i.position_id \
    JOIN templates t ON t.id = i.template_id";

pub struct NewInvitation<'a> {
    pub id: &'a InvitationId,
    pub candidate_id: &'a str,
    pub position_id: &'a str,
    pub template_id: &'a str,
    pub template_version_id: &'a str,
    pub round: i32,
    pub token_hash: &'a str,
    pub link_nonce: &'a str,
    pub expires_at: DateTime<Utc>,
    pub metadata: &'a str,
    pub created_by: Option<&'a str>,
}

pub fn active_key(position: &str, template: &str, candidate: &str, round: i32) -> String {
    format!("{position}|{template}|{candidate}|{round}")
}

/// Inserts an invitation unless an active one holds the same key; `Ok(false)` then.
pub async fn insert(tx: &mut Tx, org: &OrgId, n: &NewInvitation<'_>) -> Result<bool, sqlx::Error> {
    let key = active_key(n.position_id, n.template_id, n.candidate_id, n.round);
    let sql = "INSERT INTO invitations (id, org_id, candidate_id, position_id, template_id, template_version_id, round, \
               state, active_key, token_hash, link_nonce, expires_at, delivery, metadata, created_by, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, 'created', $8, $9, $10, $11, 'queued', $12, $13, $14, $14) \
               ON CONFLICT (active_key) DO NOTHING";
    let done = on_tx!(tx, c => sqlx::query(sql).bind(n.id.as_str()).bind(org.as_str()).bind(n.candidate_id)
        .bind(n.position_id).bind(n.template_id).bind(n.template_version_id).bind(n.round).bind(&key)
        .bind(n.token_hash).bind(n.link_nonce).bind(crate::truncate_micros(n.expires_at)).bind(n.metadata)
        .bind(n.created_by).bind(crate::now()).execute(c).await?.rows_affected());
    Ok(done == 1)
}

pub async fn find_active(tx: &mut Tx, org: &OrgId, key: &str) -> Result<Option<InvitationRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.org_id = $1 AND i.active_key = $2");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org.as_str()).bind(key).fetch_optional(c).await)
}

pub async fn get(db: &Db, org: &OrgId, id: &InvitationId) -> Result<Option<InvitationRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.org_id = $1 AND i.id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id.as_str()).fetch_optional(p).await)
}

pub async fn get_tx(tx: &mut Tx, org: &OrgId, id: &InvitationId) -> Result<Option<InvitationRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.org_id = $1 AND i.id = $2");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org.as_str()).bind(id.as_str()).fetch_optional(c).await)
}

/// The candidate link is a capability: it is looked up by its hash, without an organisation.
pub async fn find_by_token_hash(db: &Db, hash: &str) -> Result<Option<InvitationRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.token_hash = $1");
    on_db!(db, p => sqlx::query_as(&sql).bind(hash).fetch_optional(p).await)
}

pub async fn list_for_position(db: &Db, org: &OrgId, position: &str) -> Result<Vec<InvitationRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.org_id = $1 AND i.position_id = $2 ORDER BY i.created_at DESC, i.id DESC");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(position).fetch_all(p).await)
}

pub async fn list_for_candidate(db: &Db, org: &OrgId, candidate: &str) -> Result<Vec<InvitationRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.org_id = $1 AND i.candidate_id = $2 ORDER BY i.created_at DESC, i.id DESC");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(candidate).fetch_all(p).await)
}

/// [`list_for_candidate`] inside a transaction.
pub async fn list_for_candidate_tx(
    tx: &mut Tx,
    org: &OrgId,
    candidate: &str,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE i.org_id = $1 AND i.candidate_id = $2 ORDER BY i.created_at DESC, i.id DESC");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(org.as_str()).bind(candidate).fetch_all(c).await)
}

/// Moves an invitation from one of `from` to `to`, stamping `<to>_at` where such a column
/// exists, and clearing the duplicate key when the invitation stops being active. `Ok(false)`
/// when it was not in one of `from` (someone else moved it first).
pub async fn transition(
    tx: &mut Tx,
    org: &OrgId,
    id: &InvitationId,
    from: &[&str],
    to: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let stamp = match to {
        "sent" => ", sent_at = COALESCE(sent_at, $4)",
        "opened" => ", opened_at = COALESCE(opened_at, $4)",
        "started" => ", started_at = COALESCE(started_at, $4)",
        "completed" => ", completed_at = $4",
        "cancelled" | "expired" => ", active_key = NULL",
        _ => "",
    };
    let allowed: Vec<String> = from.iter().map(|s| format!("'{}'", s.replace('\'', ""))).collect();
    let sql = format!(
        "UPDATE invitations SET state = $3, updated_at = $4{stamp} WHERE org_id = $1 AND id = $2 AND state IN ({})",
        allowed.join(", ")
    );
    let n = on_tx!(tx, c => sqlx::query(&sql).bind(org.as_str()).bind(id.as_str()).bind(to).bind(at)
        .execute(c).await?.rows_affected());
    Ok(n == 1)
}

pub async fn set_expiry(
    tx: &mut Tx,
    org: &OrgId,
    id: &InvitationId,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE invitations SET expires_at = $3, updated_at = $4 WHERE org_id = $1 AND id = $2";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(id.as_str())
        .bind(crate::truncate_micros(expires_at)).bind(crate::now()).execute(c).await?.rows_affected());
    Ok(n == 1)
}

/// Records the outcome of handing an e-mail to SMTP.
pub async fn set_delivery(
    tx: &mut Tx,
    org: &OrgId,
    id: &InvitationId,
    delivery: &str,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    let bump = if delivery == "sent" {
        ", send_count = send_count + 1"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE invitations SET delivery = $3, delivery_error = $4, updated_at = $5{bump} WHERE org_id = $1 AND id = $2"
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(org.as_str()).bind(id.as_str()).bind(delivery).bind(error)
        .bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct EventRow {
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub actor: Option<String>,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    /// `usr_…`, `candidate`, `system`, later a partner or connection id.
    pub actor: &'a str,
    pub detail: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// The job that fans one recorded invitation event out to its subscribers (ATS write-back,
/// notifications, webhooks); see `shortlist_app::events`.
pub const EVENT_DISPATCH_KIND: &str = "invitation.event";

/// Records the event and, in the same transaction, enqueues its dispatch job: every consumer of
/// invitation events hangs off that one outbox row, so no call site can forget to publish.
/// Returns the event id (`evt_…`).
pub async fn add_event(tx: &mut Tx, org: &OrgId, inv: &InvitationId, e: &NewEvent<'_>) -> Result<String, sqlx::Error> {
    let sql = "INSERT INTO invitation_events (id, org_id, invitation_id, kind, from_state, to_state, actor, detail, at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
    on_tx!(tx, c => sqlx::query(sql).bind(&id).bind(org.as_str()).bind(inv.as_str()).bind(e.kind).bind(e.from_state)
        .bind(e.to_state).bind(e.actor).bind(e.detail).bind(crate::truncate_micros(e.at))
        .execute(c).await.map(|r| r.rows_affected()))?;
    let payload = serde_json::json!({
        "invitation_id": inv.as_str(),
        "event_id": id,
        "kind": e.kind,
        "actor": e.actor,
        "at": e.at,
    });
    let job = crate::jobs::NewJob::new(EVENT_DISPATCH_KIND, payload)
        .for_org(org)
        .unique(format!("{id}/dispatch"))
        .max_attempts(10);
    crate::jobs::enqueue(tx, &job).await?;
    Ok(id)
}

pub async fn events(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Vec<EventRow>, sqlx::Error> {
    let sql = "SELECT kind, from_state, to_state, actor, detail, at FROM invitation_events \
               WHERE org_id = $1 AND invitation_id = $2 ORDER BY at, id";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(inv.as_str()).fetch_all(p).await)
}

/// Puts an expired invitation back in `state` with its duplicate key, unless another active
/// invitation took that key meanwhile (`Ok(false)`).
pub async fn reactivate(
    tx: &mut Tx,
    org: &OrgId,
    id: &InvitationId,
    key: &str,
    state: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE invitations SET state = $4, active_key = $3, updated_at = $5 \
               WHERE org_id = $1 AND id = $2 AND state = 'expired' \
               AND NOT EXISTS (SELECT 1 FROM invitations o WHERE o.active_key = $3)";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(id.as_str()).bind(key).bind(state).bind(at)
        .execute(c).await?.rows_affected());
    Ok(n == 1)
}
