//! The iCIMS write-back end to end: the simulator (a real HTTP server) moves a candidate to the
//! trigger status, the candidate takes the interview over HTTP, and what iCIMS then holds on the
//! applicant workflow is asserted — one assessmentresults entry with status, date and URL — plus
//! retries of 503s and a parked required-field refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{Api, decode_qp, sign_in};
use common::{TestApp, client, eventually, mails_to};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_app::connectors::icims::{NewConnectionInput, StatusValues};
use shortlist_app::connectors::writeback;
use shortlist_domain::{InvitationId, Role};
use sim::icims::{Auth, EventTarget, SimConfig, SimHandle, Simulator, Workflow};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(40);
const TRIGGER: &str = "C38356";
const PACKAGE: &str = "wb-text";
const SENT: &str = "D37002019004";
const IN_PROGRESS: &str = "D37002019003";
const COMPLETE: &str = "D37002019001";

struct Setup {
    app: TestApp,
    api: Api,
    sim: SimHandle,
    job: u64,
}

/// A server with fast job retries, a connected organisation, and a job whose package is a
/// one-question text interview.
async fn setup() -> Setup {
    setup_with_budget(None).await
}

async fn setup_with_budget(daily_budget: Option<i64>) -> Setup {
    let app = TestApp::spawn_with(&[
        "--job-retry-base-secs",
        "0.2",
        "--outbound-allow-private",
        "127.0.0.0/8",
    ])
    .await;
    let api = sign_in(&app, Role::Admin).await;
    let customer = format!("{}", 1000 + rand::random::<u32>() % 9000);
    let api_auth = Auth::Basic {
        user: "vendor".into(),
        password: "vendor-password".into(),
    };
    let cfg = SimConfig {
        customer_id: customer.clone(),
        api_auth,
    };
    let sim = Simulator::start("127.0.0.1:0", cfg).await.unwrap();
    let email = shortlist_domain::Email::parse(&api.email).unwrap();
    let observer = shortlist_store::users::find_by_email(&app.app.db, &api.org, &email)
        .await
        .unwrap()
        .unwrap();
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
            sent: SENT.into(),
            in_progress: IN_PROGRESS.into(),
            complete: COMPLETE.into(),
            expired: None,
            cancelled: None,
        },
        observer_user_id: shortlist_domain::UserId::parse(&observer.id).unwrap(),
        caller_allowlist: None,
        daily_budget,
    };
    let (_, creds) = app.app.icims.create_connection(&api.org, &input).await.unwrap();
    sim.set_event_target(EventTarget {
        url: app.url("/connectors/icims/events"),
        auth: Auth::Basic {
            user: creds.user,
            password: creds.secret,
        },
        token_url: None,
        gzip: false,
    });
    let spec = json!({"name": "Writing", "questions": [{"id": "q1", "kind": "text", "prompt": "Why this job?"}]});
    api.template(PACKAGE, spec).await;
    let job = sim.add_job("Technical Writer", Some(PACKAGE));
    Setup { app, api, sim, job }
}

impl Setup {
    /// Applies a new person to the job and moves them to the trigger status.
    async fn invite(&self, first: &str) -> (u64, String) {
        let email = api_common::candidate_email(&first.to_lowercase());
        let person = self.sim.add_person(first, "Tester", Some(&email));
        let wf = self.sim.apply(person, self.job);
        let out = self.sim.move_to_status(&[wf], TRIGGER).await.remove(0);
        assert_eq!(out.status, 200, "{out:?}");
        (wf, email)
    }

    /// Waits until the workflow's entries satisfy `ok`, and returns the workflow.
    async fn workflow_when(&self, wf: u64, ok: impl Fn(&Workflow) -> bool) -> Workflow {
        let found = eventually(WAIT, || async { self.sim.workflow(wf).filter(|w| ok(w)) }).await;
        found.unwrap_or_else(|| panic!("workflow never got there: {:?}", self.sim.workflow(wf)))
    }

    async fn invitation_id(&self) -> InvitationId {
        let sql = "SELECT id FROM invitations WHERE org_id = $1";
        let org = self.api.org.as_str().to_string();
        let (id,): (String,) =
            shortlist_store::on_db!(&self.app.app.db, p => sqlx::query_as(sql).bind(&org).fetch_one(p).await).unwrap();
        InvitationId::parse(&id).unwrap()
    }
}

fn only_status(w: &Workflow, status: &str) -> bool {
    w.assessment_results.len() == 1 && w.assessment_results[0].assessmentstatus == status
}

/// `shortlist admin icims ARGS` against the test server's database: (success, stdout + stderr).
async fn admin(app: &TestApp, args: &[&str]) -> (bool, String) {
    let mut all = common::base_args(&app.db, app.data.path());
    all.extend(["admin".to_string(), "icims".to_string()]);
    all.extend(args.iter().map(|s| s.to_string()));
    let o = tokio::process::Command::new(common::bin())
        .args(&all)
        .env_remove("DATABASE_URL")
        .env_remove("SHORTLIST_DATA_DIR")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), out)
}

