//! Partner credentials in tests: registering a partner through the service, raw calls with
//! chosen headers, and the problem+json refusal check.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::unique;
use crate::common::TestApp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use shortlist_app::credentials::admin::NewPartner;
use shortlist_domain::OrgId;

/// A partner's credentials as a test client uses them.
pub struct Partner {
    pub id: String,
    pub key: String,
    pub secret: String,
}

impl Partner {
    pub fn header(&self) -> String {
        STANDARD.encode(format!("{}:{}", self.key, self.secret))
    }
}

pub async fn partner(app: &TestApp, orgs: &[&OrgId], rate: Option<(u32, u32)>, ip_allow: Option<&str>) -> Partner {
    let issued = app
        .app
        .credentials
        .create_partner(NewPartner {
            name: &format!("Partner {}", unique()),
            contact: "integrations@partner.example.com",
            orgs: orgs.iter().map(|o| (*o).clone()).collect(),
            scopes: None,
            rate_per_sec: rate.map(|r| r.0),
            burst: rate.map(|r| r.1),
            ip_allow,
        })
        .await
        .unwrap();
    Partner {
        id: issued.partner.id,
        key: issued.partner.partner_key,
        secret: issued.secret,
    }
}

/// One call with raw headers; the body is parsed as JSON when there is one.
pub async fn call(
    c: &reqwest::Client,
    method: Method,
    url: String,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = c.request(method, url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    let text = r.text().await.unwrap();
    (s, h, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn as_partner<'a>(header: &'a str, email: &'a str) -> [(&'a str, &'a str); 2] {
    [
        ("X-Shortlist-Partner-Authorization", header),
        ("X-Shortlist-User-Email", email),
    ]
}

/// Asserts a problem+json refusal with this status and code.
pub fn refused(got: &(StatusCode, reqwest::header::HeaderMap, Value), status: StatusCode, code: &str) {
    assert_eq!((got.0, got.2["code"].as_str()), (status, Some(code)), "{}", got.2);
    assert_eq!(
        got.1.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}
