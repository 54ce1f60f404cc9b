//! Fault tests (issue "reliability under faults", defects 8 and 9): the disk that holds the
//! media fills up. Uploads used to fail with a generic 500 while /readyz stayed 200 and nobody
//! was told. Now a PATCH answers 507 with a clear message and keeps the committed offset,
//! /readyz says 503 with `storage: full`, the candidate's landing page still shows, the
//! operators get one e-mail, and once space is freed the same upload resumes and completes.
//! A sweep removes staging data no upload needs (orphans, temporary files of killed writes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod tus_support;

use common::tmpfs::Tmpfs;
use common::{TestApp, TestDb};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, SystemTime};
use tus_support::{MIB, Tus, data, interview, sha256_hex, stored_take};

async fn readyz(app: &TestApp) -> (StatusCode, Value) {
    let r = reqwest::get(app.url("/readyz")).await.unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_media_disk_refuses_uploads_with_507_and_recovers_once_freed() {
    let fs = Tmpfs::mount(16);
    let operator = format!("ops-{}@operators.example.com", api_common::unique());
    let app = TestApp::spawn_on(
        TestDb::fresh().await,
        tempfile::tempdir_in(fs.path()).unwrap(),
        &["--operator-emails", &operator],
    )
    .await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(3 * MIB, 81);
    let loc = tus.video(all.len(), 1).await;
    tus.patch_ok(&loc, 0, &all[..MIB]).await;
    assert_eq!(readyz(&app).await.0, StatusCode::OK);

    fs.fill();
    for _ in 0..4 {
        let r = tus.patch(&loc, MIB, &all[MIB..2 * MIB]).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{text}");
        assert!(text.contains("storage space"), "{text}");
        assert_eq!(tus.offset(&loc).await, MIB, "the committed offset is unchanged");
    }
    // The API says the same in problem+json (a recruiter's template file).
    let r = (i.api.c.post(format!("{}/media?kind=logo", i.api.base)))
        .header("content-type", "image/png")
        .body(common::png::png_1x1([1, 2, 3, 255]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INSUFFICIENT_STORAGE);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "insufficient_storage", "{problem}");
    let (status, body) = readyz(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["storage"], "full", "{body}");
    let metrics = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("shortlist_storage_full 1"), "gauge in {metrics}");
    assert!(metrics.contains("shortlist_storage_full_refusals_total"), "counter");
    // The candidate can still open the interview link (a page that only shows).
    let landing = reqwest::get(app.url(&format!("/i/{}", i.token))).await.unwrap();
    assert_eq!(landing.status(), StatusCode::OK);

    // Exactly one notice for the episode, however many requests were refused.
    let mails = common::mails_to(&operator, 1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1, "one notice arrives");
    assert!(mails[0].contains("storage is full"), "{}", mails[0]);
    app.jobs_settled().await;
    assert_eq!(common::mails_to(&operator, 2, Duration::from_secs(1)).await.len(), 1);

    fs.free();
    let (status, body) = readyz(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["storage"], "ok");
    let from = tus.resume(&loc, &all).await;
    assert_eq!(from, MIB, "resumed at the committed offset");
    assert_eq!(stored_take(&app, &i, 1).await.0, sha256_hex(&all));
    app.stop().await;
}

