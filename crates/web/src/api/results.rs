//! What integrations read back: the organisation's invitations found by their own ids
//! (`GET /invitations`), the completed interviews with scores (`GET /results`), one invitation's
//! result report (`GET /invitations/{id}/report`) and the answer files the report links to.
//!
//! `/results` needs the `results:read` scope. The report and the answer files carry evaluations
//! and recordings, so they declare `results:read` as well as `invitations:read`.

use super::{ApiQuery, CandidateLinks, List, Page, id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shortlist_app::AppError;
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

/// List invitations
///
/// The organisation's invitations, newest first (by creation, then id), narrowed by any of:
/// `position_id`, `candidate_email`, `state`, `candidate_id` / `application_id` (the
/// invitation's `metadata.candidateId` / `metadata.applicationId`), `ats_kind` +
/// `external_job_id` (+ `connection_id`) for the position's ATS job, `updated_since` (RFC 3339).
#[utoipa::path(get, path = "/invitations", security(("api_key" = ["invitations:read"])), tag = "invitations", params(InvitationQuery, Page),
    responses((status = 200, description = "One page of invitations.", body = List<InvitationView>)))]
async fn search(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    links: CandidateLinks,
    ApiQuery(q): ApiQuery<InvitationQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<List<InvitationView>>, ApiError> {
    let (f, page) = (q.filter()?, page.request()?);
    let mut found = s.recruiting.search_invitations(&who, &f, &page).await?;
    found.items.iter_mut().for_each(|v| links.apply(v));
    Ok(Json(found.into()))
}

/// List results
///
/// Completed interviews, most recently completed first (then by id), with answered and total
/// questions, the multiple-choice test result, the reviewers' average, count and decision, and
/// the reviewer page. Takes the filters of `GET /invitations` (but not `state`) and
/// `completed_since`.
#[utoipa::path(get, path = "/results", security(("api_key" = ["results:read"])), tag = "results", params(InvitationQuery, Page),
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
#[utoipa::path(get, path = "/invitations/{id}/report", security(("api_key" = ["invitations:read", "results:read"])), tag = "results",
    params(super::invitations::InvitationPath),
    responses((status = 200, description = "The result report.", body = ResultReport)))]
async fn report(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    links: CandidateLinks,
    Path(raw): Path<String>,
) -> Result<Json<ResultReport>, ApiError> {
    let inv = id(&raw, InvitationId::parse)?;
    let base = format!("{}/api/v1", s.recruiting.links.public_url());
    let mut report = s.review.service.report(&who, &inv, &base).await?;
    links.apply(&mut report.invitation);
    Ok(Json(report))
}

/// Download an answer's file or recording
///
/// The stored take (the report's `take.url`); a single `Range` is answered with 206.
#[utoipa::path(get, path = "/invitations/{id}/takes/{question}/{take}", security(("api_key" = ["invitations:read", "results:read"])), tag = "results",
    params(("id" = String, Path, description = "The invitation's id (`inv_…`)."),
        ("question" = String, Path, description = "The question's id."),
        ("take" = i32, Path, description = "The take number.")),
    responses((status = 200, description = "The file.", content_type = "application/octet-stream")))]
async fn take(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
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
