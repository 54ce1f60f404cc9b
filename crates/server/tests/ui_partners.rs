//! Admin → Partners as an operator uses it, over real HTTP: register a partner (key and secret
//! shown once), review it sandbox → in review → live with notes that show in its history, and
//! the credentials then work on /api/v1 in a live organisation; suspend and reinstate, policy
//! with field errors, secret rotation with a window. Administrators who are not operators get
//! 404 and see no link.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod a11y_support;
mod common;
mod ui_support;

use a11y_support::assert_accessible;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, client};
use reqwest::StatusCode;
use serde_json::Value;
use shortlist_domain::Role;
use ui_support::*;

fn code_by_id(html: &str, id: &str) -> String {
    between(html, &format!("<code id=\"{id}\">"), "<")
        .unwrap_or_else(|| panic!("no {id} in {html}"))
        .to_string()
}

/// `GET /api/v1/positions` as the partner acting as `email`: status and problem code.
async fn call_api(app: &TestApp, key: &str, secret: &str, email: &str) -> (StatusCode, Option<String>) {
    let r = client()
        .get(app.url("/api/v1/positions"))
        .header(
            "X-Shortlist-Partner-Authorization",
            STANDARD.encode(format!("{key}:{secret}")),
        )
        .header("X-Shortlist-User-Email", email)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().map(String::from))
}

/// The operator: an administrator of the operators' own organisation, named on the command line.
async fn operator(app: &TestApp, email: &str) -> Browser {
    let org = app.app.accounts.create_org("Operations", None, false).await.unwrap();
    let org = org.org_id().unwrap();
    app.app
        .accounts
        .create_user(&org, email, "Operator", Role::Admin, Some(PASSWORD))
        .await
        .unwrap();
    let c = sign_in(app, email).await;
    let csrf = csrf_of(app, &c).await;
    Browser {
        c,
        csrf,
        org,
        email: email.into(),
    }
}

async fn review(app: &TestApp, op: &Browser, id: &str, to: &str, note: &str) -> reqwest::Response {
    op.post(
        app,
        &format!("/admin/partners/{id}/status"),
        &[("to", to), ("note", note)],
    )
    .await
}

