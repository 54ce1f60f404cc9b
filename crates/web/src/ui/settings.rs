//! Organisation settings: invitation expiry, reminder schedule, and the wording of the
//! invitation, reminder and resend e-mails. Everyone may look; administrators change them.

use super::{Errors, NoticeQuery, field_error, field_errors, notice_text, see_other};
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
use shortlist_app::error::FieldError;
use shortlist_app::recruiting::Actor;
use shortlist_app::recruiting::mail::{EmailTemplate, KINDS, PLACEHOLDERS};
use shortlist_app::recruiting::settings::OrgSettings;
use shortlist_domain::Role;

pub struct EmailForm {
    pub kind: &'static str,
    pub title: &'static str,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub customised: bool,
    pub errors: Errors,
}

impl EmailForm {
    /// The form id of one of this e-mail's fields, e.g. `invitation_subject`.
    pub fn id(&self, field: &str) -> String {
        format!("{}_{field}", self.kind)
    }

    pub fn value(&self, field: &str) -> &str {
        match field {
            "subject" => &self.subject,
            "text_body" => &self.text_body,
            _ => &self.html_body,
        }
    }
}

#[derive(Template)]
#[template(path = "ui/settings.html")]
struct SettingsPage {
    csrf: String,
    is_admin: bool,
    /// Operators also get a link to the installation's partner page.
    is_operator: bool,
    expiry_days: String,
    reminder_hours: String,
    errors: Errors,
    emails: Vec<EmailForm>,
    placeholders: String,
    notice: Option<String>,
}

fn title_of(kind: &str) -> &'static str {
    match kind {
        "reminder" => "Reminder e-mail",
        "resend" => "Resend e-mail",
        _ => "Invitation e-mail",
    }
}

fn require_admin(a: &Actor) -> Result<(), PageError> {
    if a.role == Role::Admin {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden(
            "only administrators change the organisation's settings".into(),
        )))
    }
}

async fn load(s: &WebState, a: &Actor, u: &CurrentUser) -> Result<SettingsPage, PageError> {
    let r = &s.recruiting;
    let settings = r.org_settings(a).await?;
    let mut emails = vec![];
    for kind in KINDS {
        let t = r.email_template(a, kind).await?;
        emails.push(EmailForm {
            kind,
            title: title_of(kind),
            subject: t.template.subject,
            text_body: t.template.text_body,
            html_body: t.template.html_body,
            customised: t.customised,
            errors: Errors(vec![]),
        });
    }
    Ok(SettingsPage {
        csrf: u.csrf_token.clone(),
        is_admin: a.role == Role::Admin,
        is_operator: super::partners::is_operator(s, u),
        expiry_days: settings.default_expiry_days.to_string(),
        reminder_hours: settings
            .reminder_hours
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        errors: Errors(vec![]),
        emails,
        placeholders: PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{{{p}}}}}"))
            .collect::<Vec<_>>()
            .join(", "),
        notice: None,
    })
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut page = load(&s, &a, &u).await?;
    page.notice = notice_text(q.notice.as_deref());
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    default_expiry_days: String,
    #[serde(default)]
    reminder_hours: String,
}

fn read_settings(f: &SettingsForm) -> Result<OrgSettings, Vec<FieldError>> {
    let mut errs = vec![];
    let days = f.default_expiry_days.trim().parse().unwrap_or_else(|_| {
        errs.push(field_error("default_expiry_days", "a whole number of days"));
        0
    });
    let hours: Result<Vec<u32>, _> = f
        .reminder_hours
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::parse)
        .collect();
    let hours = hours.unwrap_or_else(|_| {
        errs.push(field_error(
            "reminder_hours",
            "whole numbers of hours separated by commas, e.g. 48, 24",
        ));
        vec![]
    });
    if errs.is_empty() {
        Ok(OrgSettings {
            default_expiry_days: days,
            reminder_hours: hours,
        })
    } else {
        Err(errs)
    }
}

pub async fn update(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<SettingsForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let errs = match read_settings(&f) {
        Err(errs) => errs,
        Ok(settings) => match s.recruiting.update_org_settings(&a, &settings).await {
            Ok(_) => return Ok(see_other("/settings?notice=saved")),
            Err(e) => field_errors(e)?,
        },
    };
    let mut page = load(&s, &a, &u).await?;
    page.expiry_days = f.default_expiry_days;
    page.reminder_hours = f.reminder_hours;
    // `reminder_hours[1]` belongs to the one reminder field.
    page.errors = Errors(
        errs.into_iter()
            .map(|e| match e.field.split_once('[') {
                Some((name, _)) => field_error(name, e.message),
                None => e,
            })
            .collect(),
    );
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(serde::Deserialize)]
pub struct EmailPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text_body: String,
    #[serde(default)]
    html_body: String,
}

pub async fn update_email(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(kind): Path<String>,
    Form(f): Form<EmailPost>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let t = EmailTemplate {
        subject: f.subject,
        text_body: f.text_body,
        html_body: f.html_body,
    };
    let errs = match s.recruiting.put_email_template(&a, &kind, &t).await {
        Ok(_) => return Ok(see_other(&format!("/settings?notice=saved#{kind}"))),
        Err(e) => field_errors(e)?,
    };
    let mut page = load(&s, &a, &u).await?;
    if let Some(form) = page.emails.iter_mut().find(|e| e.kind == kind) {
        form.subject = t.subject;
        form.text_body = t.text_body;
        form.html_body = t.html_body;
        form.errors = Errors(errs);
    }
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn reset_email(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(kind): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    s.recruiting.reset_email_template(&a, &kind).await?;
    Ok(see_other(&format!("/settings?notice=reset#{kind}")))
}
