//! Findings of the outside test about URLs an organisation sets (SSRF): the iCIMS connection's API
//! and token URLs are refused at save time when they point inside (loopback, metadata, private
//! ranges, a host name resolving to loopback) unless the operator allowed the range, and checked
//! again before every call; a redirect is never followed (so the Basic credentials never go to
//! its target); "Test connection" shows a status and a short reason, never the answer's body.
//! Links in iCIMS events are normalised before they are checked (`..`, `%2e%2e`, backslashes);
//! the event endpoint answers an unknown customer id exactly like wrong credentials; push
//! endpoints are resolved and checked like every other outbound URL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod icims_support;
mod notify_support;
mod outbound_support;

use api_common::sign_in;
use common::{TestApp, client, eventually};
use icims_support::{Opts, PACKAGE, Setup, TRIGGER, setup};
use notify_support::{WAIT, complete, position, save_prefs};
use outbound_support::{Listener, connect, customer_id, inside_name, page_post};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;
use sim::icims::{Auth, SimConfig, Simulator};

const LOCAL: [&str; 2] = ["--outbound-allow-private", "127.0.0.0/8"];
/// Text only the far end's answers carry: it must never reach the page.
const MARKER: &str = "SECRET-FROM-THE-FAR-END-7f3a";

/// The fields of the setup form for a connection to `base` (and `token_url` for OAuth).
fn form<'a>(
    customer: &'a str,
    base: &'a str,
    token_url: Option<&'a str>,
    observer: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("customer_id", customer),
        ("region", "us"),
        ("outbound_user", "vendor"),
        ("outbound_secret", "vendor-password"),
        ("inbound_auth", "basic"),
        ("trigger_statuses", "C100"),
        ("status_sent", "Sent"),
        ("status_in_progress", "In Progress"),
        ("status_complete", "Complete"),
        ("observer", observer),
    ];
    if !base.is_empty() {
        f.push(("api_base_url", base));
    }
    match token_url {
        Some(t) => f.extend([("outbound_auth", "oauth"), ("outbound_token_url", t)]),
        None => f.push(("outbound_auth", "basic")),
    }
    f
}

