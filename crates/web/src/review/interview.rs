//! The interview page. A signed-in user of the organisation gets everything plus the evaluation
//! form (with or without the key in the URL); a signed-in user of another organisation gets 404;
//! without a session the key must match and the organisation must allow the read-only view.

use super::score_text;
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::{PageError, page};
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use shortlist_app::AppError;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::recruiting::Actor;
use shortlist_app::review::evaluate::{CriterionRating, EvaluationInput, Evaluations, QuestionRating};
use shortlist_app::review::view::QuestionView;
use shortlist_app::review::{InterviewView, KeyAccess, Viewer};
use shortlist_domain::{InvitationId, OrgId};
use std::collections::HashMap;

pub struct QuestionLine {
    pub q: QuestionView,
    /// Where the player or download gets the submitted take.
    pub media_url: String,
    /// Play with an audio element (audio answers, and video in anonymised share links).
    pub audio: bool,
    /// The take's length as m:ss, and its poster image; empty until the media probe ran.
    pub duration: String,
    pub poster_url: String,
    /// Why there is no player (an anonymised link without an audio-only copy); empty otherwise.
    pub unavailable: String,
    pub options: Vec<Opt>,
    pub my_note: String,
}

/// One choice of a select or radio group.
pub struct Opt {
    pub value: &'static str,
    pub selected: bool,
}

pub fn options(values: &[&'static str], current: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt {
            value: v,
            selected: *v == current,
        })
        .collect()
}

const LEVELS: [&str; 5] = ["1", "2", "3", "4", "5"];

pub struct CriterionLine {
    pub id: String,
    pub label: String,
    pub options: Vec<Opt>,
}

pub struct OtherLine {
    pub name: String,
    pub score: String,
    pub decision: String,
    pub comment: String,
    pub ratings: String,
}

pub struct EvalBlock {
    pub criteria: Vec<CriterionLine>,
    pub comment: String,
    pub decisions: Vec<Opt>,
    pub submitted: bool,
    pub hidden: bool,
    pub count: i64,
    pub average: String,
    pub team_decision: String,
    pub others: Vec<OtherLine>,
}

#[derive(Template)]
#[template(path = "review/interview.html")]
pub struct InterviewPage {
    pub csrf: String,
    pub signed_in: bool,
    pub v: InterviewView,
    pub candidate: String,
    pub questions: Vec<QuestionLine>,
    pub doc_base: String,
    pub eval: Option<EvalBlock>,
    pub notice: Option<String>,
    pub back: Option<String>,
}

fn inv_id(raw: &str) -> Result<InvitationId, PageError> {
    InvitationId::parse(raw).map_err(|_| PageError(AppError::NotFound))
}

