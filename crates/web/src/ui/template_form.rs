//! The template editor's form: its fields as typed, and the conversions to and from a
//! [`TemplateSpec`]. Questions are repeated fieldsets `q{i}_…`; the practice question is `p_…`;
//! surveys, documents and scorecard criteria are one line each (see [`super::template_lines`]).

use super::field_error;
pub use super::question_form::{KINDS, QuestionForm};
use super::template_lines::{
    parse_documents, parse_scorecard, parse_surveys, show_documents, show_scorecard, show_surveys,
};
use shortlist_app::error::FieldError;
use shortlist_domain::template::TemplateSpec;
use std::collections::{BTreeMap, HashSet};

/// The most question fieldsets one form may carry.
const MAX_FORM_QUESTIONS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateForm {
    pub key: String,
    pub name: String,
    pub description: String,
    pub locale: String,
    pub colour: String,
    pub closing_message: String,
    pub expiry_days: String,
    pub questions: Vec<QuestionForm>,
    pub practice: QuestionForm,
    pub surveys: String,
    pub documents: String,
    pub allow_audio_only: bool,
    /// Criterion labels, one a line; `None` (field not sent) keeps the saved scorecard.
    pub scorecard: Option<String>,
    /// Media keys as the form carries them (hidden fields, or a file just uploaded); `Some("")`
    /// removes, `None` (field not sent) keeps the saved one.
    pub logo_key: Option<String>,
    pub intro_video_key: Option<String>,
}

impl TemplateForm {
    /// A new template: one blank question.
    pub fn blank() -> Self {
        let mut f = Self {
            locale: "en".into(),
            practice: QuestionForm::blank("p", "practice".into()),
            ..Self::default()
        };
        f.add_question();
        f
    }

    pub fn from_spec(key: &str, s: &TemplateSpec) -> Self {
        Self {
            key: key.into(),
            name: s.name.clone(),
            description: s.description.clone(),
            locale: s.locale.clone(),
            colour: s.branding.colour.clone().unwrap_or_default(),
            closing_message: s.closing_message.clone(),
            expiry_days: s.expiry_days.map(|d| d.to_string()).unwrap_or_default(),
            questions: s
                .questions
                .iter()
                .enumerate()
                .map(|(i, q)| QuestionForm::from_question(&format!("q{i}"), q))
                .collect(),
            practice: match &s.practice_question {
                Some(p) => QuestionForm::from_question("p", p),
                None => QuestionForm::blank("p", "practice".into()),
            },
            surveys: show_surveys(&s.surveys),
            documents: show_documents(&s.documents),
            allow_audio_only: s.allow_audio_only,
            scorecard: Some(show_scorecard(&s.scorecard)),
            logo_key: s.branding.logo_media_key.clone(),
            intro_video_key: s.intro_video_media_key.clone(),
        }
    }

    pub fn scorecard_text(&self) -> &str {
        self.scorecard.as_deref().unwrap_or_default()
    }

    pub fn logo(&self) -> &str {
        self.logo_key.as_deref().unwrap_or_default()
    }

    pub fn intro_video(&self) -> &str {
        self.intro_video_key.as_deref().unwrap_or_default()
    }

    /// The typed value of a short text field.
    pub fn value(&self, field: &str) -> &str {
        match field {
            "locale" => &self.locale,
            "colour" => &self.colour,
            "expiry_days" => &self.expiry_days,
            _ => "",
        }
    }

