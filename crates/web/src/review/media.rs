//! Takes and documents for the read-only views. Each route checks the same capability as the
//! page it belongs to (the interview key, or the share link and that the link shows this
//! candidate), and the service only hands out the submitted take of a question the viewer may
//! see, so no URL reaches another invitation's or organisation's media. An anonymised share
//! link gets only audio-only copies of video answers, never the original file.

use super::interview::key_org;
use super::share::open;
use crate::WebState;
use crate::api::media::stored_file;
use crate::auth::PageActor;
use crate::error::PageError;
use crate::ui::playback::ranged_object;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use shortlist_app::AppError;
use shortlist_app::review::Viewer;
use shortlist_app::review::audio::Playable;
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::uploads::TakeRow;
use std::net::SocketAddr;

fn inv_id(raw: &str) -> Result<InvitationId, PageError> {
    InvitationId::parse(raw).map_err(|_| PageError(AppError::NotFound))
}

/// The take as `viewer` may play it: the original, or for an anonymised share link only the
/// audio-only copy (404 while there is none; the page says why).
async fn take_response(
    s: &WebState,
    org: &OrgId,
    inv: &InvitationId,
    viewer: &Viewer,
    question: &str,
    take: i32,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let f = match s.review.service.playable(org, inv, viewer, question, take).await? {
        Playable::File(f) => f,
        Playable::Pending => {
            s.wake.notify_one(); // the copy was just asked for
            return Err(AppError::NotFound.into());
        }
        Playable::NoTool | Playable::NoAudio => return Err(AppError::NotFound.into()),
    };
    let mut resp = ranged_object(&s.recruiting.media, &f.key, &f.content_type, headers).await?;
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    let name = format!("answer-{question}-take-{take}");
    resp.extensions_mut().insert(crate::files::DownloadName(name));
    Ok(resp)
}

pub async fn key_take(
    State(s): State<WebState>,
    jar: CookieJar,
    Path((id, key, question, take)): Path<(String, String, String, i32)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let inv = inv_id(&id)?;
    let org = key_org(&s, &jar, &inv, &key).await?;
    take_response(&s, &org, &inv, &Viewer::Key, &question, take, &headers).await
}

pub async fn key_document(
    State(s): State<WebState>,
    jar: CookieJar,
    Path((id, key, n)): Path<(String, String, usize)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let inv = inv_id(&id)?;
    let org = key_org(&s, &jar, &inv, &key).await?;
    let f = s.review.service.document(&org, &inv, n).await?;
    Ok(stored_file(&s.recruiting.media, &f, &headers).await?)
}

pub async fn member_document(
    State(s): State<WebState>,
    PageActor(a, _): PageActor,
    Path((id, n)): Path<(String, usize)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let inv = inv_id(&id)?;
    let f = s.review.service.document(&a.org_id, &inv, n).await?;
    Ok(stored_file(&s.recruiting.media, &f, &headers).await?)
}

pub async fn share_take(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((token, inv, question, take)): Path<(String, String, String, i32)>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let link = open(&s, &token, peer, &headers).await?;
    let inv = link.invitation(&inv).map_err(|e| PageError(e).into_response())?;
    take_response(&s, &link.org, &inv, &link.viewer(), &question, take, &headers)
        .await
        .map_err(IntoResponse::into_response)
}

pub async fn share_document(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((token, inv, n)): Path<(String, String, usize)>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let link = open(&s, &token, peer, &headers).await?;
    let inv = link.invitation(&inv).map_err(|e| PageError(e).into_response())?;
    let fail = |e: AppError| PageError(e).into_response();
    let f = s.review.service.document(&link.org, &inv, n).await.map_err(fail)?;
    stored_file(&s.recruiting.media, &f, &headers).await.map_err(fail)
}

/// The poster JPEG of `row`, if the media probe made one for this very object.
async fn poster(s: &WebState, row: &TakeRow) -> Result<Response, PageError> {
    let internal = |e: String| PageError(AppError::Internal(anyhow::anyhow!(e)));
    let probe = shortlist_store::take_probe::get(&s.db, &row.org_id, &row.invitation_id, &row.question_id, row.take)
        .await
        .map_err(|e| internal(e.to_string()))?;
    let key = probe
        .filter(|p| p.media_key == row.media_key)
        .and_then(|p| p.poster_key)
        .ok_or(AppError::NotFound)?;
    let bytes = match s.recruiting.media.get(&key).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Err(AppError::NotFound.into()),
        Err(e) => return Err(internal(e.to_string())),
    };
    let mut resp = (StatusCode::OK, Body::from(bytes)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}

/// The poster behind the same check as [`key_take`].
pub async fn key_poster(
    State(s): State<WebState>,
    jar: CookieJar,
    Path((id, key, question, take)): Path<(String, String, String, i32)>,
) -> Result<Response, PageError> {
    let inv = inv_id(&id)?;
    let org = key_org(&s, &jar, &inv, &key).await?;
    let row = s.review.service.take(&org, &inv, &Viewer::Key, &question, take).await?;
    poster(&s, &row).await
}

/// The poster for a signed-in member, behind the same check as the member's take route.
pub async fn member_poster(
    State(s): State<WebState>,
    PageActor(a, _): PageActor,
    Path((id, question, take)): Path<(String, String, i32)>,
) -> Result<Response, PageError> {
    let inv = inv_id(&id)?;
    let takes = s
        .uploads
        .takes_for(&a.org_id, &inv)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let row = takes
        .into_iter()
        .find(|t| t.question_id == question && t.take == take)
        .ok_or(AppError::NotFound)?;
    poster(&s, &row).await
}
