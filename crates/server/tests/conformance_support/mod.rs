//! The connector conformance suite's seam: the [`Driver`] a connector's test side implements
//! (how its ATS orders, replays, authenticates and shows results, played by its simulator), and
//! what every case shares (a server, counting invitations and e-mails, taking the interview,
//! reading Settings → Integrations, waiting for write-backs to settle).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod greenhouse;
pub mod icims;
pub mod workable;

use crate::api_common::{Api, decode_qp};
use crate::common::{TestApp, eventually, mails_to};
use serde_json::json;
use shortlist_app::connectors::{Dedup, writeback::WRITEBACK_KIND};
use shortlist_domain::{InvitationId, UserId};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(40);
/// The template every connector orders (its package / test id in the ATS).
pub const PACKAGE: &str = "conf-text";

/// An ATS's answer to one of its calls to us, as its simulator saw it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// The id the ATS keeps for the order, when the answer names one (Greenhouse's
    /// partner_interview_id).
    pub id: Option<String>,
}

/// One order the ATS placed: its handle in the simulator (iCIMS workflow, Greenhouse instance).
#[derive(Debug, Clone)]
pub struct Ordered {
    pub handle: u64,
    pub email: Option<String>,
    pub answer: Answer,
}

/// A result as the ATS shows it to its users.
#[derive(Debug, Clone)]
pub struct Shown {
    pub complete: bool,
    pub url: Option<String>,
}

/// The ATS side of one connector, played by its simulator. A new connector implements this in
/// a module beside the others and adds one line to `conformance!` in connector_conformance.rs.
pub trait Driver: Sized {
    /// How Settings → Integrations names the connector.
    const LABEL: &'static str;
    /// What a second order for the same candidate and package does.
    const DEDUP: Dedup;
    /// The status a refused second order answers (under [`Dedup::Reject`]).
    const DUPLICATE: u16;
    /// The field a missing e-mail is named by, in the ATS's words.
    const EMAIL_FIELD: &'static str;
    /// The status an order with invalid fields answers.
    const INVALID: u16;
    /// What one organisation's credentials get when they reach for another's data.
    const FOREIGN: u16;
    /// What the admin e-mail and the parked row quote when the ATS refuses a write.
    const REFUSAL: &'static str;

    /// Connects the organisation of `api` (an admin, also the observer) to a fresh simulator.
    async fn connect(app: &TestApp, api: &Api, budget: Option<i64>) -> Self;
    /// The ATS orders the package for a new candidate (`email` None: the ATS has none).
    async fn order(&self, first: &str, email: Option<&str>) -> Ordered;
    /// A second, new order for the same candidate and package.
    async fn order_again(&self, first: &Ordered) -> Answer;
    /// The very same call again.
    async fn replay(&self, first: &Ordered) -> Answer;
    /// An order presented with this connection's identity but a wrong secret.
    async fn order_with_wrong_secret(&self, app: &TestApp) -> Answer;
    /// An order from a tenant nobody connected, with well-formed credentials.
    async fn order_as_unknown_tenant(&self, app: &TestApp) -> Answer;
    /// This connection's credentials reaching for `theirs`, an order of `other`'s organisation.
    async fn trespass(&self, app: &TestApp, other: &Self, theirs: &Ordered) -> Answer;
    /// The user-facing words of an error answer in the ATS's own format; None if not that format.
    fn error_words(body: &str) -> Option<String>;
    /// The next `n` write requests fail with `status` (a transient outage of the ATS).
    fn fail_next_writes(&self, n: usize, status: u16);
    /// The ATS refuses writes on the merits (a 4xx) until called with false.
    fn refuse_writes(&self, on: bool);
    /// Whether the connector writes before the candidate completes (then the first write is
    /// the invitation's, otherwise the completion's).
    const WRITES_ON_SEND: bool;
    fn results(&self, order: &Ordered) -> Vec<Shown>;
    /// An admin asks for a parked write-back to be sent again (where the connector's page
    /// offers it, through the page).
    async fn retry(&self, app: &TestApp, api: &Api, inv: &InvitationId) {
        assert!(
            shortlist_app::connectors::writeback::retry_parked(&app.app.db, &api.org, inv)
                .await
                .unwrap()
        );
    }
    /// Requests the ATS received on its write path so far.
    fn write_requests(&self) -> usize;
}

pub async fn app() -> TestApp {
    TestApp::spawn_with(&[
        "--job-retry-base-secs",
        "0.2",
        "--outbound-allow-private",
        "127.0.0.0/8",
    ])
    .await
}

