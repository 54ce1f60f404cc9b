//! The review API under /api/v1 (problem+json errors). Every route needs an account: a caller
//! holding only an interview key or a share link has no session and gets 401, so read-only
//! capabilities can never evaluate or decide.

use crate::WebState;
use crate::api::{ApiJson, ApiQuery, id};
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use shortlist_app::AppError;
use shortlist_app::review::board::BoardQuery;
use shortlist_app::review::evaluate::EvaluationInput;
use shortlist_app::review::share::NewShare;
use shortlist_app::review::{ReviewSettings, Viewer};
use shortlist_domain::{InvitationId, PositionId};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/invitations/{id}/review", get(interview))
        .route("/invitations/{id}/evaluations", get(evaluations).post(submit))
        .route("/positions/{id}/review", get(board))
        .route("/positions/{id}/decisions", post(decide))
        .route("/positions/{id}/share-links", get(shares).post(create_share))
        .route("/share-links/{id}/revoke", post(revoke_share))
        .route("/share-links/{id}/views", get(share_views))
        .route("/review-settings", get(settings).put(put_settings))
}

async fn interview(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let inv = id(&raw, InvitationId::parse)?;
    let v = s
        .review
        .service
        .interview(&a.org_id, &inv, &Viewer::Member(a.clone()))
        .await?;
    Ok(Json(v).into_response())
}

async fn evaluations(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let inv = id(&raw, InvitationId::parse)?;
    Ok(Json(s.review.service.evaluations(&a, &inv).await?).into_response())
}

async fn submit(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<EvaluationInput>,
) -> Result<Response, ApiError> {
    let inv = id(&raw, InvitationId::parse)?;
    let out = s.review.service.submit(&a, &inv, &body).await?;
    s.wake.notify_one();
    Ok((StatusCode::OK, Json(out)).into_response())
}

async fn board(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    let rows = s.review.service.board(&a, &pos, &q).await?;
    Ok(Json(json!({ "candidates": rows })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideBody {
    invitation_ids: Vec<String>,
    decision: String,
}

async fn decide(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<DecideBody>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    let mut ids = vec![];
    for (i, raw) in body.invitation_ids.iter().enumerate() {
        ids.push(
            InvitationId::parse(raw)
                .map_err(|_| AppError::field(&format!("invitation_ids[{i}]"), "not an invitation id"))?,
        );
    }
    let n = s.review.service.decide(&a, &pos, &ids, &body.decision).await?;
    s.wake.notify_one();
    Ok(Json(json!({ "updated": n, "decision": body.decision })).into_response())
}

async fn shares(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    Ok(Json(json!({ "share_links": s.review.service.shares(&a, &pos).await? })).into_response())
}

async fn create_share(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<NewShare>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    let (link, url) = s.review.service.create_share(&a, &pos, &body).await?;
    // The URL holds the token: it is returned this once and never stored.
    Ok((StatusCode::CREATED, Json(json!({ "share_link": link, "url": url }))).into_response())
}

async fn revoke_share(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(s.review.service.revoke_share(&a, &raw).await?).into_response())
}

async fn share_views(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let (link, views) = s.review.service.share_views(&a, &raw).await?;
    Ok(Json(json!({ "share_link": link, "views": views })).into_response())
}

async fn settings(State(s): State<WebState>, ApiActor(a): ApiActor) -> Result<Response, ApiError> {
    Ok(Json(s.review.service.settings(&a.org_id).await?).into_response())
}

async fn put_settings(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<ReviewSettings>,
) -> Result<Response, ApiError> {
    Ok(Json(s.review.service.put_settings(&a, &body).await?).into_response())
}
