//! Outbound webhooks: endpoints (per organisation, optionally owned by a partner), deliveries
//! (one per endpoint and event, body and `webhook-id` frozen at creation) and their attempts.
//! Every query names the organisation; partner-owned endpoints are further narrowed by partner.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::OrgId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: String,
    pub org_id: String,
    pub partner_id: Option<String>,
    pub url: String,
    pub description: String,
    pub events: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_expires_at: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ENDPOINT_COLS: &str = "id, org_id, partner_id, url, description, events, secret_sealed, previous_secret_sealed, \
     previous_expires_at, enabled, disabled_reason, disabled_at, failing_since, created_by, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub org_id: String,
    pub endpoint_id: String,
    pub msg_id: String,
    pub event_type: String,
    pub event_id: Option<String>,
    pub body: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const DELIVERY_COLS: &str = "id, org_id, endpoint_id, msg_id, event_type, event_id, body, state, attempts, next_attempt_at, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub response_ms: i64,
    pub response_excerpt: String,
}

pub async fn insert_endpoint(db: &Db, e: &EndpointRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO webhook_endpoints ({ENDPOINT_COLS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    );
    on_db!(db, p => sqlx::query(&sql).bind(&e.id).bind(&e.org_id).bind(&e.partner_id).bind(&e.url)
        .bind(&e.description).bind(&e.events).bind(&e.secret_sealed).bind(&e.previous_secret_sealed)
        .bind(e.previous_expires_at).bind(e.enabled).bind(&e.disabled_reason).bind(e.disabled_at)
        .bind(e.failing_since).bind(&e.created_by).bind(e.created_at).bind(e.updated_at)
        .execute(p).await.map(|_| ()))
}

/// Writes every changeable column of an endpoint (url, events, secrets, enabled state, health).
pub async fn update_endpoint(db: &Db, e: &EndpointRow) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE webhook_endpoints SET url = $3, description = $4, events = $5, secret_sealed = $6, \
               previous_secret_sealed = $7, previous_expires_at = $8, enabled = $9, disabled_reason = $10, \
               disabled_at = $11, failing_since = $12, updated_at = $13 WHERE org_id = $1 AND id = $2";
    let n = on_db!(db, p => sqlx::query(sql).bind(&e.org_id).bind(&e.id).bind(&e.url).bind(&e.description)
        .bind(&e.events).bind(&e.secret_sealed).bind(&e.previous_secret_sealed).bind(e.previous_expires_at)
        .bind(e.enabled).bind(&e.disabled_reason).bind(e.disabled_at).bind(e.failing_since).bind(e.updated_at)
        .execute(p).await?.rows_affected());
    Ok(n == 1)
}

/// One endpoint of the organisation owned by `partner` (`None`: owned by the organisation).
pub async fn endpoint(
    db: &Db,
    org: &OrgId,
    partner: Option<&str>,
    id: &str,
) -> Result<Option<EndpointRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2 \
         AND (partner_id = $3 OR ($3 IS NULL AND partner_id IS NULL))"
    );
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id).bind(partner).fetch_optional(p).await)
}

/// An endpoint of the organisation whoever owns it (delivery jobs).
pub async fn endpoint_any_owner(db: &Db, org: &OrgId, id: &str) -> Result<Option<EndpointRow>, sqlx::Error> {
    let sql = format!("SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(id).fetch_optional(p).await)
}

pub async fn endpoints(db: &Db, org: &OrgId, partner: Option<&str>) -> Result<Vec<EndpointRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE org_id = $1 \
         AND (partner_id = $2 OR ($2 IS NULL AND partner_id IS NULL)) ORDER BY created_at, id"
    );
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(partner).fetch_all(p).await)
}

/// Enabled endpoints of the organisation whose owner may receive: organisation-owned ones and
/// those of partners that are not suspended.
pub async fn receiving_endpoints(db: &Db, org: &OrgId) -> Result<Vec<EndpointRow>, sqlx::Error> {
    let cols = ENDPOINT_COLS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM webhook_endpoints e LEFT JOIN partners p ON p.id = e.partner_id \
         WHERE e.org_id = $1 AND e.enabled = TRUE AND (e.partner_id IS NULL OR p.status <> 'suspended') \
         ORDER BY e.created_at, e.id"
    );
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).fetch_all(p).await)
}

