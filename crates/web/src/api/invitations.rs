//! Invitations: invite one or many candidates to a position, look at, resend, extend, cancel.

use super::positions::pos;
use super::{ApiJson, ApiQuery, CandidateLinks, List, Page, id, problem};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use shortlist_app::AppError;
use shortlist_app::recruiting::bulk::RowResult;
use shortlist_app::recruiting::invitations::{InvitationView, InviteOutcome, InviteRequest};
use shortlist_domain::InvitationId;
use shortlist_store::invitations::EventRow;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/positions/{id}/invitations", get(list).post(invite))
        .route("/positions/{id}/invitations/batch", post(batch))
        .route("/invitations/{id}", get(show))
        .route("/invitations/{id}/resend", post(resend))
        .route("/invitations/{id}/extend", post(extend))
        .route("/invitations/{id}/cancel", post(cancel))
}

fn inv(raw: &str) -> Result<InvitationId, ApiError> {
    id(raw, InvitationId::parse)
}

/// `{id}` of the invitation routes, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(crate) struct InvitationPath {
    /// The invitation's id (`inv_…`).
    id: String,
}

#[derive(Serialize, ToSchema)]
struct Invited {
    invitation: InvitationView,
    /// True when this request sent the existing invitation's link again (`resend: true`).
    resent: bool,
    /// The candidate's invitations to other positions, in any state.
    prior_invitations: Vec<InvitationView>,
}

/// Invite a candidate
///
/// 201 for a new invitation, 200 for an explicit resend (`resend: true`), 409 `already_invited`
/// when the candidate already has a live invitation to this position (the problem names it in
/// `invitation_id`, `state` and `sent_at`). `metadata` (`candidateId`, `applicationId`,
/// `user_email` and other string pairs) is kept and returned on every read.
#[utoipa::path(post, path = "/positions/{id}/invitations", security(("api_key" = ["invitations:write"])), tag = "invitations",
    params(super::positions::PositionPath),
    request_body(content = InviteRequest, example = json!({"email": "ada@example.com", "name": "Ada Lovelace",
        "metadata": {"candidateId": "C-1", "applicationId": "A-1", "user_email": "recruiter@example.com"}})),
    responses(
        (status = 201, description = "Invited: the e-mail is on its way.", body = Invited),
        (status = 200, description = "The existing invitation's link was sent again.", body = Invited),
        (status = 409, description = "`already_invited`, `position_closed`, or the same `Idempotency-Key` still running.",
            body = crate::api::openapi::Problem, content_type = "application/problem+json")))]
async fn invite(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
    ApiJson(req): ApiJson<InviteRequest>,
) -> Result<Response, ApiError> {
    let outcome = s.recruiting.invite(&who, &pos(&raw)?, &req).await?;
    Ok(match outcome {
        InviteOutcome::Created { invitation, prior } => {
            s.wake.notify_one();
            let body = Invited {
                invitation,
                resent: false,
                prior_invitations: prior,
            };
            (StatusCode::CREATED, Json(body)).into_response()
        }
        InviteOutcome::Resent { invitation, prior } => {
            s.wake.notify_one();
            let body = Invited {
                invitation,
                resent: true,
                prior_invitations: prior,
            };
            (StatusCode::OK, Json(body)).into_response()
        }
        InviteOutcome::Duplicate { existing } => already_invited(&existing),
    })
}

/// Nothing was sent: says so in plain words, with the existing invitation's id and state.
fn already_invited(existing: &InvitationView) -> Response {
    let when = existing.sent_at.unwrap_or(existing.created_at);
    let detail = format!(
        "{} was already invited to this position on {} (the invitation is {}); send `resend: true` to send the link again",
        existing.candidate.email,
        when.format("%Y-%m-%d"),
        existing.state
    );
    let mut extra = serde_json::Map::new();
    extra.insert("invitation_id".into(), existing.id.clone().into());
    extra.insert("state".into(), existing.state.clone().into());
    extra.insert(
        "sent_at".into(),
        existing
            .sent_at
            .map(|t| serde_json::Value::from(t.to_rfc3339()))
            .unwrap_or_default(),
    );
    problem(StatusCode::CONFLICT, "already_invited", detail, extra)
}

/// List a position's invitations
///
/// Newest first (by creation, then id). `GET /invitations` lists the whole organisation's with
/// filters.
#[utoipa::path(get, path = "/positions/{id}/invitations", security(("api_key" = ["invitations:read"])), tag = "invitations",
    params(super::positions::PositionPath, Page),
    responses((status = 200, description = "One page of invitations.", body = List<InvitationView>)))]
async fn list(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    links: CandidateLinks,
    Path(raw): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<List<InvitationView>>, ApiError> {
    let mut found = s
        .recruiting
        .position_invitations_page(&who, &pos(&raw)?, &page.request()?)
        .await?;
    found.items.iter_mut().for_each(|v| links.apply(v));
    Ok(Json(found.into()))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = InviteBatch)]
struct Batch {
    candidates: Vec<InviteRequest>,
}

