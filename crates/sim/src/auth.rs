//! HTTP Basic, as both simulators use it: iCIMS callers present a user and password, Greenhouse
//! sends the organisation's key as the user name with an empty password.

use axum::http::{HeaderMap, header};
use base64::Engine;

/// The `Authorization` header value for Basic credentials.
pub fn basic_header(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// `(user, password)` from an `Authorization: Basic …` header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}
