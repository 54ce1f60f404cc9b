//! A local Workable playing its side of the assessment and video-interview partner contract: it
//! lists the partner's tests and interview templates, creates assessments and interviews with a
//! per-order `callback_url`, and takes the partner's `PUT {callback_url}` results, showing one only
//! when it is "completed" with an http(s) `results_url`. Every call presents the partner's token as
//! a Bearer; every callback must present Workable's own token.
//!
//! Source: Workable's partner docs (workable.readme.io "Assessment Providers") and
//! `shared/research/ats-contracts.md` §4; the choices made where they are silent are in
//! `docs/workable-simulator.md`.

mod calls;
pub mod cli;
mod page;
mod routes;
mod state;
mod validate;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub use crate::RecordedRequest;
use crate::persist::StateFile;
use crate::server::{self, H2Refusal};
pub use state::{Callback, Candidate, Job, Kind, Offering, Order, ShownResult};

#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The partner's base URL as the customer entered it: `{partner}/connectors/workable/{account}`.
    pub partner_base: String,
    /// The token the partner gave the customer, presented as `Authorization: Bearer …`.
    pub partner_token: String,
    /// The token Workable generated for the partner, required on every callback.
    pub workable_token: String,
}

/// What a list call got back. `errors` is empty when the list was valid (and is now the one shown).
#[derive(Clone, Debug)]
pub struct ListOutcome {
    /// HTTP status; 0 when no answer arrived.
    pub status: u16,
    pub items: Vec<Offering>,
    pub body: String,
    pub errors: Vec<String>,
}

/// What a create call (or its replay) got back.
#[derive(Clone, Debug)]
pub struct SendOutcome {
    /// HTTP status; 0 when no answer arrived.
    pub status: u16,
    /// The order created (or replayed).
    pub order: Option<u64>,
    /// The `id` in a valid answer.
    pub id: Option<String>,
    pub body: String,
    /// Why the answer was not accepted.
    pub errors: Vec<String>,
}

/// Workable's answer to HTTP/2 prior knowledge on this HTTP/1 listener.
const H2_REFUSAL: H2Refusal = H2Refusal {
    content_type: "application/json",
    body: "{\"error\":\"HTTP version not supported; use HTTP/1.1\"}",
    extra_headers: "",
};

pub struct Simulator;

impl Simulator {
    /// Binds `bind` (e.g. "127.0.0.1:0") and serves until the runtime shuts down; starts empty.
    pub async fn start(bind: &str, cfg: SimConfig) -> anyhow::Result<SimHandle> {
        Self::launch(bind, cfg, None).await
    }

    /// Like [`Simulator::start`], keeping jobs, candidates, lists and orders in the JSON file at
    /// `path` (loaded now when it exists, rewritten after every change).
    pub async fn start_with_state(bind: &str, cfg: SimConfig, path: &Path) -> anyhow::Result<SimHandle> {
        Self::launch(bind, cfg, Some(StateFile::new(path))).await
    }

    async fn launch(bind: &str, cfg: SimConfig, file: Option<StateFile>) -> anyhow::Result<SimHandle> {
        let saved = match &file {
            Some(f) => f.load::<state::Saved>("Workable simulator")?,
            None => None,
        };
        let restored = saved.is_some();
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let handle = SimHandle {
            inner: Arc::new(Inner {
                base_url: format!("http://{addr}"),
                cfg,
                state: Mutex::new(state::State::new(saved)),
                api: crate::partner::api_client()?,
                file,
                restored,
            }),
        };
        let router = routes::router(handle.clone());
        let recorder = handle.clone();
        let record = move |r| recorder.st().requests.push(r);
        tokio::spawn(server::serve(listener, router, H2_REFUSAL, record));
        Ok(handle)
    }
}

pub(crate) struct Inner {
    pub(crate) base_url: String,
    pub(crate) cfg: SimConfig,
    state: Mutex<state::State>,
    pub(crate) api: reqwest::Client,
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

    /// Runs `change` on the state, then saves it.
    pub(crate) fn change<T>(&self, change: impl FnOnce(&mut state::State) -> T) -> T {
        let out = change(&mut self.st());
        self.save();
        out
    }

    /// Writes the state file, if any; a failed write is reported on stderr and serving goes on.
    fn save(&self) {
        let Some(file) = &self.inner.file else { return };
        if let Err(e) = file.save(|| self.st().saved.clone()) {
            eprintln!("Workable simulator: saving the state failed: {e:#}");
        }
    }

    /// True when the state was loaded from an existing state file (seed only when false).
    pub fn restored(&self) -> bool {
        self.inner.restored
    }

    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn partner_base(&self) -> String {
        self.inner.cfg.partner_base.clone()
    }

    pub fn add_job(&self, title: &str) -> u64 {
        self.change(|st| st.add_job(title))
    }

    pub fn jobs(&self) -> Vec<Job> {
        self.st().jobs().values().cloned().collect()
    }

    pub fn add_candidate(&self, first: &str, last: &str, email: Option<&str>) -> u64 {
        self.change(|st| st.add_candidate(first, last, email))
    }

    pub fn candidates(&self) -> Vec<Candidate> {
        self.st().candidates().values().cloned().collect()
    }

    /// `GET {base}/tests`; a valid list replaces the tests offered on the page.
    pub async fn list_tests(&self) -> ListOutcome {
        calls::list(self, Kind::Assessment).await
    }

    /// `GET {base}/interview-templates`; a valid list replaces the templates offered on the page.
    pub async fn list_interview_templates(&self) -> ListOutcome {
        calls::list(self, Kind::Interview).await
    }

    /// The tests from the last valid list.
    pub fn tests(&self) -> Vec<Offering> {
        self.st().saved.tests.clone()
    }

    /// The interview templates from the last valid list.
    pub fn interview_templates(&self) -> Vec<Offering> {
        self.st().saved.templates.clone()
    }

    /// "Send assessment": creates an order and POSTs `{base}/assessments` for it.
    pub async fn send_assessment(&self, candidate: u64, job: u64, test_id: &str) -> SendOutcome {
        calls::send(self, Kind::Assessment, candidate, job, test_id).await
    }

    /// "Send interview": creates an order and POSTs `{base}/interviews` for it.
    pub async fn send_interview(&self, candidate: u64, job: u64, template_id: &str) -> SendOutcome {
        calls::send(self, Kind::Interview, candidate, job, template_id).await
    }

    /// Sends the order's create request again, byte for byte (same `callback_url`).
    pub async fn replay(&self, order: u64) -> SendOutcome {
        calls::post_create(self, order).await
    }

    pub fn order(&self, id: u64) -> Option<Order> {
        self.st().orders().get(&id).cloned()
    }

    pub fn orders(&self) -> Vec<Order> {
        self.st().orders().values().cloned().collect()
    }

    /// The next `n` callbacks with the right token answer `status` (e.g. 500) instead of being read.
    pub fn fail_next_callbacks(&self, n: usize, status: u16) {
        self.st().callback_failures.extend(std::iter::repeat_n(status, n));
    }

    /// Revokes Workable's token, as when the customer disconnects the integration: every callback
    /// is refused with 401 from now on.
    pub fn revoke_token(&self) {
        self.change(|st| st.saved.revoked = true);
    }

    /// Every request the simulator received (callbacks, page requests), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.st().requests.clone()
    }
}
