//! Retention: the hourly housekeeping job deletes done jobs after 7 days, dead jobs after 30,
//! Idempotency-Key records after 24 hours and webhook deliveries after 30 days, and leaves
//! everything younger, every queued or running job, pending deliveries and each endpoint's
//! newest delivery alone. Rows are planted with ages relative to the test clock; the clock then
//! moves two hours so the next housekeeping run is due, and the database rows are counted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::TestApp;
use shortlist_app::clock::{Clock, OffsetClock};
use shortlist_store::{Db, on_db};
use std::sync::Arc;
use std::time::Duration;

async fn job(
    db: &Db,
    id: &str,
    state: &str,
    created: DateTime<Utc>,
    finished: Option<DateTime<Utc>>,
    far: DateTime<Utc>,
) {
    // Queued and running test jobs are parked far in the future so no worker claims them.
    let (locked_by, locked_until) = if state == "running" {
        (Some("elsewhere"), Some(far))
    } else {
        (None, None)
    };
    let sql = "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, \
               created_at, updated_at, finished_at) VALUES ($1, 'test.retention', '{}', $2, 1, 3, $3, $4, $5, $6, $6, $7)";
    on_db!(db, p => sqlx::query(sql).bind(id).bind(state).bind(far).bind(locked_by).bind(locked_until)
        .bind(created).bind(finished).execute(p).await.map(|r| r.rows_affected()))
    .unwrap();
}

async fn idem(db: &Db, key: &str, created: DateTime<Utc>) {
    let sql = "INSERT INTO idempotency_keys (credential, idem_key, request_hash, state, status, body, created_at) \
               VALUES ('cred_test', $1, 'h', 'done', 201, '{}', $2)";
    on_db!(db, p => sqlx::query(sql).bind(key).bind(created).execute(p).await.map(|r| r.rows_affected())).unwrap();
}

async fn delivery(db: &Db, org: &str, id: &str, state: &str, at: DateTime<Utc>) {
    let sql = "INSERT INTO webhook_deliveries (id, org_id, endpoint_id, msg_id, event_type, body, state, attempts, \
               created_at, updated_at) VALUES ($1, $2, 'ep_test', $3, 'invitation.completed', '{}', $4, 1, $5, $5)";
    on_db!(db, p => sqlx::query(sql).bind(id).bind(org).bind(format!("msg_{id}")).bind(state).bind(at)
        .execute(p).await.map(|r| r.rows_affected()))
    .unwrap();
    let sql = "INSERT INTO webhook_attempts (delivery_id, org_id, attempt, at, status, response_ms) \
               VALUES ($1, $2, 1, $3, 200, 5)";
    on_db!(db, p => sqlx::query(sql).bind(id).bind(org).bind(at).execute(p).await.map(|r| r.rows_affected())).unwrap();
}

async fn ids(db: &Db, sql: &str) -> Vec<String> {
    let mut v: Vec<String> = on_db!(db, p => sqlx::query_scalar(sql).fetch_all(p).await).unwrap();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_deletes_old_finished_work_only() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let db = app.app.db.clone();
    let (org, _) = app.user(shortlist_domain::Role::Admin, "pw-housekeeping-1").await;
    let now = clock.now();
    let (day, far) = (TimeDelta::days(1), now + TimeDelta::days(365));

    job(&db, "job_done_8d", "done", now - day * 9, Some(now - day * 8), far).await;
    job(&db, "job_done_6d", "done", now - day * 6, Some(now - day * 6), far).await;
    job(&db, "job_dead_8d", "dead", now - day * 9, Some(now - day * 8), far).await;
    job(&db, "job_dead_31d", "dead", now - day * 32, Some(now - day * 31), far).await;
    job(&db, "job_queued_40d", "queued", now - day * 40, None, far).await;
    job(&db, "job_running_40d", "running", now - day * 40, None, far).await;
    idem(&db, "key-25h", now - TimeDelta::hours(25)).await;
    idem(&db, "key-1h", now - TimeDelta::hours(1)).await;

    let sql = "INSERT INTO webhook_endpoints (id, org_id, url, events, secret_sealed, created_by, created_at, updated_at) \
               VALUES ('ep_test', $1, 'https://hooks.example.com/x', 'invitation.completed', 'sealed', 'test', $2, $2)";
    on_db!(&db, p => sqlx::query(sql).bind(org.as_str()).bind(now - day * 50).execute(p).await.map(|r| r.rows_affected())).unwrap();
    delivery(&db, org.as_str(), "wd_old_done", "succeeded", now - day * 40).await;
    delivery(&db, org.as_str(), "wd_old_pending", "pending", now - day * 39).await;
    delivery(&db, org.as_str(), "wd_newest", "failed", now - day * 35).await;

    // The next hourly run is due once the clock passes the hour.
    clock.advance(TimeDelta::hours(2));
    let jobs_sql = "SELECT id FROM jobs WHERE kind = 'test.retention'";
    let gone = common::eventually(Duration::from_secs(30), || async {
        let jobs = ids(&db, jobs_sql).await;
        let keys = ids(&db, "SELECT idem_key FROM idempotency_keys").await;
        let dels = ids(&db, "SELECT id FROM webhook_deliveries").await;
        (jobs.len() == 4 && keys.len() == 1 && dels.len() == 2).then_some((jobs, keys, dels))
    })
    .await;
    let Some((jobs, keys, dels)) = gone else {
        panic!(
            "housekeeping did not finish; test jobs left: {:?}",
            ids(&db, jobs_sql).await
        );
    };
    assert_eq!(
        jobs,
        ["job_dead_8d", "job_done_6d", "job_queued_40d", "job_running_40d"]
    );
    assert_eq!(keys, ["key-1h"]);
    assert_eq!(dels, ["wd_newest", "wd_old_pending"]);
    let attempts = ids(&db, "SELECT delivery_id FROM webhook_attempts").await;
    assert_eq!(attempts, ["wd_newest", "wd_old_pending"]);
    let endpoints = ids(&db, "SELECT id FROM webhook_endpoints").await;
    assert_eq!(endpoints, ["ep_test"]);
    app.stop().await;
}
