//! NUL characters are refused in one place, for every text input: the path, the query string and
//! JSON or form bodies. PostgreSQL cannot store U+0000 in text (SQLite can), so without this a
//! NUL typed into any field was a 500 on one backend and stored on the other. The answer is a 422
//! naming the field, in the caller's format: problem+json under /api/v1, iCIMS's error body at
//! its connector, a page elsewhere.
//!
//! Bodies of other types (tus chunks, media, multipart files) are bytes, not text, and pass.

use crate::error::{ApiError, PageError};
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use shortlist_app::AppError;

/// Text bodies larger than this are left to their handler, which refuses them (axum's default
/// body limit is the same 2 MiB).
const MAX_TEXT_BODY: usize = 2 * 1024 * 1024;

const MESSAGE: &str = "must not contain the NUL character (U+0000)";

pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if let Some(field) = in_path(&path).or_else(|| req.uri().query().and_then(in_form)) {
        return refuse(&path, &field);
    }
    let kind = body_kind(&req);
    let declared_len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if kind == BodyKind::Other || declared_len.is_some_and(|n| n > MAX_TEXT_BODY) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_TEXT_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return refuse_as(
                &path,
                AppError::TooLarge {
                    limit_bytes: MAX_TEXT_BODY as u64,
                },
            );
        }
    };
    let field = match kind {
        BodyKind::Form => in_form_bytes(&bytes),
        BodyKind::Json => in_json(&bytes),
        BodyKind::Other => None,
    };
    if let Some(field) = field {
        return refuse(&path, &field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum BodyKind {
    Json,
    Form,
    Other,
}

fn body_kind(req: &Request) -> BodyKind {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return BodyKind::Other;
    };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

/// `%00` anywhere in the path (a raw NUL cannot reach us: it is not a valid URI character).
fn in_path(path: &str) -> Option<String> {
    path.to_ascii_lowercase().contains("%00").then(|| "path".to_string())
}

fn in_form(query: &str) -> Option<String> {
    in_form_bytes(query.as_bytes())
}

/// The name of the first form field whose name or value holds a NUL.
fn in_form_bytes(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', "\u{fffd}"))
}

/// The path (as `questions[0].prompt`, like the JSON extractor's errors) of the first string or
/// key holding a NUL. A body that is not JSON passes, for its handler to refuse.
fn in_json(body: &[u8]) -> Option<String> {
    // Inside JSON a NUL can only be written as the escape \u0000; skip the parse without one.
    if !body.windows(5).any(|w| w.eq_ignore_ascii_case(b"u0000")) {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    find_nul(&value, String::new())
}

fn find_nul(v: &Value, at: String) -> Option<String> {
    let name = |at: &str| {
        if at.is_empty() {
            "body".to_string()
        } else {
            at.to_string()
        }
    };
    match v {
        Value::String(s) => s.contains('\0').then(|| name(&at)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| find_nul(item, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') {
                Some(name(&at))
            } else {
                find_nul(item, here)
            }
        }),
        _ => None,
    }
}

fn refuse(path: &str, field: &str) -> Response {
    refuse_as(path, AppError::field(field, MESSAGE))
}

/// The error in the format of the surface that `path` belongs to.
fn refuse_as(path: &str, e: AppError) -> Response {
    if path.starts_with("/api/") {
        ApiError(e).into_response()
    } else if path.starts_with("/connectors/") && !path.starts_with("/connectors/icims/pick/") {
        let detail = match &e {
            AppError::Validation { fields } => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        crate::connectors::error_body(
            path,
            StatusCode::BAD_REQUEST,
            "Shortlist could not read the request.",
            &detail,
        )
        .unwrap_or_else(|| PageError(e).into_response())
    } else {
        PageError(e).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_holding_a_nul() {
        assert_eq!(in_json(br#"{"name":"a\u0000b"}"#).as_deref(), Some("name"));
        assert_eq!(
            in_json(br#"{"questions":[{"prompt":"ok"},{"prompt":"x\u0000"}]}"#).as_deref(),
            Some("questions[1].prompt")
        );
        assert_eq!(in_json(br#""\u0000""#).as_deref(), Some("body"));
        // An escaped backslash followed by "u0000" is six ordinary characters.
        assert_eq!(in_json(br#"{"name":"a\\u0000b"}"#), None);
        assert_eq!(in_json(br#"{"name":"fine"}"#), None);
        assert_eq!(in_form_bytes(b"title=Lead%00Dev&x=1").as_deref(), Some("title"));
        assert_eq!(in_form_bytes(b"title=Lead+Dev"), None);
        assert_eq!(in_path("/templates/by-key/a%00b").as_deref(), Some("path"));
        assert_eq!(in_path("/templates/by-key/ab"), None);
    }
}
