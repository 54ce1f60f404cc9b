//! The two places an invitation e-mail job can be interrupted after the SMTP server took the
//! message, made to fail on purpose with a database trigger (deterministic versions of what a
//! SIGKILL does in mail_crash.rs):
//! - after "sent" was recorded with the invitation, before the job's own outcome: the next
//!   attempt must send nothing;
//! - before "sent" could be recorded: the next attempt re-sends, with the same Message-ID, and
//!   counts it in `shortlist_email_resends_total`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{Api, candidate_email, header, sign_in};
use common::{TestApp, mails_to};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_domain::Role;
use shortlist_store::Db;
use std::collections::HashSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// A trigger `name` that makes updates of `table` fail when `when` holds (SQL over OLD/NEW).
async fn refuse(db: &Db, name: &str, table: &str, column: &str, when: &str) {
    match db {
        Db::Sqlite(p) => {
            let sql = format!(
                "CREATE TRIGGER {name} BEFORE UPDATE OF {column} ON {table} FOR EACH ROW WHEN {when} \
                 BEGIN SELECT RAISE(ABORT, 'injected: {name}'); END"
            );
            sqlx::query(&sql).execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            let f = format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected: {name}'; END $$"
            );
            sqlx::query(&f).execute(p).await.unwrap();
            let t = format!(
                "CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {name}()"
            );
            sqlx::query(&t).execute(p).await.unwrap();
        }
    }
}

async fn allow(db: &Db, name: &str, table: &str) {
    let sql = match db {
        Db::Sqlite(_) => format!("DROP TRIGGER {name}"),
        Db::Postgres(_) => format!("DROP TRIGGER {name} ON {table}"),
    };
    match db {
        Db::Sqlite(p) => {
            sqlx::query(&sql).execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            sqlx::query(&sql).execute(p).await.unwrap();
        }
    }
}

/// (state, attempts) of the invitation's e-mail job.
async fn mail_job(db: &Db, invitation: &str) -> (String, i32) {
    let sql = "SELECT state, attempts FROM jobs WHERE kind = 'invitation.email' AND unique_key = $1";
    let key = format!("{invitation}/invitation");
    match db {
        Db::Sqlite(p) => sqlx::query_as(sql).bind(key).fetch_one(p).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql).bind(key).fetch_one(p).await.unwrap(),
    }
}

async fn invite(api: &Api, to: &str) -> String {
    let pos = api.ready_position("Data analyst").await;
    let (s, r) = api.invite(&pos, json!({ "email": to, "name": "Grace" })).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r["invitation"]["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_sent_was_recorded_sends_nothing() {
    let app = TestApp::spawn_with(&["--job-lease-secs", "1"]).await;
    let db = Db::connect(&app.db.url).await.unwrap();
    // The job's outcome cannot be written, so its lease lapses and it runs again.
    refuse(
        &db,
        "refuse_mail_done",
        "jobs",
        "state",
        "NEW.state = 'done' AND OLD.kind = 'invitation.email'",
    )
    .await;
    let api = sign_in(&app, Role::Recruiter).await;
    let to = candidate_email("grace");
    let id = invite(&api, &to).await;
    let again = common::eventually(WAIT, || async { (mail_job(&db, &id).await.1 >= 2).then_some(()) }).await;
    assert!(
        again.is_some(),
        "the job never ran again: {:?}",
        mail_job(&db, &id).await
    );
    allow(&db, "refuse_mail_done", "jobs").await;
    let done = common::eventually(WAIT, || async {
        let j = mail_job(&db, &id).await;
        (j.0 == "done").then_some(j)
    })
    .await;
    let Some((_, attempts)) = done else {
        panic!("never done: {:?}", mail_job(&db, &id).await);
    };
    let mails = mails_to(&to, 0, Duration::ZERO).await;
    println!(
        "backend={} attempts={attempts} messages={}",
        common::backend(),
        mails.len()
    );
    assert!(attempts >= 2);
    assert_eq!(mails.len(), 1, "the later attempts found the e-mail recorded as sent");
    let v = api.invitation(&id).await;
    assert_eq!(
        (v["state"].as_str(), v["delivery"].as_str()),
        (Some("sent"), Some("sent"))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_before_sent_was_recorded_resends_with_the_same_message_id() {
    let app = TestApp::spawn_with(&["--job-retry-base-secs", "0.05"]).await;
    let db = Db::connect(&app.db.url).await.unwrap();
    // The message goes out, then recording it with the invitation fails: the job is retried.
    refuse(
        &db,
        "refuse_delivery_sent",
        "invitations",
        "delivery",
        "NEW.delivery = 'sent'",
    )
    .await;
    let api = sign_in(&app, Role::Recruiter).await;
    let to = candidate_email("ada");
    let id = invite(&api, &to).await;
    let two = mails_to(&to, 2, WAIT).await;
    assert!(two.len() >= 2, "the e-mail was not sent again: {}", two.len());
    allow(&db, "refuse_delivery_sent", "invitations").await;
    let done = common::eventually(WAIT, || async {
        let j = mail_job(&db, &id).await;
        (j.0 == "done").then_some(j)
    })
    .await;
    assert!(done.is_some(), "never done: {:?}", mail_job(&db, &id).await);

    let mails = mails_to(&to, 0, Duration::ZERO).await;
    let ids: HashSet<String> = mails.iter().map(|m| header(m, "Message-ID").unwrap()).collect();
    let metrics = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    let resends = metrics
        .lines()
        .find(|l| l.starts_with("shortlist_email_resends_total{kind=\"invitation.email\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    println!(
        "backend={} messages={} message_ids={ids:?} resends_counted={resends}",
        common::backend(),
        mails.len()
    );
    assert_eq!(ids.len(), 1, "every copy has the same Message-ID");
    assert_eq!(resends, mails.len() - 1, "each copy after the first is counted");
    let v = api.invitation(&id).await;
    assert_eq!(
        (v["state"].as_str(), v["delivery"].as_str()),
        (Some("sent"), Some("sent"))
    );
    app.stop().await;
}
