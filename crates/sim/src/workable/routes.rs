//! What the simulated Workable serves: the per-order `callback_url` the partner PUTs results to,
//! the resume URL named in the create request, the recruiter's page with its forms, and a JSON view
//! of the state for tests in other processes. Every request is recorded first.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;

use super::state::{Callback, Kind};
use super::{SimHandle, page, validate};
use crate::RecordedRequest;

const BODY_LIMIT: usize = 1 << 20;

pub(crate) fn router(sim: SimHandle) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/lists/load", post(load_lists))
        .route("/send", post(send_form))
        .route("/replay", post(replay_form))
        .route("/resumes/{candidate}", get(resume))
        .route("/_sim/state", get(state_json))
        .route("/callbacks/{order}", put(callback))
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

fn error(status: StatusCode, message: &str, errors: &[String]) -> Response {
    (status, Json(json!({"error": message, "errors": errors}))).into_response()
}

fn bearer_is(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == token)
}

/// `PUT /callbacks/{n}`: the partner reports progress or the result. The token is checked first
/// (a revoked one is refused like a wrong one), then injected failures, then the body; an invalid
/// body changes nothing the recruiter sees.
async fn callback(State(sim): State<SimHandle>, Path(raw): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let revoked = sim.st().saved.revoked;
    if revoked || !bearer_is(&headers, &sim.inner.cfg.workable_token) {
        let why = if revoked {
            "the token was revoked"
        } else {
            "invalid token"
        };
        return error(StatusCode::UNAUTHORIZED, why, &[]);
    }
    let Some(order) = raw.parse::<u64>().ok().filter(|n| sim.order(*n).is_some()) else {
        return error(StatusCode::NOT_FOUND, "no such callback", &[]);
    };
    let log = |cb: Callback| {
        sim.change(|st| {
            if let Some(o) = st.order_mut(order) {
                o.callbacks.push(cb);
            }
        })
    };
    let injected = sim.st().callback_failures.pop_front();
    if let Some(status) = injected {
        log(Callback {
            answered: status,
            status: None,
            errors: vec!["injected failure".to_owned()],
        });
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(code, "injected failure", &[]);
    }
    match validate::callback(&String::from_utf8_lossy(&body)) {
        Ok(v) => {
            sim.change(|st| {
                if let Some(o) = st.order_mut(order) {
                    o.statuses.push(v.status.clone());
                    if let Some(r) = v.result {
                        o.result = Some(r);
                    }
                    o.callbacks.push(Callback {
                        answered: 200,
                        status: Some(v.status),
                        errors: Vec::new(),
                    });
                }
            });
            Json(json!({"status": "ok"})).into_response()
        }
        Err(errors) => {
            log(Callback {
                answered: 400,
                status: None,
                errors: errors.clone(),
            });
            error(StatusCode::BAD_REQUEST, "invalid callback body", &errors)
        }
    }
}

/// The resume link in the create request: a small text file.
async fn resume(State(sim): State<SimHandle>, Path(raw): Path<String>) -> Response {
    let name = raw
        .parse::<u64>()
        .ok()
        .and_then(|id| sim.candidates().into_iter().find(|c| c.id == id))
        .map(|c| c.name());
    match name {
        Some(name) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("Resume of {name}\n\nExperience: simulated.\n"),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn state_json(State(sim): State<SimHandle>) -> Response {
    Json(json!({
        "jobs": sim.jobs(),
        "candidates": sim.candidates(),
        "tests": sim.tests(),
        "interview_templates": sim.interview_templates(),
        "orders": sim.orders(),
        "revoked": sim.st().saved.revoked,
    }))
    .into_response()
}

fn field<T: std::str::FromStr>(body: &Bytes, name: &str) -> Option<T> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.trim().parse().ok())
}

async fn load_lists(State(sim): State<SimHandle>) -> Html<String> {
    let tests = sim.list_tests().await;
    let templates = sim.list_interview_templates().await;
    page::lists_outcome(&tests, &templates)
}

async fn send_form(State(sim): State<SimHandle>, body: Bytes) -> Html<String> {
    let kind = match field::<String>(&body, "kind").as_deref() {
        Some("interview") => Kind::Interview,
        _ => Kind::Assessment,
    };
    let (Some(candidate), Some(job), Some(item)) = (
        field::<u64>(&body, "candidate"),
        field::<u64>(&body, "job"),
        field::<String>(&body, "item"),
    ) else {
        return page::message(
            "Nothing sent",
            "Pick a candidate, a job and a test or template (load them first).",
        );
    };
    let out = match kind {
        Kind::Assessment => sim.send_assessment(candidate, job, &item).await,
        Kind::Interview => sim.send_interview(candidate, job, &item).await,
    };
    let title = if out.id.is_some() { "Sent" } else { "Not sent" };
    page::send_outcome(title, &out)
}

async fn replay_form(State(sim): State<SimHandle>, body: Bytes) -> Html<String> {
    let Some(order) = field::<u64>(&body, "order") else {
        return page::message("Nothing replayed", "No order given.");
    };
    let out = sim.replay(order).await;
    page::send_outcome("Create request replayed", &out)
}
