//! The review API under /api/v1 (problem+json errors). Every route needs an account: a caller
//! holding only an interview key or a share link has no session and gets 401, so read-only
//! capabilities can never evaluate or decide.
//!
//! The `#[utoipa::path]` of each handler and the answer types below are what the OpenAPI
//! document (`api/openapi.rs`) shows, so the document cannot drift from what is served.

use crate::WebState;
use crate::api::{ApiJson, ApiQuery, InvitationPath, PositionPath, Problem, id};
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shortlist_app::AppError;
use shortlist_app::review::board::{BoardQuery, BoardRow};
use shortlist_app::review::evaluate::{EvaluationInput, Evaluations};
use shortlist_app::review::share::{NewShare, ShareLinkView};
use shortlist_app::review::view::InterviewView;
use shortlist_app::review::{ReviewSettings, Viewer};
use shortlist_domain::{InvitationId, PositionId};
use shortlist_store::review::share::ViewRow;
use utoipa::{IntoParams, ToSchema};

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

/// `{id}` of the share-link routes, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct SharePath {
    /// The share link's id (`shr_…`).
    id: String,
}

/// Get an interview for review
///
/// The candidate's answers with the template's questions, as a reviewer sees them.
#[utoipa::path(get, path = "/invitations/{id}/review", security(("api_key" = ["results:read"])), tag = "review", params(InvitationPath),
    responses((status = 200, description = "The interview.", body = InterviewView)))]
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

/// List an interview's evaluations
///
/// Others' evaluations stay hidden until the caller submitted their own when the organisation
/// says so (`hidden: true`).
#[utoipa::path(get, path = "/invitations/{id}/evaluations", security(("api_key" = ["results:read"])), tag = "review", params(InvitationPath),
    responses((status = 200, description = "The evaluations the caller may see.", body = Evaluations)))]
async fn evaluations(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let inv = id(&raw, InvitationId::parse)?;
    Ok(Json(s.review.service.evaluations(&a, &inv).await?).into_response())
}

/// Submit an evaluation
///
/// Ratings per question (1–5), per scorecard criterion, a comment and optionally a decision.
/// Submitting again replaces the caller's evaluation.
#[utoipa::path(post, path = "/invitations/{id}/evaluations", security(("api_key" = ["results:write"])), tag = "review", params(InvitationPath),
    request_body = EvaluationInput,
    responses(
        (status = 200, description = "The evaluations after this one.", body = Evaluations),
        (status = 409, description = "`not_evaluable`: the interview is not completed.",
            body = Problem, content_type = "application/problem+json")))]
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

#[derive(Serialize, ToSchema)]
struct Board {
    candidates: Vec<BoardRow>,
}

/// Get a position's review board
///
/// Every invitation of the position with its state, average score and decision.
#[utoipa::path(get, path = "/positions/{id}/review", security(("api_key" = ["results:read"])), tag = "review", params(PositionPath, BoardQuery),
    responses((status = 200, description = "The board.", body = Board)))]
async fn board(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    let candidates = s.review.service.board(&a, &pos, &q).await?;
    Ok(Json(Board { candidates }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Decide {
    /// Invitations of this position (`inv_…`).
    #[schema(min_items = 1)]
    invitation_ids: Vec<String>,
    /// `advance`, `hold` or `reject`.
    decision: String,
}

#[derive(Serialize, ToSchema)]
struct Decided {
    /// How many invitations got the decision.
    updated: usize,
    decision: String,
}

/// Decide on candidates
///
/// Sets the team's decision for some invitations of the position.
#[utoipa::path(post, path = "/positions/{id}/decisions", security(("api_key" = ["results:write"])), tag = "review", params(PositionPath),
    request_body = Decide,
    responses((status = 200, description = "Decided.", body = Decided)))]
async fn decide(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<Decide>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    let mut ids = vec![];
    for (i, raw) in body.invitation_ids.iter().enumerate() {
        ids.push(
            InvitationId::parse(raw)
                .map_err(|_| AppError::field(&format!("invitation_ids[{i}]"), "not an invitation id"))?,
        );
    }
    let updated = s.review.service.decide(&a, &pos, &ids, &body.decision).await?;
    s.wake.notify_one();
    Ok(Json(Decided {
        updated,
        decision: body.decision,
    })
    .into_response())
}

#[derive(Serialize, ToSchema)]
struct ShareLinks {
    share_links: Vec<ShareLinkView>,
}

/// List a position's share links
#[utoipa::path(get, path = "/positions/{id}/share-links", security(("api_key" = ["results:read"])), tag = "review", params(PositionPath),
    responses((status = 200, description = "The links, revoked ones included.", body = ShareLinks)))]
async fn shares(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    let share_links = s.review.service.shares(&a, &pos).await?;
    Ok(Json(ShareLinks { share_links }).into_response())
}

#[derive(Serialize, ToSchema)]
struct NewShareLink {
    share_link: ShareLinkView,
    /// The link to hand out; it holds the token, so it is shown this once.
    url: String,
}

/// Create a share link
///
/// A read-only link to some candidates' interviews for people without an account.
#[utoipa::path(post, path = "/positions/{id}/share-links", security(("api_key" = ["results:write"])), tag = "review", params(PositionPath),
    request_body = NewShare,
    responses((status = 201, description = "The link; `url` is shown only now.", body = NewShareLink)))]
async fn create_share(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<NewShare>,
) -> Result<Response, ApiError> {
    let pos = id(&raw, PositionId::parse)?;
    let (share_link, url) = s.review.service.create_share(&a, &pos, &body).await?;
    // The URL holds the token: it is returned this once and never stored.
    Ok((StatusCode::CREATED, Json(NewShareLink { share_link, url })).into_response())
}

/// Revoke a share link
#[utoipa::path(post, path = "/share-links/{id}/revoke", security(("api_key" = ["results:write"])), tag = "review", params(SharePath),
    responses((status = 200, description = "Revoked.", body = ShareLinkView)))]
async fn revoke_share(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(s.review.service.revoke_share(&a, &raw).await?).into_response())
}

#[derive(Serialize, ToSchema)]
struct ShareViews {
    share_link: ShareLinkView,
    /// Who opened the link, newest first.
    views: Vec<ViewRow>,
}

/// List a share link's views
#[utoipa::path(get, path = "/share-links/{id}/views", security(("api_key" = ["results:read"])), tag = "review", params(SharePath),
    responses((status = 200, description = "The link and who opened it.", body = ShareViews)))]
async fn share_views(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let (share_link, views) = s.review.service.share_views(&a, &raw).await?;
    Ok(Json(ShareViews { share_link, views }).into_response())
}

/// Get the review settings
#[utoipa::path(get, path = "/review-settings", security(("api_key" = ["settings:read"])), tag = "review",
    responses((status = 200, description = "The organisation's review settings.", body = ReviewSettings)))]
async fn settings(State(s): State<WebState>, ApiActor(a): ApiActor) -> Result<Response, ApiError> {
    Ok(Json(s.review.service.settings(&a.org_id).await?).into_response())
}

/// Change the review settings
///
/// Administrators only.
#[utoipa::path(put, path = "/review-settings", security(("api_key" = ["settings:write"])), tag = "review", request_body = ReviewSettings,
    responses((status = 200, description = "The settings as saved.", body = ReviewSettings)))]
async fn put_settings(
    State(s): State<WebState>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<ReviewSettings>,
) -> Result<Response, ApiError> {
    Ok(Json(s.review.service.put_settings(&a, &body).await?).into_response())
}
