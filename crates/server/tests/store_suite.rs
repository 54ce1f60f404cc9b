//! The storage suite: the same assertions on SQLite and PostgreSQL (TEST_BACKEND picks one;
//! scripts/test runs both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::TimeDelta;
use common::TestDb;
use shortlist_domain::{Email, JobId, OrgId, Role, Slug};
use shortlist_store::jobs::{self, ClaimedJob, Enqueued, NewJob};
use shortlist_store::{Db, orgs, users};
use std::collections::HashSet;

async fn db() -> (Db, TestDb) {
    let t = TestDb::fresh().await;
    let db = Db::connect(&t.url).await.unwrap();
    db.migrate().await.unwrap();
    (db, t)
}

async fn org(db: &Db, slug: &str) -> OrgId {
    orgs::create(db, &Slug::parse(slug).unwrap(), slug, false)
        .await
        .unwrap()
        .unwrap()
        .org_id()
        .unwrap()
}

fn job(n: usize) -> NewJob {
    NewJob::new("test.kind", serde_json::json!({ "n": n }))
}

#[tokio::test]
async fn migrations_are_idempotent_and_reported_current() {
    let (db, _t) = db().await;
    db.migrate().await.unwrap();
    assert!(db.migrations_current().await.unwrap());
    let expected = if common::backend() == "postgres" {
        "Postgres"
    } else {
        "Sqlite"
    };
    assert_eq!(
        format!("{:?}", db.backend()),
        expected,
        "the suite must run on the backend it claims"
    );
}

#[tokio::test]
async fn users_are_scoped_to_their_organisation() {
    let (db, _t) = db().await;
    let (a, b) = (org(&db, "org-a").await, org(&db, "org-b").await);
    let email = Email::parse("Sam@Example.org").unwrap();
    let new = || users::NewUser {
        email: &email,
        name: "Sam",
        role: Role::Recruiter,
        password_hash: "x",
    };
    let id = users::create(&db, &a, new()).await.unwrap().unwrap();
    assert!(
        users::create(&db, &b, new()).await.unwrap().is_none(),
        "e-mail is unique"
    );
    assert!(users::get(&db, &a, &id).await.unwrap().is_some());
    assert!(
        users::get(&db, &b, &id).await.unwrap().is_none(),
        "another org must not see the user"
    );
    assert!(users::find_by_email(&db, &b, &email).await.unwrap().is_none());
    let found = users::find_for_login(&db, &Email::parse(" sam@EXAMPLE.org ").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id.to_string());
    assert!(
        orgs::create(&db, &Slug::parse("org-a").unwrap(), "dup", false)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn timestamps_round_trip_and_order_the_same_on_both_backends() {
    let (db, _t) = db().await;
    let base = shortlist_store::now();
    let mut jobs_in = vec![];
    for (i, micros) in [0i64, 500_000, 1, 999_999, 1_000_000].iter().enumerate() {
        let mut j = job(i);
        j.run_at = Some(base + TimeDelta::microseconds(*micros));
        jobs_in.push(j);
    }
    jobs::enqueue_many(&db, &jobs_in).await.unwrap();
    let claimed = jobs::claim(
        &db,
        "w",
        10,
        base + TimeDelta::seconds(5),
        base + TimeDelta::seconds(60),
    )
    .await
    .unwrap();
    assert_eq!(claimed.len(), 5);
    let mut rows = vec![];
    for c in &claimed {
        rows.push(jobs::get(&db, &JobId::parse(&c.id).unwrap()).await.unwrap().unwrap());
    }
    rows.sort_by_key(|r| r.run_at);
    let offsets: Vec<i64> = rows
        .iter()
        .map(|r| (r.run_at - base).num_microseconds().unwrap())
        .collect();
    assert_eq!(offsets, vec![0, 1, 500_000, 999_999, 1_000_000]);
    // Only due jobs are claimed: one due exactly now, one a microsecond later.
    let (db2, _t2) = self::db().await;
    let mut due = job(1);
    due.run_at = Some(base);
    let mut later = job(2);
    later.run_at = Some(base + TimeDelta::microseconds(1));
    jobs::enqueue_many(&db2, &[due, later]).await.unwrap();
    let got = jobs::claim(&db2, "w", 10, base, base + TimeDelta::seconds(60))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn a_unique_job_is_enqueued_once_even_under_concurrency() {
    let (db, _t) = db().await;
    let mut tasks = vec![];
    for _ in 0..10 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut created = 0;
            for _ in 0..20 {
                let mut tx = db.begin().await.unwrap();
                if let Enqueued::Created(_) = jobs::enqueue(&mut tx, &job(0).unique("inv_1/send")).await.unwrap() {
                    created += 1;
                }
                tx.commit().await.unwrap();
            }
            created
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += t.await.unwrap();
    }
    assert_eq!(created, 1);
    let counts = jobs::counts(&db).await.unwrap();
    assert_eq!(counts, vec![("queued".to_string(), 1)]);
}

#[tokio::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_does_not_exist() {
    let (db, _t) = db().await;
    let mut tx = db.begin().await.unwrap();
    jobs::enqueue(&mut tx, &job(1)).await.unwrap();
    drop(tx); // rollback
    assert!(jobs::counts(&db).await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_claimers_never_share_a_job() {
    let (db, _t) = db().await;
    let batch: Vec<NewJob> = (0..300).map(job).collect();
    jobs::enqueue_many(&db, &batch).await.unwrap();
    let mut tasks = vec![];
    for w in 0..4 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = vec![];
            loop {
                let now = shortlist_store::now();
                let got = jobs::claim(&db, &format!("w{w}"), 7, now, now + TimeDelta::seconds(60))
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                for j in got {
                    assert!(
                        jobs::complete(&db, &j, &format!("w{w}"), shortlist_store::now())
                            .await
                            .unwrap()
                    );
                    mine.push(j.id);
                }
            }
        }));
    }
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 300, "every job claimed once");
    assert_eq!(unique.len(), 300);
    assert_eq!(jobs::counts(&db).await.unwrap(), vec![("done".to_string(), 300)]);
}

