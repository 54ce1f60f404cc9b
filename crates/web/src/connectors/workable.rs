//! Workable's calls, under a base URL per organisation `/connectors/workable/{account}`:
//! `GET tests`, `GET interview-templates`, `POST assessments`, `POST interviews`, each with
//! `Authorization: Bearer <the token we issued>`. Errors answer
//! `{"error": …, "errors": [{"field": …, "message": …}]}`.

use crate::WebState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use shortlist_app::connectors::AtsConnection;
use shortlist_app::connectors::workable::{AuthError, CreateOrder};

const MAX_BODY: usize = 64 * 1024;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/connectors/workable/{account}/tests", get(tests))
        .route("/connectors/workable/{account}/interview-templates", get(templates))
        .route("/connectors/workable/{account}/assessments", post(assessments))
        .route("/connectors/workable/{account}/interviews", post(interviews))
}

/// Workable's error answer (the shape is ours: Workable documents none for partners).
pub(super) fn error(status: StatusCode, message: &str, fields: &[(String, String)]) -> Response {
    let errors: Vec<Value> = fields.iter().map(|(f, m)| json!({"field": f, "message": m})).collect();
    (status, Json(json!({"error": message, "errors": errors}))).into_response()
}

const ERRORS: super::JsonErrors = super::JsonErrors {
    render: error,
    invalid: StatusCode::UNPROCESSABLE_ENTITY,
    ats: "workable",
};

use super::Caller;

async fn authorised(s: &WebState, account: &str, h: &HeaderMap, ci: Caller) -> Result<AtsConnection, Response> {
    let auth = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let conn = match s.workable.authenticate(account, auth, ci.map(|c| c.0.0.ip())).await {
        Ok(c) => c,
        Err(AuthError::Denied) => {
            let mut resp = error(
                StatusCode::UNAUTHORIZED,
                "The token was not accepted for this account. Check the token and base URL entered in Workable against Shortlist's Settings → Workable.",
                &[],
            );
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
            return Err(resp);
        }
        Err(AuthError::App(e)) => return Err(ERRORS.call(e.into())),
    };
    if let Err(wait) = super::inbound_budget(s, conn.id.as_str()) {
        return Err(ERRORS.over_budget(wait));
    }
    Ok(conn)
}

async fn list(s: WebState, account: String, h: HeaderMap, ci: Caller, key: &str) -> Response {
    let conn = match authorised(&s, &account, &h, ci).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match s.workable.packages(&conn).await {
        Ok(items) => Json(json!({ key: items })).into_response(),
        Err(e) => ERRORS.call(e),
    }
}

async fn tests(State(s): State<WebState>, Path(account): Path<String>, ci: Caller, h: HeaderMap) -> Response {
    list(s, account, h, ci, "tests").await
}

async fn templates(State(s): State<WebState>, Path(account): Path<String>, ci: Caller, h: HeaderMap) -> Response {
    list(s, account, h, ci, "interview_templates").await
}

async fn create(s: WebState, account: String, h: HeaderMap, ci: Caller, body: Bytes, interview: bool) -> Response {
    let conn = match authorised(&s, &account, &h, ci).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if body.len() > MAX_BODY {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.", &[]);
    }
    let req: CreateOrder = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "The body is not the JSON expected.",
                &[("body".into(), e.to_string())],
            );
        }
    };
    match s.workable.create(&conn, &req, interview).await {
        Ok((id, created)) => {
            s.wake.notify_one();
            // 201 for a new order, 200 for the same order asked for again.
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            (status, Json(json!({"id": id, "status": "pending"}))).into_response()
        }
        Err(e) => ERRORS.call(e),
    }
}

async fn assessments(
    State(s): State<WebState>,
    Path(account): Path<String>,
    ci: Caller,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    create(s, account, h, ci, body, false).await
}

async fn interviews(
    State(s): State<WebState>,
    Path(account): Path<String>,
    ci: Caller,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    create(s, account, h, ci, body, true).await
}
