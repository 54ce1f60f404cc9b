//! Recruiter pages: server-rendered HTML forms, no JavaScript build step.

use crate::WebState;
use axum::Router;

pub fn routes() -> Router<WebState> {
    Router::new()
}
