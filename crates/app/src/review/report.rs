//! Results for integrations: the completed interviews of an organisation with their answer
//! counts, auto-scored test result and review summary (`GET /results`), and one invitation's
//! result report combining the interview, the test and every evaluation
//! (`GET /invitations/{id}/report`).
//!
//! The report reads the interview through [`Review::interview`] and the evaluations through the
//! review store, like the reviewer pages, so the API cannot show something the pages would not.
//! One rule differs on purpose: the "hidden until you evaluated" setting protects reviewers from
//! being swayed, so it applies to callers with the reviewer role; recruiters, admins and
//! organisation keys (an ATS) get the team's scores, as the ATS write-back does.

use super::evaluate::{CriterionRating, QuestionRating, average_score};
use super::{Review, Viewer, view};
use crate::AppError;
use crate::paging::{PageReq, Paged};
use crate::recruiting::Actor;
use crate::recruiting::invitations::{CandidateRef, InvitationView, Ref, TemplateRef};
use chrono::{DateTime, Utc};
use serde::Serialize;
use shortlist_domain::template::{QuestionKind, TemplateSpec};
use shortlist_domain::{InvitationId, OrgId, Role, TemplateVersionId};
use shortlist_store::invitations as inv;
use shortlist_store::results::{self, InvitationFilter, ResultRow};
use shortlist_store::review as store;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionCount {
    pub answered: i64,
    pub total: usize,
}

