//! Evaluations by account users: a 1–5 rating and a note per question, 1–5 per scorecard
//! criterion of the template, an overall comment and a decision. One per reviewer and
//! invitation (submitting again replaces it), recorded as an `evaluation_submitted` invitation
//! event in the same transaction, which publishes it to every event sink (ATS write-back,
//! webhooks). Others' evaluations stay hidden until the reviewer submitted their own, if the
//! organisation says so.

use super::{Review, internal, view};
use crate::AppError;
use crate::error::FieldError;
use crate::recruiting::Actor;
use serde::{Deserialize, Serialize};
use shortlist_domain::{InvitationId, OrgId, PositionId};
use shortlist_store::Db;
use shortlist_store::invitations::{self as inv, NewEvent};
use shortlist_store::review::{self as store, NewEvaluation};

pub const MAX_NOTE: usize = 4_000;
pub const MAX_COMMENT: usize = 10_000;
pub const DECISIONS: [&str; 3] = ["advance", "hold", "reject"];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuestionRating {
    pub question_id: String,
    pub rating: Option<u8>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionRating {
    pub criterion_id: String,
    pub rating: u8,
}

/// What a reviewer submits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    #[serde(default)]
    pub ratings: Vec<QuestionRating>,
    #[serde(default)]
    pub criteria: Vec<CriterionRating>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub decision: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvaluationView {
    pub reviewer_id: String,
    pub reviewer_name: String,
    pub ratings: Vec<QuestionRating>,
    pub criteria: Vec<CriterionRating>,
    pub comment: String,
    pub decision: Option<String>,
    pub score: Option<f64>,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
}

/// The evaluations of one invitation as the asking reviewer may see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Evaluations {
    pub mine: Option<EvaluationView>,
    /// Empty while `hidden`.
    pub others: Vec<EvaluationView>,
    /// Others' evaluations are held back until the reviewer submits their own.
    pub hidden: bool,
    /// How many reviewers evaluated (shown even while hidden).
    pub count: i64,
    /// The team's average score; None while hidden or before anyone rated.
    pub average: Option<f64>,
    /// The team's current decision.
    pub decision: Option<String>,
    /// The template's scorecard.
    pub scorecard: Vec<shortlist_domain::template::Criterion>,
}

/// The invitation's current average score (mean of the reviewers' scores, 1–5), for the ATS
/// write-back (`assessmentscore`) and webhooks. None before anyone rated.
pub async fn average_score(db: &Db, org: &OrgId, id: &InvitationId) -> Result<Option<f64>, AppError> {
    Ok(store::average(db, org, id).await?.0)
}

fn to_view(e: store::EvaluationRow) -> EvaluationView {
    EvaluationView {
        reviewer_id: e.user_id,
        reviewer_name: e.user_name,
        ratings: serde_json::from_str(&e.ratings).unwrap_or_default(),
        criteria: serde_json::from_str(&e.criteria).unwrap_or_default(),
        comment: e.comment,
        decision: e.decision,
        score: e.score,
        submitted_at: e.submitted_at,
    }
}

fn bad(field: String, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Checks the input against the template; returns the ratings to keep and the score.
fn check(spec: &shortlist_domain::template::TemplateSpec, e: &EvaluationInput) -> Result<Option<f64>, AppError> {
    let mut errs = vec![];
    let mut all: Vec<u8> = vec![];
    for (i, r) in e.ratings.iter().enumerate() {
        if !spec.questions.iter().any(|q| q.id == r.question_id) {
            errs.push(bad(
                format!("ratings[{i}].question_id"),
                "not a question of this interview",
            ));
        }
        if e.ratings[..i].iter().any(|o| o.question_id == r.question_id) {
            errs.push(bad(format!("ratings[{i}].question_id"), "rated twice"));
        }
        match r.rating {
            Some(n) if (1..=5).contains(&n) => all.push(n),
            Some(_) => errs.push(bad(format!("ratings[{i}].rating"), "a rating from 1 to 5")),
            None => {}
        }
        if r.note.len() > MAX_NOTE {
            errs.push(bad(format!("ratings[{i}].note"), "at most 4000 characters"));
        }
    }
    for (i, c) in e.criteria.iter().enumerate() {
        if !spec.scorecard.iter().any(|x| x.id == c.criterion_id) {
            errs.push(bad(
                format!("criteria[{i}].criterion_id"),
                "not a criterion of this template",
            ));
        }
        if e.criteria[..i].iter().any(|o| o.criterion_id == c.criterion_id) {
            errs.push(bad(format!("criteria[{i}].criterion_id"), "rated twice"));
        }
        if (1..=5).contains(&c.rating) {
            all.push(c.rating);
        } else {
            errs.push(bad(format!("criteria[{i}].rating"), "a rating from 1 to 5"));
        }
    }
    if e.comment.len() > MAX_COMMENT {
        errs.push(bad("comment".into(), "at most 10000 characters"));
    }
    if let Some(d) = &e.decision
        && !DECISIONS.contains(&d.as_str())
    {
        errs.push(bad("decision".into(), "advance, hold or reject"));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation { fields: errs });
    }
    Ok((!all.is_empty()).then(|| all.iter().map(|&n| f64::from(n)).sum::<f64>() / all.len() as f64))
}

