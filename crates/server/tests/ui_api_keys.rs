//! Settings → API keys over real HTTP: an administrator creates an organisation key on the
//! page (shown once), it works on /api/v1 and shows its last use, and revoking it ends it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod partner_support;

use api_common::sign_in;
use common::{TestApp, client};
use partner_support::{call, refused};
use reqwest::{Method, StatusCode};
use shortlist_domain::Role;

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} not in page")) + start.len();
    let len = html[from..].find(end).unwrap();
    &html[from..from + len]
}

#[tokio::test]
async fn an_admin_creates_and_revokes_an_organisation_key_on_the_settings_page() {
    let app = TestApp::spawn().await;
    let admin = sign_in(&app, Role::Admin).await;
    let page = admin.c.get(app.url("/settings/api-keys")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let csrf = between(&html, r#"name="csrf" value=""#, "\"").to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Greenhouse sync"),
        ("scopes", "positions:read"),
        ("kind", "organisation"),
        ("expires_on", ""),
    ];
    let made = admin
        .c
        .post(app.url("/settings/api-keys"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let html = made.text().await.unwrap();
    let token = between(&html, r#"<code id="new-token">"#, "</code>").to_string();
    assert!(token.starts_with("slk_"), "{token}");

    let auth = format!("Bearer {token}");
    let got = call(
        &client(),
        Method::GET,
        format!("{}/positions", admin.base),
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    // Listed with its last use, and the token is not on the page any more.
    let html = admin
        .c
        .get(app.url("/settings/api-keys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Greenhouse sync") && !html.contains(&token));
    assert!(html.contains(" UTC</td>"), "last use shown: {html}");
    let key_id = between(&html, r#"action="/settings/api-keys/"#, "/revoke").to_string();

    let gone = admin
        .c
        .post(app.url(&format!("/settings/api-keys/{key_id}/revoke")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::SEE_OTHER);
    let got = call(
        &client(),
        Method::GET,
        format!("{}/positions", admin.base),
        &[("Authorization", &auth)],
        None,
    )
    .await;
    refused(&got, StatusCode::UNAUTHORIZED, "credential_revoked");
    app.stop().await;
}
