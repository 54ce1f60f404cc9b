//! Endpoints ATSes call (`/connectors/<ats>/…`). Each answers in its ATS's own error format.

mod greenhouse;
mod icims;

use crate::WebState;
use axum::Router;

/// One line per connector with inbound routes.
pub fn routes() -> Router<WebState> {
    icims::routes().merge(greenhouse::routes())
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
    if path.starts_with("/connectors/icims/") && !path.starts_with("/connectors/icims/pick/") {
        return Some(icims::vendor_error(status, user, debug));
    }
    None
}

/// The iCIMS token endpoint's answer (RFC 6749 JSON) while the database cannot be reached.
pub(crate) fn oauth_unavailable() -> axum::response::Response {
    icims::oauth_unavailable()
}
