//! Where a candidate is in the interview, computed from the template and what was saved, so a
//! reload or another device continues at the same place.

use shortlist_domain::template::{QuestionKind, SurveyPlacement, TemplateSpec};
use shortlist_store::interviews::ProgressRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Landing page with the privacy notice; consent starts the interview.
    Landing,
    DeviceCheck,
    /// The practice question (never saved).
    Practice,
    Survey(SurveyPlacement),
    Question(String),
    /// Everything is answered: the candidate submits the interview.
    Finish,
    /// Completed: the receipt.
    Done,
}

impl Step {
    /// The page's path below `/i/{token}`.
    pub fn path(&self) -> String {
        match self {
            Step::Landing => String::new(),
            Step::DeviceCheck => "/device".into(),
            Step::Practice => "/practice".into(),
            Step::Survey(SurveyPlacement::Before) => "/survey/before".into(),
            Step::Survey(SurveyPlacement::After) => "/survey/after".into(),
            Step::Question(id) => format!("/q/{id}"),
            Step::Finish => "/finish".into(),
            Step::Done => "/done".into(),
        }
    }
}

/// Something is recorded with camera or microphone (questions or the practice question).
pub fn records_media(spec: &TemplateSpec) -> bool {
    spec.questions
        .iter()
        .chain(spec.practice_question.iter())
        .any(|q| q.kind.records_media())
}

/// A camera is needed; when only audio is recorded the device check asks for the microphone.
pub fn needs_camera(spec: &TemplateSpec) -> bool {
    spec.questions
        .iter()
        .chain(spec.practice_question.iter())
        .any(|q| q.kind == QuestionKind::Video)
}

/// Landing/consent → device check → practice → surveys before → questions in order (answered
/// ones skipped) → surveys after → finish; a completed interview shows its receipt.
pub fn next_step(spec: &TemplateSpec, p: &ProgressRow, answered: &[&str], completed: bool) -> Step {
    if completed {
        return Step::Done;
    }
    if p.consent_at.is_none() {
        return Step::Landing;
    }
    if records_media(spec) && p.device_checked_at.is_none() {
        return Step::DeviceCheck;
    }
    if spec.practice_question.is_some() && p.practice_done_at.is_none() {
        return Step::Practice;
    }
    let open_survey = |placement| {
        spec.surveys
            .iter()
            .any(|s| s.placement == placement && !answered.contains(&s.id.as_str()))
    };
    if open_survey(SurveyPlacement::Before) {
        return Step::Survey(SurveyPlacement::Before);
    }
    if let Some(q) = spec.questions.iter().find(|q| !answered.contains(&q.id.as_str())) {
        return Step::Question(q.id.clone());
    }
    if open_survey(SurveyPlacement::After) {
        return Step::Survey(SurveyPlacement::After);
    }
    Step::Finish
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TemplateSpec {
        serde_json::from_value(serde_json::json!({
            "name": "t",
            "practice_question": { "id": "p", "kind": "video", "prompt": "Hi", "answer_time_secs": 30 },
            "questions": [
                { "id": "q1", "kind": "video", "prompt": "One", "answer_time_secs": 60 },
                { "id": "q2", "kind": "text", "prompt": "Two" }
            ],
            "surveys": [
                { "id": "s1", "placement": "before", "kind": "consent", "prompt": "OK?" },
                { "id": "s2", "placement": "after", "kind": "scale", "prompt": "How was it?" }
            ]
        }))
        .unwrap()
    }

    #[test]
    fn walks_the_interview_in_order() {
        let s = spec();
        let mut p = ProgressRow::default();
        assert_eq!(next_step(&s, &p, &[], false), Step::Landing);
        p.consent_at = Some(chrono::Utc::now());
        assert_eq!(next_step(&s, &p, &[], false), Step::DeviceCheck);
        p.device_checked_at = p.consent_at;
        assert_eq!(next_step(&s, &p, &[], false), Step::Practice);
        p.practice_done_at = p.consent_at;
        assert_eq!(next_step(&s, &p, &[], false), Step::Survey(SurveyPlacement::Before));
        assert_eq!(next_step(&s, &p, &["s1"], false), Step::Question("q1".into()));
        assert_eq!(next_step(&s, &p, &["s1", "q1"], false), Step::Question("q2".into()));
        assert_eq!(next_step(&s, &p, &["s1", "q2"], false), Step::Question("q1".into()));
        assert_eq!(
            next_step(&s, &p, &["s1", "q1", "q2"], false),
            Step::Survey(SurveyPlacement::After)
        );
        assert_eq!(next_step(&s, &p, &["s1", "q1", "q2", "s2"], false), Step::Finish);
        assert_eq!(next_step(&s, &p, &[], true), Step::Done);
        assert_eq!(Step::Question("q1".into()).path(), "/q/q1");
    }

    #[test]
    fn no_device_check_without_recordings() {
        let mut s = spec();
        s.practice_question = None;
        s.questions.retain(|q| !q.kind.records_media());
        let p = ProgressRow {
            consent_at: Some(chrono::Utc::now()),
            ..Default::default()
        };
        assert!(!needs_camera(&s));
        assert_eq!(next_step(&s, &p, &[], false), Step::Survey(SurveyPlacement::Before));
    }
}
