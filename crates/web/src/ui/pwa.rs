//! The recruiter pages as an installable app: the web app manifest, the service worker (served
//! from the root so its scope covers every page), its icons, and the page script that turns push
//! notifications on for a device.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const SW: &str = include_str!("../../static/notify/sw.js");
const PUSH_JS: &str = include_str!("../../static/notify/push.js");
const ICON_192: &[u8] = include_bytes!("../../static/notify/icon-192.png");
const ICON_512: &[u8] = include_bytes!("../../static/notify/icon-512.png");

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/manifest.webmanifest", get(manifest))
        .route("/sw.js", get(service_worker))
        .route("/notify/push.js", get(push_js))
        .route("/icons/icon-192.png", get(|| async { png(ICON_192) }))
        .route("/icons/icon-512.png", get(|| async { png(ICON_512) }))
}

async fn manifest() -> Response {
    let m = serde_json::json!({
        "name": "Shortlist",
        "short_name": "Shortlist",
        "description": "Asynchronous video interviews: positions, candidates, reviews.",
        "id": "/positions",
        "start_url": "/positions",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#16325c",
        "icons": [
            { "src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any" },
            { "src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable" }
        ]
    });
    ([(header::CONTENT_TYPE, "application/manifest+json")], m.to_string()).into_response()
}

/// Never cached: a browser checks for a new worker on every navigation.
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("service-worker-allowed"), "/"),
        ],
        SW,
    )
        .into_response()
}

async fn push_js() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], PUSH_JS).into_response()
}

fn png(bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}
