//! Reminders, expiry, cancel and extend through /api/v1 with a clock the test moves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{candidate_email, header, link_in, sign_in, wait_state};
use chrono::TimeDelta;
use common::{TestApp, client, mails_to};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_app::clock::{Clock, OffsetClock};
use shortlist_domain::Role;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn subject(eml: &str) -> String {
    header(eml, "Subject").unwrap_or_default()
}

/// Subjects of the messages to `rcpt`, once there are `n` of them.
async fn subjects(rcpt: &str, n: usize) -> Vec<String> {
    let mails = mails_to(rcpt, n, WAIT).await;
    assert_eq!(mails.len(), n, "messages to {rcpt}");
    mails.iter().map(|m| subject(m)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_come_on_schedule_stop_when_cancelled_and_links_expire() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Night shift").await;
    let (ada, bob) = (candidate_email("remind"), candidate_email("cancelled"));
    let (s, a) = api.invite(&pos, json!({ "email": ada, "expires_in_days": 3 })).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (_, b) = api.invite(&pos, json!({ "email": bob, "expires_in_days": 3 })).await;
    let (a_id, b_id) = (
        a["invitation"]["id"].as_str().unwrap(),
        b["invitation"]["id"].as_str().unwrap(),
    );
    let link = link_in(&mails_to(&ada, 1, WAIT).await[0], &app.base).unwrap();
    assert_eq!(mails_to(&bob, 1, WAIT).await.len(), 1);
    wait_state(&api, a_id, "sent").await;
    wait_state(&api, b_id, "sent").await;
    let (s, c) = api.post(&format!("/invitations/{b_id}/cancel"), json!({})).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("cancelled")));

    // 48 hours before the deadline: the first reminder, to Ada only.
    clock.advance(TimeDelta::hours(25));
    let got = subjects(&ada, 2).await;
    assert!(got.iter().filter(|s| s.starts_with("Reminder")).count() == 1, "{got:?}");
    app.jobs_settled().await;
    assert_eq!(
        mails_to(&bob, 0, Duration::ZERO).await.len(),
        1,
        "no reminder after cancel"
    );

    // 24 hours before: the second.
    clock.advance(TimeDelta::hours(24));
    let got = subjects(&ada, 3).await;
    assert!(got.iter().filter(|s| s.starts_with("Reminder")).count() == 2, "{got:?}");
    assert!(
        mails_to(&ada, 3, WAIT)
            .await
            .iter()
            .all(|m| link_in(m, &app.base).as_deref() == Some(link.as_str()))
    );

    // Past the deadline: expired, and the link says so.
    clock.advance(TimeDelta::hours(24));
    let v = wait_state(&api, a_id, "expired").await;
    assert!(v["history"].as_array().unwrap().iter().any(|e| e["kind"] == "expired"));
    let page = client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("This interview link has expired"));
    let b_link = b["invitation"]["candidate_url"].as_str().unwrap();
    let page = client().get(b_link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("cancelled"));
    app.jobs_settled().await;
    assert_eq!(
        mails_to(&ada, 0, Duration::ZERO).await.len(),
        3,
        "no reminder after expiry"
    );
    assert_eq!(mails_to(&bob, 0, Duration::ZERO).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extending_an_expired_invitation_makes_its_link_work_again() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Harbour pilot").await;
    let to = candidate_email("extend");
    let (_, r) = api.invite(&pos, json!({ "email": to, "expires_in_days": 1 })).await;
    let id = r["invitation"]["id"].as_str().unwrap();
    let link = link_in(&mails_to(&to, 1, WAIT).await[0], &app.base).unwrap();
    wait_state(&api, id, "sent").await;

    clock.advance(TimeDelta::hours(25));
    wait_state(&api, id, "expired").await;
    assert_eq!(client().get(&link).send().await.unwrap().status(), StatusCode::GONE);

    let (s, p) = api.post(&format!("/invitations/{id}/extend"), json!({})).await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_at"))
    );
    let past = (clock.now() - TimeDelta::hours(1)).to_rfc3339();
    let (s, _) = api
        .post(&format!("/invitations/{id}/extend"), json!({ "expires_at": past }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = api
        .post(&format!("/invitations/{id}/extend"), json!({ "days": 2 }))
        .await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("sent")), "{v}");

    let page = client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Harbour pilot"));
    let v = wait_state(&api, id, "opened").await;
    let kinds: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "email_sent", "expired", "extended", "opened"]);

    let until = (clock.now() + TimeDelta::days(5)).to_rfc3339();
    let (s, v) = api
        .post(&format!("/invitations/{id}/extend"), json!({ "expires_at": until }))
        .await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("opened")), "{v}");
    let (s, v) = api.post(&format!("/invitations/{id}/cancel"), json!({})).await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("cancelled")));
    let (s, p) = api
        .post(&format!("/invitations/{id}/extend"), json!({ "days": 2 }))
        .await;
    assert_eq!((s, p["code"].as_str()), (StatusCode::CONFLICT, Some("not_extendable")));
}
