//! Request ids, tracing spans, panic catching and per-route HTTP metrics.

use axum::Router;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::header;
use axum::http::{HeaderName, Request};
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn span(req: &Request<Body>) -> tracing::Span {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    // Share tokens and interview keys in paths are secrets: the log shows them cut out.
    let path = crate::review::redact_path(req.uri().path());
    tracing::info_span!("http", method = %req.method(), path = %path, request_id = %id)
}

/// Wraps every route: the request id is set first so the span, the logs and the response all
/// carry it; panics become a 500 instead of a dropped connection.
pub fn apply(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
            ]))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(span)
                    .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(CatchPanicLayer::new())
            .layer(axum::middleware::from_fn(record_metrics)),
    )
}

async fn record_metrics(req: Request<Body>, next: axum::middleware::Next) -> axum::response::Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let resp = next.run(req).await;
    let elapsed: Duration = started.elapsed();
    let status = resp.status().as_u16().to_string();
    metrics::counter!("shortlist_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("shortlist_http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    resp
}
