//! /positions: jobs, their templates and their ATS references.

use super::{ApiJson, ApiQuery, List, Page, id};
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shortlist_app::AppError;
use shortlist_app::recruiting::positions::{NewPosition, Owner, PositionView};
use shortlist_domain::{PositionId, TemplateId, UserId};
use shortlist_store::positions::{ExternalRef, PositionRow};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/positions", get(list).post(create))
        .route("/positions/{id}", get(show).patch(update))
        .route("/positions/{id}/templates/{template_id}", put(link).delete(unlink))
}

pub(super) fn pos(raw: &str) -> Result<PositionId, ApiError> {
    id(raw, PositionId::parse)
}

/// `{id}` of the position routes, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(crate) struct PositionPath {
    /// The position's id (`pos_…`).
    id: String,
}

/// A list entry: the fields of a position without its links. A lookup by ATS reference
/// answers with the whole position. (The document names [`Summary`]: a whole position has
/// every field of it.)
#[derive(Serialize)]
#[serde(untagged)]
enum Item {
    Summary(Summary),
    Full(Box<PositionView>),
}

/// A position in a list. A lookup by ATS reference (`ats_kind` and `external_id`) answers with
/// whole positions, which also carry `template_ids` and `external_refs`.
#[derive(Serialize, ToSchema)]
#[schema(as = PositionSummary)]
struct Summary {
    id: String,
    title: String,
    status: String,
    owner: Owner,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<PositionRow> for Item {
    fn from(r: PositionRow) -> Self {
        Item::Summary(Summary {
            id: r.id,
            title: r.title,
            status: r.status,
            owner: Owner {
                id: r.owner_id,
                name: r.owner_name,
                email: r.owner_email,
            },
            created_at: r.created_at,
        })
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `open` or `closed`.
    status: Option<String>,
    /// With `external_id`: the position the ATS knows by this job id (`icims`, `greenhouse`, …).
    ats_kind: Option<String>,
    /// The ATS connection, when the organisation has several of one kind.
    connection_id: Option<String>,
    /// With `ats_kind`: the ATS's job id.
    external_id: Option<String>,
    /// The same as `external_id` (the name `GET /invitations` and `GET /results` use).
    external_job_id: Option<String>,
}

/// List positions
///
/// The organisation's positions, newest first (by creation, then id), or the one an ATS job id
/// points to (`ats_kind` and `external_id`, an empty list when there is none).
#[utoipa::path(get, path = "/positions", security(("api_key" = ["positions:read"])), tag = "positions", params(ListQuery, Page),
    responses((status = 200, description = "One page of positions.", body = List<Summary>)))]
async fn list(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<List<Item>>, ApiError> {
    if let Some(st) = q.status.as_deref()
        && st != "open"
        && st != "closed"
    {
        return Err(AppError::field("status", "open or closed").into());
    }
    let request = page.request()?;
    let external_id = q.external_id.or(q.external_job_id);
    let by_ref =
        shortlist_app::recruiting::search::external_ref(&q.ats_kind, &q.connection_id, &external_id, "external_id")?;
    if let Some(r) = by_ref {
        // One job id names at most one position: one page, no cursor.
        let found = match s.recruiting.position_by_external(&who, &r).await {
            Ok(p) if q.status.as_deref().is_none_or(|st| st == p.status) => vec![Item::Full(Box::new(p))],
            Ok(_) | Err(AppError::NotFound) => vec![],
            Err(e) => return Err(e.into()),
        };
        return Ok(Json(List {
            items: found,
            next_cursor: None,
        }));
    }
    let found = s.recruiting.positions_page(&who, q.status.as_deref(), &request).await?;
    Ok(Json(found.map(Item::from).into()))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ExternalRefInput)]
struct RefInput {
    ats_kind: String,
    #[serde(default)]
    connection_id: String,
    external_id: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = NewPosition)]
