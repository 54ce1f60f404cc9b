//! What the simulated Greenhouse serves: the per-instance `url` the partner PATCHes, the resume
//! and profile URLs named in send_test, the recruiter's page with its forms, and a JSON view of
//! the state for tests in other processes. Every request is recorded first.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::json;

use super::state::Trigger;
use super::{RESUME_LIFETIME, SimHandle, page};
use crate::RecordedRequest;
use crate::auth::basic_credentials;

const BODY_LIMIT: usize = 1 << 20;

pub(crate) fn router(sim: SimHandle) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/tests/load", post(load_tests))
        .route("/send", post(send_form))
        .route("/replay", post(replay_form))
        .route("/check", post(check_form))
        .route("/hire", post(hire_form))
        .route("/people/{id}", get(page::person))
        .route("/resumes/{instance}", get(resume))
        .route("/_sim/state", get(state_json))
        .route(
            "/integrations/testing_partners/take_home_tests/{instance}",
            patch(patch_instance),
        )
        .layer(axum::middleware::from_fn_with_state(sim.clone(), record))
        .with_state(sim)
}

async fn record(State(sim): State<SimHandle>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    sim.st().requests.push(RecordedRequest::from_parts(&parts, &bytes));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// `PATCH …/take_home_tests/{n}`: the partner says the test is done. Greenhouse answers with a bare
/// status and then asks test_status; here that call runs right after the answer.
async fn patch_instance(State(sim): State<SimHandle>, Path(raw): Path<String>, headers: HeaderMap) -> Response {
    let injected = sim.st().patch_failures.pop_front();
    if let Some(status) = injected {
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
            .into_response();
    }
    let key = &sim.inner.cfg.api_key;
    if !basic_credentials(&headers).is_some_and(|(u, p)| &u == key && p.is_empty()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"Greenhouse\"")],
        )
            .into_response();
    }
    let Some(instance) = raw.parse().ok().and_then(|n| sim.instance(n)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Greenhouse only updates tests of active, unhired candidates.
    if sim.candidate(instance.candidate).is_some_and(|c| c.hired) {
        return StatusCode::OK.into_response();
    }
    let at = sim.now();
    let checker = sim.clone();
    tokio::spawn(async move {
        super::calls::check_status(&checker, instance.id, Trigger::Patch, at).await;
    });
    StatusCode::OK.into_response()
}

/// The resume link in send_test: a small text file, gone (410) 7 simulated days after the send.
async fn resume(State(sim): State<SimHandle>, Path(raw): Path<String>) -> Response {
    let Some(i) = raw.parse().ok().and_then(|n| sim.instance(n)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if sim.now() >= i.sent_at + RESUME_LIFETIME {
        return (StatusCode::GONE, "This resume link has expired.\n").into_response();
    }
    let name = sim.candidate(i.candidate).map(|c| c.name()).unwrap_or_default();
    let text = format!("Resume of {name}\n\nExperience: simulated.\n");
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

async fn state_json(State(sim): State<SimHandle>) -> Response {
    let tests = sim.tests();
    Json(json!({
        "candidates": sim.candidates(),
        "tests": tests,
        "instances": sim.instances(),
        "response_errors": sim.response_errors(),
    }))
    .into_response()
}

fn form(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<T: std::str::FromStr>(form: &[(String, String)], name: &str) -> Option<T> {
    form.iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.trim().parse().ok())
}

async fn load_tests(State(sim): State<SimHandle>) -> Html<String> {
    let out = sim.list_tests().await;
    page::list_outcome(&out)
}

async fn send_form(State(sim): State<SimHandle>, body: Bytes) -> Html<String> {
    let f = form(&body);
    let (Some(candidate), Some(test)) = (field::<u64>(&f, "candidate"), field::<String>(&f, "test")) else {
        return page::message("Nothing sent", "Pick a candidate and a test (load the tests first).");
    };
    let out = sim.send_test(candidate, &test).await;
    let title = if out.partner_interview_id.is_some() {
        "Test sent"
    } else {
        "Test not sent"
    };
    page::send_outcome(title, &out)
}

async fn replay_form(State(sim): State<SimHandle>, body: Bytes) -> Html<String> {
    let Some(instance) = field::<u64>(&form(&body), "instance") else {
        return page::message("Nothing replayed", "No test instance given.");
    };
    let out = sim.replay_send(instance).await;
    page::send_outcome("send_test replayed", &out)
}

async fn check_form(State(sim): State<SimHandle>, body: Bytes) -> Html<String> {
    let Some(instance) = field::<u64>(&form(&body), "instance") else {
        return page::message("Nothing checked", "No test instance given.");
    };
    let check = sim.check_status(instance).await;
    page::message("test_status asked", &check.outcome)
}

async fn hire_form(State(sim): State<SimHandle>, body: Bytes) -> Html<String> {
    let Some(candidate) = field::<u64>(&form(&body), "candidate") else {
        return page::message("Nobody hired", "No candidate given.");
    };
    sim.hire(candidate);
    page::message(
        "Hired",
        "The candidate is marked hired: no more polling, no results shown.",
    )
}
