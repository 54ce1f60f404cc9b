//! The connector conformance suite: one list of cases every registered connector must pass,
//! each run against the connector's simulator (a real HTTP server playing the ATS) through a
//! small [`Driver`]. A new connector implements `Driver` in `conformance_support/` and adds one
//! line to `conformance!` at the end of this file; it is then held to every case.
//!
//! Cases (issue 14): bad credentials refused, duplicate, missing e-mail, replay, unknown tenant,
//! write-back after two 503s ends with one result, 4xx parked and shown, budget respected,
//! cross-organisation isolation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod conformance_support;

use api_common::{Api, candidate_email, sign_in};
use common::{TestApp, eventually, mails_to};
use conformance_support::{
    Driver, WAIT, admin_mails, app, integrations_row, invitation_id, invitations, settled_mails, take_interview,
    writebacks_settled,
};
use serde_json::json;
use shortlist_app::connectors::{Dedup, writeback};
use shortlist_domain::Role;

async fn connected<D: Driver>(budget: Option<i64>) -> (TestApp, Api, D) {
    let app = app().await;
    let api = sign_in(&app, Role::Admin).await;
    let d = D::connect(&app, &api, budget).await;
    (app, api, d)
}

/// Asserts an error answer is `status` in the ATS's own format, and returns its words.
fn refused<D: Driver>(a: &conformance_support::Answer, status: u16) -> String {
    assert_eq!(a.status, status, "{a:?}");
    D::error_words(&a.body).unwrap_or_else(|| panic!("not {}'s error format: {}", D::LABEL, a.body))
}

/// Asserts an order was placed (and the candidate will be e-mailed): 200, or 201 where the ATS
/// is told a resource was created (Workable).
fn placed(o: &conformance_support::Ordered) {
    assert!(matches!(o.answer.status, 200 | 201), "{o:?}");
}

/// The ATS's call with a wrong secret is refused (401) in its own format; nothing is created.
async fn bad_credentials<D: Driver>() {
    let (app, api, d) = connected::<D>(None).await;
    let a = d.order_with_wrong_secret(&app).await;
    let words = refused::<D>(&a, 401);
    assert!(!words.is_empty(), "{a:?}");
    assert_eq!(invitations(&app, &api).await, 0);
}

/// A second order for the same candidate and package while the first is open follows the
/// connector's dedup policy; either way one invitation and one e-mail.
async fn duplicate<D: Driver>() {
    let (app, api, d) = connected::<D>(None).await;
    let email = candidate_email("dup");
    let first = d.order("Dupont", Some(&email)).await;
    placed(&first);
    let again = d.order_again(&first).await;
    // `Replay` and `Reuse` both answer a second order with the first one's invitation.
    if D::DEDUP == Dedup::Reject {
        // Readable for the recruiter: who was invited and when, and which invitation it is.
        let words = refused::<D>(&again, D::DUPLICATE);
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert!(words.contains("Dupont") && words.contains(&today), "{words}");
        let earlier = invitation_id(&app, &api).await;
        assert!(
            again.body.contains(earlier.as_str()),
            "names the earlier invitation: {again:?}"
        );
    } else {
        assert_eq!(again.status, 200, "{again:?}");
        assert_eq!(again.id, first.answer.id, "the same invitation answers");
    }
    assert_eq!(invitations(&app, &api).await, 1);
    assert_eq!(settled_mails(&app, &email).await.len(), 1, "one e-mail");
}

/// No e-mail address: refused with the field named in the ATS's words; nothing is created.
async fn missing_email<D: Driver>() {
    let (app, api, d) = connected::<D>(None).await;
    let o = d.order("Nomail", None).await;
    let words = refused::<D>(&o.answer, D::INVALID);
    assert!(words.contains(D::EMAIL_FIELD), "{words}");
    assert_eq!(invitations(&app, &api).await, 0);
}

/// The very same call again: one invitation, one e-mail.
async fn replay<D: Driver>() {
    let (app, api, d) = connected::<D>(None).await;
    let email = candidate_email("replay");
    let first = d.order("Replay", Some(&email)).await;
    placed(&first);
    let again = d.replay(&first).await;
    if D::DEDUP == Dedup::Reject {
        refused::<D>(&again, D::DUPLICATE);
    } else {
        assert_eq!(again.status, 200, "{again:?}");
        assert_eq!(again.id, first.answer.id);
    }
    assert_eq!(invitations(&app, &api).await, 1);
    assert_eq!(settled_mails(&app, &email).await.len(), 1, "one e-mail");
}

