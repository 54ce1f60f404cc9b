//! The one place that decides how a stored file goes out: candidates' takes and documents,
//! posters, template media. Every route that sends such a file has [`guard`] as a layer (see
//! [`file_route`]), so a handler cannot forget it and a new way of reading the bytes (ranges,
//! streaming) keeps it.
//!
//! A file someone uploaded must never run as a page of ours, whatever its bytes and whatever
//! type string was stored with it (rows from before types were made canonical may hold
//! `application/pdf;x=,text/html`). So a successful answer gets:
//! - the canonical type of what was stored ([`media_type::served`]); anything unknown is
//!   `application/octet-stream`;
//! - `X-Content-Type-Options: nosniff`, so the browser takes that type as it is;
//! - `Content-Security-Policy: sandbox; default-src 'none'`: opened on its own, the file has an
//!   opaque origin and may load and run nothing;
//! - `Content-Disposition: attachment` with a safe name for everything but audio and video,
//!   which players show inline (a `<video>` or `<img>` element ignores the disposition).
//!
//! Error answers (our own pages) pass unchanged.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::MethodRouter;
use shortlist_app::media_type;

/// The policy of every served file: no script, no plugins, no subresources, an opaque origin.
pub const SANDBOX: &str = "sandbox; default-src 'none'";

/// The name (without extension) a download gets, when the handler knows a better one than
/// `download`. Put it into the response's extensions.
#[derive(Debug, Clone)]
pub struct DownloadName(pub String);

/// `route` with [`guard`] on it.
pub fn file_route<S: Clone + Send + Sync + 'static>(route: MethodRouter<S>) -> MethodRouter<S> {
    route.layer(axum::middleware::from_fn(guard))
}

/// Middleware for routes that send stored files: see the module documentation. Only reads
/// (GET, HEAD) are touched, so a route that also takes uploads keeps its JSON answers.
pub async fn guard(req: Request, next: Next) -> Response {
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    let mut resp = next.run(req).await;
    if read && resp.status().is_success() {
        let name = resp.extensions().get::<DownloadName>().map(|n| n.0.clone());
        protect(resp.headers_mut(), name.as_deref());
    }
    resp
}

/// Sets the headers of a served file on `h`, from the Content-Type its handler set.
pub fn protect(h: &mut HeaderMap, name: Option<&str>) {
    let stored = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let served = media_type::served(stored);
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(served.content_type));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(SANDBOX));
    let disposition = if served.inline {
        HeaderValue::from_static("inline")
    } else {
        let file = format!("{}.{}", safe_name(name.unwrap_or("download")), served.ext);
        HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
            .unwrap_or(HeaderValue::from_static("attachment"))
    };
    h.insert(header::CONTENT_DISPOSITION, disposition);
}

/// Letters, digits, `-` and `_` only (at most 100), so the name cannot break out of the header
/// or name a path; never empty.
fn safe_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if name.trim_matches('_').is_empty() {
        "download".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(ct: &str, name: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(ct).unwrap_or_else(|e| panic!("{e}")),
        );
        protect(&mut h, name);
        h
    }

    fn get(h: &HeaderMap, name: header::HeaderName) -> &str {
        h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    #[test]
    fn a_smuggled_html_type_is_never_served() {
        let h = served("application/pdf;x=,text/html", Some("answer-q1-take-1"));
        assert_eq!(get(&h, header::CONTENT_TYPE), "application/pdf");
        assert_eq!(
            get(&h, header::CONTENT_DISPOSITION),
            "attachment; filename=\"answer-q1-take-1.pdf\""
        );
        assert_eq!(get(&h, header::CONTENT_SECURITY_POLICY), SANDBOX);
        assert_eq!(get(&h, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        let h = served("text/html", None);
        assert_eq!(get(&h, header::CONTENT_TYPE), "application/octet-stream");
        assert_eq!(
            get(&h, header::CONTENT_DISPOSITION),
            "attachment; filename=\"download.bin\""
        );
    }

    #[test]
    fn recordings_play_inline_and_names_are_cleaned() {
        let h = served("video/webm;codecs=vp8,text/html", None);
        assert_eq!(get(&h, header::CONTENT_TYPE), "video/webm");
        assert_eq!(get(&h, header::CONTENT_DISPOSITION), "inline");
        assert_eq!(safe_name("a\"b/../c\r\nd"), "a_b____c__d");
        assert_eq!(safe_name("///"), "download");
    }
}
