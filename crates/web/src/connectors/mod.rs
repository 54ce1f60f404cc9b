//! Endpoints ATSes call (`/connectors/<ats>/…`). Each answers in its ATS's own error format.

mod icims;

use crate::WebState;
use axum::Router;

pub fn routes() -> Router<WebState> {
    icims::routes()
}

/// An error in the connector's own format, for checks made before its handler runs
/// ([`crate::text_guard`]). Only iCIMS is behind `/connectors/` so far.
pub(crate) fn error_body(status: axum::http::StatusCode, user: &str, debug: &str) -> axum::response::Response {
    icims::vendor_error(status, user, debug)
}

/// The iCIMS token endpoint's answer (RFC 6749 JSON) while the database cannot be reached.
pub(crate) fn oauth_unavailable() -> axum::response::Response {
    icims::oauth_unavailable()
}
