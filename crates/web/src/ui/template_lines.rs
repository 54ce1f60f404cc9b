//! Surveys, documents and scorecard criteria edited as one line each.
//!
//! Survey: `before|after ; kind ; prompt [; option1, option2 [; required]]` with kind one of
//! text, single_choice, multiple_choice, consent, scale.
//! Document: `Title | https://link` (or `Title | file:KEY` for an uploaded file).
//! Scorecard criterion: its label; the id is derived (see [`parse_scorecard`]).

use shortlist_domain::template::{Criterion, Document, SurveyKind, SurveyPlacement, SurveyQuestion};
use std::collections::HashSet;

fn word<T: serde::de::DeserializeOwned>(raw: &str) -> Option<T> {
    let w = raw.trim().to_lowercase().replace([' ', '-'], "_");
    serde_json::from_value(serde_json::Value::String(w)).ok()
}

fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Parses the survey lines; ids of unchanged prompts are kept, new ones avoid `taken`.
pub fn parse_surveys(text: &str, taken: &HashSet<&str>, old: &[SurveyQuestion]) -> Result<Vec<SurveyQuestion>, String> {
    let mut out: Vec<SurveyQuestion> = vec![];
    let mut problems = vec![];
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split(';').map(str::trim).collect();
        let at = |msg: &str| format!("line {}: {msg}", n + 1);
        if parts.len() < 3 || parts.len() > 5 {
            problems.push(at(
                "write before|after ; kind ; question [; option1, option2 [; required]]",
            ));
            continue;
        }
        let Some(placement) = word::<SurveyPlacement>(parts[0]) else {
            problems.push(at("start with before or after"));
            continue;
        };
        let Some(kind) = word::<SurveyKind>(parts[1]) else {
            problems.push(at(
                "the kind is one of text, single_choice, multiple_choice, consent, scale",
            ));
            continue;
        };
        let options = parts.get(3).map_or(vec![], |o| {
            o.split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_string)
                .collect()
        });
        let required = match parts.get(4).map(|r| r.to_lowercase()) {
            None => false,
            Some(r) if r.is_empty() || r == "optional" => false,
            Some(r) if r == "required" => true,
            Some(_) => {
                problems.push(at("the last part is required or optional"));
                continue;
            }
        };
        let prompt = parts[2].to_string();
        let id = old
            .iter()
            .find(|s| s.prompt == prompt && !out.iter().any(|o| o.id == s.id))
            .map(|s| s.id.clone());
        out.push(SurveyQuestion {
            id: id.unwrap_or_default(),
            placement,
            kind,
            prompt,
            options,
            required,
        });
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let mut used: HashSet<String> = out.iter().map(|s| s.id.clone()).collect();
    used.extend(taken.iter().map(|t| t.to_string()));
    let mut n = 0;
    for s in out.iter_mut().filter(|s| s.id.is_empty()) {
        s.id = loop {
            n += 1;
            let id = format!("s{n}");
            if !used.contains(&id) {
                break id;
            }
        };
    }
    Ok(out)
}

