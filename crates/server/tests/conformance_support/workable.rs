//! Workable as the conformance suite drives it: its simulator lists and orders with the Bearer
//! token we issued under the organisation's base URL, takes our `PUT {callback_url}` reports
//! (`pending`, then `completed`) with Workable's own token, and shows what it accepted.

use super::{Answer, Driver, Ordered, PACKAGE, Shown, observer, package};
use crate::api_common::{Api, candidate_email};
use crate::common::{TestApp, client};
use shortlist_app::connectors::Dedup;
use sim::workable::{SendOutcome, SimConfig, SimHandle, Simulator};

/// What Workable generated for the integration; the simulator expects it on our callbacks.
const WORKABLE_TOKEN: &str = "workable-integration-token";

pub struct Workable {
    sim: SimHandle,
    base: String,
    token: String,
    job: u64,
}

fn answer(o: SendOutcome) -> Answer {
    Answer {
        status: o.status,
        body: o.body,
        id: o.id,
    }
}

async fn sim(base: &str, token: &str) -> SimHandle {
    let cfg = SimConfig {
        partner_base: base.to_string(),
        partner_token: token.to_string(),
        workable_token: WORKABLE_TOKEN.to_string(),
    };
    Simulator::start("127.0.0.1:0", cfg).await.unwrap()
}

/// Workable ordering the package for a new candidate of its own.
async fn send(sim: &SimHandle, job: u64, first: &str, email: Option<&str>) -> SendOutcome {
    let cand = sim.add_candidate(first, "Tester", email);
    sim.send_assessment(cand, job, PACKAGE).await
}

impl Driver for Workable {
    const LABEL: &'static str = "Workable";
    const DUPLICATE: u16 = 409;
    const DEDUP: Dedup = Dedup::Replay;
    const EMAIL_FIELD: &'static str = "candidate.email";
    const INVALID: u16 = 422;
    // The base URL names the account: our token under another account's is refused.
    const FOREIGN: u16 = 401;
    const REFUSAL: &'static str = "answered 422";
    const WRITES_ON_SEND: bool = true;

    async fn connect(app: &TestApp, api: &Api, budget: Option<i64>) -> Self {
        let observer = observer(app, api).await;
        let (conn, token) = app
            .app
            .workable
            .connect(&api.org, &observer, WORKABLE_TOKEN, None, budget)
            .await
            .unwrap();
        package(api).await;
        let base = app.url(&format!("/connectors/workable/{}", conn.inbound_user.unwrap()));
        let sim = sim(&base, &token).await;
        let listed = sim.list_tests().await;
        assert!(
            listed.errors.is_empty() && listed.items.iter().any(|t| t.id == PACKAGE),
            "{listed:?}"
        );
        let job = sim.add_job("Conformance Engineer");
        Workable { sim, base, token, job }
    }

    async fn order(&self, first: &str, email: Option<&str>) -> Ordered {
        let out = send(&self.sim, self.job, first, email).await;
        Ordered {
            handle: out.order.expect("an order"),
            email: email.map(str::to_string),
            answer: answer(out),
        }
    }

    async fn order_again(&self, first: &Ordered) -> Answer {
        // The recruiter orders the same test for the same candidate again: a new callback.
        let cand = self.sim.order(first.handle).expect("the order").candidate;
        answer(self.sim.send_assessment(cand, self.job, PACKAGE).await)
    }

    async fn replay(&self, first: &Ordered) -> Answer {
        answer(self.sim.replay(first.handle).await)
    }

    async fn order_with_wrong_secret(&self, _app: &TestApp) -> Answer {
        let wrong = super::tampered(&self.token);
        let stranger = sim(&self.base, &wrong).await;
        let job = stranger.add_job("Nope");
        answer(send(&stranger, job, "Mallory", Some(&candidate_email("mallory"))).await)
    }

    async fn order_as_unknown_tenant(&self, app: &TestApp) -> Answer {
        let account = "0123456789abcdef";
        let never_issued = format!("wkt_{account}_{}", "x".repeat(43));
        let stranger = sim(&app.url(&format!("/connectors/workable/{account}")), &never_issued).await;
        let job = stranger.add_job("Nope");
        answer(send(&stranger, job, "Eve", Some(&candidate_email("eve"))).await)
    }

    async fn trespass(&self, _app: &TestApp, other: &Self, _theirs: &Ordered) -> Answer {
        // Our token under the other organisation's base URL.
        let r = client()
            .get(format!("{}/tests", other.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        Answer {
            status: r.status().as_u16(),
            body: r.text().await.unwrap(),
            id: None,
        }
    }

    fn error_words(body: &str) -> Option<String> {
        super::json_error_words(body, "error")
    }

    fn fail_next_writes(&self, n: usize, status: u16) {
        self.sim.fail_next_callbacks(n, status);
    }

    fn refuse_writes(&self, on: bool) {
        // Before a retry only the invitation's `pending` is written: one refusal parks it.
        if on {
            self.sim.fail_next_callbacks(1, 422);
        }
    }

    fn results(&self, order: &Ordered) -> Vec<Shown> {
        let o = self.sim.order(order.handle).expect("the order");
        match o.status() {
            None => vec![],
            Some(status) => vec![Shown {
                complete: status == "completed",
                url: o.result.map(|r| r.results_url),
            }],
        }
    }

    fn write_requests(&self) -> usize {
        self.sim.requests().iter().filter(|r| r.method == "PUT").count()
    }
}
