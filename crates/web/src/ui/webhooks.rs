//! Settings → Webhooks: administrators subscribe the organisation's endpoints to events (the
//! signing secret is shown once, at creation and rotation), enable or disable them, send a test,
//! and read each endpoint's delivery log with every attempt, redelivering a message by hand.
//! Endpoints partners subscribed in the organisation are listed read-only with the partner's
//! name: only the partner manages them, through the API.

use super::{Errors, NoticeQuery, field_error, see_other, value, when, when_opt};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use shortlist_app::AppError;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::credentials::hooks::PartnerEndpoint;
use shortlist_app::error::FieldError;
use shortlist_app::recruiting::Actor;
use shortlist_app::webhooks::{DeliveryView, EVENT_TYPES, EndpointPatch, EndpointView, NewEndpoint, WebhookError};

type Pairs = Vec<(String, String)>;

/// How many deliveries the log shows (newest first).
const LOG_SIZE: usize = 50;

pub struct EndpointLine {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: String,
    pub enabled: bool,
    pub disabled_reason: String,
    pub last_delivery: String,
}

fn last(d: Option<(String, chrono::DateTime<chrono::Utc>)>) -> String {
    d.map_or_else(|| "none yet".into(), |(state, at)| format!("{state}, {}", when(at)))
}

pub struct PartnerLine {
    pub partner: String,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub disabled_reason: String,
    pub last_delivery: String,
}

impl From<PartnerEndpoint> for PartnerLine {
    fn from(e: PartnerEndpoint) -> Self {
        PartnerLine {
            partner: e.partner_name,
            url: e.url,
            events: e.events.join(", "),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.unwrap_or_default(),
            last_delivery: last(e.last_delivery),
        }
    }
}

async fn line(s: &WebState, a: &Actor, e: EndpointView) -> Result<EndpointLine, AppError> {
    let newest = s.webhooks.deliveries(a, &e.id, 1).await?;
    Ok(EndpointLine {
        last_delivery: last(newest.into_iter().next().map(|d| (d.state, d.created_at))),
        id: e.id,
        url: e.url,
        description: e.description,
        events: e.events.join(", "),
        enabled: e.enabled,
        disabled_reason: e.disabled_reason.unwrap_or_default(),
    })
}

/// A secret just issued, shown this once.
pub struct Secret {
    pub endpoint_id: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "ui/webhooks.html")]
struct ListPage {
    csrf: String,
    endpoints: Vec<EndpointLine>,
    partner_endpoints: Vec<PartnerLine>,
    event_types: &'static [&'static str],
    new_secret: Option<Secret>,
    url: String,
    description: String,
    events: Vec<String>,
    errors: Errors,
    notice: Option<&'static str>,
}

impl ListPage {
    pub fn checked(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

async fn list_page(s: &WebState, a: &Actor, u: &CurrentUser) -> Result<ListPage, PageError> {
    let mut endpoints = Vec::new();
    for e in s.webhooks.list(a).await? {
        endpoints.push(line(s, a, e).await?);
    }
    let partner_endpoints = s.credentials.partner_endpoints(a).await?;
    Ok(ListPage {
        csrf: u.csrf_token.clone(),
        endpoints,
        partner_endpoints: partner_endpoints.into_iter().map(Into::into).collect(),
        event_types: &EVENT_TYPES,
        new_secret: None,
        url: String::new(),
        description: String::new(),
        events: Vec::new(),
        errors: Errors(vec![]),
        notice: None,
    })
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "deleted" => "The endpoint was deleted.",
        "enabled" => "The endpoint is enabled.",
        "disabled" => "The endpoint is disabled: it gets no more deliveries until you enable it.",
        "test" => "A test message is on its way; it shows in the log below.",
        "redeliver" => "The message is queued to be sent again with the same webhook-id.",
        _ => return None,
    })
}

pub async fn list(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut p = list_page(&s, &a, &u).await?;
    p.notice = notice(q.notice.as_deref());
    Ok(render(StatusCode::OK, &p))
}

/// A refusal of the form as field errors (a refused URL is an error of the URL field; an
/// unknown event of the event list); anything else is its error page.
fn form_errors(e: WebhookError) -> Result<Vec<FieldError>, PageError> {
    match e {
        WebhookError::UrlNotAllowed(r) => Ok(vec![field_error("url", r.0)]),
        WebhookError::App(AppError::Validation { fields }) => Ok(fields
            .into_iter()
            .map(|f| FieldError {
                field: if f.field.starts_with("events") {
                    "events".into()
                } else {
                    f.field
                },
                message: f.message,
            })
            .collect()),
        WebhookError::App(e) => Err(PageError(e)),
    }
}

