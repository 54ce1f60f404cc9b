//! Resuming tus uploads over real HTTP: a body cut off mid-way (on local storage and on S3), a
//! server restart between PATCHes, and the expiry of unfinished uploads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use common::TestApp;
use reqwest::StatusCode;
use tus_support::{MIB, RawPatch, Tus, data, interview, sha256_hex, stored_take};

/// A body cut off part-way keeps what arrived; the client resumes from HEAD's offset.
async fn cut_and_resume(app: &TestApp) {
    let i = interview(app).await;
    let tus = Tus::new(app, &i.token);
    let all = data(20 * MIB + 5, 7);
    let loc = tus.video(all.len(), 1).await;
    tus.patch_ok(&loc, 0, &all[..2 * MIB]).await;
    let sent = 11 * MIB + 3;
    let raw = RawPatch::start(app, &tus, &loc, 2 * MIB, all.len() - 2 * MIB, &all[2 * MIB..sent]).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(raw); // the connection goes away mid-body
    let resumed_at = tus.resume(&loc, &all).await;
    assert!(resumed_at >= 2 * MIB && resumed_at <= sent, "resumed at {resumed_at}");
    assert!(resumed_at > 2 * MIB, "bytes that arrived before the cut were kept");
    let (sha, bytes) = stored_take(app, &i, 1).await;
    assert_eq!(sha, sha256_hex(&all));
    assert!(bytes == all);
}

#[tokio::test]
async fn an_upload_cut_off_mid_body_resumes_from_the_stored_offset() {
    let app = TestApp::spawn().await;
    cut_and_resume(&app).await;
}

#[tokio::test]
async fn uploads_resume_and_complete_on_s3() {
    let Some(bucket) = common::s3_bucket("tus").await else {
        return;
    };
    let storage = format!("s3://{bucket}/media");
    let app = TestApp::spawn_with(&["--storage-url", &storage]).await;
    assert!(app.app.media.describe().starts_with("s3://"));
    cut_and_resume(&app).await;
}

#[tokio::test]
async fn an_upload_survives_a_server_restart() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(12 * MIB + 1, 8);
    let loc = tus.video(all.len(), 1).await;
    tus.patch_ok(&loc, 0, &all[..5 * MIB]).await;
    tus.patch_ok(&loc, 5 * MIB, &all[5 * MIB..9 * MIB]).await;
    let (db, data_dir) = app.stop_keeping_data().await;

    let app = TestApp::spawn_on(db, data_dir, &[]).await;
    let tus = Tus::new(&app, &i.token);
    let at = tus.offset(&loc).await;
    assert_eq!(at, 9 * MIB);
    tus.patch_ok(&loc, at, &all[at..]).await;
    assert_eq!(stored_take(&app, &i, 1).await.0, sha256_hex(&all));
}

#[tokio::test]
async fn unfinished_uploads_expire_after_a_day() {
    let clock = std::sync::Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let loc = tus.video(100, 1).await;
    tus.patch_ok(&loc, 0, &data(10, 1)).await;
    clock.advance(chrono::TimeDelta::hours(25));
    let head = tus.head(&loc).await.status();
    assert!(matches!(head, StatusCode::GONE | StatusCode::NOT_FOUND), "{head}");
    // The upload's timer job ends it and frees what was staged.
    let id = loc.trim_start_matches("/uploads/").to_string();
    let ended = common::eventually(std::time::Duration::from_secs(20), || {
        let (db, id) = (app.app.db.clone(), id.clone());
        async move {
            let row = shortlist_store::uploads::get(&db, &id).await.unwrap().unwrap();
            (row.state == "terminated").then_some(())
        }
    })
    .await;
    assert!(ended.is_some(), "the expiry job ended the upload");
    assert_eq!(tus.head(&loc).await.status(), StatusCode::NOT_FOUND);
    let staged = app.app.media.list(&format!("staging/{id}")).await.unwrap();
    assert!(staged.is_empty(), "{staged:?}");
    assert_eq!(app.app.uploads.sweep_expired(10).await.unwrap(), 0);
}
