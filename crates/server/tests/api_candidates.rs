//! Candidates' ATS ids travel with the invitation and stay unique per connection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{candidate_email, sign_in};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;

#[tokio::test]
async fn candidate_external_ids_are_kept_and_cannot_point_at_two_people() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Warehouse lead").await;
    let ada = candidate_email("ada");
    let refs = json!([{ "ats_kind": "icims", "external_id": "person-42" }]);
    let (s, v) = api
        .invite(&pos, json!({ "email": ada, "candidate_external_refs": refs }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // The same person again (other round) with the same id is fine…
    let (s, v) = api
        .invite(
            &pos,
            json!({ "email": ada, "round": 2, "candidate_external_refs": refs }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // …another person with that id is refused, and nothing is created for them.
    let bob = candidate_email("bob");
    let (s, v) = api
        .invite(&pos, json!({ "email": bob, "candidate_external_refs": refs }))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("external_ref_taken")),
        "{v}"
    );
    let (_, list) = api.get(&format!("/positions/{pos}/invitations")).await;
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["candidate"]["email"].as_str().unwrap())
        .collect();
    assert!(
        !emails.contains(&bob.as_str()),
        "the refused invitation left nothing behind: {emails:?}"
    );
    assert_eq!(emails.len(), 2);
}
