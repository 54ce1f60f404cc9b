//! The REST API under /api/v1 (JSON in, JSON or problem+json out). Partners will reach the same
//! routes with their own credentials; handlers only see an [`ApiActor`](crate::auth::ApiActor).
//!
//! Every error is `application/problem+json` with a stable `code`: bodies that are not JSON or
//! have the wrong shape are `validation_failed` naming the field, ids that are unknown or
//! malformed are `not_found`.

mod invitations;
pub(crate) mod media;
mod openapi;
mod partner;
mod positions;
mod push;
mod results;
mod settings;
mod templates;
mod webhooks;

use crate::WebState;
use crate::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shortlist_app::AppError;

// For the `#[utoipa::path]` of the review API's handlers (`review/api.rs`).
pub(crate) use invitations::InvitationPath;
pub(crate) use openapi::{Problem, scope_table};
pub(crate) use positions::PositionPath;

pub fn routes() -> Router<WebState> {
    Router::new()
        .merge(templates::routes())
        .merge(positions::routes())
        .merge(invitations::routes())
        .merge(partner::routes())
        .merge(settings::routes())
        // Template media are files like the rest: served by the one guard (reads only).
        .merge(media::routes().layer(axum::middleware::from_fn(crate::files::guard)))
        .merge(push::routes())
        .merge(webhooks::routes())
        .merge(openapi::routes())
        .merge(results::routes())
}

/// A JSON body. Unlike axum's `Json`, a rejection is a problem+json naming the field at fault
/// (`questions[0].prompt`), from serde's own message.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !json_type {
            return Err(problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.".into(),
                serde_json::Map::new(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            problem(
                status,
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "payload_too_large"
                } else {
                    "bad_request"
                },
                e.body_text(),
                serde_json::Map::new(),
            )
        })?;
        decode(&bytes).map(ApiJson).map_err(|e| ApiError(e).into_response())
    }
}

/// Parses JSON, naming the path of the first value that does not fit.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let not_json = |e: serde_json::Error| AppError::field("body", format!("not valid JSON: {e}"));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return not_json(inner);
        }
        let field = if path == "." { "body".to_string() } else { path };
        AppError::field(&field, inner.to_string())
    })?;
    de.end().map_err(not_json)?;
    Ok(value)
}

/// Whether the caller may see candidates' personal links (`candidate_url`, a bearer
/// credential). The services already leave them out for users who may not invite (reviewers);
/// an API credential must in addition hold `invitations:write`, so a read-only token never gets
/// a link that would let its holder take the interview.
pub(crate) struct CandidateLinks(bool);

impl<S: Send + Sync> FromRequestParts<S> for CandidateLinks {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let write = shortlist_app::credentials::Scope {
            resource: "invitations".into(),
            write: true,
        };
        Ok(CandidateLinks(
            parts
                .extensions
                .get::<shortlist_app::credentials::Authenticated>()
                .is_none_or(|a| a.policy.scopes.grants(&write)),
        ))
    }
}

impl CandidateLinks {
    pub(crate) fn apply(&self, v: &mut shortlist_app::recruiting::invitations::InvitationView) {
        if !self.0 {
            v.hide_candidate_url();
        }
    }
}

/// Query parameters; a rejection is a problem+json rather than axum's plain text.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError(AppError::field("query", e.body_text())))
    }
}

/// A problem+json with extension members, for answers that carry more than [`ApiError`].
pub fn problem(
    status: StatusCode,
    code: &str,
    detail: String,
    extra: serde_json::Map<String, serde_json::Value>,
) -> Response {
    let mut body = serde_json::json!({
        "type": format!("https://shortlist.dev/problems/{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    if let Some(obj) = body.as_object_mut() {
        obj.extend(extra);
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// A typed id from the path; a malformed one names nothing that exists, so it is a 404.
pub fn id<T>(raw: &str, parse: impl Fn(&str) -> Result<T, shortlist_domain::ParseError>) -> Result<T, ApiError> {
    parse(raw).map_err(|_| ApiError(AppError::NotFound))
}

use shortlist_app::paging::{PageReq, Paged};

/// `?limit=&cursor=` on list endpoints. Lists are ordered newest first by a timestamp and the
/// id; `cursor` is the `next_cursor` of the previous page, passed back unchanged.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items per page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Opaque: `next_cursor` of the previous page. A malformed one is a 422 naming `cursor`.
    pub cursor: Option<String>,
}

/// One page of a list: `items`, and `next_cursor` when there are more (absent on the last
/// page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Page {
    /// The page asked for; a bad `limit` or `cursor` is a 422 naming it.
    pub fn request(&self) -> Result<PageReq, ApiError> {
        Ok(shortlist_app::paging::request(self.limit, self.cursor.as_deref())?)
    }
}

impl<T> From<Paged<T>> for List<T> {
    fn from(p: Paged<T>) -> Self {
        List {
            next_cursor: p.next.as_ref().map(shortlist_app::paging::encode),
            items: p.items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Q {
        prompt: String,
        secs: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        questions: Vec<Q>,
    }

    fn field_of(raw: &str) -> String {
        match decode::<Body>(raw.as_bytes()) {
            Err(AppError::Validation { fields }) => fields[0].field.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decode_errors_name_the_field() {
        assert_eq!(
            field_of(r#"{"questions":[{"prompt":"a","secs":"x"}]}"#),
            "questions[0].secs"
        );
        assert_eq!(field_of(r#"{"questions":[{"prompt":1}"#), "questions[0].prompt");
        assert_eq!(field_of(r#"{"questions":[{"secs":1}]}"#), "questions[0]");
        assert_eq!(field_of("{"), "body");
        assert_eq!(field_of(r#"{"questions":[]} x"#), "body");
    }
}