/// A tenant nobody connected gets the same 401 as wrong credentials: which tenants are
/// connected stays unknown.
async fn unknown_tenant<D: Driver>() {
    let (app, api, d) = connected::<D>(None).await;
    let wrong = refused::<D>(&d.order_with_wrong_secret(&app).await, 401);
    let unknown = refused::<D>(&d.order_as_unknown_tenant(&app).await, 401);
    assert_eq!(unknown, wrong);
    assert_eq!(invitations(&app, &api).await, 0);
}

/// Two 503s on the ATS side, then the candidate completes: the ATS ends with exactly one
/// result, complete, with our interview URL.
async fn writeback_after_two_503s<D: Driver>() {
    let (app, api, d) = connected::<D>(None).await;
    let email = candidate_email("retry");
    let o = d.order("Retry", Some(&email)).await;
    placed(&o);
    mails_to(&email, 1, WAIT).await;
    writebacks_settled(&app).await;
    let before = d.write_requests();
    d.fail_next_writes(2, 503);
    take_interview(&app, &email).await;
    let done = eventually(WAIT, || async { d.results(&o).into_iter().find(|r| r.complete) }).await;
    assert!(done.is_some(), "no complete result: {:?}", d.results(&o));
    writebacks_settled(&app).await;
    let shown = d.results(&o);
    assert_eq!(shown.len(), 1, "exactly one result: {shown:?}");
    let inv = invitation_id(&app, &api).await;
    let url = shown[0].url.clone().unwrap_or_default();
    assert!(
        url.starts_with(&app.url(&format!("/interviews/{}/", inv.as_str()))),
        "{url}"
    );
    assert!(
        d.write_requests() >= before + 3,
        "two refused, then at least one that worked"
    );
}

