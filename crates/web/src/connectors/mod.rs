//! Endpoints ATSes call (`/connectors/<ats>/…`). Each answers in its ATS's own error format.

mod greenhouse;
mod icims;
mod workable;

use crate::WebState;
use axum::Router;

/// Calls one ATS connection may make per second, and at once, whatever the connector: above what
/// one instance serves (about 180 iCIMS events/s on 2 cores), so a bulk move of a few thousand
/// candidates passes and only a flood is refused.
const INBOUND_PER_SEC: u32 = 200;
const INBOUND_BURST: u32 = 2000;

/// `Err(seconds to wait)` when the connection is over its inbound budget; the connector answers
/// 429 with `Retry-After` in its ATS's format.
pub(crate) fn inbound_budget(s: &WebState, connection: &str) -> Result<(), u64> {
    s.api_limits
        .check(&format!("ats:{connection}"), INBOUND_PER_SEC, INBOUND_BURST)
        .map(|_| ())
        .map_err(|b| b.reset_secs)
}

/// The caller's address ([`crate::client_ip`] puts the real client's there behind a proxy).
pub(crate) type Caller = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

/// One line per connector with inbound routes.
pub fn routes() -> Router<WebState> {
    icims::routes().merge(greenhouse::routes()).merge(workable::routes())
}

/// An error in the format of the connector `path` belongs to, for checks made before its
/// handler runs ([`crate::text_guard`], [`crate::circuit`]); None outside a connector's calls.
pub(crate) fn error_body(
    path: &str,
    status: axum::http::StatusCode,
    user: &str,
    debug: &str,
) -> Option<axum::response::Response> {
    if path.starts_with("/connectors/greenhouse/") {
        return Some(greenhouse::error(status, user, &[("request".into(), debug.into())]));
    }
    if path.starts_with("/connectors/workable/") {
        return Some(workable::error(status, user, &[("request".into(), debug.into())]));
    }
    if path.starts_with("/connectors/icims/") && !path.starts_with("/connectors/icims/pick/") {
        return Some(icims::vendor_error(status, user, debug));
    }
    None
}

/// The iCIMS token endpoint's answer (RFC 6749 JSON) while the database cannot be reached.
pub(crate) fn oauth_unavailable() -> axum::response::Response {
    icims::oauth_unavailable()
}

/// How a connector whose ATS takes JSON errors words our refusals: its body shape, the status
/// for invalid input, and its name in the log. Greenhouse and Workable answer through one.
pub(crate) struct JsonErrors {
    pub render: fn(axum::http::StatusCode, &str, &[(String, String)]) -> axum::response::Response,
    pub invalid: axum::http::StatusCode,
    pub ats: &'static str,
}

impl JsonErrors {
    pub fn call(&self, e: shortlist_app::connectors::CallError) -> axum::response::Response {
        use axum::http::StatusCode;
        use shortlist_app::connectors::CallError;
        match e {
            CallError::Invalid(fields) => (self.render)(self.invalid, "The request is not valid.", &fields),
            CallError::NotFound(m) => (self.render)(StatusCode::NOT_FOUND, &m, &[]),
            CallError::Duplicate(m) => (self.render)(StatusCode::CONFLICT, &m, &[]),
            CallError::App(e) => self.app(e),
        }
    }

    fn app(&self, e: shortlist_app::AppError) -> axum::response::Response {
        use axum::http::StatusCode;
        use shortlist_app::AppError;
        let status = crate::error::status_of(&e);
        match &e {
            AppError::Validation { .. } => self.call(e.into()),
            AppError::Conflict { message, .. } => (self.render)(StatusCode::CONFLICT, message, &[]),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                let mut resp = (self.render)(
                    status,
                    "Shortlist is briefly unavailable; try again in a few minutes.",
                    &[],
                );
                crate::error::mark_unavailable(&mut resp);
                resp
            }
            _ => {
                tracing::error!(ats = self.ats, error = %format!("{e:#}"), "connector call failed");
                (self.render)(status, "Shortlist could not handle this request.", &[])
            }
        }
    }

    /// The connection is over [`inbound_budget`]: 429 with `Retry-After`.
    pub fn over_budget(&self, wait: u64) -> axum::response::Response {
        let mut resp = (self.render)(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "Too many requests; slow down.",
            &[],
        );
        resp.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(wait));
        resp
    }
}
