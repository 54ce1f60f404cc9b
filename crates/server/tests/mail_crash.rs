//! Fault test: invitation e-mails go out while the worker process is SIGKILLed again and again.
//! Counted from what the SMTP sink received: every candidate gets the invitation, and when a
//! kill between "handed to SMTP" and "recorded" makes a second copy, it carries the same
//! Message-ID as the first (so receiving servers and mail programs can drop it).
//! Kills are aimed at busy moments (just after a send was recorded, when the other slots are
//! mid-send too), so the duplicate rate printed is a worst case, not a production estimate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{candidate_email, header, sign_in};
use common::TestApp;
use common::process::Proc;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;
use shortlist_store::Db;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const ROUNDS: usize = 8;
const PER_ROUND: usize = 25;

async fn scalar(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

async fn mails_done(db: &Db) -> i64 {
    scalar(
        db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'invitation.email' AND unique_key LIKE '%/invitation' AND state = 'done'",
    )
    .await
}

/// Every message the sink holds for these recipients, read once: recipient -> raw messages.
fn received(rcpts: &HashSet<String>) -> HashMap<String, Vec<String>> {
    let dir = std::env::var("TEST_MAILDIR").expect("TEST_MAILDIR (run scripts/test-services)");
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_default()).unwrap_or_default();
        for to in meta["rcpt_tos"].as_array().cloned().unwrap_or_default() {
            let to = to.as_str().unwrap_or_default().to_string();
            if rcpts.contains(&to)
                && let Ok(eml) = std::fs::read_to_string(p.with_extension("eml"))
            {
                out.entry(to).or_default().push(eml);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_send_each_invitation_with_one_message_id() {
    // HTTP only in this process; the e-mails are sent by a separate worker process we kill.
    let app = TestApp::spawn_with(&["--no-worker"]).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = api.ready_position("Support engineer").await;
    let smtp = std::env::var("TEST_SMTP_URL").expect("TEST_SMTP_URL (run scripts/test-services)");
    let mut args = common::base_args(&app.db, app.data.path());
    args.extend(
        [
            "serve",
            "--worker-only",
            "--public-url",
            &app.base,
            "--smtp-url",
            &smtp,
            "--worker-concurrency",
            "4",
            "--job-lease-secs",
            "1",
            "--job-poll-ms",
            "50",
        ]
        .map(String::from),
    );
    let log = app.data.path().join("workers.log");
    let db = Db::connect(&app.db.url).await.unwrap();
    let started = Instant::now();

    let mut rcpts = HashSet::new();
    let mut kills_mid_send = 0;
    for round in 0..ROUNDS {
        for i in 0..PER_ROUND {
            let to = candidate_email(&format!("c{round}x{i}"));
            let (s, r) = api.invite(&pos, json!({ "email": to, "name": "Crash Test" })).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            rcpts.insert(to);
        }
        let before = mails_done(&db).await;
        let mut w = Proc::start(&args, &log);
        // Kill once sending is under way (the first e-mail of this round recorded), at a random
        // moment within the next few sends.
        // (A tight poll: a round's e-mails take only a few hundred milliseconds.)
        let wait_from = Instant::now();
        while mails_done(&db).await == before {
            assert!(
                wait_from.elapsed() < Duration::from_secs(30),
                "the worker sent nothing:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(rand::rng().random_range(0..60))).await;
        w.kill();
        if (mails_done(&db).await as usize) < rcpts.len() {
            kills_mid_send += 1;
        }
    }

    // A last worker, left alone, sends the rest (killed jobs return after their 1 s lease).
    let _last = Proc::start(&args, &log);
    let total = rcpts.len() as i64;
    let drained = common::eventually(Duration::from_secs(60), || async {
        (mails_done(&db).await == total).then_some(())
    })
    .await;
    assert!(
        drained.is_some(),
        "only {} of {total} invitation e-mails recorded\n{}",
        mails_done(&db).await,
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let undelivered = scalar(
        &db,
        "SELECT COUNT(*) FROM invitations WHERE delivery <> 'sent' OR state <> 'sent'",
    )
    .await;
    let second_attempts = scalar(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'invitation.email' AND unique_key LIKE '%/invitation' AND attempts > 1",
    )
    .await;
    let extra_attempts = scalar(
        &db,
        "SELECT COALESCE(SUM(attempts - 1), 0) FROM jobs WHERE kind = 'invitation.email' AND unique_key LIKE '%/invitation'",
    )
    .await;

    // Durable evidence: what the SMTP sink received (every message was recorded before its job
    // was, so nothing more is on its way).
    let got = received(&rcpts);
    let mut messages = 0;
    let mut second_copies = 0;
    let mut split_ids = vec![];
    for to in &rcpts {
        let mails = got.get(to).cloned().unwrap_or_default();
        messages += mails.len();
        second_copies += mails.len().saturating_sub(1);
        let ids: HashSet<String> = mails
            .iter()
            .map(|m| header(m, "Message-ID").unwrap_or_default())
            .collect();
        if ids.len() > 1 {
            split_ids.push(format!("{to}: {ids:?}"));
        }
    }
    let missing: Vec<&String> = rcpts.iter().filter(|to| !got.contains_key(*to)).collect();
    let n = rcpts.len();
    println!(
        "backend={} candidates={n} messages={messages} second_copies={second_copies} rate={:.2}% \
         kills={ROUNDS} kills_mid_send={kills_mid_send} second_attempts={second_attempts} ({:.2}%) \
         extra_attempts={extra_attempts} \
         copies_with_another_message_id={} elapsed={:.1}s",
        common::backend(),
        100.0 * second_copies as f64 / n as f64,
        100.0 * second_attempts as f64 / n as f64,
        split_ids.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(missing.is_empty(), "candidates without an invitation: {missing:?}");
    assert!(
        split_ids.is_empty(),
        "copies of one invitation with different Message-IDs: {split_ids:#?}"
    );
    assert_eq!(undelivered, 0, "every invitation records its e-mail as sent");
    // A copy needs another attempt; a kill can only interrupt the sends its worker had in flight.
    assert!(
        second_copies as i64 <= extra_attempts,
        "{second_copies} second copies from {extra_attempts} extra attempts"
    );
    assert!(
        second_copies <= ROUNDS * 4,
        "{second_copies} second copies from {ROUNDS} kills"
    );
}
