#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The candidate's path over real HTTP (no browser): landing and consent, device check,
//! practice, surveys, questions (a video take uploaded through /uploads with tus), resuming
//! from another client, completion with its receipt, the owner's e-mail, Spanish, and the
//! pages of closed and unknown links.

mod api_common;
mod common;

use api_common::{Api, candidate_email, sign_in, unique};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, client, mails_to};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use shortlist_domain::Role;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn spec() -> Value {
    json!({
        "name": "Full interview",
        "closing_message": "We will call you within a week.",
        "practice_question": { "id": "p", "kind": "video", "prompt": "Say hello", "think_time_secs": 0, "answer_time_secs": 20 },
        "questions": [
            { "id": "q1", "kind": "video", "prompt": "Introduce yourself", "think_time_secs": 5, "answer_time_secs": 60, "retakes": 1 },
            { "id": "q2", "kind": "text", "prompt": "Why do you want this job?" },
            { "id": "q3", "kind": "multiple_choice", "prompt": "Which is a prime number?", "choices": [
                { "id": "a", "label": "7", "correct": true },
                { "id": "b", "label": "8" }
            ]}
        ],
        "surveys": [
            { "id": "s1", "placement": "before", "kind": "consent", "prompt": "I agree to be recorded" }
        ]
    })
}

struct Invited {
    api: Api,
    /// `/i/{token}` (path only).
    path: String,
    token: String,
    id: String,
    title: String,
}

