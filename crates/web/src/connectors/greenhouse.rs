//! Greenhouse's Assessment Partner calls: `GET /connectors/greenhouse/list_tests`,
//! `POST …/send_test`, `GET …/test_status?partner_interview_id=`, `POST …/response_error`.
//! Every call carries the organisation key in HTTP Basic (key as user name, empty password).
//! Errors answer `{"message": …, "errors": [{"field": …, "message": …}]}`.

use crate::WebState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use shortlist_app::connectors::AtsConnection;
use shortlist_app::connectors::greenhouse::{AuthError, SendTest};

/// A send_test body is a few hundred bytes.
const MAX_BODY: usize = 64 * 1024;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/connectors/greenhouse/list_tests", get(list_tests))
        .route("/connectors/greenhouse/send_test", post(send_test))
        .route("/connectors/greenhouse/test_status", get(test_status))
        .route("/connectors/greenhouse/response_error", post(response_error))
}

/// Greenhouse's error answer.
pub(super) fn error(status: StatusCode, message: &str, fields: &[(String, String)]) -> Response {
    let errors: Vec<Value> = fields.iter().map(|(f, m)| json!({"field": f, "message": m})).collect();
    (status, Json(json!({"message": message, "errors": errors}))).into_response()
}

const ERRORS: super::JsonErrors = super::JsonErrors {
    render: error,
    invalid: StatusCode::BAD_REQUEST,
    ats: "greenhouse",
};

use super::Caller;

/// The connection the key names, within its request budget.
async fn authorised(s: &WebState, h: &HeaderMap, caller: Option<std::net::IpAddr>) -> Result<AtsConnection, Response> {
    let auth = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let conn = match s.greenhouse.authenticate(auth, caller).await {
        Ok(c) => c,
        Err(AuthError::Denied(why)) => {
            tracing::info!(reason = ?why, "greenhouse call refused");
            let mut resp = error(
                StatusCode::UNAUTHORIZED,
                "The API key was not accepted. Check the key entered in Greenhouse against Shortlist's Settings → Greenhouse.",
                &[],
            );
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Basic realm=\"Shortlist\""),
            );
            return Err(resp);
        }
        Err(AuthError::App(e)) => return Err(ERRORS.call(e.into())),
    };
    if let Err(wait) = super::inbound_budget(s, conn.id.as_str()) {
        return Err(ERRORS.over_budget(wait));
    }
    Ok(conn)
}

async fn list_tests(State(s): State<WebState>, ci: Caller, h: HeaderMap) -> Response {
    let conn = match authorised(&s, &h, ci.map(|c| c.0.0.ip())).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match s.greenhouse.list_tests(&conn).await {
        Ok(tests) => Json(tests).into_response(),
        Err(e) => ERRORS.call(e),
    }
}

async fn send_test(State(s): State<WebState>, ci: Caller, h: HeaderMap, body: Bytes) -> Response {
    let conn = match authorised(&s, &h, ci.map(|c| c.0.0.ip())).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if body.len() > MAX_BODY {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.", &[]);
    }
    let req: SendTest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "The body is not the JSON send_test expects.",
                &[("body".into(), e.to_string())],
            );
        }
    };
    match s.greenhouse.send_test(&conn, &req).await {
        Ok(id) => {
            s.wake.notify_one();
            Json(json!({"partner_interview_id": id})).into_response()
        }
        Err(e) => ERRORS.call(e),
    }
}

#[derive(Deserialize)]
struct StatusQuery {
    partner_interview_id: Option<String>,
}

async fn test_status(State(s): State<WebState>, ci: Caller, h: HeaderMap, q: Query<StatusQuery>) -> Response {
    let conn = match authorised(&s, &h, ci.map(|c| c.0.0.ip())).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(id) = q.0.partner_interview_id.filter(|i| !i.trim().is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "The request is not valid.",
            &[("partner_interview_id".into(), "required".into())],
        );
    };
    match s.greenhouse.test_status(&conn, &id).await {
        Ok(st) => Json(st).into_response(),
        Err(e) => ERRORS.call(e),
    }
}

async fn response_error(State(s): State<WebState>, ci: Caller, h: HeaderMap, body: Bytes) -> Response {
    let conn = match authorised(&s, &h, ci.map(|c| c.0.0.ip())).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if body.len() > MAX_BODY {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.", &[]);
    }
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "The body is not JSON.",
                &[("body".into(), e.to_string())],
            );
        }
    };
    match s.greenhouse.response_error(&conn, &v).await {
        Ok(()) => Json(json!({})).into_response(),
        Err(e) => ERRORS.call(e),
    }
}