/// The admin of `api`, who connections act as.
pub async fn observer(app: &TestApp, api: &Api) -> UserId {
    crate::api_common::user_id(app, api).await
}

/// The one-question text template every driver orders.
pub async fn package(api: &Api) {
    let spec = json!({"name": "Conformance writing", "questions": [{"id": "q1", "kind": "text", "prompt": "Why us?"}]});
    api.template(PACKAGE, spec).await;
}

/// Rows in `invitations` of the organisation.
pub async fn invitations(app: &TestApp, api: &Api) -> i64 {
    crate::api_common::invitation_count(app, api).await
}

/// The organisation's only invitation.
pub async fn invitation_id(app: &TestApp, api: &Api) -> InvitationId {
    let sql = "SELECT id FROM invitations WHERE org_id = $1";
    let org = api.org.as_str().to_string();
    let (id,): (String,) =
        shortlist_store::on_db!(&app.app.db, p => sqlx::query_as(sql).bind(&org).fetch_one(p).await).unwrap();
    InvitationId::parse(&id).unwrap()
}

/// E-mails to `rcpt` once every job due has run: a second one would be there by then.
pub async fn settled_mails(app: &TestApp, rcpt: &str) -> Vec<String> {
    app.jobs_settled().await;
    mails_to(rcpt, usize::MAX, Duration::from_millis(300))
        .await
        .iter()
        .map(|m| decode_qp(m))
        .collect()
}

/// The admin e-mails containing `words`, waiting until there is at least one.
pub async fn admin_mails(app: &TestApp, api: &Api, words: &str) -> Vec<String> {
    let found = eventually(WAIT, || async {
        let all = mails_to(&api.email, usize::MAX, Duration::ZERO).await;
        all.iter().any(|m| decode_qp(m).contains(words)).then_some(())
    })
    .await;
    assert!(found.is_some(), "no e-mail to the admin saying {words:?}");
    let all = settled_mails(app, &api.email).await;
    all.into_iter().filter(|m| m.contains(words)).collect()
}

/// The candidate takes the interview from the link in their e-mail: consent, one answer, done.
pub async fn take_interview(app: &TestApp, email: &str) {
    crate::api_common::complete_text_interview(app, email, "Clear words.").await;
}

/// Waits until no job runs and no write-back is queued, retries included, except one waiting
/// for the next UTC day's budget.
pub async fn writebacks_settled(app: &TestApp) {
    let db = &app.app.db;
    let done = eventually(WAIT, || async {
        let now = chrono::Utc::now();
        let tomorrow = |t: chrono::DateTime<chrono::Utc>| t > now && t.time() == chrono::NaiveTime::MIN;
        let queued = shortlist_store::jobs::list_by_state(db, "queued", 1000).await.unwrap();
        let running = shortlist_store::jobs::list_by_state(db, "running", 1000).await.unwrap();
        let pending = queued.iter().any(|j| j.kind == WRITEBACK_KIND && !tomorrow(j.run_at));
        (running.is_empty() && !pending).then_some(())
    })
    .await;
    assert!(done.is_some(), "write-backs did not settle");
}

/// The connector's row on Settings → Integrations as `api` sees it: (state, last event, last
/// write-back, parked), tags stripped.
pub async fn integrations_row(app: &TestApp, api: &Api, label: &str) -> [String; 4] {
    let page = api
        .c
        .get(app.url("/settings/integrations"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let head = format!("<th scope=\"row\">{label}</th>");
    let at = page.find(&head).unwrap_or_else(|| panic!("no {label} row: {page}"));
    let row = &page[at..];
    let row = &row[..row.find("</tr>").unwrap()];
    let cells: Vec<String> = row.split("<td>").skip(1).map(text_of).collect();
    [0, 1, 2, 3].map(|i| cells[i].clone())
}

fn text_of(html: &str) -> String {
    let html = html.split("</td>").next().unwrap_or_default();
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// `secret` with its last character changed: the connection's identity, a wrong secret.
pub fn tampered(secret: &str) -> String {
    let last = secret.chars().last().unwrap();
    format!("{}{}", &secret[..secret.len() - 1], if last == 'A' { 'B' } else { 'A' })
}

/// The words of a JSON error answer `{"<message_key>": …, "errors": [{"field", "message"}]}`
/// (Greenhouse's "message", Workable's "error"); None when the body is not that shape.
pub fn json_error_words(body: &str, message_key: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let mut words = v[message_key].as_str()?.to_string();
    for e in v["errors"].as_array()? {
        words.push_str(&format!("; {}: {}", e["field"].as_str()?, e["message"].as_str()?));
    }
    Some(words)
}
