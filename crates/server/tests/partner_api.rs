//! The partner API over real HTTP: partner credentials acting as a named user, organisation API
//! keys and personal tokens, rotation, scopes, IP allow-list, per-partner rate limits,
//! invitation metadata and Idempotency-Key. Each refusal is checked for its status and its
//! problem code, and each success for what it left in the database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod partner_support;

use api_common::{Api, candidate_email, sign_in, unique};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use common::{TestApp, client};
use partner_support::{as_partner, call, partner, refused};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shortlist_app::credentials::Credentials;
use shortlist_domain::Role;
use std::sync::Arc;

#[tokio::test]
async fn a_partner_acts_as_a_named_user_and_every_refusal_has_its_code() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Partner-driven role").await;
    let p = partner(&app, &[&api.org], None, None).await;
    let c = client();
    let positions = format!("{}/positions", api.base);
    let h = p.header();

    // A new partner is in the sandbox and may not touch a live organisation.
    let got = call(&c, Method::GET, positions.clone(), &as_partner(&h, &api.email), None).await;
    refused(&got, StatusCode::FORBIDDEN, "partner_not_live");

    app.app
        .credentials
        .set_partner_status(&p.id, "live", "test")
        .await
        .unwrap();
    let got = call(&c, Method::GET, positions.clone(), &as_partner(&h, &api.email), None).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    assert_eq!(got.2["items"][0]["id"].as_str(), Some(pos.as_str()));

    // It acts as that user: the invitation it creates records the partner in its history.
    let to = candidate_email("via-partner");
    let url = format!("{}/positions/{pos}/invitations", api.base);
    let got = call(
        &c,
        Method::POST,
        url,
        &as_partner(&h, &api.email),
        Some(&json!({ "email": to })),
    )
    .await;
    assert_eq!(got.0, StatusCode::CREATED, "{}", got.2);
    let id = got.2["invitation"]["id"].as_str().unwrap().to_string();
    let v = api.invitation(&id).await;
    assert_eq!(v["history"][0]["actor"], json!(format!("partner:{}", p.id)));
    let me = call(
        &c,
        Method::GET,
        format!("{}/me", api.base),
        &as_partner(&h, &api.email),
        None,
    )
    .await;
    assert_eq!(me.2["email"].as_str(), Some(api.email.as_str()));

    // Failures.
    let bad_b64 = call(
        &c,
        Method::GET,
        positions.clone(),
        &as_partner("%%%not-base64", &api.email),
        None,
    )
    .await;
    refused(&bad_b64, StatusCode::UNAUTHORIZED, "malformed_credentials");
    let no_colon = STANDARD.encode("just-a-key");
    let got = call(
        &c,
        Method::GET,
        positions.clone(),
        &as_partner(&no_colon, &api.email),
        None,
    )
    .await;
    refused(&got, StatusCode::UNAUTHORIZED, "malformed_credentials");
    let wrong = STANDARD.encode(format!("{}:psk_wrong", p.key));
    let got = call(
        &c,
        Method::GET,
        positions.clone(),
        &as_partner(&wrong, &api.email),
        None,
    )
    .await;
    refused(&got, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let nobody = "nobody@nowhere.example.com";
    let got = call(&c, Method::GET, positions.clone(), &as_partner(&h, nobody), None).await;
    refused(&got, StatusCode::FORBIDDEN, "user_not_served");
    // A real user, of an organisation this partner does not serve: the same answer.
    let other = sign_in(&app, Role::Admin).await;
    let got = call(&c, Method::GET, positions.clone(), &as_partner(&h, &other.email), None).await;
    refused(&got, StatusCode::FORBIDDEN, "user_not_served");
    let only_auth = [("X-Shortlist-Partner-Authorization", h.as_str())];
    let got = call(&c, Method::GET, positions.clone(), &only_auth, None).await;
    refused(&got, StatusCode::BAD_REQUEST, "user_email_required");
    // Nothing was created for the unknown e-mail.
    let unknown = shortlist_domain::Email::parse(nobody).unwrap();
    assert!(
        shortlist_store::users::find_for_login(&app.app.db, &unknown)
            .await
            .unwrap()
            .is_none()
    );

    // Rotation: both secrets work during the window; suspension stops both.
    let new_secret = app
        .app
        .credentials
        .rotate_partner(&p.id, TimeDelta::hours(1), "test")
        .await
        .unwrap();
    let rotated = STANDARD.encode(format!("{}:{new_secret}", p.key));
    for hdr in [&h, &rotated] {
        let got = call(&c, Method::GET, positions.clone(), &as_partner(hdr, &api.email), None).await;
        assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    }
    app.app
        .credentials
        .set_partner_status(&p.id, "suspended", "test")
        .await
        .unwrap();
    let got = call(
        &c,
        Method::GET,
        positions.clone(),
        &as_partner(&rotated, &api.email),
        None,
    )
    .await;
    refused(&got, StatusCode::FORBIDDEN, "partner_suspended");
    let audit: Vec<(String, Option<String>)> = app
        .app
        .credentials
        .partner_audit(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.action, a.to_status))
        .collect();
    assert_eq!(
        audit,
        [
            ("created".to_string(), Some("sandbox".to_string())),
            ("status".into(), Some("live".into())),
            ("rotated".into(), None),
            ("status".into(), Some("suspended".into())),
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_sandbox_partner_works_in_a_sandbox_organisation() {
    let app = TestApp::spawn().await;
    let org = app
        .app
        .accounts
        .create_org(&format!("Sandbox {}", unique()), None, true)
        .await
        .unwrap()
        .org_id()
        .unwrap();
    let email = format!("sandbox-{}@test.shortlist.localhost", unique());
    app.app
        .accounts
        .create_user(&org, &email, "Sandy", Role::Recruiter, Some(api_common::PASSWORD))
        .await
        .unwrap();
    let p = partner(&app, &[&org], None, None).await;
    let got = call(
        &client(),
        Method::GET,
        app.url("/api/v1/me"),
        &as_partner(&p.header(), &email),
        None,
    )
    .await;
    assert_eq!((got.0, got.2["email"].as_str()), (StatusCode::OK, Some(email.as_str())));
    app.stop().await;
}

#[tokio::test]
async fn organisation_keys_and_personal_tokens_are_scoped_revocable_and_expire() {
    let clock = Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let admin = sign_in(&app, Role::Admin).await;
    let creds = &app.app.credentials;
    let operator = Credentials::operator(&admin.org);
    let read_only = creds
        .create_api_key(&operator, false, "ATS sync", "positions:read", None)
        .await
        .unwrap();
    let c = client();
    let bearer = |t: &str| format!("Bearer {t}");
    let b = bearer(&read_only.token);
    let auth = [("Authorization", b.as_str())];
    let got = call(&c, Method::GET, format!("{}/positions", admin.base), &auth, None).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    let body = json!({ "title": "Not allowed" });
    let got = call(
        &c,
        Method::POST,
        format!("{}/positions", admin.base),
        &auth,
        Some(&body),
    )
    .await;
    refused(&got, StatusCode::FORBIDDEN, "insufficient_scope");
    let got = call(&c, Method::GET, format!("{}/templates", admin.base), &auth, None).await;
    refused(&got, StatusCode::FORBIDDEN, "insufficient_scope");
    let listed = creds.api_keys(&operator).await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "last use is recorded");

    // Stored hashed: the token itself is nowhere in the table.
    let rows: Vec<String> = match &app.app.db {
        shortlist_store::Db::Sqlite(p) => sqlx::query_scalar("SELECT secret_hash FROM credential_secrets")
            .fetch_all(p)
            .await
            .unwrap(),
        shortlist_store::Db::Postgres(p) => sqlx::query_scalar("SELECT secret_hash FROM credential_secrets")
            .fetch_all(p)
            .await
            .unwrap(),
    };
    assert!(rows.iter().all(|h| !h.contains(&read_only.token)));

    creds.revoke_api_key(&operator, &read_only.key.id).await.unwrap();
    let got = call(&c, Method::GET, format!("{}/positions", admin.base), &auth, None).await;
    refused(&got, StatusCode::UNAUTHORIZED, "credential_revoked");
    let got = call(
        &c,
        Method::GET,
        format!("{}/positions", admin.base),
        &[("Authorization", "Bearer slk_made_up")],
        None,
    )
    .await;
    refused(&got, StatusCode::UNAUTHORIZED, "invalid_credentials");

    // A personal token acts as its owner.
    let recruiter_email = format!("pat-{}@test.shortlist.localhost", unique());
    let (uid, _) = app
        .app
        .accounts
        .create_user(
            &admin.org,
            &recruiter_email,
            "Pat",
            Role::Recruiter,
            Some(api_common::PASSWORD),
        )
        .await
        .unwrap();
    let me = shortlist_app::recruiting::Actor {
        org_id: admin.org.clone(),
        user_id: Some(uid),
        role: Role::Recruiter,
        label: "test".into(),
    };
    let pat = creds.create_api_key(&me, true, "my script", "*", None).await.unwrap();
    let pb = bearer(&pat.token);
    let got = call(
        &c,
        Method::GET,
        format!("{}/me", admin.base),
        &[("Authorization", pb.as_str())],
        None,
    )
    .await;
    assert_eq!(got.2["email"].as_str(), Some(recruiter_email.as_str()), "{}", got.2);

    // Rotation keeps the old token for the window only; an expiry ends a key.
    let expiring = creds
        .create_api_key(
            &operator,
            false,
            "short-lived",
            "*",
            Some(clock_now(&app) + TimeDelta::hours(3)),
        )
        .await
        .unwrap();
    let rotated = creds
        .rotate_api_key(&me, &pat.key.id, TimeDelta::hours(1))
        .await
        .unwrap();
    let rb = bearer(&rotated.token);
    let eb = bearer(&expiring.token);
    for t in [&pb, &rb, &eb] {
        let got = call(
            &c,
            Method::GET,
            format!("{}/me", admin.base),
            &[("Authorization", t.as_str())],
            None,
        )
        .await;
        assert_ne!(got.0, StatusCode::UNAUTHORIZED, "{}", got.2);
    }
    clock.advance(TimeDelta::hours(2));
    let got = call(
        &c,
        Method::GET,
        format!("{}/me", admin.base),
        &[("Authorization", pb.as_str())],
        None,
    )
    .await;
    refused(&got, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let got = call(
        &c,
        Method::GET,
        format!("{}/me", admin.base),
        &[("Authorization", rb.as_str())],
        None,
    )
    .await;
    assert_eq!(got.0, StatusCode::OK);
    clock.advance(TimeDelta::hours(2));
    let got = call(
        &c,
        Method::GET,
        format!("{}/positions", admin.base),
        &[("Authorization", eb.as_str())],
        None,
    )
    .await;
    refused(&got, StatusCode::UNAUTHORIZED, "credential_expired");
    app.stop().await;
}

fn clock_now(app: &TestApp) -> chrono::DateTime<chrono::Utc> {
    app.app.clock.now()
}

#[tokio::test]
async fn an_ip_allow_list_refuses_other_addresses() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let p = partner(&app, &[&api.org], None, Some("127.0.0.1/32")).await;
    app.app
        .credentials
        .set_partner_status(&p.id, "live", "test")
        .await
        .unwrap();
    let h = p.header();
    let url = format!("{}/positions", api.base);
    let got = call(&client(), Method::GET, url.clone(), &as_partner(&h, &api.email), None).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    // The whole of 127/8 is loopback: a client bound to 127.0.0.2 reaches the same server from
    // an address outside the list.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let got = call(&elsewhere, Method::GET, url, &as_partner(&h, &api.email), None).await;
    refused(&got, StatusCode::FORBIDDEN, "ip_not_allowed");
    app.stop().await;
}

#[tokio::test]
async fn one_partner_exhausting_its_rate_does_not_slow_another() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let greedy = partner(&app, &[&api.org], Some((1, 3)), None).await;
    let calm = partner(&app, &[&api.org], Some((1, 3)), None).await;
    for p in [&greedy, &calm] {
        app.app
            .credentials
            .set_partner_status(&p.id, "live", "test")
            .await
            .unwrap();
    }
    let url = format!("{}/positions", api.base);
    let c = client();
    let h = greedy.header();
    let first = call(&c, Method::GET, url.clone(), &as_partner(&h, &api.email), None).await;
    assert_eq!(first.0, StatusCode::OK);
    assert_eq!(first.1["ratelimit-limit"], "3");
    assert_eq!(first.1["ratelimit-remaining"], "2");
    // The bucket refills one request a second, so keep asking until it runs dry.
    let mut limited = None;
    for _ in 0..50 {
        let got = call(&c, Method::GET, url.clone(), &as_partner(&h, &api.email), None).await;
        if got.0 == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(got);
            break;
        }
    }
    let limited = limited.expect("the greedy partner is limited");
    refused(&limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = limited.1["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(limited.1["ratelimit-remaining"], "0");
    assert_eq!(limited.1["ratelimit-limit"], "3");

    let other = call(&c, Method::GET, url, &as_partner(&calm.header(), &api.email), None).await;
    assert_eq!(other.0, StatusCode::OK);
    assert_eq!(other.1["ratelimit-remaining"], "2");
    app.stop().await;
}

/// Invitations of the position, as the recruiter sees them.
async fn invitations(api: &Api, pos: &str) -> Vec<Value> {
    let (s, v) = api.get(&format!("/positions/{pos}/invitations")).await;
    assert_eq!(s, StatusCode::OK);
    v["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn fifty_concurrent_posts_with_one_idempotency_key_create_one_invitation() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Idempotent role").await;
    // A partner with room for 50 requests at once (keys default to a burst of 20).
    let p = partner(&app, &[&api.org], Some((100, 100)), None).await;
    app.app
        .credentials
        .set_partner_status(&p.id, "live", "test")
        .await
        .unwrap();
    let ph = p.header();
    let url = format!("{}/positions/{pos}/invitations", api.base);
    let body = json!({
        "email": candidate_email("idem"),
        "metadata": { "candidateId": "C-17", "applicationId": "A-99", "user_email": api.email }
    });
    let idem = format!("idem-{}", unique());
    let c = client();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (c, url, body, idem, ph, email) = (
            c.clone(),
            url.clone(),
            body.clone(),
            idem.clone(),
            ph.clone(),
            api.email.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let [a, b] = as_partner(&ph, &email);
            call(&c, Method::POST, url, &[a, b, ("Idempotency-Key", &idem)], Some(&body)).await
        }));
    }
    let [pa, pb] = as_partner(&ph, &api.email);
    let with_key = [pa, pb, ("Idempotency-Key", idem.as_str())];
    let mut created = Vec::new();
    for t in tasks {
        let (s, _, v) = t.await.unwrap();
        match s {
            StatusCode::CREATED => created.push(v["invitation"]["id"].as_str().unwrap().to_string()),
            StatusCode::CONFLICT => assert_eq!(v["code"], "idempotency_in_progress", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert!(!created.is_empty());
    created.dedup();
    assert_eq!(created.len(), 1, "every 201 is the same invitation");
    let all = invitations(&api, &pos).await;
    assert_eq!(all.len(), 1, "one invitation exists");
    assert_eq!(all[0]["metadata"]["candidateId"], "C-17");

    // Later, the same key and body replay the first answer; another body is refused.
    let again = call(&c, Method::POST, url.clone(), &with_key, Some(&body)).await;
    assert_eq!(again.0, StatusCode::CREATED);
    assert_eq!(again.1["idempotent-replayed"], "true");
    assert_eq!(again.2["invitation"]["id"].as_str(), Some(created[0].as_str()));
    let other = json!({ "email": candidate_email("other") });
    let got = call(&c, Method::POST, url.clone(), &with_key, Some(&other)).await;
    refused(&got, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_mismatch");
    assert_eq!(invitations(&api, &pos).await.len(), 1);

    // Metadata comes back on every read, and has a size limit.
    let v = api.invitation(&created[0]).await;
    assert_eq!(
        (
            v["metadata"]["applicationId"].as_str(),
            v["metadata"]["user_email"].as_str()
        ),
        (Some("A-99"), Some(api.email.as_str()))
    );
    let huge = json!({ "email": candidate_email("huge"), "metadata": { "note": "x".repeat(5000) } });
    let got = call(&c, Method::POST, url, &[pa, pb], Some(&huge)).await;
    refused(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.stop().await;
}

#[tokio::test]
async fn find_or_create_by_external_job_id_makes_one_position_however_often_it_is_asked() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let p = partner(&app, &[&api.org], Some((100, 100)), None).await;
    app.app
        .credentials
        .set_partner_status(&p.id, "live", "test")
        .await
        .unwrap();
    let (h, c) = (p.header(), client());
    let url = format!("{}/positions/find-or-create", api.base);
    let job = format!("JOB-{}", unique());
    let body = json!({ "ats_kind": "partner", "external_id": job, "title": "Data engineer" });
    let first = call(&c, Method::POST, url.clone(), &as_partner(&h, &api.email), Some(&body)).await;
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.2);
    let id = first.2["id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (c, url, body, h, email) = (c.clone(), url.clone(), body.clone(), h.clone(), api.email.clone());
        tasks.push(tokio::spawn(async move {
            call(&c, Method::POST, url, &as_partner(&h, &email), Some(&body)).await
        }));
    }
    for t in tasks {
        let (s, _, v) = t.await.unwrap();
        assert_eq!((s, v["id"].as_str()), (StatusCode::OK, Some(id.as_str())), "{v}");
    }
    let (s, list) = api.get(&format!("/positions?ats_kind=partner&external_id={job}")).await;
    assert_eq!((s, list["items"].as_array().unwrap().len()), (StatusCode::OK, 1));
    let bad = call(
        &c,
        Method::POST,
        url,
        &as_partner(&h, &api.email),
        Some(&json!({ "title": "x" })),
    )
    .await;
    refused(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.stop().await;
}
