//! The `assessmentresults` field group: validating what the connector sends and applying it the way
//! iCIMS does — create an entry once, update it by entry id, silently ignore an exact duplicate.

use serde_json::{Map, Value};

use super::api::IcimsError;
use super::state::{AssessmentResult, PatchMode, State, Workflow};

pub(crate) const GROUP: &str = "assessmentresults";
/// iCIMS renders DATETIME fields in UTC as `yyyy-mm-dd hh:mm a`.
const DATE_FORMAT: &str = "%Y-%m-%d %I:%M %p";
const CHILDREN: &[&str] = &[
    "entry",
    "assessmentname",
    "assessmentstatus",
    "assessmentscore",
    "assessmentresult",
    "assessmentnotes",
    "assessmentdate",
    "assessmenturl",
];

/// One entry as sent. Outer `Option`: the field was present; inner `None`: it is cleared (`null` or `""`).
#[derive(Default, Debug)]
pub(crate) struct EntryPatch {
    pub entry: Option<u64>,
    name: Option<Option<String>>,
    status: Option<Option<String>>,
    score: Option<Option<f64>>,
    result: Option<Option<String>>,
    notes: Option<Option<String>>,
    date: Option<Option<String>>,
    url: Option<Option<String>>,
}

/// iCIMS wants every JSON key lowercase; a camelCase key is a connector bug we want to see.
pub(crate) fn check_lowercase_keys(v: &Value) -> Result<(), IcimsError> {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if k.chars().any(|c| c.is_ascii_uppercase()) {
                    return Err(IcimsError::invalid(
                        Some(k),
                        &format!("Field ids are lowercase; got \"{k}\"."),
                    ));
                }
                check_lowercase_keys(child)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check_lowercase_keys),
        _ => Ok(()),
    }
}

pub(crate) fn parse_entry(v: &Value) -> Result<EntryPatch, IcimsError> {
    let Value::Object(m) = v else {
        return Err(IcimsError::invalid(
            Some(GROUP),
            "Each assessmentresults entry must be a JSON object.",
        ));
    };
    if let Some(k) = m.keys().find(|k| !CHILDREN.contains(&k.as_str())) {
        return Err(IcimsError::invalid(
            Some(k),
            &format!("\"{k}\" is not a field of assessmentresults."),
        ));
    }
    let entry = match m.get("entry") {
        None | Some(Value::Null) => None,
        Some(e) => Some(
            e.as_u64()
                .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| IcimsError::invalid(Some("entry"), "entry must be an entry id."))?,
        ),
    };
    Ok(EntryPatch {
        entry,
        name: list_node(m, "assessmentname")?,
        status: list_node(m, "assessmentstatus")?,
        score: score(m)?,
        result: text(m, "assessmentresult", 128)?,
        notes: text(m, "assessmentnotes", 192)?,
        date: date(m)?,
        url: text(m, "assessmenturl", 2048)?,
    })
}

fn is_clear(v: &Value) -> bool {
    v.is_null() || v.as_str() == Some("")
}