    /// The form as posted (`(name, value)` pairs); removed questions are left out.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = Self {
            practice: QuestionForm {
                prefix: "p".into(),
                id: "practice".into(),
                ..QuestionForm::default()
            },
            ..Self::default()
        };
        let mut qs: BTreeMap<usize, QuestionForm> = BTreeMap::new();
        let mut removed = HashSet::new();
        let mut cleared = HashSet::new();
        for (k, v) in pairs {
            match k.as_str() {
                "key" => f.key = v.trim().into(),
                "name" => f.name = v.clone(),
                "description" => f.description = v.clone(),
                "locale" => f.locale = v.trim().into(),
                "colour" => f.colour = v.trim().into(),
                "closing_message" => f.closing_message = v.clone(),
                "expiry_days" => f.expiry_days = v.trim().into(),
                "surveys" => f.surveys = v.clone(),
                "documents" => f.documents = v.clone(),
                "allow_audio_only" => f.allow_audio_only = true,
                "scorecard" => f.scorecard = Some(v.clone()),
                "logo_media_key" => f.logo_key = Some(v.trim().into()),
                "intro_video_media_key" => f.intro_video_key = Some(v.trim().into()),
                "logo_remove" | "intro_video_remove" => {
                    cleared.insert(k.as_str());
                }
                _ => {
                    let Some((prefix, suffix)) = k.split_once('_') else {
                        continue;
                    };
                    if prefix == "p" {
                        f.practice.set(suffix, v);
                        continue;
                    }
                    let Some(n) = prefix.strip_prefix('q').and_then(|n| n.parse::<usize>().ok()) else {
                        continue;
                    };
                    if n >= MAX_FORM_QUESTIONS {
                        continue;
                    }
                    if suffix == "remove" {
                        removed.insert(n);
                    }
                    qs.entry(n).or_default().set(suffix, v);
                }
            }
        }
        f.questions = qs
            .into_iter()
            .filter(|(n, _)| !removed.contains(n))
            .map(|(_, q)| q)
            .collect();
        if cleared.contains("logo_remove") {
            f.logo_key = Some(String::new());
        }
        if cleared.contains("intro_video_remove") {
            f.intro_video_key = Some(String::new());
        }
        f.renumber();
        f
    }

    fn renumber(&mut self) {
        for (i, q) in self.questions.iter_mut().enumerate() {
            q.prefix = format!("q{i}");
        }
    }

    /// Appends a blank question with an id no other question has.
    pub fn add_question(&mut self) {
        let taken: HashSet<&str> = self.questions.iter().map(|q| q.id.as_str()).collect();
        let id = (1..)
            .map(|n| format!("q{n}"))
            .find(|id| !taken.contains(id.as_str()))
            .unwrap_or_default();
        self.questions
            .push(QuestionForm::blank(&format!("q{}", self.questions.len()), id));
    }

    /// Questions left entirely blank are not saved.
    pub fn drop_blank_questions(&mut self) {
        self.questions.retain(|q| !q.is_blank());
        self.renumber();
    }

    /// The spec the form describes. `old` (the saved spec) keeps what the form does not show or
    /// did not send: video prompts, logo, intro video. Errors name form fields; with errors, the spec is the
    /// best reading of the form (so its own validation can report the rest at the same time).
    pub fn build_spec(&mut self, old: Option<&TemplateSpec>) -> (TemplateSpec, Vec<FieldError>) {
        let mut errs = vec![];
        let mut seen = HashSet::new();
        for q in self.questions.iter_mut() {
            if q.id.is_empty() || !seen.insert(q.id.clone()) {
                q.id.clear();
            }
        }
        let taken: HashSet<String> = self.questions.iter().map(|q| q.id.clone()).collect();
        let mut n = 0;
        for q in self.questions.iter_mut().filter(|q| q.id.is_empty()) {
            q.id = loop {
                n += 1;
                if !taken.contains(&format!("q{n}")) {
                    break format!("q{n}");
                }
            };
        }
        let old_q = |id: &str| old.and_then(|o| o.questions.iter().find(|q| q.id == id));
        let questions = self
            .questions
            .iter()
            .map(|q| q.to_question(old_q(&q.id), &mut errs))
            .collect::<Vec<_>>();
        let practice = (!self.practice.is_blank()).then(|| {
            let old_p = old.and_then(|o| o.practice_question.as_ref());
            self.practice.to_question(old_p, &mut errs)
        });
        let expiry_days = match self.expiry_days.trim() {
            "" => None,
            d => d.parse().map(Some).unwrap_or_else(|_| {
                errs.push(field_error("expiry_days", "a whole number of days"));
                None
            }),
        };
        let ids: HashSet<&str> = questions.iter().map(|q| q.id.as_str()).collect();
        let surveys = parse_surveys(&self.surveys, &ids, old.map_or(&[], |o| &o.surveys)).unwrap_or_else(|m| {
            errs.push(field_error("surveys", m));
            vec![]
        });
        let documents = parse_documents(&self.documents).unwrap_or_else(|m| {
            errs.push(field_error("documents", m));
            vec![]
        });
        let old_scorecard = old.map_or(&[][..], |o| &o.scorecard);
        let scorecard = match &self.scorecard {
            Some(text) => parse_scorecard(text, old_scorecard),
            None => old_scorecard.to_vec(),
        };
        let keep = |typed: &Option<String>, saved: Option<&String>| match typed {
            Some(k) => Some(k.clone()).filter(|k| !k.is_empty()),
            None => saved.cloned(),
        };
        let mut branding = old.map(|o| o.branding.clone()).unwrap_or_default();
        branding.colour = Some(self.colour.clone()).filter(|c| !c.is_empty());
        branding.logo_media_key = keep(&self.logo_key, old.and_then(|o| o.branding.logo_media_key.as_ref()));
        let spec = TemplateSpec {
            name: self.name.trim().to_string(),
            description: self.description.trim().to_string(),
            locale: self.locale.clone(),
            branding,
            intro_video_media_key: keep(
                &self.intro_video_key,
                old.and_then(|o| o.intro_video_media_key.as_ref()),
            ),
            closing_message: self.closing_message.trim().to_string(),
            expiry_days,
            practice_question: practice,
            questions,
            surveys,
            documents,
            scorecard,
            allow_audio_only: self.allow_audio_only,
        };
        (spec, errs)
    }

    /// Gives each question's errors to its fieldset and returns all of them (for the summary),
    /// spec paths (`questions[1].prompt`) translated to form fields (`q1_prompt`).
    pub fn attach(&mut self, errors: Vec<FieldError>) -> Vec<FieldError> {
        let mut rest = vec![];
        for e in errors.into_iter().map(to_form_field) {
            let target = e.field.split_once('_').and_then(|(prefix, suffix)| {
                let q = if prefix == "p" {
                    Some(&mut self.practice)
                } else {
                    self.questions.iter_mut().find(|q| q.prefix == prefix)
                };
                q.map(|q| (q, suffix.to_string()))
            });
            if let Some((q, suffix)) = target {
                q.errors.push((suffix, e.message.clone()));
            }
            rest.push(e);
        }
        rest
    }
}

