//! /api/v1 invitations over real HTTP with a real SMTP sink: the e-mail and its link, duplicate
//! suppression (also under 50 concurrent requests), resend, rounds, bulk, prior invitations and
//! bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{candidate_email, header, link_in, sign_in, unique, wait_state};
use common::{TestApp, client, mails_to};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shortlist_domain::Role;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// Checks for a while that no more than `n` messages reached `rcpt`.
async fn stays_at(rcpt: &str, n: usize) {
    for _ in 0..20 {
        assert_eq!(mails_to(rcpt, 0, Duration::ZERO).await.len(), n, "mails to {rcpt}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_invitation_email_arrives_and_its_link_opens_the_interview() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let title = format!("Account manager {}", unique());
    let pos = api.ready_position(&title).await;
    let to = candidate_email("ada");
    let (s, r) = api
        .invite(&pos, json!({ "email": to.to_uppercase(), "name": "Ada Lovelace" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["prior_invitations"], json!([]));
    let inv = &r["invitation"];
    let id = inv["id"].as_str().unwrap();
    assert_eq!(
        (inv["candidate"]["email"].as_str(), inv["round"].as_i64()),
        (Some(to.as_str()), Some(1))
    );

    let mails = mails_to(&to, 1, WAIT).await;
    assert_eq!(mails.len(), 1, "one invitation e-mail");
    let eml = api_common::decode_qp(&mails[0]);
    assert!(eml.contains(&title), "the e-mail names the position: {eml}");
    assert!(
        header(&mails[0], "Reply-To").unwrap().contains(&api.email),
        "Reply-To is the owner"
    );
    let link = link_in(&mails[0], &app.base).expect("a candidate link");
    assert_eq!(link, inv["candidate_url"].as_str().unwrap());
    wait_state(&api, id, "sent").await;

    let page = client().get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(&title));
    let v = api.invitation(id).await;
    assert_eq!(
        (v["state"].as_str(), v["delivery"].as_str()),
        (Some("opened"), Some("sent"))
    );
    let kinds: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "email_sent", "opened"]);
    let (s, list) = api.get(&format!("/positions/{pos}/invitations")).await;
    assert_eq!((s, list["items"][0]["id"].as_str()), (StatusCode::OK, Some(id)));
}

#[tokio::test]
async fn inviting_twice_is_refused_until_resend_or_a_new_round_is_asked_for() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Designer").await;
    let to = candidate_email("dup");
    let (s, first) = api.invite(&pos, json!({ "email": to })).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = first["invitation"]["id"].as_str().unwrap().to_string();
    let link = link_in(&mails_to(&to, 1, WAIT).await[0], &app.base).unwrap();
    wait_state(&api, &id, "sent").await;

    let r = api
        .c
        .post(format!("{}/positions/{pos}/invitations", api.base))
        .json(&json!({ "email": to }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        (p["code"].as_str(), p["invitation_id"].as_str()),
        (Some("already_invited"), Some(id.as_str()))
    );
    assert_eq!(p["state"], "sent");
    assert!(p["sent_at"].is_string(), "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("already invited") && detail.contains("resend: true"),
        "{detail}"
    );
    stays_at(&to, 1).await;

    let (s, r) = api.invite(&pos, json!({ "email": to, "resend": true })).await;
    assert_eq!((s, r["resent"].as_bool()), (StatusCode::OK, Some(true)), "{r}");
    assert_eq!(r["invitation"]["id"], id.as_str());
    let mails = mails_to(&to, 2, WAIT).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .all(|m| link_in(m, &app.base).as_deref() == Some(link.as_str())),
        "same link"
    );
    let (s, r) = api.post(&format!("/invitations/{id}/resend"), json!({})).await;
    assert_eq!((s, r["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
    assert_eq!(mails_to(&to, 3, WAIT).await.len(), 3);

    let (s, r) = api.invite(&pos, json!({ "email": to, "round": 2 })).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["invitation"]["round"], 2);
    assert_ne!(r["invitation"]["id"], id.as_str());
    let (_, list) = api.get(&format!("/positions/{pos}/invitations")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_invitations_make_one_invitation_and_one_email() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Popular job").await;
    let to = candidate_email("race");
    let url = format!("{}/positions/{pos}/invitations", api.base);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (c, url, body) = (api.c.clone(), url.clone(), json!({ "email": to, "name": "Race" }));
        tasks.spawn(async move { c.post(url).json(&body).send().await.unwrap().status() });
    }
    let mut statuses = vec![];
    while let Some(s) = tasks.join_next().await {
        statuses.push(s.unwrap());
    }
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let conflicts = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((created, conflicts), (1, 49), "{statuses:?}");

    let (_, list) = api.get(&format!("/positions/{pos}/invitations")).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(mails_to(&to, 1, WAIT).await.len(), 1);
    wait_state(&api, items[0]["id"].as_str().unwrap(), "sent").await;
    stays_at(&to, 1).await;
}

#[tokio::test]
async fn a_batch_reports_each_row_and_sends_only_the_good_ones() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Warehouse").await;
    let (known, good1, good2) = (
        candidate_email("known"),
        candidate_email("good1"),
        candidate_email("good2"),
    );
    let (s, _) = api.invite(&pos, json!({ "email": known })).await;
    assert_eq!(s, StatusCode::CREATED);
    let rows = json!([
        { "email": good1, "name": "Good One" },
        { "email": format!("  {}  ", good1.to_uppercase()) },
        { "email": "not-an-email" },
        { "email": known },
        { "email": good2, "name": "Good Two" },
    ]);
    let (s, r) = api
        .post(
            &format!("/positions/{pos}/invitations/batch"),
            json!({ "candidates": rows }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let statuses: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["sent", "duplicate_in_request", "invalid", "already_invited", "sent"]
    );
    assert!(r["results"][2]["message"].as_str().unwrap().starts_with("email"), "{r}");
    assert!(r["results"][3]["invitation_id"].is_string());
    let sum = &r["summary"];
    assert_eq!(
        (sum["sent"].as_i64(), sum["already_invited"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (sum["invalid"].as_i64(), sum["duplicate_in_request"].as_i64()),
        (Some(1), Some(1))
    );

    assert_eq!(mails_to(&good1, 1, WAIT).await.len(), 1);
    assert_eq!(mails_to(&good2, 1, WAIT).await.len(), 1);
    let (_, list) = api.get(&format!("/positions/{pos}/invitations")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    stays_at(&known, 1).await;
    stays_at(&good1, 1).await;
}

#[tokio::test]
async fn prior_invitations_are_listed_and_the_owner_is_told() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let first = api.ready_position("First job").await;
    let second = api.ready_position("Second job").await;
    let to = candidate_email("prior");
    let (_, a) = api.invite(&first, json!({ "email": to })).await;
    let (s, b) = api.invite(&second, json!({ "email": to })).await;
    assert_eq!(s, StatusCode::CREATED);
    let prior = b["prior_invitations"].as_array().unwrap();
    assert_eq!(prior.len(), 1, "{b}");
    assert_eq!(prior[0]["id"], a["invitation"]["id"]);
    assert_eq!(prior[0]["position"]["title"], "First job");

    let notices = mails_to(&api.email, 1, WAIT).await;
    assert_eq!(notices.len(), 1, "the owner is told once");
    let notice = api_common::decode_qp(&notices[0]);
    assert!(
        header(&notices[0], "Subject")
            .unwrap()
            .contains("invited to other interviews before")
    );
    assert!(notice.contains("First job") && notice.contains(&to), "{notice}");
}

#[tokio::test]
async fn bad_invitations_get_problems() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Careful job").await;
    let field0 = |p: &Value| p["errors"][0]["field"].as_str().unwrap_or_default().to_string();

    for missing in ["pos_0123456789abcdef0123456789abcdef", "pos_nope"] {
        let (s, p) = api.invite(missing, json!({ "email": candidate_email("x") })).await;
        assert_eq!(
            (s, p["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{missing}"
        );
        let (s, _) = api.get(&format!("/positions/{missing}/invitations")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let batch = json!({ "candidates": [{ "email": candidate_email("x") }] });
        let (s, p) = api
            .post(&format!("/positions/{missing}/invitations/batch"), batch)
            .await;
        assert_eq!((s, p["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    }
    let (s, p) = api.invite(&pos, json!({ "email": "ada@@example" })).await;
    assert_eq!(
        (s, field0(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, "email".to_string()),
        "{p}"
    );
    let (s, p) = api.invite(&pos, json!({ "email": 42 })).await;
    assert_eq!(
        (s, field0(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, "email".to_string()),
        "{p}"
    );
    let (s, p) = api
        .invite(&pos, json!({ "email": candidate_email("x"), "expires_in_days": 0 }))
        .await;
    assert_eq!(
        (s, field0(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, "expires_in_days".to_string())
    );

    let empty = api
        .template(&format!("empty-{}", unique()), api_common::spec("Empty", 0))
        .await;
    let hollow = api.position("Hollow job", &[&empty]).await;
    let (s, p) = api.invite(&hollow, json!({ "email": candidate_email("x") })).await;
    assert_eq!(
        (s, field0(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, "template_id".to_string())
    );
    assert!(p["detail"].as_str().unwrap().contains("no questions"), "{p}");

    let (s, p) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/positions/{pos}"),
            Some(json!({ "status": "closed" })),
        )
        .await;
    assert_eq!(
        (s, p["status"].as_str(), p["title"].as_str()),
        (StatusCode::OK, Some("closed"), Some("Careful job"))
    );
    let (s, p) = api.invite(&pos, json!({ "email": candidate_email("x") })).await;
    assert_eq!((s, p["code"].as_str()), (StatusCode::CONFLICT, Some("position_closed")));
    let batch = json!({ "candidates": [{ "email": "bad" }, { "email": candidate_email("x") }] });
    let (s, p) = api.post(&format!("/positions/{pos}/invitations/batch"), batch).await;
    assert_eq!((s, p["code"].as_str()), (StatusCode::CONFLICT, Some("position_closed")));

    for path in ["/invitations/inv_0123456789abcdef0123456789abcdef", "/invitations/nope"] {
        let (s, p) = api.get(path).await;
        assert_eq!((s, p["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    }
    let (s, _) = api.post("/invitations/nope/cancel", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = client()
        .post(app.url(&format!("/api/v1/positions/{pos}/invitations")))
        .json(&json!({ "email": "a@b.co" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn positions_are_found_by_their_ats_reference_and_link_templates() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let ext = format!("REQ-{}", unique());
    let (s, p) = api
        .post(
            "/positions",
            json!({ "title": "Nurse", "external_refs": [{ "ats_kind": "greenhouse", "external_id": ext }] }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().unwrap().to_string();
    assert_eq!(p["owner"]["email"], api.email.as_str());
    let (s, c) = api
        .post(
            "/positions",
            json!({ "title": "Copy", "external_refs": [{ "ats_kind": "greenhouse", "external_id": ext }] }),
        )
        .await;
    assert_eq!(
        (s, c["code"].as_str()),
        (StatusCode::CONFLICT, Some("external_ref_taken"))
    );

    let (_, found) = api
        .get(&format!("/positions?ats_kind=greenhouse&external_id={ext}"))
        .await;
    assert_eq!(found["items"][0]["id"], id.as_str());
    let (_, none) = api.get("/positions?ats_kind=greenhouse&external_id=other").await;
    assert_eq!(none["items"], json!([]));
    let (_, open) = api.get("/positions?status=open").await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1);
    let (s, _) = api.get("/positions?status=maybe").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let tpl = api
        .template(&format!("nurse-{}", unique()), api_common::spec("Nurse", 1))
        .await;
    let link = format!("/positions/{id}/templates/{tpl}");
    let (s, _) = api.call(reqwest::Method::PUT, &link, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, p) = api.get(&format!("/positions/{id}")).await;
    assert_eq!(p["template_ids"], json!([tpl]));
    let (s, _) = api.call(reqwest::Method::DELETE, &link, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, p) = api.get(&format!("/positions/{id}")).await;
    assert_eq!(p["template_ids"], json!([]));
    let (s, _) = api
        .call(
            reqwest::Method::PUT,
            &format!("/positions/{id}/templates/tpl_nope"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
