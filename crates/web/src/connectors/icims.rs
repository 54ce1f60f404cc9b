//! iCIMS: `POST /connectors/icims/events` for every customer (routed on `customerId`), our
//! client-credentials token endpoint, and the signed-in page where a recruiter picks the
//! template for a job that has no package (option B). Replies use iCIMS's vendor error body
//! `{"error":{"userMessage":…,"debugErrorMessage":…}}`.

use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use shortlist_app::AppError;
use shortlist_app::connectors::icims::auth::{Denied, Presented};
use shortlist_app::connectors::icims::events::{Event, EventError, Reply};
use shortlist_app::recruiting::invitations::InviteOutcome;
use shortlist_domain::{PositionId, TemplateId};
use std::io::Read;
use std::net::SocketAddr;

/// What a refused caller is told (unknown customer and wrong credentials alike).
const REFUSED: &str = "Shortlist did not accept the credentials for this iCIMS customer. Ask your administrator to check the Shortlist connection.";

/// An event is a few hundred bytes; this leaves room for verbose payloads and nothing more.
const MAX_BODY: usize = 256 * 1024;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/connectors/icims/events", post(events))
        .route("/connectors/icims/oauth/token", post(token))
        .route("/connectors/icims/pick/{position}", get(pick_page).post(pick))
}

pub(super) fn vendor_error(status: StatusCode, user: &str, debug: &str) -> Response {
    let body = serde_json::json!({"error": {"userMessage": user, "debugErrorMessage": debug}});
    (status, Json(body)).into_response()
}

fn request_id(h: &HeaderMap) -> String {
    h.get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// The body, gunzipped when iCIMS says so, both within [`MAX_BODY`].
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, String> {
    let raw = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| format!("the body is larger than {MAX_BODY} bytes"))?;
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    // Some senders gzip without saying so; the magic bytes tell.
    if gzip || raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("the gzip body cannot be read: {e}"))?;
        if out.len() > MAX_BODY {
            return Err(format!("the unpacked body is larger than {MAX_BODY} bytes"));
        }
        return Ok(out);
    }
    Ok(raw.to_vec())
}

async fn events(State(s): State<WebState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let h = &parts.headers;
    let rid = request_id(h);
    let caller = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let body = match read_body(h, body).await {
        Ok(b) => b,
        Err(e) => return vendor_error(StatusCode::BAD_REQUEST, "Shortlist could not read the event.", &e),
    };
    let links = h.get(header::LINK).and_then(|v| v.to_str().ok());
    let ev = match Event::parse(&body, links) {
        Ok(ev) => ev,
        Err(e) => return vendor_error(StatusCode::BAD_REQUEST, "Shortlist could not read the event.", &e),
    };
    // One answer for an unknown customer id and for wrong credentials (or a caller outside the
    // allow-list), so the endpoint cannot be used to find out which customer ids are connected.
    // The real reason goes to our log only. An expired token can only come from someone who held
    // valid credentials, so saying so tells nobody anything new.
    let unauthorized = |why: &str| {
        tracing::info!(customer = %ev.customer_id, reason = why, request_id = %rid, "icims event refused");
        vendor_error(
            StatusCode::UNAUTHORIZED,
            REFUSED,
            "the credentials were not accepted for this customerId",
        )
    };
    let conn = match s.icims.connection_by_customer(&ev.customer_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return unauthorized("no connection for this customerId"),
        Err(e) => return failure(EventError::from(e), &rid),
    };
    let presented = Presented::from_header(h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()));
    match s.icims.authenticate(&conn, &presented, caller) {
        Ok(()) => {}
        Err(Denied::ExpiredToken) => {
            return vendor_error(StatusCode::UNAUTHORIZED, REFUSED, Denied::ExpiredToken.debug());
        }
        Err(denied) => return unauthorized(denied.debug()),
    }
    if let Err(wait) = super::inbound_budget(&s, conn.id.as_str()) {
        tracing::warn!(customer = %ev.customer_id, request_id = %rid, "icims events over the connection's rate limit");
        let mut resp = vendor_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Shortlist received too many events at once from this iCIMS account. Please try again in a moment.",
            "rate limited",
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(wait));
        return resp;
    }
    match s.icims.handle_event(&conn, &ev).await {
        Ok(Reply::Ok) => {
            s.wake.notify_one();
            StatusCode::OK.into_response()
        }
        Ok(Reply::SeeOther(url)) => {
            s.wake.notify_one();
            (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response()
        }
        Err(e) => failure(e, &rid),
    }
}

fn failure(e: EventError, rid: &str) -> Response {
    match e {
        EventError::BadRequest { user, debug } => vendor_error(StatusCode::BAD_REQUEST, &user, &debug),
        EventError::Unavailable(why) => {
            tracing::warn!(request_id = rid, error = %why, "icims event: temporary failure");
            let mut resp = vendor_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Shortlist is briefly unavailable. Please try again in a few minutes.",
                &format!("temporary failure ({why}); request id {rid}"),
            );
            // Not marked for the database circuit: iCIMS itself may be what is unavailable.
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from(crate::error::UNAVAILABLE_RETRY_SECS),
            );
            resp
        }
        EventError::Internal(err) => {
            tracing::error!(request_id = rid, error = %format!("{err:#}"), "icims event failed");
            vendor_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Shortlist could not handle this request. Please contact Shortlist support with the request id.",
                &format!("internal error; request id {rid}"),
            )
        }
    }
}

