//! Greenhouse as the conformance suite drives it: its simulator calls send_test and test_status
//! with the organisation's key, takes our completion PATCH and shows the result it then reads.

use super::{Answer, Driver, Ordered, PACKAGE, Shown, observer, package};
use crate::api_common::{Api, candidate_email};
use crate::common::{TestApp, client};
use serde_json::json;
use shortlist_app::connectors::Dedup;
use sim::greenhouse::{Mode, PartnerEndpoints, SendOutcome, SimConfig, SimHandle, Simulator};

pub struct Greenhouse {
    sim: SimHandle,
    key: String,
}

fn answer(o: SendOutcome) -> Answer {
    Answer {
        status: o.status,
        body: o.body,
        id: o.partner_interview_id,
    }
}

async fn sim(app: &TestApp, key: &str) -> SimHandle {
    let cfg = SimConfig {
        endpoints: PartnerEndpoints::shortlist(&app.url("")),
        api_key: key.to_string(),
        mode: Mode::Patch,
    };
    Simulator::start("127.0.0.1:0", cfg).await.unwrap()
}

/// Greenhouse sending a test to a new candidate of its own.
async fn send(sim: &SimHandle, first: &str, email: Option<&str>) -> SendOutcome {
    let cand = sim.add_candidate(first, "Tester", email);
    sim.send_test(cand, PACKAGE).await
}

impl Driver for Greenhouse {
    const LABEL: &'static str = "Greenhouse";
    const DUPLICATE: u16 = 409;
    const DEDUP: Dedup = Dedup::Replay;
    const EMAIL_FIELD: &'static str = "candidate.email";
    const INVALID: u16 = 400;
    // The key decides the organisation: another's instance does not exist for it.
    const FOREIGN: u16 = 404;
    const REFUSAL: &'static str = "answered 422";
    const WRITES_ON_SEND: bool = false;

    async fn connect(app: &TestApp, api: &Api, budget: Option<i64>) -> Self {
        let observer = observer(app, api).await;
        let (_, key) = app.app.greenhouse.connect(&api.org, &observer, budget).await.unwrap();
        // Greenhouse shows a result only behind a URL that opens without an account.
        let (s, body) = api
            .put(
                "/review-settings",
                json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
            )
            .await;
        assert!(s.is_success(), "{s} {body}");
        package(api).await;
        let sim = sim(app, &key).await;
        let listed = sim.list_tests().await;
        assert!(
            listed.errors.is_empty() && listed.tests.iter().any(|t| t.partner_test_id == PACKAGE),
            "{listed:?}"
        );
        Greenhouse { sim, key }
    }

    async fn order(&self, first: &str, email: Option<&str>) -> Ordered {
        let out = send(&self.sim, first, email).await;
        Ordered {
            handle: out.instance.expect("an instance"),
            email: email.map(str::to_string),
            answer: answer(out),
        }
    }

    async fn order_again(&self, first: &Ordered) -> Answer {
        // A recruiter sends the same test to the same candidate again: a new instance.
        let cand = self.sim.instance(first.handle).expect("the instance").candidate;
        answer(self.sim.send_test(cand, PACKAGE).await)
    }

    async fn replay(&self, first: &Ordered) -> Answer {
        answer(self.sim.replay_send(first.handle).await)
    }

    async fn order_with_wrong_secret(&self, app: &TestApp) -> Answer {
        // This connection's key id with a different secret part.
        let wrong = super::tampered(&self.key);
        let stranger = sim(app, &wrong).await;
        answer(send(&stranger, "Mallory", Some(&candidate_email("mallory"))).await)
    }

    async fn order_as_unknown_tenant(&self, app: &TestApp) -> Answer {
        let never_issued = format!("ghk_0123456789abcdef_{}", "x".repeat(43));
        let stranger = sim(app, &never_issued).await;
        answer(send(&stranger, "Eve", Some(&candidate_email("eve"))).await)
    }

    async fn trespass(&self, app: &TestApp, _other: &Self, theirs: &Ordered) -> Answer {
        // Greenhouse's test_status for the other organisation's instance, with our key.
        let id = theirs.answer.id.clone().expect("their partner_interview_id");
        let url = app.url(&format!("/connectors/greenhouse/test_status?partner_interview_id={id}"));
        let r = client().get(url).basic_auth(&self.key, Some("")).send().await.unwrap();
        Answer {
            status: r.status().as_u16(),
            body: r.text().await.unwrap(),
            id: None,
        }
    }

    fn error_words(body: &str) -> Option<String> {
        super::json_error_words(body, "message")
    }

    fn fail_next_writes(&self, n: usize, status: u16) {
        self.sim.fail_next_patches(n, status);
    }

    fn refuse_writes(&self, on: bool) {
        // One refusal is enough: only the completion is written.
        if on {
            self.sim.fail_next_patches(1, 422);
        }
    }

    fn results(&self, order: &Ordered) -> Vec<Shown> {
        let instance = self.sim.instance(order.handle).expect("the instance");
        instance
            .result
            .into_iter()
            .map(|r| Shown {
                complete: true,
                url: Some(r.partner_profile_url),
            })
            .collect()
    }

    fn write_requests(&self) -> usize {
        self.sim.requests().iter().filter(|r| r.method == "PATCH").count()
    }
}
