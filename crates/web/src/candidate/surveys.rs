//! The surveys before and after the questions, as one plain form per placement.

use super::{Chrome, LangQ, T, app_error, field_message, guard, open};
use crate::WebState;
use crate::pages::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use shortlist_app::AppError;
use shortlist_app::error::FieldError;
use shortlist_app::interview::Session;
use shortlist_app::interview::steps::Step;
use shortlist_domain::template::{SurveyKind, SurveyPlacement};
use std::collections::HashMap;

pub(crate) struct OptionView {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub(crate) struct SurveyView {
    pub id: String,
    /// `text`, `single_choice`, `multiple_choice`, `consent` or `scale`.
    pub kind: &'static str,
    pub prompt: String,
    pub required: bool,
    pub options: Vec<OptionView>,
    pub text: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "candidate/survey.html")]
struct SurveyPage {
    c: Chrome,
    heading: String,
    placement: &'static str,
    items: Vec<SurveyView>,
    errors: Vec<String>,
}

fn placement_of(raw: &str) -> Option<SurveyPlacement> {
    match raw {
        "before" => Some(SurveyPlacement::Before),
        "after" => Some(SurveyPlacement::After),
        _ => None,
    }
}

fn survey_page(
    sess: &Session,
    token: &str,
    p: SurveyPlacement,
    given: &HashMap<String, Vec<String>>,
    errors: &[FieldError],
) -> SurveyPage {
    let t = T::for_tag(sess.locale());
    let (name, heading) = match p {
        SurveyPlacement::Before => ("before", t.get("survey.title_before")),
        SurveyPlacement::After => ("after", t.get("survey.title_after")),
    };
    let items = sess
        .spec
        .surveys
        .iter()
        .filter(|q| q.placement == p && sess.answer(&q.id).is_none())
        .map(|q| {
            let values = given.get(&q.id).cloned().unwrap_or_default();
            let opt = |value: String, label: String| OptionView {
                checked: values.contains(&value),
                value,
                label,
            };
            let (kind, options) = match q.kind {
                SurveyKind::Text => ("text", vec![]),
                SurveyKind::SingleChoice => (
                    "single_choice",
                    q.options.iter().map(|o| opt(o.clone(), o.clone())).collect(),
                ),
                SurveyKind::MultipleChoice => (
                    "multiple_choice",
                    q.options.iter().map(|o| opt(o.clone(), o.clone())).collect(),
                ),
                SurveyKind::Consent => ("consent", vec![opt("accepted".into(), t.get("survey.accept").into())]),
                SurveyKind::Scale => ("scale", (1..=5).map(|n| opt(n.to_string(), n.to_string())).collect()),
            };
            let field = format!("surveys.{}", q.id);
            SurveyView {
                id: q.id.clone(),
                kind,
                prompt: q.prompt.clone(),
                required: q.required || q.kind == SurveyKind::Consent,
                options,
                text: values.join("\n"),
                error: errors.iter().find(|e| e.field == field).map(|e| field_message(t, e)),
            }
        })
        .collect();
    SurveyPage {
        c: Chrome::new(sess, token, heading.to_string(), &format!("/survey/{name}")),
        heading: heading.to_string(),
        placement: name,
        items,
        errors: errors.iter().map(|e| field_message(t, e)).collect(),
    }
}

/// `GET /i/{token}/survey/{before|after}`.
pub(super) async fn show(
    State(s): State<WebState>,
    Path((token, placement)): Path<(String, String)>,
    lq: LangQ,
) -> Response {
    let sess = match open(&s, &token, lq.lang()).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    let Some(p) = placement_of(&placement) else {
        return app_error(&sess, &token, AppError::NotFound);
    };
    if let Some(r) = guard(&sess, &token, &Step::Survey(p)) {
        return r;
    }
    render(StatusCode::OK, &survey_page(&sess, &token, p, &HashMap::new(), &[]))
}

/// `POST /i/{token}/survey/{before|after}`: the survey's field names are the survey ids.
pub(super) async fn submit(
    State(s): State<WebState>,
    Path((token, placement)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let sess = match open(&s, &token, None).await {
        Ok(sess) => sess,
        Err(r) => return r,
    };
    let Some(p) = placement_of(&placement) else {
        return app_error(&sess, &token, AppError::NotFound);
    };
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form {
        values.entry(k).or_default().push(v);
    }
    match s.interviews.answer_surveys(&sess, p, &values).await {
        Ok(()) => Redirect::to(&format!("/i/{token}/next")).into_response(),
        Err(AppError::Validation { fields }) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &survey_page(&sess, &token, p, &values, &fields),
        ),
        Err(e) => app_error(&sess, &token, e),
    }
}
