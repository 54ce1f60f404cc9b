//! Question pages. Text and multiple-choice answers are plain forms (no JavaScript needed);
//! recorded answers and files are uploaded with tus by the page script, which then submits
//! the chosen take through the same form.

use super::{Chrome, LangQ, T, app_error, guard, open};
use crate::WebState;
use crate::pages::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use shortlist_app::AppError;
use shortlist_app::interview::Session;
use shortlist_app::interview::answers::AnswerInput;
use shortlist_app::interview::steps::Step;
use shortlist_domain::template::{Question, QuestionKind};

pub(crate) struct TakeView {
    pub n: i32,
    pub label: String,
}

pub(crate) struct ChoiceView {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "candidate/question.html")]
struct QuestionPage {
    c: Chrome,
    heading: String,
    question_id: String,
    prompt: String,
    required: bool,
    /// `video`, `audio`, `text`, `multiple_choice` or `file_upload`.
    kind: String,
    rec_mode: &'static str,
    /// `video` or `audio` for recorded answers, else empty.
    rec_kind: &'static str,
    think: u32,
    answer: u32,
    takes_allowed: u32,
    think_text: String,
    answer_text: String,
    takes_text: String,
    choices: Vec<ChoiceView>,
    multiple: bool,
    text: String,
    uploaded: Vec<TakeView>,
    uploaded_csv: String,
    error: Option<String>,
}

fn kind_name(k: QuestionKind) -> &'static str {
    match k {
        QuestionKind::Video => "video",
        QuestionKind::Audio => "audio",
        QuestionKind::Text => "text",
        QuestionKind::MultipleChoice => "multiple_choice",
        QuestionKind::FileUpload => "file_upload",
    }
}

async fn question_page(
    s: &WebState,
    sess: &Session,
    token: &str,
    q: &Question,
    input: Option<&AnswerInput>,
    error: Option<String>,
) -> Result<QuestionPage, AppError> {
    let t = T::for_tag(sess.locale());
    let n = sess.spec.questions.iter().position(|x| x.id == q.id).unwrap_or(0) + 1;
    let total = sess.spec.questions.len().to_string();
    let heading = t.fmt("question.progress", &[("n", &n.to_string()), ("total", &total)]);
    let uploaded: Vec<i32> = if q.kind.records_media() || q.kind == QuestionKind::FileUpload {
        shortlist_store::interviews::takes(&s.db, &sess.org, &sess.id, &q.id)
            .await?
            .into_iter()
            .map(|t| t.take)
            .collect()
    } else {
        vec![]
    };
    let chosen: &[String] = match input {
        Some(AnswerInput::Choices(c)) => c,
        _ => &[],
    };
    Ok(QuestionPage {
        c: Chrome::new(sess, token, heading.clone(), &format!("/q/{}", q.id)),
        question_id: q.id.clone(),
        prompt: q.prompt.clone(),
        required: q.required,
        kind: kind_name(q.kind).into(),
        rec_mode: "answer",
        rec_kind: match q.kind {
            QuestionKind::Video => "video",
            QuestionKind::Audio => "audio",
            _ => "",
        },
        think: q.think_time_secs,
        answer: q.answer_time_secs,
        takes_allowed: q.retakes + 1,
        think_text: if q.think_time_secs == 0 {
            t.get("question.think_none").to_string()
        } else {
            t.fmt("question.think_time", &[("s", &q.think_time_secs.to_string())])
        },
        answer_text: t.fmt("question.answer_time", &[("s", &q.answer_time_secs.to_string())]),
        takes_text: t.fmt("question.takes", &[("n", &(q.retakes + 1).to_string())]),
        choices: q
            .choices
            .iter()
            .map(|c| ChoiceView {
                id: c.id.clone(),
                label: c.label.clone(),
                checked: chosen.contains(&c.id),
            })
            .collect(),
        multiple: q.multiple,
        text: match input {
            Some(AnswerInput::Text(x)) => x.clone(),
            _ => String::new(),
        },
        uploaded_csv: uploaded.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","),
        uploaded: uploaded
            .iter()
            .map(|n| TakeView {
                n: *n,
                label: t.fmt("question.uploaded_take", &[("n", &n.to_string())]),
            })
            .collect(),
        heading,
        error,
    })
}

fn find<'a>(sess: &'a Session, id: &str) -> Option<&'a Question> {
    sess.spec.questions.iter().find(|q| q.id == id)
}

/// `GET /i/{token}/q/{question}`: only the question the candidate is at; an answered one is
/// never asked again (the request is redirected to the next step).
pub(super) async fn show(
    State(s): State<WebState>,
    Path((token, question)): Path<(String, String)>,
    lq: LangQ,
) -> Response {
    let sess = match open(&s, &token, lq.lang()).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    if let Some(r) = guard(&sess, &token, &Step::Question(question.clone())) {
        return r;
    }
    let Some(q) = find(&sess, &question) else {
        return app_error(&sess, &token, AppError::NotFound);
    };
    match question_page(&s, &sess, &token, q, None, None).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => app_error(&sess, &token, e),
    }
}

/// The answer a form carries: `skip`, `text`, `choice` (repeated) or `take`.
fn input_from(q: &Question, form: &[(String, String)]) -> AnswerInput {
    let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if value("skip").is_some() {
        return AnswerInput::Skip;
    }
    match q.kind {
        QuestionKind::Text => AnswerInput::Text(value("text").unwrap_or_default()),
        QuestionKind::MultipleChoice => AnswerInput::Choices(
            form.iter()
                .filter(|(k, _)| k == "choice")
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        _ => AnswerInput::Take(value("take").and_then(|v| v.trim().parse().ok()).unwrap_or(0)),
    }
}

/// `POST /i/{token}/q/{question}`: saves the answer and goes on to the next step.
pub(super) async fn submit(
    State(s): State<WebState>,
    Path((token, question)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let sess = match open(&s, &token, None).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    let Some(q) = find(&sess, &question) else {
        return app_error(&sess, &token, AppError::NotFound);
    };
    let input = input_from(q, &form);
    match s.interviews.answer(&sess, &question, input.clone()).await {
        Ok(_) => Redirect::to(&format!("/i/{token}/next")).into_response(),
        Err(AppError::Validation { fields }) => {
            let t = T::for_tag(sess.locale());
            let msg = fields.first().map(|f| super::field_message(t, f));
            match question_page(&s, &sess, &token, q, Some(&input), msg).await {
                Ok(p) => render(StatusCode::UNPROCESSABLE_ENTITY, &p),
                Err(e) => app_error(&sess, &token, e),
            }
        }
        Err(e) => app_error(&sess, &token, e),
    }
}
