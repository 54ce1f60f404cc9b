//! Hardening of the web surfaces from the outside security test (issue 23, the "Low" findings
//! that are not about uploads, scopes or outbound URLs). One test per finding, named after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;

use api_common::{PASSWORD, candidate_email, sign_in, unique};
use common::process::{Proc, free_port};
use common::{TestApp, client};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::json;
use shortlist_domain::Role;
use std::time::Duration;

/// Starts the real binary with request logging on, and waits until it answers.
async fn logged_server(db: &common::TestDb, data: &std::path::Path, log: &std::path::Path) -> (Proc, String) {
    let port = free_port();
    let mut args = common::base_args(db, data);
    args.extend(["serve", "--no-worker", "--listen", &format!("127.0.0.1:{port}")].map(String::from));
    // tower_http at debug logs every request inside its span, whose fields include the path.
    let p = Proc::start_logging(&args, log, "info,tower_http=debug,sqlx=warn");
    let base = format!("http://127.0.0.1:{port}");
    let up = common::eventually(Duration::from_secs(60), || async {
        let r = reqwest::get(format!("{base}/healthz")).await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    assert!(
        up.is_some(),
        "server did not start:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    (p, base)
}

#[tokio::test]
async fn candidate_tokens_and_other_capability_secrets_never_reach_the_log() {
    let db = common::TestDb::fresh().await;
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("server.log");
    let (mut p, base) = logged_server(&db, data.path(), &log).await;
    let secrets = [
        "candSECRETtok1",
        "shareSECRETtok2",
        "interviewSECRETkey3",
        "unsubSECRETtok4",
    ];
    let paths = [
        format!("/i/{}", secrets[0]),
        format!("/i/{}/q/q1", secrets[0]),
        format!("/s/{}", secrets[1]),
        format!("/s/{}/inv_x/takes/q1/1", secrets[1]),
        format!("/interviews/inv_x/{}", secrets[2]),
        format!("/interviews/inv_x/{}/takes/q1/1", secrets[2]),
        format!("/notifications/unsubscribe/{}", secrets[3]),
    ];
    let c = client();
    for path in &paths {
        c.get(format!("{base}{path}")).send().await.unwrap();
    }
    p.kill();
    let text = std::fs::read_to_string(&log).unwrap();
    // The requests were logged (so the check below is about redaction, not silence)…
    for shown in [
        "/i/[redacted]/q/q1",
        "/s/[redacted]/inv_x/takes/q1/1",
        "/interviews/inv_x/[redacted]",
        "/notifications/unsubscribe/[redacted]",
    ] {
        assert!(text.contains(shown), "{shown} not in the log:\n{text}");
    }
    // …and no secret appears anywhere in it.
    for s in secrets {
        assert!(!text.contains(s), "{s} leaked into the log:\n{text}");
    }
}

/// The headers a browser needs to refuse framing and foreign scripts.
fn assert_page_headers(r: &reqwest::Response, what: &str) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src") || d.starts_with("sandbox"))
        .unwrap_or_else(|| panic!("{what}: no script-src in {csp}"));
    assert!(!script_src.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(
        h.get("x-frame-options").map(|v| v.to_str().unwrap()),
        Some("DENY"),
        "{what}"
    );
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
}

#[tokio::test]
async fn recruiter_sign_in_share_and_review_pages_forbid_framing_and_inline_scripts() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Admin).await;
    let tpl = api
        .template(&format!("hdr-{}", unique()), api_common::spec("Headers", 1))
        .await;
    let pos = api.position("Header Checker", &[&tpl]).await;
    let (s, r) = api
        .invite(&pos, json!({ "email": candidate_email("hdr"), "name": "Hedy Lamarr" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let inv = r["invitation"]["id"].as_str().unwrap().to_string();

    let anonymous = client();
    for path in ["/login", "/s/no-such-share-link", "/no/such/page"] {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_page_headers(&r, path);
    }
    for path in [
        "/".to_string(),
        "/positions".to_string(),
        format!("/positions/{pos}"),
        format!("/positions/{pos}/review"),
        format!("/interviews/{inv}"),
        "/settings".to_string(),
        "/account".to_string(),
    ] {
        let r = api.c.get(app.url(&path)).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_page_headers(&r, &path);
        // Every script the page runs comes from /static, which the policy allows.
        let html = r.text().await.unwrap();
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..html[i..].find('>').map_or(html.len(), |e| i + e)];
            assert!(
                tag.contains("src=") || tag.contains("application/json"),
                "{path}: inline script {tag}"
            );
        }
    }
    let r = api.c.get(format!("{}/me", api.base)).send().await.unwrap();
    assert_page_headers(&r, "/api/v1/me");
    // Plain http: no HSTS (browsers ignore it there, and it would pin a test host).
    assert!(r.headers().get("strict-transport-security").is_none());
    app.stop().await;
}

#[tokio::test]
async fn an_https_public_url_sends_hsts() {
    let app = TestApp::spawn_with(&["--public-url", "https://interviews.example.com"]).await;
    let r = client().get(app.url("/login")).send().await.unwrap();
    let hsts = r.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.starts_with("max-age="), "{hsts}");
    let age: u64 = hsts["max-age=".len()..].split(';').next().unwrap().parse().unwrap();
    assert!(age >= 31_536_000, "{hsts}");
    app.stop().await;
}

#[tokio::test]
async fn a_nul_byte_in_text_is_a_422_naming_the_field_on_every_backend() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Admin).await;
    let (_, before) = api.get("/positions").await;

    // JSON body: problem+json naming the field, nothing created.
    let (s, body) = api.post("/positions", json!({ "title": "Night\u{0}Shift" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed", "{body}");
    assert!(body.to_string().contains("\"title\""), "{body}");
    let tpl_spec = json!({
        "name": "Nul",
        "questions": [
            { "id": "q1", "kind": "text", "prompt": "fine" },
            { "id": "q2", "kind": "text", "prompt": "bad\u{0}prompt" }
        ]
    });
    let (s, body) = api
        .post(
            "/templates",
            json!({ "key": format!("nul-{}", unique()), "spec": tpl_spec }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("spec.questions[1].prompt"), "{body}");

    // Query string and path.
    let (s, body) = api.get("/positions?status=open%00").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("\"status\""), "{body}");
    let (s, body) = api.get("/templates/by-key/a%00b").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A recruiter form: a page, not a 500.
    let html = api
        .c
        .get(app.url("/positions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = api
        .c
        .post(app.url("/positions"))
        .form(&[("csrf", csrf), ("title", "Night\u{0}Shift")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("title") && html.contains("NUL"), "{html}");

    let (_, after) = api.get("/positions").await;
    assert_eq!(before["items"], after["items"], "nothing was created");
    app.stop().await;
}

#[tokio::test]
async fn common_passwords_are_refused_and_strength_is_shown() {
    let app = TestApp::spawn().await;
    let (_, email) = app.user(Role::Recruiter, PASSWORD).await;
    let c = client();
    let r = c
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Common passwords"), "the rule is explained:\n{page}");
    let csrf = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let change = |new: &str| {
        c.post(app.url("/account/password"))
            .form(&[
                ("csrf", csrf),
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ])
            .send()
    };
    // Long enough for the old rule, and among the most common passwords.
    for weak in ["password1234", "qwertyuiop123", "1234567890"] {
        let r = change(weak).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
        let html = r.text().await.unwrap();
        assert!(html.contains("too easy to guess"), "{weak}: {html}");
        assert!(html.contains("strength: very weak"), "{weak}: {html}");
    }
    // The account's own name is as good as guessed.
    let local = email.split('@').next().unwrap();
    let r = change(&format!("{local}2026")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The old password still signs in: nothing was changed by the refusals.
    let r = client()
        .post(app.url("/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let r = change("tundra velvet oboe kettle").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Your password was changed (strength: very strong)"),
        "{html}"
    );

    // The operator's CLI applies the same rule.
    let e = app
        .app
        .accounts
        .create_user(
            &app.user(Role::Admin, PASSWORD).await.0,
            "weak@example.com",
            "Weak",
            Role::Recruiter,
            Some("password1234"),
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("password") || format!("{e:?}").contains("too easy"),
        "{e:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_can_require_a_token_or_move_to_their_own_listener() {
    let token = "metrics-token-0123456789";
    let app = TestApp::spawn_with(&["--metrics-token", token]).await;
    let c = client();
    let r = c.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let r = c.get(app.url("/metrics")).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c.get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("shortlist_jobs{"));
    app.stop().await;

    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let app = TestApp::spawn_with(&["--metrics-listen", &listen]).await;
    let r = c.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not on the public listener");
    let r = c.get(format!("http://{listen}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("shortlist_jobs{"));
    let r = c.get(format!("http://{listen}/login")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the metrics listener serves nothing else"
    );
    app.stop().await;
}

#[tokio::test]
async fn candidate_link_guessing_is_limited_per_address() {
    // Behind a trusted proxy, so the test can speak as two different client addresses.
    let app = TestApp::spawn_with(&["--trusted-proxies", "127.0.0.1/32"]).await;
    let api = sign_in(&app, Role::Recruiter).await;
    let tpl = api
        .template(&format!("guess-{}", unique()), api_common::spec("Guess", 1))
        .await;
    let pos = api.position("Guessing", &[&tpl]).await;
    let (s, r) = api
        .invite(
            &pos,
            json!({ "email": candidate_email("guess"), "name": "Real Candidate" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let real = r["invitation"]["candidate_url"].as_str().unwrap().to_string();
    let real_path = format!("/i/{}", real.rsplit_once("/i/").unwrap().1);

    let c = client();
    let from = |ip: &'static str, path: String| c.get(app.url(&path)).header("x-forwarded-for", ip).send();
    let guesser = "203.0.113.7";
    let mut refused = None;
    for n in 0..30 {
        let r = from(guesser, format!("/i/guess{n:04}xxxxxxxxxxxxxxxx")).await.unwrap();
        match r.status() {
            StatusCode::NOT_FOUND => continue,
            StatusCode::TOO_MANY_REQUESTS => {
                refused = Some((n, r));
                break;
            }
            other => panic!("guess {n}: {other}"),
        }
    }
    let (n, r) = refused.expect("30 wrong links in a row were never refused");
    assert!(n <= 11, "refused only after {n} guesses");
    let wait: u64 = r.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert!(r.text().await.unwrap().contains("Too many attempts"));
    // While blocked, even the real link is refused from that address (a hit looks like a miss)…
    let r = from(guesser, real_path.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // …and another candidate elsewhere is not affected.
    let r = from("198.51.100.20", real_path.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A candidate working through a real interview never counts against the budget.
    for _ in 0..30 {
        let r = from("198.51.100.21", real_path.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    app.stop().await;
}
