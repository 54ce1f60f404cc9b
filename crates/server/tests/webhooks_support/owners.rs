//! Who sees which endpoint (other organisations, partners, organisation keys, non-admins), a
//! suspended partner's endpoints, and the five-day rule with its e-mail.

use crate::api_common::{Api, sign_in, unique};
use crate::common::{TestApp, client, mails_to};
use crate::webhooks_support::{ALLOW_LOCAL, Receiver, WAIT, invite, position, settled, subscribe};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shortlist_app::credentials::Credentials;
use shortlist_app::credentials::admin::NewPartner;
use shortlist_domain::Role;
use std::sync::Arc;

/// A raw call with extra headers; the body parsed as JSON when there is one.
async fn call(
    base: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status();
    (s, serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null))
}

/// A live partner serving `org`, with this contact address: its id and its
/// `X-Shortlist-Partner-Authorization` value.
async fn live_partner(app: &TestApp, org: &shortlist_domain::OrgId, contact: &str) -> (String, String) {
    let creds = &app.app.credentials;
    let issued = creds
        .create_partner(NewPartner {
            name: &format!("Partner {}", unique()),
            contact,
            orgs: vec![org.clone()],
            scopes: None,
            rate_per_sec: None,
            burst: None,
            ip_allow: None,
        })
        .await
        .unwrap();
    creds
        .set_partner_status(&issued.partner.id, "live", "test")
        .await
        .unwrap();
    let auth = STANDARD.encode(format!("{}:{}", issued.partner.partner_key, issued.secret));
    (issued.partner.id, auth)
}

