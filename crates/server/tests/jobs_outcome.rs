//! Fault test: a job ran, but writing its outcome failed. A trigger in the database refuses the
//! `running -> done` update of the marker jobs (the recording itself fails, as with a dropped
//! connection, while claims and heartbeats still work). The job must not stay `running` for as
//! long as the process lives: either a retry records it once the database accepts the write
//! again, or its lease lapses and the normal claim path runs it again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use shortlist_app::jobs::diag_marker_prefix;
use shortlist_domain::JobId;
use shortlist_store::Db;
use shortlist_store::jobs::{self, Enqueued, JobRow, NewJob};
use std::time::Duration;

const REFUSE_SQLITE: &str = "CREATE TRIGGER refuse_done BEFORE UPDATE OF state ON jobs FOR EACH ROW \
     WHEN NEW.state = 'done' AND OLD.kind = 'diag.marker' \
     BEGIN SELECT RAISE(ABORT, 'injected: recording the outcome refused'); END";
const REFUSE_PG_FN: &str = "CREATE FUNCTION refuse_done() RETURNS trigger LANGUAGE plpgsql AS \
     $$ BEGIN RAISE EXCEPTION 'injected: recording the outcome refused'; END $$";
const REFUSE_PG: &str = "CREATE TRIGGER refuse_done BEFORE UPDATE ON jobs FOR EACH ROW \
     WHEN (NEW.state = 'done' AND OLD.kind = 'diag.marker') EXECUTE FUNCTION refuse_done()";

/// Makes every attempt to record a marker job as done fail, until [`allow_done`].
async fn refuse_done(db: &Db) {
    match db {
        Db::Sqlite(p) => {
            sqlx::query(REFUSE_SQLITE).execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            sqlx::query(REFUSE_PG_FN).execute(p).await.unwrap();
            sqlx::query(REFUSE_PG).execute(p).await.unwrap();
        }
    }
}

async fn allow_done(db: &Db) {
    match db {
        Db::Sqlite(p) => {
            sqlx::query("DROP TRIGGER refuse_done").execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            sqlx::query("DROP TRIGGER refuse_done ON jobs")
                .execute(p)
                .await
                .unwrap();
        }
    }
}

async fn enqueue_marker(db: &Db) -> JobId {
    let job = NewJob::new("diag.marker", serde_json::json!({ "n": 1 }));
    match jobs::enqueue_many(db, &[job]).await.unwrap().pop().unwrap() {
        Enqueued::Created(id) => id,
        Enqueued::Duplicate => panic!("unexpected duplicate"),
    }
}

async fn row(db: &Db, id: &JobId) -> JobRow {
    jobs::get(db, id).await.unwrap().unwrap()
}

/// Executions of the job, counted from the marker objects its handler wrote.
async fn runs(app: &common::TestApp, id: &JobId) -> usize {
    app.app
        .media
        .list(&diag_marker_prefix(id.as_str()))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_that_failed_to_record_is_recorded_by_a_retry() {
    let app = common::TestApp::spawn_with(&["--job-lease-secs", "3"]).await;
    // A pool of the test's own: the trigger is made and dropped beside the server's connections.
    let db = Db::connect(&app.db.url).await.unwrap();
    refuse_done(&db).await;
    let id = enqueue_marker(&db).await;
    let ran = common::eventually(Duration::from_secs(20), || async {
        (runs(&app, &id).await > 0).then_some(())
    })
    .await;
    assert!(ran.is_some(), "the job never ran: {:?}", row(&db, &id).await);
    // The handler has returned; give the worker a moment to meet the refusal (a failed write
    // leaves nothing in the database to poll for).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let meanwhile = row(&db, &id).await;
    assert_eq!(meanwhile.state, "running", "the outcome could not be written yet");
    allow_done(&db).await;

    // Well within one lease (3 s): recorded by a retry of the same attempt, not by running again.
    let done = common::eventually(Duration::from_secs(3), || async {
        let r = row(&db, &id).await;
        (r.state == "done").then_some(r)
    })
    .await;
    let after = row(&db, &id).await;
    println!(
        "backend={} state={} attempts={} runs={} locked_until_before={:?} locked_until_now={:?}",
        common::backend(),
        after.state,
        after.attempts,
        runs(&app, &id).await,
        meanwhile.locked_until,
        after.locked_until
    );
    let done = done.unwrap_or_else(|| {
        panic!(
            "the job stayed {} after the database accepted writes again",
            after.state
        )
    });
    assert_eq!(done.attempts, 1, "recorded by the attempt that ran it");
    assert_eq!(runs(&app, &id).await, 1, "the job ran once");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_that_cannot_be_recorded_lets_the_lease_lapse() {
    let app = common::TestApp::spawn_with(&["--job-lease-secs", "1"]).await;
    let db = Db::connect(&app.db.url).await.unwrap();
    refuse_done(&db).await;
    let id = enqueue_marker(&db).await;

    // The heartbeat must not keep a finished job's lease alive: it lapses and the job is claimed
    // again (attempt 2) while this process still runs.
    let reclaimed = common::eventually(Duration::from_secs(15), || async {
        let r = row(&db, &id).await;
        (r.attempts >= 2).then_some(r)
    })
    .await;
    let seen = row(&db, &id).await;
    println!(
        "backend={} state={} attempts={} runs={} locked_until={:?}",
        common::backend(),
        seen.state,
        seen.attempts,
        runs(&app, &id).await,
        seen.locked_until
    );
    assert!(
        reclaimed.is_some(),
        "the job stayed {} on attempt {} with its lease renewed to {:?}",
        seen.state,
        seen.attempts,
        seen.locked_until
    );

    allow_done(&db).await;
    let done = common::eventually(Duration::from_secs(15), || async {
        let r = row(&db, &id).await;
        (r.state == "done").then_some(r)
    })
    .await;
    let Some(done) = done else {
        panic!("never recorded: {:?}", row(&db, &id).await);
    };
    assert!(done.attempts >= 2);
    assert_eq!(
        runs(&app, &id).await,
        done.attempts as usize,
        "each attempt ran the handler once"
    );
    app.stop().await;
}