/// The ATS refuses a write on the merits: parked with its words, the admin told once, shown on
/// Settings → Integrations; once the cause is gone, a retry delivers it.
async fn refusal_parked_and_shown<D: Driver>() {
    let (app, api, d) = connected::<D>(None).await;
    d.refuse_writes(true);
    let email = candidate_email("parked");
    let o = d.order("Parked", Some(&email)).await;
    placed(&o);
    if !D::WRITES_ON_SEND {
        take_interview(&app, &email).await;
    }
    let db = &app.app.db;
    let parked = eventually(WAIT, || async {
        let rows = shortlist_store::ats_writeback::parked(db, Some(&api.org))
            .await
            .unwrap();
        (!rows.is_empty()).then_some(rows)
    })
    .await
    .expect("the write-back was parked");
    assert_eq!(parked.len(), 1);
    assert!(parked[0].parked_at.is_some());
    let why = parked[0].parked_error.clone().unwrap_or_default();
    assert!(why.contains(D::REFUSAL), "{why}");
    assert!(d.results(&o).is_empty(), "nothing shown in the ATS");

    let told = admin_mails(&app, &api, "refused a write-back").await;
    assert_eq!(told.len(), 1, "one e-mail to the admin");
    assert!(told[0].contains(D::REFUSAL), "{}", told[0]);
    let row = integrations_row(&app, &api, D::LABEL).await;
    assert_eq!(row[3], "1", "one parked on Settings → Integrations: {row:?}");

    d.refuse_writes(false);
    let inv = invitation_id(&app, &api).await;
    d.retry(&app, &api, &inv).await;
    let shown = eventually(WAIT, || async { Some(d.results(&o)).filter(|r| !r.is_empty()) }).await;
    assert_eq!(shown.map(|r| r.len()), Some(1), "the retry delivered it");
    writebacks_settled(&app).await;
    assert!(
        shortlist_store::ats_writeback::parked(db, Some(&api.org))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(integrations_row(&app, &api, D::LABEL).await[3], "0");
}

/// A budget of five requests a day: writes go out until it is spent, the next one waits for the
/// next UTC midnight, the ATS gets no more than five requests, and the admins are warned once,
/// at the fourth (80 %).
async fn budget_respected<D: Driver>() {
    const BUDGET: i64 = 5;
    let (app, api, d) = connected::<D>(Some(BUDGET)).await;
    let email = candidate_email("budget");
    let o = d.order("Budget", Some(&email)).await;
    placed(&o);
    mails_to(&email, 1, WAIT).await;
    writebacks_settled(&app).await;
    take_interview(&app, &email).await;
    writebacks_settled(&app).await;
    // Each reviewer's rating changes the score, which every connector writes: rate until a
    // write-back has to wait for tomorrow.
    let inv = invitation_id(&app, &api).await;
    let db = &app.app.db;
    for round in 0.. {
        let queued = shortlist_store::jobs::list_by_state(db, "queued", 1000).await.unwrap();
        // The start of a later UTC day (robust when the test runs around midnight).
        let at_midnight =
            |t: chrono::DateTime<chrono::Utc>| t > chrono::Utc::now() && t.time() == chrono::NaiveTime::MIN;
        if queued
            .iter()
            .any(|j| j.kind == writeback::WRITEBACK_KIND && at_midnight(j.run_at))
        {
            break;
        }
        assert!(round < 2 * BUDGET, "no write-back ever waited for the next day");
        let rating = 1 + round % 5;
        let (s, body) = api
            .post(
                &format!("/invitations/{}/evaluations", inv.as_str()),
                json!({ "ratings": [{ "question_id": "q1", "rating": rating }] }),
            )
            .await;
        assert!(s.is_success(), "{s} {body}");
        writebacks_settled(&app).await;
    }
    assert_eq!(
        d.write_requests() as i64,
        BUDGET,
        "every request the budget allows, no more"
    );
    let warned = admin_mails(&app, &api, "daily API calls").await;
    assert_eq!(warned.len(), 1, "warned once");
    assert!(warned[0].contains("4 of 5"), "at 80 %: {}", warned[0]);
}

/// Two organisations, each connected: one's credentials cannot see or order into the other's
/// data, and each one's Integrations page shows only its own state.
async fn isolation<D: Driver>() {
    let app = app().await;
    let (a_api, b_api) = (sign_in(&app, Role::Admin).await, sign_in(&app, Role::Admin).await);
    assert_ne!(a_api.org, b_api.org);
    let a = D::connect(&app, &a_api, None).await;
    let b = D::connect(&app, &b_api, None).await;
    let email = candidate_email("isolated");
    let theirs = a.order("Isolated", Some(&email)).await;
    placed(&theirs);
    let t = b.trespass(&app, &a, &theirs).await;
    refused::<D>(&t, D::FOREIGN);
    assert_eq!(invitations(&app, &a_api).await, 1);
    assert_eq!(invitations(&app, &b_api).await, 0);

    let a_row = integrations_row(&app, &a_api, D::LABEL).await;
    let b_row = integrations_row(&app, &b_api, D::LABEL).await;
    assert!(a_row[0].starts_with("Connected") && b_row[0].starts_with("Connected"));
    assert_ne!(a_row[1], "—", "A's last event shows on A's page: {a_row:?}");
    assert_eq!(b_row[1], "—", "B's page shows nothing of A's: {b_row:?}");
    assert_eq!(settled_mails(&app, &email).await.len(), 1);
}

/// One module per connector, each running every case above.
macro_rules! conformance {
    ($($module:ident => $driver:ty),* $(,)?) => {$(
        mod $module {
            type D = $driver;
            #[tokio::test]
            async fn bad_credentials() { super::bad_credentials::<D>().await }
            #[tokio::test]
            async fn duplicate() { super::duplicate::<D>().await }
            #[tokio::test]
            async fn missing_email() { super::missing_email::<D>().await }
            #[tokio::test]
            async fn replay() { super::replay::<D>().await }
            #[tokio::test]
            async fn unknown_tenant() { super::unknown_tenant::<D>().await }
            #[tokio::test]
            async fn writeback_after_two_503s() { super::writeback_after_two_503s::<D>().await }
            #[tokio::test]
            async fn refusal_parked_and_shown() { super::refusal_parked_and_shown::<D>().await }
            #[tokio::test]
            async fn budget_respected() { super::budget_respected::<D>().await }
            #[tokio::test]
            async fn isolation() { super::isolation::<D>().await }
        }
    )*};
}

conformance! {
    icims => crate::conformance_support::icims::Icims,
    greenhouse => crate::conformance_support::greenhouse::Greenhouse,
    workable => crate::conformance_support::workable::Workable,
}