/// The candidate link from the invitation e-mail.
async fn link_in_mail(app: &TestApp, email: &str) -> String {
    let mail = decode_qp(&mails_to(email, 1, WAIT).await[0]);
    let at = mail.find("/i/").expect("a candidate link in the e-mail");
    let token: String = mail[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    app.url(&format!("/i/{token}"))
}

/// Consent, one text answer, complete — as the candidate's browser posts them.
async fn take_interview(app: &TestApp, link: &str) {
    let c = client();
    for (step, form) in [
        ("consent", vec![("consent", "yes")]),
        ("q/q1", vec![("text", "I like clear words.")]),
        ("complete", vec![]),
    ] {
        let r = c.post(format!("{link}/{step}")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step}: {}", r.text().await.unwrap());
    }
    let _ = app;
}

#[tokio::test]
async fn a_completed_interview_shows_complete_with_url_and_date_on_the_workflow() {
    let s = setup().await;
    let (wf, email) = s.invite("Ada").await;
    // The invitation e-mail went out: iCIMS shows "Sent".
    let w = s.workflow_when(wf, |w| only_status(w, SENT)).await;
    assert_eq!(w.assessment_results[0].assessmentname, PACKAGE);

    let link = link_in_mail(&s.app, &email).await;
    take_interview(&s.app, &link).await;

    let w = s.workflow_when(wf, |w| only_status(w, COMPLETE)).await;
    let r = &w.assessment_results[0];
    let inv = s.invitation_id().await;
    let url = r.assessmenturl.clone().unwrap();
    assert!(
        url.starts_with(&s.app.url(&format!("/interviews/{}/", inv.as_str()))),
        "{url}"
    );
    let date = r.assessmentdate.clone().unwrap();
    let parsed = chrono::NaiveDateTime::parse_from_str(&date, "%Y-%m-%d %I:%M %p").unwrap();
    assert_eq!(
        parsed.format("%Y-%m-%d %I:%M %p").to_string(),
        date,
        "yyyy-mm-dd hh:mm a"
    );
    let age = chrono::Utc::now().naive_utc() - parsed;
    assert!(
        age < chrono::Duration::hours(1) && age > chrono::Duration::minutes(-2),
        "UTC date, got {date}"
    );
    assert_eq!(r.assessmentresult.as_deref(), Some("Completed"));
    assert!(r.assessmentnotes.as_deref().unwrap().chars().count() <= 192);
    assert_eq!(r.assessmentscore, None, "no score before anyone evaluates");

    // A reviewer's rating reaches the same entry as its score; the date stays the completion's.
    let (status, body) = s
        .api
        .post(
            &format!("/invitations/{}/evaluations", inv.as_str()),
            json!({ "ratings": [{ "question_id": "q1", "rating": 4 }] }),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let w = s
        .workflow_when(wf, |w| w.assessment_results.iter().any(|r| r.assessmentscore.is_some()))
        .await;
    assert_eq!(w.assessment_results.len(), 1);
    assert_eq!(w.assessment_results[0].assessmentscore, Some(4.0));
    assert_eq!(w.assessment_results[0].assessmentdate.as_deref(), Some(date.as_str()));

    // Every write went to the workflow over HTTP/1.1 and no entry was ever duplicated.
    let reqs = s.sim.requests();
    let patches: Vec<_> = reqs.iter().filter(|r| r.method == "PATCH").collect();
    assert!(patches.len() >= 2, "created, then updated: {}", patches.len());
    assert!(
        patches
            .iter()
            .all(|r| r.http_version == "HTTP/1.1" && r.path.ends_with(&format!("/applicantworkflows/{wf}")))
    );
    let updates = patches.iter().filter(|r| r.body.contains("\"entry\"")).count();
    assert_eq!(
        updates,
        patches.len() - 1,
        "one create, every later write names the entry"
    );
}

#[tokio::test]
async fn two_503s_are_retried_and_end_with_exactly_one_entry() {
    let s = setup().await;
    s.sim.fail_next("applicantworkflows", &[503, 503]);
    let (wf, _) = s.invite("Grace").await;
    s.workflow_when(wf, |w| only_status(w, SENT)).await;
    let to_workflow = s
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("applicantworkflows"))
        .count();
    assert!(
        to_workflow >= 4,
        "two refused attempts, then read + create + read: {to_workflow}"
    );
    // A late duplicate would show as a second entry once every job has settled.
    let settled = eventually(WAIT, || async {
        let queued = shortlist_store::jobs::list_by_state(&s.app.app.db, "queued", 100)
            .await
            .unwrap();
        let running = shortlist_store::jobs::list_by_state(&s.app.app.db, "running", 100)
            .await
            .unwrap();
        (queued.iter().all(|j| j.kind != writeback::WRITEBACK_KIND) && running.is_empty()).then_some(())
    })
    .await;
    assert!(settled.is_some());
    assert_eq!(s.sim.workflow(wf).unwrap().assessment_results.len(), 1);
}

#[tokio::test]
async fn a_required_field_refusal_is_parked_with_the_message_until_retried() {
    let s = setup().await;
    s.sim.require_field(Some("rcf3001"));
    let (wf, _) = s.invite("Alan").await;
    let db = &s.app.app.db;
    let parked = eventually(WAIT, || async {
        let rows = shortlist_store::ats_writeback::parked(db, Some(&s.api.org))
            .await
            .unwrap();
        (!rows.is_empty()).then_some(rows)
    })
    .await
    .expect("the write-back was parked");
    assert_eq!(parked.len(), 1);
    let why = parked[0].parked_error.clone().unwrap();
    assert!(why.contains("400") && why.contains("rcf3001"), "{why}");
    assert_eq!(parked[0].parked_kind.as_deref(), Some("sent"));
    assert!(s.sim.workflow(wf).unwrap().assessment_results.is_empty());

    // The organisation's admin is told by e-mail, in iCIMS's words, once.
    let told = eventually(WAIT, || async {
        let all = mails_to(&s.api.email, 1, Duration::from_millis(200)).await;
        let told: Vec<String> = all
            .iter()
            .map(|m| decode_qp(m))
            .filter(|m| m.contains("iCIMS refused a write-back"))
            .collect();
        (!told.is_empty()).then_some(told)
    })
    .await
    .expect("the admin was told about the parked write-back");
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains("rcf3001") && told[0].contains("retry-writeback"),
        "{}",
        told[0]
    );

    // Parked means no retries on its own; the admin fixes iCIMS and asks for one.
    s.sim.require_field(None);
    // The operator sees it with iCIMS's message, then asks for the retry.
    let slug = shortlist_store::orgs::get(db, &s.api.org).await.unwrap().unwrap().slug;
    let (ok, out) = admin(&s.app, &["parked", "--org", &slug]).await;
    assert!(ok && out.contains("rcf3001") && out.contains(&wf.to_string()), "{out}");
    let inv = s.invitation_id().await;
    let (ok, out) = admin(
        &s.app,
        &["retry-writeback", "--org", &slug, "--invitation", inv.as_str()],
    )
    .await;
    assert!(ok, "{out}");
    let (ok, _) = admin(
        &s.app,
        &["retry-writeback", "--org", &slug, "--invitation", "inv_nothing"],
    )
    .await;
    assert!(!ok, "an invitation with nothing parked is refused");
    s.workflow_when(wf, |w| only_status(w, SENT)).await;
    let cleared = eventually(WAIT, || async {
        let rows = shortlist_store::ats_writeback::parked(db, Some(&s.api.org))
            .await
            .unwrap();
        rows.is_empty().then_some(())
    })
    .await;
    assert!(
        cleared.is_some(),
        "the parked error is cleared after a successful write"
    );
}