/// The staged files of an upload, by key (what is on the disk, not what the rows say).
fn staged_files(media: &Path, id: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(media.join("staging").join(id))
        .map(|d| {
            d.flatten()
                .map(|e| format!("staging/{id}/{}", e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The last part fits on the disk but the assembled answer does not: the PATCH answers 507
/// and its part does not stay behind to fill the disk again once space is freed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_that_fails_for_space_leaves_no_staged_part_behind() {
    let fs = Tmpfs::mount(16);
    let data_dir = tempfile::tempdir_in(fs.path()).unwrap();
    let media = data_dir.path().join("media");
    let app = TestApp::spawn_on(TestDb::fresh().await, data_dir, &[]).await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(6 * MIB, 83);
    let loc = tus.video(all.len(), 1).await;
    let id = loc.trim_start_matches("/uploads/").to_string();
    tus.patch_ok(&loc, 0, &all[..4 * MIB]).await;
    // Room for the last 2 MiB part, not for the 6 MiB answer assembled from the parts.
    let ballast = fs.path().join("ballast");
    std::fs::write(&ballast, vec![7u8; 3 * MIB]).unwrap();
    fs.fill();
    std::fs::remove_file(&ballast).unwrap();

    let r = tus.patch(&loc, 4 * MIB, &all[4 * MIB..]).await;
    let status = r.status();
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{}", r.text().await.unwrap());
    assert_eq!(tus.offset(&loc).await, 4 * MIB, "the committed offset is unchanged");
    let recorded: Vec<String> = shortlist_store::uploads::parts(&app.app.db, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.object_key)
        .collect();
    assert_eq!(
        staged_files(&media, &id),
        recorded,
        "only recorded parts are on the disk"
    );

    fs.free();
    tus.patch_ok(&loc, 4 * MIB, &all[4 * MIB..]).await;
    assert_eq!(stored_take(&app, &i, 1).await.0, sha256_hex(&all));
    app.stop().await;
}

/// SQLite's file is on the full disk too (the default layout: one data folder): opening the
/// interview link records that it was opened, and that write must not take the page down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn landing_pages_show_when_the_database_disk_is_full() {
    if common::backend() != "sqlite" {
        eprintln!("skipped: the database file on a full disk is SQLite's case");
        return;
    }
    let fs = Tmpfs::mount(24);
    let db = TestDb::sqlite_in(fs.path());
    let app = TestApp::spawn_on(db, tempfile::tempdir().unwrap(), &[]).await;
    let api = api_common::sign_in(&app, shortlist_domain::Role::Recruiter).await;
    let position = api.ready_position("Full disk").await;
    let mut tokens = vec![];
    for _ in 0..8 {
        let body = serde_json::json!({ "email": api_common::candidate_email("full") });
        let (s, r) = api.invite(&position, body).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let url = r["invitation"]["candidate_url"].as_str().unwrap();
        tokens.push(url.rsplit_once("/i/").unwrap().1.to_string());
    }
    app.jobs_settled().await;

    fs.fill();
    let mut statuses = vec![];
    for t in &tokens {
        statuses.push(reqwest::get(app.url(&format!("/i/{t}"))).await.unwrap().status());
    }
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "landing pages on a full disk: {statuses:?}"
    );
    fs.free();
    app.stop().await;
}

fn plant(path: &Path, age: Duration) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"leftover").unwrap();
    age_of(path, age);
}

fn age_of(path: &Path, age: Duration) {
    // Read-only opens folders too; setting times needs ownership, which the test has.
    let f = std::fs::File::open(path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

/// Leftovers of killed and failed writes are removed by the hourly sweep; anything an upload
/// still needs, and anything younger than an hour, stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_removes_orphaned_staging_data_and_keeps_live_uploads() {
    let app = TestApp::spawn().await;
    let i = interview(&app).await;
    let tus = Tus::new(&app, &i.token);
    let all = data(3 * MIB, 82);
    let loc = tus.video(all.len(), 1).await;
    tus.patch_ok(&loc, 0, &all[..MIB]).await;
    let id = loc.trim_start_matches("/uploads/").to_string();
    let media = app.data.path().join("media");
    let parts = shortlist_store::uploads::parts(&app.app.db, &id).await.unwrap();
    assert_eq!(parts.len(), 1);
    let live = media.join(&parts[0].object_key);
    let old = Duration::from_secs(2 * 3600);
    age_of(&live, old);

    let orphan = media.join("staging/upl_gone/00000000000000000000-0badf00d");
    let failed = media.join(format!("staging/{id}/00000000000001048576-0badcafe"));
    let killed = media.join("orgs/org_x/answers/inv_x/q1/take-1.abc.webm#1");
    let fresh = media.join("staging/upl_young/00000000000000000000-00c0ffee");
    plant(&orphan, old);
    plant(&failed, old);
    plant(&killed, old);
    plant(&fresh, Duration::ZERO);
    let probe = std::env::temp_dir().join(format!("shortlist-probe-test{}", api_common::unique()));
    std::fs::create_dir_all(&probe).unwrap();
    std::fs::write(probe.join("take"), b"copy").unwrap();
    age_of(&probe, old);

    let job = shortlist_store::jobs::NewJob::new("uploads.sweep", serde_json::json!({}));
    shortlist_store::jobs::enqueue_many(&app.app.db, &[job]).await.unwrap();
    let swept = common::eventually(Duration::from_secs(20), || async {
        (!orphan.exists() && !failed.exists() && !killed.exists() && !probe.exists()).then_some(())
    })
    .await;
    assert!(
        swept.is_some(),
        "left behind: orphan {}, failed part {}, temp file {}, probe folder {}",
        orphan.exists(),
        failed.exists(),
        killed.exists(),
        probe.exists()
    );
    app.jobs_settled().await;
    assert!(live.exists(), "the live upload's recorded part stays");
    assert!(fresh.exists(), "staging data younger than an hour stays");
    tus.patch_ok(&loc, MIB, &all[MIB..]).await;
    assert_eq!(stored_take(&app, &i, 1).await.0, sha256_hex(&all));
    app.stop().await;
}
