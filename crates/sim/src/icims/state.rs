//! The simulator's data: profiles, workflows with their `assessmentresults` entries, and the knobs
//! tests turn (failure injection, quota, required field). Held behind one mutex, never across an await.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{EventOutcome, EventTarget};
use crate::RecordedRequest;

/// Status ids the page offers; real ids are per customer and look like these.
pub(crate) const STATUSES: &[(&str, &str)] = &[
    ("C2028", "Applied"),
    ("C38356", "Video Interview"),
    ("C38357", "Video Interview - Resend"),
    ("C2030", "Rejected"),
];
pub(crate) const INITIAL_STATUS: &str = "C2028";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessmentResult {
    pub entry: u64,
    pub assessmentname: String,
    pub assessmentstatus: String,
    pub assessmentscore: Option<f64>,
    pub assessmentresult: Option<String>,
    pub assessmentnotes: Option<String>,
    pub assessmentdate: Option<String>,
    pub assessmenturl: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub id: u64,
    pub person: u64,
    pub job: u64,
    pub status: String,
    pub assessment_results: Vec<AssessmentResult>,
}

/// What a whole-profile PATCH does with `assessmentresults` entries that carry no `entry` id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PatchMode {
    /// Add them as new entries (an exact duplicate of an existing entry is silently ignored, as iCIMS does).
    #[default]
    Append,
    /// The array replaces the whole group; entries with an `entry` id keep it.
    Replace,
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Person {
    pub first: String,
    pub last: String,
    pub email: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    pub title: String,
    /// Package labels in the `assessmenttype` list field.
    pub packages: Vec<String>,
}

/// An event as sent, kept so it can be replayed byte for byte.
#[derive(Clone)]
pub(crate) struct SentEvent {
    pub event_type: String,
    pub body: Value,
}

pub(crate) struct State {
    next_id: u64,
    /// The recruiter who "moves" candidates: the event's `userId`.
    pub recruiter: u64,
    pub people: BTreeMap<u64, Person>,
    pub jobs: BTreeMap<u64, Job>,
    pub workflows: BTreeMap<u64, Workflow>,
    pub requests: Vec<RecordedRequest>,
    pub fail_rules: VecDeque<(String, u16)>,
    pub quota: Option<u32>,
    pub required_field: Option<String>,
    pub patch_mode: PatchMode,
    /// OAuth access tokens issued by our token endpoint, with their expiry.
    pub tokens: HashMap<String, Instant>,
    pub event_target: Option<EventTarget>,
    /// Bearer token for the event target, with its expiry.
    pub target_token: Option<(String, Instant)>,
    pub last_event: HashMap<u64, SentEvent>,
    pub event_log: Vec<(u64, String, EventOutcome)>,
}

/// What survives a restart: the data a recruiter and our connector see, not the test knobs
/// (injected failures, quota, tokens), which belong to one run.
#[derive(Serialize, Deserialize)]
pub(crate) struct Saved {
    next_id: u64,
    recruiter: u64,
    people: BTreeMap<u64, Person>,
    jobs: BTreeMap<u64, Job>,
    workflows: BTreeMap<u64, Workflow>,
    event_target: Option<EventTarget>,
}

impl State {
    pub fn saved(&self) -> Saved {
        Saved {
            next_id: self.next_id,
            recruiter: self.recruiter,
            people: self.people.clone(),
            jobs: self.jobs.clone(),
            workflows: self.workflows.clone(),
            event_target: self.event_target.clone(),
        }
    }

    pub fn restore(saved: Saved) -> Self {
        let mut st = State::new();
        st.next_id = saved.next_id;
        st.recruiter = saved.recruiter;
        st.people = saved.people;
        st.jobs = saved.jobs;
        st.workflows = saved.workflows;
        st.event_target = saved.event_target;
        st
    }

    pub fn new() -> Self {
        let mut st = State {
            // Ids share one sequence so a test that mixes up a person and a job id gets a 404.
            next_id: 1001,
            recruiter: 0,
            people: BTreeMap::new(),
            jobs: BTreeMap::new(),
            workflows: BTreeMap::new(),
            requests: Vec::new(),
            fail_rules: VecDeque::new(),
            quota: None,
            required_field: None,
            patch_mode: PatchMode::Append,
            tokens: HashMap::new(),
            event_target: None,
            target_token: None,
            last_event: HashMap::new(),
            event_log: Vec::new(),
        };
        st.recruiter = st.add_person("Rita", "Recruiter", Some("rita.recruiter@customer.example"));
        st
    }

    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn add_person(&mut self, first: &str, last: &str, email: Option<&str>) -> u64 {
        let id = self.next_id();
        let person = Person {
            first: first.to_owned(),
            last: last.to_owned(),
            email: email.map(str::to_owned),
        };
        self.people.insert(id, person);
        id
    }

