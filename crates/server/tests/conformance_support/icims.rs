//! iCIMS as the conformance suite drives it: its simulator moves applicants to the trigger status
//! (an event to our endpoint), and shows what we wrote on the applicant workflow.

use super::{Answer, Driver, Ordered, PACKAGE, Shown, observer, package};
use crate::api_common::{Api, candidate_email};
use crate::common::TestApp;
use shortlist_app::connectors::Dedup;
use shortlist_app::connectors::icims::{NewConnectionInput, StatusValues};
use shortlist_domain::InvitationId;
use sim::icims::{Auth, EventOutcome, EventTarget, SimConfig, SimHandle, Simulator};

const TRIGGER: &str = "C38356";
const COMPLETE: &str = "D37002019001";
/// The custom field the simulator demands when told to refuse writes.
const REQUIRED: &str = "rcf3001";

pub struct Icims {
    sim: SimHandle,
    job: u64,
    events: String,
    user: String,
    secret: String,
}

fn answer(o: EventOutcome) -> Answer {
    Answer {
        status: o.status,
        body: o.body,
        id: None,
    }
}

fn target(url: &str, user: &str, password: &str) -> EventTarget {
    EventTarget {
        url: url.to_string(),
        auth: Auth::Basic {
            user: user.to_string(),
            password: password.to_string(),
        },
        token_url: None,
        gzip: false,
    }
}

async fn sim(customer: &str) -> SimHandle {
    let cfg = SimConfig {
        customer_id: customer.to_string(),
        api_auth: Auth::Basic {
            user: "vendor".into(),
            password: "vendor-password".into(),
        },
    };
    Simulator::start("127.0.0.1:0", cfg).await.unwrap()
}

impl Icims {
    /// A new applicant on the job, moved to the trigger status by `sim` (posting to whatever
    /// target it has).
    async fn apply_and_move(sim: &SimHandle, job: u64, first: &str, email: Option<&str>) -> (u64, EventOutcome) {
        let person = sim.add_person(first, "Tester", email);
        let wf = sim.apply(person, job);
        (wf, sim.move_to_status(&[wf], TRIGGER).await.remove(0))
    }
}

impl Driver for Icims {
    const LABEL: &'static str = "iCIMS";
    const DUPLICATE: u16 = 400;
    const DEDUP: Dedup = Dedup::Reject;
    const EMAIL_FIELD: &'static str = "{{person.email}}";
    const INVALID: u16 = 400;
    const FOREIGN: u16 = 401;
    const REFUSAL: &'static str = REQUIRED;
    const WRITES_ON_SEND: bool = true;

    async fn connect(app: &TestApp, api: &Api, budget: Option<i64>) -> Self {
        let customer = format!("{}", 1000 + rand::random::<u32>() % 9000);
        let sim = sim(&customer).await;
        let input = NewConnectionInput {
            customer_id: customer,
            region: "us".into(),
            api_base_url: Some(sim.base_url()),
            outbound_auth_kind: "basic".into(),
            outbound_user: "vendor".into(),
            outbound_secret: "vendor-password".into(),
            outbound_token_url: None,
            inbound_auth_kind: "basic".into(),
            trigger_statuses: vec![TRIGGER.into()],
            resend_status: None,
            status_values: StatusValues {
                sent: "D37002019004".into(),
                in_progress: "D37002019003".into(),
                complete: COMPLETE.into(),
                expired: None,
                cancelled: None,
            },
            observer_user_id: observer(app, api).await,
            caller_allowlist: None,
            daily_budget: budget,
        };
        let (_, creds) = app.app.icims.create_connection(&api.org, &input).await.unwrap();
        let events = app.url("/connectors/icims/events");
        sim.set_event_target(target(&events, &creds.user, &creds.secret));
        package(api).await;
        let job = sim.add_job("Conformance Writer", Some(PACKAGE));
        Icims {
            sim,
            job,
            events,
            user: creds.user,
            secret: creds.secret,
        }
    }

    async fn order(&self, first: &str, email: Option<&str>) -> Ordered {
        let (handle, out) = Self::apply_and_move(&self.sim, self.job, first, email).await;
        Ordered {
            handle,
            email: email.map(str::to_string),
            answer: answer(out),
        }
    }

    async fn order_again(&self, first: &Ordered) -> Answer {
        // The recruiter moves the same applicant to the trigger status once more: a new event.
        answer(self.sim.move_to_status(&[first.handle], TRIGGER).await.remove(0))
    }

    async fn replay(&self, first: &Ordered) -> Answer {
        answer(self.sim.replay_last(first.handle).await)
    }

    async fn order_with_wrong_secret(&self, _app: &TestApp) -> Answer {
        self.sim
            .set_event_target(target(&self.events, &self.user, "not-the-secret"));
        let (_, out) = Self::apply_and_move(&self.sim, self.job, "Mallory", Some(&candidate_email("mallory"))).await;
        self.sim
            .set_event_target(target(&self.events, &self.user, &self.secret));
        answer(out)
    }

    async fn order_as_unknown_tenant(&self, _app: &TestApp) -> Answer {
        // A customer nobody connected, presenting this connection's valid credentials.
        let stranger = sim("999999").await;
        stranger.set_event_target(target(&self.events, &self.user, &self.secret));
        let job = stranger.add_job("Elsewhere", Some(PACKAGE));
        let (_, out) = Self::apply_and_move(&stranger, job, "Eve", Some(&candidate_email("eve"))).await;
        answer(out)
    }

    async fn trespass(&self, _app: &TestApp, other: &Self, theirs: &Ordered) -> Answer {
        // The other customer's iCIMS, posting with our credentials: a new applicant and a replay
        // of their existing one.
        other
            .sim
            .set_event_target(target(&other.events, &self.user, &self.secret));
        let (_, new) = Self::apply_and_move(&other.sim, other.job, "Trudy", Some(&candidate_email("trudy"))).await;
        let replayed = other.sim.replay_last(theirs.handle).await;
        other
            .sim
            .set_event_target(target(&other.events, &other.user, &other.secret));
        assert_eq!(replayed.status, new.status, "{replayed:?}");
        answer(new)
    }

    fn error_words(body: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        v["error"]["userMessage"].as_str().map(str::to_string)
    }

    fn fail_next_writes(&self, n: usize, status: u16) {
        self.sim.fail_next("applicantworkflows", &vec![status; n]);
    }

    fn refuse_writes(&self, on: bool) {
        self.sim.require_field(on.then_some(REQUIRED));
    }

    fn results(&self, order: &Ordered) -> Vec<Shown> {
        let wf = self.sim.workflow(order.handle).expect("the workflow");
        wf.assessment_results
            .iter()
            .map(|r| Shown {
                complete: r.assessmentstatus == COMPLETE,
                url: r.assessmenturl.clone(),
            })
            .collect()
    }

    async fn retry(&self, app: &TestApp, api: &Api, inv: &InvitationId) {
        // The admin's Retry button beside the parked write-back on Settings → iCIMS.
        let page = api
            .c
            .get(app.url("/settings/icims"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let action = format!("/settings/icims/parked/{}/retry", inv.as_str());
        let form = &page[page
            .find(&action)
            .unwrap_or_else(|| panic!("no Retry for {inv:?}: {page}"))..];
        let marker = "name=\"csrf\" value=\"";
        let csrf = form[form.find(marker).unwrap() + marker.len()..]
            .split('"')
            .next()
            .unwrap();
        let r = api
            .c
            .post(app.url(&action))
            .form(&[("csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            reqwest::StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
    }

    fn write_requests(&self) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.path.contains("applicantworkflows"))
            .count()
    }
}
