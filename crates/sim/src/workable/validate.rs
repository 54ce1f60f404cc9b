//! The shape checks the simulated Workable applies: to the partner's list and create answers, and
//! to the result callbacks the partner PUTs. Each failure is a readable sentence.

use serde_json::Value;

use super::state::{Offering, ShownResult};

/// `{"<key>": [{"id": "…" or 1, "name": "…"}]}`: Workable's docs show both string and numeric ids.
pub(crate) fn list(body: &str, key: &str) -> Result<Vec<Offering>, Vec<String>> {
    let v = json(body)?;
    let Some(items) = v.get(key) else {
        return Err(vec![format!(
            "expected an object with a \"{key}\" array, got {}",
            describe(&v)
        )]);
    };
    let Value::Array(items) = items else {
        return Err(vec![format!("\"{key}\" must be an array, got {}", kind(items))]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = match item.get("id") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            other => {
                errors.push(format!(
                    "{key}[{i}].id must be a string or a number, got {}",
                    opt_kind(other)
                ));
                None
            }
        };
        let name = match item.get("name") {
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                errors.push(format!("{key}[{i}].name must be a string, got {}", opt_kind(other)));
                None
            }
        };
        if let (Some(id), Some(name)) = (id, name) {
            out.push(Offering { id, name });
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The create answer: an object with a non-empty `id` (string, or a number kept as its digits).
pub(crate) fn created(body: &str) -> Result<String, Vec<String>> {
    let v = json(body)?;
    if !v.is_object() {
        return Err(vec![format!("expected a JSON object, got {}", kind(&v))]);
    }
    match v.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        other => Err(vec![format!("id must be a non-empty string, got {}", opt_kind(other))]),
    }
}

/// A valid callback body: its status and, when completed, the result to show.
#[derive(Debug, PartialEq)]
pub(crate) struct CallbackBody {
    pub status: String,
    pub result: Option<ShownResult>,
}

/// `{"status":"pending"}` or `{"status":"completed","results_url":"http(s)://…",
/// "assessment":{"score":"…","grade":"…","summary":"…"}}`; other fields are ignored.
pub(crate) fn callback(body: &str) -> Result<CallbackBody, Vec<String>> {
    let v = json(body)?;
    if !v.is_object() {
        return Err(vec![format!("expected a JSON object, got {}", kind(&v))]);
    }
    let status = match v.get("status") {
        Some(Value::String(s)) if s == "pending" || s == "completed" => s.clone(),
        Some(Value::String(s)) => return Err(vec![format!("status must be pending or completed, got \"{s}\"")]),
        other => return Err(vec![format!("status must be a string, got {}", opt_kind(other))]),
    };
    if status == "pending" {
        return Ok(CallbackBody { status, result: None });
    }
    let mut errors = Vec::new();
    let results_url = match v.get("results_url") {
        Some(Value::String(s)) if is_http_url(s) => Some(s.clone()),
        Some(Value::String(s)) => {
            errors.push(format!("results_url must be an http(s) URL, got \"{s}\""));
            None
        }
        other => {
            errors.push(format!(
                "results_url is required when completed, got {}",
                opt_kind(other)
            ));
            None
        }
    };
    let mut fields = [None, None, None];
    match v.get("assessment") {
        None | Some(Value::Null) => {}
        Some(Value::Object(a)) => {
            for (slot, key) in fields.iter_mut().zip(["score", "grade", "summary"]) {
                match a.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) => *slot = Some(s.clone()),
                    Some(other) => errors.push(format!("assessment.{key} must be a string, got {}", kind(other))),
                }
            }
        }
        Some(other) => errors.push(format!("assessment must be an object, got {}", kind(other))),
    }
    match results_url {
        Some(results_url) if errors.is_empty() => {
            let [score, grade, summary] = fields;
            Ok(CallbackBody {
                status,
                result: Some(ShownResult {
                    results_url,
                    score,
                    grade,
                    summary,
                }),
            })
        }
        _ => Err(errors),
    }
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn json(body: &str) -> Result<Value, Vec<String>> {
    serde_json::from_str(body).map_err(|e| vec![format!("the body is not valid JSON: {e}")])
}

fn describe(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            format!("an object with keys [{}]", keys.join(", "))
        }
        other => kind(other).to_owned(),
    }
}

fn opt_kind(v: Option<&Value>) -> &'static str {
    v.map_or("nothing", kind)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(s) if s.is_empty() => "an empty string",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_documented_shapes_validate() {
        let t = list(r#"{"tests":[{"id":1,"name":"Aptitude Test"}]}"#, "tests").unwrap();
        assert_eq!(t[0].id, "1");
        let t = list(
            r#"{"interview_templates":[{"id":"1","name":"Intro"}]}"#,
            "interview_templates",
        )
        .unwrap();
        assert_eq!(t[0].name, "Intro");
        assert_eq!(created(r#"{"id":"abc","status":"pending"}"#).unwrap(), "abc");
        let c = callback(
            r#"{"status":"completed","results_url":"https://p.example/r/1",
                "assessment":{"score":"87","grade":"Strong","summary":"ok","details":{}},"attachments":[]}"#,
        )
        .unwrap();
        assert_eq!(c.result.unwrap().score.as_deref(), Some("87"));
    }

    #[test]
    fn bare_arrays_missing_ids_and_bad_callbacks_are_refused() {
        assert!(list(r#"[{"id":"1","name":"x"}]"#, "tests").is_err());
        assert!(list(r#"{"tests":[{"name":"x"}]}"#, "tests").is_err());
        assert!(created(r#"{"status":"pending"}"#).is_err());
        assert!(callback(r#"{"status":"done"}"#).is_err());
        assert!(callback(r#"{"status":"completed"}"#).is_err());
        assert!(callback(r#"{"status":"completed","results_url":"ftp://x/y"}"#).is_err());
        let e = callback(r#"{"status":"completed","results_url":"https://x/y","assessment":{"score":87}}"#);
        assert!(e.unwrap_err()[0].contains("score"));
    }
}
