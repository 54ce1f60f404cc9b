//! `Idempotency-Key` on POST: the first request with a key runs and its answer (status and
//! body) is kept for 24 h; the same key with the same request gets that answer again without the
//! work being redone, with a different request 422, and while the first still runs 409. The kept
//! body is sealed: creation answers carry secrets that are shown once.
//!
//! The first request holds the key under a short lease it renews while it runs. If its process
//! dies, or the database fails before the answer is recorded, the lease lapses within
//! [`LEASE`] and a retry with the same request takes the key over and runs, rather than being
//! told "in progress" until the key expires.

use crate::WebState;
use crate::api::problem;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use sha2::{Digest, Sha256};
use shortlist_store::idempotency as store;

/// How long a key is remembered.
pub const KEEP: TimeDelta = TimeDelta::hours(24);
/// How long an in-progress key stays reserved without its owner renewing it.
pub const LEASE: TimeDelta = TimeDelta::seconds(10);
/// The owner renews well within the lease, so a slow database write does not lose it.
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(3);
/// JSON and form bodies up to this size are read for comparison; answers up to it are kept.
const MAX_BODY: usize = 64 * 1024 * 1024;
const MAX_KEY: usize = 255;

pub const HEADER: &str = "idempotency-key";

/// Keeps `e` as the source, so an unreachable database is still recognised (503, not 500).
fn internal<E: std::error::Error + Send + Sync + 'static>(e: E) -> Response {
    crate::error::ApiError(shortlist_app::AppError::Internal(
        anyhow::Error::new(e).context("idempotency"),
    ))
    .into_response()
}

/// JSON, forms and text are compared byte for byte; anything else is a binary upload.
fn is_text(h: &axum::http::HeaderMap) -> bool {
    let ct = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct.is_empty()
        || ct == "application/json"
        || ct.ends_with("+json")
        || ct == "application/x-www-form-urlencoded"
        || ct.starts_with("text/")
}

pub async fn run(s: &WebState, credential: &str, key: &str, req: Request, next: Next) -> Response {
    if key.is_empty() || key.len() > MAX_KEY || !key.is_ascii() {
        return problem(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1–{MAX_KEY} ASCII characters"),
            serde_json::Map::new(),
        );
    }
    let (parts, body) = req.into_parts();
    // The request is its method, path with query, content type and body. A binary body (a media
    // upload of up to 500 MiB) is not read here: it streams to its handler, and its declared
    // length stands in for its bytes, so an upload is never held in memory for its key.
    let binary = !is_text(&parts.headers);
    let (body, bytes) = if binary {
        let len = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .map(|v| v.as_bytes().to_vec())
            .unwrap_or_default();
        (body, Bytes::from(len))
    } else {
        let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large".into(),
                serde_json::Map::new(),
            );
        };
        (Body::from(bytes.clone()), bytes)
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update([0]);
    h.update(parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or(""));
    h.update([0]);
    h.update(
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes())
            .unwrap_or(b""),
    );
    h.update([0]);
    h.update(if binary { &b"length:"[..] } else { &b"body:"[..] });
    h.update(&bytes);
    let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();

    let clock = s.recruiting.clock.clone();
    let now = clock.now();
    let owner = format!("req_{}", uuid::Uuid::now_v7().simple());
    let claim = store::ClaimReq {
        credential,
        key,
        request_hash: &hash,
        owner: &owner,
        now,
        lease_until: now + LEASE,
        stale_before: now - KEEP,
        legacy_lapsed_before: now - LEASE,
    };
    match store::claim(&s.db, &claim).await {
        Err(e) => return internal(e),
        Ok(store::Claim::Held) => return held(s, credential, key, &hash, now).await,
        Ok(store::Claim::TakenOver) => {
            metrics::counter!("shortlist_idempotency_takeovers_total").increment(1);
            tracing::info!("Idempotency-Key taken over: its earlier request stopped renewing it; running again");
        }
        Ok(store::Claim::New) => {}
    }
    let work = next.run(Request::from_parts(parts, body));
    tokio::pin!(work);
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + RENEW_EVERY, RENEW_EVERY);
    let resp = loop {
        tokio::select! {
            resp = &mut work => break resp,
            _ = renew.tick() => {
                match store::renew(&s.db, credential, key, &owner, clock.now() + LEASE).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("Idempotency-Key was taken over while its request ran"),
                    Err(e) => tracing::warn!(error = %e, "Idempotency-Key lease not renewed"),
                }
            }
        }
    };
    let (mut rparts, rbody) = resp.into_parts();
    let Ok(out) = to_bytes(rbody, MAX_BODY).await else {
        let _ = store::release(&s.db, credential, key, &owner).await;
        return crate::error::ApiError(shortlist_app::AppError::Internal(anyhow::anyhow!(
            "idempotency: response body unreadable"
        )))
        .into_response();
    };
    // Failures on our side are not remembered: the client may retry with the same key.
    let keep = !rparts.status.is_server_error() && rparts.status != StatusCode::TOO_MANY_REQUESTS;
    let saved = if keep {
        let ct = rparts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let sealed = s.idempotency_sealer.seal(&String::from_utf8_lossy(&out));
        let done = store::Finished {
            status: rparts.status.as_u16(),
            content_type: ct,
            body: &sealed,
        };
        store::finish(&s.db, credential, key, &owner, &done).await.map(|_| ())
    } else {
        store::release(&s.db, credential, key, &owner).await
    };
    // Unsaved, the record keeps its lease until it lapses; a retry then runs again.
    if let Err(e) = saved {
        tracing::error!(error = %e, "idempotency record not saved");
    }
    rparts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(rparts, Body::from(out))
}

/// The key is someone else's: the kept answer, a mismatch, or "still running" with how long
/// until its lease would lapse.
async fn held(s: &WebState, credential: &str, key: &str, hash: &str, now: chrono::DateTime<chrono::Utc>) -> Response {
    match store::get(&s.db, credential, key).await {
        Err(e) => internal(e),
        Ok(Some(row)) if row.request_hash != hash => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_mismatch",
            "this Idempotency-Key was used with a different request; use a new key".into(),
            serde_json::Map::new(),
        ),
        Ok(Some(row)) if row.state == "done" => match row.body.as_deref().map(|b| s.idempotency_sealer.open(b)) {
            Some(Err(e)) => internal(e),
            opened => replay(row.status, row.content_type, opened.and_then(Result::ok)),
        },
        // Running, or taken back a moment ago by a failed first request.
        Ok(row) => {
            let wait = row
                .and_then(|r| r.lease_until)
                .map_or(1, |until| (until - now).num_seconds().clamp(1, LEASE.num_seconds()));
            let mut r = problem(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being processed; retry shortly".into(),
                serde_json::Map::new(),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
    }
}

fn replay(status: Option<i32>, content_type: Option<String>, body: Option<String>) -> Response {
    let status = status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut resp = (status, Bytes::from(body.unwrap_or_default())).into_response();
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    resp.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}
