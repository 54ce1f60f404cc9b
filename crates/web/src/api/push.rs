//! Web Push subscriptions of the signed-in user's browsers: the server's public VAPID key (the
//! `applicationServerKey` for `pushManager.subscribe`), and subscribe / unsubscribe.

use super::ApiJson;
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shortlist_app::AppError;
use utoipa::ToSchema;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/push/key", get(key))
        .route("/push/subscriptions", post(subscribe).delete(unsubscribe))
}

/// The server's public VAPID key
#[derive(serde::Serialize, ToSchema)]
struct PublicKey {
    /// The `applicationServerKey` for `pushManager.subscribe`, base64url.
    public_key: String,
}

/// Get the Web Push key
///
/// 404 when the server has no VAPID key configured.
// Explicitly no scope: the server's public key is public.
#[utoipa::path(get, path = "/push/key", security(("api_key" = [])), tag = "push",
    responses((status = 200, description = "The key.", body = PublicKey)))]
async fn key(State(s): State<WebState>, ApiActor(_): ApiActor) -> Result<Json<PublicKey>, ApiError> {
    let k = s.notifier.vapid.as_ref().ok_or(ApiError(AppError::NotFound))?;
    Ok(Json(PublicKey {
        public_key: k.public_key().to_string(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PushKeys)]
pub struct Keys {
    p256dh: String,
    auth: String,
}

/// The JSON of a browser's `PushSubscription` (`subscription.toJSON()`).
#[derive(Deserialize, ToSchema)]
#[schema(as = PushSubscription)]
pub struct Subscription {
    endpoint: String,
    keys: Keys,
}

/// Subscribe this browser to push notifications
///
/// For callers acting as a user (not an organisation key): the notifications are the user's.
// `results:read`: the notifications a subscription receives name candidates who completed.
#[utoipa::path(post, path = "/push/subscriptions", security(("api_key" = ["results:read"])), tag = "push", request_body = Subscription,
    responses((status = 201, description = "Subscribed.")))]
async fn subscribe(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<Subscription>,
) -> Result<StatusCode, ApiError> {
    s.notifier
        .subscribe(&a, &b.endpoint, &b.keys.p256dh, &b.keys.auth)
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PushEndpoint)]
pub struct Endpoint {
    endpoint: String,
}

/// Unsubscribe a browser
#[utoipa::path(delete, path = "/push/subscriptions", security(("api_key" = ["results:read"])), tag = "push", request_body = Endpoint,
    responses((status = 204, description = "Unsubscribed.")))]
async fn unsubscribe(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<Endpoint>,
) -> Result<StatusCode, ApiError> {
    s.notifier.unsubscribe_push(&a, &b.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}
