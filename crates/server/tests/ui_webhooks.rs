//! Settings → Webhooks as an organisation admin uses it, over real HTTP with a real receiver on
//! 127.0.0.1 (the server runs with the private-range allowance an on-premises operator would
//! give): add an endpoint (secret shown once; a refused address is a field error), an invitation
//! event arrives and shows in the delivery log with its attempt, Redeliver sends the same
//! webhook-id again, disabling stops deliveries. A partner's endpoint in the organisation shows
//! read-only with the partner's name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod a11y_support;
mod api_common;
mod common;
mod ui_support;

use a11y_support::assert_accessible;
use api_common::{Api, candidate_email, sign_in};
use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, client, eventually};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_app::credentials::admin::NewPartner;
use shortlist_domain::Role;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ui_support::{NO_LIMITS, between, csrf_of};

const WAIT: Duration = Duration::from_secs(40);

/// What the receiver got: (webhook-id, event type), in order.
type Log = Arc<Mutex<Vec<(String, String)>>>;

async fn receiver() -> (String, Log) {
    let log: Log = Arc::default();
    let seen = log.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let kind = v["type"].as_str().unwrap_or_default().to_string();
                seen.lock().unwrap().push((id.to_string(), kind));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, log)
}

fn got(log: &Log) -> Vec<(String, String)> {
    log.lock().unwrap().clone()
}

