//! Interview templates (an ATS calls them "packages"): what a candidate is asked, in order.
//!
//! A template's content is one document ([`TemplateSpec`]) stored per version, so a version is
//! immutable once invitations point at it and export/import is the same document as JSON.

use serde::{Deserialize, Serialize};

/// A rule a submitted value broke, named by its path (`questions[2].prompt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub field: String,
    pub message: String,
}

fn v(field: impl Into<String>, message: impl Into<String>) -> Violation {
    Violation {
        field: field.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Video,
    Audio,
    Text,
    MultipleChoice,
    FileUpload,
}

impl QuestionKind {
    pub fn records_media(self) -> bool {
        matches!(self, QuestionKind::Video | QuestionKind::Audio)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choice {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub correct: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    /// Stable within the template (answers refer to it), e.g. `q1`.
    pub id: String,
    pub kind: QuestionKind,
    pub prompt: String,
    /// Media key of a recorded prompt, if the question is also asked on video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_video: Option<String>,
    /// Seconds to read the question before recording starts; 0 starts at once.
    #[serde(default)]
    pub think_time_secs: u32,
    /// Longest answer in seconds (recording stops there); 0 = no limit (text, choices, files).
    #[serde(default)]
    pub answer_time_secs: u32,
    /// Extra attempts beyond the first.
    #[serde(default)]
    pub retakes: u32,
    #[serde(default = "yes")]
    pub required: bool,
    /// Multiple choice only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Multiple choice: several answers may be picked.
    #[serde(default)]
    pub multiple: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyPlacement {
    Before,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    Text,
    SingleChoice,
    MultipleChoice,
    /// A statement the candidate must accept (e.g. consent to processing).
    Consent,
    /// 1 to 5.
    Scale,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyQuestion {
    pub id: String,
    pub placement: SurveyPlacement,
    pub kind: SurveyKind,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Document {
    pub title: String,
    /// A link (http or https) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// … or an uploaded file (media key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_key: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Branding {
    /// `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_media_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_locale")]
    pub locale: String,
    #[serde(default)]
    pub branding: Branding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro_video_media_key: Option<String>,
    #[serde(default)]
    pub closing_message: String,
    /// Days an invitation stays valid; None uses the organisation's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_days: Option<u32>,
    /// Asked first and never saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice_question: Option<Question>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub surveys: Vec<SurveyQuestion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// What reviewers rate overall (1–5 each), e.g. communication, role knowledge.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scorecard: Vec<Criterion>,
    /// A candidate without a usable camera may answer video questions with audio only.
    #[serde(default)]
    pub allow_audio_only: bool,
}

/// A scorecard criterion of the template, rated by each reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Criterion {
    pub id: String,
    pub label: String,
}

pub const MAX_CRITERIA: usize = 20;

fn default_locale() -> String {
    "en".to_string()
}

pub const MAX_QUESTIONS: usize = 100;
pub const MAX_THINK_SECS: u32 = 600;
pub const MAX_ANSWER_SECS: u32 = 3600;
pub const MAX_RETAKES: u32 = 10;
pub const MAX_EXPIRY_DAYS: u32 = 365;

fn locale_ok(l: &str) -> bool {
    // BCP 47 in the simple forms we localise: "en", "de", "pt-BR", "zh-Hant".
    let mut parts = l.split('-');
    let lang = parts.next().unwrap_or_default();
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn colour_ok(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn id_ok(id: &str) -> bool {
    !id.is_empty() && id.len() <= 40 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_question(q: &Question, path: &str, out: &mut Vec<Violation>) {
    if !id_ok(&q.id) {
        out.push(v(format!("{path}.id"), "use 1–40 letters, digits, '-' or '_'"));
    }
    if q.prompt.trim().is_empty() || q.prompt.len() > 4000 {
        out.push(v(
            format!("{path}.prompt"),
            "write the question (at most 4000 characters)",
        ));
    }
    if q.think_time_secs > MAX_THINK_SECS {
        out.push(v(
            format!("{path}.think_time_secs"),
            format!("at most {MAX_THINK_SECS} seconds"),
        ));
    }
    if q.answer_time_secs > MAX_ANSWER_SECS {
        out.push(v(
            format!("{path}.answer_time_secs"),
            format!("at most {MAX_ANSWER_SECS} seconds"),
        ));
    }
    if q.kind.records_media() && q.answer_time_secs == 0 {
        out.push(v(
            format!("{path}.answer_time_secs"),
            "a recorded answer needs a time limit",
        ));
    }
    if q.retakes > MAX_RETAKES {
        out.push(v(format!("{path}.retakes"), format!("at most {MAX_RETAKES} retakes")));
    }
    if q.kind == QuestionKind::MultipleChoice {
        if q.choices.len() < 2 {
            out.push(v(format!("{path}.choices"), "give at least two choices"));
        }
        let correct = q.choices.iter().filter(|c| c.correct).count();
        if !q.multiple && correct > 1 {
            out.push(v(
                format!("{path}.choices"),
                "a single-answer question has at most one correct choice",
            ));
        }
        let mut ids = std::collections::HashSet::new();
        for (i, c) in q.choices.iter().enumerate() {
            if !id_ok(&c.id) || !ids.insert(c.id.as_str()) {
                out.push(v(format!("{path}.choices[{i}].id"), "each choice needs its own id"));
            }
            if c.label.trim().is_empty() {
                out.push(v(format!("{path}.choices[{i}].label"), "write the choice"));
            }
        }
    } else if !q.choices.is_empty() {
        out.push(v(
            format!("{path}.choices"),
            "only multiple-choice questions have choices",
        ));
    }
}

impl TemplateSpec {
    /// Every problem at once, so a form or an API client can fix them in one go.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut out = vec![];
        if self.name.trim().is_empty() || self.name.len() > 200 {
            out.push(v("name", "give the template a name (at most 200 characters)"));
        }
        if self.description.len() > 10_000 {
            out.push(v("description", "at most 10000 characters"));
        }
        if !locale_ok(&self.locale) {
            out.push(v("locale", "use a language tag such as en, de or pt-BR"));
        }
        if let Some(c) = &self.branding.colour
            && !colour_ok(c)
        {
            out.push(v("branding.colour", "use a colour like #1a2b3c"));
        }
        if self.closing_message.len() > 4000 {
            out.push(v("closing_message", "at most 4000 characters"));
        }
        if let Some(d) = self.expiry_days
            && !(1..=MAX_EXPIRY_DAYS).contains(&d)
        {
            out.push(v("expiry_days", format!("between 1 and {MAX_EXPIRY_DAYS} days")));
        }
        if self.questions.len() > MAX_QUESTIONS {
            out.push(v("questions", format!("at most {MAX_QUESTIONS} questions")));
        }
        let mut ids = std::collections::HashSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            check_question(q, &format!("questions[{i}]"), &mut out);
            if !ids.insert(q.id.as_str()) {
                out.push(v(format!("questions[{i}].id"), "two questions share this id"));
            }
        }
        if let Some(p) = &self.practice_question {
            check_question(p, "practice_question", &mut out);
        }
        for (i, s) in self.surveys.iter().enumerate() {
            if !id_ok(&s.id) || !ids.insert(s.id.as_str()) {
                out.push(v(format!("surveys[{i}].id"), "each survey question needs its own id"));
            }
            if s.prompt.trim().is_empty() {
                out.push(v(format!("surveys[{i}].prompt"), "write the survey question"));
            }
            let needs_options = matches!(s.kind, SurveyKind::SingleChoice | SurveyKind::MultipleChoice);
            if needs_options && s.options.len() < 2 {
                out.push(v(format!("surveys[{i}].options"), "give at least two options"));
            }
        }
        if self.scorecard.len() > MAX_CRITERIA {
            out.push(v("scorecard", format!("at most {MAX_CRITERIA} criteria")));
        }
        let mut criteria = std::collections::HashSet::new();
        for (i, c) in self.scorecard.iter().enumerate() {
            if !id_ok(&c.id) || !criteria.insert(c.id.as_str()) {
                out.push(v(format!("scorecard[{i}].id"), "each criterion needs its own id"));
            }
            if c.label.trim().is_empty() || c.label.len() > 200 {
                out.push(v(
                    format!("scorecard[{i}].label"),
                    "name the criterion (at most 200 characters)",
                ));
            }
        }
        for (i, d) in self.documents.iter().enumerate() {
            if d.title.trim().is_empty() {
                out.push(v(format!("documents[{i}].title"), "give the document a title"));
            }
            match (&d.url, &d.media_key) {
                (Some(u), None) if u.starts_with("https://") || u.starts_with("http://") => {}
                (Some(_), None) => out.push(v(format!("documents[{i}].url"), "use an http(s) link")),
                (None, Some(_)) => {}
                _ => out.push(v(format!("documents[{i}]"), "give either a link or a file")),
            }
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    /// A template without questions cannot be sent to anyone.
    pub fn can_invite(&self) -> bool {
        !self.questions.is_empty()
    }
}

/// The JSON file a template is exported to and imported from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateExport {
    /// Format version of this file.
    pub shortlist_template: u32,
    pub key: String,
    pub spec: TemplateSpec,
}

impl TemplateExport {
    pub const FORMAT: u32 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn question(id: &str, kind: QuestionKind) -> Question {
        Question {
            id: id.into(),
            kind,
            prompt: "Tell us about yourself".into(),
            prompt_video: None,
            think_time_secs: 30,
            answer_time_secs: if kind.records_media() { 120 } else { 0 },
            retakes: 1,
            required: true,
            choices: vec![],
            multiple: false,
        }
    }

    fn spec() -> TemplateSpec {
        serde_json::from_value(serde_json::json!({ "name": "Sales rep", "questions": [] })).unwrap()
    }

    #[test]
    fn a_minimal_template_is_valid_but_cannot_invite() {
        let s = spec();
        assert_eq!(s.validate(), Ok(()));
        assert!(!s.can_invite());
        assert_eq!(s.locale, "en");
    }

    #[test]
    fn violations_name_their_fields() {
        let mut s = spec();
        s.name = " ".into();
        s.locale = "English".into();
        let mut q = question("q1", QuestionKind::Video);
        q.answer_time_secs = 0;
        let mut mc = question("q1", QuestionKind::MultipleChoice);
        mc.choices = vec![Choice {
            id: "a".into(),
            label: "A".into(),
            correct: true,
        }];
        s.questions = vec![q, mc];
        let fields: Vec<String> = s.validate().unwrap_err().into_iter().map(|v| v.field).collect();
        for f in [
            "name",
            "locale",
            "questions[0].answer_time_secs",
            "questions[1].choices",
            "questions[1].id",
        ] {
            assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn export_round_trips() {
        let mut s = spec();
        s.questions.push(question("q1", QuestionKind::Text));
        let e = TemplateExport {
            shortlist_template: TemplateExport::FORMAT,
            key: "sales".into(),
            spec: s,
        };
        let back: TemplateExport = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
