//! The iCIMS REST surface: profiles under `/customers/{customerId}/…`, and iCIMS's error shape
//! (non-2xx, `X-Error: <code>[:<field>]:<detail>` headers, `{"errors":[{"errorMessage","errorCode"}]}`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::results::{self, GROUP};
use super::state::State as SimState;
use super::{SimHandle, guard, page};

#[derive(Debug)]
pub(crate) struct IcimsError {
    pub status: u16,
    pub code: u8,
    pub field: Option<String>,
    pub message: String,
}

impl IcimsError {
    pub fn new(status: u16, code: u8, field: Option<&str>, message: &str) -> Self {
        IcimsError {
            status,
            code,
            field: field.map(str::to_owned),
            message: message.to_owned(),
        }
    }
    /// Code 2, RESOURCE_NOT_FOUND.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, 2, None, &format!("{what} not found."))
    }
    /// Code 3, RESOURCE_ACCESS_DENIED: another customer's data.
    pub fn denied() -> Self {
        Self::new(404, 3, None, "Access to this customer is denied.")
    }
    /// Code 1, FIELD_REQUIRED: iCIMS refuses any save while a required field is empty.
    pub fn required(field: &str) -> Self {
        Self::new(
            400,
            1,
            Some(field),
            &format!("The field {field} is required and has no value."),
        )
    }
    /// Malformed input. iCIMS's code for this was not captured; the simulator uses 4 (see docs).
    pub fn invalid(field: Option<&str>, message: &str) -> Self {
        Self::new(400, 4, field, message)
    }
    /// Code 6, as iCIMS answers bad credentials.
    pub fn unauthorized() -> Self {
        Self::new(401, 6, None, "Invalid credentials.")
    }
    pub fn quota() -> Self {
        Self::new(
            429,
            0,
            None,
            "The daily API call limit for this customer has been reached.",
        )
    }
    /// The error an injected failure answers with.
    pub fn injected(status: u16) -> Self {
        match status {
            404 => Self::not_found("Resource"),
            429 => Self::quota(),
            400 => Self::invalid(None, "Bad request (injected)."),
            401 => Self::unauthorized(),
            503 => Self::new(503, 0, None, "Service temporarily unavailable."),
            s => Self::new(s, 0, None, "An internal error occurred."),
        }
    }
}

impl IntoResponse for IcimsError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let x_error = match &self.field {
            Some(f) => format!("{}:{f}:{}", self.code, self.message),
            None => format!("{}:{}", self.code, self.message),
        };
        let body = json!({"errors": [{"errorMessage": self.message, "errorCode": self.code}]});
        let mut resp = (status, Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&x_error) {
            resp.headers_mut().insert("x-error", v);
        }
        resp
    }
}

type ApiResult = Result<Response, IcimsError>;

pub(crate) fn router(sim: SimHandle) -> Router {
    let customers = Router::new()
        .route("/people/{id}", profile("Person", SimState::person_json))
        .route("/jobs/{id}", profile("Job", SimState::job_json))
        .route(
            "/applicantworkflows/{id}",
            profile(WORKFLOW, SimState::workflow_json).patch(patch_workflow),
        )
        .route("/applicantworkflows/{id}/fields/{group}", post(add_entry))
        .route(
            "/applicantworkflows/{id}/fields/{group}/{entry}",
            patch(update_entry).delete(delete_entry),
        );
    Router::new()
        .route("/", get(page::index))
        .route("/move", post(page::move_form))
        .route("/oauth2/token", post(guard::token))
        .nest("/customers/{customer}", customers)
        .fallback(|| async { IcimsError::not_found("Resource") })
        .layer(axum::middleware::from_fn_with_state(sim.clone(), guard::guard))
        .with_state(sim)
}

fn check_customer(sim: &SimHandle, customer: &str) -> Result<(), IcimsError> {
    if customer == sim.inner.cfg.customer_id {
        Ok(())
    } else {
        Err(IcimsError::denied())
    }
}

fn parse_id(raw: &str, what: &str) -> Result<u64, IcimsError> {
    raw.parse().map_err(|_| IcimsError::not_found(what))
}

/// `?fields=a,b` narrows the answer to those fields (links always stay), as iCIMS does.
fn narrow(mut v: Value, q: &HashMap<String, String>) -> Value {
    if let (Some(fields), Value::Object(m)) = (q.get("fields"), &mut v) {
        let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
        m.retain(|k, _| k == "links" || wanted.contains(&k.as_str()));
    }
    v
}

