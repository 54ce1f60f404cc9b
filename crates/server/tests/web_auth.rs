//! Sign-in pages and the API as a browser or API client sees them, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestApp, client};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE};
use shortlist_domain::Role;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";
/// Limits high enough that only the rate-limit test ever meets them.
const NO_LIMITS: [&str; 4] = ["--login-limit-per-ip", "1000", "--login-limit-per-account", "1000"];

async fn login(app: &TestApp, c: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
    c.post(app.url("/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> &str {
    r.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The `shortlist_session` Set-Cookie header of a response.
fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("shortlist_session="))
        .unwrap_or_else(|| panic!("no shortlist_session cookie in {:?}", r.headers()))
        .to_string()
}

fn cookie_attrs(set_cookie: &str) -> Vec<String> {
    set_cookie.split(';').map(|a| a.trim().to_ascii_lowercase()).collect()
}

/// Text between `start` and the next `end`, after the first occurrence of `start`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

/// The CSRF token of the hidden input on a signed-in page.
async fn csrf(app: &TestApp, c: &reqwest::Client) -> String {
    let r = c.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    between(&html, r#"name="csrf" value=""#, "\"")
        .unwrap_or_else(|| panic!("no csrf input on /account: {html}"))
        .to_string()
}

async fn signed_in(app: &TestApp, email: &str, password: &str) -> reqwest::Client {
    let c = client();
    let r = login(app, &c, email, password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    c
}

async fn org_name(app: &TestApp, org: &shortlist_domain::OrgId) -> String {
    shortlist_store::orgs::get(&app.app.db, org)
        .await
        .unwrap()
        .unwrap()
        .name
}

#[tokio::test]
async fn home_needs_a_session_and_login_page_has_the_form() {
    let app = TestApp::spawn().await;
    let c = client();
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");

    let r = c.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<form method="post" action="/login">"#), "{html}");
    assert!(
        html.contains(r#"name="email""#) && html.contains(r#"type="email""#),
        "{html}"
    );
    assert!(
        html.contains(r#"name="password""#) && html.contains(r#"type="password""#),
        "{html}"
    );
    app.stop().await;
}

#[tokio::test]
async fn right_password_signs_in_and_wrong_ones_get_one_generic_answer() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let (org, email) = app.user(Role::Recruiter, PASSWORD).await;
    let c = client();
    let r = login(&app, &c, &email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    let attrs = cookie_attrs(&session_cookie(&r));
    for want in ["httponly", "samesite=lax", "path=/"] {
        assert!(attrs.iter().any(|a| a == want), "cookie lacks {want}: {attrs:?}");
    }
    assert!(
        !attrs.iter().any(|a| a == "secure"),
        "http public URL, yet Secure: {attrs:?}"
    );

    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Test User"), "{html}");
    assert!(html.contains(&org_name(&app, &org).await), "{html}");

    let alert = |html: String| between(&html, r#"role="alert">"#, "<").map(str::to_string);
    let wrong = login(&app, &client(), &email, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());
    let wrong = alert(wrong.text().await.unwrap()).expect("an alert for a wrong password");
    let unknown = login(&app, &client(), "nobody@test.shortlist.localhost", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = alert(unknown.text().await.unwrap()).expect("an alert for an unknown e-mail");
    assert_eq!(wrong, unknown, "the answers must not tell which accounts exist");
    app.stop().await;
}

#[tokio::test]
async fn https_public_url_makes_the_cookie_secure() {
    let app = TestApp::spawn_with(&["--public-url", "https://shortlist.example"]).await;
    let (_, email) = app.user(Role::Admin, PASSWORD).await;
    let r = login(&app, &client(), &email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let attrs = cookie_attrs(&session_cookie(&r));
    assert!(attrs.iter().any(|a| a == "secure"), "{attrs:?}");
    assert!(attrs.iter().any(|a| a == "httponly"), "{attrs:?}");

    // A form from the public origin itself is accepted.
    let r = client()
        .post(app.url("/login"))
        .header("origin", "https://shortlist.example")
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn api_answers_problems_and_the_signed_in_user() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let (org, email) = app.user(Role::Reviewer, PASSWORD).await;
    let r = client().get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"code":"unauthorized""#), "{body}");
    assert!(body.contains(r#"status":401"#), "{body}");

    let c = signed_in(&app, &email, PASSWORD).await;
    let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["email"], email.as_str());
    assert_eq!(me["role"], "reviewer");
    assert_eq!(me["org"]["id"], org.as_str());

    let r = c.get(app.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["status"], 404);
    assert_eq!(p["code"], "not_found");
    app.stop().await;
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_other_sites_are_refused() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let (_, email) = app.user(Role::Admin, PASSWORD).await;
    let c = signed_in(&app, &email, PASSWORD).await;
    let change = |csrf: Option<&str>| {
        let mut form = vec![
            ("current_password", PASSWORD),
            ("new_password", "a brand new secret"),
            ("confirm_password", "a brand new secret"),
        ];
        if let Some(t) = csrf {
            form.push(("csrf", t));
        }
        c.post(app.url("/account/password")).form(&form).send()
    };
    assert_eq!(
        change(Some("csrf_wrong")).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(change(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    let r = login(&app, &client(), &email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the password must be unchanged");

    for (name, value) in [("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")] {
        let r = client()
            .post(app.url("/login"))
            .header(name, value)
            .form(&[("email", email.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(r.headers().get(SET_COOKIE).is_none());
    }
    app.stop().await;
}

#[tokio::test]
async fn password_change_checks_input_signs_out_other_sessions_and_sends_mail() {
    std::env::var("TEST_MAILDIR")
        .expect("TEST_MAILDIR is unset: run through scripts/test-services, which starts the SMTP sink");
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let (_, email) = app.user(Role::Recruiter, PASSWORD).await;
    let other = signed_in(&app, &email, PASSWORD).await;
    let c = signed_in(&app, &email, PASSWORD).await;
    let token = csrf(&app, &c).await;
    let post = |current: &'static str, new: &'static str| {
        let form = [
            ("csrf", token.as_str()),
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", new),
        ];
        c.post(app.url("/account/password")).form(&form).send()
    };

    let r = post("not the password", "a brand new secret").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"id="current_password-error""#), "{html}");
    assert!(html.contains("the current password is not correct"), "{html}");

    let r = post(PASSWORD, "short").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"id="new_password-error""#), "{html}");

    let new = "a brand new secret";
    let r = post(PASSWORD, new).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Your password was changed"));

    assert_eq!(
        login(&app, &client(), &email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, &client(), &email, new).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the session that made the change stays");
    let r = other.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the other session must be signed out"
    );
    assert_eq!(location(&r), "/login");

    let mails = common::mails_to(&email, 1, Duration::from_secs(20)).await;
    assert!(
        mails.iter().any(|m| m.contains("Your Shortlist password was changed")),
        "no password-changed mail for {email} reached the SMTP sink: {mails:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_for_good() {
    let app = TestApp::spawn_with(&NO_LIMITS).await;
    let (_, email) = app.user(Role::Admin, PASSWORD).await;
    let c = client();
    let r = login(&app, &c, &email, PASSWORD).await;
    let cookie = session_cookie(&r);
    let value = cookie.split(';').next().unwrap().to_string();
    let token = csrf(&app, &c).await;

    let r = c
        .post(app.url("/logout"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = fresh.get(app.url("/")).header("cookie", &value).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "replayed cookie {value} still works");
    assert_eq!(location(&r), "/login");
    let r = fresh
        .get(app.url("/api/v1/me"))
        .header("cookie", &value)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account() {
    let app = TestApp::spawn_with(&["--login-limit-per-account", "3", "--login-limit-per-ip", "1000"]).await;
    let (_, email) = app.user(Role::Admin, PASSWORD).await;
    let (_, other) = app.user(Role::Admin, PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, &client(), &email, "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = login(&app, &client(), &email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(r.headers().get(SET_COOKIE).is_none());
    // Another spelling of the same address counts against the same account.
    let r = login(&app, &client(), &email.to_uppercase(), PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    assert_eq!(
        login(&app, &client(), &other, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let c = client();
    let r = c.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));

    let r = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["migrations"], "current");
    assert_eq!(body["database"], "ok");

    let r = c.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(text.contains("shortlist_http_requests_total{"), "{text}");
    assert!(text.contains(r#"route="/healthz""#), "{text}");
    assert!(text.contains(r#"shortlist_jobs{state="queued"}"#), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn unknown_pages_get_a_plain_not_found_page() {
    let app = TestApp::spawn().await;
    let r = client().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Not found"), "{html}");
    assert!(!html.contains("panicked") && !html.contains("src/"), "{html}");
    app.stop().await;
}
