//! /webhooks: outbound webhook endpoints, their signing secrets and delivery logs. Endpoints
//! created with partner credentials belong to that partner; others to the organisation. Ids of
//! anyone else's endpoint are 404.

use super::{ApiJson, ApiQuery, List, Page, problem};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use shortlist_app::webhooks::{DeliveryView, EndpointPatch, EndpointView, NewEndpoint, WebhookError, WithSecret};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(show).patch(update).delete(remove))
        .route("/webhooks/{id}/rotate-secret", post(rotate))
        .route("/webhooks/{id}/test", post(test))
        .route("/webhooks/{id}/deliveries", get(deliveries))
        .route("/webhooks/{id}/deliveries/{delivery_id}/redeliver", post(redeliver))
}

/// `{id}` of the webhook routes, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(super) struct WebhookPath {
    /// The endpoint's id (`whk_…`).
    id: String,
}

/// A refused URL is a 422 `url_not_allowed` naming why; everything else as usual.
fn refusal(e: WebhookError) -> Response {
    match e {
        WebhookError::UrlNotAllowed(r) => {
            let mut extra = serde_json::Map::new();
            extra.insert("field".into(), "url".into());
            problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "url_not_allowed",
                format!("url: {r}"),
                extra,
            )
        }
        WebhookError::App(e) => ApiError(e).into_response(),
    }
}

#[derive(Serialize, ToSchema)]
struct Endpoints {
    items: Vec<EndpointView>,
}

/// List webhook endpoints
///
/// The caller's endpoints: a partner sees its own, organisation credentials the organisation's.
#[utoipa::path(get, path = "/webhooks", security(("api_key" = ["webhooks:read"])), tag = "webhooks",
    responses((status = 200, description = "The endpoints, oldest first.", body = Endpoints)))]
async fn list(State(s): State<WebState>, ApiActor(who): ApiActor) -> Result<Json<Endpoints>, ApiError> {
    Ok(Json(Endpoints {
        items: s.webhooks.list(&who).await?,
    }))
}

/// Subscribe an endpoint
///
/// The URL must be https on a public address (checked by resolving it now and again before
/// every delivery). The answer carries the signing secret (`whsec_…`) once.
#[utoipa::path(post, path = "/webhooks", security(("api_key" = ["webhooks:write"])), tag = "webhooks", request_body = NewEndpoint,
    responses((status = 201, description = "The endpoint with its signing secret, shown only now.", body = WithSecret)))]
async fn create(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiJson(body): ApiJson<NewEndpoint>,
) -> Result<(StatusCode, Json<WithSecret>), Response> {
    let created = s.webhooks.create(&who, &body).await.map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Get a webhook endpoint
#[utoipa::path(get, path = "/webhooks/{id}", security(("api_key" = ["webhooks:read"])), tag = "webhooks", params(WebhookPath),
    responses((status = 200, description = "The endpoint (never its secret).", body = EndpointView)))]
async fn show(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<EndpointView>, ApiError> {
    Ok(Json(s.webhooks.get(&who, &id).await?))
}

/// Update a webhook endpoint
///
/// Changes the URL, events, description or `enabled`; what is left out stays. Enabling a
/// disabled endpoint restarts its five days of grace.
#[utoipa::path(patch, path = "/webhooks/{id}", security(("api_key" = ["webhooks:write"])), tag = "webhooks", params(WebhookPath), request_body = EndpointPatch,
    responses((status = 200, description = "The endpoint as saved.", body = EndpointView)))]
async fn update(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EndpointPatch>,
) -> Result<Json<EndpointView>, Response> {
    Ok(Json(s.webhooks.update(&who, &id, &body).await.map_err(refusal)?))
}

/// Delete a webhook endpoint
///
/// With its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/webhooks/{id}", security(("api_key" = ["webhooks:write"])), tag = "webhooks", params(WebhookPath),
    responses((status = 204, description = "Deleted.")))]
async fn remove(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.webhooks.delete(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate the signing secret
///
/// A new secret, shown once. For 24 hours messages carry signatures with both the old and the
/// new secret, so receivers can switch without losing any.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", security(("api_key" = ["webhooks:write"])), tag = "webhooks", params(WebhookPath),
    responses((status = 200, description = "The endpoint with its new secret, shown only now.", body = WithSecret)))]
async fn rotate(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<WithSecret>, ApiError> {
    Ok(Json(s.webhooks.rotate_secret(&who, &id).await?))
}

/// Send a test message
///
/// Queues a signed `webhook.test` message to the endpoint; it shows in the delivery log.
#[utoipa::path(post, path = "/webhooks/{id}/test", security(("api_key" = ["webhooks:write"])), tag = "webhooks", params(WebhookPath),
    responses((status = 202, description = "The queued delivery.", body = DeliveryView)))]
async fn test(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let d = s.webhooks.send_test(&who, &id).await?;
    s.wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(d)))
}

/// The delivery log
///
/// The newest deliveries first (cursor-paginated like every list), each with every attempt:
/// when, the HTTP status or the error, the response time and the start of the answer, and when
/// the next attempt is due.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", security(("api_key" = ["webhooks:read"])), tag = "webhooks", params(WebhookPath, Page),
    responses((status = 200, description = "One page of deliveries, newest first.", body = List<DeliveryView>)))]
async fn deliveries(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<List<DeliveryView>>, ApiError> {
    Ok(Json(
        s.webhooks.deliveries_page(&who, &id, &page.request()?).await?.into(),
    ))
}

/// Redeliver a message
///
/// One more attempt with the same `webhook-id` and body, whether the delivery succeeded,
/// failed or is still being retried.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/redeliver", security(("api_key" = ["webhooks:write"])), tag = "webhooks",
    params(WebhookPath, ("delivery_id" = String, Path, description = "The delivery's id (`whd_…`).")),
    responses((status = 202, description = "The delivery; the new attempt is queued.", body = DeliveryView)))]
async fn redeliver(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let d = s.webhooks.redeliver(&who, &id, &delivery).await?;
    s.wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(d)))
}
