//! The interview as a reviewer reads it: each question with the candidate's answer, the survey
//! answers and the template's documents. Questions a share link hides are left out here, before
//! anything is rendered, so no page or request can show them.

use super::{Review, Viewer, internal};
use crate::AppError;
use crate::recruiting::templates::parse_spec;
use serde::Serialize;
use shortlist_domain::template::{QuestionKind, TemplateSpec};
use shortlist_domain::{InvitationId, OrgId, TemplateVersionId};
use shortlist_store::interviews::AnswerRow;
use shortlist_store::invitations::{self as inv, InvitationRow};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InterviewView {
    pub invitation_id: String,
    pub position_id: String,
    pub position_title: String,
    /// None in anonymised mode.
    pub candidate_name: Option<String>,
    pub candidate_email: Option<String>,
    pub state: String,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub template_name: String,
    pub questions: Vec<QuestionView>,
    pub surveys: Vec<SurveyView>,
    pub documents: Vec<DocumentView>,
    /// Multiple-choice auto-score: right answers of auto-scored questions.
    pub choice_right: usize,
    pub choice_scored: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: String,
    /// `video`, `audio`, `text`, `multiple_choice`, `file_upload`.
    pub kind: String,
    pub prompt: String,
    pub answered: bool,
    pub skipped: bool,
    pub text: Option<String>,
    pub choices: Vec<ChoiceView>,
    /// Auto-score of a multiple-choice answer.
    pub correct: Option<bool>,
    /// The submitted take of a recorded or uploaded answer, with its type.
    pub take: Option<i32>,
    pub content_type: Option<String>,
    /// Left out for this viewer (anonymised share links do not show uploaded files).
    pub withheld: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChoiceView {
    pub label: String,
    pub chosen: bool,
    pub correct: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    pub prompt: String,
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub title: String,
    /// An external link, or None for an uploaded file (served by number, 1-based).
    pub url: Option<String>,
    pub number: usize,
}

pub(crate) async fn load(
    r: &Review,
    org: &OrgId,
    id: &InvitationId,
) -> Result<(InvitationRow, TemplateSpec), AppError> {
    let row = inv::get(r.db(), org, id).await?.ok_or(AppError::NotFound)?;
    let vid = TemplateVersionId::parse(&row.template_version_id).map_err(internal)?;
    let version = shortlist_store::templates::version(r.db(), org, &vid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((row, parse_spec(&version.spec)?))
}

pub(crate) async fn is_file_question(r: &Review, org: &OrgId, id: &InvitationId, q: &str) -> Result<bool, AppError> {
    let (_, spec) = load(r, org, id).await?;
    Ok(spec
        .questions
        .iter()
        .any(|x| x.id == q && x.kind == QuestionKind::FileUpload))
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

fn chosen(a: Option<&AnswerRow>) -> Vec<String> {
    a.and_then(|a| a.choice_ids.as_deref())
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default()
}

impl Review {
    /// The interview of `id` in `org` as `viewer` may see it.
    pub async fn interview(&self, org: &OrgId, id: &InvitationId, viewer: &Viewer) -> Result<InterviewView, AppError> {
        let (row, spec) = load(self, org, id).await?;
        let answers = shortlist_store::interviews::answers(self.db(), org, id).await?;
        let takes = shortlist_store::uploads::takes_for(self.db(), org, id).await?;
        let hidden = viewer.hidden();
        let anonymised = viewer.anonymised();
        let mut questions = vec![];
        let (mut right, mut scored) = (0, 0);
        for q in spec.questions.iter().filter(|q| !hidden.contains(&q.id)) {
            let a = answers.iter().find(|a| a.section == "question" && a.item_id == q.id);
            let picked = chosen(a);
            let take = a.and_then(|a| a.take);
            let content_type = take.and_then(|t| {
                takes
                    .iter()
                    .find(|x| x.question_id == q.id && x.take == t)
                    // Rows from before types were canonical may hold a client's string.
                    .map(|x| crate::media_type::served(&x.content_type).content_type.to_string())
            });
            let correct = a.and_then(|a| a.correct);
            if let Some(c) = correct {
                scored += 1;
                right += usize::from(c);
            }
            let withheld = anonymised && q.kind == QuestionKind::FileUpload;
            questions.push(QuestionView {
                id: q.id.clone(),
                kind: kind_name(q.kind).into(),
                prompt: q.prompt.clone(),
                answered: a.is_some_and(|a| !a.skipped),
                skipped: a.is_some_and(|a| a.skipped),
                text: a.and_then(|a| a.text_value.clone()),
                choices: q
                    .choices
                    .iter()
                    .map(|c| ChoiceView {
                        label: c.label.clone(),
                        chosen: picked.contains(&c.id),
                        correct: c.correct,
                    })
                    .collect(),
                correct,
                take: if withheld { None } else { take },
                content_type: if withheld { None } else { content_type },
                withheld,
            });
        }
        let surveys = spec
            .surveys
            .iter()
            .filter(|s| !hidden.contains(&s.id))
            .filter_map(|s| {
                let a = answers.iter().find(|a| a.section == "survey" && a.item_id == s.id)?;
                let mut answer = a.text_value.clone().unwrap_or_default();
                let picked = chosen(Some(a));
                if !picked.is_empty() {
                    answer = picked.join(", ");
                }
                Some(SurveyView {
                    prompt: s.prompt.clone(),
                    answer,
                })
            })
            .collect();
        let documents = spec
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| DocumentView {
                title: d.title.clone(),
                url: d.url.clone(),
                number: i + 1,
            })
            .collect();
        Ok(InterviewView {
            invitation_id: row.id.clone(),
            position_id: row.position_id.clone(),
            position_title: row.position_title.clone(),
            candidate_name: (!anonymised).then(|| row.candidate_name.clone()),
            candidate_email: (!anonymised).then(|| row.candidate_email.clone()),
            state: row.state.clone(),
            completed_at: row.completed_at,
            template_name: spec.name.clone(),
            questions,
            surveys,
            documents,
            choice_right: right,
            choice_scored: scored,
        })
    }
}
