//! Behind a reverse proxy: a partner's IP allow-list judges the client named by the trusted
//! proxy's `X-Forwarded-For`, and a caller who is not a trusted proxy cannot claim an address
//! by sending the header itself. And the operator's limit for organisation keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod partner_support;

use api_common::sign_in;
use common::{TestApp, client};
use partner_support::{as_partner, call, partner, refused};
use reqwest::{Method, StatusCode};
use shortlist_domain::Role;

async fn live_partner_allowing(app: &TestApp, org: &shortlist_domain::OrgId, range: &str) -> String {
    let p = partner(app, &[org], None, Some(range)).await;
    app.app
        .credentials
        .set_partner_status(&p.id, "live", "test")
        .await
        .unwrap();
    p.header()
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_that_the_allow_list_judges() {
    // The test client reaches the server from 127.0.0.1, playing the proxy.
    let app = TestApp::spawn_with(&["--trusted-proxies", "127.0.0.1/32"]).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let h = live_partner_allowing(&app, &api.org, "203.0.113.0/24").await;
    let url = format!("{}/positions", api.base);
    let headers = |xff: &'static str| {
        let mut v = as_partner(&h, &api.email).to_vec();
        v.push(("X-Forwarded-For", xff));
        v
    };
    let got = call(&client(), Method::GET, url.clone(), &headers("203.0.113.9"), None).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    // The client forged an allowed first hop; the proxy appended the real address.
    let got = call(
        &client(),
        Method::GET,
        url.clone(),
        &headers("203.0.113.9, 198.51.100.4"),
        None,
    )
    .await;
    refused(&got, StatusCode::FORBIDDEN, "ip_not_allowed");
    assert!(got.2["detail"].as_str().unwrap().contains("198.51.100.4"), "{}", got.2);
    // Without the header the proxy itself is the caller, which the list does not allow.
    let got = call(&client(), Method::GET, url, &as_partner(&h, &api.email), None).await;
    refused(&got, StatusCode::FORBIDDEN, "ip_not_allowed");
    app.stop().await;
}

#[tokio::test]
async fn without_trusted_proxies_the_header_is_ignored() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let h = live_partner_allowing(&app, &api.org, "203.0.113.0/24").await;
    let mut headers = as_partner(&h, &api.email).to_vec();
    headers.push(("X-Forwarded-For", "203.0.113.9"));
    let got = call(
        &client(),
        Method::GET,
        format!("{}/positions", api.base),
        &headers,
        None,
    )
    .await;
    refused(&got, StatusCode::FORBIDDEN, "ip_not_allowed");
    app.stop().await;
}

/// The operator sets the limit of organisation keys; each answer says which limit applies.
#[tokio::test]
async fn the_operator_sets_the_rate_of_organisation_keys() {
    let app = TestApp::spawn_with(&["--api-key-rate", "50", "--api-key-burst", "120"]).await;
    let admin = sign_in(&app, Role::Admin).await;
    let operator = shortlist_app::credentials::Credentials::operator(&admin.org);
    let key = app
        .app
        .credentials
        .create_api_key(&operator, false, "fuzzer", "*", None)
        .await
        .unwrap();
    let auth = format!("Bearer {}", key.token);
    let got = call(
        &client(),
        Method::GET,
        format!("{}/positions", admin.base),
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    assert_eq!(got.1["ratelimit-limit"], "120");
    app.stop().await;
}