/// `questions[2].think_time_secs` → `q2_think`; `surveys[0].prompt` → `surveys` ("line 1: …").
fn to_form_field(e: FieldError) -> FieldError {
    let f = e.field.as_str();
    let question_field = |rest: &str| {
        let suffix = match rest.split(['.', '[']).next().unwrap_or_default() {
            "think_time_secs" => "think",
            "answer_time_secs" => "answer",
            "retakes" => "retakes",
            "choices" => "choices",
            "kind" => "kind",
            _ => "prompt",
        };
        suffix.to_string()
    };
    let indexed = |name: &str| -> Option<(usize, String)> {
        let rest = f.strip_prefix(name)?.strip_prefix('[')?;
        let (n, rest) = rest.split_once(']')?;
        Some((n.parse().ok()?, rest.trim_start_matches('.').to_string()))
    };
    let (field, message) = if let Some((i, rest)) = indexed("questions") {
        (format!("q{i}_{}", question_field(&rest)), e.message)
    } else if let Some(rest) = f.strip_prefix("practice_question.") {
        (format!("p_{}", question_field(rest)), e.message)
    } else if let Some((i, _)) = indexed("surveys") {
        ("surveys".into(), format!("line {}: {}", i + 1, e.message))
    } else if let Some((i, _)) = indexed("scorecard") {
        ("scorecard".into(), format!("criterion {}: {}", i + 1, e.message))
    } else if let Some((i, _)) = indexed("documents") {
        ("documents".into(), format!("line {}: {}", i + 1, e.message))
    } else if f == "branding.colour" {
        ("colour".into(), e.message)
    } else if f == "branding.logo_media_key" {
        ("logo_file".into(), e.message)
    } else if f == "intro_video_media_key" {
        ("intro_video_file".into(), e.message)
    } else {
        (e.field, e.message)
    };
    FieldError { field, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(f: &mut TemplateForm, old: Option<&TemplateSpec>) -> TemplateSpec {
        let (spec, errs) = f.build_spec(old);
        assert!(errs.is_empty(), "{errs:?}");
        spec
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_audio_only_checkbox_is_kept() {
        let base = [
            ("name", "Sales"),
            ("locale", "en"),
            ("q0_id", "q1"),
            ("q0_kind", "text"),
            ("q0_prompt", "Hi"),
        ];
        let mut f = TemplateForm::from_pairs(&pairs(&base));
        assert!(
            !spec_of(&mut f, None).allow_audio_only,
            "unchecked boxes are not posted"
        );
        let mut with = base.to_vec();
        with.push(("allow_audio_only", "1"));
        let mut f = TemplateForm::from_pairs(&pairs(&with));
        let spec = spec_of(&mut f, None);
        assert!(spec.allow_audio_only);
        assert!(TemplateForm::from_spec("sales", &spec).allow_audio_only);
    }

    #[test]
    fn scorecard_criteria_round_trip_and_are_kept_when_not_sent() {
        let base = [
            ("name", "Sales"),
            ("locale", "en"),
            ("q0_kind", "text"),
            ("q0_prompt", "Hi"),
        ];
        let mut with = base.to_vec();
        with.push(("scorecard", "Communication\r\n\r\nTeam fit"));
        let mut f = TemplateForm::from_pairs(&pairs(&with));
        let spec = spec_of(&mut f, None);
        let ids: Vec<_> = spec.scorecard.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["communication", "team-fit"]);
        assert_eq!(spec.validate(), Ok(()));
        let mut back = TemplateForm::from_spec("sales", &spec);
        assert_eq!(back.scorecard_text(), "Communication\nTeam fit");
        assert_eq!(spec_of(&mut back, Some(&spec)).scorecard, spec.scorecard);
        let mut without = TemplateForm::from_pairs(&pairs(&base));
        assert_eq!(
            spec_of(&mut without, Some(&spec)).scorecard,
            spec.scorecard,
            "field not sent"
        );
        let mut emptied = base.to_vec();
        emptied.push(("scorecard", ""));
        let mut f = TemplateForm::from_pairs(&pairs(&emptied));
        assert!(spec_of(&mut f, Some(&spec)).scorecard.is_empty(), "emptied on purpose");
    }

    #[test]
    fn a_posted_form_becomes_a_spec_and_back() {
        let mut f = TemplateForm::from_pairs(&pairs(&[
            ("name", "Sales"),
            ("locale", "en"),
            ("q0_id", "q1"),
            ("q0_kind", "video"),
            ("q0_prompt", "Why us?"),
            ("q0_think", "30"),
            ("q0_answer", "90"),
            ("q0_retakes", "2"),
            ("q0_required", "1"),
            ("q1_id", "q2"),
            ("q1_kind", "multiple_choice"),
            ("q1_prompt", "Pick one"),
            ("q1_choices", "Red\n*Blue\n\n"),
            ("q2_kind", "text"),
            ("q2_prompt", "gone"),
            ("q2_remove", "1"),
            ("surveys", "before ; consent ; I agree ; ; required"),
            ("documents", "Handbook | https://example.org/h"),
        ]));
        assert_eq!(f.questions.len(), 2);
        let spec = spec_of(&mut f, None);
        assert_eq!(spec.questions[0].answer_time_secs, 90);
        assert!(spec.questions[0].required && !spec.questions[1].required);
        let c = &spec.questions[1].choices;
        assert_eq!((c[1].label.as_str(), c[1].correct, c[0].correct), ("Blue", true, false));
        assert_eq!(spec.surveys[0].prompt, "I agree");
        assert!(spec.practice_question.is_none());
        assert_eq!(spec.validate(), Ok(()));
        let mut back = TemplateForm::from_spec("sales", &spec);
        assert_eq!(back.questions[1].choices, "Red\n*Blue");
        assert_eq!(spec_of(&mut back, None).questions, spec.questions);
    }

    #[test]
    fn choice_ids_survive_edits_and_new_questions_get_free_ids() {
        let mut f = TemplateForm::blank();
        f.questions[0].kind = "multiple_choice".into();
        f.questions[0].prompt = "P".into();
        f.questions[0].choices = "A\nB".into();
        let old = spec_of(&mut f, None);
        f.questions[0].choices = "C\nB\nA".into();
        f.add_question();
        assert_eq!(f.questions[1].id, "q2");
        let new = spec_of(&mut f, Some(&old));
        let ids: Vec<_> = new.questions[0].choices.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c3", "c2", "c1"]);
    }

    #[test]
    fn errors_land_on_form_fields() {
        let mut f = TemplateForm::blank();
        f.questions[0].think = "soon".into();
        let errs = f.build_spec(None).1;
        assert_eq!(errs[0].field, "q0_think");
        let rest = f.attach(vec![
            field_error("questions[0].answer_time_secs", "needs a limit"),
            field_error("surveys[1].prompt", "write it"),
            field_error("branding.colour", "like #123456"),
            field_error("scorecard[1].label", "name the criterion"),
        ]);
        assert_eq!(f.questions[0].err("answer"), Some("needs a limit"));
        let fields: Vec<_> = rest.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["q0_answer", "surveys", "colour", "scorecard"]);
        assert_eq!(rest[3].message, "criterion 2: name the criterion");
        assert_eq!(rest[1].message, "line 2: write it");
    }
}
