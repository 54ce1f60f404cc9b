//! Settings → iCIMS: the organisation's connection, what the customer gives iCIMS (endpoint,
//! credentials, packages, our addresses), trigger and list-value changes, a connection test and
//! parked write-backs. Everyone may look; administrators change it. The inbound secret is shown
//! once, on creation or rotation.

use super::{Errors, NoticeQuery, field_errors, notice_text, see_other, when_opt};
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
use shortlist_app::connectors::icims::connection::InboundCredentials;
use shortlist_app::connectors::icims::diagnose::TestReport;
use shortlist_app::connectors::icims::setup::Package;
use shortlist_app::connectors::icims::{Connection, NewConnectionInput, StatusValues};
use shortlist_app::connectors::writeback;
use shortlist_app::error::FieldError;
use shortlist_app::recruiting::Actor;
use shortlist_domain::{InvitationId, Role};

pub struct ParkedLine {
    pub invitation_id: String,
    pub kind: String,
    pub message: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "ui/icims.html")]
struct IcimsPage {
    csrf: String,
    is_admin: bool,
    conn: Option<Connection>,
    endpoint: String,
    token_url: String,
    packages: Vec<Package>,
    parked: Vec<ParkedLine>,
    used_today: i64,
    /// Credentials just generated, shown this once.
    new_creds: Option<InboundCredentials>,
    test: Option<TestReport>,
    errors: Errors,
    form: CreateForm,
    notice: Option<String>,
}

impl IcimsPage {
    fn opt(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
    pub fn resend(&self) -> &str {
        self.conn.as_ref().map_or("", |c| Self::opt(&c.resend_status))
    }
    pub fn triggers(&self) -> String {
        self.conn
            .as_ref()
            .map(|c| c.trigger_statuses.join(", "))
            .unwrap_or_default()
    }
    pub fn allowlist(&self) -> String {
        match self.conn.as_ref().and_then(|c| c.caller_allowlist.as_ref()) {
            Some(v) => v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            None => "any address".into(),
        }
    }
    pub fn value(&self, which: &str) -> &str {
        let Some(c) = &self.conn else { return "" };
        let v = &c.status_values;
        match which {
            "sent" => &v.sent,
            "in_progress" => &v.in_progress,
            "complete" => &v.complete,
            "expired" => Self::opt(&v.expired),
            _ => Self::opt(&v.cancelled),
        }
    }
}

fn require_admin(a: &Actor) -> Result<(), PageError> {
    if a.role == Role::Admin {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden(
            "only administrators change the iCIMS connection".into(),
        )))
    }
}

struct Extra {
    new_creds: Option<InboundCredentials>,
    test: Option<TestReport>,
    errors: Vec<FieldError>,
    form: CreateForm,
    notice: Option<String>,
}

impl Extra {
    fn none() -> Extra {
        Extra {
            new_creds: None,
            test: None,
            errors: vec![],
            form: CreateForm::default(),
            notice: None,
        }
    }
}

async fn page(s: &WebState, a: &Actor, u: &CurrentUser, x: Extra) -> Result<IcimsPage, PageError> {
    let conn = s.icims.connection_for_org(&a.org_id).await?;
    let used_today = match &conn {
        Some(c) => {
            let day = s.recruiting.clock.now().format("%Y-%m-%d").to_string();
            s.icims.requests_on(c.id.as_str(), &day).await?
        }
        None => 0,
    };
    let public = s.recruiting.links.public_url();
    let mut form = x.form;
    if form.observer.is_empty() {
        form.observer = u.email.clone();
    }
    Ok(IcimsPage {
        csrf: u.csrf_token.clone(),
        is_admin: a.role == Role::Admin,
        endpoint: format!("{public}/connectors/icims/events"),
        token_url: format!("{public}/connectors/icims/oauth/token"),
        packages: s.icims.packages(&a.org_id).await?,
        parked: s
            .icims
            .parked_writebacks(&a.org_id)
            .await?
            .into_iter()
            .map(|r| ParkedLine {
                invitation_id: r.invitation_id,
                kind: r.parked_kind.unwrap_or_default(),
                message: r.parked_error.unwrap_or_default(),
                at: when_opt(r.parked_at),
            })
            .collect(),
        conn,
        used_today,
        new_creds: x.new_creds,
        test: x.test,
        errors: Errors(x.errors),
        form,
        notice: x.notice,
    })
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let x = Extra {
        notice: notice_text(q.notice.as_deref()),
        ..Extra::none()
    };
    Ok(render(StatusCode::OK, &page(&s, &a, &u, x).await?))
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct CreateForm {
    csrf: String,
    pub customer_id: String,
    pub region: String,
    pub api_base_url: String,
    pub outbound_auth: String,
    pub outbound_user: String,
    outbound_secret: String,
    pub outbound_token_url: String,
    pub inbound_auth: String,
    pub trigger_statuses: String,
    pub resend_status: String,
    pub status_sent: String,
    pub status_in_progress: String,
    pub status_complete: String,
    pub status_expired: String,
    pub status_cancelled: String,
    pub observer: String,
    pub allow_callers: String,
    pub daily_budget: String,
}

fn some(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|s| !s.is_empty())
}

