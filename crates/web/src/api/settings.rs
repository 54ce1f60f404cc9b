//! Organisation settings and the editable invitation, reminder and resend e-mails.

use super::ApiJson;
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use shortlist_app::recruiting::mail::EmailTemplate;
use shortlist_app::recruiting::settings::{EmailTemplateView, OrgSettings};

pub fn routes() -> Router<WebState> {
    Router::new().route("/settings", get(show).put(update)).route(
        "/email-templates/{kind}",
        get(email_template).put(put_email_template).delete(reset_email_template),
    )
}

async fn show(State(s): State<WebState>, ApiActor(who): ApiActor) -> Result<Json<OrgSettings>, ApiError> {
    Ok(Json(s.recruiting.org_settings(&who).await?))
}

/// Administrators only.
async fn update(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiJson(body): ApiJson<OrgSettings>,
) -> Result<Json<OrgSettings>, ApiError> {
    Ok(Json(s.recruiting.update_org_settings(&who, &body).await?))
}

/// The organisation's wording, or the built-in one (`customised: false`), with the
/// placeholders it may use.
async fn email_template(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(kind): Path<String>,
) -> Result<Json<EmailTemplateView>, ApiError> {
    Ok(Json(s.recruiting.email_template(&who, &kind).await?))
}

async fn put_email_template(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<EmailTemplate>,
) -> Result<Json<EmailTemplateView>, ApiError> {
    Ok(Json(s.recruiting.put_email_template(&who, &kind, &body).await?))
}

/// Back to the built-in wording.
async fn reset_email_template(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(kind): Path<String>,
) -> Result<Json<EmailTemplateView>, ApiError> {
    Ok(Json(s.recruiting.reset_email_template(&who, &kind).await?))
}
