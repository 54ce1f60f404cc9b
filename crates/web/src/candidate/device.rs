//! The device check (camera preview, microphone level, upload speed) and the practice
//! question, which is recorded and played back in the browser only.

use super::{Chrome, LangQ, T, app_error, guard, open};
use crate::WebState;
use crate::pages::render;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shortlist_app::interview::steps::{Step, needs_camera};
use shortlist_domain::template::QuestionKind;
use shortlist_store::interviews::Mark;

#[derive(Template)]
#[template(path = "candidate/device.html")]
struct Device {
    c: Chrome,
    heading: String,
    intro: String,
    camera: bool,
}

/// `GET /i/{token}/device`.
pub(super) async fn show(State(s): State<WebState>, Path(token): Path<String>, q: LangQ) -> Response {
    let sess = match open(&s, &token, q.lang()).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    if let Some(r) = guard(&sess, &token, &Step::DeviceCheck) {
        return r;
    }
    let t = T::for_tag(sess.locale());
    let camera = needs_camera(&sess.spec);
    let heading = t
        .get(if camera { "device.title" } else { "device.title_audio" })
        .to_string();
    let page = Device {
        c: Chrome::new(&sess, &token, heading.clone(), "/device"),
        intro: t
            .get(if camera { "device.intro" } else { "device.intro_audio" })
            .to_string(),
        heading,
        camera,
    };
    render(StatusCode::OK, &page)
}

async fn mark_and_continue(s: &WebState, token: &str, mark: Mark) -> Response {
    let sess = match open(s, token, None).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    match s.interviews.mark(&sess, mark).await {
        Ok(()) => Redirect::to(&format!("/i/{token}/next")).into_response(),
        Err(e) => app_error(&sess, token, e),
    }
}

/// `POST /i/{token}/device`: the check is done.
pub(super) async fn done(State(s): State<WebState>, Path(token): Path<String>) -> Response {
    mark_and_continue(&s, &token, Mark::DeviceChecked).await
}

/// `POST /i/{token}/speedtest`: receives a sample (about 256 KiB) and throws it away; the page
/// times the request.
pub(super) async fn speedtest(State(s): State<WebState>, Path(token): Path<String>, body: Bytes) -> Response {
    if let Err(r) = open(&s, &token, None).await {
        return r;
    }
    drop(body);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Template)]
#[template(path = "candidate/practice.html")]
struct Practice {
    c: Chrome,
    heading: String,
    intro: String,
    prompt: String,
    records: bool,
    rec_mode: &'static str,
    rec_kind: &'static str,
    question_id: &'static str,
    /// 0: as many takes as the candidate likes.
    takes_allowed: u32,
    uploaded_csv: &'static str,
    think: u32,
    answer: u32,
    think_text: String,
    answer_text: String,
}

/// `GET /i/{token}/practice`.
pub(super) async fn practice(State(s): State<WebState>, Path(token): Path<String>, q: LangQ) -> Response {
    let sess = match open(&s, &token, q.lang()).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    if let Some(r) = guard(&sess, &token, &Step::Practice) {
        return r;
    }
    let Some(pq) = sess.spec.practice_question.clone() else {
        return Redirect::to(&format!("/i/{token}/next")).into_response();
    };
    let t = T::for_tag(sess.locale());
    let heading = t.get("practice.title").to_string();
    let think = pq.think_time_secs.to_string();
    let page = Practice {
        c: Chrome::new(&sess, &token, heading.clone(), "/practice"),
        intro: t.get("practice.intro").to_string(),
        prompt: pq.prompt.clone(),
        records: pq.kind.records_media(),
        rec_mode: "practice",
        rec_kind: if pq.kind == QuestionKind::Video {
            "video"
        } else {
            "audio"
        },
        question_id: "practice",
        takes_allowed: 0,
        uploaded_csv: "",
        think: pq.think_time_secs,
        answer: pq.answer_time_secs,
        think_text: if pq.think_time_secs == 0 {
            t.get("question.think_none").to_string()
        } else {
            t.fmt("question.think_time", &[("s", &think)])
        },
        answer_text: t.fmt("question.answer_time", &[("s", &pq.answer_time_secs.to_string())]),
        heading,
    };
    render(StatusCode::OK, &page)
}

/// `POST /i/{token}/practice`: practice is over (nothing of it is saved).
pub(super) async fn practice_done(State(s): State<WebState>, Path(token): Path<String>) -> Response {
    mark_and_continue(&s, &token, Mark::PracticeDone).await
}
