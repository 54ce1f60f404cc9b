//! What integrations read back: the organisation's invitations found by their own ids
//! (`GET /invitations`), the completed interviews with scores (`GET /results`), one invitation's
//! result report (`GET /invitations/{id}/report`) and the answer files the report links to.
//!
//! `/results` needs the `results:read` scope (the gate checks it by path). The report and the
//! answer files live under `/invitations`, where the gate checks `invitations:read`; they carry
//! evaluations and recordings, so a credential needs `results:read` for them as well.

use super::{ApiQuery, List, Page, id, problem};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shortlist_app::AppError;
use shortlist_app::credentials::Authenticated;
use shortlist_app::recruiting::invitations::InvitationView;
use shortlist_app::recruiting::search::InvitationQuery;
use shortlist_app::review::report::{ResultReport, ResultSummary};
use shortlist_domain::InvitationId;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/invitations", get(search))
        .route("/results", get(list))
        .route("/invitations/{id}/report", get(report))
        .route(
            "/invitations/{id}/takes/{question}/{take}",
            crate::files::file_route(get(take)),
        )
}

/// A caller allowed to read results: any signed-in user, or a credential whose scopes include
/// `results:read`.
struct ResultsReader;

impl<S: Send + Sync> FromRequestParts<S> for ResultsReader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Authenticated>() {
            Some(a) if !a.policy.scopes.allows("results", false) => Err(problem(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "this credential lacks the scope results:read".into(),
                serde_json::Map::new(),
            )),
            _ => Ok(ResultsReader),
        }
    }
}

/// List invitations
///
/// The organisation's invitations, newest first (by creation, then id), narrowed by any of:
/// `position_id`, `candidate_email`, `state`, `candidate_id` / `application_id` (the
/// invitation's `metadata.candidateId` / `metadata.applicationId`), `ats_kind` +
/// `external_job_id` (+ `connection_id`) for the position's ATS job, `updated_since` (RFC 3339).
#[utoipa::path(get, path = "/invitations", tag = "invitations", params(InvitationQuery, Page),
    responses((status = 200, description = "One page of invitations.", body = List<InvitationView>)))]
async fn search(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiQuery(q): ApiQuery<InvitationQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<List<InvitationView>>, ApiError> {
    let (f, page) = (q.filter()?, page.request()?);
    Ok(Json(s.recruiting.search_invitations(&who, &f, &page).await?.into()))
}

/// List results
///
/// Completed interviews, most recently completed first (then by id), with answered and total
/// questions, the multiple-choice test result, the reviewers' average, count and decision, and
/// the reviewer page. Takes the filters of `GET /invitations` (but not `state`) and
/// `completed_since`.
#[utoipa::path(get, path = "/results", tag = "results", params(InvitationQuery, Page),
    responses((status = 200, description = "One page of results.", body = List<ResultSummary>)))]
async fn list(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiQuery(q): ApiQuery<InvitationQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<List<ResultSummary>>, ApiError> {
    if q.state.as_deref().is_some_and(|s| !s.is_empty() && s != "completed") {
        return Err(AppError::field("state", "results are completed interviews; leave state out").into());
    }
    let (f, page) = (q.filter()?, page.request()?);
    Ok(Json(s.review.service.results(&who, &f, &page).await?.into()))
}

/// Get an invitation's result report
///
/// The invitation (metadata, history summary), every question in order with its answer
/// (text, chosen options with correct/incorrect and points, the file or recording with its
/// length and a download link), the test total, every evaluation, the average, the decision and
/// the reviewer page. An interview that is not completed answers with what exists so far.
#[utoipa::path(get, path = "/invitations/{id}/report", tag = "results",
    params(super::invitations::InvitationPath),
    responses((status = 200, description = "The result report.", body = ResultReport)))]
async fn report(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    _: ResultsReader,
    Path(raw): Path<String>,
) -> Result<Json<ResultReport>, ApiError> {
    let inv = id(&raw, InvitationId::parse)?;
    let base = format!("{}/api/v1", s.recruiting.links.public_url());
    Ok(Json(s.review.service.report(&who, &inv, &base).await?))
}

/// Download an answer's file or recording
///
/// The stored take (the report's `take.url`); a single `Range` is answered with 206.
#[utoipa::path(get, path = "/invitations/{id}/takes/{question}/{take}", tag = "results",
    params(("id" = String, Path, description = "The invitation's id (`inv_…`)."),
        ("question" = String, Path, description = "The question's id."),
        ("take" = i32, Path, description = "The take number.")),
    responses((status = 200, description = "The file.", content_type = "application/octet-stream")))]
async fn take(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    _: ResultsReader,
    Path((raw, question, take)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let inv = id(&raw, InvitationId::parse)?;
    let take: i32 = take.parse().map_err(|_| ApiError(AppError::NotFound))?;
    let row = s
        .uploads
        .takes_for(&who.org_id, &inv)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?
        .into_iter()
        .find(|t| t.question_id == question && t.take == take)
        .ok_or(AppError::NotFound)?;
    let resp = crate::ui::playback::ranged(&s.uploads.media, &row, &headers)
        .await
        .map_err(|e| ApiError(e.0))?;
    Ok(resp.into_response())
}
