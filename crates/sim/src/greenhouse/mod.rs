//! A local Greenhouse playing its side of the Assessment Partner API: it calls the partner's
//! list_tests, send_test, test_status and response_error with the organisation's key, serves the
//! per-instance `url` the partner PATCHes when a candidate finishes (and then asks test_status),
//! optionally polls hourly as legacy integrations do, and shows a result only when test_status
//! says "complete" with a reachable `partner_profile_url`.
//!
//! Source: Greenhouse's docs (`grnhse/greenhouse-api-docs`, `source/includes/assessment/*`);
//! the choices made where they are silent are in `docs/greenhouse-simulator.md`.

mod calls;
pub mod cli;
mod page;
mod routes;
mod state;
mod validate;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};

pub use crate::RecordedRequest;
use crate::persist::StateFile;
use crate::server::{self, H2Refusal};
pub use state::{Candidate, Instance, PartnerTest, ResponseErrorCall, ShownResult, StatusCheck, Trigger};

/// Greenhouse stops polling a test this long after sending it.
pub const POLL_CUT_OFF: Duration = Duration::weeks(8);
/// The resume URL in send_test stops working this long after the request.
pub const RESUME_LIFETIME: Duration = Duration::days(7);

/// How the partner tells Greenhouse a test is done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The partner PATCHes the instance `url`; Greenhouse then asks test_status (integrations since 2019).
    #[default]
    Patch,
    /// Greenhouse polls test_status hourly ([`SimHandle::poll_due`]); PATCHes are still accepted.
    LegacyPolling,
}

/// The partner's four endpoints, as the partner gave them to Greenhouse.
#[derive(Clone, Debug)]
pub struct PartnerEndpoints {
    pub list_tests: String,
    pub send_test: String,
    pub test_status: String,
    pub response_error: String,
}

impl PartnerEndpoints {
    /// Shortlist's endpoints under `partner` (its public URL): `{partner}/connectors/greenhouse/…`.
    pub fn shortlist(partner: &str) -> Self {
        let base = format!("{}/connectors/greenhouse", partner.trim_end_matches('/'));
        PartnerEndpoints {
            list_tests: format!("{base}/list_tests"),
            send_test: format!("{base}/send_test"),
            test_status: format!("{base}/test_status"),
            response_error: format!("{base}/response_error"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub endpoints: PartnerEndpoints,
    /// The organisation's key the partner issued: sent as the Basic user name, password empty,
    /// and required on the PATCH.
    pub api_key: String,
    pub mode: Mode,
}

/// What list_tests got back. `errors` is empty when the list was valid (and is now the one shown).
#[derive(Clone, Debug)]
pub struct ListOutcome {
    /// HTTP status; 0 when no answer arrived.
    pub status: u16,
    pub tests: Vec<PartnerTest>,
    pub body: String,
    pub errors: Vec<String>,
}

/// What send_test (or its replay) got back.
#[derive(Clone, Debug)]
pub struct SendOutcome {
    /// HTTP status; 0 when no answer arrived.
    pub status: u16,
    /// The instance created (or replayed).
    pub instance: Option<u64>,
    /// The id in a valid answer.
    pub partner_interview_id: Option<String>,
    pub body: String,
    /// Why the answer was not accepted (also reported with response_error when it was malformed).
    pub errors: Vec<String>,
}

/// Greenhouse's answer to HTTP/2 prior knowledge on this HTTP/1 listener.
const H2_REFUSAL: H2Refusal = H2Refusal {
    content_type: "text/plain",
    body: "HTTP version not supported; use HTTP/1.1.\n",
    extra_headers: "",
};

pub struct Simulator;

impl Simulator {
    /// Binds `bind` (e.g. "127.0.0.1:0") and serves until the runtime shuts down; starts empty.
    pub async fn start(bind: &str, cfg: SimConfig) -> anyhow::Result<SimHandle> {
        Self::launch(bind, cfg, None).await
    }

    /// Like [`Simulator::start`], keeping candidates, tests, instances and response_error calls in
    /// the JSON file at `path` (loaded now when it exists, rewritten after every change).
    pub async fn start_with_state(bind: &str, cfg: SimConfig, path: &Path) -> anyhow::Result<SimHandle> {
        Self::launch(bind, cfg, Some(StateFile::new(path))).await
    }

    async fn launch(bind: &str, cfg: SimConfig, file: Option<StateFile>) -> anyhow::Result<SimHandle> {
        let saved = match &file {
            Some(f) => f.load::<state::Saved>("Greenhouse simulator")?,
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
                web: crate::partner::web_client()?,
                file,
                restored,
            }),
        };
        // The file appears with the first change, so a run stopped before seeding seeds next time.
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
    pub(crate) web: reqwest::Client,
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
            eprintln!("Greenhouse simulator: saving the state failed: {e:#}");
        }
    }

