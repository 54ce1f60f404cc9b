//! A tiny assessment partner for the Greenhouse simulator's tests: a real axum server with the
//! four Assessment Partner endpoints, answers the test sets (good or malformed), profile pages
//! (one reachable, one behind a redirect, one gone), and a log of what Greenhouse sent.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sim::greenhouse::{Mode, PartnerEndpoints, SimConfig, SimHandle, Simulator};

pub const KEY: &str = "org-key-0d031d8227eafa61dc375a6c2e067e24";

/// One call Greenhouse made: path, `Authorization` header, query, body.
#[derive(Clone, Debug)]
pub struct Call {
    pub path: String,
    pub authorization: Option<String>,
    pub query: HashMap<String, String>,
    pub body: Value,
}

pub struct Partner {
    pub base: String,
    /// (status, body) list_tests answers.
    pub list: Mutex<(u16, String)>,
    /// `None`: a fresh `partner_interview_id` per instance `url` (the same one on a replay);
    /// `Some(body)`: this body instead.
    pub send: Mutex<Option<String>>,
    /// test_status answers per partner_interview_id; others answer `{"partner_status":"started"}`.
    pub status: Mutex<HashMap<String, Value>>,
    ids: Mutex<HashMap<String, String>>,
    pub calls: Mutex<Vec<Call>>,
}

impl Partner {
    pub fn calls_to(&self, endpoint: &str) -> Vec<Call> {
        let path = format!("/connectors/greenhouse/{endpoint}");
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect()
    }

    pub fn set_status(&self, interview: &str, body: Value) {
        self.status.lock().unwrap().insert(interview.to_owned(), body);
    }

    /// A complete answer whose profile page is reachable.
    pub fn complete(&self, interview: &str, score: f64) {
        let url = format!("{}/profiles/{interview}", self.base);
        self.set_status(
            interview,
            json!({"partner_status": "complete", "partner_profile_url": url, "partner_score": score,
                   "metadata": {"Started At": "10:15 AM 26 March 2026", "Answers": 12, "Reviewed": true, "Notes": null}}),
        );
    }
}

type Shared = Arc<Partner>;

fn log(p: &Partner, path: &str, headers: &HeaderMap, query: HashMap<String, String>, body: &str) {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    p.calls.lock().unwrap().push(Call {
        path: path.to_owned(),
        authorization,
        query,
        body,
    });
}

async fn list_tests(State(p): State<Shared>, headers: HeaderMap) -> Response {
    log(&p, "/connectors/greenhouse/list_tests", &headers, HashMap::new(), "");
    let (status, body) = p.list.lock().unwrap().clone();
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

async fn send_test(State(p): State<Shared>, headers: HeaderMap, body: String) -> Response {
    log(&p, "/connectors/greenhouse/send_test", &headers, HashMap::new(), &body);
    if let Some(canned) = p.send.lock().unwrap().clone() {
        return ([("content-type", "application/json")], canned).into_response();
    }
    let v: Value = serde_json::from_str(&body).unwrap();
    let url = v["url"].as_str().unwrap().to_owned();
    let mut ids = p.ids.lock().unwrap();
    let n = ids.len() + 1;
    let id = ids.entry(url).or_insert_with(|| format!("pi-{n}")).clone();
    Json(json!({"partner_interview_id": id})).into_response()
}

async fn test_status(
    State(p): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = q.get("partner_interview_id").cloned().unwrap_or_default();
    log(&p, "/connectors/greenhouse/test_status", &headers, q, "");
    let answer = p.status.lock().unwrap().get(&id).cloned();
    Json(answer.unwrap_or(json!({"partner_status": "started", "partner_profile_url": null}))).into_response()
}

async fn response_error(State(p): State<Shared>, headers: HeaderMap, body: String) -> Response {
    log(
        &p,
        "/connectors/greenhouse/response_error",
        &headers,
        HashMap::new(),
        &body,
    );
    Json(json!({"status": 200})).into_response()
}

pub async fn start_partner() -> Shared {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let tests = r#"[{"partner_test_id":"tpl_1","partner_test_name":"Support video interview"},
                    {"partner_test_id":"tpl_2","partner_test_name":"Sales <pitch> & demo"}]"#;
    let p = Arc::new(Partner {
        base,
        list: Mutex::new((200, tests.to_owned())),
        send: Mutex::new(None),
        status: Mutex::new(HashMap::new()),
        ids: Mutex::new(HashMap::new()),
        calls: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/connectors/greenhouse/list_tests", get(list_tests))
        .route("/connectors/greenhouse/send_test", post(send_test))
        .route("/connectors/greenhouse/test_status", get(test_status))
        .route("/connectors/greenhouse/response_error", post(response_error))
        .route("/profiles/{id}", get(|| async { "the candidate's interview" }))
        .route(
            "/moved/{id}",
            get(|axum::extract::Path(id): axum::extract::Path<String>| async move {
                Redirect::to(&format!("/profiles/{id}"))
            }),
        )
        .with_state(p.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    p
}

pub fn config(partner: &Partner, mode: Mode) -> SimConfig {
    SimConfig {
        endpoints: PartnerEndpoints::shortlist(&partner.base),
        api_key: KEY.into(),
        mode,
    }
}

pub async fn setup(mode: Mode) -> (Shared, SimHandle) {
    let partner = start_partner().await;
    let sim = Simulator::start("127.0.0.1:0", config(&partner, mode)).await.unwrap();
    (partner, sim)
}

/// Polls `check` until it gives a value or 10 s pass.
pub async fn eventually<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if started.elapsed() > Duration::from_secs(10) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the instance has had `n` test_status checks.
pub async fn checks(sim: &SimHandle, instance: u64, n: usize) -> sim::greenhouse::Instance {
    eventually(|| sim.instance(instance).filter(|i| i.checks.len() >= n))
        .await
        .unwrap_or_else(|| {
            panic!(
                "instance {instance} never had {n} test_status checks: {:?}",
                sim.instance(instance)
            )
        })
}

/// The partner's completion call: `PATCH {url}` with the organisation's key.
pub async fn patch(url: &str, key: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new().patch(url);
    if let Some(k) = key {
        req = req.basic_auth(k, Some(""));
    }
    req.send().await.unwrap().status().as_u16()
}
