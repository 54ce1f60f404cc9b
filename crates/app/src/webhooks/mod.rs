//! Outbound webhooks per the Standard Webhooks specification. An organisation (or a partner
//! acting in it) subscribes endpoints to invitation events; [`sink::WebhookSink`] turns each
//! event into one delivery job per subscribed endpoint, and [`deliver::DeliverWebhook`] freezes
//! the body and `webhook-id` at the first attempt, signs, sends through the SSRF guard and keeps
//! the retry schedule. This module is the management API (list, create, update, rotate,
//! deliveries, redeliver, test) that the REST API and the settings page share.
//!
//! Ownership: an endpoint created with partner credentials belongs to that partner in that
//! organisation and only that partner sees it; other endpoints belong to the organisation and
//! are managed by its administrators and organisation API keys (whose `webhooks:*` scope the API
//! gate checks). Someone else's endpoint is simply not found.

pub mod deliver;
pub mod payload;
pub mod sign;
pub mod sink;
mod views;

use crate::AppError;
use crate::clock::Clock;
use crate::recruiting::{Actor, Recruiting};
use crate::secrets::Sealer;
use chrono::TimeDelta;
use shortlist_domain::Role;
use shortlist_store::Db;
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::webhooks::{self as store, DeliveryRow, EndpointRow};
use std::sync::Arc;

// The guard now serves every outbound URL; these names stay for existing callers.
pub use crate::outbound::guard;
pub use crate::outbound::{Guard, Refusal};
pub use views::{AttemptView, DeliveryView, EndpointPatch, EndpointView, NewEndpoint, WithSecret};
use views::{attempt_view, delivery_view, split_events};

/// The event types an endpoint can subscribe to.
pub const EVENT_TYPES: [&str; 7] = [
    "invitation.sent",
    "invitation.opened",
    "invitation.started",
    "invitation.completed",
    "invitation.expired",
    "invitation.cancelled",
    "evaluation.submitted",
];
/// The ping `POST /webhooks/{id}/test` sends.
pub const TEST_EVENT: &str = "webhook.test";
/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_WINDOW_HOURS: i64 = 24;
const MAX_ENDPOINTS: usize = 20;
const MAX_URL: usize = 2000;
const MAX_DESCRIPTION: usize = 500;
const SEALER_PURPOSE: &str = "webhooks/signing-secret";

/// The webhook event type of an invitation event kind, if it has one.
pub fn event_type_for(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "email_sent" => "invitation.sent",
        "opened" => "invitation.opened",
        "started" => "invitation.started",
        "completed" => "invitation.completed",
        "expired" => "invitation.expired",
        "cancelled" => "invitation.cancelled",
        "evaluation_submitted" => "evaluation.submitted",
        _ => return None,
    })
}

/// Refusals of create and update: a URL the guard refused (422 `url_not_allowed`) or anything else.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    UrlNotAllowed(Refusal),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<sqlx::Error> for WebhookError {
    fn from(e: sqlx::Error) -> Self {
        WebhookError::App(e.into())
    }
}

/// The partner an actor acts for (`partner:prt_…`), if any.
pub fn partner_of(who: &Actor) -> Option<&str> {
    who.label.strip_prefix("partner:")
}

fn check_events(events: &[String]) -> Result<String, AppError> {
    if events.is_empty() {
        return Err(AppError::field("events", "subscribe to at least one event type"));
    }
    let mut out: Vec<&str> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let Some(known) = EVENT_TYPES.iter().find(|t| **t == e.as_str()) else {
            return Err(AppError::field(
                &format!("events[{i}]"),
                format!("unknown event type '{e}': use one of {}", EVENT_TYPES.join(", ")),
            ));
        };
        if !out.contains(known) {
            out.push(known);
        }
    }
    Ok(out.join(" "))
}

