//! Requests as a simulator received them, so a test can assert what our connector sent.

use axum::http::Version;
use axum::http::request::Parts;

#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// "HTTP/1.1", or "HTTP/2.0" for a refused prior-knowledge attempt.
    pub http_version: String,
    /// Names lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn from_parts(parts: &Parts, body: &[u8]) -> Self {
        RecordedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            http_version: version_name(parts.version).to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// The stand-in for an HTTP/2 prior-knowledge connection, which never becomes a request.
    pub(crate) fn h2_preface() -> Self {
        RecordedRequest {
            method: "PRI".to_owned(),
            path: "*".to_owned(),
            query: None,
            http_version: "HTTP/2.0".to_owned(),
            headers: Vec::new(),
            body: String::new(),
        }
    }
}

pub(crate) fn version_name(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/?",
    }
}
