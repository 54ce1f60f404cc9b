//! A real webhook receiver for the tests: an axum server on 127.0.0.1 that verifies every request
//! with the reference `standardwebhooks` library against the secrets the test gave it, answers
//! with a scripted status, and records what it got. Plus small helpers for the webhook API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::{Api, candidate_email, unique};
use crate::common::{TestApp, client, eventually};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(40);
/// The allowance every test server gets so it may call the receiver on 127.0.0.1.
pub const ALLOW_LOCAL: [&str; 2] = ["--webhook-allow-private", "127.0.0.0/8"];

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Got {
    pub msg_id: String,
    pub body: Value,
    pub signature: String,
    /// For each secret the receiver knows, whether `Webhook::verify` accepted the request.
    pub verified: Vec<bool>,
    /// What the receiver answered.
    pub answered: u16,
}

impl Got {
    pub fn kind(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    got: Vec<Got>,
    secrets: Vec<String>,
    script: VecDeque<u16>,
    default: Option<u16>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut s = inner.lock().unwrap();
    let verified = s
        .secrets
        .iter()
        .map(|k| {
            standardwebhooks::Webhook::new(k)
                .unwrap()
                .verify(&body, &headers)
                .is_ok()
        })
        .collect();
    let answered = s.script.pop_front().or(s.default).unwrap_or(200);
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    s.got.push(Got {
        msg_id: h("webhook-id"),
        signature: h("webhook-signature"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        verified,
        answered,
    });
    StatusCode::from_u16(answered).unwrap()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, inner }
    }

    pub fn secrets(&self, secrets: &[&str]) {
        self.inner.lock().unwrap().secrets = secrets.iter().map(|s| s.to_string()).collect();
    }

    /// Answers these statuses to the next requests, then the default.
    pub fn script(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().script.extend(statuses);
    }

    pub fn default_answer(&self, status: u16) {
        self.inner.lock().unwrap().default = Some(status);
    }

    pub fn got(&self) -> Vec<Got> {
        self.inner.lock().unwrap().got.clone()
    }

    /// Waits until a request of each of these event types was answered with 2xx.
    pub async fn wait_for(&self, kinds: &[&str]) -> Vec<Got> {
        let found = eventually(WAIT, || async {
            let got = self.got();
            kinds
                .iter()
                .all(|k| got.iter().any(|g| g.kind() == *k && g.answered < 300))
                .then_some(got)
        })
        .await;
        found.unwrap_or_else(|| panic!("never got all of {kinds:?}: {:?}", self.got()))
    }
}

/// Subscribes the receiver; returns the endpoint and its secret.
pub async fn subscribe(api: &Api, r: &Receiver, events: &[&str]) -> (String, String) {
    let (s, v) = api
        .post(
            "/webhooks",
            json!({ "url": r.url, "events": events, "description": "test receiver" }),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let secret = v["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (v["id"].as_str().unwrap().to_string(), secret)
}

/// A position with a one-question text interview.
pub async fn position(api: &Api) -> String {
    let spec = json!({
        "name": "Short",
        "questions": [{ "id": "q1", "kind": "text", "prompt": "Why this job?" }]
    });
    let tpl = api.template(&format!("wh-{}", unique()), spec).await;
    api.position("Webhook role", &[&tpl]).await
}

/// Invites a candidate with `metadata`; returns the invitation id and the candidate's path.
pub async fn invite(api: &Api, position: &str, metadata: Value) -> (String, String) {
    let body = json!({ "email": candidate_email("wh"), "name": "Ada Webhook", "metadata": metadata });
    let (s, r) = api.invite(position, body).await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{r}");
    let url = r["invitation"]["candidate_url"].as_str().unwrap();
    let path = format!("/i/{}", url.rsplit_once("/i/").unwrap().1);
    (r["invitation"]["id"].as_str().unwrap().to_string(), path)
}

/// Opens, starts and completes the interview as the candidate would.
pub async fn take_interview(app: &TestApp, path: &str) {
    let c = client();
    let r = c.get(app.url(path)).send().await.unwrap();
    assert!(r.status().is_success(), "landing page: {}", r.status());
    for (step, form) in [
        ("consent", vec![("consent", "yes")]),
        ("q/q1", vec![("text", "Because.")]),
        ("complete", vec![]),
    ] {
        let r = c
            .post(app.url(&format!("{path}/{step}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER, "{step}");
    }
}

/// Waits until every job due by the app's clock has run (the digest scan keeps a successor
/// queued for later, which is not due).
pub async fn settled(app: &TestApp) {
    app.jobs_settled().await;
}