struct Create {
    title: String,
    /// A user of the organisation (`usr_…`); the caller's user by default.
    owner_id: Option<String>,
    #[serde(default)]
    template_ids: Vec<String>,
    #[serde(default)]
    external_refs: Vec<RefInput>,
}

/// Create a position
#[utoipa::path(post, path = "/positions", security(("api_key" = ["positions:write"])), tag = "positions",
    request_body(content = Create, example = json!({"title": "Support agent", "external_refs": [{"ats_kind": "greenhouse", "external_id": "JOB-42"}]})),
    responses((status = 201, description = "The new position.", body = PositionView)))]
async fn create(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiJson(body): ApiJson<Create>,
) -> Result<(StatusCode, Json<PositionView>), ApiError> {
    let owner = match body.owner_id.as_deref() {
        Some(o) => Some(UserId::parse(o).map_err(|e| AppError::field("owner_id", e.0))?),
        None => None,
    };
    let mut template_ids = vec![];
    for (i, t) in body.template_ids.iter().enumerate() {
        template_ids.push(TemplateId::parse(t).map_err(|e| AppError::field(&format!("template_ids[{i}]"), e.0))?);
    }
    let new = NewPosition {
        title: body.title,
        owner,
        template_ids,
        external_refs: body
            .external_refs
            .into_iter()
            .map(|r| ExternalRef {
                ats_kind: r.ats_kind,
                connection_id: r.connection_id,
                external_id: r.external_id,
            })
            .collect(),
    };
    let p = s.recruiting.create_position(&who, new).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Get a position
#[utoipa::path(get, path = "/positions/{id}", security(("api_key" = ["positions:read"])), tag = "positions", params(PositionPath),
    responses((status = 200, description = "The position with its templates and ATS references.", body = PositionView)))]
async fn show(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
) -> Result<Json<PositionView>, ApiError> {
    Ok(Json(s.recruiting.position(&who, &pos(&raw)?).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = PositionPatch)]
struct Patch {
    title: Option<String>,
    /// `open` or `closed`.
    status: Option<String>,
}

/// Update a position
///
/// Changes the title and/or the status (open, closed); what is left out stays.
#[utoipa::path(patch, path = "/positions/{id}", security(("api_key" = ["positions:write"])), tag = "positions", params(PositionPath), request_body = Patch,
    responses((status = 200, description = "The position as saved.", body = PositionView)))]
async fn update(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<Patch>,
) -> Result<Json<PositionView>, ApiError> {
    let id = pos(&raw)?;
    let current = s.recruiting.position(&who, &id).await?;
    let title = body.title.unwrap_or(current.title);
    let status = body.status.unwrap_or(current.status);
    Ok(Json(s.recruiting.update_position(&who, &id, &title, &status).await?))
}

async fn set_link(s: WebState, who: ApiActor, raw: (String, String), linked: bool) -> Result<StatusCode, ApiError> {
    let (p, t) = (pos(&raw.0)?, id(&raw.1, TemplateId::parse)?);
    s.recruiting.link_template(&who.0, &p, &t, linked).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Link a template to a position
///
/// Candidates of the position can then be invited with it.
#[utoipa::path(put, path = "/positions/{id}/templates/{template_id}", security(("api_key" = ["positions:write"])), tag = "positions",
    params(PositionPath, ("template_id" = String, Path, description = "The template's id (`tpl_…`).")),
    responses((status = 204, description = "Linked.")))]
async fn link(
    State(s): State<WebState>,
    who: ApiActor,
    Path(raw): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_link(s, who, raw, true).await
}

/// Unlink a template from a position
#[utoipa::path(delete, path = "/positions/{id}/templates/{template_id}", security(("api_key" = ["positions:write"])), tag = "positions",
    params(PositionPath, ("template_id" = String, Path, description = "The template's id (`tpl_…`).")),
    responses((status = 204, description = "Unlinked.")))]
async fn unlink(
    State(s): State<WebState>,
    who: ApiActor,
    Path(raw): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_link(s, who, raw, false).await
}
