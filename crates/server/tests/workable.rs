//! Workable end to end against its simulator (a real HTTP server playing Workable's side):
//! the simulator lists our tests and orders one, the candidate gets the e-mail at the SMTP sink
//! and completes the interview over HTTP, we PUT `pending` then `completed` to the order's
//! callback (through an injected 500), and the simulator shows the result with the interview URL.
//! Plus refusals: a wrong token, a missing e-mail, another organisation's account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{Api, sign_in};
use common::{TestApp, client, eventually};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;
use sim::workable::{SimConfig, SimHandle, Simulator};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(40);
const TEST: &str = "wk-text";
const WORKABLE_TOKEN: &str = "workable-generated-token-123";

async fn connected() -> (TestApp, Api, String, String) {
    let app = TestApp::spawn_with(&[
        "--job-retry-base-secs",
        "0.2",
        "--outbound-allow-private",
        "127.0.0.0/8",
    ])
    .await;
    let api = sign_in(&app, Role::Admin).await;
    let spec = json!({"name": "Workable writing", "questions": [{"id": "q1", "kind": "text", "prompt": "?"}]});
    api.template(TEST, spec).await;
    let observer = api_common::user_id(&app, &api).await;
    let (conn, token) = app
        .app
        .workable
        .connect(&api.org, &observer, WORKABLE_TOKEN, Some("acme".into()), None)
        .await
        .unwrap();
    let base = app.url(&format!("/connectors/workable/{}", conn.inbound_user.unwrap()));
    (app, api, base, token)
}

async fn sim(base: &str, token: &str) -> SimHandle {
    let cfg = SimConfig {
        partner_base: base.to_string(),
        partner_token: token.to_string(),
        workable_token: WORKABLE_TOKEN.to_string(),
    };
    Simulator::start("127.0.0.1:0", cfg).await.unwrap()
}

#[tokio::test]
async fn an_assessment_ordered_in_workable_comes_back_completed_with_url_and_score() {
    let (app, api, base, token) = connected().await;
    let wk = sim(&base, &token).await;
    let tests = wk.list_tests().await;
    assert_eq!(tests.status, 200, "{tests:?}");
    let job = wk.add_job("Support Engineer");
    let email = api_common::candidate_email("ada");
    let cand = wk.add_candidate("Ada", "Lovelace", Some(&email));
    let sent = wk.send_assessment(cand, job, TEST).await;
    assert!(sent.status == 200 || sent.status == 201, "{sent:?}");
    let id = sent.id.clone().unwrap();
    let order = sent.order.unwrap();
    let again = wk.replay(order).await;
    assert_eq!(again.id.as_deref(), Some(id.as_str()), "{again:?}");
    assert_eq!(api_common::invitation_count(&app, &api).await, 1);

    wk.fail_next_callbacks(1, 500);
    api_common::complete_text_interview(&app, &email, "Clear words.").await;
    let shown = eventually(WAIT, || async { wk.order(order).and_then(|o| o.result) }).await;
    let shown = shown.unwrap_or_else(|| panic!("no result: {:?}", wk.order(order)));
    assert!(
        shown.results_url.starts_with(&app.url(&format!("/interviews/{id}/"))),
        "{}",
        shown.results_url
    );

    let (status, body) = api
        .post(
            &format!("/invitations/{id}/evaluations"),
            json!({ "ratings": [{ "question_id": "q1", "rating": 4 }] }),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let scored = eventually(WAIT, || async {
        wk.order(order).and_then(|o| o.result).filter(|r| r.score.is_some())
    })
    .await;
    assert_eq!(scored.unwrap().score.as_deref(), Some("4.00"));
}

#[tokio::test]
async fn wrong_tokens_missing_emails_and_other_accounts_are_refused() {
    let (app, api, base, token) = connected().await;
    let stranger = sim(&base, "wkt_0123456789abcdef_not-a-real-token").await;
    assert_eq!(stranger.list_tests().await.status, 401);
    let wk = sim(&base, &token).await;
    let job = wk.add_job("Support");
    let nobody = wk.add_candidate("No", "Mail", None);
    let sent = wk.send_assessment(nobody, job, TEST).await;
    assert_eq!(sent.status, 422, "{sent:?}");
    assert!(sent.body.contains("candidate.email"), "{}", sent.body);
    assert_eq!(api_common::invitation_count(&app, &api).await, 0);
    // Our token under another account's base URL is refused.
    let r = client()
        .get(format!(
            "{}/tests",
            base.rsplit_once('/').unwrap().0.to_string() + "/0123456789abcdef"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
