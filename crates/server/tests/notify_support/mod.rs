//! Helpers for the notification tests: recruiters who set their preferences through the real
//! form, candidates who complete a one-question text interview over HTTP, a clock set to exact
//! instants, and the e-mails the SMTP sink received.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::{Api, candidate_email, decode_qp, header, unique};
use crate::common::{TestApp, client, mails_to};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_app::clock::{Clock, OffsetClock};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(30);

/// Moves the test clock to `at` (an RFC 3339 instant); real time keeps running from there.
pub fn set_clock(clock: &OffsetClock, at: &str) {
    let target: DateTime<Utc> = at.parse().unwrap();
    clock.advance(target - clock.now());
}

/// Waits until every job due by the test clock has run (the digest scan always has a successor
/// queued for the next minute, which is not due yet).
pub async fn settled(app: &TestApp, _clock: &OffsetClock) {
    app.jobs_settled().await;
}

pub fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// Saves the signed-in user's notification preferences through /settings/notifications.
pub async fn save_prefs(app: &TestApp, api: &Api, fields: &[(&str, &str)]) {
    let page = api.c.get(app.url("/settings/notifications")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csrf = csrf_in(&page.text().await.unwrap());
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = api
        .c
        .post(app.url("/settings/notifications"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

/// A position with a one-question text interview.
pub async fn position(api: &Api, title: &str) -> String {
    let spec = json!({
        "name": "Short",
        "questions": [{ "id": "q1", "kind": "text", "prompt": "Why this job?" }]
    });
    let tpl = api.template(&format!("n-{}", unique()), spec).await;
    api.position(title, &[&tpl]).await
}

/// Invites `name` and completes the interview as the candidate would. Returns the invitation id.
pub async fn complete(app: &TestApp, api: &Api, position: &str, name: &str) -> String {
    let (s, r) = api
        .invite(position, json!({ "email": candidate_email("cand"), "name": name }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let url = r["invitation"]["candidate_url"].as_str().unwrap();
    let path = format!("/i/{}", url.rsplit_once("/i/").unwrap().1);
    let c = client();
    for (step, form) in [
        ("consent", vec![("consent", "yes")]),
        ("q/q1", vec![("text", "Because.")]),
        ("complete", vec![]),
    ] {
        let r = c
            .post(app.url(&format!("{path}/{step}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step}: {}", r.text().await.unwrap());
    }
    r["invitation"]["id"].as_str().unwrap().to_string()
}

/// The decoded messages to `rcpt` once there are exactly `n` (and no more after a moment).
pub async fn mails(rcpt: &str, n: usize) -> Vec<String> {
    let got = mails_to(rcpt, n, WAIT).await;
    assert!(got.len() >= n, "expected {n} messages to {rcpt}, got {}", got.len());
    let mut got: Vec<String> = got.iter().map(|m| decode_qp(m)).collect();
    got.sort_by_key(|m| subject(m));
    got
}

pub fn subject(eml: &str) -> String {
    header(eml, "Subject").unwrap_or_default()
}

pub fn subjects(mails: &[String]) -> Vec<String> {
    let mut s: Vec<String> = mails.iter().map(|m| subject(m)).collect();
    s.sort();
    s
}
