//! What every API call passes before it reaches a resource: recording, HTTP/1.1 strictness,
//! Content-Length, injected failures, authentication and the daily quota — in that order, so a test
//! sees every attempt in `requests()` even when it is refused. A call that may change something is
//! followed by a save of the state file, when there is one.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::json;

use super::api::IcimsError;
use super::{Auth, SimHandle};
use crate::RecordedRequest;
use crate::auth::basic_credentials;

const BODY_LIMIT: usize = 1 << 20;
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
pub(crate) const TOKEN_PATH: &str = "/oauth2/token";

fn is_api(path: &str) -> bool {
    path.starts_with("/customers/") || path == TOKEN_PATH
}

pub(crate) async fn guard(State(sim): State<SimHandle>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return IcimsError::new(413, 0, None, "The request body is too large.").into_response();
    };
    let path = parts.uri.path().to_owned();
    let api = is_api(&path);
    if api {
        sim.st().requests.push(RecordedRequest::from_parts(&parts, &bytes));
    }
    // iCIMS answers anything but HTTP/1.1 with 505; an `Upgrade: h2c` attempt is refused the same way.
    let h2c = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("h2c"));
    if parts.version != Version::HTTP_11 || h2c {
        let mut resp = IcimsError::new(505, 0, None, "HTTP version not supported; use HTTP/1.1.").into_response();
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    let writes = parts.method != Method::GET && parts.method != Method::HEAD;
    if !api {
        let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
        if writes {
            sim.save();
        }
        return resp;
    }
    let needs_length = matches!(parts.method, Method::POST | Method::PATCH | Method::PUT);
    if needs_length && !parts.headers.contains_key(header::CONTENT_LENGTH) {
        return IcimsError::new(411, 0, None, "A valid Content-Length header is required.").into_response();
    }
    if let Some(status) = sim.st().take_failure(&path) {
        return IcimsError::injected(status).into_response();
    }
    if path != TOKEN_PATH && !authorised(&sim, &parts.headers) {
        return IcimsError::unauthorized().into_response();
    }
    let remaining = {
        let mut st = sim.st();
        match st.quota {
            Some(0) => None,
            Some(n) => {
                st.quota = Some(n - 1);
                Some(Some(n - 1))
            }
            None => Some(None),
        }
    };
    let Some(remaining) = remaining else {
        let mut resp = IcimsError::quota().into_response();
        resp.headers_mut().insert("x-ratelimit-remaining", HeaderValue::from(0));
        resp.headers_mut().insert("x-ratelimit-reset", HeaderValue::from(3600));
        return resp;
    };
    let mut resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if writes {
        sim.save();
    }
    if let Some(n) = remaining {
        resp.headers_mut().insert("x-ratelimit-remaining", HeaderValue::from(n));
    }
    resp
}

fn authorised(sim: &SimHandle, headers: &HeaderMap) -> bool {
    match &sim.inner.cfg.api_auth {
        Auth::Basic { user, password } => basic_credentials(headers).is_some_and(|(u, p)| &u == user && &p == password),
        Auth::OAuth { .. } => {
            let bearer = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let Some(token) = bearer else { return false };
            sim.st()
                .tokens
                .get(token.trim())
                .is_some_and(|exp| *exp > Instant::now())
        }
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// `POST /oauth2/token`, grant `client_credentials`; the client authenticates with a Basic header
/// or `client_id`/`client_secret` form fields (RFC 6749 §2.3.1 allows both).
pub(crate) async fn token(State(sim): State<SimHandle>, headers: HeaderMap, body: Bytes) -> Response {
    let Auth::OAuth {
        client_id,
        client_secret,
    } = &sim.inner.cfg.api_auth
    else {
        return IcimsError::not_found("Resource").into_response();
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Use grant_type=client_credentials.",
        );
    }
    let creds = basic_credentials(&headers).or_else(|| field("client_id").zip(field("client_secret")));
    if !creds.is_some_and(|(id, secret)| &id == client_id && &secret == client_secret) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client or wrong secret.",
        );
    }
    let bytes: [u8; 24] = rand::rng().random();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    sim.st().tokens.insert(token.clone(), Instant::now() + TOKEN_LIFETIME);
    let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME.as_secs()});
    Json(body).into_response()
}
