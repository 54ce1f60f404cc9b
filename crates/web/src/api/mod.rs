//! The REST API under /api/v1 (JSON in, JSON or problem+json out). Partners will reach the same
//! routes with their own credentials; handlers only see an [`ApiActor`](crate::auth::ApiActor).

use crate::WebState;
use axum::Router;

pub fn routes() -> Router<WebState> {
    Router::new()
}
