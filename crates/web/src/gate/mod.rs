//! The front door of /api/v1 for machine callers: partner credentials
//! (`X-Shortlist-Partner-Authorization` + `X-Shortlist-User-Email`) and bearer keys are checked
//! here, then the caller's policy (IP allow-list, scopes, rate) is enforced and `Idempotency-Key`
//! handled, before any handler runs. The resolved caller is left in the request's extensions
//! for [`ApiActor`](crate::auth::ApiActor); session callers pass through unchanged.
//!
//! Scopes are those each operation declares ([`scopes`]), looked up by the route axum matched.

pub mod idempotency;
pub mod rate;
pub mod scopes;

use crate::WebState;
use crate::api::problem;
use crate::auth::SESSION_COOKIE;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use scopes::{Need, ScopeTable};
use shortlist_app::credentials::{AuthError, Authenticated, Refused};
use std::net::SocketAddr;
use std::sync::Arc;

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

/// The gate's state: the application's, and the scopes every operation declares.
#[derive(Clone)]
pub struct Gate {
    pub web: WebState,
    pub scopes: Arc<ScopeTable>,
}

impl Gate {
    /// Reads the scopes from the OpenAPI document once, when the router is built. An operation
    /// that declares none stays closed to machine credentials (and fails
    /// `api::openapi::tests`); it is logged here too so that it cannot go unnoticed.
    pub fn new(web: WebState) -> Self {
        let (table, errors) = crate::api::scope_table();
        for e in errors {
            tracing::error!("API operation without a usable scope declaration, refused to API credentials: {e}");
        }
        Gate {
            web,
            scopes: Arc::new(table),
        }
    }
}

/// The refusal for a machine caller whose scopes do not cover what the matched operation
/// declares; `None` lets the request on. Requests that matched no route go on to the 404 answer.
fn scope_refusal(table: &ScopeTable, req: &Request, a: &Authenticated) -> Option<Response> {
    let route = req.extensions().get::<MatchedPath>()?.as_str();
    let needs = match table.need(req.method(), route) {
        Some(Need::Scopes(needs)) => needs,
        Some(Need::Undeclared { allow }) => {
            let allow = allow.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
            let mut resp = problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{} is not an operation of this path; it allows {allow}", req.method()),
                serde_json::Map::new(),
            );
            if let Ok(v) = HeaderValue::from_str(&allow) {
                resp.headers_mut().insert(header::ALLOW, v);
            }
            return Some(resp);
        }
        None => {
            return Some(refused(Refused {
                status: 403,
                code: "insufficient_scope",
                message: "this operation declares no scope, so no API credential may call it".into(),
            }));
        }
    };
    let missing: Vec<String> = needs
        .iter()
        .filter(|n| !a.policy.scopes.grants(n))
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut extra = serde_json::Map::new();
    extra.insert(
        "required_scopes".into(),
        needs.iter().map(ToString::to_string).collect::<Vec<_>>().into(),
    );
    Some(problem(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        format!("this credential lacks the scope {}", missing.join(" and the scope ")),
        extra,
    ))
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

pub async fn api_gate(State(g): State<Gate>, mut req: Request, next: Next) -> Response {
    let s = &g.web;
    let caller = match authenticate(s, req.headers()).await {
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
            if let Some(resp) = scope_refusal(&g.scopes, &req, a) {
                return resp;
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
                None => match session_user(s, req.headers()).await {
                    Ok(c) => c,
                    // The database is gone: answer now, not after the handler waits for it again.
                    Err(e) => return crate::error::ApiError(e).into_response(),
                },
            };
            match credential {
                Some(c) => idempotency::run(s, &c, &key, req, next).await,
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
async fn session_user(s: &WebState, h: &HeaderMap) -> Result<Option<String>, shortlist_app::AppError> {
    let jar = CookieJar::from_headers(h);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(s.accounts.session(cookie.value()).await?.map(|u| u.user_id.to_string()))
}