    pub fn add_job(&mut self, title: &str, packages: Vec<String>) -> u64 {
        let id = self.next_id();
        self.jobs.insert(
            id,
            Job {
                title: title.to_owned(),
                packages,
            },
        );
        id
    }

    #[allow(clippy::panic)]
    pub fn apply(&mut self, person: u64, job: u64) -> u64 {
        if !self.people.contains_key(&person) || !self.jobs.contains_key(&job) {
            panic!("apply({person}, {job}): no such person or job in the simulator");
        }
        let id = self.next_id();
        let wf = Workflow {
            id,
            person,
            job,
            status: INITIAL_STATUS.to_owned(),
            assessment_results: Vec::new(),
        };
        self.workflows.insert(id, wf);
        id
    }

    pub fn workflow_ids(&self) -> Vec<u64> {
        self.workflows.keys().copied().collect()
    }

    pub fn workflow_view(&self, id: u64) -> Option<Workflow> {
        self.workflows.get(&id).cloned()
    }

    /// The next injected failure for this path, if any rule matches (rules are consumed in order).
    pub fn take_failure(&mut self, path: &str) -> Option<u16> {
        let pos = self.fail_rules.iter().position(|(p, _)| path.contains(p.as_str()))?;
        self.fail_rules.remove(pos).map(|(_, s)| s)
    }

    pub fn person_json(&self, base: &str, id: u64) -> Option<Value> {
        let p = self.people.get(&id)?;
        Some(json!({
            "firstname": p.first,
            "lastname": p.last,
            "email": p.email,
            "links": [{"rel": "self", "title": "Person Profile", "url": format!("{base}/people/{id}")}],
        }))
    }

    pub fn job_json(&self, base: &str, id: u64) -> Option<Value> {
        let j = self.jobs.get(&id)?;
        // List nodes: a stable id per label, the label as value — vendors match on the value.
        let nodes: Vec<Value> = j
            .packages
            .iter()
            .map(|p| json!({"id": list_node_id(p), "value": p}))
            .collect();
        Some(json!({
            "jobtitle": j.title,
            "assessmenttype": nodes,
            "links": [{"rel": "self", "title": "Job Profile", "url": format!("{base}/jobs/{id}")}],
        }))
    }

    pub fn workflow_json(&self, base: &str, id: u64) -> Option<Value> {
        let w = self.workflows.get(&id)?;
        let results: Vec<Value> = w.assessment_results.iter().map(result_json).collect();
        Some(json!({
            "status": {"id": w.status, "value": status_label(&w.status)},
            "baseprofile": {"id": w.job, "value": self.jobs.get(&w.job).map(|j| j.title.clone())},
            "associatedprofile": {"id": w.person, "value": self.people.get(&w.person).map(|p| format!("{} {}", p.first, p.last))},
            "assessmentresults": results,
            "links": [
                {"rel": "self", "title": "Applicant Workflow", "url": format!("{base}/applicantworkflows/{id}")},
                {"rel": "job", "title": "Job Profile", "url": format!("{base}/jobs/{}", w.job)},
                {"rel": "person", "title": "Person Profile", "url": format!("{base}/people/{}", w.person)},
            ],
        }))
    }
}

pub(crate) fn result_json(r: &AssessmentResult) -> Value {
    json!({
        "entry": r.entry,
        "assessmentname": {"value": r.assessmentname},
        "assessmentstatus": {"id": r.assessmentstatus},
        "assessmentscore": r.assessmentscore,
        "assessmentresult": r.assessmentresult,
        "assessmentnotes": r.assessmentnotes,
        "assessmentdate": r.assessmentdate,
        "assessmenturl": r.assessmenturl,
    })
}

pub(crate) fn status_label(id: &str) -> String {
    STATUSES
        .iter()
        .find(|(s, _)| *s == id)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| id.to_owned())
}

fn list_node_id(label: &str) -> String {
    // Deterministic, iCIMS-looking node id (e.g. "D30451234") so repeated reads agree.
    let sum: u32 = label
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("D3045{:04}", sum % 10_000)
}
