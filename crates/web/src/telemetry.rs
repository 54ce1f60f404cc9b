//! Request ids, tracing spans, panic catching and per-route HTTP metrics.

use axum::Router;
use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::header;
use axum::http::{HeaderName, Request};
use std::borrow::Cow;
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
    let path = redact_path(req.uri().path());
    tracing::info_span!("http", method = %req.method(), path = %path, request_id = %id)
}

/// The path as the request log may show it. Capability links carry their secret in the path
/// (the candidate's invitation token, share tokens, interview keys, unsubscribe tokens), and a
/// log line is read by more people than the link was meant for, so the secret segment is cut
/// out. Every capability route is listed here, in one place: a new one must be added.
pub fn redact_path(path: &str) -> Cow<'_, str> {
    const CUT: &str = "[redacted]";
    let parts: Vec<&str> = path.split('/').collect();
    // Index of the segment that is a secret, if this is a capability path.
    let secret = match parts.as_slice() {
        ["", "i", _, ..] | ["", "s", _, ..] => Some(2),
        ["", "notifications", "unsubscribe", _, ..] => Some(3),
        // `/interviews/{id}/{key}`; the member routes have fixed words in that place.
        ["", "interviews", _, key, ..] if !matches!(*key, "evaluation" | "report" | "documents" | "") => Some(3),
        _ => None,
    };
    match secret {
        Some(i) => Cow::Owned(
            parts
                .iter()
                .enumerate()
                .map(|(n, p)| if n == i { CUT } else { p })
                .collect::<Vec<_>>()
                .join("/"),
        ),
        None => Cow::Borrowed(path),
    }
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

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn every_capability_secret_is_cut_from_logged_paths() {
        assert_eq!(redact_path("/i/tok_abc"), "/i/[redacted]");
        assert_eq!(redact_path("/i/tok_abc/q/q1"), "/i/[redacted]/q/q1");
        assert_eq!(redact_path("/s/share_abc"), "/s/[redacted]");
        assert_eq!(
            redact_path("/s/share_abc/inv_1/takes/q1/1"),
            "/s/[redacted]/inv_1/takes/q1/1"
        );
        assert_eq!(redact_path("/interviews/inv_1/KEY"), "/interviews/inv_1/[redacted]");
        assert_eq!(
            redact_path("/interviews/inv_1/KEY/takes/q1/1"),
            "/interviews/inv_1/[redacted]/takes/q1/1"
        );
        assert_eq!(
            redact_path("/notifications/unsubscribe/SECRET"),
            "/notifications/unsubscribe/[redacted]"
        );
        assert_eq!(redact_path("/interviews/inv_1/report"), "/interviews/inv_1/report");
        assert_eq!(redact_path("/interviews/inv_1"), "/interviews/inv_1");
        assert_eq!(redact_path("/positions/pos_1"), "/positions/pos_1");
        assert_eq!(redact_path("/"), "/");
    }
}
