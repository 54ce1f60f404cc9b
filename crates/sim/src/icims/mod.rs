//! A local iCIMS that our connector is tested against: a real HTTP/1.1 server with people, jobs and
//! applicant workflows, iCIMS's error shapes and failure modes, and outbound integration events.
//!
//! The contract it plays is `shared/research/ats-contracts.md` §1; where that document leaves a
//! choice, the behaviour here is the reference both sides follow (see `docs/icims-simulator.md`).

mod api;
pub mod cli;
mod events;
mod guard;
mod page;
mod results;
mod state;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

pub use crate::RecordedRequest;
use crate::persist::StateFile;
use crate::server::{self, H2Refusal};
pub use state::{AssessmentResult, PatchMode, Workflow};

/// Credentials: what callers of the simulator's API must present, or what the simulator presents
/// when it posts events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    Basic { user: String, password: String },
    OAuth { client_id: String, client_secret: String },
}

#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The iCIMS customer id; the API lives under `/customers/{customer_id}/…`.
    pub customer_id: String,
    /// What callers of the API must present (OAuth: client credentials at `POST {base}/oauth2/token`).
    pub api_auth: Auth,
}

/// Where integration events are POSTed, and how the simulator authenticates there.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EventTarget {
    pub url: String,
    /// Basic: an `Authorization: Basic` header; OAuth: a bearer token fetched from `token_url` first.
    pub auth: Auth,
    pub token_url: Option<String>,
    /// Send the body with `Content-Encoding: gzip`, as iCIMS's docs describe.
    pub gzip: bool,
}

/// What came back from one event POST, read the way the iCIMS UI reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct EventOutcome {
    /// HTTP status; 0 when no answer arrived (connection refused, timeout).
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    /// `error.userMessage` from the vendor error body, or the transport error when nothing came back.
    pub user_message: Option<String>,
}

impl EventOutcome {
    /// What the iCIMS UI would show the recruiter for this reply.
    pub fn summary(&self) -> String {
        match self.status {
            200..=299 => "sent".to_owned(),
            303 => format!("opens {}", self.location.as_deref().unwrap_or("(no Location header)")),
            0 => format!("no reply: {}", self.user_message.as_deref().unwrap_or("")),
            s => format!(
                "error {s}: {}",
                self.user_message.as_deref().unwrap_or("(no userMessage)")
            ),
        }
    }
}

/// iCIMS's answer to HTTP/2: its error shape with a 505.
const H2_REFUSAL: H2Refusal = H2Refusal {
    content_type: "application/json",
    body: r#"{"errors":[{"errorMessage":"HTTP version not supported; use HTTP/1.1.","errorCode":0}]}"#,
    extra_headers: "x-error: 0:HTTP version not supported; use HTTP/1.1.\r\n",
};

pub struct Simulator;

impl Simulator {
    /// Binds `bind` (e.g. "127.0.0.1:0") and serves until the runtime shuts down; starts empty.
    pub async fn start(bind: &str, cfg: SimConfig) -> anyhow::Result<SimHandle> {
        Self::launch(bind, cfg, None).await
    }

    /// Like [`Simulator::start`], keeping people, jobs, workflows (with their assessment results)
    /// and the event target in the JSON file at `path`: loaded now when it exists, rewritten after
    /// every change. [`SimHandle::restored`] tells whether there was state to load (seed only when
    /// not). A file that does not parse is an error, not an empty start.
    pub async fn start_with_state(bind: &str, cfg: SimConfig, path: &Path) -> anyhow::Result<SimHandle> {
        Self::launch(bind, cfg, Some(StateFile::new(path))).await
    }

    async fn launch(bind: &str, cfg: SimConfig, file: Option<StateFile>) -> anyhow::Result<SimHandle> {
        let saved = match &file {
            Some(f) => f.load::<state::Saved>("iCIMS simulator")?,
            None => None,
        };
        let restored = saved.is_some();
        let state = saved.map(state::State::restore).unwrap_or_else(state::State::new);
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let handle = SimHandle {
            inner: Arc::new(Inner {
                base_url: format!("http://{addr}"),
                cfg,
                state: Mutex::new(state),
                http: events::http_client()?,
                file,
                restored,
            }),
        };
        // No save here: the file appears with the first change (usually the seed), so a run
        // stopped before seeding is not taken for a seeded one next time.
        let router = api::router(handle.clone());
        let recorder = handle.clone();
        let record = move |r| recorder.st().requests.push(r);
        tokio::spawn(server::serve(listener, router, H2_REFUSAL, record));
        Ok(handle)
    }
}

pub(crate) struct Inner {
    pub(crate) base_url: String,
    pub(crate) cfg: SimConfig,
    pub(crate) state: Mutex<state::State>,
    pub(crate) http: reqwest::Client,
    file: Option<StateFile>,
    restored: bool,
}