fn check_description(d: &str) -> Result<String, AppError> {
    let d = d.trim();
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::field(
            "description",
            format!("at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(d.to_string())
}

/// The webhook service; cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub recruiting: Recruiting,
    pub guard: Guard,
    sealer: Sealer,
}

impl Webhooks {
    pub fn new(recruiting: Recruiting, server_key: &[u8], guard: Guard) -> Webhooks {
        Webhooks {
            db: recruiting.db.clone(),
            clock: recruiting.clock.clone(),
            sealer: Sealer::new(server_key, SEALER_PURPOSE),
            recruiting,
            guard,
        }
    }

    fn view(&self, e: &EndpointRow) -> EndpointView {
        let now = self.clock.now();
        EndpointView {
            id: e.id.clone(),
            url: e.url.clone(),
            description: e.description.clone(),
            events: split_events(&e.events),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            disabled_at: e.disabled_at,
            owner: if e.partner_id.is_some() {
                "partner"
            } else {
                "organisation"
            }
            .into(),
            partner_id: e.partner_id.clone(),
            previous_secret_expires_at: e.previous_expires_at.filter(|t| *t > now),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }

    /// Organisation endpoints are for administrators and organisation keys; a partner manages
    /// its own.
    fn may_manage(who: &Actor) -> Result<(), AppError> {
        let org_key = who.user_id.is_none() && who.label.starts_with("apikey:");
        if partner_of(who).is_some() || org_key || who.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden("only administrators manage webhooks".into()))
        }
    }

    async fn owned(&self, who: &Actor, id: &str) -> Result<EndpointRow, AppError> {
        Self::may_manage(who)?;
        store::endpoint(&self.db, &who.org_id, partner_of(who), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    async fn check_url(&self, raw: &str) -> Result<String, WebhookError> {
        if raw.len() > MAX_URL {
            return Err(AppError::field("url", format!("at most {MAX_URL} characters")).into());
        }
        let target = self.guard.check(raw).await.map_err(WebhookError::UrlNotAllowed)?;
        Ok(target.url.to_string())
    }

    /// The signing secrets valid now: the current one, and the previous one during its window.
    pub(crate) fn secrets(&self, e: &EndpointRow) -> Result<Vec<String>, AppError> {
        let open = |s: &str| self.sealer.open(s).map_err(|err| AppError::Internal(err.into()));
        let mut out = vec![open(&e.secret_sealed)?];
        if let (Some(prev), Some(until)) = (&e.previous_secret_sealed, e.previous_expires_at)
            && until > self.clock.now()
        {
            out.push(open(prev)?);
        }
        Ok(out)
    }

    pub async fn list(&self, who: &Actor) -> Result<Vec<EndpointView>, AppError> {
        Self::may_manage(who)?;
        let rows = store::endpoints(&self.db, &who.org_id, partner_of(who)).await?;
        Ok(rows.iter().map(|e| self.view(e)).collect())
    }

    pub async fn get(&self, who: &Actor, id: &str) -> Result<EndpointView, AppError> {
        Ok(self.view(&self.owned(who, id).await?))
    }

    pub async fn create(&self, who: &Actor, req: &NewEndpoint) -> Result<WithSecret, WebhookError> {
        Self::may_manage(who)?;
        let events = check_events(&req.events)?;
        let description = check_description(&req.description)?;
        let url = self.check_url(&req.url).await?;
        let partner = partner_of(who);
        if store::endpoints(&self.db, &who.org_id, partner).await?.len() >= MAX_ENDPOINTS {
            return Err(AppError::Conflict {
                code: "too_many_endpoints",
                message: format!("at most {MAX_ENDPOINTS} webhook endpoints; delete one first"),
            }
            .into());
        }
        let secret = sign::new_secret();
        let now = self.clock.now();
        let row = EndpointRow {
            id: format!("whk_{}", uuid::Uuid::now_v7().simple()),
            org_id: who.org_id.to_string(),
            partner_id: partner.map(str::to_string),
            url,
            description,
            events,
            secret_sealed: self.sealer.seal(&secret),
            previous_secret_sealed: None,
            previous_expires_at: None,
            enabled: true,
            disabled_reason: None,
            disabled_at: None,
            failing_since: None,
            created_by: who
                .user_id
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_else(|| who.label.clone()),
            created_at: shortlist_store::truncate_micros(now),
            updated_at: shortlist_store::truncate_micros(now),
        };
        store::insert_endpoint(&self.db, &row).await?;
        Ok(WithSecret {
            endpoint: self.view(&row),
            secret,
        })
    }

    pub async fn update(&self, who: &Actor, id: &str, patch: &EndpointPatch) -> Result<EndpointView, WebhookError> {
        let mut row = self.owned(who, id).await?;
        if let Some(events) = &patch.events {
            row.events = check_events(events)?;
        }
        if let Some(d) = &patch.description {
            row.description = check_description(d)?;
        }
        if let Some(url) = &patch.url {
            row.url = self.check_url(url).await?;
        }
        let now = shortlist_store::truncate_micros(self.clock.now());
        match patch.enabled {
            Some(true) => {
                row.enabled = true;
                row.disabled_reason = None;
                row.disabled_at = None;
                row.failing_since = None;
            }
            Some(false) if row.enabled => {
                row.enabled = false;
                row.disabled_reason = Some(format!("disabled by {}", who.label));
                row.disabled_at = Some(now);
            }
            _ => {}
        }
        row.updated_at = now;
        store::update_endpoint(&self.db, &row).await?;
        Ok(self.view(&row))
    }

    pub async fn delete(&self, who: &Actor, id: &str) -> Result<(), AppError> {
        let row = self.owned(who, id).await?;
        store::delete_endpoint(&self.db, &who.org_id, &row.id).await?;
        Ok(())
    }

    /// A new secret; the old one keeps signing for [`ROTATION_WINDOW_HOURS`].
    pub async fn rotate_secret(&self, who: &Actor, id: &str) -> Result<WithSecret, AppError> {
        let mut row = self.owned(who, id).await?;
        let secret = sign::new_secret();
        let now = shortlist_store::truncate_micros(self.clock.now());
        row.previous_secret_sealed = Some(std::mem::replace(&mut row.secret_sealed, self.sealer.seal(&secret)));
        row.previous_expires_at = Some(now + TimeDelta::hours(ROTATION_WINDOW_HOURS));
        row.updated_at = now;
        store::update_endpoint(&self.db, &row).await?;
        Ok(WithSecret {
            endpoint: self.view(&row),
            secret,
        })
    }

    /// The newest deliveries (at most `limit`), each with its attempts.
    pub async fn deliveries(&self, who: &Actor, id: &str, limit: usize) -> Result<Vec<DeliveryView>, AppError> {
        let page = crate::paging::PageReq::first(limit.clamp(1, crate::paging::MAX_LIMIT));
        Ok(self.deliveries_page(who, id, &page).await?.items)
    }

    /// One page of the delivery log, newest first, each delivery with its attempts.
    pub async fn deliveries_page(
        &self,
        who: &Actor,
        id: &str,
        page: &crate::paging::PageReq,
    ) -> Result<crate::paging::Paged<DeliveryView>, AppError> {
        let row = self.owned(who, id).await?;
        let deliveries = store::deliveries_page(&self.db, &who.org_id, &row.id, page).await?;
        let (Some(newest), Some(oldest)) = (deliveries.items.first(), deliveries.items.last()) else {
            return Ok(deliveries.map(|d| delivery_view(d, vec![])));
        };
        let mut attempts =
            store::attempts(&self.db, &who.org_id, &row.id, oldest.created_at, newest.created_at).await?;
        Ok(deliveries.map(|d| {
            let mine = attempts
                .extract_if(.., |a| a.delivery_id == d.id)
                .map(attempt_view)
                .collect();
            delivery_view(d, mine)
        }))
    }

    async fn delivery_of(&self, who: &Actor, endpoint: &str, delivery: &str) -> Result<DeliveryView, AppError> {
        let d = store::delivery(&self.db, &who.org_id, endpoint, delivery)
            .await?
            .ok_or(AppError::NotFound)?;
        let attempts = store::attempts(&self.db, &who.org_id, endpoint, d.created_at, d.created_at)
            .await?
            .into_iter()
            .filter(|a| a.delivery_id == d.id)
            .map(attempt_view)
            .collect();
        Ok(delivery_view(d, attempts))
    }

    fn require_enabled(row: &EndpointRow) -> Result<(), AppError> {
        if row.enabled {
            Ok(())
        } else {
            Err(AppError::Conflict {
                code: "endpoint_disabled",
                message: "the endpoint is disabled; enable it first".into(),
            })
        }
    }

    /// One more attempt of a delivery, whatever its state, with the same `webhook-id` and body.
    pub async fn redeliver(&self, who: &Actor, id: &str, delivery: &str) -> Result<DeliveryView, AppError> {
        let row = self.owned(who, id).await?;
        Self::require_enabled(&row)?;
        let d = self.delivery_of(who, &row.id, delivery).await?;
        let mut tx = self.db.begin().await?;
        jobq::enqueue(&mut tx, &deliver::manual_job(&who.org_id, &row.id, &d.id)).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Sends a `webhook.test` ping through the normal delivery path.
    pub async fn send_test(&self, who: &Actor, id: &str) -> Result<DeliveryView, AppError> {
        let row = self.owned(who, id).await?;
        Self::require_enabled(&row)?;
        let now = shortlist_store::truncate_micros(self.clock.now());
        let body = serde_json::json!({
            "type": TEST_EVENT,
            "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": { "endpoint_id": row.id, "message": "A test message from Shortlist." },
        });
        let d = DeliveryRow {
            id: format!("whd_{}", uuid::Uuid::now_v7().simple()),
            org_id: who.org_id.to_string(),
            endpoint_id: row.id.clone(),
            msg_id: sign::new_msg_id(),
            event_type: TEST_EVENT.into(),
            event_id: None,
            body: body.to_string(),
            state: "pending".into(),
            attempts: 0,
            next_attempt_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        store::insert_delivery(&mut tx, &d).await?;
        let job: NewJob = deliver::step_job(&who.org_id, &row.id, &d.id, 1, None);
        jobq::enqueue(&mut tx, &job).await?;
        tx.commit().await?;
        Ok(delivery_view(d, Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked_by_name_and_deduplicated() {
        let ev = |v: &[&str]| check_events(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            ev(&["invitation.completed", "invitation.sent", "invitation.completed"]).ok(),
            Some("invitation.completed invitation.sent".into())
        );
        match ev(&["invitation.sent", "invitation.finished"]) {
            Err(AppError::Validation { fields }) => assert_eq!(fields[0].field, "events[1]"),
            other => panic!("{other:?}"),
        }
        assert!(ev(&[]).is_err());
        for kind in [
            "email_sent",
            "opened",
            "started",
            "completed",
            "expired",
            "cancelled",
            "evaluation_submitted",
        ] {
            let t = event_type_for(kind).unwrap_or_default();
            assert!(EVENT_TYPES.contains(&t), "{kind}");
        }
        assert_eq!(event_type_for("extended"), None);
    }
}