#[tokio::test]
async fn the_daily_budget_holds_write_backs_until_tomorrow_and_warns_admins_at_80_percent() {
    // Creating the entry costs three calls (look for ours, create, read its id): 3 of 3.
    let s = setup_with_budget(Some(3)).await;
    let (wf, email) = s.invite("Budget").await;
    s.workflow_when(wf, |w| only_status(w, SENT)).await;
    let warning = eventually(WAIT, || async {
        let all = mails_to(&s.api.email, 1, Duration::from_secs(1)).await;
        all.into_iter()
            .map(|m| decode_qp(&m))
            .find(|m| m.contains("daily API calls"))
    })
    .await
    .expect("the admin was warned");
    assert!(warning.contains("3 of 3"), "{warning}");

    // Completing needs a fourth call: it waits for the next UTC day instead of being sent.
    let link = link_in_mail(&s.app, &email).await;
    take_interview(&s.app, &link).await;
    let db = &s.app.app.db;
    let waiting = eventually(WAIT, || async {
        let queued = shortlist_store::jobs::list_by_state(db, "queued", 100).await.unwrap();
        // The start of a later UTC day (robust when the test runs around midnight).
        let at_midnight =
            |t: chrono::DateTime<chrono::Utc>| t > chrono::Utc::now() && t.time() == chrono::NaiveTime::MIN;
        queued
            .into_iter()
            .find(|j| j.kind == writeback::WRITEBACK_KIND && at_midnight(j.run_at) && j.payload.contains("complete"))
    })
    .await;
    assert!(waiting.is_some(), "the completed write-back waits for tomorrow");
    assert!(
        only_status(&s.sim.workflow(wf).unwrap(), SENT),
        "nothing was sent over budget"
    );
    let calls = s
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.contains("applicantworkflows"))
        .count();
    assert_eq!(calls, 3);
}
