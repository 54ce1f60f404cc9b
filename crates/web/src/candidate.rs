//! The candidate's side, reached through the invitation link (no account).

use crate::WebState;
use crate::error::{PageError, page};
use crate::pages::render;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use shortlist_app::recruiting::candidate_link::LinkOutcome;

pub fn routes() -> Router<WebState> {
    Router::new().route("/i/{token}", get(landing))
}

#[derive(Template)]
#[template(path = "candidate/landing.html")]
struct LandingPage {
    company: String,
    position_title: String,
    candidate_name: String,
    expires: String,
    questions: usize,
    intro: String,
}

async fn landing(State(s): State<WebState>, Path(token): Path<String>) -> Result<Response, PageError> {
    let outcome = s.recruiting.open_link(&token).await?;
    Ok(match outcome {
        LinkOutcome::Open(l) => render(
            StatusCode::OK,
            &LandingPage {
                company: l.company,
                position_title: l.position_title,
                candidate_name: l.candidate_name,
                expires: l.expires_at.format("%A %-d %B %Y, %H:%M UTC").to_string(),
                questions: l.spec.questions.len(),
                intro: l.spec.description,
            },
        ),
        LinkOutcome::Closed {
            reason,
            company,
            contact,
        } => page(
            StatusCode::GONE,
            if reason == "cancelled" {
                "This interview was cancelled"
            } else {
                "This interview link has expired"
            },
            &format!("{company} can help: contact {contact}."),
        ),
        LinkOutcome::Unknown => page(
            StatusCode::NOT_FOUND,
            "This interview link is not valid",
            "Check that you copied the whole link from your e-mail, or ask the recruiter who invited you for a new one.",
        ),
    })
}