/// Removes an endpoint with its deliveries and attempts; delivery jobs still queued find nothing.
pub async fn delete_endpoint(db: &Db, org: &OrgId, id: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let sql = "DELETE FROM webhook_attempts WHERE org_id = $1 AND delivery_id IN \
               (SELECT id FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2)";
    on_tx!(&mut tx, c => sqlx::query(sql).bind(org.as_str()).bind(id).execute(c).await?.rows_affected());
    let sql = "DELETE FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2";
    on_tx!(&mut tx, c => sqlx::query(sql).bind(org.as_str()).bind(id).execute(c).await?.rows_affected());
    let sql = "DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2";
    let n = on_tx!(&mut tx, c => sqlx::query(sql).bind(org.as_str()).bind(id).execute(c).await?.rows_affected());
    tx.commit().await?;
    Ok(n == 1)
}

/// Inserts a delivery; `false` when this endpoint already has one for this event.
pub async fn insert_delivery(tx: &mut Tx, d: &DeliveryRow) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT DO NOTHING"
    );
    let n = on_tx!(tx, c => sqlx::query(&sql).bind(&d.id).bind(&d.org_id).bind(&d.endpoint_id).bind(&d.msg_id)
        .bind(&d.event_type).bind(&d.event_id).bind(&d.body).bind(&d.state).bind(d.attempts)
        .bind(d.next_attempt_at).bind(d.created_at).bind(d.updated_at)
        .execute(c).await?.rows_affected());
    Ok(n == 1)
}

pub async fn delivery_for_event(
    db: &Db,
    org: &OrgId,
    endpoint: &str,
    event_id: &str,
) -> Result<Option<DeliveryRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2 AND event_id = $3"
    );
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(endpoint).bind(event_id).fetch_optional(p).await)
}

pub async fn delivery(db: &Db, org: &OrgId, endpoint: &str, id: &str) -> Result<Option<DeliveryRow>, sqlx::Error> {
    let sql =
        format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2 AND id = $3");
    on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(endpoint).bind(id).fetch_optional(p).await)
}

/// The newest `limit` deliveries of an endpoint, newest first.
pub async fn deliveries(db: &Db, org: &OrgId, endpoint: &str, limit: i64) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    let page = crate::page::PageReq::first(usize::try_from(limit).unwrap_or(1));
    Ok(deliveries_page(db, org, endpoint, &page).await?.items)
}

/// One page of an endpoint's deliveries, newest first (keyset on `created_at`, `id`).
pub async fn deliveries_page(
    db: &Db,
    org: &OrgId,
    endpoint: &str,
    page: &crate::page::PageReq,
) -> Result<crate::page::Paged<DeliveryRow>, sqlx::Error> {
    let after = crate::page::after("created_at", "id", 3, 4);
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2 AND {after} \
         ORDER BY created_at DESC, id DESC LIMIT $5"
    );
    let rows: Vec<DeliveryRow> = on_db!(db, p => sqlx::query_as(&sql).bind(org.as_str()).bind(endpoint)
        .bind(page.after_at()).bind(page.after_id()).bind(page.fetch()).fetch_all(p).await)?;
    Ok(page.cut(rows, |r| crate::page::Keyset {
        at: r.created_at,
        id: r.id.clone(),
    }))
}

