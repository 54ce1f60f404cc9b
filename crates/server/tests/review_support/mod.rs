//! Fixtures for the review tests: an organisation (admin signed in) with a position whose
//! template has every kind of answer, a scorecard, a survey and a document; one candidate who
//! completed it (takes uploaded through the real tus server) and one who has not started.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::{Api, PASSWORD, candidate_email, sign_in, unique};
use crate::common::{TestApp, client};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::json;
use shortlist_app::interview::answers::AnswerInput;
use shortlist_app::interview::{Access, Session};
use shortlist_domain::Role;
use shortlist_domain::template::SurveyPlacement;
use std::collections::HashMap;

pub struct Fixture {
    /// An administrator of the organisation.
    pub api: Api,
    pub pos: String,
    /// Completed by "Ada Lovelace".
    pub inv: String,
    pub email: String,
    /// Invited, never started ("Pending Person").
    pub pending: String,
    /// The bytes of Ada's video take.
    pub video: Vec<u8>,
}

pub const PDF: &[u8] = b"%PDF-1.7\n%%EOF\n";

pub fn video_bytes() -> Vec<u8> {
    let mut body = vec![0x1a, 0x45, 0xdf, 0xa3];
    body.extend((0..4096u32).map(|i| (i * 31 % 251) as u8));
    body
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let api = sign_in(app, Role::Admin).await;
    let r = api
        .c
        .post(format!("{}/media?kind=document", api.base))
        .header("content-type", "application/pdf")
        .body(PDF.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let doc: serde_json::Value = r.json().await.unwrap();
    let spec = json!({
        "name": "Engineering screen",
        "questions": [
            { "id": "q1", "kind": "video", "prompt": "Introduce yourself", "answer_time_secs": 60, "retakes": 1 },
            { "id": "q2", "kind": "text", "prompt": "What do you build?" },
            { "id": "q3", "kind": "multiple_choice", "prompt": "Which is prime?", "choices": [
                { "id": "a", "label": "7", "correct": true }, { "id": "b", "label": "8" } ] },
            { "id": "q4", "kind": "file_upload", "prompt": "Your CV" },
            { "id": "q5", "kind": "text", "prompt": "Expected salary" }
        ],
        "surveys": [ { "id": "s1", "placement": "after", "kind": "text", "prompt": "Remote work?" } ],
        "documents": [ { "title": "Job description", "media_key": doc["media_key"] } ],
        "scorecard": [ { "id": "comm", "label": "Communication" }, { "id": "know", "label": "Role knowledge" } ]
    });
    let tpl = api.template(&format!("review-{}", unique()), spec).await;
    let pos = api.position("Platform Engineer", &[&tpl]).await;
    let email = candidate_email("ada");
    let (inv, token) = invite(&api, &pos, &email, "Ada Lovelace").await;
    let video = video_bytes();
    complete(app, &token).await;
    let (pending, _) = invite(&api, &pos, &candidate_email("pending"), "Pending Person").await;
    Fixture {
        api,
        pos,
        inv,
        email,
        pending,
        video,
    }
}

/// Another candidate of the fixture's position who completed the interview; returns the id.
pub async fn complete_another(app: &TestApp, f: &Fixture, name: &str) -> String {
    let (inv, token) = invite(&f.api, &f.pos, &candidate_email("other"), name).await;
    complete(app, &token).await;
    inv
}

async fn invite(api: &Api, pos: &str, email: &str, name: &str) -> (String, String) {
    let (s, r) = api.invite(pos, json!({ "email": email, "name": name })).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let url = r["invitation"]["candidate_url"].as_str().unwrap();
    let token = url.rsplit_once("/i/").unwrap().1.to_string();
    (r["invitation"]["id"].as_str().unwrap().to_string(), token)
}

async fn session(app: &TestApp, token: &str) -> Session {
    match app.app.interviews.access(token).await.unwrap() {
        Access::Open(s) => *s,
        other => panic!("link not open: {other:?}"),
    }
}

async fn upload(app: &TestApp, token: &str, question: &str, filetype: &str, body: Vec<u8>) {
    let b64 = |s: &str| STANDARD.encode(s);
    let meta = format!(
        "token {},question {},take {},filetype {},filename {}",
        b64(token),
        b64(question),
        b64("1"),
        b64(filetype),
        b64("answer.bin")
    );
    let r = client()
        .post(app.url("/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", body.len().to_string())
        .header("Upload-Metadata", meta)
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
}

/// The candidate's side through the real services and upload server.
async fn complete(app: &TestApp, token: &str) {
    let iv = &app.app.interviews;
    iv.consent(&session(app, token).await).await.unwrap();
    upload(app, token, "q1", "video/webm;codecs=vp8,opus", video_bytes()).await;
    upload(app, token, "q4", "application/pdf", PDF.to_vec()).await;
    let s = session(app, token).await;
    iv.answer(&s, "q1", AnswerInput::Take(1)).await.unwrap();
    iv.answer(&s, "q2", AnswerInput::Text("I build reliable systems".into()))
        .await
        .unwrap();
    iv.answer(&s, "q3", AnswerInput::Choices(vec!["a".into()]))
        .await
        .unwrap();
    iv.answer(&s, "q4", AnswerInput::Take(1)).await.unwrap();
    iv.answer(&s, "q5", AnswerInput::Text("90k".into())).await.unwrap();
    let s = session(app, token).await;
    let values = HashMap::from([("s1".to_string(), vec!["Yes, fully".to_string()])]);
    iv.answer_surveys(&s, SurveyPlacement::After, &values).await.unwrap();
    iv.complete(&session(app, token).await).await.unwrap();
}

/// Another user of the fixture's organisation, signed in.
pub async fn member(app: &TestApp, f: &Fixture, role: Role) -> Api {
    let email = format!("{}@test.shortlist.localhost", unique());
    app.app
        .accounts
        .create_user(&f.api.org, &email, "Rita Reviewer", role, Some(PASSWORD))
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
        base: format!("{}/api/v1", app.base),
        c,
        email,
        org: f.api.org.clone(),
    }
}

/// The CSRF token of a page's forms.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    html[at..].chars().take_while(|c| *c != '"').collect()
}