#[derive(Clone)]
pub struct SimHandle {
    pub(crate) inner: Arc<Inner>,
}

impl SimHandle {
    pub(crate) fn st(&self) -> MutexGuard<'_, state::State> {
        // A panic while holding the lock only happens in a failing test; keep serving the rest.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the state file, if there is one. A failed write is reported on stderr and the
    /// simulator keeps serving: losing persistence must not fail the call that changed the state.
    pub(crate) fn save(&self) {
        let Some(file) = &self.inner.file else { return };
        if let Err(e) = file.save(|| self.st().saved()) {
            eprintln!("iCIMS simulator: saving the state failed: {e:#}");
        }
    }

    /// True when the state was loaded from an existing state file.
    pub fn restored(&self) -> bool {
        self.inner.restored
    }

    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn customer_id(&self) -> String {
        self.inner.cfg.customer_id.clone()
    }

    /// `{base}/customers/{customerId}` — where the connector's API base URL points.
    pub fn customer_url(&self) -> String {
        format!("{}/customers/{}", self.inner.base_url, self.inner.cfg.customer_id)
    }

    /// Runs `change` on the state, then saves it.
    fn change<T>(&self, change: impl FnOnce(&mut state::State) -> T) -> T {
        let out = change(&mut self.st());
        self.save();
        out
    }

    pub fn add_person(&self, first: &str, last: &str, email: Option<&str>) -> u64 {
        self.change(|st| st.add_person(first, last, email))
    }

    pub fn add_job(&self, title: &str, assessment_type: Option<&str>) -> u64 {
        self.change(|st| st.add_job(title, assessment_type.map(|a| vec![a.to_owned()]).unwrap_or_default()))
    }

    /// A job with several packages in `assessmenttype` (two-round testing).
    pub fn add_job_with_packages(&self, title: &str, packages: &[&str]) -> u64 {
        self.change(|st| st.add_job(title, packages.iter().map(|p| (*p).to_owned()).collect()))
    }

    /// Panics when the person or job does not exist: a test set-up mistake, not a runtime case.
    pub fn apply(&self, person: u64, job: u64) -> u64 {
        self.change(|st| st.apply(person, job))
    }

    pub fn set_event_target(&self, t: EventTarget) {
        self.change(|st| {
            st.event_target = Some(t);
            st.target_token = None;
        });
    }

    /// Where events go now, if anywhere.
    pub fn event_target_url(&self) -> Option<String> {
        self.st().event_target.as_ref().map(|t| t.url.clone())
    }

    pub async fn move_to_status(&self, workflows: &[u64], status_id: &str) -> Vec<EventOutcome> {
        let out = events::move_to_status(self, workflows, status_id).await;
        self.save();
        out
    }

    /// Sends the documented `AssessmentEvent` (Application Complete).
    pub async fn application_complete(&self, workflow: u64, return_url: &str) -> EventOutcome {
        events::application_complete(self, workflow, return_url, "AssessmentEvent").await
    }

    /// Application Complete with another event type, e.g. `ApplicationCompletedEvent` as some fixtures use.
    pub async fn application_complete_as(&self, workflow: u64, return_url: &str, event_type: &str) -> EventOutcome {
        events::application_complete(self, workflow, return_url, event_type).await
    }

    pub async fn replay_last(&self, workflow: u64) -> EventOutcome {
        events::replay_last(self, workflow).await
    }

    pub fn workflow(&self, id: u64) -> Option<Workflow> {
        self.st().workflow_view(id)
    }

    pub fn workflows(&self) -> Vec<Workflow> {
        let st = self.st();
        st.workflow_ids()
            .into_iter()
            .filter_map(|id| st.workflow_view(id))
            .collect()
    }

    pub fn fail_next(&self, path_contains: &str, statuses: &[u16]) {
        let mut st = self.st();
        for s in statuses {
            st.fail_rules.push_back((path_contains.to_owned(), *s));
        }
    }

    pub fn set_quota(&self, remaining: Option<u32>) {
        self.st().quota = remaining;
    }

    pub fn require_field(&self, field: Option<&str>) {
        self.st().required_field = field.map(str::to_owned);
    }

    /// How a whole-profile PATCH treats `assessmentresults` entries without an `entry` id (undocumented in iCIMS).
    pub fn set_patch_mode(&self, mode: PatchMode) {
        self.st().patch_mode = mode;
    }

    /// Forgets every issued OAuth token, as if they all expired.
    pub fn expire_tokens(&self) {
        self.st().tokens.clear();
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.st().requests.clone()
    }

    /// Every event outcome so far, oldest first: (workflow, event type, outcome).
    pub fn event_log(&self) -> Vec<(u64, String, EventOutcome)> {
        self.st().event_log.clone()
    }
}
