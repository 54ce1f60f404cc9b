#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Workable simulator against a tiny partner (a real axum server): the partner's token as
//! Bearer, list/create/replay with good and malformed answers, and the result callbacks — pending
//! then completed shown, wrong or revoked token refused, an injected 500 then a success leaving one
//! result, an invalid completed body refused with nothing shown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use sim::workable::{Kind, SimConfig, SimHandle, Simulator};

const OUR_TOKEN: &str = "partner-token-4f1c2a";
const WORKABLE_TOKEN: &str = "workable-token-9be07d";

/// One call Workable made: path, `Authorization` header, body.
#[derive(Clone, Debug)]
struct Call {
    path: String,
    authorization: Option<String>,
    body: Value,
}

#[derive(Default)]
struct Partner {
    /// (status, body) per list path ("tests", "interview-templates").
    lists: Mutex<HashMap<String, (u16, String)>>,
    /// `None`: a fresh id per callback_url (the same on a replay); `Some`: this answer instead.
    create: Mutex<Option<(u16, String)>>,
    ids: Mutex<HashMap<String, String>>,
    calls: Mutex<Vec<Call>>,
}

type Shared = Arc<Partner>;

fn log(p: &Partner, path: &str, headers: &HeaderMap, body: &str) {
    p.calls.lock().unwrap().push(Call {
        path: path.to_owned(),
        authorization: headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    });
}

fn canned(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap();
    (status, [("content-type", "application/json")], body).into_response()
}

async fn list(State(p): State<Shared>, Path(what): Path<String>, headers: HeaderMap) -> Response {
    log(&p, &what, &headers, "");
    let (status, body) = p.lists.lock().unwrap().get(&what).cloned().unwrap();
    canned(status, body)
}

async fn create(State(p): State<Shared>, Path(what): Path<String>, headers: HeaderMap, body: String) -> Response {
    log(&p, &what, &headers, &body);
    if let Some((status, body)) = p.create.lock().unwrap().clone() {
        return canned(status, body);
    }
    let v: Value = serde_json::from_str(&body).unwrap();
    let url = v["callback_url"].as_str().unwrap().to_owned();
    let mut ids = p.ids.lock().unwrap();
    let n = ids.len() + 1;
    let id = ids.entry(url).or_insert_with(|| format!("sl-{n}")).clone();
    (StatusCode::CREATED, Json(json!({"id": id, "status": "pending"}))).into_response()
}

async fn start_partner() -> (Shared, String) {
    let p = Shared::default();
    p.lists.lock().unwrap().extend([
        (
            "tests".to_owned(),
            (
                200,
                r#"{"tests":[{"id":"t-1","name":"Rust basics"},{"id":2,"name":"SQL"}]}"#.to_owned(),
            ),
        ),
        (
            "interview-templates".to_owned(),
            (
                200,
                r#"{"interview_templates":[{"id":"vi-1","name":"Intro video"}]}"#.to_owned(),
            ),
        ),
    ]);
    let app = Router::new()
        .route("/connectors/workable/acc1/{what}", get(list).post(create))
        .with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/connectors/workable/acc1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (p, base)
}

fn config(base: &str) -> SimConfig {
    SimConfig {
        partner_base: base.to_owned(),
        partner_token: OUR_TOKEN.to_owned(),
        workable_token: WORKABLE_TOKEN.to_owned(),
    }
}

async fn setup() -> (Shared, SimHandle) {
    let (p, base) = start_partner().await;
    let sim = Simulator::start("127.0.0.1:0", config(&base)).await.unwrap();
    (p, sim)
}

/// Lists the tests and sends the first to a new candidate; returns (order, partner id).
async fn sent(sim: &SimHandle) -> (u64, String) {
    assert!(sim.list_tests().await.errors.is_empty());
    let job = sim.add_job("Backend Engineer");
    let c = sim.add_candidate("Ada", "Lovelace", Some("ada@candidates.example"));
    let out = sim.send_assessment(c, job, "t-1").await;
    assert!(out.errors.is_empty(), "{out:?}");
    (out.order.unwrap(), out.id.unwrap())
}