/// LISTEDITOR fields take `{"id": …}` or `{"value": …}`.
fn list_node(m: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>, IcimsError> {
    let Some(v) = m.get(key) else { return Ok(None) };
    if is_clear(v) {
        return Ok(Some(None));
    }
    let node = v
        .as_object()
        .and_then(|o| o.get("id").or_else(|| o.get("value")))
        .and_then(Value::as_str);
    match node {
        Some(s) if !s.is_empty() => Ok(Some(Some(s.to_owned()))),
        _ => Err(IcimsError::invalid(
            Some(key),
            &format!("{key} must be a list value: {{\"id\": …}} or {{\"value\": …}}."),
        )),
    }
}

fn score(m: &Map<String, Value>) -> Result<Option<Option<f64>>, IcimsError> {
    let Some(v) = m.get("assessmentscore") else {
        return Ok(None);
    };
    if is_clear(v) {
        return Ok(Some(None));
    }
    match v.as_f64() {
        Some(f) => Ok(Some(Some(f))),
        None => Err(IcimsError::invalid(
            Some("assessmentscore"),
            "assessmentscore must be a decimal number.",
        )),
    }
}

fn text(m: &Map<String, Value>, key: &str, max: usize) -> Result<Option<Option<String>>, IcimsError> {
    let Some(v) = m.get(key) else { return Ok(None) };
    if is_clear(v) {
        return Ok(Some(None));
    }
    let Some(s) = v.as_str() else {
        return Err(IcimsError::invalid(Some(key), &format!("{key} must be text.")));
    };
    if s.chars().count() > max {
        return Err(IcimsError::invalid(
            Some(key),
            &format!("{key} is longer than {max} characters."),
        ));
    }
    Ok(Some(Some(s.to_owned())))
}

fn date(m: &Map<String, Value>) -> Result<Option<Option<String>>, IcimsError> {
    let Some(s) = text(m, "assessmentdate", 64)? else {
        return Ok(None);
    };
    let Some(s) = s else { return Ok(Some(None)) };
    // Parse and re-render: chrono's parser is lenient about padding and AM/PM case, iCIMS's format is not.
    let ok = chrono::NaiveDateTime::parse_from_str(&s, DATE_FORMAT)
        .map(|d| d.format(DATE_FORMAT).to_string() == s)
        .unwrap_or(false);
    if !ok {
        let msg = format!("assessmentdate \"{s}\" is not in the format yyyy-mm-dd hh:mm a (UTC).");
        return Err(IcimsError::invalid(Some("assessmentdate"), &msg));
    }
    Ok(Some(Some(s)))
}

impl EntryPatch {
    fn apply_to(&self, r: &mut AssessmentResult) {
        if let Some(v) = &self.name {
            r.assessmentname = v.clone().unwrap_or_default();
        }
        if let Some(v) = &self.status {
            r.assessmentstatus = v.clone().unwrap_or_default();
        }
        if let Some(v) = self.score {
            r.assessmentscore = v;
        }
        for (patch, field) in [
            (&self.result, &mut r.assessmentresult),
            (&self.notes, &mut r.assessmentnotes),
            (&self.date, &mut r.assessmentdate),
            (&self.url, &mut r.assessmenturl),
        ] {
            if let Some(v) = patch {
                field.clone_from(v);
            }
        }
    }

    fn to_new(&self, entry: u64) -> Result<AssessmentResult, IcimsError> {
        for (present, field) in [(&self.name, "assessmentname"), (&self.status, "assessmentstatus")] {
            if !matches!(present, Some(Some(_))) {
                return Err(IcimsError::required(field));
            }
        }
        let mut r = AssessmentResult {
            entry,
            assessmentname: String::new(),
            assessmentstatus: String::new(),
            assessmentscore: None,
            assessmentresult: None,
            assessmentnotes: None,
            assessmentdate: None,
            assessmenturl: None,
        };
        self.apply_to(&mut r);
        Ok(r)
    }
}

fn same_content(a: &AssessmentResult, b: &AssessmentResult) -> bool {
    AssessmentResult { entry: 0, ..a.clone() } == AssessmentResult { entry: 0, ..b.clone() }
}

fn find_workflow(st: &mut State, wf: u64) -> Result<&mut Workflow, IcimsError> {
    st.workflows
        .get_mut(&wf)
        .ok_or_else(|| IcimsError::not_found("Applicant Workflow"))
}

/// Adds one entry, unless an identical one exists (iCIMS then answers success and changes nothing).
/// Returns the entry id and whether it was created.
pub(crate) fn add_entry(st: &mut State, wf: u64, p: &EntryPatch) -> Result<(u64, bool), IcimsError> {
    find_workflow(st, wf)?;
    let entry = st.next_id();
    let new = p.to_new(entry)?;
    let w = find_workflow(st, wf)?;
    if let Some(existing) = w.assessment_results.iter().find(|r| same_content(r, &new)) {
        return Ok((existing.entry, false));
    }
    w.assessment_results.push(new);
    Ok((entry, true))
}

pub(crate) fn update_entry(st: &mut State, wf: u64, p: &EntryPatch, entry: u64) -> Result<(), IcimsError> {
    let w = find_workflow(st, wf)?;
    let r = w.assessment_results.iter_mut().find(|r| r.entry == entry);
    let r = r.ok_or_else(|| IcimsError::not_found("assessmentresults entry"))?;
    p.apply_to(r);
    Ok(())
}

pub(crate) fn delete_entry(st: &mut State, wf: u64, entry: u64) -> Result<(), IcimsError> {
    let w = find_workflow(st, wf)?;
    let before = w.assessment_results.len();
    w.assessment_results.retain(|r| r.entry != entry);
    if w.assessment_results.len() == before {
        return Err(IcimsError::not_found("assessmentresults entry"));
    }
    Ok(())
}

/// A whole-profile `PATCH …/applicantworkflows/{id}`: validates everything first so a bad entry
/// changes nothing, then applies.
pub(crate) fn patch_workflow(st: &mut State, wf: u64, body: &Value) -> Result<(), IcimsError> {
    let Value::Object(m) = body else {
        return Err(IcimsError::invalid(None, "The request body must be a JSON object."));
    };
    if let Some(k) = m.keys().find(|k| !matches!(k.as_str(), "assessmentresults" | "status")) {
        return Err(IcimsError::invalid(
            Some(k),
            &format!("\"{k}\" is not a field this integration may update."),
        ));
    }
    let status = match m.get("status") {
        None => None,
        Some(v) => match list_node(m, "status")? {
            Some(Some(s)) => Some(s),
            _ => {
                return Err(IcimsError::invalid(
                    Some("status"),
                    &format!("status must be a list value, got {v}."),
                ));
            }
        },
    };
    let entries = match m.get(GROUP) {
        None => None,
        Some(Value::Array(items)) => Some(items.iter().map(parse_entry).collect::<Result<Vec<_>, _>>()?),
        Some(_) => {
            return Err(IcimsError::invalid(
                Some(GROUP),
                "assessmentresults must be an array of entries.",
            ));
        }
    };
    let existing: Vec<u64> = find_workflow(st, wf)?
        .assessment_results
        .iter()
        .map(|r| r.entry)
        .collect();
    if let Some(entries) = &entries {
        if entries
            .iter()
            .any(|e| e.entry.is_some_and(|id| !existing.contains(&id)))
        {
            return Err(IcimsError::not_found("assessmentresults entry"));
        }
        if let Some(e) = entries.iter().find(|e| e.entry.is_none()) {
            e.to_new(0)?;
        }
    }
    if let Some(s) = status {
        find_workflow(st, wf)?.status = s;
    }
    let Some(entries) = entries else { return Ok(()) };
    if st.patch_mode == PatchMode::Replace {
        let keep: Vec<u64> = entries.iter().filter_map(|e| e.entry).collect();
        find_workflow(st, wf)?
            .assessment_results
            .retain(|r| keep.contains(&r.entry));
    }
    for e in &entries {
        match e.entry {
            Some(id) => update_entry(st, wf, e, id)?,
            None => {
                add_entry(st, wf, e)?;
            }
        }
    }
    Ok(())
}
