//! Endpoints ATSes call (`/connectors/<ats>/…`). Each answers in its ATS's own error format.

mod icims;

use crate::WebState;
use axum::Router;

pub fn routes() -> Router<WebState> {
    icims::routes()
}
