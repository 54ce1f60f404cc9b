//! Outbound webhooks over real HTTP: a receiver on 127.0.0.1 verifies every request with the
//! reference Standard Webhooks library. Subscriptions, signed invitation events with their
//! metadata, secret rotation, the retry schedule (driven by the test clock), 410 Gone, manual
//! redelivery, the SSRF guard, and who may see which endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod webhooks_support;

use api_common::sign_in;
use chrono::TimeDelta;
use common::{TestApp, eventually};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shortlist_domain::Role;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use webhooks_support::{ALLOW_LOCAL, Receiver, WAIT, invite, position, settled, subscribe, take_interview};

#[tokio::test]
async fn invitation_events_arrive_signed_with_their_metadata_also_across_a_rotation() {
    let app = TestApp::spawn_with(&ALLOW_LOCAL).await;
    let admin = sign_in(&app, Role::Admin).await;
    let r = Receiver::start().await;
    let events = [
        "invitation.sent",
        "invitation.opened",
        "invitation.started",
        "invitation.completed",
    ];
    let mut subscribed = events.to_vec();
    subscribed.push("evaluation.submitted");
    let (hook, secret) = subscribe(&admin, &r, &subscribed).await;
    r.secrets(&[&secret]);
    let pos = position(&admin).await;
    let metadata = json!({
        "candidateId": "C-1042",
        "applicationId": "APP-77",
        "user_email": "recruiter@ats.example.com",
        "requisition": "R 2026/11 – Zürich",
    });
    let (inv, path) = invite(&admin, &pos, metadata.clone()).await;
    take_interview(&app, &path).await;

    let got = r.wait_for(&events).await;
    for g in &got {
        assert_eq!(g.verified, vec![true], "{} verifies with the secret", g.kind());
        assert!(g.msg_id.starts_with("msg_"), "{}", g.msg_id);
        let data = &g.body["data"];
        assert_eq!(data["invitation"]["id"], json!(inv));
        assert_eq!(data["invitation"]["metadata"], metadata, "metadata exactly as stored");
        assert!(data["event_id"].as_str().unwrap().starts_with("evt_"));
        let result = data["links"]["result_url"].as_str().unwrap();
        assert!(result.starts_with(&app.url(&format!("/interviews/{inv}/"))), "{result}");
        assert!(g.body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let completed = got.iter().find(|g| g.kind() == "invitation.completed").unwrap();
    assert_eq!(completed.body["data"]["invitation"]["state"], "completed");
    assert!(completed.body["data"]["invitation"]["completed_at"].is_string());
    let ids: HashSet<&str> = got.iter().map(|g| g.msg_id.as_str()).collect();
    assert_eq!(ids.len(), got.len(), "one webhook-id per event");

    // A reviewer's evaluation carries who it was and the average so far.
    let rating = json!({ "ratings": [{ "question_id": "q1", "rating": 4 }], "comment": "Clear" });
    let (s, v) = admin.post(&format!("/invitations/{inv}/evaluations"), rating).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = r.wait_for(&["evaluation.submitted"]).await;
    let evaluated = got.iter().find(|g| g.kind() == "evaluation.submitted").unwrap();
    let evaluation = &evaluated.body["data"]["evaluation"];
    assert_eq!(
        evaluation["reviewer"]["email"].as_str(),
        Some(admin.email.as_str()),
        "{evaluation}"
    );
    assert_eq!(evaluation["average_score"].as_f64(), Some(4.0), "{evaluation}");
    assert_eq!(evaluated.body["data"]["invitation"]["metadata"], metadata);

    // The secret is never shown again.
    let (s, v) = admin.get(&format!("/webhooks/{hook}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(v.get("secret").is_none() && !v.to_string().contains(&secret), "{v}");

    // A manual redelivery sends the same webhook-id and body again.
    let (_, log) = admin.get(&format!("/webhooks/{hook}/deliveries")).await;
    let delivery = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event_type"] == "invitation.completed")
        .unwrap();
    assert_eq!(delivery["webhook_id"].as_str(), Some(completed.msg_id.as_str()));
    assert_eq!(delivery["state"], "succeeded");
    let (s, v) = admin
        .post(
            &format!(
                "/webhooks/{hook}/deliveries/{}/redeliver",
                delivery["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let again = eventually(WAIT, || async {
        let n = r.got().iter().filter(|g| g.msg_id == completed.msg_id).count();
        (n == 2).then_some(())
    })
    .await;
    assert!(again.is_some(), "the redelivery arrived with the same webhook-id");
    let copies: Vec<_> = r.got().into_iter().filter(|g| g.msg_id == completed.msg_id).collect();
    assert_eq!(copies[0].body, copies[1].body);

    // After a rotation both secrets sign for a while: the receiver may verify with either.
    let (s, rotated) = admin.post(&format!("/webhooks/{hook}/rotate-secret"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert!(rotated["previous_secret_expires_at"].is_string());
    r.secrets(&[&secret, &new_secret]);
    let (s, v) = admin.post(&format!("/webhooks/{hook}/test"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let got = r.wait_for(&["webhook.test"]).await;
    let ping = got.iter().find(|g| g.kind() == "webhook.test").unwrap();
    assert_eq!(ping.verified, vec![true, true], "old and new secret both verify");
    assert_eq!(ping.signature.split(' ').count(), 2, "{}", ping.signature);
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_failing_three_times_gets_each_event_exactly_once() {
    let clock = Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&ALLOW_LOCAL, clock.clone()).await;
    let admin = sign_in(&app, Role::Admin).await;
    let r = Receiver::start().await;
    r.script(&[500, 500, 500, 503, 500, 500]);
    let (hook, secret) = subscribe(&admin, &r, &["invitation.sent", "invitation.cancelled"]).await;
    r.secrets(&[&secret]);
    let pos = position(&admin).await;
    let (inv, _) = invite(&admin, &pos, json!({ "candidateId": "C-9" })).await;
    api_common::wait_state(&admin, &inv, "sent").await;
    let (s, v) = admin.post(&format!("/invitations/{inv}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Walk the schedule: 5 s, 5 min, 30 min, 2 h … until both events got through.
    for _ in 0..12 {
        settled(&app).await;
        let got = r.got();
        let ok: HashSet<String> = got
            .iter()
            .filter(|g| g.answered < 300)
            .map(|g| g.msg_id.clone())
            .collect();
        if ok.len() == 2 {
            break;
        }
        clock.advance(TimeDelta::hours(3));
    }
    settled(&app).await;
    clock.advance(TimeDelta::days(2));
    settled(&app).await;

    let got = r.got();
    assert!(got.iter().all(|g| g.verified == vec![true]));
    let mut successes: HashMap<&str, usize> = HashMap::new();
    for g in got.iter().filter(|g| g.answered < 300) {
        *successes.entry(g.msg_id.as_str()).or_default() += 1;
    }
    assert_eq!(successes.len(), 2, "both events arrived: {got:?}");
    assert!(
        successes.values().all(|n| *n == 1),
        "one success per event: {successes:?}"
    );
    assert_eq!(got.len(), 8, "six failures and two successes: {got:?}");

    let (_, log) = admin.get(&format!("/webhooks/{hook}/deliveries")).await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{log}");
    assert_eq!(items[0]["event_type"], "invitation.cancelled", "newest first");
    let mut attempts = 0;
    for d in items {
        assert_eq!(d["state"], "succeeded", "{d}");
        assert!(d["next_attempt_at"].is_null());
        let tries = d["attempts"].as_array().unwrap();
        let statuses: Vec<i64> = tries.iter().map(|a| a["status"].as_i64().unwrap()).collect();
        assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
        assert!(statuses[..statuses.len() - 1].iter().all(|s| *s >= 500), "{statuses:?}");
        for (i, a) in tries.iter().enumerate() {
            assert_eq!(a["attempt"].as_u64(), Some(i as u64 + 1));
            assert!(a["response_ms"].is_u64());
        }
        let same: Vec<&str> = got
            .iter()
            .filter(|g| g.body["data"]["event_id"] == d["event_id"])
            .map(|g| g.msg_id.as_str())
            .collect();
        assert!(
            same.iter().all(|m| Some(*m) == d["webhook_id"].as_str()),
            "one webhook-id per event"
        );
        attempts += tries.len();
    }
    assert_eq!(attempts, 8);
    app.stop().await;
}

#[tokio::test]
async fn gone_disables_the_endpoint_and_nothing_more_is_sent() {
    let app = TestApp::spawn_with(&ALLOW_LOCAL).await;
    let admin = sign_in(&app, Role::Admin).await;
    let r = Receiver::start().await;
    r.default_answer(410);
    let (hook, _) = subscribe(&admin, &r, &["invitation.sent", "invitation.cancelled"]).await;
    let pos = position(&admin).await;
    let (inv, _) = invite(&admin, &pos, json!({})).await;
    let off = eventually(WAIT, || async {
        let (_, v) = admin.get(&format!("/webhooks/{hook}")).await;
        (v["enabled"] == false).then_some(v)
    })
    .await
    .expect("the endpoint was disabled");
    assert!(off["disabled_reason"].as_str().unwrap().contains("410"), "{off}");
    assert_eq!(r.got().len(), 1);

    let (s, _) = admin.post(&format!("/invitations/{inv}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    settled(&app).await;
    assert_eq!(r.got().len(), 1, "a disabled endpoint gets nothing");
    let (_, log) = admin.get(&format!("/webhooks/{hook}/deliveries")).await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["state"], "failed");
    assert_eq!(items[0]["attempts"][0]["status"], 410);
    let (s, v) = admin.post(&format!("/webhooks/{hook}/test"), json!({})).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("endpoint_disabled"))
    );

    // Enabled again by hand, it receives again.
    let (s, v) = admin
        .call(
            Method::PATCH,
            &format!("/webhooks/{hook}"),
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(
        (s, &v["enabled"], &v["disabled_reason"]),
        (StatusCode::OK, &json!(true), &Value::Null)
    );
    r.default_answer(200);
    let (s, _) = admin.post(&format!("/webhooks/{hook}/test"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    r.wait_for(&["webhook.test"]).await;
    app.stop().await;
}

#[tokio::test]
async fn private_addresses_are_refused_without_the_operators_allowance() {
    let app = TestApp::spawn().await;
    let admin = sign_in(&app, Role::Admin).await;
    let r = Receiver::start().await;
    for (url, why) in [
        (r.url.as_str(), "loopback"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.1.2.3/hook", "private"),
        ("https://[::ffff:192.168.0.1]/hook", "private"),
        ("https://[fd00::1]/hook", "unique-local"),
        ("https://localhost/hook", "loopback"),
    ] {
        let (s, v) = admin
            .post("/webhooks", json!({ "url": url, "events": ["invitation.sent"] }))
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("url_not_allowed")),
            "{url}: {v}"
        );
        assert!(v["detail"].as_str().unwrap().contains(why), "{url}: {v}");
    }
    let (s, v) = admin
        .post(
            "/webhooks",
            json!({ "url": "ftp://example.com/x", "events": ["invitation.sent"] }),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("url_not_allowed")),
        "{v}"
    );
    let (s, v) = admin
        .post(
            "/webhooks",
            json!({ "url": "https://93.184.216.34/x", "events": ["invitation.sent", "invitation.finished"] }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "events[1]", "{v}");
    let (_, list) = admin.get("/webhooks").await;
    assert_eq!(list["items"], json!([]), "nothing was created");
    app.stop().await;
}

#[path = "webhooks_support/owners.rs"]
mod owners;

/// A creation answer carries the signing secret once. Replaying it for the same Idempotency-Key
/// gives the same secret back, yet the kept copy in the database is sealed, not readable.
#[tokio::test]
async fn an_idempotent_replay_returns_the_secret_that_is_kept_only_sealed() {
    let app = TestApp::spawn_with(&ALLOW_LOCAL).await;
    let admin = sign_in(&app, Role::Admin).await;
    let r = Receiver::start().await;
    let body = json!({ "url": r.url, "events": ["invitation.sent"] });
    let post = || {
        admin
            .c
            .post(format!("{}/webhooks", admin.base))
            .header("Idempotency-Key", "create-hook-1")
            .json(&body)
            .send()
    };
    let first = post().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post().await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    let secret = first["secret"].as_str().unwrap();
    assert_eq!(again["secret"].as_str(), Some(secret));
    assert_eq!(again["id"], first["id"]);

    let sql = "SELECT body FROM idempotency_keys WHERE idem_key = 'create-hook-1'";
    let kept: Vec<String> =
        shortlist_store::on_db!(&app.app.db, p => sqlx::query_scalar(sql).fetch_all(p).await).unwrap();
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].contains(secret) && !kept[0].contains("whsec_"), "{}", kept[0]);
    app.stop().await;
}

/// The delivery log pages like every list: newest first, each delivery once, with its attempts.
#[tokio::test]
async fn the_delivery_log_is_walked_page_by_page() {
    let app = TestApp::spawn_with(&ALLOW_LOCAL).await;
    let admin = sign_in(&app, Role::Admin).await;
    let r = Receiver::start().await;
    let (hook, secret) = subscribe(&admin, &r, &["invitation.sent"]).await;
    r.secrets(&[&secret]);
    let pos = position(&admin).await;
    for _ in 0..3 {
        invite(&admin, &pos, json!({})).await;
    }
    r.wait_for(&["invitation.sent", "invitation.sent", "invitation.sent"])
        .await;
    settled(&app).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        assert!(page < 3, "more pages than deliveries");
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (s, v) = admin.get(&format!("/webhooks/{hook}/deliveries?limit=2{q}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for d in v["items"].as_array().unwrap() {
            assert_eq!(d["attempts"].as_array().map(Vec::len), Some(1), "{d}");
            seen.push(d["id"].as_str().unwrap().to_string());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), distinct.len()), (3, 3), "{seen:?}");
    let (s, v) = admin.get(&format!("/webhooks/{hook}/deliveries?cursor=nonsense")).await;
    assert_eq!(
        (s, v["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cursor")),
        "{v}"
    );
    app.stop().await;
}
