//! /media: uploading template media (logos, intro and prompt videos, documents) as a raw body,
//! and reading it back. Only the organisation that uploaded a file can read or use it. Both
//! ways stream: no file is held in memory, whatever its size.

use super::ApiQuery;
use crate::WebState;
use crate::auth::ApiActor;
use crate::error::ApiError;
use crate::ui::playback::ranged_object;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, RequestExt, Router};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use shortlist_app::AppError;
use shortlist_app::recruiting::media::{MAX_UPLOAD, MediaFile, MediaKind, MediaRef};
use shortlist_store::media::MediaStore;
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

/// The request body as it arrives; a body the server cannot read is a bad upload.
pub(crate) fn body_stream(req: Request) -> impl Stream<Item = Result<Bytes, AppError>> + Unpin {
    req.with_limited_body()
        .into_body()
        .into_data_stream()
        .map(|c| c.map_err(|e| AppError::field("body", format!("the upload could not be read: {e}"))))
}

/// Upload a file for templates
///
/// `POST /media?kind=logo` with the file as the body and its type as Content-Type →
/// 201 `{media_key, content_type, size}`; put `media_key` into a template. The body is streamed
/// to storage: a file over its kind's limit (logo 5 MiB, video 500 MiB, document 25 MiB) is
/// refused with 413 `payload_too_large` as soon as it passes the limit (at once when
/// Content-Length says so), and nothing of it is kept.
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
    let m = s
        .recruiting
        .upload_media(&who, kind, &content_type, None, body_stream(req))
        .await?;
    let location = format!("/api/v1/media/{}", m.media_key);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(m)).into_response())
}

/// Read an uploaded file
///
/// Supports single HTTP ranges (`Range: bytes=a-b`, `bytes=a-`, `bytes=-n`): 206 with
/// `Content-Range`; a range outside the file is 416 `range_not_satisfiable` with
/// `Content-Range: bytes */size`.
#[utoipa::path(get, path = "/media/{key}", security(("api_key" = ["media:read"])), tag = "media",
    params(("key" = String, Path, description = "The `media_key` the upload answered with (it contains `/`)."),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`.")),
    responses((status = 200, description = "The file, with the type it was uploaded as.",
        content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/*"), (Vec<u8> = "video/*"), (Vec<u8> = "*/*"))),
        (status = 206, description = "The requested range of the file.",
        content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/*"), (Vec<u8> = "video/*"), (Vec<u8> = "*/*"))),
        (status = 416, description = "The range lies outside the file.", content_type = "application/problem+json")))]
async fn download(
    State(s): State<WebState>,
    ApiActor(who): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let f = s.recruiting.download_media(&who, &key).await?;
    let resp = stored_file(&s.recruiting.media, &f, &headers).await?;
    if resp.status() != StatusCode::RANGE_NOT_SATISFIABLE {
        return Ok(resp);
    }
    // The API answers errors as problem+json; the Content-Range header stays.
    let problem = serde_json::json!({
        "type": "https://shortlist.dev/problems/range_not_satisfiable",
        "title": "Range Not Satisfiable",
        "status": 416,
        "detail": "The requested range lies outside the file; Content-Range gives its size.",
        "code": "range_not_satisfiable",
    });
    let (mut parts, _) = resp.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    Ok(Response::from_parts(parts, Body::from(problem.to_string())))
}

/// A stored template file as a response, streamed with Range support. Type, nosniff, the
/// sandbox policy and the disposition (a download unless audio or video) are set for every
/// file route by [`crate::files::guard`].
pub(crate) async fn stored_file(media: &MediaStore, f: &MediaFile, headers: &HeaderMap) -> Result<Response, AppError> {
    let mut resp = ranged_object(media, &f.key, &f.content_type, headers).await?;
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    Ok(resp)
}
