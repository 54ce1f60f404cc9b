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
use utoipa::IntoParams;

pub fn routes() -> Router<WebState> {
    Router::new().route("/settings", get(show).put(update)).route(
        "/email-templates/{kind}",
        get(email_template).put(put_email_template).delete(reset_email_template),
    )
}

/// `{kind}` of the e-mail template routes, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct KindPath {
    /// `invitation`, `reminder` or `resend`.
    kind: String,
}

/// Get the organisation's invitation settings
#[utoipa::path(get, path = "/settings", security(("api_key" = ["settings:read"])), tag = "settings",
    responses((status = 200, description = "Default expiry and reminder schedule.", body = OrgSettings)))]
async fn show(State(s): State<WebState>, ApiActor(who): ApiActor) -> Result<Json<OrgSettings>, ApiError> {
    Ok(Json(s.recruiting.org_settings(&who).await?))
}

/// Change the organisation's invitation settings
///
/// Administrators only.
#[utoipa::path(put, path = "/settings", security(("api_key" = ["settings:write"])), tag = "settings", request_body = OrgSettings,
    responses((status = 200, description = "The settings as saved.", body = OrgSettings)))]
async fn update(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiJson(body): ApiJson<OrgSettings>,
) -> Result<Json<OrgSettings>, ApiError> {
    Ok(Json(s.recruiting.update_org_settings(&who, &body).await?))
}

/// Get an e-mail template
///
/// The organisation's wording, or the built-in one (`customised: false`), with the
/// placeholders it may use.
#[utoipa::path(get, path = "/email-templates/{kind}", security(("api_key" = ["settings:read"])), tag = "settings", params(KindPath),
    responses((status = 200, description = "The wording in use.", body = EmailTemplateView)))]
async fn email_template(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(kind): Path<String>,
) -> Result<Json<EmailTemplateView>, ApiError> {
    Ok(Json(s.recruiting.email_template(&who, &kind).await?))
}

/// Write an e-mail template
///
/// `{{placeholder}}`s are filled in when the e-mail is sent; unknown ones are refused.
#[utoipa::path(put, path = "/email-templates/{kind}", security(("api_key" = ["settings:write"])), tag = "settings", params(KindPath), request_body = EmailTemplate,
    responses((status = 200, description = "The wording as saved.", body = EmailTemplateView)))]
async fn put_email_template(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<EmailTemplate>,
) -> Result<Json<EmailTemplateView>, ApiError> {
    Ok(Json(s.recruiting.put_email_template(&who, &kind, &body).await?))
}

/// Reset an e-mail template
///
/// Back to the built-in wording.
#[utoipa::path(delete, path = "/email-templates/{kind}", security(("api_key" = ["settings:write"])), tag = "settings", params(KindPath),
    responses((status = 200, description = "The built-in wording.", body = EmailTemplateView)))]
async fn reset_email_template(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(kind): Path<String>,
) -> Result<Json<EmailTemplateView>, ApiError> {
    Ok(Json(s.recruiting.reset_email_template(&who, &kind).await?))
}
