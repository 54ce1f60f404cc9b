//! Low finding: reviewers received `candidate_url`, the candidate's personal link (whoever holds
//! it takes the interview as the candidate), in invitation reads and lists. It is now shown only
//! to callers who may invite: admins and recruiters, and API credentials with
//! `invitations:write`. A reviewer account and a read-only token see invitations without it,
//! in every read and list of the API and on the pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod openapi_support;

use api_common::{Api, PASSWORD, unique, wait_state};
use common::{TestApp, client};
use openapi_support::{Objects, objects, org, partner_headers};
use reqwest::StatusCode;
use serde_json::Value;
use shortlist_domain::Role;

/// Every API read that carries an invitation, with where the invitation sits in the answer.
fn reads(o: &Objects) -> Vec<(String, &'static str)> {
    vec![
        (format!("/invitations/{}", o.invitation), ""),
        (format!("/positions/{}/invitations", o.position), "/items/0"),
        (format!("/invitations?position_id={}", o.position), "/items/0"),
        (format!("/invitations/{}/report", o.invitation), "/invitation"),
    ]
}

/// `GET` with `c` (a signed-in session when `headers` is empty) and `headers`.
async fn get(c: &reqwest::Client, base: &str, headers: &[(String, String)], path: &str) -> (StatusCode, Value) {
    let mut req = c.get(format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Asserts each read answers 200 with the invitation, with or without its link.
async fn check(
    who: &str,
    c: &reqwest::Client,
    base: &str,
    headers: &[(String, String)],
    o: &Objects,
    link: &str,
    shown: bool,
) {
    for (path, at) in reads(o) {
        let (status, v) = get(c, base, headers, &path).await;
        assert_eq!(status, StatusCode::OK, "{who}: GET {path}: {v}");
        let inv = v
            .pointer(at)
            .unwrap_or_else(|| panic!("{who}: GET {path}: no invitation at {at}: {v}"));
        assert_eq!(inv["id"], o.invitation.as_str(), "{who}: GET {path}");
        if shown {
            assert_eq!(inv["candidate_url"], link, "{who}: GET {path}: {v}");
        } else {
            assert!(
                inv.get("candidate_url").is_none(),
                "{who}: GET {path} shows the candidate's link: {v}"
            );
            assert!(
                !v.to_string().contains(link),
                "{who}: GET {path} has the link elsewhere: {v}"
            );
        }
    }
}

async fn signed_in(app: &TestApp, admin: &Api, role: Role) -> reqwest::Client {
    let email = format!("{}-{}@test.shortlist.localhost", role, unique());
    app.app
        .accounts
        .create_user(&admin.org, &email, "Team Member", role, Some(PASSWORD))
        .await
        .unwrap();
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    c
}

#[tokio::test]
async fn reviewers_and_read_only_credentials_do_not_get_the_candidates_link() {
    let app = TestApp::spawn().await;
    let admin = org(&app).await.api;
    let o = objects(&admin).await;
    wait_state(&admin, &o.invitation, "sent").await;
    let (_, v) = admin.get(&format!("/invitations/{}", o.invitation)).await;
    let link = v["candidate_url"]
        .as_str()
        .expect("the admin sees the link")
        .to_string();
    assert!(link.starts_with("http") && link.contains("/i/"), "{link}");

    // Those who may invite see it.
    check("admin session", &admin.c, &admin.base, &[], &o, &link, true).await;
    let inviting = partner_headers(&app, &admin, Some("invitations:write results:read")).await;
    check(
        "invitations:write partner",
        &client(),
        &admin.base,
        &inviting,
        &o,
        &link,
        true,
    )
    .await;

    // A reviewer account, through the API with its session and on the pages.
    let reviewer = signed_in(&app, &admin, Role::Reviewer).await;
    let base = admin.base.clone();
    for (path, at) in reads(&o) {
        let r = reviewer.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "reviewer: GET {path}");
        let v: Value = r.json().await.unwrap();
        assert!(v.pointer(at).is_some(), "reviewer: GET {path}: {v}");
        assert!(
            !v.to_string().contains(&link),
            "reviewer: GET {path} shows the link: {v}"
        );
    }
    for page in [
        format!("/invitations/{}", o.invitation),
        format!("/positions/{}", o.position),
        format!("/positions/{}/review", o.position),
    ] {
        let r = reviewer.get(app.url(&page)).send().await.unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert!(status.is_success(), "reviewer: {page}: {status}");
        assert!(
            !html.contains(&link),
            "reviewer: the page {page} shows the candidate's link"
        );
    }

    // A partner acting as the admin, and an organisation key, both read-only.
    let read_only = partner_headers(&app, &admin, Some("invitations:read results:read")).await;
    check(
        "read-only partner",
        &client(),
        &admin.base,
        &read_only,
        &o,
        &link,
        false,
    )
    .await;
    let token = admin
        .org_key(&app, "read-only sync", "invitations:read results:read")
        .await;
    let bearer = vec![("Authorization".to_string(), format!("Bearer {token}"))];
    check(
        "read-only organisation key",
        &client(),
        &admin.base,
        &bearer,
        &o,
        &link,
        false,
    )
    .await;
    // A reviewer's own token with every scope still acts as a reviewer.
    let reviewer_partner = {
        let email = format!("rev-{}@test.shortlist.localhost", unique());
        app.app
            .accounts
            .create_user(&admin.org, &email, "Reviewing Robot", Role::Reviewer, Some(PASSWORD))
            .await
            .unwrap();
        let mut h = partner_headers(&app, &admin, None).await;
        h[1].1 = email;
        h
    };
    check(
        "partner acting as a reviewer",
        &client(),
        &admin.base,
        &reviewer_partner,
        &o,
        &link,
        false,
    )
    .await;
    app.stop().await;
}
