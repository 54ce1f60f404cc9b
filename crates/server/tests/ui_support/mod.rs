//! Helpers for the recruiter-page tests: a signed-in browser-like client, the CSRF token of a
//! page, multipart bodies, and a template created through its form.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::{TestApp, client};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use shortlist_domain::{OrgId, Role};

pub const PASSWORD: &str = "correct horse battery";
pub const NO_LIMITS: [&str; 4] = ["--login-limit-per-ip", "1000", "--login-limit-per-account", "1000"];

pub struct Browser {
    pub c: reqwest::Client,
    pub csrf: String,
    pub org: OrgId,
    pub email: String,
}

/// Text between `start` and the next `end`, after the first occurrence of `start`.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

/// Undoes the HTML escaping of an attribute value.
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn random() -> String {
    use rand::RngCore;
    format!("{:08x}", rand::rng().next_u32())
}

pub fn candidate_email() -> String {
    format!("cand-{}@candidates.shortlist.localhost", random())
}

pub async fn sign_in(app: &TestApp, email: &str) -> reqwest::Client {
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    c
}

pub async fn csrf_of(app: &TestApp, c: &reqwest::Client) -> String {
    let html = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    between(&html, r#"name="csrf" value=""#, "\"").unwrap().to_string()
}

/// A user of a new organisation, signed in.
pub async fn browser(app: &TestApp, role: Role) -> Browser {
    let (org, email) = app.user(role, PASSWORD).await;
    let c = sign_in(app, &email).await;
    let csrf = csrf_of(app, &c).await;
    Browser { c, csrf, org, email }
}

/// Another user of the same organisation, signed in.
pub async fn colleague(app: &TestApp, of: &Browser, role: Role) -> Browser {
    let email = format!("{}-{}@test.shortlist.localhost", role, random());
    app.app
        .accounts
        .create_user(&of.org, &email, "Colleague", role, Some(PASSWORD))
        .await
        .unwrap();
    let c = sign_in(app, &email).await;
    let csrf = csrf_of(app, &c).await;
    Browser {
        c,
        csrf,
        org: of.org.clone(),
        email,
    }
}

impl Browser {
    pub async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let r = self.c.get(app.url(path)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.c.post(app.url(path)).form(&all).send().await.unwrap()
    }

    /// Posts a multipart form (CSRF token added); `files` are (field, file name, content).
    pub async fn upload(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> reqwest::Response {
        let boundary = format!("----shortlist{}", random());
        let mut body: Vec<u8> = vec![];
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        for (name, file, content) in files {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .bytes(),
            );
            body.extend_from_slice(content);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").bytes());
        self.c
            .post(app.url(path))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The id in a redirect to `/{kind}/{id}?…`.
pub fn id_in(loc: &str, kind: &str) -> String {
    let rest = loc
        .strip_prefix(&format!("/{kind}/"))
        .unwrap_or_else(|| panic!("{loc}"));
    rest.split(['?', '#', '/']).next().unwrap().to_string()
}

/// Creates a template through the editor: a video question and a multiple-choice one.
pub async fn create_template(app: &TestApp, b: &Browser, key: &str) -> String {
    let r = b
        .post(
            app,
            "/templates/new",
            &[
                ("name", "Engineer interview"),
                ("key", key),
                ("description", "Two questions"),
                ("locale", "en"),
                ("colour", "#16325c"),
                ("expiry_days", ""),
                ("closing_message", "Thank you!"),
                ("q0_id", "q1"),
                ("q0_kind", "video"),
                ("q0_prompt", "Tell us about a project you are proud of."),
                ("q0_think", "30"),
                ("q0_answer", "120"),
                ("q0_retakes", "1"),
                ("q0_required", "1"),
                ("q1_id", "q2"),
                ("q1_kind", "multiple_choice"),
                ("q1_prompt", "Which is a Rust keyword?"),
                ("q1_think", "0"),
                ("q1_answer", "0"),
                ("q1_retakes", "0"),
                ("q1_required", "1"),
                ("q1_choices", "class\n*impl\nfunction"),
                ("p_kind", "video"),
                ("p_prompt", ""),
                (
                    "surveys",
                    "before ; consent ; I agree that my answers are recorded ; ; required",
                ),
                ("documents", "About us | https://example.org/about"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    id_in(&location(&r), "templates")
}

/// A template as its export file.
pub async fn export(app: &TestApp, b: &Browser, id: &str) -> shortlist_domain::template::TemplateExport {
    let r =
        b.c.get(app.url(&format!("/templates/{id}/export")))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

/// Creates a position linked to `template` through the positions form.
pub async fn create_position(app: &TestApp, b: &Browser, title: &str, template: &str) -> String {
    let r = b
        .post(app, "/positions", &[("title", title), ("template_ids", template)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    id_in(&location(&r), "positions")
}
