//! Every answer that refused a request for a full disk (507, from any surface) is reported to
//! the storage watch: it is counted, and the operators hear of the episode once.

use crate::WebState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

pub async fn watch(State(s): State<WebState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.status() == StatusCode::INSUFFICIENT_STORAGE {
        s.storage.refused().await;
    }
    resp
}
