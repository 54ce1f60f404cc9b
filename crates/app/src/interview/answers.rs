//! Saving answers: text, multiple choice (auto-scored), a recorded or uploaded take, and the
//! surveys. Each answer is saved at once; the first answer to an item stands.
//!
//! Validation messages are message keys (`answer.*`); the candidate pages translate them.

use super::{Interviews, Session, not_in_progress};
use crate::AppError;
use crate::error::FieldError;
use shortlist_domain::template::{Question, QuestionKind, SurveyKind, SurveyPlacement, SurveyQuestion};
use shortlist_store::interviews::{self as store, NewAnswer};
use shortlist_store::invitations as inv;
use std::collections::HashMap;

pub const MAX_TEXT: usize = 10_000;
pub const MAX_SURVEY_TEXT: usize = 2_000;

/// What the candidate sent for one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerInput {
    Text(String),
    Choices(Vec<String>),
    /// The take (1-based) to submit of a recorded answer or an uploaded file.
    Take(i32),
    /// An optional question left out.
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// The question had been answered before; that answer stands.
    AlreadyAnswered,
}

fn field(name: &str, key: &str) -> AppError {
    AppError::field(name, key)
}

/// Auto-score: right when exactly the correct choices were picked; None without a key.
pub fn score(q: &Question, chosen: &[String]) -> Option<bool> {
    let correct: Vec<&str> = q.choices.iter().filter(|c| c.correct).map(|c| c.id.as_str()).collect();
    if correct.is_empty() {
        return None;
    }
    Some(chosen.len() == correct.len() && chosen.iter().all(|c| correct.contains(&c.as_str())))
}