pub async fn create(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&f, "csrf"))?;
    let events: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.clone())
        .collect();
    let req = NewEndpoint {
        url: value(&f, "url").trim().to_string(),
        events: events.clone(),
        description: value(&f, "description").to_string(),
    };
    match s.webhooks.create(&a, &req).await {
        Ok(made) => {
            let mut p = list_page(&s, &a, &u).await?;
            p.new_secret = Some(Secret {
                endpoint_id: made.endpoint.id,
                secret: made.secret,
            });
            Ok(render(StatusCode::CREATED, &p))
        }
        Err(e) => {
            let mut p = list_page(&s, &a, &u).await?;
            p.errors = Errors(form_errors(e)?);
            (p.url, p.description, p.events) = (req.url, req.description, events);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
    }
}

pub struct AttemptLine {
    pub attempt: i32,
    pub at: String,
    pub outcome: String,
    pub response_ms: i64,
}

pub struct DeliveryLine {
    pub id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub at: String,
    pub state: String,
    pub next_attempt: String,
    pub attempts: Vec<AttemptLine>,
}

impl From<DeliveryView> for DeliveryLine {
    fn from(d: DeliveryView) -> Self {
        DeliveryLine {
            id: d.id,
            webhook_id: d.webhook_id,
            event_type: d.event_type,
            at: when(d.created_at),
            next_attempt: if d.state == "pending" {
                when_opt(d.next_attempt_at)
            } else {
                String::new()
            },
            state: d.state,
            attempts: d
                .attempts
                .into_iter()
                .map(|t| AttemptLine {
                    attempt: t.attempt,
                    at: when(t.at),
                    outcome: match (t.status, t.error) {
                        (Some(code), _) => format!("HTTP {code}"),
                        (None, Some(e)) => e,
                        (None, None) => "no answer".into(),
                    },
                    response_ms: t.response_ms,
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "ui/webhook.html")]
struct DetailPage {
    csrf: String,
    e: EndpointLine,
    rotation_until: String,
    deliveries: Vec<DeliveryLine>,
    new_secret: Option<String>,
    notice: Option<&'static str>,
}

async fn detail_page(s: &WebState, a: &Actor, u: &CurrentUser, id: &str) -> Result<DetailPage, PageError> {
    let e = s.webhooks.get(a, id).await?;
    let deliveries = s.webhooks.deliveries(a, id, LOG_SIZE).await?;
    Ok(DetailPage {
        csrf: u.csrf_token.clone(),
        rotation_until: when_opt(e.previous_secret_expires_at),
        e: line(s, a, e).await?,
        deliveries: deliveries.into_iter().map(Into::into).collect(),
        new_secret: None,
        notice: None,
    })
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut p = detail_page(&s, &a, &u, &id).await?;
    p.notice = notice(q.notice.as_deref());
    Ok(render(StatusCode::OK, &p))
}

/// Enable, disable, rotate, test, delete: one POST each, with the action in the path.
pub async fn act(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&f, "csrf"))?;
    let page = format!("/settings/webhooks/{id}");
    let set = |enabled| EndpointPatch {
        enabled: Some(enabled),
        ..EndpointPatch::default()
    };
    let code = match action.as_str() {
        "enable" | "disable" => {
            let on = action == "enable";
            s.webhooks.update(&a, &id, &set(on)).await.map_err(|e| match e {
                WebhookError::App(e) => PageError(e),
                WebhookError::UrlNotAllowed(r) => PageError(AppError::field("url", r.0)),
            })?;
            if on { "enabled" } else { "disabled" }
        }
        "test" => {
            s.webhooks.send_test(&a, &id).await?;
            s.wake.notify_one();
            "test"
        }
        "delete" => {
            s.webhooks.delete(&a, &id).await?;
            return Ok(see_other("/settings/webhooks?notice=deleted"));
        }
        "rotate" => {
            let fresh = s.webhooks.rotate_secret(&a, &id).await?;
            let mut p = detail_page(&s, &a, &u, &id).await?;
            p.new_secret = Some(fresh.secret);
            return Ok(render(StatusCode::OK, &p));
        }
        _ => return Err(PageError(AppError::NotFound)),
    };
    Ok(see_other(&format!("{page}?notice={code}")))
}

pub async fn redeliver(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path((id, delivery)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&f, "csrf"))?;
    s.webhooks.redeliver(&a, &id, &delivery).await?;
    s.wake.notify_one();
    Ok(see_other(&format!("/settings/webhooks/{id}?notice=redeliver")))
}