#[derive(Deserialize, Default)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

pub(super) fn oauth_unavailable() -> Response {
    let mut resp = oauth_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the service cannot reach its database; try again shortly",
    );
    crate::error::mark_unavailable(&mut resp);
    resp
}

fn oauth_error(status: StatusCode, code: &str, text: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": code, "error_description": text})),
    )
        .into_response()
}

/// RFC 6749 client credentials: the client authenticates with Basic or with form fields.
async fn token(State(s): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let form: TokenForm = serde_urlencoded_form(&body);
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "use grant_type=client_credentials",
        );
    }
    let presented = Presented::from_header(headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()));
    let (id, secret) = match (presented, form.client_id, form.client_secret) {
        (Presented::Basic { user, secret }, _, _) => (user, secret),
        (_, Some(id), Some(secret)) => (id, secret),
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client credentials are missing",
            );
        }
    };
    match s.icims.issue_token(&id, &secret).await {
        Ok(t) => (
            [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")],
            Json(t),
        )
            .into_response(),
        Err(AppError::Unauthorized) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ),
        Err(e) if e.fault() == Some(shortlist_app::faults::Fault::DatabaseUnavailable) => {
            tracing::warn!(error = %e, "icims token endpoint: database unavailable");
            oauth_unavailable()
        }
        Err(e) => {
            tracing::error!(error = %e, "icims token endpoint failed");
            oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "try again later")
        }
    }
}

fn serde_urlencoded_form(body: &[u8]) -> TokenForm {
    let mut f = TokenForm::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "grant_type" => f.grant_type = Some(v.into_owned()),
            "client_id" => f.client_id = Some(v.into_owned()),
            "client_secret" => f.client_secret = Some(v.into_owned()),
            _ => {}
        }
    }
    f
}

#[derive(Deserialize)]
struct PickQuery {
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    person: String,
}

struct Choice {
    id: String,
    key: String,
    name: String,
}

#[derive(Template)]
#[template(path = "ui/icims_pick.html")]
struct PickPage {
    csrf: String,
    position_id: String,
    position_title: String,
    workflow: String,
    person: String,
    templates: Vec<Choice>,
    error: Option<String>,
}

fn position_id(raw: &str) -> Result<PositionId, PageError> {
    PositionId::parse(raw).map_err(|_| PageError::from(AppError::NotFound))
}

async fn pick_page(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(pos): Path<String>,
    Query(q): Query<PickQuery>,
) -> Result<Response, PageError> {
    a.require_recruiter()?;
    let pos = position_id(&pos)?;
    let page = pick_view(&s, &a, &pos, &u.csrf_token, q.workflow, q.person, None).await?;
    Ok(render(StatusCode::OK, &page))
}

async fn pick_view(
    s: &WebState,
    a: &shortlist_app::recruiting::Actor,
    pos: &PositionId,
    csrf: &str,
    workflow: String,
    person: String,
    error: Option<String>,
) -> Result<PickPage, PageError> {
    let position = shortlist_store::positions::get(&s.db, &a.org_id, pos)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    let templates = shortlist_store::templates::list(&s.db, &a.org_id, false)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|t| Choice {
            id: t.id,
            key: t.key,
            name: t.name,
        })
        .collect();
    Ok(PickPage {
        csrf: csrf.to_string(),
        position_id: pos.to_string(),
        position_title: position.title,
        workflow,
        person,
        templates,
        error,
    })
}

async fn pick(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(pos): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    check_csrf(&u, &value("csrf"))?;
    a.require_recruiter()?;
    let pos = position_id(&pos)?;
    let (workflow, person) = (value("workflow"), value("person"));
    let again = |msg: String| pick_view(&s, &a, &pos, &u.csrf_token, workflow.clone(), person.clone(), Some(msg));
    let Ok(template) = TemplateId::parse(&value("template_id")) else {
        let page = again("Choose a template.".into()).await?;
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    match s.icims.pick_template(&a, &pos, &template, &workflow, &person).await {
        Ok(InviteOutcome::Created { invitation, .. } | InviteOutcome::Resent { invitation, .. }) => {
            s.wake.notify_one();
            Ok(Redirect::to(&format!("/invitations/{}", invitation.id)).into_response())
        }
        Ok(InviteOutcome::Duplicate { existing }) => {
            Ok(Redirect::to(&format!("/invitations/{}", existing.id)).into_response())
        }
        Err(EventError::BadRequest { user, .. }) => {
            let page = again(user).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(EventError::Unavailable(_)) => Err(PageError::from(AppError::Internal(anyhow::anyhow!(
            "iCIMS is unavailable; try again in a few minutes"
        )))),
        Err(EventError::Internal(e)) => Err(PageError::from(AppError::Internal(e))),
    }
}