#[derive(Serialize, ToSchema)]
struct BatchResult {
    results: Vec<RowResult>,
    /// How many rows ended in each status (`sent`, `already_invited`, `invalid`, …).
    #[schema(value_type = BTreeMap<String, u64>)]
    summary: BTreeMap<&'static str, usize>,
}

/// Invite many candidates
///
/// Up to 1000 candidates. Each row is its own transaction (with the duplicate rules of a single
/// invitation); the answer has one result per row, in order.
#[utoipa::path(post, path = "/positions/{id}/invitations/batch", security(("api_key" = ["invitations:write"])), tag = "invitations",
    params(super::positions::PositionPath),
    request_body(content = Batch, example = json!({"candidates": [{"email": "grace@example.com", "name": "Grace Hopper"}]})),
    responses((status = 200, description = "One result per row.", body = BatchResult)))]
async fn batch(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<Batch>,
) -> Result<Json<BatchResult>, ApiError> {
    let results = s.recruiting.invite_many(&who, &pos(&raw)?, &body.candidates).await?;
    s.wake.notify_one();
    let mut summary: BTreeMap<&'static str, usize> = [
        "sent",
        "resent",
        "already_invited",
        "duplicate_in_request",
        "invalid",
        "error",
    ]
    .into_iter()
    .map(|k| (k, 0))
    .collect();
    for r in &results {
        *summary.entry(r.status).or_default() += 1;
    }
    Ok(Json(BatchResult { results, summary }))
}

#[derive(Serialize, ToSchema)]
#[schema(as = InvitationDetail)]
struct Detail {
    #[serde(flatten)]
    invitation: InvitationView,
    /// Every change, oldest first: who, when, from which state to which.
    history: Vec<EventRow>,
}

/// Get an invitation with its history
#[utoipa::path(get, path = "/invitations/{id}", security(("api_key" = ["invitations:read"])), tag = "invitations", params(InvitationPath),
    responses((status = 200, description = "The invitation and every change to it.", body = Detail)))]
async fn show(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    links: CandidateLinks,
    Path(raw): Path<String>,
) -> Result<Json<Detail>, ApiError> {
    let (mut invitation, history) = s.recruiting.invitation(&who, &inv(&raw)?).await?;
    links.apply(&mut invitation);
    Ok(Json(Detail { invitation, history }))
}

/// Resend an invitation
///
/// Sends the candidate's link again.
#[utoipa::path(post, path = "/invitations/{id}/resend", security(("api_key" = ["invitations:write"])), tag = "invitations", params(InvitationPath),
    responses(
        (status = 200, description = "Sent again.", body = InvitationView),
        (status = 409, description = "`not_resendable`: the invitation is finished, cancelled or expired.",
            body = crate::api::openapi::Problem, content_type = "application/problem+json")))]
async fn resend(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
) -> Result<Json<InvitationView>, ApiError> {
    let v = s.recruiting.resend(&who, &inv(&raw)?).await?;
    s.wake.notify_one();
    Ok(Json(v))
}

/// A new deadline: `expires_at` (RFC 3339) or `days` from now.
#[derive(Deserialize, ToSchema)]
#[schema(as = ExtendInvitation)]
struct Extend {
    expires_at: Option<DateTime<Utc>>,
    /// 1–365.
    #[schema(minimum = 1, maximum = 365)]
    days: Option<u32>,
}

/// Extend an invitation
///
/// Sets a new deadline for the candidate.
#[utoipa::path(post, path = "/invitations/{id}/extend", security(("api_key" = ["invitations:write"])), tag = "invitations", params(InvitationPath),
    request_body(content = Extend, example = json!({"days": 7})),
    responses(
        (status = 200, description = "The invitation with its new deadline.", body = InvitationView),
        (status = 409, description = "`not_extendable`: the invitation is finished or cancelled.",
            body = crate::api::openapi::Problem, content_type = "application/problem+json")))]
async fn extend(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<Extend>,
) -> Result<Json<InvitationView>, ApiError> {
    let id = inv(&raw)?;
    let until = match (body.expires_at, body.days) {
        (Some(t), None) => t,
        (None, Some(d)) if (1..=365).contains(&d) => s.recruiting.clock.now() + TimeDelta::days(i64::from(d)),
        (None, Some(_)) => return Err(AppError::field("days", "between 1 and 365").into()),
        _ => return Err(AppError::field("expires_at", "give either expires_at or days").into()),
    };
    let v = s.recruiting.extend(&who, &id, until).await?;
    s.wake.notify_one();
    Ok(Json(v))
}

/// Cancel an invitation
///
/// The candidate's link stops working.
#[utoipa::path(post, path = "/invitations/{id}/cancel", security(("api_key" = ["invitations:write"])), tag = "invitations", params(InvitationPath),
    responses(
        (status = 200, description = "Cancelled.", body = InvitationView),
        (status = 409, description = "`not_cancellable`: the invitation is already finished.",
            body = crate::api::openapi::Problem, content_type = "application/problem+json")))]
async fn cancel(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
) -> Result<Json<InvitationView>, ApiError> {
    Ok(Json(s.recruiting.cancel(&who, &inv(&raw)?).await?))
}
