//! The shape checks Greenhouse applies to a partner's answers (Assessment Partner API docs,
//! `source/includes/assessment/*`). Each failure is a readable sentence, sent back to the partner
//! in a `response_error` call.

use serde_json::Value;

use super::PartnerTest;

/// list_tests: a top-level JSON array of objects with string `partner_test_id` and `partner_test_name`.
pub(crate) fn list_tests(body: &str) -> Result<Vec<PartnerTest>, Vec<String>> {
    let v = json(body)?;
    let Value::Array(items) = v else {
        return Err(vec![format!(
            "expected a top-level JSON array of tests, got {}",
            kind(&v)
        )]);
    };
    let mut tests = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(_) = item else {
            errors.push(format!("test {i} is {}, not an object", kind(item)));
            continue;
        };
        let id = required_string(item, "partner_test_id", &format!("test {i}: "), &mut errors);
        let name = required_string(item, "partner_test_name", &format!("test {i}: "), &mut errors);
        if let (Some(partner_test_id), Some(partner_test_name)) = (id, name) {
            tests.push(PartnerTest {
                partner_test_id,
                partner_test_name,
            });
        }
    }
    if errors.is_empty() { Ok(tests) } else { Err(errors) }
}

/// send_test: an object with a string `partner_interview_id`.
pub(crate) fn send_test(body: &str) -> Result<String, Vec<String>> {
    let v = json(body)?;
    if !v.is_object() {
        return Err(vec![format!("expected a JSON object, got {}", kind(&v))]);
    }
    let mut errors = Vec::new();
    match required_string(&v, "partner_interview_id", "", &mut errors) {
        Some(id) => Ok(id),
        None => Err(errors),
    }
}

/// A valid test_status answer.
#[derive(Debug, PartialEq)]
pub(crate) struct Status {
    pub partner_status: String,
    pub partner_profile_url: Option<String>,
    pub partner_score: Option<f64>,
    pub metadata: Vec<(String, String)>,
}

impl Status {
    /// Only "complete" has a meaning; anything else is "not done yet".
    pub fn complete(&self) -> bool {
        self.partner_status == "complete"
    }
}

/// test_status: `partner_status` string; `partner_profile_url` string when complete;
/// `partner_score` number or null; `metadata` a flat object of primitives, or null.
pub(crate) fn test_status(body: &str) -> Result<Status, Vec<String>> {
    let v = json(body)?;
    if !v.is_object() {
        return Err(vec![format!("expected a JSON object, got {}", kind(&v))]);
    }
    let mut errors = Vec::new();
    let status = required_string(&v, "partner_status", "", &mut errors);
    let url = match v.get("partner_profile_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            errors.push(format!("partner_profile_url must be a string, got {}", kind(other)));
            None
        }
    };
    if status.as_deref() == Some("complete") && url.is_none() && errors.is_empty() {
        errors.push("partner_status is 'complete' but partner_profile_url is missing".to_owned());
    }
    let score = match v.get("partner_score") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(other) => {
            errors.push(format!("partner_score must be a number, got {}", kind(other)));
            None
        }
    };
    let metadata = match v.get("metadata") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => {
            let mut pairs = Vec::new();
            for (k, val) in m {
                match val {
                    Value::Object(_) | Value::Array(_) => errors.push(format!(
                        "metadata must be a flat object: the value of \"{k}\" is {}",
                        kind(val)
                    )),
                    Value::String(s) => pairs.push((k.clone(), s.clone())),
                    Value::Null => pairs.push((k.clone(), String::new())),
                    other => pairs.push((k.clone(), other.to_string())),
                }
            }
            pairs
        }
        Some(other) => {
            errors.push(format!("metadata must be an object, got {}", kind(other)));
            Vec::new()
        }
    };
    match status {
        Some(partner_status) if errors.is_empty() => Ok(Status {
            partner_status,
            partner_profile_url: url,
            partner_score: score,
            metadata,
        }),
        _ => Err(errors),
    }
}

fn json(body: &str) -> Result<Value, Vec<String>> {
    serde_json::from_str(body).map_err(|e| vec![format!("the response is not valid JSON: {e}")])
}

fn required_string(v: &Value, key: &str, prefix: &str, errors: &mut Vec<String>) -> Option<String> {
    match v.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => {
            errors.push(format!("{prefix}{key} is missing"));
            None
        }
        Some(other) => {
            errors.push(format!("{prefix}{key} must be a string, got {}", kind(other)));
            None
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
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
    fn the_documented_examples_validate() {
        let tests = list_tests(r#"[{"partner_test_id":"12345","partner_test_name":"My First Test"}]"#).unwrap();
        assert_eq!(tests[0].partner_test_name, "My First Test");
        assert_eq!(send_test(r#"{"partner_interview_id":"98765"}"#).unwrap(), "98765");
        let s = test_status(
            r#"{"partner_status":"complete","partner_profile_url":"http://example.com/tests/12345",
                "partner_score":81,"metadata":{"Notes":"This candidate did extremely well!"}}"#,
        )
        .unwrap();
        assert!(s.complete());
        assert_eq!(s.partner_score, Some(81.0));
    }

    #[test]
    fn wrapped_lists_numeric_ids_and_nested_metadata_are_refused() {
        assert!(list_tests(r#"{"partner_test_ids":[]}"#).is_err());
        assert!(send_test(r#"{"partner_interview_id":98765}"#).is_err());
        let e = test_status(r#"{"partner_status":"started","metadata":{"a":{"b":1}}}"#).unwrap_err();
        assert!(e[0].contains("flat"), "{e:?}");
        let e = test_status(r#"{"partner_status":"complete"}"#).unwrap_err();
        assert!(e[0].contains("partner_profile_url is missing"), "{e:?}");
    }
}
