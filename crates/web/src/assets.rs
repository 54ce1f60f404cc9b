//! Static files (page scripts, styles, vendored libraries), embedded at build time and served
//! under `/static/{*path}`. Plain ES modules: there is no build step.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Path below /static, content type, bytes.
static FILES: &[(&str, &str, &[u8])] = &[
    (
        "candidate/candidate.css",
        CSS,
        include_bytes!("../static/candidate/candidate.css"),
    ),
    (
        "candidate/common.js",
        JS,
        include_bytes!("../static/candidate/common.js"),
    ),
    (
        "candidate/device.js",
        JS,
        include_bytes!("../static/candidate/device.js"),
    ),
    ("candidate/media.js", JS, include_bytes!("../static/candidate/media.js")),
    (
        "candidate/recorder.js",
        JS,
        include_bytes!("../static/candidate/recorder.js"),
    ),
    ("candidate/takes.js", JS, include_bytes!("../static/candidate/takes.js")),
    (
        "candidate/upload.js",
        JS,
        include_bytes!("../static/candidate/upload.js"),
    ),
    (
        "candidate/local-time.js",
        JS,
        include_bytes!("../static/candidate/local-time.js"),
    ),
    (
        "candidate/file-upload.js",
        JS,
        include_bytes!("../static/candidate/file-upload.js"),
    ),
    ("review/board.js", JS, include_bytes!("../static/review/board.js")),
    ("review/player.js", JS, include_bytes!("../static/review/player.js")),
    (
        "vendor/tus-js-client/tus.min.js",
        JS,
        include_bytes!("../static/vendor/tus-js-client/tus.min.js"),
    ),
];

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/static/{*path}", get(serve))
}

async fn serve(Path(path): Path<String>) -> Response {
    let Some((_, content_type, bytes)) = FILES.iter().find(|(p, _, _)| *p == path) else {
        return crate::error::page(StatusCode::NOT_FOUND, "Not found", "There is no file at this address.");
    };
    let mut resp = (StatusCode::OK, *bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_are_unique_and_not_empty() {
        let mut seen = std::collections::HashSet::new();
        for (p, _, b) in super::FILES {
            assert!(seen.insert(*p), "{p} listed twice");
            assert!(!b.is_empty(), "{p} is empty");
        }
    }
}
