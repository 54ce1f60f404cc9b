#![allow(clippy::unwrap_used, clippy::expect_used)]
//! "You started but did not finish": a day after starting, a candidate who is still in the middle
//! gets one reminder with their link; one who completed or whose invitation was cancelled gets
//! none (the state is checked when the reminder runs); it is written in the interview's language.

mod api_common;
mod common;
mod notify_support;

use api_common::{Api, candidate_email, header, sign_in};
use common::{TestApp, client, mails_to};
use notify_support::{mails, position, settled};
use reqwest::StatusCode;
use serde_json::json;
use shortlist_app::clock::OffsetClock;
use shortlist_domain::Role;
use std::sync::Arc;
use std::time::Duration;

/// Invites a candidate who opens the link and consents (the interview is `started`).
async fn started(app: &TestApp, api: &Api, pos: &str) -> (String, String, String) {
    let email = candidate_email("unfinished");
    let (s, r) = api.invite(pos, json!({ "email": email, "name": "Kim" })).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["invitation"]["id"].as_str().unwrap().to_string();
    let url = r["invitation"]["candidate_url"].as_str().unwrap().to_string();
    let path = format!("/i/{}", url.rsplit_once("/i/").unwrap().1);
    let r = client()
        .post(app.url(&format!("{path}/consent")))
        .form(&[("consent", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    (id, email, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_candidates_still_in_the_middle_are_reminded_once() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let pos = position(&api, "Support Engineer").await;
    let (_, waiting, path) = started(&app, &api, &pos).await;
    let (_, finished, done_path) = started(&app, &api, &pos).await;
    let (cancel_id, cancelled, _) = started(&app, &api, &pos).await;
    for (step, form) in [("q/q1", vec![("text", "Done.")]), ("complete", vec![])] {
        let r = client()
            .post(app.url(&format!("{done_path}/{step}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (s, c) = api.post(&format!("/invitations/{cancel_id}/cancel"), json!({})).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("cancelled")));
    for who in [&waiting, &finished, &cancelled] {
        assert_eq!(
            mails_to(who, 1, Duration::from_secs(30)).await.len(),
            1,
            "invitation to {who}"
        );
    }
    settled(&app, &clock).await;

    clock.advance(chrono::TimeDelta::hours(25));
    settled(&app, &clock).await;
    let got = mails(&waiting, 2).await;
    let reminder = got
        .iter()
        .find(|m| header(m, "Subject").unwrap() == "You have not finished your interview for Support Engineer")
        .expect("the reminder");
    assert!(reminder.contains(&format!("{}{path}", app.base)), "{reminder}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        mails_to(&waiting, 3, Duration::from_secs(1)).await.len(),
        2,
        "one reminder only"
    );
    assert_eq!(
        mails_to(&finished, 2, Duration::from_secs(1)).await.len(),
        1,
        "completed: none"
    );
    assert_eq!(
        mails_to(&cancelled, 2, Duration::from_secs(1)).await.len(),
        1,
        "cancelled: none"
    );
    app.stop().await;
}

/// The reminder is in the language the candidate sees the interview in: the one they picked on
/// its pages (`?lang=es`), else the template's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_is_in_the_interview_language() {
    let clock = Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let english = position(&api, "Soporte").await;
    let spec = json!({
        "name": "Corta",
        "locale": "es",
        "questions": [{ "id": "q1", "kind": "text", "prompt": "¿Por qué este puesto?" }]
    });
    let tpl = api.template(&format!("es-{}", api_common::unique()), spec).await;
    let spanish = api.position("Almacén", &[&tpl]).await;
    let mut expected = vec![];
    for (pos, title, pick) in [(&english, "Soporte", true), (&spanish, "Almacén", false)] {
        let email = candidate_email("pendiente");
        let (s, r) = api.invite(pos, json!({ "email": email, "name": "Lucía" })).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let url = r["invitation"]["candidate_url"].as_str().unwrap().to_string();
        let path = format!("/i/{}", url.rsplit_once("/i/").unwrap().1);
        let c = client();
        if pick {
            let page = c.get(app.url(&format!("{path}?lang=es"))).send().await.unwrap();
            assert!(page.text().await.unwrap().contains("<html lang=\"es\">"));
        }
        let r = c
            .post(app.url(&format!("{path}/consent")))
            .form(&[("consent", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(mails_to(&email, 1, Duration::from_secs(30)).await.len(), 1);
        expected.push((email, title, path));
    }
    settled(&app, &clock).await;

    clock.advance(chrono::TimeDelta::hours(25));
    settled(&app, &clock).await;
    for (email, title, path) in expected {
        // Raw, so the encoded subject is read before the body's quoted-printable is undone.
        let got = mails_to(&email, 2, Duration::from_secs(30)).await;
        let subject = format!("Aún no has terminado tu entrevista para {title}");
        let reminder = got
            .iter()
            .find(|m| header(m, "Subject").is_some_and(|s| decode_subject(&s) == subject))
            .unwrap_or_else(|| panic!("the Spanish reminder to {email}: {got:?}"));
        let text = api_common::decode_qp(reminder);
        assert!(text.contains("Hola, Lucía:"), "{text}");
        assert!(
            text.contains("pero aún no la has terminado") && text.contains("El enlace funciona hasta el"),
            "{text}"
        );
        assert!(text.contains(&format!("{}{path}", app.base)), "{text}");
    }
    app.stop().await;
}

/// Undoes RFC 2047 encoded words (`=?utf-8?b?…?=` / `=?utf-8?q?…?=`), which is how a
/// non-ASCII subject travels.
fn decode_subject(raw: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut after_encoded = false;
    for word in raw.split_whitespace() {
        let parts: Vec<&str> = word.split('?').collect();
        let decoded = match parts.as_slice() {
            ["=", _charset, enc, text, "="] if enc.eq_ignore_ascii_case("b") => {
                base64::engine::general_purpose::STANDARD.decode(text).ok()
            }
            ["=", _charset, enc, text, "="] if enc.eq_ignore_ascii_case("q") => {
                Some(api_common::decode_qp(&text.replace('_', " ")).into_bytes())
            }
            _ => None,
        };
        // White space between two encoded words is not part of the text.
        let joined = after_encoded && decoded.is_some();
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        after_encoded = decoded.is_some();
        match decoded {
            Some(bytes) => out.push_str(&String::from_utf8_lossy(&bytes)),
            None => out.push_str(word),
        }
    }
    out
}
