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
