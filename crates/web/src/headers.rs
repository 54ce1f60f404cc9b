//! Security headers every answer carries unless its route set a stricter one: a CSP that allows
//! only this site's scripts and no framing, `X-Frame-Options` for browsers without
//! `frame-ancestors`, `nosniff`, and HSTS when the public URL is https.
//!
//! Routes keep their own values (`if_not_present`): the candidate pages send their own CSP and
//! `no-referrer`, file routes send `sandbox`. Page scripts live in `/static` so that
//! `script-src 'self'` holds without `'unsafe-inline'`; inline `style` attributes remain, as a
//! style cannot run code.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                       img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
                       object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Two years, as the HSTS preload list asks; without `includeSubDomains`, because a self-hoster's
/// other hosts under the same domain are not ours to decide for.
const HSTS: &str = "max-age=63072000";

/// Whether HSTS is sent (the public URL is https).
#[derive(Clone, Copy)]
pub struct Https(pub bool);

pub async fn apply(State(https): State<Https>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let defaults: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in defaults {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    if https.0 {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    resp
}