async fn page(app: &TestApp, api: &Api, path: &str) -> String {
    let r = api.c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

async fn post(app: &TestApp, api: &Api, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = csrf_of(app, &api.c).await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(form);
    api.c.post(app.url(path)).form(&all).send().await.unwrap()
}

/// Invites a candidate to a fresh position; the invitation e-mail makes `invitation.sent`.
async fn invite(api: &Api) {
    let pos = api.ready_position("Webhook role").await;
    let (s, v) = api
        .invite(&pos, json!({ "email": candidate_email("hook"), "name": "Ada Hook" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn an_admin_adds_an_endpoint_sees_deliveries_redelivers_and_disables_it() {
    // Errors the server logs (a 500 page says only "logged") show with a failure.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .with_test_writer()
        .try_init();
    let mut args = NO_LIMITS.to_vec();
    args.extend(["--webhook-allow-private", "127.0.0.0/8"]);
    let app = TestApp::spawn_with(&args).await;
    let admin = sign_in(&app, Role::Admin).await;
    let (url, log) = receiver().await;

    let html = page(&app, &admin, "/settings").await;
    assert!(html.contains(r#"href="/settings/webhooks""#));
    let html = page(&app, &admin, "/settings/webhooks").await;
    assert!(html.contains("No endpoints yet."));
    assert_accessible(&html);

    // Refusals are field errors: no event chosen, and an address outside the allowed range.
    let r = post(&app, &admin, "/settings/webhooks", &[("url", "http://10.1.2.3/hook")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"id="events-error""#), "{html}");
    assert_accessible(&html);
    let r = post(
        &app,
        &admin,
        "/settings/webhooks",
        &[("url", "http://10.1.2.3/hook"), ("events", "invitation.sent")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"id="url-error""#) && html.contains(r#"aria-invalid="true""#),
        "{html}"
    );
    assert!(
        html.contains(r#"value="http://10.1.2.3/hook""#),
        "what was typed is kept"
    );

    let r = post(
        &app,
        &admin,
        "/settings/webhooks",
        &[
            ("url", url.as_str()),
            ("events", "invitation.sent"),
            ("events", "invitation.completed"),
            ("description", "Our HR bus"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    let secret = between(&html, r#"<code id="webhook-secret">"#, "<")
        .unwrap()
        .to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = between(&html, r#"<a href="/settings/webhooks/"#, "\"")
        .unwrap()
        .to_string();
    let html = page(&app, &admin, "/settings/webhooks").await;
    assert!(!html.contains(&secret), "the secret is shown once");
    let row = between(&html, &format!("/settings/webhooks/{id}\""), "</tr>").unwrap();
    for want in [
        url.as_str(),
        "Our HR bus",
        "invitation.sent, invitation.completed",
        "enabled",
        "none yet",
    ] {
        assert!(row.contains(want), "{want} in {row}");
    }

    // An event arrives and shows in the log with its attempt.
    invite(&admin).await;
    let first = eventually(WAIT, || async {
        got(&log).into_iter().find(|(_, k)| k == "invitation.sent")
    })
    .await
    .expect("invitation.sent delivered");
    let detail = format!("/settings/webhooks/{id}");
    let html = eventually(WAIT, || async {
        let html = page(&app, &admin, &detail).await;
        html.contains("succeeded").then_some(html)
    })
    .await
    .expect("the delivery shows as succeeded");
    assert_accessible(&html);
    let log_table = between(&html, r#"<table id="deliveries">"#, "</table>").unwrap();
    assert!(
        log_table.contains("invitation.sent") && log_table.contains(&first.0),
        "{log_table}"
    );
    assert!(
        log_table.contains("#1 ") && log_table.contains("HTTP 204"),
        "{log_table}"
    );
    let delivery = between(log_table, r#"<tr id="delivery-"#, "\"").unwrap().to_string();
    let html = page(&app, &admin, "/settings/webhooks").await;
    assert!(html.contains("succeeded, "), "last delivery in the list: {html}");

    // Redeliver: the same webhook-id again, and a second attempt in the log.
    let r = post(&app, &admin, &format!("{detail}/deliveries/{delivery}/redeliver"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    eventually(WAIT, || async {
        (got(&log).iter().filter(|(m, _)| *m == first.0).count() == 2).then_some(())
    })
    .await
    .expect("redelivered with the same webhook-id");
    eventually(WAIT, || async {
        page(&app, &admin, &detail).await.contains("#2 ").then_some(())
    })
    .await
    .expect("the second attempt is logged");

    // A test message goes through the same path.
    let r = post(&app, &admin, &format!("{detail}/test"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    eventually(WAIT, || async {
        got(&log).iter().any(|(_, k)| k == "webhook.test").then_some(())
    })
    .await
    .expect("the test message arrives");

    // Disabled: nothing more is sent.
    let r = post(&app, &admin, &format!("{detail}/disable"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&app, &admin, &detail).await;
    assert!(
        between(&html, r#"<dd id="endpoint-state">"#, "</dd>")
            .unwrap()
            .starts_with("disabled"),
        "{html}"
    );
    let before = got(&log).len();
    // The invitation e-mail of a second candidate is the event that would have gone out.
    invite(&admin).await;
    app.jobs_settled().await;
    assert_eq!(got(&log).len(), before, "a disabled endpoint gets nothing");

    // Rotation shows a new secret once; enabling again works.
    let r = post(&app, &admin, &format!("{detail}/rotate"), &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let fresh = between(&r.text().await.unwrap(), r#"<code id="webhook-secret">"#, "<")
        .unwrap()
        .to_string();
    assert!(fresh.starts_with("whsec_") && fresh != secret);
    assert_eq!(
        post(&app, &admin, &format!("{detail}/enable"), &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let html = page(&app, &admin, &detail).await;
    assert!(html.contains(r#"<dd id="endpoint-state">enabled</dd>"#), "{html}");

    // Deleted: gone from the list.
    assert_eq!(
        post(&app, &admin, &format!("{detail}/delete"), &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let html = page(&app, &admin, "/settings/webhooks").await;
    assert!(html.contains("No endpoints yet."), "{html}");
}

#[tokio::test]
async fn partner_endpoints_show_read_only_and_other_roles_cannot_manage() {
    let mut args = NO_LIMITS.to_vec();
    args.extend(["--webhook-allow-private", "127.0.0.0/8"]);
    let app = TestApp::spawn_with(&args).await;
    let admin = sign_in(&app, Role::Admin).await;
    let (url, _log) = receiver().await;
    let issued = app
        .app
        .credentials
        .create_partner(NewPartner {
            name: "Acme Connector",
            contact: "dev@acme.example",
            orgs: vec![admin.org.clone()],
            scopes: None,
            rate_per_sec: None,
            burst: None,
            ip_allow: None,
        })
        .await
        .unwrap();
    app.app
        .credentials
        .set_partner_status(&issued.partner.id, "live", "test")
        .await
        .unwrap();
    let auth = STANDARD.encode(format!("{}:{}", issued.partner.partner_key, issued.secret));
    let r = client()
        .post(app.url("/api/v1/webhooks"))
        .header("X-Shortlist-Partner-Authorization", auth)
        .header("X-Shortlist-User-Email", &admin.email)
        .json(&json!({ "url": url, "events": ["invitation.completed"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());

    let html = page(&app, &admin, "/settings/webhooks").await;
    assert!(
        html.contains("No endpoints yet."),
        "the organisation has none of its own"
    );
    let table = between(&html, r#"<table id="partner-endpoints">"#, "</table>").unwrap();
    assert!(table.contains("Acme Connector") && table.contains(&url), "{table}");
    assert!(
        !table.contains("<form") && !table.contains("href="),
        "read-only: {table}"
    );
    assert_accessible(&html);

    // A recruiter may not manage webhooks.
    let email = format!("rec-{}@test.shortlist.localhost", ui_support::random());
    app.app
        .accounts
        .create_user(&admin.org, &email, "Rec", Role::Recruiter, Some(ui_support::PASSWORD))
        .await
        .unwrap();
    let c = ui_support::sign_in(&app, &email).await;
    let r = c.get(app.url("/settings/webhooks")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
