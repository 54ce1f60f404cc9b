//! Errors as each caller expects them: RFC 9457 problem+json for the API, a plain page for
//! people. Internal errors are logged once (with the request's span, which carries its id) and
//! answered with a generic message.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use shortlist_app::AppError;
use shortlist_app::error::FieldError;
use shortlist_app::faults::Fault;

/// How long a client is asked to wait when the database cannot be reached.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

pub(crate) fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Internal(_) => match e.fault() {
            Some(Fault::DatabaseUnavailable) => StatusCode::SERVICE_UNAVAILABLE,
            Some(Fault::StorageFull) => StatusCode::INSUFFICIENT_STORAGE,
            None => StatusCode::INTERNAL_SERVER_ERROR,
        },
    }
}

fn detail_of(e: &AppError) -> String {
    match e {
        AppError::Internal(inner) => match e.fault() {
            Some(Fault::DatabaseUnavailable) => {
                tracing::warn!(error = format!("{inner:#}"), "database unavailable");
                unavailable_detail()
            }
            Some(Fault::StorageFull) => {
                tracing::error!(error = format!("{inner:#}"), "storage full");
                "The server has run out of storage space; nothing was saved. Please try again later.".to_string()
            }
            None => {
                tracing::error!(error = format!("{inner:#}"), "internal error");
                "Something went wrong on our side. It has been logged; please try again.".to_string()
            }
        },
        AppError::Unauthorized => "Sign in to continue.".to_string(),
        AppError::RateLimited { retry_after_secs } => format!("Too many attempts. Try again in {retry_after_secs} s."),
        AppError::Validation { fields } => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// What a person or API client is told while the database cannot be reached.
pub(crate) fn unavailable_detail() -> String {
    format!(
        "The service cannot reach its database right now; nothing was changed. Try again in {UNAVAILABLE_RETRY_SECS} s."
    )
}

/// Marks an answer given because the database could not be reached, in whatever format; the
/// database circuit ([`crate::circuit`]) counts these.
#[derive(Debug, Clone, Copy)]
pub struct DbUnavailable;

/// Adds Retry-After and the [`DbUnavailable`] mark to an answer about an unreachable database.
pub fn mark_unavailable(resp: &mut Response) {
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_SECS));
    resp.extensions_mut().insert(DbUnavailable);
}

fn retry_after(e: &AppError, resp: &mut Response) {
    let secs = match e {
        AppError::RateLimited { retry_after_secs } => *retry_after_secs,
        _ if e.fault() == Some(Fault::DatabaseUnavailable) => return mark_unavailable(resp),
        _ => return,
    };
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(serde::Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let code = self.0.code();
        let body = Problem {
            kind: format!("https://shortlist.dev/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail_of(&self.0),
            code,
            errors: match &self.0 {
                AppError::Validation { fields } => Some(fields),
                _ => None,
            },
        };
        let json = serde_json::to_string(&body).unwrap_or_default();
        let mut resp = (status, [(header::CONTENT_TYPE, "application/problem+json")], json).into_response();
        retry_after(&self.0, &mut resp);
        resp
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    detail: &'a str,
}

/// An error answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

pub fn page(status: StatusCode, title: &str, detail: &str) -> Response {
    let html = ErrorPage { title, detail }
        .render()
        .unwrap_or_else(|_| detail.to_string());
    (status, Html(html)).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let title = match &self.0 {
            AppError::TooLarge { .. } => "File too large",
            _ => status.canonical_reason().unwrap_or("Error"),
        };
        let mut resp = page(status, title, &detail_of(&self.0));
        retry_after(&self.0, &mut resp);
        resp
    }
}

pub async fn api_not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

pub async fn page_not_found() -> Response {
    page(StatusCode::NOT_FOUND, "Not found", "There is no page at this address.")
}
