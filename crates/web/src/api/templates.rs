//! /templates: interview templates with versions, export and import.

use super::{ApiJson, ApiQuery, List, Page, id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shortlist_app::recruiting::templates::{TemplateSummary, TemplateView};
use shortlist_domain::TemplateId;
use shortlist_domain::template::{TemplateExport, TemplateSpec};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/templates", get(list).post(create))
        .route("/templates/import", post(import))
        .route("/templates/by-key/{key}", get(by_key))
        .route("/templates/{id}", get(show).put(update))
        .route("/templates/{id}/archive", post(archive))
        .route("/templates/{id}/unarchive", post(unarchive))
        .route("/templates/{id}/export", get(export))
}

fn tpl(raw: &str) -> Result<TemplateId, ApiError> {
    id(raw, TemplateId::parse)
}

/// `{id}` of the template routes, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct TemplatePath {
    /// The template's id (`tpl_…`).
    id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Include archived templates (they cannot be used for new invitations).
    #[serde(default)]
    include_archived: bool,
}

/// List templates
///
/// The organisation's interview templates ("packages" in ATS terms) with their keys, newest
/// first (by creation, then id).
#[utoipa::path(get, path = "/templates", security(("api_key" = ["templates:read"])), tag = "templates", params(ListQuery, Page),
    responses((status = 200, description = "One page of templates.", body = List<TemplateSummary>)))]
async fn list(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<List<TemplateSummary>>, ApiError> {
    let found = s
        .recruiting
        .template_summaries_page(&who, q.include_archived, &page.request()?)
        .await?;
    Ok(Json(found.into()))
}

#[derive(Deserialize, ToSchema)]
struct NewTemplate {
    /// A slug (a-z, 0-9, `-`), unique in the organisation; ATSs refer to the template by it.
    key: String,
    spec: TemplateSpec,
}

/// Create a template
#[utoipa::path(post, path = "/templates", security(("api_key" = ["templates:write"])), tag = "templates",
    request_body(content = NewTemplate, example = json!({"key": "customer-support-screening", "spec": {"name": "Customer support screening", "questions": [{"id": "q1", "kind": "video", "prompt": "Tell us about a customer you helped.", "think_time_secs": 30, "answer_time_secs": 120, "retakes": 1}]}})),
    responses((status = 201, description = "The new template, version 1.", body = TemplateView)))]
async fn create(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiJson(body): ApiJson<NewTemplate>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let t = s.recruiting.create_template(&who, &body.key, body.spec).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Get a template
///
/// The template with its current content.
#[utoipa::path(get, path = "/templates/{id}", security(("api_key" = ["templates:read"])), tag = "templates", params(TemplatePath),
    responses((status = 200, description = "The template.", body = TemplateView)))]
async fn show(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
) -> Result<Json<TemplateView>, ApiError> {
    Ok(Json(s.recruiting.template(&who, &tpl(&raw)?).await?))
}

/// Get a template by its key
#[utoipa::path(get, path = "/templates/by-key/{key}", security(("api_key" = ["templates:read"])), tag = "templates",
    params(("key" = String, Path, description = "The template's key.")),
    responses((status = 200, description = "The template.", body = TemplateView)))]
async fn by_key(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(key): Path<String>,
) -> Result<Json<TemplateView>, ApiError> {
    Ok(Json(s.recruiting.template_by_key(&who, &key).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = TemplateUpdate)]
struct Update {
    spec: TemplateSpec,
}

/// Replace a template's content
///
/// Saves new content. `version` in the answer went up if invitations use the previous one
/// (they keep the version they were sent with).
#[utoipa::path(put, path = "/templates/{id}", security(("api_key" = ["templates:write"])), tag = "templates", params(TemplatePath),
    request_body(content = Update, example = json!({"spec": {"name": "Customer support screening", "questions": [{"id": "q1", "kind": "video", "prompt": "Tell us about a customer you helped.", "think_time_secs": 30, "answer_time_secs": 120, "retakes": 1}]}})),
    responses((status = 200, description = "The template as saved.", body = TemplateView)))]
async fn update(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<Update>,
) -> Result<Json<TemplateView>, ApiError> {
    Ok(Json(s.recruiting.update_template(&who, &tpl(&raw)?, body.spec).await?))
}

#[derive(Serialize, ToSchema)]
struct Archived {
    id: String,
    archived: bool,
}

async fn set_archived(s: WebState, who: ApiActor, raw: &str, archived: bool) -> Result<Json<Archived>, ApiError> {
    let t = tpl(raw)?;
    s.recruiting.archive_template(&who.0, &t, archived).await?;
    Ok(Json(Archived {
        id: t.to_string(),
        archived,
    }))
}

/// Archive a template
///
/// An archived template is hidden from lists and cannot be used for new invitations; existing
/// invitations go on.
#[utoipa::path(post, path = "/templates/{id}/archive", security(("api_key" = ["templates:write"])), tag = "templates", params(TemplatePath),
    responses((status = 200, description = "Archived.", body = Archived)))]
async fn archive(
    State(s): State<WebState>,
    who: ApiActor,
    Path(raw): Path<String>,
) -> Result<Json<Archived>, ApiError> {
    set_archived(s, who, &raw, true).await
}

/// Unarchive a template
#[utoipa::path(post, path = "/templates/{id}/unarchive", security(("api_key" = ["templates:write"])), tag = "templates", params(TemplatePath),
    responses((status = 200, description = "In use again.", body = Archived)))]
async fn unarchive(
    State(s): State<WebState>,
    who: ApiActor,
    Path(raw): Path<String>,
) -> Result<Json<Archived>, ApiError> {
    set_archived(s, who, &raw, false).await
}

/// Export a template
///
/// The template as a file (`<key>.json`) to keep in version control or import elsewhere.
#[utoipa::path(get, path = "/templates/{id}/export", security(("api_key" = ["templates:read"])), tag = "templates", params(TemplatePath),
    responses((status = 200, description = "The export file.", body = TemplateExport,
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"<key>.json\"`")))))]
async fn export(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let file = s.recruiting.export_template(&who, &tpl(&raw)?).await?;
    let body = serde_json::to_string_pretty(&file).map_err(anyhow::Error::from)?;
    // Keys are slugs (a-z, 0-9, '-'), safe inside a quoted filename.
    let disposition = format!("attachment; filename=\"{}.json\"", file.key);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// Import under this key instead of the file's.
    key: Option<String>,
}

/// Import a template
///
/// Creates a template from an export file.
#[utoipa::path(post, path = "/templates/import", security(("api_key" = ["templates:write"])), tag = "templates", params(ImportQuery),
    request_body(content = TemplateExport, example = json!({"shortlist_template": 1, "key": "imported-screening", "spec": {"name": "Customer support screening", "questions": [{"id": "q1", "kind": "video", "prompt": "Tell us about a customer you helped.", "think_time_secs": 30, "answer_time_secs": 120, "retakes": 1}]}})),
    responses((status = 201, description = "The new template.", body = TemplateView)))]
async fn import(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiQuery(q): ApiQuery<ImportQuery>,
    ApiJson(file): ApiJson<TemplateExport>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let t = s.recruiting.import_template(&who, file, q.key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(t)))
}
