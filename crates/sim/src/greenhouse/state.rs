//! What the simulated Greenhouse holds: candidates with their applications, the tests list_tests
//! returned, the test instances sent, and the response_error calls made. Held behind one mutex,
//! never across an await.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::RecordedRequest;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartnerTest {
    pub partner_test_id: String,
    pub partner_test_name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: u64,
    pub application_id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub hired: bool,
}

impl Candidate {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A result as Greenhouse shows it on the application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShownResult {
    pub partner_score: Option<f64>,
    pub partner_profile_url: String,
    /// `metadata` as label/value pairs, the way Greenhouse renders them.
    pub metadata: Vec<(String, String)>,
}

/// What made the simulator ask test_status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// The partner PATCHed the instance's `url`.
    Patch,
    /// The hourly legacy poll.
    Poll,
    /// Someone pressed "Check status" (or a test called `check_status`).
    Manual,
}

/// One test_status call and how the simulator read the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusCheck {
    pub trigger: Trigger,
    pub at: DateTime<Utc>,
    /// HTTP status of the answer; 0 when none arrived.
    pub status: u16,
    /// "result shown", "not complete yet (…)", or what went wrong.
    pub outcome: String,
}

/// One test sent to one candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The number in the instance's `url`.
    pub id: u64,
    pub candidate: u64,
    pub application_id: u64,
    pub partner_test_id: String,
    /// From list_tests, when the test was listed.
    pub partner_test_name: Option<String>,
    /// From the partner's send_test answer; `None` until a valid one arrived.
    pub partner_interview_id: Option<String>,
    /// `{sim}/integrations/testing_partners/take_home_tests/{id}`: where the partner PATCHes.
    pub url: String,
    pub sent_at: DateTime<Utc>,
    /// The send_test body, kept so a replay is byte for byte the same request.
    pub send_body: Value,
    /// The last valid `partner_status`.
    pub last_status: Option<String>,
    pub result: Option<ShownResult>,
    pub checks: Vec<StatusCheck>,
    pub last_poll: Option<DateTime<Utc>>,
    /// Why legacy polling stopped: "complete", "candidate hired" or "8 weeks since sent".
    pub polling_stopped: Option<String>,
}

/// A `response_error` POST the simulator made, with the partner's answer (0: none arrived).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseErrorCall {
    pub body: Value,
    pub status: u16,
}

/// Everything that survives a restart (the request log, injected failures and the clock warp
/// belong to one run).
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Saved {
    next_candidate: u64,
    next_application: u64,
    next_instance: u64,
    candidates: BTreeMap<u64, Candidate>,
    tests: Vec<PartnerTest>,
    instances: BTreeMap<u64, Instance>,
    response_errors: Vec<ResponseErrorCall>,
}

pub(crate) struct State {
    pub saved: Saved,
    pub requests: Vec<RecordedRequest>,
    /// Statuses the next PATCHes answer with, consumed in order.
    pub patch_failures: VecDeque<u16>,
    /// Added to the wall clock: tests move the simulator's time forward.
    pub warp: Duration,
}

impl State {
    pub fn new(saved: Option<Saved>) -> Self {
        State {
            saved: saved.unwrap_or(Saved {
                // Greenhouse-looking ids, from separate sequences as in Greenhouse.
                next_candidate: 17_681_001,
                next_application: 26_234_001,
                next_instance: 12_001,
                candidates: BTreeMap::new(),
                tests: Vec::new(),
                instances: BTreeMap::new(),
                response_errors: Vec::new(),
            }),
            requests: Vec::new(),
            patch_failures: VecDeque::new(),
            warp: Duration::zero(),
        }
    }

    pub fn candidates(&self) -> &BTreeMap<u64, Candidate> {
        &self.saved.candidates
    }

    pub fn candidate_mut(&mut self, id: u64) -> Option<&mut Candidate> {
        self.saved.candidates.get_mut(&id)
    }

    pub fn tests(&self) -> &[PartnerTest] {
        &self.saved.tests
    }

    pub fn set_tests(&mut self, tests: Vec<PartnerTest>) {
        self.saved.tests = tests;
    }

    pub fn instances(&self) -> &BTreeMap<u64, Instance> {
        &self.saved.instances
    }

    pub fn instance_mut(&mut self, id: u64) -> Option<&mut Instance> {
        self.saved.instances.get_mut(&id)
    }

    pub fn response_errors(&self) -> &[ResponseErrorCall] {
        &self.saved.response_errors
    }

    pub fn push_response_error(&mut self, call: ResponseErrorCall) {
        self.saved.response_errors.push(call);
    }

    pub fn add_candidate(&mut self, first: &str, last: &str, email: Option<&str>) -> u64 {
        let s = &mut self.saved;
        let (id, application_id) = (s.next_candidate, s.next_application);
        s.next_candidate += 1;
        s.next_application += 1;
        let c = Candidate {
            id,
            application_id,
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            email: email.map(str::to_owned),
            phone_number: None,
            hired: false,
        };
        s.candidates.insert(id, c);
        id
    }

    /// Reserves the next instance number (its `url` is built from it).
    pub fn next_instance(&mut self) -> u64 {
        let id = self.saved.next_instance;
        self.saved.next_instance += 1;
        id
    }

    pub fn insert_instance(&mut self, i: Instance) {
        self.saved.instances.insert(i.id, i);
    }
}