impl Review {
    /// The evaluations of an invitation as `who` may see them.
    pub async fn evaluations(&self, who: &Actor, id: &InvitationId) -> Result<Evaluations, AppError> {
        let (_, spec) = view::load(self, &who.org_id, id).await?;
        let me = who.user_id.as_ref().map(|u| u.to_string()).unwrap_or_default();
        let rows = store::evaluations(self.db(), &who.org_id, id).await?;
        let (average, count) = store::average(self.db(), &who.org_id, id).await?;
        let settings = self.settings(&who.org_id).await?;
        let (mine, others): (Vec<_>, Vec<_>) = rows.into_iter().map(to_view).partition(|e| e.reviewer_id == me);
        let mine = mine.into_iter().next();
        let hidden = settings.hide_until_submitted && mine.is_none();
        Ok(Evaluations {
            hidden,
            others: if hidden { vec![] } else { others },
            mine,
            count,
            average: if hidden { None } else { average },
            decision: store::decision(self.db(), &who.org_id, id).await?,
            scorecard: spec.scorecard,
        })
    }

    /// Saves `who`'s evaluation (replacing an earlier one), sets the team decision when one is
    /// given, and records the event, all in one transaction.
    pub async fn submit(&self, who: &Actor, id: &InvitationId, e: &EvaluationInput) -> Result<Evaluations, AppError> {
        let user = who
            .user_id
            .clone()
            .ok_or_else(|| AppError::Forbidden("only account users evaluate".into()))?;
        let (row, spec) = view::load(self, &who.org_id, id).await?;
        if !["started", "completed"].contains(&row.state.as_str()) {
            return Err(AppError::Conflict {
                code: "not_evaluable",
                message: format!("the interview is {}; there is nothing to evaluate yet", row.state),
            });
        }
        let score = check(&spec, e)?;
        let ratings: Vec<&QuestionRating> = e
            .ratings
            .iter()
            .filter(|r| r.rating.is_some() || !r.note.is_empty())
            .collect();
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let new = NewEvaluation {
            user: &user,
            ratings: &serde_json::to_string(&ratings).map_err(internal)?,
            criteria: &serde_json::to_string(&e.criteria).map_err(internal)?,
            comment: e.comment.trim(),
            decision: e.decision.as_deref(),
            score,
            at: now,
        };
        store::upsert_evaluation(&mut tx, &who.org_id, id, &new).await?;
        if let Some(d) = &e.decision {
            store::set_decision(&mut tx, &who.org_id, id, d, &who.label, now).await?;
        }
        let detail = serde_json::json!({ "score": score, "decision": e.decision }).to_string();
        let event = NewEvent {
            kind: "evaluation_submitted",
            from_state: None,
            to_state: None,
            actor: &who.label,
            detail: Some(&detail),
            at: now,
        };
        inv::add_event(&mut tx, &who.org_id, id, &event).await?;
        tx.commit().await?;
        self.evaluations(who, id).await
    }

    /// Sets the team decision on several invitations of a position at once (recruiters).
    /// Each is recorded as a `decision_set` event; ids of other positions are refused.
    pub async fn decide(
        &self,
        who: &Actor,
        position: &PositionId,
        ids: &[InvitationId],
        decision: &str,
    ) -> Result<usize, AppError> {
        who.require_recruiter()?;
        if !DECISIONS.contains(&decision) {
            return Err(AppError::field("decision", "advance, hold or reject"));
        }
        if ids.is_empty() {
            return Err(AppError::field("invitation_ids", "choose at least one candidate"));
        }
        // Another organisation's position is not found, whatever the body says.
        if shortlist_store::positions::get(self.db(), &who.org_id, position)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        for id in ids {
            let row = inv::get_tx(&mut tx, &who.org_id, id).await?;
            if row.as_ref().is_none_or(|r| r.position_id != position.as_str()) {
                return Err(AppError::field(
                    "invitation_ids",
                    format!("{id} is not a candidate of this position"),
                ));
            }
            store::set_decision(&mut tx, &who.org_id, id, decision, &who.label, now).await?;
            let event = NewEvent {
                kind: "decision_set",
                from_state: None,
                to_state: None,
                actor: &who.label,
                detail: Some(decision),
                at: now,
            };
            inv::add_event(&mut tx, &who.org_id, id, &event).await?;
        }
        tx.commit().await?;
        Ok(ids.len())
    }
}
