#![allow(clippy::unwrap_used, clippy::expect_used)]
//! An invitation e-mail the candidate's mail server refuses: the SMTP sink answers RCPT TO
//! `bounce-…` with `550 5.1.1 mailbox unavailable`, as a real server does for an unknown
//! mailbox. The invitation shows the failure, the recruiter who invited hears about it by
//! e-mail, and the refusal is final (the e-mail job is not tried again).

mod api_common;
mod common;
mod notify_support;

use api_common::{decode_qp, header, sign_in, unique};
use common::{TestApp, mails_to};
use notify_support::{WAIT, position};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_invitation_is_marked_failed_and_the_inviter_is_told() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = position(&api, "Night Nurse").await;
    let to = format!("bounce-{}@example.com", unique());
    let (s, r) = api.invite(&pos, json!({ "email": to, "name": "Bo Unce" })).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["invitation"]["id"].as_str().unwrap().to_string();

    let failed = api_common::wait_state(&api, &id, "failed").await;
    assert_eq!(failed["delivery"], "failed", "{failed}");
    let error = failed["delivery_error"].as_str().expect("a delivery error");
    assert!(
        error.contains("550") && error.contains("mailbox unavailable"),
        "{error}"
    );
    let history: Vec<&str> = failed["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(history.contains(&"email_failed"), "{history:?}");

    // The inviter's notice, at the sink.
    let got = mails_to(&api.email, 1, WAIT).await;
    assert_eq!(got.len(), 1, "one notice to the inviter");
    let notice = &got[0];
    assert_eq!(
        header(notice, "Subject").unwrap(),
        format!("The invitation e-mail to {to} could not be delivered")
    );
    assert!(header(notice, "List-Unsubscribe").is_some(), "{notice}");
    let body = decode_qp(notice);
    for part in [
        "The invitation e-mail for Night Nurse to Bo Unce".to_string(),
        format!("<{to}>"),
        "mailbox unavailable".to_string(),
        format!("{}/invitations/{id}", app.base),
    ] {
        assert!(body.contains(&part), "{part:?} in {body}");
    }
    // Nothing reached the refused address.
    assert!(mails_to(&to, 1, Duration::from_millis(200)).await.is_empty());

    // A 5xx at RCPT is final: the e-mail job is dead after one attempt, not queued again, and
    // the history records the failure once.
    app.jobs_settled().await;
    let db = &app.app.db;
    // (The before-expiry reminders are queued for later under the same kind; this is the first
    // e-mail's job.)
    let first = |j: &&shortlist_store::jobs::JobRow| j.unique_key.as_deref() == Some(&format!("{id}/invitation"));
    let queued = shortlist_store::jobs::list_by_state(db, "queued", 1000).await.unwrap();
    assert!(!queued.iter().any(|j| first(&j)), "the refused e-mail is queued again");
    let dead = shortlist_store::jobs::list_by_state(db, "dead", 1000).await.unwrap();
    let job = dead
        .iter()
        .find(first)
        .expect("the e-mail job ended as failed for good");
    assert_eq!(job.attempts, 1);
    let again = api.invitation(&id).await;
    let failures = again["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "email_failed")
        .count();
    assert_eq!(failures, 1, "{again}");
    assert_eq!(mails_to(&api.email, 2, Duration::from_millis(500)).await.len(), 1);
    app.stop().await;
}
