//! What the webhook service takes and answers: endpoint input, endpoint and delivery views.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shortlist_store::webhooks::{AttemptRow, DeliveryRow};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// A partial update; absent fields stay as they are. `enabled: true` also clears the failing
/// clock, so a re-enabled endpoint gets five fresh days.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// `organisation` or `partner`.
    pub owner: String,
    pub partner_id: Option<String>,
    /// Until then the previous secret also signs (after a rotation).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret: answered once, at creation and at rotation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WithSecret {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status; absent when there was no answer.
    pub status: Option<i32>,
    pub error: Option<String>,
    pub response_ms: i64,
    pub response_excerpt: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: String,
    /// The `webhook-id` header, the same on every attempt.
    pub webhook_id: String,
    pub event_type: String,
    pub event_id: Option<String>,
    /// `pending`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The body sent, exactly as frozen at the first attempt.
    #[schema(value_type = WebhookMessage)]
    pub payload: serde_json::Value,
    pub attempts: Vec<AttemptView>,
}

// Only the schema of a delivery's body in the OpenAPI document: the body is built as JSON
// (`payload.rs`, and the ping in `send_test`) and frozen as it was sent.
/// The body of a webhook message: what happened, when, and its data.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct WebhookMessage {
    /// The event type (`invitation.completed`, …), or `webhook.test` for a ping.
    #[schema(rename = "type")]
    kind: String,
    /// When the event happened (RFC 3339, milliseconds).
    timestamp: DateTime<Utc>,
    /// For invitation events: `event_id`, `invitation` (the invitation with its `metadata`),
    /// `links.result_url`, and `evaluation` (reviewer, average score, count) with
    /// `evaluation.submitted`. For `webhook.test`: `endpoint_id` and `message`.
    #[schema(value_type = Object)]
    data: (),
}

pub(super) fn split_events(raw: &str) -> Vec<String> {
    raw.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

pub(super) fn delivery_view(d: DeliveryRow, attempts: Vec<AttemptView>) -> DeliveryView {
    DeliveryView {
        payload: serde_json::from_str(&d.body).unwrap_or_default(),
        id: d.id,
        webhook_id: d.msg_id,
        event_type: d.event_type,
        event_id: d.event_id,
        state: d.state,
        next_attempt_at: d.next_attempt_at,
        created_at: d.created_at,
        attempts,
    }
}

pub(super) fn attempt_view(a: AttemptRow) -> AttemptView {
    AttemptView {
        attempt: a.attempt,
        at: a.at,
        status: a.status,
        error: a.error,
        response_ms: a.response_ms,
        response_excerpt: a.response_excerpt,
    }
}
