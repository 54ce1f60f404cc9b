//! Fault test: worker processes are SIGKILLed at random moments while 1,000 jobs drain.
//! Afterwards every job must be done and none lost. How many ran more than once is counted from
//! what the handlers left behind (one marker object per execution), not from any log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::process::Proc;
use rand::Rng;
use shortlist_store::Db;
use shortlist_store::jobs::{self, NewJob};
use std::collections::HashMap;
use std::time::{Duration, Instant};

// Enough that 20 kills (200–700 ms of work each, 4 at a time) cannot drain the queue even on a
// fast machine; the drain afterwards still takes seconds.
const JOBS: usize = 2000;
const KILLS: usize = 20;
const CONCURRENCY: usize = 4;

fn worker_args(db_url: &str, data: &std::path::Path) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "--database-url".into(),
        db_url.into(),
        "--data-dir".into(),
        data.display().to_string(),
        "serve".into(),
        "--worker-only".into(),
    ];
    a.extend(
        [
            "--worker-concurrency",
            &CONCURRENCY.to_string(),
            "--job-lease-secs",
            "1",
            "--job-poll-ms",
            "50",
        ]
        .map(String::from),
    );
    a
}

/// States of this test's jobs only: the server also runs its own recurring jobs (the digest
/// scan) in the same queue, and those are not what this test counts.
async fn count_state(db: &Db) -> HashMap<String, i64> {
    let sql = "SELECT state, COUNT(*) FROM jobs WHERE kind = 'diag.marker' GROUP BY state";
    let rows: Vec<(String, i64)> = match db {
        Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    };
    rows.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_no_job() {
    let t = common::TestDb::fresh().await;
    let data = tempfile::tempdir().unwrap();
    let db = Db::connect(&t.url).await.unwrap();
    db.migrate().await.unwrap();
    let batch: Vec<NewJob> = (0..JOBS)
        .map(|i| NewJob::new("diag.marker", serde_json::json!({ "n": i, "sleep_ms": 20 + (i % 20) })).max_attempts(50))
        .collect();
    let ids: Vec<String> = jobs::enqueue_many(&db, &batch)
        .await
        .unwrap()
        .into_iter()
        .map(|e| match e {
            jobs::Enqueued::Created(id) => id.to_string(),
            jobs::Enqueued::Duplicate => panic!("no duplicates expected"),
        })
        .collect();

    let log = data.path().join("workers.log");
    let args = worker_args(&t.url, data.path());
    let mut kills_mid_drain = 0;
    let started = Instant::now();
    while kills_mid_drain < KILLS {
        let mut w = Proc::start(&args, &log);
        let wait = rand::rng().random_range(200..700);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let done_before = count_state(&db).await.get("done").copied().unwrap_or(0);
        w.kill();
        assert!(
            (done_before as usize) < JOBS,
            "the queue drained after only {kills_mid_drain} kills; the test needs slower jobs"
        );
        kills_mid_drain += 1;
        assert!(started.elapsed() < Duration::from_secs(240), "kill phase took too long");
    }

    // One last worker, left alone, finishes the rest (killed jobs return after their lease).
    let _last = Proc::start(&args, &log);
    let drained = common::eventually(Duration::from_secs(180), || async {
        let c = count_state(&db).await;
        (c.get("done").copied().unwrap_or(0) as usize == JOBS).then_some(c)
    })
    .await;
    let Some(counts) = drained else {
        let left = count_state(&db).await;
        panic!(
            "jobs did not all complete: {left:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    };
    assert_eq!(counts.len(), 1, "only done jobs remain: {counts:?}");

    // Durable evidence: the marker objects each execution wrote.
    let mut executions = 0;
    let mut run_twice = 0;
    for id in &ids {
        let dir = data.path().join("media").join("diag").join(id);
        let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert!(n >= 1, "job {id} completed but left no marker");
        executions += n;
        if n > 1 {
            run_twice += 1;
        }
    }
    println!(
        "backend={} jobs={JOBS} kills={kills_mid_drain} executions={executions} jobs_run_more_than_once={run_twice} elapsed={:.1}s",
        common::backend(),
        started.elapsed().as_secs_f64()
    );
    // At-least-once: a kill can only interrupt the jobs that worker was running.
    assert!(
        run_twice <= kills_mid_drain * CONCURRENCY,
        "{run_twice} jobs ran twice: more than {kills_mid_drain} kills x {CONCURRENCY} slots can explain"
    );
}
