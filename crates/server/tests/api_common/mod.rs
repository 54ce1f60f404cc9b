//! Helpers for the /api/v1 tests: a signed-in client, JSON calls, fixtures, and reading links
//! out of the raw e-mails the SMTP sink stored.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shortlist_domain::Role;

pub const PASSWORD: &str = "correct horse battery";

/// A signed-in API client. The API takes the same session cookie as the pages.
pub struct Api {
    pub base: String,
    pub c: reqwest::Client,
    pub email: String,
    pub org: shortlist_domain::OrgId,
}

/// A new organisation with one user of `role`, signed in through the real /login form.
pub async fn sign_in(app: &TestApp, role: Role) -> Api {
    let (org, email) = app.user(role, PASSWORD).await;
    let c = crate::common::client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    Api {
        base: format!("{}/api/v1", app.base),
        c,
        email,
        org,
    }
}

impl Api {
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.c.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} {path}: not JSON: {text}"))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    /// An organisation API key (not personal) for this user's organisation, with `scopes`;
    /// returns its token. Keys are issued in process: there is no HTTP route for a first key.
    pub async fn org_key(&self, app: &TestApp, name: &str, scopes: &str) -> String {
        let operator = shortlist_app::credentials::Credentials::operator(&self.org);
        let key = app
            .app
            .credentials
            .create_api_key(&operator, false, name, scopes, None)
            .await;
        key.unwrap().token
    }

    /// Creates a template and returns its id.
    pub async fn template(&self, key: &str, spec: Value) -> String {
        let (s, t) = self.post("/templates", json!({ "key": key, "spec": spec })).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        t["id"].as_str().unwrap().to_string()
    }

    /// Creates an open position with these templates linked and returns its id.
    pub async fn position(&self, title: &str, template_ids: &[&str]) -> String {
        let (s, p) = self
            .post("/positions", json!({ "title": title, "template_ids": template_ids }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        p["id"].as_str().unwrap().to_string()
    }

    /// A position with a one-question template, ready to invite to.
    pub async fn ready_position(&self, title: &str) -> String {
        let key = format!("tpl-{}", unique());
        let t = self.template(&key, spec("Screening", 1)).await;
        self.position(title, &[&t]).await
    }

    pub async fn invite(&self, position: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/positions/{position}/invitations"), body).await
    }

    pub async fn invitation(&self, id: &str) -> Value {
        let (s, v) = self.get(&format!("/invitations/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

/// Waits until the invitation reaches `state` (e.g. the e-mail job recorded `sent`).
pub async fn wait_state(api: &Api, id: &str, state: &str) -> Value {
    let found = crate::common::eventually(std::time::Duration::from_secs(30), || async {
        let v = api.invitation(id).await;
        (v["state"] == state).then_some(v)
    })
    .await;
    match found {
        Some(v) => v,
        None => panic!("{id} never became {state}: {}", api.invitation(id).await),
    }
}

/// A template document with `questions` video questions.
pub fn spec(name: &str, questions: usize) -> Value {
    let qs: Vec<Value> = (1..=questions)
        .map(|i| {
            json!({
                "id": format!("q{i}"),
                "kind": "video",
                "prompt": format!("Question {i}: tell us about yourself"),
                "think_time_secs": 30,
                "answer_time_secs": 120,
                "retakes": 1
            })
        })
        .collect();
    json!({ "name": name, "description": "A short screening", "questions": qs })
}

pub fn unique() -> String {
    use rand::RngCore;
    format!("{:012x}", rand::rng().next_u64() >> 16)
}

/// An address no other test uses (the SMTP sink is shared by the whole run).
pub fn candidate_email(name: &str) -> String {
    format!("{name}-{}@candidates.example.com", unique())
}

/// Undoes quoted-printable (soft line breaks and `=XX`) so links and words can be searched.
pub fn decode_qp(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first candidate link (`<base>/i/<token>`) in a raw message.
pub fn link_in(eml: &str, base: &str) -> Option<String> {
    let text = decode_qp(eml);
    let prefix = format!("{base}/i/");
    let start = text.find(&prefix)? + prefix.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Some(format!("{prefix}{token}"))
}

/// The value of a header (first occurrence, unfolded).
pub fn header(eml: &str, name: &str) -> Option<String> {
    let lower = format!("{}:", name.to_ascii_lowercase());
    let mut lines = eml.split("\r\n").flat_map(|l| l.split('\n')).peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            return None;
        }
        if line.to_ascii_lowercase().starts_with(&lower) {
            let mut v = line[lower.len()..].trim().to_string();
            while let Some(next) = lines.peek() {
                if next.starts_with(' ') || next.starts_with('\t') {
                    v.push(' ');
                    v.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            return Some(v);
        }
    }
    None
}

/// The candidate's side of a one-text-question interview, as their browser posts it: the link
/// from the (first) invitation e-mail to `email`, consent, the answer, complete.
pub async fn complete_text_interview(app: &TestApp, email: &str, answer: &str) {
    let wait = std::time::Duration::from_secs(40);
    let mail = decode_qp(&crate::common::mails_to(email, 1, wait).await[0]);
    let at = mail.find("/i/").expect("a candidate link in the e-mail");
    let token: String = mail[at + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let link = app.url(&format!("/i/{token}"));
    let c = crate::common::client();
    for (step, form) in [
        ("consent", vec![("consent", "yes")]),
        ("q/q1", vec![("text", answer)]),
        ("complete", vec![]),
    ] {
        let r = c.post(format!("{link}/{step}")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step}: {}", r.text().await.unwrap());
    }
}

/// The user behind a signed-in `api` (an ATS connection's observer in connector tests).
pub async fn user_id(app: &TestApp, api: &Api) -> shortlist_domain::UserId {
    let email = shortlist_domain::Email::parse(&api.email).unwrap();
    let user = shortlist_store::users::find_by_email(&app.app.db, &api.org, &email)
        .await
        .unwrap()
        .unwrap();
    shortlist_domain::UserId::parse(&user.id).unwrap()
}

/// How many invitations the organisation of `api` has, from the database.
pub async fn invitation_count(app: &TestApp, api: &Api) -> i64 {
    let sql = "SELECT COUNT(*) FROM invitations WHERE org_id = $1";
    let org = api.org.as_str().to_string();
    let (n,): (i64,) =
        shortlist_store::on_db!(&app.app.db, p => sqlx::query_as(sql).bind(&org).fetch_one(p).await).unwrap();
    n
}
