//! The landing page (branding, position, intro video, what to expect, privacy notice and
//! consent) and the template's files shown to the candidate.

use super::{Chrome, LangQ, app_error, open, step_url};
use crate::WebState;
use crate::pages::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use shortlist_app::interview::Session;
use shortlist_app::interview::steps::{Step, records_media};

#[derive(Template)]
#[template(path = "candidate/landing.html")]
struct Landing {
    c: Chrome,
    heading: String,
    hello: String,
    intro: String,
    description: String,
    has_intro_video: bool,
    expect: Vec<String>,
    deadline: super::when::Moment,
    privacy: String,
    consent_label: String,
    error: Option<String>,
}

/// About how long the interview takes, in minutes.
fn minutes(s: &Session) -> u32 {
    let secs: u32 = s
        .spec
        .questions
        .iter()
        .map(|q| {
            if q.kind.records_media() {
                q.think_time_secs + q.answer_time_secs + 30
            } else {
                90
            }
        })
        .sum::<u32>()
        + 20 * s.spec.surveys.len() as u32;
    secs.div_ceil(60).max(1)
}

fn landing(s: &Session, token: &str, error: Option<String>) -> Landing {
    let t = super::T::for_tag(s.locale());
    let company = s.company.as_str();
    let heading = t.fmt("landing.title", &[("company", company)]);
    let name = s.row.candidate_name.trim();
    let hello = if name.is_empty() {
        t.get("landing.hello_anonymous").to_string()
    } else {
        t.fmt("landing.hello", &[("name", name)])
    };
    let mut expect = vec![
        t.fmt(
            "landing.expect_questions",
            &[("n", &s.spec.questions.len().to_string())],
        ),
        t.fmt("landing.expect_time", &[("minutes", &minutes(s).to_string())]),
    ];
    if records_media(&s.spec) {
        expect.push(t.get("landing.expect_recorded").to_string());
    }
    expect.push(t.get("common.saved").to_string());
    Landing {
        c: Chrome::new(s, token, heading.clone(), ""),
        intro: t.fmt(
            "landing.intro",
            &[("company", company), ("position", &s.row.position_title)],
        ),
        description: s.spec.description.clone(),
        has_intro_video: s.spec.intro_video_media_key.is_some(),
        expect,
        deadline: super::when::Moment::new(t, "landing.expect_deadline", "deadline", s.row.expires_at),
        privacy: t.fmt("landing.privacy_text", &[("company", company)]),
        consent_label: t.fmt("landing.consent_label", &[("company", company)]),
        heading,
        hello,
        error,
    }
}

/// `GET /i/{token}`: the landing page before consent; afterwards wherever the candidate is.
pub(super) async fn show(State(s): State<WebState>, Path(token): Path<String>, q: LangQ) -> Response {
    let sess = match open(&s, &token, q.lang()).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    let next = sess.next_step();
    if next != Step::Landing {
        return Redirect::to(&step_url(&token, &next)).into_response();
    }
    render(StatusCode::OK, &landing(&sess, &token, None))
}

/// `POST /i/{token}/consent` with `consent=yes`: records consent (with its time) and starts.
pub(super) async fn consent(
    State(s): State<WebState>,
    Path(token): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let sess = match open(&s, &token, None).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    if sess.progress.consent_at.is_some() {
        return Redirect::to(&step_url(&token, &sess.next_step())).into_response();
    }
    let agreed = form.iter().any(|(k, v)| k == "consent" && (v == "yes" || v == "on"));
    if !agreed {
        let t = super::T::for_tag(sess.locale());
        let error = Some(t.get("landing.consent_required").to_string());
        return render(StatusCode::UNPROCESSABLE_ENTITY, &landing(&sess, &token, error));
    }
    if let Err(e) = s.interviews.consent(&sess).await {
        return app_error(&sess, &token, e);
    }
    Redirect::to(&format!("/i/{token}/next")).into_response()
}

/// `GET /i/{token}/media/{kind}`: the template's logo, intro video or document N, streamed with
/// Range support (browsers seek in the intro video).
pub(super) async fn media(
    State(s): State<WebState>,
    Path((token, kind)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let sess = match open(&s, &token, None).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    let served = match s.interviews.template_media(&sess, &kind).await {
        Ok(f) => crate::api::media::stored_file(&s.recruiting.media, &f, &headers).await,
        Err(e) => Err(e),
    };
    served.unwrap_or_else(|e| app_error(&sess, &token, e))
}