#[tokio::test]
async fn icims_api_and_token_urls_pointing_inside_are_refused_at_save() {
    let app = TestApp::spawn().await;
    let admin = sign_in(&app, Role::Admin).await;
    let customer = customer_id();
    let mut inside = vec![
        "http://127.0.0.1:9".to_string(),
        "http://169.254.169.254".to_string(),
        "https://10.1.2.3".to_string(),
        "https://192.168.0.10:8443".to_string(),
        "http://[::1]:9".to_string(),
        "https://[::ffff:127.0.0.1]".to_string(),
        "http://localhost:9".to_string(),
    ];
    // A name other than `localhost` that resolves inside (this machine's own name), if any.
    if let Some(name) = inside_name().await {
        inside.push(format!("https://{name}"));
    }
    for base in &inside {
        let (status, page) = page_post(
            &app,
            &admin,
            "/settings/icims",
            &form(&customer, base, None, &admin.email),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{base}: {page}");
        assert!(page.contains("api_base_url: url not allowed"), "{base}: {page}");
    }
    // The token URL of an OAuth connection, with the region's (public) API host.
    for token in &inside {
        let token = format!("{token}/oauth2/token");
        let (status, page) = page_post(
            &app,
            &admin,
            "/settings/icims",
            &form(&customer, "", Some(&token), &admin.email),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{token}: {page}");
        assert!(page.contains("outbound_token_url: url not allowed"), "{token}: {page}");
    }
    assert!(app.app.icims.connection_for_org(&admin.org).await.unwrap().is_none());
    app.stop().await;

    // An operator who allowed the range (an on-premises ATS) can save it.
    let app = TestApp::spawn_with(&LOCAL).await;
    let admin = sign_in(&app, Role::Admin).await;
    let (status, page) = page_post(
        &app,
        &admin,
        "/settings/icims",
        &form(&customer, "http://127.0.0.1:9", None, &admin.email),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    app.stop().await;
}

#[tokio::test]
async fn icims_urls_are_checked_again_before_every_call() {
    // Saved while the operator allowed 127.0.0.0/8 ...
    let app = TestApp::spawn_with(&LOCAL).await;
    let customer = customer_id();
    let sim = Simulator::start(
        "127.0.0.1:0",
        SimConfig {
            customer_id: customer.clone(),
            api_auth: Auth::OAuth {
                client_id: "vendor".into(),
                client_secret: "vendor-secret".into(),
            },
        },
    )
    .await
    .unwrap();
    let job = sim.add_job("Barista", None);
    let admin = sign_in(&app, Role::Admin).await;
    let token_url = format!("{}/oauth2/token", sim.base_url());
    connect(&app, &admin, &customer, &sim.base_url(), Some(&token_url)).await;
    let (_, page) = page_post(&app, &admin, "/settings/icims/test", &[("job_id", &job.to_string())]).await;
    assert!(page.contains("Connection test: works"), "{page}");
    let before = sim.requests().len();
    assert!(before >= 2, "a token and the job were fetched");
    let (db, data) = app.stop_keeping_data().await;

    // ... and no longer: the same connection reaches nothing, not even the token endpoint.
    let app = TestApp::spawn_on(db, data, &[]).await;
    let (_, page) = page_post(&app, &admin, "/settings/icims/test", &[("job_id", &job.to_string())]).await;
    assert!(page.contains("url not allowed"), "{page}");
    assert!(!page.contains("Connection test: works"), "{page}");
    assert_eq!(sim.requests().len(), before, "no request reached the simulator");
    app.stop().await;
}

#[tokio::test]
async fn redirects_are_not_followed_and_the_basic_credentials_stay_home() {
    let app = TestApp::spawn_with(&LOCAL).await;
    let customer = customer_id();
    // The redirect target on another port: it must never be asked anything.
    let elsewhere = Listener::start(&customer, MARKER, None).await;
    let server = Listener::start(&customer, MARKER, Some(elsewhere.origin.clone())).await;
    let admin = sign_in(&app, Role::Admin).await;
    connect(&app, &admin, &customer, &server.origin, None).await;

    // Job 1 redirects to another path of the same origin (where reqwest would resend Basic).
    let (status, page) = page_post(&app, &admin, "/settings/icims/test", &[("job_id", "1")]).await;
    assert_eq!(status, StatusCode::OK);
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "only the first request: {seen:?}");
    assert_eq!(seen[0].0, format!("/customers/{customer}/jobs/1"));
    assert!(seen[0].1.as_deref().is_some_and(|a| a.starts_with("Basic ")));
    assert!(page.contains("302"), "{page}");
    assert!(!page.contains(MARKER), "the body is not shown: {page}");

    // Job 2 redirects to another host: nothing arrives there.
    page_post(&app, &admin, "/settings/icims/test", &[("job_id", "2")]).await;
    assert_eq!(server.seen().len(), 2);
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
    app.stop().await;
}

#[tokio::test]
async fn test_connection_shows_the_status_and_a_short_reason_never_the_body() {
    let app = TestApp::spawn_with(&LOCAL).await;
    let customer = customer_id();
    let server = Listener::start(&customer, MARKER, None).await;

    // Basic: a 500 with a text body, a 200 that is not JSON.
    let basic = sign_in(&app, Role::Admin).await;
    connect(&app, &basic, &customer, &server.origin, None).await;
    for (job, status) in [("3", "500"), ("4", "200")] {
        let (_, page) = page_post(&app, &basic, "/settings/icims/test", &[("job_id", job)]).await;
        assert!(page.contains(&format!("/jobs/{job}")), "{page}");
        assert!(!page.contains(MARKER), "job {job} ({status}): {page}");
    }
    let (_, page) = page_post(&app, &basic, "/settings/icims/test", &[("job_id", "3")]).await;
    assert!(page.contains("500"), "{page}");

    // OAuth: the token endpoint refuses with a body; only its RFC 6749 code is shown.
    let oauth = sign_in(&app, Role::Admin).await;
    let other = customer_id();
    let token_server = Listener::start(&other, MARKER, None).await;
    let token_url = format!("{}/oauth/token", token_server.origin);
    connect(&app, &oauth, &other, &token_server.origin, Some(&token_url)).await;
    let (_, page) = page_post(&app, &oauth, "/settings/icims/test", &[("job_id", "5")]).await;
    assert!(!page.contains(MARKER), "{page}");
    assert!(page.contains("401") && page.contains("invalid_client"), "{page}");
    assert_eq!(token_server.seen().len(), 1, "only the token request");
    app.stop().await;
}

/// An event with `person` taken from `person`: a link, or (`people/…`) a relative id.
async fn event_with_person(s: &Setup, wf: u64, job: u64, person: serde_json::Value) -> StatusCode {
    let mut body = json!({
        "customerId": s.customer, "eventType": "WorkFlowStatusChangeEvent",
        "systemId": wf.to_string(), "newStatus": TRIGGER,
        "links": [{"rel": "job", "url": format!("{}/jobs/{job}", s.sim.customer_url())}],
    });
    match person {
        serde_json::Value::String(link) if link.starts_with("http") => {
            body["links"]
                .as_array_mut()
                .unwrap()
                .push(json!({"rel": "person", "url": link}));
        }
        id => body["personId"] = id,
    }
    let r = client()
        .post(s.app.url("/connectors/icims/events"))
        .basic_auth(&s.inbound_user, Some(&s.inbound_secret))
        .json(&body)
        .send()
        .await
        .unwrap();
    r.status()
}

#[tokio::test]
async fn icims_links_with_dot_segments_are_refused_and_nothing_reaches_the_other_path() {
    let s = setup(Opts::default()).await;
    let job = s.sim.add_job("Support", Some(PACKAGE));
    let (wf, _) = s.applicant(job, "Eve");
    let own = format!("/customers/{}/", s.customer);
    let base = s.sim.customer_url();
    for person in [
        json!(format!("{base}/people/../../999999/people/1")),
        json!(format!("{base}/%2e%2e/999999/people/1")),
        json!(format!("{base}/people/%2E%2E/%2e%2e/999999/people/1")),
        json!(format!("{base}/people/..%2f..%2f999999/people/1")),
        json!(format!("{base}\\..\\999999\\people\\1")),
        json!("../../999999/people/1"),
        json!("%2e%2e/%2e%2e/999999/people/1"),
    ] {
        assert_eq!(
            event_with_person(&s, wf, job, person.clone()).await,
            StatusCode::BAD_REQUEST,
            "{person}"
        );
        let outside: Vec<String> = s
            .sim
            .requests()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| !p.starts_with(&own))
            .collect();
        assert!(outside.is_empty(), "{person}: requests left the customer: {outside:?}");
    }
    assert_eq!(s.invitation_counts().await, (0, 0));
    // A normal link still works.
    let (wf2, _) = s.applicant(job, "Grace");
    let out = s.move_one(wf2, TRIGGER).await;
    assert_eq!(out.status, 200, "{out:?}");
    s.app.stop().await;
}

#[tokio::test]
async fn icims_unknown_customer_and_wrong_credentials_get_the_same_answer() {
    let s = setup(Opts::default()).await;
    let event = |customer: &str| json!({"customerId": customer, "eventType": "WorkFlowStatusChangeEvent", "systemId": "1", "newStatus": TRIGGER});
    let send = |customer: String, user: String, secret: Option<String>| {
        let url = s.app.url("/connectors/icims/events");
        let body = event(&customer);
        async move {
            let mut rb = client().post(url).json(&body);
            if let Some(secret) = secret {
                rb = rb.basic_auth(user, Some(secret));
            }
            let r = rb.send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let user = s.inbound_user.clone();
    let wrong = send(s.customer.clone(), user.clone(), Some("not-the-secret".into())).await;
    let unknown = send(customer_id(), user.clone(), Some(s.inbound_secret.clone())).await;
    let unknown_wrong = send(customer_id(), "nobody".into(), Some("nothing".into())).await;
    let none = send(s.customer.clone(), user, None).await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED, "{}", wrong.1);
    assert!(wrong.1.contains("userMessage"), "iCIMS's error format: {}", wrong.1);
    for other in [&unknown, &unknown_wrong, &none] {
        assert_eq!(other, &wrong, "the same status and body");
    }
    s.app.stop().await;
}

/// RFC 8291's example browser key and secret: a valid subscription apart from its endpoint.
const P256DH: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

#[tokio::test]
async fn push_endpoints_whose_host_resolves_inside_are_refused() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    // First the finding: a name other than `localhost` that resolves to loopback (this
    // machine's own name, if it has one) was accepted because names were never resolved.
    let mut inside = vec![];
    if let Some(name) = inside_name().await {
        inside.push(format!("https://{name}/push/1"));
        inside.push(format!("https://{name}:8443/push/1"));
    }
    inside.extend(
        [
            "https://localhost/push/1",
            "https://127.0.0.1/push/1",
            "https://[::1]/push/1",
            "https://169.254.169.254/push/1",
        ]
        .map(String::from),
    );
    for endpoint in &inside {
        let sub = json!({"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}});
        let (status, body) = api.post("/push/subscriptions", sub).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{endpoint}: {body}");
        assert!(body.to_string().contains("url not allowed"), "{endpoint}: {body}");
    }
    let stored = shortlist_store::notify::subscriptions(
        &app.app.db,
        &api.org,
        &shortlist_domain::UserId::parse(&user_id(&app, &api).await).unwrap(),
    )
    .await
    .unwrap();
    assert!(stored.is_empty(), "{stored:?}");
    app.stop().await;

    // The operator's range is accepted (plain http too, there).
    let app = TestApp::spawn_with(&LOCAL).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let sub = json!({"endpoint": "http://127.0.0.1:9/push/1", "keys": {"p256dh": P256DH, "auth": AUTH}});
    let (status, body) = api.post("/push/subscriptions", sub).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

async fn user_id(app: &TestApp, api: &api_common::Api) -> String {
    let email = shortlist_domain::Email::parse(&api.email).unwrap();
    shortlist_store::users::find_by_email(&app.app.db, &api.org, &email)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The endpoint is checked again before each push: a subscription whose host now leads inside
/// (its name moved, or it was stored before the check existed) is not called.
#[tokio::test]
async fn push_endpoints_are_checked_again_before_each_push() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    save_prefs(
        &app,
        &api,
        &[
            ("completions", "off"),
            ("weekday", "0"),
            ("local_time", "08:00"),
            ("time_zone", "UTC"),
            ("push_completed", "1"),
        ],
    )
    .await;
    let service = Listener::start("-", MARKER, None).await;
    let user = shortlist_domain::UserId::parse(&user_id(&app, &api).await).unwrap();
    let endpoint = format!("{}/push/device-1", service.origin);
    shortlist_store::notify::add_subscription(&app.app.db, &api.org, &user, &endpoint, P256DH, AUTH)
        .await
        .unwrap();
    let pos = position(&api, "Data Engineer").await;
    complete(&app, &api, &pos, "Ada Lovelace").await;
    // The push job ran (and finished) ...
    let ran = eventually(WAIT, || async {
        let done = shortlist_store::jobs::list_by_state(&app.app.db, "done", 1000)
            .await
            .unwrap();
        done.iter()
            .any(|j| j.kind == shortlist_app::notify::push::PUSH_KIND)
            .then_some(())
    })
    .await;
    assert!(ran.is_some(), "the push job did not run");
    // ... and never called the address inside.
    assert!(service.seen().is_empty(), "{:?}", service.seen());
    app.stop().await;
}
