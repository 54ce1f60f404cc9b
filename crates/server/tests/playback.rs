//! Reviewers play recorded takes with HTTP Range requests (how browsers seek in video).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use api_common::sign_in;
use common::TestApp;
use reqwest::StatusCode;
use shortlist_domain::Role;
use tus_support::{Tus, data, header, interview};

#[tokio::test]
async fn a_recorded_take_plays_with_range_requests_for_its_organisation_only() {
    let app = TestApp::spawn().await;
    let iv = interview(&app).await;
    let tus = Tus::new(&app, &iv.token);
    let bytes = data(300_000, 7);
    let loc = tus.video(bytes.len(), 1).await;
    tus.patch_ok(&loc, 0, &bytes).await;
    let url = app.url(&format!("/invitations/{}/takes/q1/1", iv.invitation));

    let full = iv.api.c.get(&url).send().await.unwrap();
    assert_eq!(full.status(), StatusCode::OK);
    assert_eq!(header(&full, "accept-ranges").as_deref(), Some("bytes"));
    assert!(header(&full, "content-type").unwrap().starts_with("video/webm"));
    assert_eq!(full.bytes().await.unwrap().as_ref(), &bytes[..]);

    let part = iv
        .api
        .c
        .get(&url)
        .header("Range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&part, "content-range").as_deref(),
        Some("bytes 1000-1999/300000")
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[1000..2000]);

    let tail = iv.api.c.get(&url).header("Range", "bytes=-100").send().await.unwrap();
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[bytes.len() - 100..]);

    let beyond = iv
        .api
        .c
        .get(&url)
        .header("Range", "bytes=300000-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&beyond, "content-range").as_deref(), Some("bytes */300000"));

    let missing = iv
        .api
        .c
        .get(app.url(&format!("/invitations/{}/takes/q1/2", iv.invitation)))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND, "take 2 was never uploaded");

    let stranger = sign_in(&app, Role::Recruiter).await;
    let other = stranger.c.get(&url).send().await.unwrap();
    assert_eq!(
        other.status(),
        StatusCode::NOT_FOUND,
        "another organisation cannot see the take"
    );

    let anonymous = common::client().get(&url).send().await.unwrap();
    assert_eq!(
        anonymous.status(),
        StatusCode::SEE_OTHER,
        "signed-out callers are sent to sign in"
    );
}
