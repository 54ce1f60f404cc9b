//! What the simulated Workable holds: jobs, candidates, the tests and interview templates the
//! partner listed, and the orders sent (assessments and video interviews) with their callbacks.
//! Held behind one mutex, never across an await.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::RecordedRequest;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub shortcode: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Candidate {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A test or an interview template, as the partner listed it (numeric ids kept as their digits).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offering {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `POST {base}/assessments` with a `test_id`.
    Assessment,
    /// `POST {base}/interviews` with an `interview_template_id`.
    Interview,
}

/// A result as Workable shows it on the candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShownResult {
    pub results_url: String,
    pub score: Option<String>,
    pub grade: Option<String>,
    pub summary: Option<String>,
}

/// One `PUT {callback_url}` that reached the order, and what the simulator answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub answered: u16,
    /// The `status` in the body, when the body was read (not for injected failures).
    pub status: Option<String>,
    pub errors: Vec<String>,
}

/// One assessment or interview sent to one candidate for one job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The number in the order's `callback_url`.
    pub id: u64,
    pub kind: Kind,
    pub candidate: u64,
    pub job: u64,
    /// The test or interview template id sent.
    pub offering_id: String,
    pub offering_name: Option<String>,
    /// The partner's id from its first valid create answer.
    pub partner_id: Option<String>,
    pub callback_url: String,
    /// The create body, kept so a replay is byte for byte the same request.
    pub request_body: Value,
    /// Every valid `status` the partner PUT, oldest first.
    pub statuses: Vec<String>,
    pub result: Option<ShownResult>,
    pub callbacks: Vec<Callback>,
}

impl Order {
    pub fn status(&self) -> Option<&str> {
        self.statuses.last().map(String::as_str)
    }
}

/// Everything that survives a restart (the request log and injected failures belong to one run).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Saved {
    next_job: u64,
    next_candidate: u64,
    next_order: u64,
    jobs: BTreeMap<u64, Job>,
    candidates: BTreeMap<u64, Candidate>,
    pub tests: Vec<Offering>,
    pub templates: Vec<Offering>,
    orders: BTreeMap<u64, Order>,
    /// Set by `revoke_token`: every callback is refused from then on, as after a disconnect.
    pub revoked: bool,
}

pub(crate) struct State {
    pub saved: Saved,
    pub requests: Vec<RecordedRequest>,
    /// Statuses the next callbacks answer with (after the token check), consumed in order.
    pub callback_failures: VecDeque<u16>,
}

impl State {
    pub fn new(saved: Option<Saved>) -> Self {
        State {
            saved: saved.unwrap_or(Saved {
                next_job: 61_001,
                next_candidate: 3_401_001,
                next_order: 901,
                jobs: BTreeMap::new(),
                candidates: BTreeMap::new(),
                tests: Vec::new(),
                templates: Vec::new(),
                orders: BTreeMap::new(),
                revoked: false,
            }),
            requests: Vec::new(),
            callback_failures: VecDeque::new(),
        }
    }

    pub fn jobs(&self) -> &BTreeMap<u64, Job> {
        &self.saved.jobs
    }

    pub fn candidates(&self) -> &BTreeMap<u64, Candidate> {
        &self.saved.candidates
    }

    pub fn orders(&self) -> &BTreeMap<u64, Order> {
        &self.saved.orders
    }

    pub fn order_mut(&mut self, id: u64) -> Option<&mut Order> {
        self.saved.orders.get_mut(&id)
    }

    pub fn add_job(&mut self, title: &str) -> u64 {
        let id = self.saved.next_job;
        self.saved.next_job += 1;
        // Workable's shortcodes are short upper-case hex-looking strings.
        let shortcode = format!("{:08X}", id.wrapping_mul(2_654_435_761) & 0xFFFF_FFFF);
        let title = title.to_owned();
        self.saved.jobs.insert(id, Job { id, shortcode, title });
        id
    }

    pub fn add_candidate(&mut self, first: &str, last: &str, email: Option<&str>) -> u64 {
        let id = self.saved.next_candidate;
        self.saved.next_candidate += 1;
        let c = Candidate {
            id,
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email: email.map(str::to_owned),
            phone: None,
        };
        self.saved.candidates.insert(id, c);
        id
    }

    /// Reserves the next order number (its `callback_url` is built from it).
    pub fn next_order(&mut self) -> u64 {
        let id = self.saved.next_order;
        self.saved.next_order += 1;
        id
    }

    pub fn insert_order(&mut self, o: Order) {
        self.saved.orders.insert(o.id, o);
    }

    pub fn offering_name(&self, kind: Kind, id: &str) -> Option<String> {
        let list = match kind {
            Kind::Assessment => &self.saved.tests,
            Kind::Interview => &self.saved.templates,
        };
        list.iter().find(|o| o.id == id).map(|o| o.name.clone())
    }
}
