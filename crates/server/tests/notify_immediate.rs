#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Immediate completion e-mails to the position's owner and its followers, the one-click
//! unsubscribe link (RFC 8058 POST, without signing in) with its headers, and the preferences
//! form refusing what it cannot use.

mod api_common;
mod common;
mod notify_support;

use api_common::{Api, PASSWORD, header, sign_in};
use common::{TestApp, client};
use notify_support::{complete, csrf_in, mails, position, settled};
use reqwest::StatusCode;
use shortlist_app::clock::OffsetClock;
use shortlist_domain::Role;
use std::sync::Arc;
use std::time::Duration;

async fn colleague(app: &TestApp, of: &Api) -> Api {
    let email = format!("colleague-{}@test.shortlist.localhost", api_common::unique());
    app.app
        .accounts
        .create_user(&of.org, &email, "Col League", Role::Recruiter, Some(PASSWORD))
        .await
        .unwrap();
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    Api {
        base: of.base.clone(),
        c,
        email,
        org: of.org.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_and_followers_hear_at_once_and_can_unsubscribe_in_one_click() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let owner = sign_in(&app, Role::Recruiter).await;
    let pos = position(&owner, "Site Reliability Engineer").await;
    let col = colleague(&app, &owner).await;

    // The colleague follows the position from the preferences page.
    let page = col
        .c
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Follow Site Reliability Engineer"), "{page}");
    let form = [
        ("csrf", csrf_in(&page)),
        ("position_id", pos.clone()),
        ("follow", "1".into()),
    ];
    let r = col
        .c
        .post(app.url("/settings/notifications/follow"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = col
        .c
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Unfollow Site Reliability Engineer"), "{page}");

    let id = complete(&app, &owner, &pos, "Ada Lovelace").await;
    let to_owner = mails(&owner.email, 1).await;
    let to_col = mails(&col.email, 1).await;
    for m in [&to_owner[0], &to_col[0]] {
        assert_eq!(
            header(m, "Subject").unwrap(),
            "Ada Lovelace completed the interview for Site Reliability Engineer"
        );
        assert!(m.contains(&format!("{}/interviews/{id}/", app.base)), "{m}");
        assert!(m.contains(&format!("{}/settings/notifications", app.base)), "{m}");
        assert_eq!(
            header(m, "List-Unsubscribe-Post").unwrap(),
            "List-Unsubscribe=One-Click"
        );
    }

    // The colleague's link: opening it asks first and changes nothing; the one-click POST a mail
    // program sends (no cookies) switches completion e-mails off.
    let link = header(&to_col[0], "List-Unsubscribe").unwrap();
    let link = link.trim_start_matches('<').trim_end_matches('>').to_string();
    assert!(
        link.starts_with(&format!("{}/notifications/unsubscribe/", app.base)),
        "{link}"
    );
    let anon = client();
    let r = anon.get(&link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Stop these e-mails?"));
    let r = anon
        .post(&link)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("You will no longer get e-mails about completed interviews")
    );
    let forged = format!("{}x", &link[..link.len() - 1]);
    assert_eq!(anon.post(&forged).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let page = col
        .c
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"off\" checked"), "{page}");

    // Next completion: the owner hears again, the colleague does not.
    complete(&app, &owner, &pos, "Grace Hopper").await;
    assert_eq!(mails(&owner.email, 2).await.len(), 2);
    settled(&app, &clock).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(common::mails_to(&col.email, 2, Duration::from_secs(1)).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_preferences_form_names_what_is_wrong() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let page = api
        .c
        .get(app.url("/settings/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("completions", "hourly"),
        ("weekday", "9"),
        ("local_time", "25:00"),
        ("time_zone", "Mars/Olympus_Mons"),
    ];
    let r = api
        .c
        .post(app.url("/settings/notifications"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for msg in [
        "choose immediately, daily, weekly or off",
        "choose a day of the week",
        "a time of day like 08:00",
        "an IANA time zone such as Europe/Berlin",
    ] {
        assert!(html.contains(msg), "{msg}: {html}");
    }
    let r = api
        .c
        .post(app.url("/settings/notifications"))
        .form(&[("csrf", "wrong"), ("completions", "off")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}