async fn claim_one(db: &Db, worker: &str, at: chrono::DateTime<chrono::Utc>, lease_secs: i64) -> Option<ClaimedJob> {
    jobs::claim(db, worker, 1, at, at + TimeDelta::seconds(lease_secs))
        .await
        .unwrap()
        .pop()
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_and_the_old_worker_is_fenced_out() {
    let (db, _t) = db().await;
    jobs::enqueue_many(&db, &[job(1)]).await.unwrap();
    let t0 = shortlist_store::now();
    let first = claim_one(&db, "a", t0, 10).await.unwrap();
    assert_eq!(first.attempts, 1);
    assert!(
        claim_one(&db, "b", t0 + TimeDelta::seconds(5), 10).await.is_none(),
        "lease still held"
    );
    let second = claim_one(&db, "b", t0 + TimeDelta::seconds(11), 10)
        .await
        .expect("expired lease is claimable");
    assert_eq!(second.attempts, 2);
    assert!(
        !jobs::complete(&db, &first, "a", t0).await.unwrap(),
        "stale worker cannot complete"
    );
    assert!(
        !jobs::fail(&db, &first, "a", t0, "late", None).await.unwrap(),
        "nor fail it"
    );
    assert!(jobs::complete(&db, &second, "b", t0).await.unwrap());
    let row = jobs::get(&db, &JobId::parse(&second.id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("done", 2));
}

#[tokio::test]
async fn failures_retry_later_then_die_and_an_operator_can_retry() {
    let (db, _t) = db().await;
    jobs::enqueue_many(&db, &[job(1).max_attempts(2)]).await.unwrap();
    let t0 = shortlist_store::now();
    let a1 = claim_one(&db, "w", t0, 10).await.unwrap();
    let retry_at = t0 + TimeDelta::seconds(30);
    assert!(jobs::fail(&db, &a1, "w", t0, "boom 1", Some(retry_at)).await.unwrap());
    assert!(
        claim_one(&db, "w", t0 + TimeDelta::seconds(29), 10).await.is_none(),
        "not before its retry time"
    );
    let a2 = claim_one(&db, "w", retry_at, 10).await.unwrap();
    assert!(jobs::fail(&db, &a2, "w", retry_at, "boom 2", None).await.unwrap());
    let id = JobId::parse(&a2.id).unwrap();
    let row = jobs::get(&db, &id).await.unwrap().unwrap();
    assert_eq!(row.state, "dead");
    assert_eq!(row.last_error.as_deref(), Some("boom 2"));
    let dead = jobs::list_by_state(&db, "dead", 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        claim_one(&db, "w", retry_at + TimeDelta::days(1), 10).await.is_none(),
        "dead jobs are not claimed"
    );
    assert!(jobs::retry_dead(&db, &id, retry_at).await.unwrap());
    assert!(
        !jobs::retry_dead(&db, &id, retry_at).await.unwrap(),
        "only a dead job can be retried"
    );
    let again = claim_one(&db, "w", retry_at, 10).await.unwrap();
    assert_eq!(again.attempts, 1, "a retried job gets a fresh budget");
}

#[tokio::test]
async fn a_lease_lost_on_the_last_attempt_is_buried_with_a_reason() {
    let (db, _t) = db().await;
    jobs::enqueue_many(&db, &[job(1).max_attempts(1)]).await.unwrap();
    let t0 = shortlist_store::now();
    claim_one(&db, "w", t0, 10).await.unwrap();
    assert!(
        claim_one(&db, "v", t0 + TimeDelta::seconds(11), 10).await.is_none(),
        "no attempts left"
    );
    assert_eq!(
        jobs::bury_expired(&db, t0 + TimeDelta::seconds(5)).await.unwrap(),
        0,
        "lease still valid"
    );
    assert_eq!(jobs::bury_expired(&db, t0 + TimeDelta::seconds(11)).await.unwrap(), 1);
    let row = jobs::list_by_state(&db, "dead", 10).await.unwrap().pop().unwrap();
    assert!(row.last_error.unwrap().contains("lease expired"));
}

#[tokio::test]
async fn heartbeat_extends_only_the_workers_own_leases_and_release_requeues() {
    let (db, _t) = db().await;
    jobs::enqueue_many(&db, &[job(1), job(2)]).await.unwrap();
    let t0 = shortlist_store::now();
    let mine = claim_one(&db, "a", t0, 10).await.unwrap();
    let theirs = claim_one(&db, "b", t0, 10).await.unwrap();
    assert_eq!(
        jobs::heartbeat(
            &db,
            "a",
            &[mine.id.clone(), theirs.id.clone()],
            t0,
            t0 + TimeDelta::seconds(100)
        )
        .await
        .unwrap(),
        1
    );
    let reclaimed = jobs::claim(&db, "c", 10, t0 + TimeDelta::seconds(50), t0 + TimeDelta::seconds(60))
        .await
        .unwrap();
    assert_eq!(reclaimed.len(), 1);
    assert_eq!(reclaimed[0].id, theirs.id, "only the job without a heartbeat came back");
    assert!(jobs::release(&db, &mine, "a", t0).await.unwrap());
    let back = claim_one(&db, "d", t0, 10).await.unwrap();
    assert_eq!(back.id, mine.id);
}
