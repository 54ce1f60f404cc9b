//! The invite form of the position page: one candidate, with the duplicate notice (and its
//! Resend button) and the list of the candidate's earlier invitations.

use super::positions::{Duplicate, InviteForm, Prior, load, position_id};
use super::{Errors, day, field_error, field_errors, value};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shortlist_app::AppError;
use shortlist_app::error::FieldError;
use shortlist_app::recruiting::invitations::{InviteOutcome, InviteRequest};

fn optional_number<T: std::str::FromStr>(raw: &str, field: &str, errs: &mut Vec<FieldError>) -> Option<T> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    raw.parse().map_or_else(
        |_| {
            errs.push(field_error(field, "a whole number"));
            None
        },
        Some,
    )
}

pub async fn invite(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&pairs, "csrf"))?;
    a.require_recruiter()?;
    let id = position_id(&id)?;
    let form = InviteForm {
        email: value(&pairs, "email").trim().to_string(),
        name: value(&pairs, "name").trim().to_string(),
        template_id: value(&pairs, "template_id").to_string(),
        round: value(&pairs, "round").trim().to_string(),
        expires_in_days: value(&pairs, "expires_in_days").trim().to_string(),
    };
    let mut errs = vec![];
    let req = InviteRequest {
        email: form.email.clone(),
        name: form.name.clone(),
        template_id: Some(form.template_id.clone()).filter(|t| !t.is_empty()),
        round: optional_number(&form.round, "round", &mut errs),
        expires_in_days: optional_number(&form.expires_in_days, "expires_in_days", &mut errs),
        resend: value(&pairs, "resend") == "1",
        ..InviteRequest::default()
    };
    let outcome = if errs.is_empty() {
        s.recruiting.invite(&a, &id, &req).await
    } else {
        Err(AppError::Validation { fields: errs })
    };
    let (status, notice, prior, duplicate, alert, errors) = match outcome {
        Ok(InviteOutcome::Created { invitation, prior }) => {
            s.wake.notify_one();
            let notice = format!("Invitation sent to {}.", invitation.candidate.email);
            (StatusCode::OK, Some(notice), prior, None, None, vec![])
        }
        Ok(InviteOutcome::Resent { invitation, prior }) => {
            s.wake.notify_one();
            let notice = format!("The link was sent again to {}.", invitation.candidate.email);
            (StatusCode::OK, Some(notice), prior, None, None, vec![])
        }
        Ok(InviteOutcome::Duplicate { existing: e }) => {
            let dup = Duplicate {
                email: e.candidate.email.clone(),
                date: day(e.sent_at.unwrap_or(e.created_at)),
                state: e.state.clone(),
                template_id: e.template.id.clone(),
                round: e.round,
            };
            (StatusCode::CONFLICT, None, vec![], Some(dup), None, vec![])
        }
        Err(AppError::Conflict { message, .. }) => (StatusCode::CONFLICT, None, vec![], None, Some(message), vec![]),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            vec![],
            None,
            None,
            field_errors(e)?,
        ),
    };
    let mut page = load(&s, &a, &u, &id).await?;
    if status != StatusCode::OK {
        page.form = form;
    }
    page.notice = notice;
    page.prior = prior
        .into_iter()
        .map(|p| Prior {
            date: day(p.sent_at.unwrap_or(p.created_at)),
            title: p.position.title,
            state: p.state,
        })
        .collect();
    page.duplicate = duplicate;
    page.alert = alert;
    page.errors = Errors(errors);
    Ok(render(status, &page))
}
