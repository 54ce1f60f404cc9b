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

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/push/key", get(key))
        .route("/push/subscriptions", post(subscribe).delete(unsubscribe))
}

async fn key(State(s): State<WebState>, ApiActor(_): ApiActor) -> Result<Json<serde_json::Value>, ApiError> {
    let k = s.notifier.vapid.as_ref().ok_or(ApiError(AppError::NotFound))?;
    Ok(Json(serde_json::json!({ "public_key": k.public_key() })))
}

#[derive(Deserialize)]
pub struct Keys {
    p256dh: String,
    auth: String,
}

/// The JSON of a browser's `PushSubscription` (`subscription.toJSON()`).
#[derive(Deserialize)]
pub struct Subscription {
    endpoint: String,
    keys: Keys,
}

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

#[derive(Deserialize)]
pub struct Endpoint {
    endpoint: String,
}

async fn unsubscribe(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<Endpoint>,
) -> Result<StatusCode, ApiError> {
    s.notifier.unsubscribe_push(&a, &b.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}
