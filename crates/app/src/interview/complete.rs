//! Completing the interview (one transaction with the jobs that follow) and the receipt.

use super::{Interviews, Session, not_in_progress};
use crate::AppError;
use crate::error::FieldError;
use chrono::{DateTime, Utc};
use shortlist_domain::template::SurveyKind;
use shortlist_store::interviews::{self as store, Mark};
use shortlist_store::invitations::{self as inv, NewEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    Completed,
    /// It was completed before; nothing changed and nothing was enqueued.
    AlreadyCompleted,
}

/// One line of the receipt.
#[derive(Debug, Clone)]
pub struct ReceiptItem {
    pub item_id: String,
    /// `question` or `survey`.
    pub section: String,
    pub prompt: String,
    pub kind: String,
    pub take: Option<i32>,
    pub skipped: bool,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Receipt {
    pub completed_at: Option<DateTime<Utc>>,
    pub items: Vec<ReceiptItem>,
}

/// The template's required items (questions, required and consent surveys) not yet answered,
/// as field errors named `questions.<id>` / `surveys.<id>` with the prompt as message.
pub fn missing(s: &Session, answered: &[&str]) -> Vec<FieldError> {
    let is_answered = |id: &str| answered.contains(&id);
    let questions = s
        .spec
        .questions
        .iter()
        .filter(|q| q.required && !is_answered(&q.id))
        .map(|q| FieldError {
            field: format!("questions.{}", q.id),
            message: q.prompt.clone(),
        });
    let surveys = s
        .spec
        .surveys
        .iter()
        .filter(|q| (q.required || q.kind == SurveyKind::Consent) && !is_answered(&q.id))
        .map(|q| FieldError {
            field: format!("surveys.{}", q.id),
            message: q.prompt.clone(),
        });
    questions.chain(surveys).collect()
}

impl Interviews {
    /// Checks that every required item is answered, moves the invitation to `completed`,
    /// records the event (whose dispatch job tells the recruiters, see `notify::sink`), all in
    /// one transaction.
    pub async fn complete(&self, s: &Session) -> Result<Completion, AppError> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = inv::get_tx(&mut tx, &s.org, &s.id).await?.ok_or(AppError::NotFound)?;
        match row.state.as_str() {
            "completed" => return Ok(Completion::AlreadyCompleted),
            "started" => {}
            other => return Err(not_in_progress(other)),
        }
        let answers = store::answers_tx(&mut tx, &s.org, &s.id).await?;
        let answered: Vec<&str> = answers
            .iter()
            .filter(|a| !a.skipped || a.section == "question")
            .map(|a| a.item_id.as_str())
            .collect();
        let gaps = missing(s, &answered);
        if !gaps.is_empty() {
            return Err(AppError::Validation { fields: gaps });
        }
        if !inv::transition(&mut tx, &s.org, &s.id, &["started"], "completed", now).await? {
            return Err(not_in_progress(&row.state));
        }
        let detail = format!("{} answers", answers.len());
        let e = NewEvent {
            kind: "completed",
            from_state: Some("started"),
            to_state: Some("completed"),
            actor: "candidate",
            detail: Some(&detail),
            at: now,
        };
        inv::add_event(&mut tx, &s.org, &s.id, &e).await?;
        store::mark(&mut tx, &s.org, &s.id, Mark::Completed, now).await?;
        tx.commit().await?;
        Ok(Completion::Completed)
    }

    /// Which answers arrived and when, in the template's order.
    pub fn receipt(&self, s: &Session) -> Receipt {
        use shortlist_domain::template::SurveyPlacement::{After, Before};
        let surveys = |p| s.spec.surveys.iter().filter(move |q| q.placement == p);
        let prompts = surveys(Before)
            .map(|q| (q.id.as_str(), q.prompt.as_str()))
            .chain(s.spec.questions.iter().map(|q| (q.id.as_str(), q.prompt.as_str())))
            .chain(surveys(After).map(|q| (q.id.as_str(), q.prompt.as_str())));
        let items = prompts
            .filter_map(|(id, prompt)| {
                s.answer(id).map(|a| ReceiptItem {
                    item_id: a.item_id.clone(),
                    section: a.section.clone(),
                    prompt: prompt.to_string(),
                    kind: a.kind.clone(),
                    take: a.take,
                    skipped: a.skipped,
                    received_at: a.answered_at,
                })
            })
            .collect();
        Receipt {
            completed_at: s.row.completed_at,
            items,
        }
    }
}
