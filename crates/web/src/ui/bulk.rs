//! Inviting many candidates from a CSV file: upload → preview (problems flagged, nothing sent)
//! → send (each row its own invitation) → results.

use super::csv_rows::{self, CsvRow};
use super::positions::{load, position_id};
use super::{read_upload, value};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shortlist_app::AppError;
use shortlist_app::recruiting::bulk::MAX_BATCH;

pub struct PreviewRow {
    pub line: usize,
    pub email: String,
    pub name: String,
    pub round: String,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "ui/bulk_preview.html")]
struct PreviewPage {
    csrf: String,
    pos_id: String,
    pos_title: String,
    rows: Vec<PreviewRow>,
    ok_count: usize,
    rows_json: String,
    template_id: String,
    ignored: Vec<String>,
}

pub struct ResultRow {
    pub line: usize,
    pub email: String,
    pub status: &'static str,
    pub good: bool,
    pub message: String,
    pub prior: String,
}

#[derive(Template)]
#[template(path = "ui/bulk_results.html")]
struct ResultsPage {
    csrf: String,
    pos_id: String,
    pos_title: String,
    rows: Vec<ResultRow>,
    summary: Vec<(&'static str, usize)>,
}

fn status_text(status: &str) -> &'static str {
    match status {
        "sent" => "Sent",
        "resent" => "Sent again",
        "already_invited" => "Already invited",
        "duplicate_in_request" => "Duplicate in file",
        "invalid" => "Invalid",
        _ => "Not sent (error)",
    }
}

pub async fn preview(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = match read_upload(mp).await {
        Ok(up) => up,
        Err(resp) => return Ok(resp),
    };
    check_csrf(&u, up.text("csrf"))?;
    a.require_recruiter()?;
    let id = position_id(&id)?;
    let pos = s.recruiting.position(&a, &id).await?;
    let bytes = up.files.get("csv").map_or(&[][..], Vec::as_slice);
    let parsed = if bytes.is_empty() {
        Err("choose a CSV file".to_string())
    } else {
        csv_rows::parse(bytes, MAX_BATCH)
    };
    let parsed = match parsed {
        Ok(p) if p.rows.is_empty() => Err("the file has no candidates below its header row".into()),
        other => other,
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(msg) => {
            let mut page = load(&s, &a, &u, &id).await?;
            page.bulk_error = Some(format!("The CSV file could not be used: {msg}."));
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let problems = csv_rows::problems(&parsed.rows);
    let rows_json = serde_json::to_string(&parsed.rows).map_err(|e| AppError::Internal(e.into()))?;
    let rows: Vec<PreviewRow> = parsed
        .rows
        .into_iter()
        .zip(problems)
        .map(|(r, problem)| PreviewRow {
            line: r.line,
            email: r.email,
            name: r.name,
            round: r.round,
            problem,
        })
        .collect();
    let page = PreviewPage {
        csrf: u.csrf_token.clone(),
        pos_id: pos.id,
        pos_title: pos.title,
        ok_count: rows.iter().filter(|r| r.problem.is_none()).count(),
        rows,
        rows_json,
        template_id: up.text("template_id").to_string(),
        ignored: parsed.ignored,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn send(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&pairs, "csrf"))?;
    a.require_recruiter()?;
    let id = position_id(&id)?;
    let pos = s.recruiting.position(&a, &id).await?;
    let rows: Vec<CsvRow> = serde_json::from_str(value(&pairs, "rows")).map_err(|_| {
        AppError::field(
            "rows",
            "the list of candidates was damaged on the way; upload the file again",
        )
    })?;
    let template_id = Some(value(&pairs, "template_id")).filter(|t| !t.is_empty());
    let requests: Vec<_> = rows.iter().map(|r| csv_rows::request(r, template_id)).collect();
    let results = s.recruiting.invite_many(&a, &id, &requests).await?;
    s.wake.notify_one();
    let rows: Vec<ResultRow> = results
        .into_iter()
        .zip(rows)
        .map(|(res, row)| ResultRow {
            line: row.line,
            good: matches!(res.status, "sent" | "resent"),
            status: status_text(res.status),
            email: if res.email.is_empty() { row.email } else { res.email },
            message: res.message.unwrap_or_default(),
            prior: res.prior_positions.join(", "),
        })
        .collect();
    let mut summary: Vec<(&'static str, usize)> = vec![];
    for r in &rows {
        match summary.iter_mut().find(|(s, _)| *s == r.status) {
            Some((_, n)) => *n += 1,
            None => summary.push((r.status, 1)),
        }
    }
    let page = ResultsPage {
        csrf: u.csrf_token.clone(),
        pos_id: pos.id,
        pos_title: pos.title,
        rows,
        summary,
    };
    Ok(render(StatusCode::OK, &page))
}