async fn invite(app: &TestApp, spec: Value) -> Invited {
    let api = sign_in(app, Role::Recruiter).await;
    let tpl = api.template(&format!("cand-{}", unique()), spec).await;
    let title = format!("Backend Engineer {}", unique());
    let pos = api.position(&title, &[&tpl]).await;
    let (s, r) = api
        .invite(
            &pos,
            json!({ "email": candidate_email("cand"), "name": "Ada Lovelace" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let url = r["invitation"]["candidate_url"].as_str().unwrap();
    let token = url.rsplit_once("/i/").unwrap().1.to_string();
    Invited {
        api,
        path: format!("/i/{token}"),
        token,
        id: r["invitation"]["id"].as_str().unwrap().to_string(),
        title,
    }
}

fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no Location on a {} answer", r.status()))
}

/// Follows redirects by hand (the test client does not) and returns the final path.
async fn settle(app: &TestApp, c: &reqwest::Client, mut path: String) -> String {
    for _ in 0..5 {
        let r = c.get(app.url(&path)).send().await.unwrap();
        if r.status() != StatusCode::SEE_OTHER {
            assert_eq!(r.status(), StatusCode::OK, "GET {path}");
            return path;
        }
        path = location(&r);
    }
    panic!("redirect loop at {path}");
}

async fn post_form(app: &TestApp, c: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

/// Posts a form that must be accepted; returns where the interview continues.
async fn step(app: &TestApp, c: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> String {
    let r = post_form(app, c, path, form).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "POST {path}: {}",
        r.text().await.unwrap()
    );
    let to = location(&r);
    settle(app, c, to).await
}

/// Uploads a small fake WebM as take `take` of `question` through the tus server.
async fn upload_take(app: &TestApp, token: &str, question: &str, take: u32) -> Vec<u8> {
    let mut body = vec![0x1a, 0x45, 0xdf, 0xa3];
    body.extend((0..4096u32).map(|i| (i * 31 % 251) as u8));
    let b64 = |s: &str| STANDARD.encode(s);
    let meta = format!(
        "token {},question {},take {},filetype {},filename {}",
        b64(token),
        b64(question),
        b64(&take.to_string()),
        b64("video/webm;codecs=vp8,opus"),
        b64(&format!("take-{take}.webm"))
    );
    let r = client()
        .post(app.url("/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", body.len().to_string())
        .header("Upload-Metadata", meta)
        .header("Content-Type", "application/offset+octet-stream")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let offset = r.headers().get("upload-offset").unwrap().to_str().unwrap().to_string();
    assert_eq!(
        offset,
        body.len().to_string(),
        "the whole take arrived with the creation"
    );
    body
}

async fn job_count(app: &TestApp, kind: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM jobs WHERE kind = $1";
    match &app.app.db {
        shortlist_store::Db::Sqlite(p) => sqlx::query_scalar(sql).bind(kind).fetch_one(p).await.unwrap(),
        shortlist_store::Db::Postgres(p) => sqlx::query_scalar(sql).bind(kind).fetch_one(p).await.unwrap(),
    }
}

#[tokio::test]
async fn a_candidate_takes_the_whole_interview() {
    let app = TestApp::spawn().await;
    let inv = invite(&app, spec()).await;
    let c = client();
    let p = |rest: &str| format!("{}{rest}", inv.path);

    // Landing: position, branding, privacy, and the headers a capability URL needs.
    let r = c.get(app.url(&inv.path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains(&inv.title), "{html}");
    assert!(
        html.contains("Hello Ada Lovelace") && html.contains("Questions: 3"),
        "{html}"
    );
    assert!(html.contains("id=\"consent\"") && html.contains("<html lang=\"en\">"));

    // Consent is required, then the interview starts (with a history event).
    let r = post_form(&app, &c, &p("/consent"), &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        step(&app, &c, &p("/consent"), &[("consent", "yes")]).await,
        p("/device")
    );
    let (_, detail) = inv.api.get(&format!("/invitations/{}", inv.id)).await;
    assert_eq!(detail["state"], "started", "{detail}");
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        history.contains(&"opened") && history.contains(&"started"),
        "{history:?}"
    );

    // Device check with the speed test, then practice (nothing saved).
    let page = c
        .get(app.url(&p("/device")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"device-start\"") && page.contains("/static/candidate/device.js"));
    let r = c
        .post(app.url(&p("/speedtest")))
        .body(vec![0u8; 256 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(step(&app, &c, &p("/device"), &[]).await, p("/practice"));
    assert_eq!(step(&app, &c, &p("/practice"), &[]).await, p("/survey/before"));

    // The consent survey must be accepted.
    let r = post_form(&app, &c, &p("/survey/before"), &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("You need to agree to continue."));
    assert_eq!(
        step(&app, &c, &p("/survey/before"), &[("s1", "accepted")]).await,
        p("/q/q1")
    );

    // The video question: no take, a take that was not uploaded, an unknown question.
    let page = c.get(app.url(&p("/q/q1"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("id=\"recorder\"") && page.contains("data-max-takes=\"2\""),
        "{page}"
    );
    let r = post_form(&app, &c, &p("/q/q1"), &[("take", "1")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("has not been uploaded completely"));
    let r = post_form(&app, &c, &p("/q/nope"), &[("take", "1")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Take 1 arrives through the tus server; take 2 never does; take 3 is beyond the retakes.
    upload_take(&app, &inv.token, "q1", 1).await;
    let page = c.get(app.url(&p("/q/q1"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("data-uploaded=\"1\"") && page.contains("id=\"take-1\""),
        "{page}"
    );
    for bad in ["2", "3"] {
        let r = post_form(&app, &c, &p("/q/q1"), &[("take", bad)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "take {bad}");
    }
    assert_eq!(step(&app, &c, &p("/q/q1"), &[("take", "1")]).await, p("/q/q2"));

    // An answered question is not asked again; another device resumes at the same step.
    assert_eq!(settle(&app, &c, p("/q/q1")).await, p("/q/q2"));
    assert_eq!(settle(&app, &client(), inv.path.clone()).await, p("/q/q2"));

    // Completing now names what is missing.
    let r = post_form(&app, &c, &p("/complete"), &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Why do you want this job?") && body.contains("Which is a prime number?"),
        "{body}"
    );
    assert!(!body.contains("Introduce yourself"), "q1 is answered: {body}");

    // Text and multiple choice as plain forms.
    let r = post_form(&app, &c, &p("/q/q2"), &[("text", "  ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer = "I like <b>hard</b> problems";
    assert_eq!(step(&app, &c, &p("/q/q2"), &[("text", answer)]).await, p("/q/q3"));
    let r = post_form(&app, &c, &p("/q/q3"), &[("choice", "zz")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(step(&app, &c, &p("/q/q3"), &[("choice", "a")]).await, p("/finish"));

    // Complete: the receipt lists every answer; the owner hears of it once.
    let r = post_form(&app, &c, &p("/complete"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), p("/done"));
    let done = c.get(app.url(&p("/done"))).send().await.unwrap().text().await.unwrap();
    for expected in [
        "Introduce yourself",
        "Why do you want this job?",
        "Which is a prime number?",
        "I agree to be recorded",
        "Recording, take 1",
        "We will call you within a week.",
    ] {
        assert!(done.contains(expected), "{expected} missing from the receipt: {done}");
    }
    let r = post_form(&app, &c, &p("/complete"), &[]).await;
    assert_eq!(location(&r), p("/done"));
    assert_eq!(settle(&app, &c, inv.path.clone()).await, p("/done"));
    let (_, detail) = inv.api.get(&format!("/invitations/{}", inv.id)).await;
    assert_eq!(detail["state"], "completed", "{detail}");

    let mails = mails_to(&inv.api.email, 1, WAIT).await;
    let mail = api_common::decode_qp(mails.first().expect("the owner's notice"));
    assert!(mail.contains("Ada Lovelace completed the interview for"), "{mail}");
    assert!(mail.contains(&format!("{}/invitations/{}", app.base, inv.id)), "{mail}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(mails_to(&inv.api.email, 1, WAIT).await.len(), 1, "notified once");
    // The notice job is enqueued by the event dispatcher after the completing transaction, so it
    // is counted once the mail it sent has arrived.
    assert_eq!(job_count(&app, "interview.completed_notice").await, 1);

    // The answers as stored: the text verbatim, the choice scored.
    let org = inv.api.org.clone();
    let id = shortlist_domain::InvitationId::parse(&inv.id).unwrap();
    let rows = shortlist_store::interviews::answers(&app.app.db, &org, &id)
        .await
        .unwrap();
    let q2 = rows.iter().find(|a| a.item_id == "q2").unwrap();
    assert_eq!(q2.text_value.as_deref(), Some(answer));
    let q3 = rows.iter().find(|a| a.item_id == "q3").unwrap();
    assert_eq!((q3.correct, q3.choice_ids.as_deref()), (Some(true), Some("[\"a\"]")));
    assert_eq!(rows.iter().find(|a| a.item_id == "q1").unwrap().take, Some(1));

    // Spanish on request.
    let es = c.get(app.url(&format!("{}?lang=es", p("/done")))).send().await.unwrap();
    let es = es.text().await.unwrap();
    assert!(es.contains("<html lang=\"es\">") && es.contains("Gracias"), "{es}");
    app.stop().await;
}

#[tokio::test]
async fn languages_closed_links_and_static_files() {
    let app = TestApp::spawn().await;

    // The candidate's choice, remembered; and a template written in Spanish.
    let inv = invite(&app, spec()).await;
    let c = client();
    let es = c.get(app.url(&format!("{}?lang=es", inv.path))).send().await.unwrap();
    assert_eq!(es.status(), StatusCode::OK);
    let html = es.text().await.unwrap();
    assert!(
        html.contains("Empezar la entrevista") && html.contains("Aviso de privacidad"),
        "{html}"
    );
    let again = c.get(app.url(&inv.path)).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("<html lang=\"es\">"), "the choice is remembered");
    let mut spanish = spec();
    spanish["locale"] = json!("es");
    let inv_es = invite(&app, spanish).await;
    let html = client()
        .get(app.url(&inv_es.path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Preguntas: 3") && html.contains("?lang=en"), "{html}");

    // Cancelled → 410, unknown and malformed → 404; friendly pages, never cached.
    let (s, v) = inv_es
        .api
        .post(&format!("/invitations/{}/cancel", inv_es.id), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = client().get(app.url(&inv_es.path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body = r.text().await.unwrap();
    assert!(body.contains("Esta entrevista se ha cancelado"), "{body}");
    let r = client()
        .post(app.url(&format!("{}/q/q1", inv_es.path)))
        .form(&[("take", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE, "no answers to a cancelled interview");
    for bad in ["/i/not-a-token", "/i/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let r = client().get(app.url(bad)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(r.text().await.unwrap().contains("This interview link is not valid"));
    }

    // Pages of later steps send the candidate back to where they are.
    let r = c.get(app.url(&format!("{}/q/q2", inv.path))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), inv.path);
    let r = c
        .get(app.url(&format!("{}/media/logo", inv.path)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "the template has no logo");

    // Static files: embedded, typed, cacheable.
    for (path, ty) in [
        ("/static/candidate/recorder.js", "text/javascript"),
        ("/static/vendor/tus-js-client/tus.min.js", "text/javascript"),
        ("/static/candidate/candidate.css", "text/css"),
    ] {
        let r = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(ty), "{path}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=3600");
    }
    let r = client().get(app.url("/static/candidate/nope.js")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_link_gets_its_page() {
    use shortlist_app::clock::OffsetClock;
    let clock = std::sync::Arc::new(OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let inv = invite(&app, spec()).await;
    assert_eq!(
        client().get(app.url(&inv.path)).send().await.unwrap().status(),
        StatusCode::OK
    );
    clock.advance(chrono::TimeDelta::days(60));
    let r = client().get(app.url(&inv.path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("This interview link has expired") && body.contains(&inv.api.email),
        "{body}"
    );
    app.stop().await;
}
