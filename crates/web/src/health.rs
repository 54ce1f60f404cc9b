//! Liveness, readiness and Prometheus metrics.

use crate::WebState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

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

/// The database answers and every migration this build knows has been applied.
async fn readyz(State(s): State<WebState>) -> impl IntoResponse {
    let db_ok = s.db.ping().await.is_ok();
    let migrations = if db_ok {
        s.db.migrations_current().await.unwrap_or(false)
    } else {
        false
    };
    let ready = db_ok && migrations;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "database": if db_ok { "ok" } else { "unreachable" },
        "migrations": if migrations { "current" } else { "pending" },
    });
    (status, Json(body))
}

async fn metrics(State(s): State<WebState>) -> impl IntoResponse {
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
}