fn list(v: &str) -> Vec<String> {
    v.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn values(f: &CreateForm) -> StatusValues {
    StatusValues {
        sent: f.status_sent.trim().to_string(),
        in_progress: f.status_in_progress.trim().to_string(),
        complete: f.status_complete.trim().to_string(),
        expired: some(&f.status_expired),
        cancelled: some(&f.status_cancelled),
    }
}

/// Renders the page again with the form's errors (422), or the error page for other failures.
async fn invalid(
    s: &WebState,
    a: &Actor,
    u: &CurrentUser,
    e: AppError,
    form: CreateForm,
) -> Result<Response, PageError> {
    let errors = field_errors(e)?;
    let x = Extra {
        errors,
        form,
        ..Extra::none()
    };
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page(s, a, u, x).await?))
}

pub async fn create(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<CreateForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let observer = match s.icims.org_user(&a.org_id, &f.observer).await {
        Ok(id) => id,
        Err(e) => return invalid(&s, &a, &u, e, f).await,
    };
    let daily_budget = match f.daily_budget.trim() {
        "" => None,
        n => match n.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return invalid(
                    &s,
                    &a,
                    &u,
                    AppError::field("daily_budget", "a positive whole number"),
                    f,
                )
                .await;
            }
        },
    };
    let callers = list(&f.allow_callers);
    let input = NewConnectionInput {
        customer_id: f.customer_id.clone(),
        region: some(&f.region).unwrap_or_else(|| "us".into()),
        api_base_url: some(&f.api_base_url),
        outbound_auth_kind: some(&f.outbound_auth).unwrap_or_else(|| "basic".into()),
        outbound_user: f.outbound_user.clone(),
        outbound_secret: f.outbound_secret.clone(),
        outbound_token_url: some(&f.outbound_token_url),
        inbound_auth_kind: some(&f.inbound_auth).unwrap_or_else(|| "basic".into()),
        trigger_statuses: list(&f.trigger_statuses),
        resend_status: some(&f.resend_status),
        status_values: values(&f),
        observer_user_id: observer,
        caller_allowlist: (!callers.is_empty()).then_some(callers),
        daily_budget,
    };
    match s.icims.create_connection(&a.org_id, &input).await {
        Ok((_, creds)) => {
            let x = Extra {
                new_creds: Some(creds),
                ..Extra::none()
            };
            Ok(render(StatusCode::CREATED, &page(&s, &a, &u, x).await?))
        }
        Err(e) => invalid(&s, &a, &u, e, f).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TriggersForm {
    csrf: String,
    trigger_statuses: String,
    resend_status: String,
    status_sent: String,
    status_in_progress: String,
    status_complete: String,
    status_expired: String,
    status_cancelled: String,
}

pub async fn update(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<TriggersForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let v = CreateForm {
        status_sent: f.status_sent,
        status_in_progress: f.status_in_progress,
        status_complete: f.status_complete,
        status_expired: f.status_expired,
        status_cancelled: f.status_cancelled,
        ..CreateForm::default()
    };
    let triggers = list(&f.trigger_statuses);
    let done = s
        .icims
        .set_workflow(&a.org_id, &triggers, some(&f.resend_status).as_deref(), &values(&v))
        .await;
    match done {
        Ok(()) => Ok(see_other("/settings/icims?notice=saved")),
        Err(e) => invalid(&s, &a, &u, e, CreateForm::default()).await,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Csrf {
    csrf: String,
}

pub async fn rotate(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<Csrf>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let creds = s.icims.rotate_inbound(&a.org_id, None).await?;
    let x = Extra {
        new_creds: Some(creds),
        ..Extra::none()
    };
    Ok(render(StatusCode::OK, &page(&s, &a, &u, x).await?))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    csrf: String,
    job_id: String,
}

pub async fn test(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<TestForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let job = f.job_id.trim();
    if job.is_empty() || !job.chars().all(|c| c.is_ascii_alphanumeric()) {
        let e = AppError::field("job_id", "the id of a job in iCIMS (digits)");
        return invalid(&s, &a, &u, e, CreateForm::default()).await;
    }
    let conn = s.icims.connection_for_org(&a.org_id).await?.ok_or(AppError::NotFound)?;
    let report = s.icims.test_connection(&conn, job).await?;
    let x = Extra {
        test: Some(report),
        ..Extra::none()
    };
    Ok(render(StatusCode::OK, &page(&s, &a, &u, x).await?))
}

pub async fn retry(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(f): Form<Csrf>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let inv = InvitationId::parse(&id).map_err(|_| AppError::NotFound)?;
    if !writeback::retry_parked(&s.icims.db, &a.org_id, &inv)
        .await
        .map_err(AppError::from)?
    {
        return Err(PageError(AppError::NotFound));
    }
    s.wake.notify_one();
    Ok(see_other("/settings/icims?notice=retrying"))
}
