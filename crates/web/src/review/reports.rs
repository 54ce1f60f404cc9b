//! Reports: a printable page per candidate (answers, multiple-choice score, every evaluation,
//! the decision; the browser's print makes the PDF) and a CSV of a position's candidates.

use super::score_text;
use crate::WebState;
use crate::auth::PageActor;
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shortlist_app::AppError;
use shortlist_app::review::board::BoardQuery;
use shortlist_app::review::evaluate::EvaluationView;
use shortlist_app::review::{InterviewView, Viewer};
use shortlist_domain::{InvitationId, PositionId};

pub struct EvalLine {
    pub name: String,
    pub score: String,
    pub decision: String,
    pub comment: String,
    /// `(question prompt, rating, note)`.
    pub ratings: Vec<(String, String, String)>,
    pub criteria: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "review/report.html")]
struct ReportPage {
    v: InterviewView,
    generated: String,
    average: String,
    decision: String,
    evaluations: Vec<EvalLine>,
    hidden: bool,
}

fn eval_line(v: &InterviewView, labels: &[(String, String)], e: &EvaluationView) -> EvalLine {
    EvalLine {
        name: e.reviewer_name.clone(),
        score: score_text(e.score),
        decision: e.decision.clone().unwrap_or_default(),
        comment: e.comment.clone(),
        ratings: e
            .ratings
            .iter()
            .map(|r| {
                let prompt = v
                    .questions
                    .iter()
                    .find(|q| q.id == r.question_id)
                    .map_or_else(|| r.question_id.clone(), |q| q.prompt.clone());
                (
                    prompt,
                    r.rating.map(|n| n.to_string()).unwrap_or_default(),
                    r.note.clone(),
                )
            })
            .collect(),
        criteria: e
            .criteria
            .iter()
            .map(|c| {
                let label = labels
                    .iter()
                    .find(|(id, _)| *id == c.criterion_id)
                    .map_or_else(|| c.criterion_id.clone(), |(_, l)| l.clone());
                (label, c.rating.to_string())
            })
            .collect(),
    }
}

/// `GET /interviews/{id}/report`: what the reviewer may see, on one printable page.
pub async fn report(
    State(s): State<WebState>,
    PageActor(a, _): PageActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let inv = InvitationId::parse(&id).map_err(|_| AppError::NotFound)?;
    let r = &s.review.service;
    let v = r.interview(&a.org_id, &inv, &Viewer::Member(a.clone())).await?;
    let e = r.evaluations(&a, &inv).await?;
    let labels: Vec<(String, String)> = e.scorecard.iter().map(|c| (c.id.clone(), c.label.clone())).collect();
    let evaluations = e
        .mine
        .iter()
        .chain(e.others.iter())
        .map(|x| eval_line(&v, &labels, x))
        .collect();
    let p = ReportPage {
        generated: s.recruiting.clock.now().format("%Y-%m-%d %H:%M UTC").to_string(),
        average: score_text(e.average),
        decision: e.decision.clone().unwrap_or_else(|| "none yet".into()),
        hidden: e.hidden,
        evaluations,
        v,
    };
    Ok(render(StatusCode::OK, &p))
}

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// `GET /positions/{id}/review.csv`: every candidate with state, score and decision.
pub async fn csv(
    State(s): State<WebState>,
    PageActor(a, _): PageActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let pos = PositionId::parse(&id).map_err(|_| AppError::NotFound)?;
    let q = BoardQuery {
        sort: Some("name".into()),
        dir: Some("asc".into()),
        ..BoardQuery::default()
    };
    let rows = s.review.service.board(&a, &pos, &q).await?;
    let mut w = csv::Writer::from_writer(vec![]);
    let internal = |e: csv::Error| PageError(AppError::Internal(e.into()));
    w.write_record([
        "invitation_id",
        "candidate_name",
        "candidate_email",
        "position",
        "state",
        "completed_at",
        "average_score",
        "evaluations",
        "decision",
    ])
    .map_err(internal)?;
    for r in rows {
        w.write_record([
            cell(&r.invitation_id),
            cell(&r.candidate_name),
            cell(&r.candidate_email),
            cell(&r.position_title),
            r.state,
            r.completed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            r.average.map(|v| format!("{v:.2}")).unwrap_or_default(),
            r.evaluations.to_string(),
            r.decision.unwrap_or_default(),
        ])
        .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| PageError(AppError::Internal(anyhow::anyhow!("{e}"))))?;
    let disposition = format!("attachment; filename=\"review-{id}.csv\"");
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
