//! Submitting the interview, and the completion page with its receipt.

use super::{Chrome, LangQ, T, app_error, field_message, guard, open, step_url};
use crate::WebState;
use crate::pages::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shortlist_app::AppError;
use shortlist_app::interview::Session;
use shortlist_app::interview::complete::Completion;
use shortlist_app::interview::steps::Step;

#[derive(Template)]
#[template(path = "candidate/finish.html")]
struct Finish {
    c: Chrome,
    heading: String,
    intro: String,
    missing: Vec<String>,
    back: String,
    deadline: super::when::Moment,
}

fn finish_page(sess: &Session, token: &str, missing: Vec<String>) -> Finish {
    let t = T::for_tag(sess.locale());
    let heading = t.get("finish.title").to_string();
    Finish {
        c: Chrome::new(sess, token, heading.clone(), "/finish"),
        intro: t.fmt("finish.intro", &[("company", &sess.company)]),
        back: step_url(token, &sess.next_step()),
        deadline: super::when::Moment::new(t, "finish.deadline", "deadline", sess.row.expires_at),
        heading,
        missing,
    }
}

/// `GET /i/{token}/finish`: everything is answered; the candidate submits.
pub(super) async fn show(State(s): State<WebState>, Path(token): Path<String>, lq: LangQ) -> Response {
    let sess = match open(&s, &token, lq.lang()).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    if let Some(r) = guard(&sess, &token, &Step::Finish) {
        return r;
    }
    render(StatusCode::OK, &finish_page(&sess, &token, vec![]))
}

/// `POST /i/{token}/complete`: 422 naming what is missing, else completed (once).
pub(super) async fn complete(State(s): State<WebState>, Path(token): Path<String>) -> Response {
    let sess = match open(&s, &token, None).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    match s.interviews.complete(&sess).await {
        Ok(Completion::Completed) => {
            s.wake.notify_one();
            Redirect::to(&format!("/i/{token}/done")).into_response()
        }
        Ok(Completion::AlreadyCompleted) => Redirect::to(&format!("/i/{token}/done")).into_response(),
        Err(AppError::Validation { fields }) => {
            let t = T::for_tag(sess.locale());
            let missing = fields.iter().map(|f| field_message(t, f)).collect();
            render(StatusCode::UNPROCESSABLE_ENTITY, &finish_page(&sess, &token, missing))
        }
        Err(e) => app_error(&sess, &token, e),
    }
}

pub(crate) struct ReceiptLine {
    pub prompt: String,
    pub answer: String,
    pub at_iso: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "candidate/done.html")]
struct Done {
    c: Chrome,
    heading: String,
    received: String,
    closing: String,
    lines: Vec<ReceiptLine>,
    /// Where the ATS wants the candidate back (iCIMS returnUrl of an Application Complete event).
    return_url: Option<String>,
}

/// `GET /i/{token}/done`: the receipt and the template's closing message.
pub(super) async fn done(State(s): State<WebState>, Path(token): Path<String>, lq: LangQ) -> Response {
    let sess = match open(&s, &token, lq.lang()).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    if let Some(r) = guard(&sess, &token, &Step::Done) {
        return r;
    }
    let t = T::for_tag(sess.locale());
    let receipt = s.interviews.receipt(&sess);
    let fmt = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let lines = receipt
        .items
        .iter()
        .map(|i| {
            let answer = match (i.skipped, i.section.as_str(), i.kind.as_str(), i.take) {
                (true, ..) => t.get("done.answer_skipped").to_string(),
                (_, "survey", ..) => t.get("done.answer_survey").to_string(),
                (_, _, "file_upload", _) => t.get("done.answer_file").to_string(),
                (_, _, _, Some(n)) => t.fmt("done.answer_take", &[("n", &n.to_string())]),
                (_, _, "multiple_choice", _) => t.get("done.answer_choice").to_string(),
                _ => t.get("done.answer_text").to_string(),
            };
            ReceiptLine {
                prompt: i.prompt.clone(),
                answer,
                at_iso: i.received_at.to_rfc3339(),
                at: fmt(i.received_at),
            }
        })
        .collect();
    let heading = t.get("done.title").to_string();
    let closing = if sess.spec.closing_message.trim().is_empty() {
        t.fmt("done.closing", &[("company", &sess.company)])
    } else {
        sess.spec.closing_message.clone()
    };
    let at = receipt.completed_at.map(fmt).unwrap_or_default();
    let page = Done {
        c: Chrome::new(&sess, &token, heading.clone(), "/done"),
        received: t.fmt("done.received", &[("at", &at)]),
        heading,
        closing,
        lines,
        return_url: shortlist_store::ats::return_url(&s.db, &sess.org, &sess.id)
            .await
            .ok()
            .flatten(),
    };
    render(StatusCode::OK, &page)
}