    /// True when the state was loaded from an existing state file (seed only when false).
    pub fn restored(&self) -> bool {
        self.inner.restored
    }

    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn mode(&self) -> Mode {
        self.inner.cfg.mode
    }

    pub fn endpoints(&self) -> PartnerEndpoints {
        self.inner.cfg.endpoints.clone()
    }

    /// The simulator's clock: the wall clock plus any [`SimHandle::warp`].
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.st().warp
    }

    /// Moves the simulator's clock forward (resume URLs expire on it; sends are stamped with it).
    pub fn warp(&self, by: Duration) {
        self.st().warp += by;
    }

    /// `{sim}/people/{candidate}?application_id={application}`, as in send_test.
    pub fn profile_url(&self, c: &Candidate) -> String {
        format!(
            "{}/people/{}?application_id={}",
            self.inner.base_url, c.id, c.application_id
        )
    }

    pub fn add_candidate(&self, first: &str, last: &str, email: Option<&str>) -> u64 {
        self.change(|st| st.add_candidate(first, last, email))
    }

    pub fn candidate(&self, id: u64) -> Option<Candidate> {
        self.st().candidates().get(&id).cloned()
    }

    pub fn candidates(&self) -> Vec<Candidate> {
        self.st().candidates().values().cloned().collect()
    }

    /// Marks the candidate hired: polling stops and no result is shown for them any more.
    pub fn hire(&self, candidate: u64) {
        self.change(|st| {
            if let Some(c) = st.candidate_mut(candidate) {
                c.hired = true;
            }
        });
    }

    /// Calls list_tests; a valid list replaces the tests offered on the page.
    pub async fn list_tests(&self) -> ListOutcome {
        calls::list_tests(self).await
    }

    /// The tests from the last valid list_tests answer.
    pub fn tests(&self) -> Vec<PartnerTest> {
        self.st().tests().to_vec()
    }

    /// "Send test": creates a test instance and calls send_test for it.
    pub async fn send_test(&self, candidate: u64, partner_test_id: &str) -> SendOutcome {
        calls::send_test(self, candidate, partner_test_id).await
    }

    /// Sends the instance's send_test request again, byte for byte (same `url`).
    pub async fn replay_send(&self, instance: u64) -> SendOutcome {
        calls::replay_send(self, instance).await
    }

    /// Asks test_status for the instance now, as the PATCH handler and the poller do.
    pub async fn check_status(&self, instance: u64) -> StatusCheck {
        let now = self.now();
        calls::check_status(self, instance, Trigger::Manual, now).await
    }

    pub fn instance(&self, id: u64) -> Option<Instance> {
        self.st().instances().get(&id).cloned()
    }

    pub fn instances(&self) -> Vec<Instance> {
        self.st().instances().values().cloned().collect()
    }

    /// The legacy hourly poll, with the time passed in: asks test_status for each instance whose
    /// last poll (or send) is an hour or more before `now`, and stops polling an instance once it
    /// is complete, its candidate is hired, or 8 weeks have passed since it was sent. Returns the
    /// instances polled. Does nothing in [`Mode::Patch`].
    pub async fn poll_due(&self, now: DateTime<Utc>) -> Vec<u64> {
        if self.inner.cfg.mode != Mode::LegacyPolling {
            return Vec::new();
        }
        let due = self.change(|st| {
            let hired: Vec<u64> = st.candidates().values().filter(|c| c.hired).map(|c| c.id).collect();
            let ids: Vec<u64> = st.instances().keys().copied().collect();
            let mut due = Vec::new();
            for id in ids {
                let Some(i) = st.instance_mut(id) else { continue };
                if i.polling_stopped.is_some() || i.partner_interview_id.is_none() {
                    continue;
                }
                if hired.contains(&i.candidate) {
                    i.polling_stopped = Some("candidate hired".to_owned());
                } else if now >= i.sent_at + POLL_CUT_OFF {
                    i.polling_stopped = Some("8 weeks since sent".to_owned());
                } else if now >= i.last_poll.unwrap_or(i.sent_at) + Duration::hours(1) {
                    i.last_poll = Some(now);
                    due.push(id);
                }
            }
            due
        });
        for id in &due {
            calls::check_status(self, *id, Trigger::Poll, now).await;
        }
        due
    }

    /// The next `n` PATCHes answer `status` (e.g. 503) instead of being handled.
    pub fn fail_next_patches(&self, n: usize, status: u16) {
        let mut st = self.st();
        st.patch_failures.extend(std::iter::repeat_n(status, n));
    }

    /// Every response_error call made, oldest first.
    pub fn response_errors(&self) -> Vec<ResponseErrorCall> {
        self.st().response_errors().to_vec()
    }

    /// Every request the simulator received (PATCHes, page and resume requests), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.st().requests.clone()
    }
}
