//! Operations integrations need on top of the recruiter API: find-or-create a position by the
//! ATS's job id, so a connector can send every order without first asking whether the job
//! exists.

use super::ApiJson;
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use shortlist_app::AppError;
use shortlist_app::recruiting::positions::{NewPosition, PositionView};
use shortlist_domain::{TemplateId, UserId};
use shortlist_store::positions::ExternalRef;
use utoipa::ToSchema;

pub fn routes() -> Router<WebState> {
    Router::new().route("/positions/find-or-create", post(find_or_create))
}

#[derive(Deserialize, ToSchema)]
struct FindOrCreate {
    ats_kind: String,
    #[serde(default)]
    connection_id: String,
    external_id: String,
    /// Used only when the position is created.
    title: String,
    owner_id: Option<String>,
    #[serde(default)]
    template_ids: Vec<String>,
}

/// Find or create a position by ATS job id
///
/// 200 with the position the job id already points to, or 201 with a new one. Two callers
/// racing on one job id both end with the same position: the id is unique per organisation.
#[utoipa::path(post, path = "/positions/find-or-create", security(("api_key" = ["positions:write"])), tag = "positions",
    request_body(content = FindOrCreate, example = json!({"ats_kind": "greenhouse", "external_id": "JOB-43", "title": "Support lead"})),
    responses(
        (status = 200, description = "The position the job id already points to.", body = PositionView),
        (status = 201, description = "A new position with that job id.", body = PositionView)))]
async fn find_or_create(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiJson(b): ApiJson<FindOrCreate>,
) -> Result<(StatusCode, Json<PositionView>), ApiError> {
    if b.ats_kind.trim().is_empty() || b.external_id.trim().is_empty() {
        return Err(AppError::field("external_id", "give the ATS kind and the external job id").into());
    }
    let r = ExternalRef {
        ats_kind: b.ats_kind,
        connection_id: b.connection_id,
        external_id: b.external_id,
    };
    match s.recruiting.position_by_external(&who, &r).await {
        Ok(p) => return Ok((StatusCode::OK, Json(p))),
        Err(AppError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let owner = match b.owner_id.as_deref() {
        Some(o) => Some(UserId::parse(o).map_err(|e| AppError::field("owner_id", e.0))?),
        None => None,
    };
    let mut template_ids = vec![];
    for (i, t) in b.template_ids.iter().enumerate() {
        template_ids.push(TemplateId::parse(t).map_err(|e| AppError::field(&format!("template_ids[{i}]"), e.0))?);
    }
    let new = NewPosition {
        title: b.title,
        owner,
        template_ids,
        external_refs: vec![r.clone()],
    };
    match s.recruiting.create_position(&who, new).await {
        Ok(p) => Ok((StatusCode::CREATED, Json(p))),
        // Someone created it between the lookup and the insert.
        Err(AppError::Conflict {
            code: "external_ref_taken",
            ..
        }) => Ok((StatusCode::OK, Json(s.recruiting.position_by_external(&who, &r).await?))),
        Err(e) => Err(e.into()),
    }
}
