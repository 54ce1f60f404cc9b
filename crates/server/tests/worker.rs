//! The worker as operators see it: retries with backoff, dead jobs with their last error, and
//! graceful shutdown (SIGTERM) that finishes or releases what is running.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::process::Proc;
use shortlist_domain::JobId;
use shortlist_store::Db;
use shortlist_store::jobs::{self, Enqueued, JobRow, NewJob};
use std::time::Duration;

async fn enqueue(db: &Db, job: NewJob) -> JobId {
    match jobs::enqueue_many(db, &[job]).await.unwrap().pop().unwrap() {
        Enqueued::Created(id) => id,
        Enqueued::Duplicate => panic!("unexpected duplicate"),
    }
}

async fn wait_state(db: &Db, id: &JobId, state: &str, secs: u64) -> JobRow {
    let found = common::eventually(Duration::from_secs(secs), || async {
        let row = jobs::get(db, id).await.unwrap()?;
        (row.state == state).then_some(row)
    })
    .await;
    match found {
        Some(row) => row,
        None => panic!("job never reached {state}: {:?}", jobs::get(db, id).await.unwrap()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_job_is_retried_then_kept_dead_with_its_error() {
    let app = common::TestApp::spawn_with(&["--job-retry-base-secs", "0.05"]).await;
    let db = &app.app.db;
    let id = enqueue(
        db,
        NewJob::new("diag.marker", serde_json::json!({"fail": true})).max_attempts(3),
    )
    .await;
    let row = wait_state(db, &id, "dead", 30).await;
    assert_eq!(row.attempts, 3);
    assert_eq!(row.last_error.as_deref(), Some("diagnostic failure requested"));
    let runs = app
        .app
        .media
        .list(&shortlist_app::jobs::diag_marker_prefix(id.as_str()))
        .await
        .unwrap();
    assert_eq!(runs.len(), 3, "the handler ran once per attempt");
    let metrics = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("shortlist_job_failures_total{kind=\"diag.marker\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("shortlist_jobs{state=\"dead\"} 1"), "{metrics}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_unknown_kind_dies_at_once_with_a_clear_error() {
    let app = common::TestApp::spawn().await;
    let id = enqueue(&app.app.db, NewJob::new("no.such.kind", serde_json::json!({}))).await;
    let row = wait_state(&app.app.db, &id, "dead", 30).await;
    assert_eq!(row.attempts, 1, "a permanent failure is not retried");
    assert!(
        row.last_error
            .unwrap()
            .contains("no handler for job kind 'no.such.kind'")
    );
    app.stop().await;
}

fn worker_args(db: &common::TestDb, data: &std::path::Path, grace: &str) -> Vec<String> {
    let mut a = common::base_args(db, data);
    a.extend(
        [
            "serve",
            "--worker-only",
            "--job-poll-ms",
            "50",
            "--job-lease-secs",
            "30",
            "--shutdown-grace-secs",
            grace,
        ]
        .map(String::from),
    );
    a
}

fn sigterm(p: &Proc) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &p.0.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

async fn exit_status(p: &mut Proc) -> std::process::ExitStatus {
    common::eventually(Duration::from_secs(30), || {
        let s = p.0.try_wait().unwrap();
        async move { s }
    })
    .await
    .expect("process did not exit after SIGTERM")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_running_job_finish() {
    let t = common::TestDb::fresh().await;
    let data = tempfile::tempdir().unwrap();
    let db = Db::connect(&t.url).await.unwrap();
    db.migrate().await.unwrap();
    let id = enqueue(&db, NewJob::new("diag.marker", serde_json::json!({"sleep_ms": 1500}))).await;
    let mut w = Proc::start(&worker_args(&t, data.path(), "20"), &data.path().join("w.log"));
    wait_state(&db, &id, "running", 30).await;
    sigterm(&w);
    assert!(exit_status(&mut w).await.success());
    let row = jobs::get(&db, &id).await.unwrap().unwrap();
    assert_eq!(
        (row.state.as_str(), row.attempts),
        ("done", 1),
        "the job finished during the grace period"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_releases_a_job_that_outlives_the_grace_period() {
    let t = common::TestDb::fresh().await;
    let data = tempfile::tempdir().unwrap();
    let db = Db::connect(&t.url).await.unwrap();
    db.migrate().await.unwrap();
    let id = enqueue(&db, NewJob::new("diag.marker", serde_json::json!({"sleep_ms": 30000}))).await;
    let mut w = Proc::start(&worker_args(&t, data.path(), "0.2"), &data.path().join("w.log"));
    wait_state(&db, &id, "running", 30).await;
    sigterm(&w);
    assert!(exit_status(&mut w).await.success());
    let row = jobs::get(&db, &id).await.unwrap().unwrap();
    assert_eq!(
        row.state, "queued",
        "released for another worker instead of waiting out the 30 s lease"
    );
    assert!(row.locked_by.is_none() && row.locked_until.is_none());
}