pub fn show_surveys(surveys: &[SurveyQuestion]) -> String {
    surveys
        .iter()
        .map(|s| {
            let mut line = format!("{} ; {} ; {}", name_of(&s.placement), name_of(&s.kind), s.prompt);
            if !s.options.is_empty() || s.required {
                line.push_str(&format!(" ; {}", s.options.join(", ")));
            }
            if s.required {
                line.push_str(" ; required");
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn parse_documents(text: &str) -> Result<Vec<Document>, String> {
    let mut out = vec![];
    let mut problems = vec![];
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((title, target)) = line.rsplit_once('|') else {
            problems.push(format!("line {}: write Title | https://link", n + 1));
            continue;
        };
        let target = target.trim();
        let (url, media_key) = match target.strip_prefix("file:") {
            Some(key) => (None, Some(key.trim().to_string())),
            None => (Some(target.to_string()), None),
        };
        out.push(Document {
            title: title.trim().to_string(),
            url,
            media_key,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems.join("; "))
    }
}

pub fn show_documents(docs: &[Document]) -> String {
    docs.iter()
        .map(|d| match (&d.url, &d.media_key) {
            (Some(u), _) => format!("{} | {u}", d.title),
            (None, Some(k)) => format!("{} | file:{k}", d.title),
            (None, None) => format!("{} | ", d.title),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One criterion per non-blank line. A label that was already saved keeps its id (ratings and
/// reports refer to ids); a new label gets a slug of itself, made unique, so the same label
/// always gets the same id. Labels are checked by [`TemplateSpec::validate`].
///
/// [`TemplateSpec::validate`]: shortlist_domain::template::TemplateSpec::validate
pub fn parse_scorecard(text: &str, old: &[Criterion]) -> Vec<Criterion> {
    let labels: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut unused: Vec<&Criterion> = old.iter().collect();
    let mut ids: Vec<Option<String>> = labels
        .iter()
        .map(|l| {
            let at = unused.iter().position(|c| c.label.trim() == *l)?;
            Some(unused.remove(at).id.clone())
        })
        .collect();
    let mut taken: HashSet<String> = ids.iter().flatten().cloned().collect();
    for (id, label) in ids.iter_mut().zip(&labels) {
        if id.is_none() {
            let base = slug(label);
            let free = (1..)
                .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
                .find(|c| !taken.contains(c))
                .unwrap_or_default();
            taken.insert(free.clone());
            *id = Some(free);
        }
    }
    ids.into_iter()
        .zip(labels)
        .map(|(id, label)| Criterion {
            id: id.unwrap_or_default(),
            label: label.to_string(),
        })
        .collect()
}

/// `Team fit & values` → `team-fit-values`; at most 36 characters, leaving room for a `-N`
/// suffix within the 40 an id may have.
fn slug(label: &str) -> String {
    let mut out = String::new();
    for ch in label.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(36);
    let out = out.trim_end_matches('-');
    if out.is_empty() { "criterion".into() } else { out.into() }
}

pub fn show_scorecard(scorecard: &[Criterion]) -> String {
    scorecard
        .iter()
        .map(|c| c.label.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survey_lines_round_trip() {
        let text = "before ; consent ; I agree to the processing ; ; required\n\n\
                    after ; single choice ; Years of experience ; 0-2, 3-5, 6+\nafter ; scale ; Rate us";
        let taken = HashSet::from(["s1"]);
        let s = parse_surveys(text, &taken, &[]).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].id, "s2", "s1 is a question's id");
        assert!(s[0].required && s[0].options.is_empty());
        assert_eq!((s[1].kind, s[1].options.len()), (SurveyKind::SingleChoice, 3));
        assert_eq!(s[2].placement, SurveyPlacement::After);
        let again = parse_surveys(&show_surveys(&s), &taken, &s).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn bad_survey_lines_are_named() {
        let e = parse_surveys(
            "during ; text ; Hi\nbefore ; essay ; Hi\nbefore ; text",
            &HashSet::new(),
            &[],
        )
        .unwrap_err();
        assert!(e.contains("line 1: start with before or after"), "{e}");
        assert!(e.contains("line 2: the kind"), "{e}");
        assert!(e.contains("line 3: write"), "{e}");
    }

    #[test]
    fn document_lines_round_trip() {
        let d = parse_documents("Benefits | A | https://x.org/b\nPolicy | file:med_1\n").unwrap();
        assert_eq!(d[0].title, "Benefits | A");
        assert_eq!(d[0].url.as_deref(), Some("https://x.org/b"));
        assert_eq!(d[1].media_key.as_deref(), Some("med_1"));
        assert_eq!(parse_documents(&show_documents(&d)).unwrap(), d);
        assert!(parse_documents("no link here").unwrap_err().contains("line 1"));
    }

    #[test]
    fn criteria_keep_their_ids_and_new_ones_get_unique_slugs() {
        let old = [Criterion {
            id: "comm".into(),
            label: "Communication".into(),
        }];
        let c = parse_scorecard(
            "  Team fit & values \n\nCommunication\nTeam-fit values\nÜber!\n日本",
            &old,
        );
        let ids: Vec<_> = c.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["team-fit-values", "comm", "team-fit-values-2", "ber", "criterion"]
        );
        assert_eq!(c[0].label, "Team fit & values");
        assert_eq!(parse_scorecard(&show_scorecard(&c), &c), c);
        assert_eq!(slug(&"x".repeat(50)).len(), 36);
    }
}
