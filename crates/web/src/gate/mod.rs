//! The front door of /api/v1 for machine callers: partner credentials
//! (`X-Shortlist-Partner-Authorization` + `X-Shortlist-User-Email`) and bearer keys are checked
//! here, then the caller's policy (IP allow-list, scopes, rate) is enforced and `Idempotency-Key`
//! handled, before any handler runs. The resolved caller is left in the request's extensions
//! for [`ApiActor`](crate::auth::ApiActor); session callers pass through unchanged.

pub mod idempotency;
pub mod rate;

use crate::WebState;
use crate::api::problem;
use crate::auth::SESSION_COOKIE;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use shortlist_app::credentials::policy::RESOURCES;
use shortlist_app::credentials::{AuthError, Authenticated, Refused};
use std::net::SocketAddr;

pub const PARTNER_HEADER: &str = "x-shortlist-partner-authorization";
pub const USER_EMAIL_HEADER: &str = "x-shortlist-user-email";

fn refused(r: Refused) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::FORBIDDEN);
    let mut resp = problem(status, r.code, r.message, serde_json::Map::new());
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn authenticate(s: &WebState, h: &HeaderMap) -> Option<Result<Authenticated, AuthError>> {
    if let Some(p) = h.get(PARTNER_HEADER) {
        let Ok(p) = p.to_str() else {
            return Some(Err(AuthError::Refused(Refused {
                status: 401,
                code: "malformed_credentials",
                message: "the partner header must be base64 of key:secret".into(),
            })));
        };
        return Some(s.credentials.partner(p, header_str(h, USER_EMAIL_HEADER)).await);
    }
    let auth = header_str(h, header::AUTHORIZATION.as_str())?;
    let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer "));
    Some(match token {
        Some(t) => s.credentials.bearer(t).await,
        None => Err(AuthError::Refused(Refused {
            status: 401,
            code: "malformed_credentials",
            message: "use Authorization: Bearer <API key>".into(),
        })),
    })
}

/// `/invitations/inv_…/resend` → `invitations`; routes outside the scoped resources (`/me`) need
/// no scope.
fn resource(path: &str) -> &str {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

fn budget_headers(resp: &mut Response, b: rate::Budget) {
    let h = resp.headers_mut();
    for (name, v) in [
        ("ratelimit-limit", u64::from(b.limit)),
        ("ratelimit-remaining", u64::from(b.remaining)),
        ("ratelimit-reset", b.reset_secs),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v.to_string()) {
            h.insert(name, v);
        }
    }
}

pub async fn api_gate(State(s): State<WebState>, mut req: Request, next: Next) -> Response {
    let caller = match authenticate(&s, req.headers()).await {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(AuthError::Refused(r))) => return refused(r),
        Some(Err(AuthError::App(e))) => return crate::error::ApiError(e).into_response(),
    };
    let mut budget = None;
    let credential = match &caller {
        Some(a) => {
            let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            let allowed = a.policy.ip_allow.is_empty() || peer.is_some_and(|ip| a.policy.ip_allowed(ip));
            if !allowed {
                return refused(Refused {
                    status: 403,
                    code: "ip_not_allowed",
                    message: format!(
                        "requests from {} are not allowed for this credential",
                        peer.map(|p| p.to_string()).unwrap_or_else(|| "this address".into())
                    ),
                });
            }
            let res = resource(req.uri().path());
            let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            if RESOURCES.contains(&res) && !a.policy.scopes.allows(res, write) {
                let need = format!("{res}:{}", if write { "write" } else { "read" });
                return refused(Refused {
                    status: 403,
                    code: "insufficient_scope",
                    message: format!("this credential lacks the scope {need}"),
                });
            }
            match s.api_limits.check(&a.bucket, a.policy.rate_per_sec, a.policy.burst) {
                Ok(b) => budget = Some(b),
                Err(b) => {
                    let mut extra = serde_json::Map::new();
                    extra.insert("retry_after".into(), b.reset_secs.into());
                    let mut resp = problem(
                        StatusCode::TOO_MANY_REQUESTS,
                        "rate_limited",
                        format!(
                            "rate limit of {}/s exceeded; retry in {} s",
                            a.policy.rate_per_sec, b.reset_secs
                        ),
                        extra,
                    );
                    if let Ok(v) = HeaderValue::from_str(&b.reset_secs.to_string()) {
                        resp.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                    budget_headers(&mut resp, b);
                    return resp;
                }
            }
            req.extensions_mut().insert(a.clone());
            Some(a.credential.clone())
        }
        None => None,
    };
    let idem_key = (req.method() == Method::POST)
        .then(|| header_str(req.headers(), idempotency::HEADER).map(str::to_string))
        .flatten();
    let mut resp = match idem_key {
        Some(key) => {
            let credential = match credential {
                Some(c) => Some(c),
                None => session_user(&s, req.headers()).await,
            };
            match credential {
                Some(c) => idempotency::run(&s, &c, &key, req, next).await,
                // Not signed in: the handler answers 401 as usual.
                None => next.run(req).await,
            }
        }
        None => next.run(req).await,
    };
    if let Some(b) = budget {
        budget_headers(&mut resp, b);
    }
    resp
}

/// Session callers' idempotency keys are kept per user.
async fn session_user(s: &WebState, h: &HeaderMap) -> Option<String> {
    let jar = CookieJar::from_headers(h);
    let token = jar.get(SESSION_COOKIE)?.value().to_string();
    let u = s.accounts.session(&token).await.ok()??;
    Some(u.user_id.to_string())
}