/// Every webhook route for endpoint `hook`: each must be 404 for a stranger.
fn routes(hook: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/webhooks/{hook}"), None),
        (
            Method::PATCH,
            format!("/webhooks/{hook}"),
            Some(json!({ "description": "mine now" })),
        ),
        (Method::POST, format!("/webhooks/{hook}/rotate-secret"), Some(json!({}))),
        (Method::POST, format!("/webhooks/{hook}/test"), Some(json!({}))),
        (Method::GET, format!("/webhooks/{hook}/deliveries"), None),
        (
            Method::POST,
            format!("/webhooks/{hook}/deliveries/whd_0190a0a0a0a0a0a0a0a0a0a0a0a0a0a0/redeliver"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/webhooks/{hook}"), None),
    ]
}

async fn assert_invisible(base: &str, headers: &[(&str, &str)], hook: &str, who: &str) {
    for (m, path, body) in routes(hook) {
        let (s, v) = call(base, m.clone(), &path, headers, body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{who}: {m} {path}: {v}"
        );
    }
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn endpoints_are_seen_only_by_their_organisation_or_partner() {
    let app = TestApp::spawn_with(&ALLOW_LOCAL).await;
    let a = sign_in(&app, Role::Admin).await;
    let b = sign_in(&app, Role::Admin).await;
    let org_receiver = Receiver::start().await;
    let partner_receiver = Receiver::start().await;
    let (org_hook, _) = subscribe(&a, &org_receiver, &["invitation.sent"]).await;

    // Another organisation's admin finds nothing, and changes nothing.
    for (m, path, body) in routes(&org_hook) {
        let (s, v) = b.call(m.clone(), &path, body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{m} {path}: {v}"
        );
    }
    let (_, listed) = b.get("/webhooks").await;
    assert_eq!(listed["items"], json!([]));
    let (s, v) = a.get(&format!("/webhooks/{org_hook}")).await;
    assert_eq!((s, v["description"].as_str()), (StatusCode::OK, Some("test receiver")));

    // A live partner serving organisation A subscribes its own endpoint, acting as A's admin.
    let (pid, auth) = live_partner(&app, &a.org, "integrations@partner.example.com").await;
    let partner = [
        ("X-Shortlist-Partner-Authorization", auth.as_str()),
        ("X-Shortlist-User-Email", a.email.as_str()),
    ];
    let body = json!({ "url": partner_receiver.url, "events": ["invitation.sent"] });
    let (s, created) = call(&a.base, Method::POST, "/webhooks", &partner, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(
        (created["owner"].as_str(), created["partner_id"].as_str()),
        (Some("partner"), Some(pid.as_str()))
    );
    let partner_hook = created["id"].as_str().unwrap().to_string();
    partner_receiver.secrets(&[created["secret"].as_str().unwrap()]);

    // The partner sees only its endpoint; the organisation (admin or key) only its own.
    let (_, listed) = call(&a.base, Method::GET, "/webhooks", &partner, None).await;
    assert_eq!(ids(&listed), vec![partner_hook.clone()]);
    assert_invisible(&a.base, &partner, &org_hook, "partner").await;
    let key = app
        .app
        .credentials
        .create_api_key(&Credentials::operator(&a.org), false, "hooks", "webhooks:write", None)
        .await
        .unwrap();
    let bearer = format!("Bearer {}", key.token);
    let org_key = [("Authorization", bearer.as_str())];
    let (_, listed) = call(&a.base, Method::GET, "/webhooks", &org_key, None).await;
    assert_eq!(ids(&listed), vec![org_hook.clone()]);
    let (_, listed) = a.get("/webhooks").await;
    assert_eq!(ids(&listed), vec![org_hook.clone()]);
    // Visible to its owner; the stranger's routes above include DELETE, so check it last.
    assert_invisible(&a.base, &org_key, &partner_hook, "organisation key").await;
    let (s, _) = call(
        &a.base,
        Method::GET,
        &format!("/webhooks/{partner_hook}"),
        &partner,
        None,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the partner's endpoint survived the stranger's DELETE"
    );

    // A key without the scope, and a recruiter, are refused.
    let other = app
        .app
        .credentials
        .create_api_key(
            &Credentials::operator(&a.org),
            false,
            "positions",
            "positions:read",
            None,
        )
        .await
        .unwrap();
    let bearer = format!("Bearer {}", other.token);
    let (s, v) = call(
        &a.base,
        Method::GET,
        "/webhooks",
        &[("Authorization", bearer.as_str())],
        None,
    )
    .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("insufficient_scope")),
        "{v}"
    );
    let recruiter: Api = sign_in(&app, Role::Recruiter).await;
    let (s, v) = recruiter.get("/webhooks").await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{v}"
    );

    // Both receive while the partner is live; a suspended partner's endpoint gets nothing.
    let pos = position(&a).await;
    invite(&a, &pos, json!({})).await;
    org_receiver.wait_for(&["invitation.sent"]).await;
    partner_receiver.wait_for(&["invitation.sent"]).await;
    app.app
        .credentials
        .set_partner_status(&pid, "suspended", "test")
        .await
        .unwrap();
    invite(&a, &pos, json!({})).await;
    let twice = crate::common::eventually(WAIT, || async {
        let n = org_receiver
            .got()
            .iter()
            .filter(|g| g.kind() == "invitation.sent")
            .count();
        (n == 2).then_some(())
    })
    .await;
    assert!(twice.is_some(), "the organisation's endpoint got the second event");
    settled(&app).await;
    assert_eq!(partner_receiver.got().len(), 1, "nothing for a suspended partner");
    assert!(partner_receiver.got()[0].verified == vec![true]);
    app.stop().await;
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled_and_its_creator_told() {
    let clock = Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&ALLOW_LOCAL, clock.clone()).await;
    let admin = sign_in(&app, Role::Admin).await;
    let r = Receiver::start().await;
    r.default_answer(503);
    let (hook, _) = subscribe(&admin, &r, &["invitation.sent"]).await;
    let pos = position(&admin).await;
    invite(&admin, &pos, json!({})).await;
    let first = crate::common::eventually(WAIT, || async { (!r.got().is_empty()).then_some(()) }).await;
    assert!(first.is_some(), "the first attempt failed");
    settled(&app).await;

    // The next retry runs after five days without a success: the endpoint is switched off.
    clock.advance(TimeDelta::days(5) + TimeDelta::hours(1));
    settled(&app).await;
    let (_, v) = admin.get(&format!("/webhooks/{hook}")).await;
    assert_eq!(v["enabled"], false, "{v}");
    assert!(
        v["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("no successful delivery"),
        "{v}"
    );
    let (_, log) = admin.get(&format!("/webhooks/{hook}/deliveries")).await;
    assert_eq!(log["items"][0]["state"], "cancelled", "pending deliveries stop: {log}");
    let sent = r.got().len();
    if std::env::var("TEST_SMTP_URL").is_ok() {
        let mails = mails_to(&admin.email, 1, WAIT).await;
        let mail = crate::api_common::decode_qp(&mails[0]);
        assert!(mail.contains("Webhook endpoint disabled"), "{mail}");
        assert!(mail.contains(&hook), "{mail}");
    }

    // Re-enabled by hand, it starts with a clean record.
    let (s, v) = admin
        .call(
            Method::PATCH,
            &format!("/webhooks/{hook}"),
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!((s, &v["enabled"]), (StatusCode::OK, &json!(true)), "{v}");
    clock.advance(TimeDelta::days(1));
    settled(&app).await;
    assert_eq!(r.got().len(), sent, "the cancelled delivery stays cancelled");
    app.stop().await;
}

/// A partner's endpoint that fails for five days: the partner's contact hears of it too, since
/// the partner runs the receiver.
#[tokio::test]
async fn a_partners_failing_endpoint_is_reported_to_the_partners_contact() {
    let clock = Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&ALLOW_LOCAL, clock.clone()).await;
    let admin = sign_in(&app, Role::Admin).await;
    let contact = format!("ops-{}@partner.example.com", unique());
    let (_, auth) = live_partner(&app, &admin.org, &contact).await;
    let partner = [
        ("X-Shortlist-Partner-Authorization", auth.as_str()),
        ("X-Shortlist-User-Email", admin.email.as_str()),
    ];
    let r = Receiver::start().await;
    r.default_answer(500);
    let body = json!({ "url": r.url, "events": ["invitation.sent"] });
    let (s, created) = call(&admin.base, Method::POST, "/webhooks", &partner, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let hook = created["id"].as_str().unwrap().to_string();
    let pos = position(&admin).await;
    invite(&admin, &pos, json!({})).await;
    let first = crate::common::eventually(WAIT, || async { (!r.got().is_empty()).then_some(()) }).await;
    assert!(first.is_some(), "the first attempt failed");
    settled(&app).await;

    clock.advance(TimeDelta::days(5) + TimeDelta::hours(1));
    settled(&app).await;
    let (_, v) = call(&admin.base, Method::GET, &format!("/webhooks/{hook}"), &partner, None).await;
    assert_eq!(v["enabled"], false, "{v}");
    if std::env::var("TEST_SMTP_URL").is_ok() {
        let mails = mails_to(&contact, 1, WAIT).await;
        let mail = crate::api_common::decode_qp(&mails[0]);
        assert!(
            mail.contains("Webhook endpoint disabled") && mail.contains(&hook),
            "{mail}"
        );
    }
    app.stop().await;
}