/// PUTs `body` to the order's callback_url with `token`; returns (status, JSON body).
async fn put(sim: &SimHandle, order: u64, token: &str, body: Value) -> (u16, Value) {
    let url = sim.order(order).unwrap().callback_url;
    let resp = reqwest::Client::new()
        .put(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn completed() -> Value {
    json!({"status": "completed", "results_url": "https://partner.example/results/1",
           "assessment": {"score": "87", "grade": "Strong", "summary": "Solid work", "details": {"a": 1}},
           "attachments": []})
}

#[tokio::test]
async fn lists_carry_the_partner_token_and_numeric_ids_become_strings() {
    let (p, sim) = setup().await;
    let tests = sim.list_tests().await;
    assert!(tests.errors.is_empty(), "{tests:?}");
    let ids: Vec<_> = sim.tests().into_iter().map(|t| (t.id, t.name)).collect();
    assert_eq!(ids, [("t-1".into(), "Rust basics".into()), ("2".into(), "SQL".into())]);
    let templates = sim.list_interview_templates().await;
    assert_eq!(templates.items[0].name, "Intro video");
    let calls = p.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    for c in calls {
        assert_eq!(c.authorization.as_deref(), Some(&*format!("Bearer {OUR_TOKEN}")));
    }
}

#[tokio::test]
async fn malformed_lists_are_reported_and_keep_the_previous_one() {
    let (p, sim) = setup().await;
    assert!(sim.list_tests().await.errors.is_empty());
    let bad = [
        r#"[{"id":"t-1","name":"Rust basics"}]"#,
        r#"{"tests":[{"name":"no id"}]}"#,
        r#"{"tests":"none"}"#,
        "not json",
    ];
    for body in bad {
        p.lists.lock().unwrap().insert("tests".into(), (200, body.into()));
        let out = sim.list_tests().await;
        assert!(!out.errors.is_empty(), "{body} accepted");
        assert_eq!(sim.tests().len(), 2, "{body} replaced the list");
    }
    p.lists
        .lock()
        .unwrap()
        .insert("tests".into(), (401, r#"{"error":"bad token"}"#.into()));
    let out = sim.list_tests().await;
    assert_eq!(out.status, 401);
    assert!(out.errors[0].contains("HTTP 401"), "{out:?}");
}

#[tokio::test]
async fn create_sends_the_documented_body_and_a_replay_gets_the_same_id() {
    let (p, sim) = setup().await;
    let (order, id) = sent(&sim).await;
    let o = sim.order(order).unwrap();
    assert_eq!(o.kind, Kind::Assessment);
    assert_eq!(o.partner_id.as_deref(), Some(&*id));
    let call = p.calls.lock().unwrap().last().cloned().unwrap();
    assert_eq!(call.path, "assessments");
    assert_eq!(call.authorization.as_deref(), Some(&*format!("Bearer {OUR_TOKEN}")));
    let job = &sim.jobs()[0];
    assert_eq!(call.body["test_id"], "t-1");
    assert_eq!(call.body["job_id"], job.id.to_string());
    assert_eq!(call.body["job_shortcode"], job.shortcode);
    assert_eq!(call.body["job_title"], "Backend Engineer");
    assert_eq!(
        call.body["callback_url"],
        format!("{}/callbacks/{order}", sim.base_url())
    );
    assert_eq!(call.body["candidate"]["email"], "ada@candidates.example");
    assert_eq!(call.body["candidate"]["first_name"], "Ada");
    let resume = call.body["candidate"]["resume_url"].as_str().unwrap();
    assert!(
        reqwest::get(resume)
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("Ada Lovelace")
    );

    let again = sim.replay(order).await;
    assert!(again.errors.is_empty(), "{again:?}");
    assert_eq!(again.id.as_deref(), Some(&*id));
    let calls = p.calls.lock().unwrap().clone();
    assert_eq!(calls[calls.len() - 1].body, calls[calls.len() - 2].body);
    assert_eq!(sim.orders().len(), 1);
}

#[tokio::test]
async fn an_interview_goes_to_interviews_with_its_template_id() {
    let (p, sim) = setup().await;
    assert!(sim.list_interview_templates().await.errors.is_empty());
    let job = sim.add_job("Support");
    let c = sim.add_candidate("Alan", "Turing", None);
    let out = sim.send_interview(c, job, "vi-1").await;
    assert!(out.errors.is_empty(), "{out:?}");
    let call = p.calls.lock().unwrap().last().cloned().unwrap();
    assert_eq!(call.path, "interviews");
    assert_eq!(call.body["interview_template_id"], "vi-1");
    assert!(call.body.get("test_id").is_none());
    let o = sim.order(out.order.unwrap()).unwrap();
    assert_eq!(
        (o.kind, o.offering_name.as_deref()),
        (Kind::Interview, Some("Intro video"))
    );
}

#[tokio::test]
async fn create_answers_without_an_id_or_with_an_error_leave_the_order_without_one() {
    let (p, sim) = setup().await;
    sim.list_tests().await;
    let job = sim.add_job("Backend Engineer");
    let c = sim.add_candidate("Ada", "Lovelace", None);
    *p.create.lock().unwrap() = Some((200, r#"{"status":"pending"}"#.into()));
    let out = sim.send_assessment(c, job, "t-1").await;
    assert!(out.id.is_none() && out.errors[0].contains("id"), "{out:?}");
    let error = r#"{"error":"invalid","errors":[{"field":"test_id","message":"unknown test"}]}"#;
    *p.create.lock().unwrap() = Some((422, error.into()));
    let out = sim.send_assessment(c, job, "nope").await;
    assert_eq!(out.status, 422);
    assert!(out.errors[0].contains("unknown test"), "{out:?}");
    assert!(sim.orders().iter().all(|o| o.partner_id.is_none()));
}

#[tokio::test]
async fn pending_then_completed_shows_the_result_on_the_page() {
    let (_p, sim) = setup().await;
    let (order, _) = sent(&sim).await;
    assert_eq!(
        put(&sim, order, WORKABLE_TOKEN, json!({"status": "pending"})).await.0,
        200
    );
    assert_eq!(sim.order(order).unwrap().status(), Some("pending"));
    assert!(sim.order(order).unwrap().result.is_none());
    assert_eq!(put(&sim, order, WORKABLE_TOKEN, completed()).await.0, 200);
    let o = sim.order(order).unwrap();
    assert_eq!(o.statuses, ["pending", "completed"]);
    let r = o.result.unwrap();
    assert_eq!((r.score.as_deref(), r.grade.as_deref()), (Some("87"), Some("Strong")));
    let page = reqwest::get(format!("{}/", sim.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("score: 87") && page.contains("href=\"https://partner.example/results/1\""));
    let state: Value = reqwest::get(format!("{}/_sim/state", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["orders"][0]["result"]["summary"], "Solid work");
}

#[tokio::test]
async fn a_wrong_token_and_a_revoked_one_get_401_and_change_nothing() {
    let (_p, sim) = setup().await;
    let (order, _) = sent(&sim).await;
    let (status, body) = put(&sim, order, OUR_TOKEN, completed()).await;
    assert_eq!(status, 401);
    assert!(body["error"].is_string());
    sim.revoke_token();
    assert_eq!(put(&sim, order, WORKABLE_TOKEN, completed()).await.0, 401);
    assert_eq!(
        put(&sim, order, WORKABLE_TOKEN, json!({"status": "pending"})).await.0,
        401
    );
    let o = sim.order(order).unwrap();
    assert!(o.result.is_none() && o.statuses.is_empty());
    assert_eq!(sim.requests().iter().filter(|r| r.method == "PUT").count(), 3);
}

#[tokio::test]
async fn an_injected_500_then_a_retry_ends_with_one_result() {
    let (_p, sim) = setup().await;
    let (order, _) = sent(&sim).await;
    sim.fail_next_callbacks(1, 500);
    assert_eq!(put(&sim, order, WORKABLE_TOKEN, completed()).await.0, 500);
    assert!(sim.order(order).unwrap().result.is_none());
    assert_eq!(put(&sim, order, WORKABLE_TOKEN, completed()).await.0, 200);
    let o = sim.order(order).unwrap();
    let answered: Vec<u16> = o.callbacks.iter().map(|c| c.answered).collect();
    assert_eq!(answered, [500, 200]);
    assert_eq!(o.statuses, ["completed"]);
    assert!(o.result.is_some());
}

#[tokio::test]
async fn invalid_callback_bodies_get_400_with_errors_and_nothing_shown() {
    let (_p, sim) = setup().await;
    let (order, _) = sent(&sim).await;
    let bad = [
        json!({"status": "completed"}),
        json!({"status": "completed", "results_url": "not a url"}),
        json!({"status": "completed", "results_url": "https://p.example/r", "assessment": {"score": 87}}),
        json!({"status": "finished"}),
        json!(["completed"]),
    ];
    for body in bad {
        let (status, answer) = put(&sim, order, WORKABLE_TOKEN, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(answer["errors"][0].is_string(), "{answer}");
    }
    let o = sim.order(order).unwrap();
    assert!(o.result.is_none() && o.statuses.is_empty());
    assert_eq!(o.callbacks.len(), 5);
}

#[tokio::test]
async fn the_state_file_keeps_orders_and_results_across_a_restart() {
    let (_p, base) = start_partner().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("workable.json");
    let sim = Simulator::start_with_state("127.0.0.1:0", config(&base), &path)
        .await
        .unwrap();
    assert!(!sim.restored());
    let (order, id) = sent(&sim).await;
    let again = Simulator::start_with_state("127.0.0.1:0", config(&base), &path)
        .await
        .unwrap();
    assert!(again.restored());
    assert_eq!(again.order(order).unwrap().partner_id, Some(id));
    assert_eq!(again.tests().len(), 2);
}

#[tokio::test]
async fn the_page_offers_both_forms_per_candidate_and_job_and_escapes_what_the_partner_sent() {
    let (p, sim) = setup().await;
    let tests = r#"{"tests":[{"id":"x\"1","name":"<script>alert(1)</script>"}]}"#;
    p.lists.lock().unwrap().insert("tests".into(), (200, tests.into()));
    sim.list_tests().await;
    sim.list_interview_templates().await;
    for title in ["Backend", "Support"] {
        sim.add_job(title);
    }
    sim.add_candidate("Grace", "Hopper", None);
    let page = reqwest::get(format!("{}/", sim.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("<button>Send assessment</button>").count(), 2);
    assert_eq!(page.matches("<button>Send interview</button>").count(), 2);
    assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
    assert!(page.contains("value=\"x&quot;1\""));
}
