//! /media: uploading template media (logos, intro and prompt videos, documents) as a raw body,
//! and reading it back. Only the organisation that uploaded a file can read or use it.

use super::ApiQuery;
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, RequestExt, Router};
use futures::StreamExt;
use serde::Deserialize;
use shortlist_app::AppError;
use shortlist_app::recruiting::media::{MAX_UPLOAD, MediaKind, MediaRef};
use utoipa::IntoParams;

/// A little above the largest upload, so that the per-kind limits decide.
pub const BODY_LIMIT: usize = (MAX_UPLOAD + 1024 * 1024) as usize;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/media", post(upload).layer(DefaultBodyLimit::max(BODY_LIMIT)))
        .route("/media/{*key}", get(download))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// `logo` (PNG, JPEG, SVG, WebP), `intro_video` or `prompt_video` (WebM, MP4, QuickTime) or
    /// `document` (PDF, images, text, office files).
    #[serde(default)]
    #[param(required = true, pattern = "^(logo|intro_video|prompt_video|document)$")]
    kind: String,
}

fn content_length(h: &HeaderMap) -> Option<u64> {
    h.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// The body, refused as soon as it grows past `limit`.
async fn read_body(req: Request, limit: u64) -> Result<Vec<u8>, AppError> {
    let mut stream = req.with_limited_body().into_body().into_data_stream();
    let mut buf: Vec<u8> = vec![];
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::field("body", format!("the upload could not be read: {e}")))?;
        if (buf.len() + chunk.len()) as u64 > limit {
            return Err(AppError::TooLarge { limit_bytes: limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Upload a file for templates
///
/// `POST /media?kind=logo` with the file as the body and its type as Content-Type →
/// 201 `{media_key, content_type, size}`; put `media_key` into a template.
#[utoipa::path(post, path = "/media", security(("api_key" = ["media:write"])), tag = "media", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file itself, sent with its own type as Content-Type (image/png, video/webm, application/pdf, …)."),
    responses((status = 201, description = "Stored.", body = MediaRef,
        headers(("Location" = String, description = "Where to read the file back.")))))]
async fn upload(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let kind = MediaKind::parse(&q.kind)
        .ok_or_else(|| AppError::field("kind", "one of logo, intro_video, prompt_video, document"))?;
    // Refused before a byte of the body is read.
    who.require_recruiter()?;
    let limit = kind.limit_bytes();
    if content_length(req.headers()).is_some_and(|n| n > limit) {
        return Err(AppError::TooLarge { limit_bytes: limit }.into());
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if content_type.trim().is_empty() {
        return Err(AppError::field(
            "content_type",
            "send the file's type in the Content-Type header, e.g. image/png",
        )
        .into());
    }
    let bytes = read_body(req, limit).await?;
    let m = s.recruiting.upload_media(&who, kind, &content_type, bytes).await?;
    let location = format!("/api/v1/media/{}", m.media_key);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(m)).into_response())
}

/// Read an uploaded file
#[utoipa::path(get, path = "/media/{key}", security(("api_key" = ["media:read"])), tag = "media",
    params(("key" = String, Path, description = "The `media_key` the upload answered with (it contains `/`).")),
    responses((status = 200, description = "The file, with the type it was uploaded as.",
        content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/*"), (Vec<u8> = "video/*"), (Vec<u8> = "*/*")))))]
async fn download(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let (content_type, bytes) = s.recruiting.download_media(&who, &key).await?;
    Ok(media_response(&content_type, bytes))
}

/// A stored file as a response: shown inline, never sniffed as another type; an SVG (which
/// could carry script) is sandboxed when opened on its own.
pub(crate) fn media_response(content_type: &str, bytes: Vec<u8>) -> Response {
    let ct = HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut resp = (
        [
            (header::CONTENT_TYPE, ct),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("inline")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600")),
        ],
        bytes,
    )
        .into_response();
    if content_type == "image/svg+xml" {
        resp.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        );
    }
    resp
}
