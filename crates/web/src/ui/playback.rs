//! Reviewers play a candidate's recorded take. Browsers seek in video with HTTP Range requests,
//! so a single `bytes=a-b` range is answered with 206 and only those bytes are read from the
//! store; anything else gets the whole file. Either way the bytes are streamed, never loaded.

use crate::WebState;
use crate::auth::PageActor;
use crate::error::PageError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shortlist_app::AppError;
use shortlist_domain::InvitationId;
use shortlist_store::media::MediaStore;
use shortlist_store::uploads::TakeRow;

/// Parses `bytes=start-end`, `bytes=start-` and `bytes=-suffix` against a file of `size` bytes.
/// `Err(())` means unsatisfiable (416); `Ok(None)` means "send everything".
pub fn parse_range(raw: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = raw.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // several ranges: answer with the whole file, which is allowed
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            if n == 0 || size == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size - 1)
        }
        (s, "") => (s.parse().map_err(|_| ())?, size.saturating_sub(1)),
        (s, e) => (
            s.parse().map_err(|_| ())?,
            e.parse::<u64>().map_err(|_| ())?.min(size.saturating_sub(1)),
        ),
    };
    if start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

pub async fn take(
    State(s): State<WebState>,
    PageActor(a, _): PageActor,
    Path((id, question, take)): Path<(String, String, i32)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let inv = InvitationId::parse(&id).map_err(|_| AppError::NotFound)?;
    let takes = s
        .uploads
        .takes_for(&a.org_id, &inv)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let row = takes
        .into_iter()
        .find(|t| t.question_id == question && t.take == take)
        .ok_or(AppError::NotFound)?;
    ranged(&s.uploads.media, &row, &headers).await
}

/// A stored take as a (partial) response (see [`ranged_object`]). Shared by the member route
/// here and the read-only views (interview key, share links). The type, nosniff, sandbox and
/// disposition headers are set by [`crate::files::guard`] on every such route.
pub(crate) async fn ranged(media: &MediaStore, row: &TakeRow, headers: &HeaderMap) -> Result<Response, PageError> {
    let mut resp = ranged_object(media, &row.media_key, &row.content_type, headers).await?;
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    let name = format!("answer-{}-take-{}", row.question_id, row.take);
    resp.extensions_mut().insert(crate::files::DownloadName(name));
    Ok(resp)
}

/// Any stored object as a (partial) response, streamed from the store in small pieces so that
/// no file is held in memory: 206 with only the requested bytes for a single range, 416 (with
/// `Content-Range: bytes */size`) for an unsatisfiable one, the whole file otherwise. Every
/// file route (takes, template media, documents) answers through here.
pub(crate) async fn ranged_object(
    media: &MediaStore,
    key: &str,
    content_type: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let internal = |e: shortlist_store::media::MediaError| AppError::Internal(e.into());
    let size = media.object_size(key).await.map_err(internal)?.ok_or_else(|| {
        tracing::warn!(key, "media recorded but missing from the store");
        AppError::NotFound
    })?;
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match parse_range(range, size) {
        Ok(Some((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b + 1),
        Ok(None) => (StatusCode::OK, 0, size),
        Err(()) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            r.headers_mut()
                .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let stream = media.read_stream(key, start..end).await.map_err(internal)?;
    let mut resp = (status, Body::from_stream(stream)).into_response();
    let h = resp.headers_mut();
    let ct = HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, ct);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_like_browsers_send_them() {
        assert_eq!(parse_range(None, 100), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-"), 100), Ok(Some((0, 99))));
        assert_eq!(parse_range(Some("bytes=10-19"), 100), Ok(Some((10, 19))));
        assert_eq!(parse_range(Some("bytes=90-200"), 100), Ok(Some((90, 99))));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Ok(Some((90, 99))));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Err(()));
        assert_eq!(parse_range(Some("bytes=20-10"), 100), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Ok(None));
        assert_eq!(parse_range(Some("items=0-1"), 100), Ok(None));
    }
}
