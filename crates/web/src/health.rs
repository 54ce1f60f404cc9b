//! Liveness, readiness and Prometheus metrics. Metrics tell an outsider about traffic and
//! queue depth, so an operator can move them to another listener and require a token.

use crate::WebState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// Who may read /metrics.
pub struct MetricsAccess {
    /// The bearer token a scrape must send, if any.
    pub token: Option<String>,
    /// False when metrics have a listener of their own (SHORTLIST_METRICS_LISTEN).
    pub on_main_listener: bool,
}

/// The router of the separate metrics listener: /metrics and nothing else.
pub fn metrics_router(state: WebState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(crate::error::page_not_found)
        .with_state(state)
}

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up and serving.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// How long readiness waits for the database: an orchestrator's probe gets its answer within
/// a second even when the database hangs or the pool waits for a connection.
const READY_DB_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// The database answers and every migration this build knows has been applied.
async fn readyz(State(s): State<WebState>) -> impl IntoResponse {
    let check = async {
        s.db.ping().await.ok()?;
        Some(s.db.migrations_current().await.unwrap_or(false))
    };
    let (db_ok, migrations) = match tokio::time::timeout(READY_DB_TIMEOUT, check).await {
        Ok(Some(current)) => (true, current),
        Ok(None) | Err(_) => (false, false),
    };
    let storage_full = s.storage.is_full();
    let ready = db_ok && migrations && !storage_full;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "database": if db_ok { "ok" } else { "unreachable" },
        "migrations": if migrations { "current" } else { "pending" },
        "storage": if storage_full { "full" } else { "ok" },
    });
    (status, Json(body))
}

/// /metrics on the main listener: absent when metrics have their own.
async fn metrics(State(s): State<WebState>, headers: HeaderMap) -> Response {
    if !s.metrics_access.on_main_listener {
        return crate::error::page_not_found().await;
    }
    scrape(State(s), headers).await
}

async fn scrape(State(s): State<WebState>, headers: HeaderMap) -> Response {
    if let Some(want) = &s.metrics_access.token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !shortlist_app::tokens::equal(sent.trim(), want) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
                "metrics need Authorization: Bearer <SHORTLIST_METRICS_TOKEN>\n",
            )
                .into_response();
        }
    }
    s.storage.is_full(); // sets shortlist_storage_full
    // Queue depth is read from the database at scrape time, so every instance reports the
    // shared queue, not only its own jobs.
    match shortlist_store::jobs::counts(&s.db).await {
        Ok(counts) => {
            for state in ["queued", "running", "done", "dead"] {
                let n = counts.iter().find(|(st, _)| st == state).map_or(0, |(_, n)| *n);
                metrics::gauge!("shortlist_jobs", "state" => state).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not read job counts for metrics"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}
