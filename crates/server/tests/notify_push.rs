#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Web Push end to end: a local HTTP server plays the push service; the test decrypts what it got
//! with the independent Python `http_ece` package and verifies the VAPID signature with
//! `cryptography`; a 410 answer removes the subscription. Also the installable-app files.

mod api_common;
mod common;
mod notify_support;

use api_common::sign_in;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{TestApp, eventually};
use notify_support::{WAIT, complete, position, save_prefs};
use serde_json::{Value, json};
use shortlist_domain::{Role, UserId};
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// One request the push service received: its headers and body.
type Received = (HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
struct PushService {
    got: Arc<Mutex<Vec<Received>>>,
    answer: Arc<AtomicU16>,
}

async fn receive(State(s): State<PushService>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.got.lock().unwrap().push((headers, body.to_vec()));
    StatusCode::from_u16(s.answer.load(Ordering::SeqCst)).unwrap()
}

async fn push_service() -> (PushService, String) {
    let s = PushService::default();
    s.answer.store(201, Ordering::SeqCst);
    let app = Router::new().route("/push/{id}", post(receive)).with_state(s.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (s, origin)
}

fn python(args: &[&str]) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/notify_support/push_check.py");
    let out = Command::new("python3").arg(script).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "push_check.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_are_pushed_encrypted_and_signed_and_gone_subscriptions_are_removed() {
    let app = TestApp::spawn_with(&[
        "--allow-private-push-endpoints",
        "--push-contact",
        "mailto:ops@example.com",
    ])
    .await;
    let (service, origin) = push_service().await;
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

    // The public VAPID key; the private half is sealed in the database.
    let (s, key) = api.get("/push/key").await;
    assert_eq!(s, StatusCode::OK);
    let public = key["public_key"].as_str().unwrap().to_string();
    let (stored_public, sealed) = shortlist_store::notify::server_key(&app.app.db, "vapid")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_public, public);
    assert!(sealed.starts_with("v1.") && !sealed.contains(&public), "{sealed}");

    // A browser's subscription (keys made by the independent client); a bad one is refused.
    let ua = python(&["keygen"]);
    let endpoint = format!("{origin}/push/device-1");
    let sub = json!({ "endpoint": endpoint, "keys": { "p256dh": ua["p256dh"], "auth": ua["auth"] } });
    let (s, body) = api
        .post(
            "/push/subscriptions",
            json!({ "endpoint": endpoint, "keys": { "p256dh": "AAAA", "auth": ua["auth"] } }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, body) = api.post("/push/subscriptions", sub).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let pos = position(&api, "Data Engineer").await;
    let id = complete(&app, &api, &pos, "Ada Lovelace").await;
    let first = eventually(WAIT, || async { service.got.lock().unwrap().first().cloned() }).await;
    let (headers, body) = first.expect("the push service got the message");
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(headers.contains_key("ttl"));
    let file = app.data.path().join("push-body.bin");
    std::fs::write(&file, &body).unwrap();
    let auth = headers["authorization"].to_str().unwrap();
    let checked = python(&[
        "check",
        ua["private"].as_str().unwrap(),
        ua["auth"].as_str().unwrap(),
        file.to_str().unwrap(),
        auth,
    ]);
    let payload: Value = serde_json::from_str(checked["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["title"], "Ada Lovelace completed the interview");
    assert_eq!(payload["body"], "Data Engineer");
    assert!(
        payload["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/interviews/{id}/", app.base)),
        "{payload}"
    );
    assert_eq!(checked["k"], public.as_str());
    assert_eq!(checked["claims"]["aud"], origin.as_str());
    assert_eq!(checked["claims"]["sub"], "mailto:ops@example.com");
    let exp = checked["claims"]["exp"].as_i64().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(exp > now && exp <= now + 24 * 3600, "exp {exp}");

    // The push service now says the subscription is gone: it is removed.
    service.answer.store(410, Ordering::SeqCst);
    complete(&app, &api, &pos, "Grace Hopper").await;
    let users = shortlist_store::users::list(&app.app.db, &api.org).await.unwrap();
    let user = UserId::parse(&users[0].id).unwrap();
    let gone = eventually(WAIT, || async {
        let subs = shortlist_store::notify::subscriptions(&app.app.db, &api.org, &user)
            .await
            .unwrap();
        subs.is_empty().then_some(())
    })
    .await;
    assert!(gone.is_some(), "the subscription was not removed after 410");
    assert_eq!(service.got.lock().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_recruiter_pages_are_an_installable_app() {
    let app = TestApp::spawn().await;
    let c = common::client();
    let r = c.get(app.url("/manifest.webmanifest")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/manifest+json");
    let m: Value = r.json().await.unwrap();
    assert_eq!(
        (m["start_url"].as_str(), m["scope"].as_str()),
        (Some("/positions"), Some("/"))
    );
    assert_eq!(m["display"], "standalone");
    for icon in m["icons"].as_array().unwrap() {
        let size: u32 = icon["sizes"]
            .as_str()
            .unwrap()
            .split('x')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let png = c
            .get(app.url(icon["src"].as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), size);
    }
    let r = c.get(app.url("/sw.js")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["service-worker-allowed"], "/");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let sw = r.text().await.unwrap();
    assert!(sw.contains("showNotification") && sw.contains("openWindow"), "{sw}");
    let api = sign_in(&app, Role::Recruiter).await;
    let page = api
        .c
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("rel=\"manifest\"") && page.contains("/notify/push.js"),
        "{page}"
    );
    app.stop().await;
}