/// Builds the page for any viewer. `media_base`/`doc_base` are the prefixes of this viewer's
/// media routes.
pub fn page_of(
    v: InterviewView,
    eval: Option<&Evaluations>,
    media_base: &str,
    anonymised: bool,
) -> (Vec<QuestionLine>, Option<EvalBlock>, String) {
    let mine = eval.and_then(|e| e.mine.as_ref());
    let questions = v
        .questions
        .iter()
        .map(|q| {
            let r = mine.and_then(|m| m.ratings.iter().find(|r| r.question_id == q.id));
            QuestionLine {
                media_url: q.take.map(|t| format!("{media_base}/{}/{t}", q.id)).unwrap_or_default(),
                // An audio-only answer to a video question is audio too: a video player would
                // show an empty black frame.
                audio: q.kind == "audio"
                    || (anonymised && q.kind == "video")
                    || q.content_type.as_deref().is_some_and(|c| c.starts_with("audio/")),
                duration: String::new(),
                poster_url: String::new(),
                unavailable: String::new(),
                options: options(
                    &LEVELS,
                    &r.and_then(|r| r.rating).map(|n| n.to_string()).unwrap_or_default(),
                ),
                my_note: r.map(|r| r.note.clone()).unwrap_or_default(),
                q: q.clone(),
            }
        })
        .collect();
    let block = eval.map(|e| EvalBlock {
        criteria: e
            .scorecard
            .iter()
            .map(|c| {
                let my = mine
                    .and_then(|m| m.criteria.iter().find(|x| x.criterion_id == c.id))
                    .map(|x| x.rating.to_string())
                    .unwrap_or_default();
                CriterionLine {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    options: options(&LEVELS, &my),
                }
            })
            .collect(),
        comment: mine.map(|m| m.comment.clone()).unwrap_or_default(),
        decisions: options(
            &shortlist_app::review::evaluate::DECISIONS,
            mine.and_then(|m| m.decision.as_deref()).unwrap_or_default(),
        ),
        submitted: mine.is_some(),
        hidden: e.hidden,
        count: e.count,
        average: score_text(e.average),
        team_decision: e.decision.clone().unwrap_or_else(|| "none yet".into()),
        others: e
            .others
            .iter()
            .map(|o| OtherLine {
                name: o.reviewer_name.clone(),
                score: score_text(o.score),
                decision: o.decision.clone().unwrap_or_default(),
                comment: o.comment.clone(),
                ratings: o
                    .ratings
                    .iter()
                    .filter_map(|r| Some(format!("{}: {}", r.question_id, r.rating?)))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
    });
    let candidate = match (&v.candidate_name, &v.candidate_email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        _ => "Anonymised candidate".to_string(),
    };
    (questions, block, candidate)
}

async fn member_page(
    s: &WebState,
    a: &Actor,
    u: &CurrentUser,
    inv: &InvitationId,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let r = &s.review.service;
    let v = r.interview(&a.org_id, inv, &Viewer::Member(a.clone())).await?;
    let e = r.evaluations(a, inv).await?;
    let (mut questions, eval, candidate) = page_of(v.clone(), Some(&e), &format!("/invitations/{inv}/takes"), false);
    add_probes(s, &a.org_id, inv, &mut questions).await?;
    let p = InterviewPage {
        csrf: u.csrf_token.clone(),
        signed_in: true,
        candidate,
        questions,
        doc_base: format!("/interviews/{inv}/documents"),
        eval,
        notice,
        back: Some(format!("/positions/{}/review", v.position_id)),
        v,
    };
    Ok(render(StatusCode::OK, &p))
}

/// `GET /interviews/{id}`: account users only.
pub async fn member(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let notice = q
        .contains_key("saved")
        .then(|| "Your evaluation was saved.".to_string());
    member_page(&s, &a, &u, &inv_id(&id)?, notice).await
}

/// The organisation whose invitation a key-bearing media request reads. A signed-in member of
/// that organisation passes whatever the setting; a signed-in user of another one gets 404, like
/// on the page; without a session the organisation must allow the read-only view.
pub async fn key_org(s: &WebState, jar: &CookieJar, inv: &InvitationId, key: &str) -> Result<OrgId, PageError> {
    let access = s.review.service.key_access(inv, key).await?;
    if let Some(u) = session_user(s, jar).await? {
        return match &access {
            KeyAccess::Allowed(org) | KeyAccess::Off(org) if *org == u.org_id => Ok(org.clone()),
            _ => Err(PageError(AppError::NotFound)),
        };
    }
    match access {
        KeyAccess::Allowed(org) => Ok(org),
        KeyAccess::Off(_) => Err(PageError(AppError::Forbidden(
            "Viewing interviews without an account is turned off for this organisation. Sign in to see it.".into(),
        ))),
    }
}

async fn session_user(s: &WebState, jar: &CookieJar) -> Result<Option<CurrentUser>, AppError> {
    match jar.get(crate::auth::SESSION_COOKIE) {
        Some(c) => s.accounts.session(c.value()).await,
        None => Ok(None),
    }
}

/// `GET /interviews/{id}/{key}`: the interview URL of the ATS and notifications.
pub async fn with_key(
    State(s): State<WebState>,
    jar: CookieJar,
    Path((id, key)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let inv = inv_id(&id)?;
    if let Some(u) = session_user(&s, &jar).await? {
        // Signed in: members see everything; anyone else learns nothing about the invitation.
        let a = Actor::user(&u);
        return member_page(&s, &a, &u, &inv, None).await;
    }
    let org = match s.review.service.key_access(&inv, &key).await? {
        KeyAccess::Allowed(org) => org,
        KeyAccess::Off(_) => {
            return Ok(page(
                StatusCode::FORBIDDEN,
                "Access without an account is off",
                "This organisation does not show interviews to people without an account. Sign in at /login to see it.",
            ));
        }
    };
    let v = s.review.service.interview(&org, &inv, &Viewer::Key).await?;
    let base = format!("/interviews/{inv}/{key}");
    let (mut questions, _, candidate) = page_of(v.clone(), None, &format!("{base}/takes"), false);
    add_probes(&s, &org, &inv, &mut questions).await?;
    let p = InterviewPage {
        csrf: String::new(),
        signed_in: false,
        candidate,
        questions,
        doc_base: format!("{base}/documents"),
        eval: None,
        notice: None,
        back: None,
        v,
    };
    Ok(render(StatusCode::OK, &p))
}

/// The evaluation form as posted: `rating_{question}`, `note_{question}`,
/// `criterion_{id}`, `comment`, `decision`, `csrf`.
pub fn parse_form(pairs: &[(String, String)]) -> (EvaluationInput, String) {
    let mut e = EvaluationInput::default();
    let mut csrf = String::new();
    for (k, v) in pairs {
        if let Some(q) = k.strip_prefix("rating_") {
            let rating = v.trim().parse::<u8>().ok();
            match e.ratings.iter_mut().find(|r| r.question_id == q) {
                Some(r) => r.rating = rating,
                None => e.ratings.push(QuestionRating {
                    question_id: q.into(),
                    rating,
                    note: String::new(),
                }),
            }
        } else if let Some(q) = k.strip_prefix("note_") {
            match e.ratings.iter_mut().find(|r| r.question_id == q) {
                Some(r) => r.note = v.trim().into(),
                None => e.ratings.push(QuestionRating {
                    question_id: q.into(),
                    rating: None,
                    note: v.trim().into(),
                }),
            }
        } else if let Some(c) = k.strip_prefix("criterion_") {
            if let Ok(n) = v.trim().parse::<u8>() {
                e.criteria.push(CriterionRating {
                    criterion_id: c.into(),
                    rating: n,
                });
            }
        } else if k == "comment" {
            e.comment = v.clone();
        } else if k == "decision" && !v.is_empty() {
            e.decision = Some(v.clone());
        } else if k == "csrf" {
            csrf = v.clone();
        }
    }
    (e, csrf)
}

/// `POST /interviews/{id}/evaluation`.
pub async fn evaluate(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let inv = inv_id(&id)?;
    let (input, csrf) = parse_form(&pairs);
    check_csrf(&u, &csrf)?;
    match s.review.service.submit(&a, &inv, &input).await {
        Ok(_) => {
            s.wake.notify_one();
            Ok(Redirect::to(&format!("/interviews/{inv}?saved=1")).into_response())
        }
        Err(AppError::Validation { fields }) => {
            let msg = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ");
            let mut r = member_page(&s, &a, &u, &inv, Some(format!("Not saved. {msg}"))).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(PageError(e)),
    }
}

/// Fills in each take's duration and, for video, its poster (served next to the take's own
/// route, behind the same access check), from what the `media.probe` job recorded.
async fn add_probes(
    s: &WebState,
    org: &OrgId,
    inv: &InvitationId,
    lines: &mut [QuestionLine],
) -> Result<(), PageError> {
    for l in lines
        .iter_mut()
        .filter(|l| !l.media_url.is_empty() && l.q.kind != "file_upload")
    {
        let Some(take) = l.q.take else { continue };
        let probe = shortlist_store::take_probe::get(&s.db, org.as_str(), inv.as_str(), &l.q.id, take)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let Some(p) = probe else { continue };
        if let Some(ms) = p.duration_ms {
            let secs = (ms + 500) / 1000;
            l.duration = format!("{}:{:02}", secs / 60, secs % 60);
        }
        if p.poster_key.is_some() && !l.audio {
            l.poster_url = format!("{}/poster", l.media_url);
        }
    }
    Ok(())
}