/// The attempts of an endpoint's deliveries created between `from` and `to` (inclusive), oldest
/// first: what one page of the delivery log needs, not the endpoint's whole history.
pub async fn attempts(
    db: &Db,
    org: &OrgId,
    endpoint: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AttemptRow>, sqlx::Error> {
    let sql = "SELECT a.delivery_id, a.attempt, a.at, a.status, a.error, \
               CAST(a.response_ms AS BIGINT) AS response_ms, a.response_excerpt \
               FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id AND d.org_id = a.org_id \
               WHERE a.org_id = $1 AND d.endpoint_id = $2 AND d.created_at >= $3 AND d.created_at <= $4 \
               ORDER BY a.delivery_id, a.attempt";
    on_db!(db, p => sqlx::query_as(sql).bind(org.as_str()).bind(endpoint).bind(from).bind(to).fetch_all(p).await)
}

/// An attempt's outcome as the delivery job writes it.
pub struct Outcome<'a> {
    pub at: DateTime<Utc>,
    pub status: Option<i32>,
    pub error: Option<&'a str>,
    pub response_ms: i64,
    pub response_excerpt: &'a str,
    /// The delivery's state afterwards and when it is tried next (if it is).
    pub state: &'a str,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Numbers and records one attempt and moves the delivery on. The counter update takes the row
/// lock first, so two attempts finishing together get different numbers.
pub async fn record_attempt(tx: &mut Tx, org: &OrgId, delivery: &str, o: &Outcome<'_>) -> Result<i32, sqlx::Error> {
    let sql = "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $3, next_attempt_at = $4, updated_at = $5 \
               WHERE org_id = $1 AND id = $2 RETURNING attempts";
    let n: i32 = on_tx!(tx, c => sqlx::query_scalar(sql).bind(org.as_str()).bind(delivery).bind(o.state)
        .bind(o.next_attempt_at.map(crate::truncate_micros)).bind(crate::truncate_micros(o.at)).fetch_one(c).await)?;
    let sql = "INSERT INTO webhook_attempts (delivery_id, org_id, attempt, at, status, error, response_ms, response_excerpt) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, c => sqlx::query(sql).bind(delivery).bind(org.as_str()).bind(n).bind(crate::truncate_micros(o.at))
        .bind(o.status).bind(o.error).bind(o.response_ms).bind(o.response_excerpt)
        .execute(c).await?.rows_affected());
    Ok(n)
}

/// Sets a delivery's state without an attempt (cancelled because its endpoint went away).
pub async fn set_delivery_state(
    tx: &mut Tx,
    org: &OrgId,
    delivery: &str,
    state: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "UPDATE webhook_deliveries SET state = $3, next_attempt_at = NULL, updated_at = $4 WHERE org_id = $1 AND id = $2";
    on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(delivery).bind(state).bind(crate::truncate_micros(now))
        .execute(c).await?.rows_affected());
    Ok(())
}

/// A success clears the endpoint's failing clock.
pub async fn endpoint_succeeded(tx: &mut Tx, org: &OrgId, endpoint: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE webhook_endpoints SET failing_since = NULL WHERE org_id = $1 AND id = $2";
    on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(endpoint).execute(c).await?.rows_affected());
    Ok(())
}

/// A failure starts the failing clock if it is not running; returns when it started.
pub async fn endpoint_failed(
    tx: &mut Tx,
    org: &OrgId,
    endpoint: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let sql = "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $3) WHERE org_id = $1 AND id = $2 \
               RETURNING failing_since";
    on_tx!(tx, c => sqlx::query_scalar(sql).bind(org.as_str()).bind(endpoint).bind(crate::truncate_micros(now))
        .fetch_optional(c).await)
    .map(Option::flatten)
}

/// Disables an enabled endpoint and cancels its pending deliveries; `false` if it was already off.
pub async fn disable_endpoint(
    tx: &mut Tx,
    org: &OrgId,
    endpoint: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let now = crate::truncate_micros(now);
    let sql = "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $3, disabled_at = $4, updated_at = $4 \
               WHERE org_id = $1 AND id = $2 AND enabled = TRUE";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(endpoint).bind(reason).bind(now)
        .execute(c).await?.rows_affected());
    let sql = "UPDATE webhook_deliveries SET state = 'cancelled', next_attempt_at = NULL, updated_at = $3 \
               WHERE org_id = $1 AND endpoint_id = $2 AND state = 'pending'";
    on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(endpoint).bind(now).execute(c).await?.rows_affected());
    Ok(n == 1)
}