/// The multiple-choice test: one point per right answer of a question that marks a correct
/// choice. Absent when the template has no such question.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestScore {
    pub points: i64,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewSummary {
    /// Mean of the reviewers' scores (1–5); null before anyone rated, or while hidden.
    pub average: Option<f64>,
    pub evaluations: i64,
    pub decision: Option<String>,
    /// True for a reviewer who has not evaluated while the organisation hides scores until then.
    pub hidden: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultSummary {
    pub invitation_id: String,
    pub state: String,
    pub candidate: CandidateRef,
    pub position: Ref,
    pub template: TemplateRef,
    pub round: i32,
    #[schema(value_type = crate::recruiting::metadata::Metadata)]
    pub metadata: serde_json::Value,
    pub completed_at: Option<DateTime<Utc>>,
    pub questions: QuestionCount,
    pub test: Option<TestScore>,
    pub review: ReviewSummary,
    /// The interview page for reviewers (members sign in; others need the organisation's
    /// permission).
    pub reviewer_url: String,
}

/// The question count and the number of auto-scored questions of a template version.
fn counts(spec: &TemplateSpec) -> (usize, usize) {
    let auto = spec.questions.iter().filter(|q| auto_scored(q)).count();
    (spec.questions.len(), auto)
}

fn auto_scored(q: &shortlist_domain::template::Question) -> bool {
    q.kind == QuestionKind::MultipleChoice && q.choices.iter().any(|c| c.correct)
}

fn test_score(points: i64, total: usize) -> Option<TestScore> {
    (total > 0).then_some(TestScore { points, total })
}

impl Review {
    /// Whether `who` sees the team's scores of an invitation they evaluated `mine` times.
    async fn scores_hidden(&self, who: &Actor, mine: i64) -> Result<bool, AppError> {
        Ok(who.role == Role::Reviewer && mine == 0 && self.settings(&who.org_id).await?.hide_until_submitted)
    }

    async fn spec_of(&self, org: &OrgId, version: &str) -> Result<TemplateSpec, AppError> {
        let vid = TemplateVersionId::parse(version).map_err(super::internal)?;
        let v = shortlist_store::templates::version(self.db(), org, &vid)
            .await?
            .ok_or(AppError::NotFound)?;
        crate::recruiting::templates::parse_spec(&v.spec)
    }

    /// Completed interviews matching `f`, most recently completed first.
    pub async fn results(
        &self,
        who: &Actor,
        f: &InvitationFilter,
        page: &PageReq,
    ) -> Result<Paged<ResultSummary>, AppError> {
        let user = who.user_id.as_ref().map(|u| u.as_str());
        let rows = results::completed(self.db(), &who.org_id, f, user, page).await?;
        let mut specs: HashMap<String, (usize, usize)> = HashMap::new();
        let mut items = Vec::with_capacity(rows.items.len());
        for r in rows.items {
            let version = r.invitation.template_version_id.clone();
            if !specs.contains_key(&version) {
                let spec = self.spec_of(&who.org_id, &version).await?;
                specs.insert(version.clone(), counts(&spec));
            }
            let (total, auto) = specs.get(&version).copied().unwrap_or_default();
            let hidden = self.scores_hidden(who, r.mine).await?;
            items.push(self.summary(r, total, auto, hidden));
        }
        Ok(Paged { items, next: rows.next })
    }

    fn summary(&self, r: ResultRow, total: usize, auto: usize, hidden: bool) -> ResultSummary {
        let v = self.recruiting.view(r.invitation);
        ResultSummary {
            reviewer_url: self.recruiting.links.review_url(&v.id),
            invitation_id: v.id,
            state: v.state,
            candidate: v.candidate,
            position: v.position,
            template: v.template,
            round: v.round,
            metadata: v.metadata,
            completed_at: v.completed_at,
            questions: QuestionCount {
                answered: r.answered,
                total,
            },
            test: test_score(r.choice_right, auto),
            review: ReviewSummary {
                average: if hidden { None } else { r.average },
                evaluations: r.evaluations,
                decision: r.decision,
                hidden,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistorySummary {
    pub events: usize,
    pub first_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
    pub last_kind: Option<String>,
    /// How many events of each kind (`created`, `sent`, `reminded`, `evaluation_submitted`, …).
    pub kinds: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportChoice {
    pub label: String,
    pub chosen: bool,
    pub correct: bool,
}

/// The submitted take of a recorded or uploaded answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportTake {
    pub take: i32,
    pub content_type: String,
    pub size_bytes: i64,
    /// The candidate's file name (uploaded files).
    pub file_name: Option<String>,
    /// Known once the server measured the recording (needs ffmpeg on the server).
    pub duration_ms: Option<i64>,
    /// `GET` with the same credentials (supports `Range`).
    pub url: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportQuestion {
    /// 1-based, in the template's order.
    pub number: usize,
    pub id: String,
    /// `video`, `audio`, `text`, `multiple_choice` or `file_upload`.
    pub kind: String,
    pub prompt: String,
    pub answered: bool,
    pub skipped: bool,
    pub text: Option<String>,
    pub choices: Vec<ReportChoice>,
    /// Multiple choice with a marked correct choice: whether the answer was right.
    pub correct: Option<bool>,
    /// 1 or 0 for an auto-scored question, else null.
    pub points: Option<u32>,
    pub take: Option<ReportTake>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportSurvey {
    pub prompt: String,
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reviewer {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportRating {
    pub question_id: String,
    pub prompt: String,
    pub rating: Option<u8>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportCriterion {
    pub criterion_id: String,
    pub label: String,
    pub rating: u8,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportEvaluation {
    pub reviewer: Reviewer,
    /// The mean of this reviewer's ratings (1–5).
    pub score: Option<f64>,
    pub ratings: Vec<ReportRating>,
    pub criteria: Vec<ReportCriterion>,
    pub comment: String,
    pub decision: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultReport {
    pub invitation: InvitationView,
    pub state: String,
    pub history: HistorySummary,
    pub questions: Vec<ReportQuestion>,
    pub surveys: Vec<ReportSurvey>,
    pub test: Option<TestScore>,
    pub evaluations: Vec<ReportEvaluation>,
    /// Mean of the evaluations' scores; null before anyone rated, or while hidden.
    pub average: Option<f64>,
    pub evaluation_count: i64,
    pub decision: Option<String>,
    /// See [`ReviewSummary::hidden`]; the evaluations are left out too.
    pub evaluations_hidden: bool,
    pub reviewer_url: String,
}

fn history(events: &[inv::EventRow]) -> HistorySummary {
    let mut kinds = BTreeMap::new();
    for e in events {
        *kinds.entry(e.kind.clone()).or_insert(0) += 1;
    }
    HistorySummary {
        events: events.len(),
        first_at: events.first().map(|e| e.at),
        last_at: events.last().map(|e| e.at),
        last_kind: events.last().map(|e| e.kind.clone()),
        kinds,
    }
}

impl Review {
    /// The result report of one invitation, in whatever state it is (what exists so far).
    /// `api_base` is the absolute `/api/v1` URL the take links start with.
    pub async fn report(&self, who: &Actor, id: &InvitationId, api_base: &str) -> Result<ResultReport, AppError> {
        let org = &who.org_id;
        let (invitation, events) = self.recruiting.invitation(who, id).await?;
        let (_, spec) = view::load(self, org, id).await?;
        let interview = self.interview(org, id, &Viewer::Member(who.clone())).await?;
        let takes = results::takes(self.db(), org, id).await?;
        let questions: Vec<ReportQuestion> = interview
            .questions
            .into_iter()
            .enumerate()
            .map(|(i, q)| {
                let auto = spec.questions.iter().any(|s| s.id == q.id && auto_scored(s));
                let take = q.take.and_then(|n| {
                    let t = takes.iter().find(|t| t.question_id == q.id && t.take == n)?;
                    Some(ReportTake {
                        take: n,
                        // Rows from before types were canonical may hold a client's string.
                        content_type: crate::media_type::served(&t.content_type).content_type.to_string(),
                        size_bytes: t.size_bytes,
                        file_name: t.file_name.clone(),
                        duration_ms: t.duration_ms,
                        url: format!("{api_base}/invitations/{id}/takes/{}/{n}", q.id),
                    })
                });
                ReportQuestion {
                    number: i + 1,
                    points: if auto {
                        Some(u32::from(q.correct == Some(true)))
                    } else {
                        None
                    },
                    choices: q
                        .choices
                        .into_iter()
                        .map(|c| ReportChoice {
                            label: c.label,
                            chosen: c.chosen,
                            correct: c.correct,
                        })
                        .collect(),
                    id: q.id,
                    kind: q.kind,
                    prompt: q.prompt,
                    answered: q.answered,
                    skipped: q.skipped,
                    text: q.text,
                    correct: q.correct,
                    take,
                }
            })
            .collect();
        let (_, auto) = counts(&spec);
        let points: u32 = questions.iter().filter_map(|q| q.points).sum();
        let (_, count) = store::average(self.db(), org, id).await?;
        let rows = store::evaluations(self.db(), org, id).await?;
        let me = who.user_id.as_ref().map(|u| u.as_str()).unwrap_or_default();
        let mine = rows.iter().filter(|e| e.user_id == me).count();
        let hidden = self.scores_hidden(who, i64::try_from(mine).unwrap_or(1)).await?;
        let evaluations = if hidden {
            vec![]
        } else {
            rows.into_iter().map(|e| evaluation(&spec, &questions, e)).collect()
        };
        Ok(ResultReport {
            state: invitation.state.clone(),
            reviewer_url: self.recruiting.links.review_url(id.as_str()),
            history: history(&events),
            surveys: interview
                .surveys
                .into_iter()
                .map(|s| ReportSurvey {
                    prompt: s.prompt,
                    answer: s.answer,
                })
                .collect(),
            test: test_score(i64::from(points), auto),
            questions,
            evaluations,
            average: if hidden {
                None
            } else {
                average_score(self.db(), org, id).await?
            },
            evaluation_count: count,
            decision: store::decision(self.db(), org, id).await?,
            evaluations_hidden: hidden,
            invitation,
        })
    }
}

fn evaluation(spec: &TemplateSpec, questions: &[ReportQuestion], e: store::EvaluationRow) -> ReportEvaluation {
    let ratings: Vec<QuestionRating> = serde_json::from_str(&e.ratings).unwrap_or_default();
    let criteria: Vec<CriterionRating> = serde_json::from_str(&e.criteria).unwrap_or_default();
    ReportEvaluation {
        reviewer: Reviewer {
            id: e.user_id,
            name: e.user_name,
        },
        score: e.score,
        ratings: ratings
            .into_iter()
            .map(|r| ReportRating {
                prompt: questions
                    .iter()
                    .find(|q| q.id == r.question_id)
                    .map(|q| q.prompt.clone())
                    .unwrap_or_default(),
                question_id: r.question_id,
                rating: r.rating,
                note: r.note,
            })
            .collect(),
        criteria: criteria
            .into_iter()
            .map(|c| ReportCriterion {
                label: spec
                    .scorecard
                    .iter()
                    .find(|s| s.id == c.criterion_id)
                    .map(|s| s.label.clone())
                    .unwrap_or_default(),
                criterion_id: c.criterion_id,
                rating: c.rating,
            })
            .collect(),
        comment: e.comment,
        decision: e.decision,
        submitted_at: e.submitted_at,
    }
}
