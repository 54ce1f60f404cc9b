//! One question's fieldset in the template editor (`q{i}_…`, or `p_…` for the practice
//! question), and its conversion to and from a [`Question`].

use super::field_error;
use shortlist_app::error::FieldError;
use shortlist_domain::template::{Choice, Question, QuestionKind};
use std::collections::HashSet;

pub const KINDS: [(&str, &str); 5] = [
    ("video", "Video"),
    ("audio", "Audio"),
    ("text", "Text"),
    ("multiple_choice", "Multiple choice"),
    ("file_upload", "File upload"),
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionForm {
    /// `q0`, `q1`, … or `p` for the practice question.
    pub prefix: String,
    pub id: String,
    pub kind: String,
    pub prompt: String,
    pub think: String,
    pub answer: String,
    pub retakes: String,
    pub required: bool,
    pub choices: String,
    pub multiple: bool,
    /// `(suffix, message)`, e.g. `("prompt", "write the question")`.
    pub errors: Vec<(String, String)>,
}

impl QuestionForm {
    pub fn blank(prefix: &str, id: String) -> Self {
        Self {
            prefix: prefix.into(),
            id,
            kind: "video".into(),
            think: "30".into(),
            answer: "120".into(),
            retakes: "1".into(),
            required: true,
            ..Self::default()
        }
    }

    /// The form name of one of this question's fields.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.prefix)
    }

    /// The typed value of a number field.
    pub fn value(&self, suffix: &str) -> &str {
        match suffix {
            "think" => &self.think,
            "answer" => &self.answer,
            "retakes" => &self.retakes,
            _ => "",
        }
    }

    pub fn is_kind(&self, kind: &str) -> bool {
        self.kind == kind
    }

    pub fn err(&self, suffix: &str) -> Option<&str> {
        self.errors.iter().find(|(s, _)| s == suffix).map(|(_, m)| m.as_str())
    }

    pub(super) fn is_blank(&self) -> bool {
        self.prompt.trim().is_empty() && self.choices.trim().is_empty()
    }

    pub(super) fn set(&mut self, suffix: &str, v: &str) {
        match suffix {
            "id" => self.id = v.trim().into(),
            "kind" => self.kind = v.into(),
            "prompt" => self.prompt = v.into(),
            "think" => self.think = v.into(),
            "answer" => self.answer = v.into(),
            "retakes" => self.retakes = v.into(),
            "required" => self.required = true,
            "choices" => self.choices = v.into(),
            "multiple" => self.multiple = true,
            _ => {}
        }
    }

    pub(super) fn from_question(prefix: &str, q: &Question) -> Self {
        let kind = KINDS
            .iter()
            .find(|(k, _)| kind_of(k) == Some(q.kind))
            .map_or("video", |(k, _)| k);
        Self {
            prefix: prefix.into(),
            id: q.id.clone(),
            kind: kind.into(),
            prompt: q.prompt.clone(),
            think: q.think_time_secs.to_string(),
            answer: q.answer_time_secs.to_string(),
            retakes: q.retakes.to_string(),
            required: q.required,
            choices: q
                .choices
                .iter()
                .map(|c| format!("{}{}", if c.correct { "*" } else { "" }, c.label))
                .collect::<Vec<_>>()
                .join("\n"),
            multiple: q.multiple,
            errors: vec![],
        }
    }

    pub(super) fn to_question(&self, old: Option<&Question>, errs: &mut Vec<FieldError>) -> Question {
        let kind = kind_of(&self.kind).unwrap_or_else(|| {
            errs.push(field_error(&self.name("kind"), "choose a kind of question"));
            QuestionKind::Text
        });
        let mut num = |suffix: &str, raw: &str| -> u32 {
            let raw = raw.trim();
            if raw.is_empty() {
                return 0;
            }
            raw.parse().unwrap_or_else(|_| {
                errs.push(field_error(&self.name(suffix), "a whole number, 0 or more"));
                0
            })
        };
        let (think, answer, retakes) = (
            num("think", &self.think),
            num("answer", &self.answer),
            num("retakes", &self.retakes),
        );
        let mc = kind == QuestionKind::MultipleChoice;
        Question {
            id: self.id.clone(),
            kind,
            prompt: self.prompt.trim().to_string(),
            prompt_video: old.and_then(|o| o.prompt_video.clone()),
            think_time_secs: think,
            answer_time_secs: answer,
            retakes,
            required: self.required,
            choices: if mc { choices(&self.choices, old) } else { vec![] },
            multiple: mc && self.multiple,
        }
    }
}

fn kind_of(k: &str) -> Option<QuestionKind> {
    serde_json::from_value(serde_json::Value::String(k.to_string())).ok()
}

/// One choice per line; `*` in front marks a correct one. Ids of unchanged labels are kept.
fn choices(text: &str, old: Option<&Question>) -> Vec<Choice> {
    let old: &[Choice] = old.map_or(&[], |q| &q.choices);
    let mut used: HashSet<String> = HashSet::new();
    let mut out: Vec<Choice> = vec![];
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (correct, label) = match line.strip_prefix('*') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let id = old
            .iter()
            .find(|c| c.label == label && !used.contains(&c.id))
            .map(|c| c.id.clone());
        out.push(Choice {
            id: id.unwrap_or_default(),
            label: label.to_string(),
            correct,
        });
        if let Some(c) = out.last() {
            used.insert(c.id.clone());
        }
    }
    let taken: HashSet<String> = out.iter().map(|c| c.id.clone()).collect();
    let mut n = 0;
    for c in out.iter_mut().filter(|c| c.id.is_empty()) {
        loop {
            n += 1;
            let id = format!("c{n}");
            if !taken.contains(&id) {
                c.id = id;
                break;
            }
        }
    }
    out
}
