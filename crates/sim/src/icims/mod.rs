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
mod server;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};

pub use state::{AssessmentResult, PatchMode, RecordedRequest, Workflow};

/// Credentials: what callers of the simulator's API must present, or what the simulator presents
/// when it posts events.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug)]
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

pub struct Simulator;

impl Simulator {
    /// Binds `bind` (e.g. "127.0.0.1:0") and serves until the runtime shuts down.
    pub async fn start(bind: &str, cfg: SimConfig) -> anyhow::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let handle = SimHandle {
            inner: Arc::new(Inner {
                base_url: format!("http://{addr}"),
                cfg,
                state: Mutex::new(state::State::new()),
                http: events::http_client()?,
            }),
        };
        let router = api::router(handle.clone());
        tokio::spawn(server::serve(listener, router, handle.clone()));
        Ok(handle)
    }
}

pub(crate) struct Inner {
    pub(crate) base_url: String,
    pub(crate) cfg: SimConfig,
    pub(crate) state: Mutex<state::State>,
    pub(crate) http: reqwest::Client,
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

    pub fn add_person(&self, first: &str, last: &str, email: Option<&str>) -> u64 {
        self.st().add_person(first, last, email)
    }

    pub fn add_job(&self, title: &str, assessment_type: Option<&str>) -> u64 {
        self.st()
            .add_job(title, assessment_type.map(|a| vec![a.to_owned()]).unwrap_or_default())
    }

    /// A job with several packages in `assessmenttype` (two-round testing).
    pub fn add_job_with_packages(&self, title: &str, packages: &[&str]) -> u64 {
        self.st()
            .add_job(title, packages.iter().map(|p| (*p).to_owned()).collect())
    }

    /// Panics when the person or job does not exist: a test set-up mistake, not a runtime case.
    pub fn apply(&self, person: u64, job: u64) -> u64 {
        self.st().apply(person, job)
    }

    pub fn set_event_target(&self, t: EventTarget) {
        let mut st = self.st();
        st.event_target = Some(t);
        st.target_token = None;
    }

    pub async fn move_to_status(&self, workflows: &[u64], status_id: &str) -> Vec<EventOutcome> {
        events::move_to_status(self, workflows, status_id).await
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
