#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Daily and weekly digests for recruiters in three time zones, with a controllable clock and the
//! real SMTP sink: one digest per local day across daylight-saving changes in both directions
//! (a 02:30 digest on the spring-forward day comes at 03:00; the repeated 01:30 of the fall-back
//! day sends one), "nothing new" only for those who asked, and a digest missed during downtime
//! sent once, late.

mod api_common;
mod common;
mod notify_support;

use api_common::{Api, sign_in};
use common::TestApp;
use notify_support::{WAIT, complete, mails, position, save_prefs, set_clock, settled, subjects};
use shortlist_app::clock::OffsetClock;
use shortlist_domain::Role;
use std::sync::Arc;

async fn recruiter(app: &TestApp, prefs: &[(&str, &str)]) -> (Api, String) {
    let api = sign_in(app, Role::Recruiter).await;
    save_prefs(app, &api, prefs).await;
    let pos = position(&api, &format!("Role of {}", &api.email[..8])).await;
    (api, pos)
}

/// Exactly these subjects reached `rcpt` (sorted), and nothing more.
async fn exactly(rcpt: &str, want: &[&str]) -> Vec<String> {
    let got = mails(rcpt, want.len()).await;
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(subjects(&got), want, "messages to {rcpt}");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_digests_in_three_time_zones_across_spring_forward() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    // Saturday 13 March 2027; New York springs forward on Sunday the 14th at 02:00.
    set_clock(&clock, "2027-03-13T12:00:00Z");
    let daily = |tz: &'static str, at: &'static str, empty: bool| {
        let mut f = vec![
            ("completions", "daily"),
            ("weekday", "0"),
            ("local_time", at),
            ("time_zone", tz),
            ("prior_invites", "1"),
        ];
        if empty {
            f.push(("send_empty", "1"));
        }
        f
    };
    let (ny, ny_pos) = recruiter(&app, &daily("America/New_York", "02:30", false)).await;
    let (berlin, berlin_pos) = recruiter(&app, &daily("Europe/Berlin", "02:30", false)).await;
    let (kolkata, _) = recruiter(&app, &daily("Asia/Kolkata", "09:00", true)).await;
    let ada = complete(&app, &ny, &ny_pos, "Ada Lovelace").await;
    complete(&app, &berlin, &berlin_pos, "Grace Hopper").await;
    complete(&app, &berlin, &berlin_pos, "Edsger Dijkstra").await;
    settled(&app, &clock).await;

    // 01:30 UTC is 02:30 in Berlin: Berlin's digest, grouped under its position.
    set_clock(&clock, "2027-03-14T03:00:00Z");
    settled(&app, &clock).await;
    let got = exactly(
        &berlin.email,
        &["Your daily Shortlist digest for Sun 14 Mar 2027: 2 completed interviews"],
    )
    .await;
    let body = &got[0];
    assert!(
        body.contains("Grace Hopper") && body.contains("Edsger Dijkstra"),
        "{body}"
    );
    assert!(body.contains(&format!("{}/interviews/inv_", app.base)), "{body}");
    assert!(body.contains("/settings/notifications"), "{body}");
    assert!(api_common::header(body, "List-Unsubscribe").is_some(), "{body}");

    // 03:30 UTC is 09:00 in Kolkata: nothing new, and Kolkata asked to hear that. New York's
    // 02:30 does not exist today; its digest waits for 03:00 EDT (07:00 UTC).
    set_clock(&clock, "2027-03-14T06:50:00Z");
    settled(&app, &clock).await;
    exactly(
        &kolkata.email,
        &["Your daily Shortlist digest for Sun 14 Mar 2027: nothing new"],
    )
    .await;
    assert!(
        common::mails_to(&ny.email, 1, std::time::Duration::ZERO)
            .await
            .is_empty()
    );
    set_clock(&clock, "2027-03-14T07:05:00Z");
    settled(&app, &clock).await;
    let got = exactly(
        &ny.email,
        &["Your daily Shortlist digest for Sun 14 Mar 2027: 1 completed interview"],
    )
    .await;
    assert!(got[0].contains("Ada Lovelace") && got[0].contains(&ada), "{}", got[0]);

    // The next day: only Kolkata (nothing new, but asked) hears anything.
    set_clock(&clock, "2027-03-15T08:00:00Z");
    settled(&app, &clock).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    exactly(
        &kolkata.email,
        &[
            "Your daily Shortlist digest for Mon 15 Mar 2027: nothing new",
            "Your daily Shortlist digest for Sun 14 Mar 2027: nothing new",
        ],
    )
    .await;
    exactly(
        &ny.email,
        &["Your daily Shortlist digest for Sun 14 Mar 2027: 1 completed interview"],
    )
    .await;
    exactly(
        &berlin.email,
        &["Your daily Shortlist digest for Sun 14 Mar 2027: 2 completed interviews"],
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_and_daily_digests_across_fall_back() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    // Saturday 30 October 2027; Berlin falls back on Sunday the 31st, New York on 7 November.
    set_clock(&clock, "2027-10-30T12:00:00Z");
    let weekly = |tz: &'static str, day: &'static str, at: &'static str, empty: bool| {
        let mut f = vec![
            ("completions", "weekly"),
            ("weekday", day),
            ("local_time", at),
            ("time_zone", tz),
        ];
        if empty {
            f.push(("send_empty", "1"));
        }
        f
    };
    let (berlin, berlin_pos) = recruiter(&app, &weekly("Europe/Berlin", "6", "02:30", false)).await;
    let (kolkata, _) = recruiter(&app, &weekly("Asia/Kolkata", "0", "09:00", true)).await;
    complete(&app, &berlin, &berlin_pos, "Grace Hopper").await;
    settled(&app, &clock).await;

    // Sunday 02:30 comes twice in Berlin (00:30 and 01:30 UTC); the first one counts.
    set_clock(&clock, "2027-10-31T01:00:00Z");
    settled(&app, &clock).await;
    exactly(
        &berlin.email,
        &["Your weekly Shortlist digest for Sun 31 Oct 2027: 1 completed interview"],
    )
    .await;
    complete(&app, &berlin, &berlin_pos, "Barbara Liskov").await;
    set_clock(&clock, "2027-10-31T02:00:00Z");
    settled(&app, &clock).await;

    // Monday 09:00 in Kolkata: an empty weekly digest, as asked. New York starts a daily one.
    set_clock(&clock, "2027-11-01T04:00:00Z");
    settled(&app, &clock).await;
    exactly(
        &kolkata.email,
        &["Your weekly Shortlist digest for Mon 1 Nov 2027: nothing new"],
    )
    .await;
    let (ny, ny_pos) = recruiter(
        &app,
        &[
            ("completions", "daily"),
            ("weekday", "0"),
            ("local_time", "01:30"),
            ("time_zone", "America/New_York"),
        ],
    )
    .await;
    complete(&app, &ny, &ny_pos, "Ada Lovelace").await;
    settled(&app, &clock).await;

    // Sunday 7 November: Berlin's next weekly digest (Liskov), and New York's 01:30 EDT digest
    // (the days the clock jumped over collapse into this one).
    set_clock(&clock, "2027-11-07T05:40:00Z");
    settled(&app, &clock).await;
    let got = exactly(
        &berlin.email,
        &[
            "Your weekly Shortlist digest for Sun 31 Oct 2027: 1 completed interview",
            "Your weekly Shortlist digest for Sun 7 Nov 2027: 1 completed interview",
        ],
    )
    .await;
    let second = got.iter().find(|m| m.contains("Sun 7 Nov")).unwrap();
    assert!(
        second.contains("Barbara Liskov") && !second.contains("Grace Hopper"),
        "{second}"
    );
    exactly(
        &ny.email,
        &["Your daily Shortlist digest for Sun 7 Nov 2027: 1 completed interview"],
    )
    .await;

    // 01:30 again (EST, 06:30 UTC): the same local date, so no second digest today.
    complete(&app, &ny, &ny_pos, "Alan Turing").await;
    set_clock(&clock, "2027-11-07T06:40:00Z");
    settled(&app, &clock).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        common::mails_to(&ny.email, 2, std::time::Duration::from_secs(1))
            .await
            .len(),
        1
    );

    set_clock(&clock, "2027-11-08T07:00:00Z");
    settled(&app, &clock).await;
    let got = exactly(
        &ny.email,
        &[
            "Your daily Shortlist digest for Mon 8 Nov 2027: 1 completed interview",
            "Your daily Shortlist digest for Sun 7 Nov 2027: 1 completed interview",
        ],
    )
    .await;
    assert!(got.iter().any(|m| m.contains("Mon 8 Nov") && m.contains("Alan Turing")));
    exactly(
        &kolkata.email,
        &[
            "Your weekly Shortlist digest for Mon 1 Nov 2027: nothing new",
            "Your weekly Shortlist digest for Mon 8 Nov 2027: nothing new",
        ],
    )
    .await;
    assert_eq!(
        common::mails_to(&berlin.email, 3, std::time::Duration::from_secs(1))
            .await
            .len(),
        2
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_missed_during_downtime_is_sent_once_late() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    set_clock(&clock, "2027-06-01T12:00:00Z");
    let (berlin, pos) = recruiter(
        &app,
        &[
            ("completions", "daily"),
            ("weekday", "0"),
            ("local_time", "08:00"),
            ("time_zone", "Europe/Berlin"),
            ("send_empty", "1"),
        ],
    )
    .await;
    let inv = complete(&app, &berlin, &pos, "Grace Hopper").await;
    // A reviewer scores her before the digest goes out: the digest carries the score.
    let (s, r) = berlin
        .post(
            &format!("/invitations/{inv}/evaluations"),
            serde_json::json!({ "ratings": [{ "question_id": "q1", "rating": 4 }] }),
        )
        .await;
    assert!(s.is_success(), "{s} {r}");
    settled(&app, &clock).await;
    let (db, data) = app.stop_keeping_data().await;

    // Down for two days: the digests of 2 and 3 June were due while nothing ran.
    set_clock(&clock, "2027-06-03T12:00:00Z");
    let app = TestApp::spawn_on_with_clock(db, data, &[], clock.clone()).await;
    settled(&app, &clock).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    settled(&app, &clock).await;
    let got = exactly(
        &berlin.email,
        &["Your daily Shortlist digest for Thu 3 Jun 2027: 1 completed interview"],
    )
    .await;
    assert!(got[0].contains("Grace Hopper"), "{}", got[0]);
    assert!(got[0].contains("score 4.0 of 5"), "{}", got[0]);
    let org = berlin.org.clone();
    let user = shortlist_store::users::list(&app.app.db, &org).await.unwrap()[0]
        .id
        .clone();
    let digests = shortlist_store::notify::digests(&app.app.db, &org, &shortlist_domain::UserId::parse(&user).unwrap())
        .await
        .unwrap();
    assert_eq!(
        digests
            .iter()
            .map(|d| (d.local_date.as_str(), d.items))
            .collect::<Vec<_>>(),
        [("2027-06-03", 1)]
    );
    let _ = WAIT;
    app.stop().await;
}