fn check_choices(q: &Question, chosen: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = vec![];
    for c in chosen {
        if !q.choices.iter().any(|x| &x.id == c) {
            return Err(field("choice", "answer.unknown_choice"));
        }
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    if out.is_empty() {
        return Err(field("choice", "answer.choose_one"));
    }
    if !q.multiple && out.len() > 1 {
        return Err(field("choice", "answer.only_one"));
    }
    Ok(out)
}

impl Interviews {
    /// Saves the answer to question `question_id`.
    pub async fn answer(&self, s: &Session, question_id: &str, input: AnswerInput) -> Result<Saved, AppError> {
        let q = s
            .spec
            .questions
            .iter()
            .find(|q| q.id == question_id)
            .ok_or(AppError::NotFound)?;
        let kind = serde_json::to_value(q.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut new = NewAnswer {
            item_id: &q.id,
            section: "question",
            kind: &kind,
            ..Default::default()
        };
        let choices_json;
        let text;
        match (&input, q.kind) {
            (AnswerInput::Skip, _) if q.required => return Err(field("answer", "answer.required")),
            (AnswerInput::Skip, _) => new.skipped = true,
            (AnswerInput::Text(t), QuestionKind::Text) => {
                text = t.trim().to_string();
                if text.is_empty() {
                    return Err(field("text", "answer.write_something"));
                }
                if text.chars().count() > MAX_TEXT {
                    return Err(field("text", "answer.too_long"));
                }
                new.text_value = Some(&text);
            }
            (AnswerInput::Choices(c), QuestionKind::MultipleChoice) => {
                let chosen = check_choices(q, c)?;
                new.correct = score(q, &chosen);
                choices_json = serde_json::to_string(&chosen).unwrap_or_default();
                new.choice_ids = Some(&choices_json);
            }
            (AnswerInput::Take(n), QuestionKind::Video | QuestionKind::Audio | QuestionKind::FileUpload) => {
                if *n < 1 || *n > q.retakes as i32 + 1 {
                    return Err(field("take", "answer.take_out_of_range"));
                }
                new.take = Some(*n);
            }
            _ => return Err(field("answer", "answer.wrong_kind")),
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = inv::get_tx(&mut tx, &s.org, &s.id).await?.ok_or(AppError::NotFound)?;
        let progress = store::progress_tx(&mut tx, &s.org, &s.id).await?;
        if row.state != "started" || progress.consent_at.is_none() {
            return Err(not_in_progress(&row.state));
        }
        if let Some(n) = new.take {
            let takes = store::takes_tx(&mut tx, &s.org, &s.id, &q.id).await?;
            if !takes.iter().any(|t| t.take == n) {
                return Err(field("take", "answer.take_not_uploaded"));
            }
        }
        let saved = store::insert_answer(&mut tx, &s.org, &s.id, &new, now).await?;
        tx.commit().await?;
        Ok(if saved { Saved::Saved } else { Saved::AlreadyAnswered })
    }

    /// Saves the not yet answered surveys of `placement` from a form (`id` → values). All are
    /// checked first; nothing is saved unless every one is acceptable.
    pub async fn answer_surveys(
        &self,
        s: &Session,
        placement: SurveyPlacement,
        values: &HashMap<String, Vec<String>>,
    ) -> Result<(), AppError> {
        let open: Vec<&SurveyQuestion> = s
            .spec
            .surveys
            .iter()
            .filter(|q| q.placement == placement && s.answer(&q.id).is_none())
            .collect();
        let mut errors = vec![];
        let mut rows = vec![];
        for q in &open {
            let given: Vec<String> = values
                .get(&q.id)
                .map(|v| {
                    v.iter()
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            match survey_value(q, &given) {
                Ok(v) => rows.push((q, v)),
                Err(key) => errors.push(FieldError {
                    field: format!("surveys.{}", q.id),
                    message: key.to_string(),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation { fields: errors });
        }
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = inv::get_tx(&mut tx, &s.org, &s.id).await?.ok_or(AppError::NotFound)?;
        if row.state != "started" {
            return Err(not_in_progress(&row.state));
        }
        for (q, v) in rows {
            let kind = serde_json::to_value(q.kind)
                .ok()
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default();
            let a = NewAnswer {
                item_id: &q.id,
                section: "survey",
                kind: &kind,
                text_value: v.text.as_deref(),
                choice_ids: v.choices.as_deref(),
                skipped: v.text.is_none() && v.choices.is_none(),
                ..Default::default()
            };
            store::insert_answer(&mut tx, &s.org, &s.id, &a, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

struct SurveyValue {
    text: Option<String>,
    choices: Option<String>,
}

/// The stored value of one survey answer, or the message key of what is wrong.
fn survey_value(q: &SurveyQuestion, given: &[String]) -> Result<SurveyValue, &'static str> {
    let none = SurveyValue {
        text: None,
        choices: None,
    };
    let text = |t: &str| SurveyValue {
        text: Some(t.to_string()),
        choices: None,
    };
    match q.kind {
        // Consent cannot be skipped: without it the interview cannot go on.
        SurveyKind::Consent => match given.first().map(String::as_str) {
            Some("accepted" | "yes" | "on") => Ok(text("accepted")),
            _ => Err("answer.accept_required"),
        },
        _ if given.is_empty() => {
            if q.required {
                Err("answer.required")
            } else {
                Ok(none)
            }
        }
        SurveyKind::Text => {
            let t = given.join("\n");
            if t.chars().count() > MAX_SURVEY_TEXT {
                Err("answer.too_long")
            } else {
                Ok(text(&t))
            }
        }
        SurveyKind::SingleChoice => match given {
            [one] if q.options.contains(one) => Ok(text(one)),
            _ => Err("answer.unknown_choice"),
        },
        SurveyKind::MultipleChoice => {
            if given.iter().all(|g| q.options.contains(g)) {
                Ok(SurveyValue {
                    text: None,
                    choices: Some(serde_json::to_string(given).unwrap_or_default()),
                })
            } else {
                Err("answer.unknown_choice")
            }
        }
        SurveyKind::Scale => match given {
            [one] if matches!(one.as_str(), "1" | "2" | "3" | "4" | "5") => Ok(text(one)),
            _ => Err("answer.scale"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mc(multiple: bool) -> Question {
        serde_json::from_value(serde_json::json!({
            "id": "m", "kind": "multiple_choice", "prompt": "Pick", "multiple": multiple,
            "choices": [
                { "id": "a", "label": "A", "correct": true },
                { "id": "b", "label": "B" },
                { "id": "c", "label": "C", "correct": multiple }
            ]
        }))
        .unwrap()
    }

    #[test]
    fn multiple_choice_is_scored() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(score(&mc(false), &v(&["a"])), Some(true));
        assert_eq!(score(&mc(false), &v(&["b"])), Some(false));
        assert_eq!(score(&mc(true), &v(&["a", "c"])), Some(true));
        assert_eq!(score(&mc(true), &v(&["a"])), Some(false));
        assert!(check_choices(&mc(false), &v(&["a", "b"])).is_err());
        assert!(check_choices(&mc(false), &v(&["z"])).is_err());
        assert_eq!(check_choices(&mc(true), &v(&["a", "a", "c"])).unwrap(), v(&["a", "c"]));
        let mut open = mc(false);
        open.choices.iter_mut().for_each(|c| c.correct = false);
        assert_eq!(score(&open, &v(&["a"])), None);
    }

    #[test]
    fn consent_must_be_accepted() {
        let q: SurveyQuestion = serde_json::from_value(serde_json::json!({
            "id": "c", "placement": "before", "kind": "consent", "prompt": "OK?"
        }))
        .unwrap();
        assert!(survey_value(&q, &[]).is_err());
        assert_eq!(
            survey_value(&q, &["on".into()]).unwrap().text.as_deref(),
            Some("accepted")
        );
    }
}