#[tokio::test]
async fn an_operator_registers_reviews_and_promotes_a_partner_whose_credentials_then_work() {
    let ops_email = format!("ops-{}@test.shortlist.localhost", random());
    // Listed in another case than the account: e-mails compare case-insensitively.
    let listed = format!("someone@else.example, {}", ops_email.to_uppercase());
    let mut args = NO_LIMITS.to_vec();
    args.extend(["--operator-emails", listed.as_str()]);
    let app = TestApp::spawn_with(&args).await;
    let op = operator(&app, &ops_email).await;
    let customer = browser(&app, Role::Admin).await;

    let (status, html) = op.get(&app, "/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"href="/admin/partners""#), "{html}");
    let (status, html) = op.get(&app, "/admin/partners").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No partners yet."));
    assert_accessible(&html);

    // Mistakes come back as field errors, with what was typed kept.
    let r = op
        .post(
            &app,
            "/admin/partners",
            &[
                ("name", "Acme ATS"),
                ("contact", "dev@acme.example"),
                ("scopes", "positions:read bogus"),
                ("rate", "many"),
                ("ip_allow", "10.0.0.0/8"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"id="rate-error""#), "{html}");
    assert!(html.contains(r#"id="orgs-error""#), "{html}");
    assert!(html.contains(r#"value="Acme ATS""#), "{html}");
    assert_accessible(&html);

    let org = customer.org.to_string();
    let r = op
        .post(
            &app,
            "/admin/partners",
            &[
                ("name", "Acme ATS"),
                ("contact", "dev@acme.example"),
                ("orgs", org.as_str()),
                ("scopes", "*"),
                ("rate", "50"),
                ("burst", "100"),
                ("ip_allow", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    let key = code_by_id(&html, "partner-key");
    let secret = code_by_id(&html, "partner-secret");
    assert!(key.starts_with("pk_") && secret.starts_with("psk_"), "{key} {secret}");
    let id = between(&html, "href=\"/admin/partners/", "\"").unwrap().to_string();

    // Shown once: the list has the partner and its policy, never the secret again.
    let (_, html) = op.get(&app, "/admin/partners").await;
    assert!(!html.contains(&secret));
    let row = between(&html, &format!("href=\"/admin/partners/{id}\""), "</tr>").unwrap();
    for want in ["Acme ATS", "dev@acme.example", "sandbox", "50/s, 100", "any address"] {
        assert!(row.contains(want), "{want} in {row}");
    }

    // A sandbox partner may not act in a live organisation.
    let (status, code) = call_api(&app, &key, &secret, &customer.email).await;
    assert_eq!(
        (status, code.as_deref()),
        (StatusCode::FORBIDDEN, Some("partner_not_live"))
    );

    let page = format!("/admin/partners/{id}");
    let (status, html) = op.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert_accessible(&html);
    assert!(html.contains(r#"value="in_review""#) && !html.contains(r#"value="live""#));

    // Every step needs a note.
    let r = review(&app, &op, &id, "in_review", "  ").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"id="note-error""#) && html.contains(r#"aria-invalid="true""#),
        "{html}"
    );
    // A step the current status does not offer is refused.
    let r = review(&app, &op, &id, "live", "skipping the review").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    let r = review(&app, &op, &id, "in_review", "Sandbox calls look right; docs read").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = review(&app, &op, &id, "live", "Reviewed <b>with</b> Acme on the call").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{page}?notice=status"));

    let (_, html) = op.get(&app, &page).await;
    assert!(html.contains(r#"id="partner-status">live<"#), "{html}");
    let audit = between(&html, r#"<table id="audit">"#, "</table>").unwrap();
    assert!(
        audit.contains("sandbox → in_review") && audit.contains("in_review → live"),
        "{audit}"
    );
    assert!(audit.contains("Sandbox calls look right; docs read"), "{audit}");
    assert!(
        audit.contains("Acme on the call") && !audit.contains("<b>"),
        "the note is escaped: {audit}"
    );
    assert!(audit.contains(&ops_email), "the operator is named: {audit}");
    assert!(audit.find("in_review → live").unwrap() < audit.find("sandbox → in_review").unwrap());

    let (status, _) = call_api(&app, &key, &secret, &customer.email).await;
    assert_eq!(status, StatusCode::OK);

    // Suspended: refused at once; reinstated: back to live.
    assert_eq!(
        review(&app, &op, &id, "suspended", "Leaked key reported")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (status, code) = call_api(&app, &key, &secret, &customer.email).await;
    assert_eq!(
        (status, code.as_deref()),
        (StatusCode::FORBIDDEN, Some("partner_suspended"))
    );
    assert_eq!(
        review(&app, &op, &id, "reinstate", "Key rotated by Acme")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = op.get(&app, &page).await;
    assert!(html.contains(r#"id="partner-status">live<"#), "{html}");
    assert_eq!(call_api(&app, &key, &secret, &customer.email).await.0, StatusCode::OK);

    // Rotation: the new secret shown once; the old one keeps working for the window.
    let r = op
        .post(&app, &format!("{page}/rotate"), &[("window_hours", "forever")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = op.post(&app, &format!("{page}/rotate"), &[("window_hours", "2")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let fresh = code_by_id(&r.text().await.unwrap(), "partner-secret");
    assert_ne!(fresh, secret);
    assert_eq!(call_api(&app, &key, &fresh, &customer.email).await.0, StatusCode::OK);
    assert_eq!(call_api(&app, &key, &secret, &customer.email).await.0, StatusCode::OK);
    let (_, html) = op.get(&app, &page).await;
    assert!(!html.contains(&fresh));
    assert!(
        between(&html, r#"<table id="audit">"#, "</table>")
            .unwrap()
            .contains("rotated")
    );

    // Policy: errors per field; a valid change is audited and enforced (an allow-list that
    // excludes 127.0.0.1 refuses the test's calls).
    let policy = format!("{page}/policy");
    let r = op
        .post(
            &app,
            &policy,
            &[
                ("scopes", "*"),
                ("rate", "0"),
                ("burst", "x"),
                ("ip_allow", "10.0.0.0/33"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for field in ["rate", "burst", "ip_allow", "orgs"] {
        assert!(html.contains(&format!(r#"id="{field}-error""#)), "{field}: {html}");
    }
    assert_accessible(&html);
    let r = op
        .post(
            &app,
            &policy,
            &[
                ("orgs", org.as_str()),
                ("scopes", "positions:read"),
                ("rate", "5"),
                ("burst", "5"),
                ("ip_allow", "203.0.113.0/24"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, code) = call_api(&app, &key, &fresh, &customer.email).await;
    assert_eq!(
        (status, code.as_deref()),
        (StatusCode::FORBIDDEN, Some("ip_not_allowed"))
    );
    let (_, html) = op.get(&app, &page).await;
    assert!(
        html.contains("203.0.113.0/24") && html.contains("positions:read"),
        "{html}"
    );
    let audit = between(&html, r#"<table id="audit">"#, "</table>").unwrap();
    assert!(audit.contains("policy") && audit.contains(&org), "{audit}");
}

#[tokio::test]
async fn administrators_who_are_not_operators_get_404_and_no_link() {
    let ops_email = format!("ops-{}@test.shortlist.localhost", random());
    let mut args = NO_LIMITS.to_vec();
    args.extend(["--operator-emails", ops_email.as_str()]);
    let app = TestApp::spawn_with(&args).await;
    let op = operator(&app, &ops_email).await;
    let admin = browser(&app, Role::Admin).await;
    let org = admin.org.to_string();
    let r = op
        .post(
            &app,
            "/admin/partners",
            &[
                ("name", "P"),
                ("contact", "p@example.com"),
                ("orgs", org.as_str()),
                ("scopes", "*"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = between(&r.text().await.unwrap(), "href=\"/admin/partners/", "\"")
        .unwrap()
        .to_string();

    let (_, html) = admin.get(&app, "/settings").await;
    assert!(!html.contains("/admin/partners"), "{html}");
    for path in ["/admin/partners".to_string(), format!("/admin/partners/{id}")] {
        assert_eq!(admin.get(&app, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let r = admin
        .post(
            &app,
            &format!("/admin/partners/{id}/status"),
            &[("to", "in_review"), ("note", "me")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = admin
        .post(
            &app,
            "/admin/partners",
            &[
                ("name", "Mine"),
                ("contact", "x"),
                ("orgs", org.as_str()),
                ("scopes", "*"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nothing changed behind the 404.
    let (_, html) = op.get(&app, &format!("/admin/partners/{id}")).await;
    assert!(html.contains(r#"id="partner-status">sandbox<"#), "{html}");
    assert_eq!(app.app.credentials.partners().await.unwrap().len(), 1);
}
