//! "Waiting for my review" and the position's review board (sort, filter, bulk decision, share
//! links).

use super::interview::{Opt, options};
use super::score_text;
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shortlist_app::AppError;
use shortlist_app::review::board::{BoardQuery, BoardRow};
use shortlist_app::review::share::ShareLinkView;
use shortlist_domain::{InvitationId, PositionId};

pub struct Line {
    pub id: String,
    pub name: String,
    pub email: String,
    pub position_id: String,
    pub position: String,
    pub state: String,
    pub completed: String,
    pub score: String,
    pub evaluations: i64,
    pub decision: String,
    pub mine: bool,
}

fn line(r: BoardRow) -> Line {
    Line {
        completed: r
            .completed_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        score: score_text(r.average),
        decision: r.decision.unwrap_or_default(),
        id: r.invitation_id,
        name: r.candidate_name,
        email: r.candidate_email,
        position_id: r.position_id,
        position: r.position_title,
        state: r.state,
        evaluations: r.evaluations,
        mine: r.mine,
    }
}

#[derive(Template)]
#[template(path = "review/waiting.html")]
struct WaitingPage {
    csrf: String,
    lines: Vec<Line>,
}

/// `GET /reviews`: completed interviews the signed-in user has not evaluated yet.
pub async fn waiting(State(s): State<WebState>, PageActor(a, u): PageActor) -> Result<Response, PageError> {
    let rows = s.review.service.waiting(&a).await?;
    let p = WaitingPage {
        csrf: u.csrf_token.clone(),
        lines: rows.into_iter().map(line).collect(),
    };
    Ok(render(StatusCode::OK, &p))
}

pub struct ShareLine {
    pub id: String,
    pub label: String,
    pub candidates: usize,
    pub flags: String,
    pub status: String,
    pub active: bool,
}

fn share_line(l: ShareLinkView, now: chrono::DateTime<chrono::Utc>) -> ShareLine {
    let mut flags = vec![];
    if l.anonymised {
        flags.push("anonymised".to_string());
    }
    if l.access_code {
        flags.push("access code".into());
    }
    if !l.hidden_questions.is_empty() {
        flags.push(format!("hides {}", l.hidden_questions.join(", ")));
    }
    let (status, active) = match l.revoked_at {
        Some(_) => ("revoked".to_string(), false),
        None if l.expires_at <= now => ("expired".into(), false),
        None => (format!("until {}", l.expires_at.format("%Y-%m-%d %H:%M UTC")), true),
    };
    ShareLine {
        id: l.id,
        label: l.label,
        candidates: l.invitation_ids.len(),
        flags: flags.join(", "),
        status,
        active,
    }
}

#[derive(Template)]
#[template(path = "review/board.html")]
struct BoardPage {
    csrf: String,
    position_id: String,
    title: String,
    lines: Vec<Line>,
    sort: String,
    dir: String,
    state: String,
    decision: String,
    shares: Vec<ShareLine>,
    can_edit: bool,
    state_options: Vec<Opt>,
    decision_options: Vec<Opt>,
}

const DECISION_FILTERS: [&str; 4] = ["advance", "hold", "reject", "none"];

impl BoardPage {
    /// The link that sorts by `key`, flipping the direction when it already sorts by it.
    fn sort_href(&self, key: &str) -> String {
        let dir = if self.sort == key && self.dir == "asc" {
            "desc"
        } else {
            "asc"
        };
        format!(
            "/positions/{}/review?sort={key}&dir={dir}&state={}&decision={}",
            self.position_id, self.state, self.decision
        )
    }
}

/// `GET /positions/{id}/review?sort=&dir=&state=&decision=`.
pub async fn board(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, PageError> {
    let pos = PositionId::parse(&id).map_err(|_| AppError::NotFound)?;
    let position = s.recruiting.position(&a, &pos).await?;
    let rows = s.review.service.board(&a, &pos, &q).await?;
    let now = s.recruiting.clock.now();
    let shares = s.review.service.shares(&a, &pos).await?;
    let clean = |v: Option<String>| {
        v.unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    let p = BoardPage {
        csrf: u.csrf_token.clone(),
        position_id: id,
        title: position.title.clone(),
        lines: rows.into_iter().map(line).collect(),
        sort: clean(q.sort.clone()),
        dir: clean(q.dir.clone()),
        state: clean(q.state.clone()),
        decision: clean(q.decision.clone()),
        shares: shares.into_iter().map(|l| share_line(l, now)).collect(),
        can_edit: a.require_recruiter().is_ok(),
        state_options: options(
            &shortlist_app::recruiting::search::STATES,
            q.state.as_deref().unwrap_or_default(),
        ),
        decision_options: options(&DECISION_FILTERS, q.decision.as_deref().unwrap_or_default()),
    };
    Ok(render(StatusCode::OK, &p))
}

#[derive(serde::Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    invitation_ids: Vec<String>,
}

/// `POST /positions/{id}/review/decision`: one decision for the ticked candidates.
pub async fn decide(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<DecideForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let pos = PositionId::parse(&id).map_err(|_| AppError::NotFound)?;
    let ids = f
        .invitation_ids
        .iter()
        .map(|i| InvitationId::parse(i).map_err(|_| AppError::field("invitation_ids", "not a candidate")))
        .collect::<Result<Vec<_>, _>>()?;
    s.review.service.decide(&a, &pos, &ids, &f.decision).await?;
    s.wake.notify_one();
    Ok(Redirect::to(&format!("/positions/{id}/review")).into_response())
}