fn api_base(sim: &SimHandle) -> String {
    sim.customer_url()
}

/// How one kind of profile is rendered: `(state, api base, id)`.
type Render = fn(&SimState, &str, u64) -> Option<Value>;

/// `GET` of one kind of profile: the customer, then the id, then the profile itself (`what`
/// names it in the 404), narrowed by `?fields=`.
fn profile(what: &'static str, render: Render) -> MethodRouter<SimHandle> {
    get(
        move |State(sim): State<SimHandle>,
              Path((customer, id)): Path<(String, String)>,
              Query(q): Query<HashMap<String, String>>| async move {
            check_customer(&sim, &customer)?;
            let id = parse_id(&id, what)?;
            let v = render(&sim.st(), &api_base(&sim), id).ok_or_else(|| IcimsError::not_found(what))?;
            ApiResult::Ok(Json(narrow(v, &q)).into_response())
        },
    )
}

const WORKFLOW: &str = "Applicant Workflow";

/// The customer, then the workflow id of `…/applicantworkflows/{id}`.
fn workflow_id(sim: &SimHandle, customer: &str, id: &str) -> Result<u64, IcimsError> {
    check_customer(sim, customer)?;
    parse_id(id, WORKFLOW)
}

fn check_group(group: &str) -> Result<(), IcimsError> {
    if group == GROUP {
        Ok(())
    } else {
        Err(IcimsError::not_found("Field group"))
    }
}

/// `…/fields/{group}/{entry}`: the group, then the entry id.
fn entry_id(group: &str, entry: &str) -> Result<u64, IcimsError> {
    check_group(group)?;
    parse_id(entry, "assessmentresults entry")
}

/// Checks shared by every write, after the URL's: the workflow exists, a JSON body with
/// lowercase keys, and the required-field mode.
fn write_body(sim: &SimHandle, id: u64, headers: &HeaderMap, body: &Bytes) -> Result<Value, IcimsError> {
    if sim.workflow(id).is_none() {
        return Err(IcimsError::not_found(WORKFLOW));
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(IcimsError::invalid(None, "Content-Type must be application/json."));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| IcimsError::invalid(None, &format!("The request body is not valid JSON: {e}")))?;
    results::check_lowercase_keys(&v)?;
    if let Some(f) = sim.st().required_field.clone() {
        return Err(IcimsError::required(&f));
    }
    Ok(v)
}

async fn patch_workflow(
    State(sim): State<SimHandle>,
    Path((customer, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = workflow_id(&sim, &customer, &id)?;
    let v = write_body(&sim, id, &headers, &body)?;
    results::patch_workflow(&mut sim.st(), id, &v)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST …/fields/assessmentresults` → 201 with `Location: …/fields/assessmentresults/{entryId}`.
/// An exact duplicate changes nothing: 200 with the existing entry's Location.
async fn add_entry(
    State(sim): State<SimHandle>,
    Path((customer, id, group)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = workflow_id(&sim, &customer, &id)?;
    check_group(&group)?;
    let v = write_body(&sim, id, &headers, &body)?;
    let p = results::parse_entry(&v)?;
    if p.entry.is_some() {
        return Err(IcimsError::invalid(
            Some("entry"),
            "A new entry cannot carry an entry id.",
        ));
    }
    let (entry, created) = results::add_entry(&mut sim.st(), id, &p)?;
    let location = format!("{}/applicantworkflows/{id}/fields/{GROUP}/{entry}", api_base(&sim));
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, [(header::LOCATION, location)]).into_response())
}

async fn update_entry(
    State(sim): State<SimHandle>,
    Path((customer, id, group, entry)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = workflow_id(&sim, &customer, &id)?;
    let entry = entry_id(&group, &entry)?;
    let v = write_body(&sim, id, &headers, &body)?;
    let p = results::parse_entry(&v)?;
    if p.entry.is_some_and(|e| e != entry) {
        return Err(IcimsError::invalid(
            Some("entry"),
            "The entry id in the body differs from the URL.",
        ));
    }
    results::update_entry(&mut sim.st(), id, &p, entry)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_entry(
    State(sim): State<SimHandle>,
    Path((customer, id, group, entry)): Path<(String, String, String, String)>,
) -> ApiResult {
    let id = workflow_id(&sim, &customer, &id)?;
    let entry = entry_id(&group, &entry)?;
    results::delete_entry(&mut sim.st(), id, entry)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
