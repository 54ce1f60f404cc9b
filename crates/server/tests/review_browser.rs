#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The review pages in a real browser (Debian's Chromium through tests/browser/review.mjs, axe-core
//! in every page): an account user evaluates and then sees the team average; the read-only
//! interview URL shows answers without evaluation controls and a direct evaluation request with
//! only its key is refused; a hidden question never reaches a share-link guest, not in the page
//! and not in any request the page makes; expired and revoked links are 410; views are logged;
//! a reviewer of another organisation gets 404. Durable evidence is checked afterwards.
//!
//! Needs chromium, node and tests/browser/node_modules (scripts/install-test-deps); skipped
//! with a message without them, unless CI is set.

mod api_common;
mod common;
mod review_support;

use api_common::{PASSWORD, sign_in};
use common::TestApp;
use reqwest::StatusCode;
use review_support::{fixture, member};
use serde_json::{Value, json};
use shortlist_domain::Role;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn browser_ready() -> bool {
    let on_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let dir = workspace().join("tests/browser/node_modules");
    let ready = on_path("chromium")
        && on_path("node")
        && dir.join("playwright-core/package.json").is_file()
        && dir.join("axe-core/axe.min.js").is_file();
    if !ready {
        let message =
            "review browser test needs chromium, node and tests/browser/node_modules (scripts/install-test-deps)";
        assert!(std::env::var("CI").is_err(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    ready
}

/// One Chromium at a time across test processes (2 cores); shared with tests/browser.rs.
fn browser_lock() -> std::fs::File {
    let path = std::env::temp_dir().join("shortlist-browser-tests.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap();
    f.lock().unwrap();
    f
}

#[tokio::test]
async fn reviewing_in_a_real_browser() {
    if !browser_ready() {
        return;
    }
    let clock = std::sync::Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let f = fixture(&app).await;
    let links = format!("/positions/{}/share-links", f.pos);

    // A link that will have expired, made before the clock moves on.
    let (_, v) = f
        .api
        .post(&links, json!({ "invitation_ids": [f.inv], "expires_in_days": 1 }))
        .await;
    let expired = v["url"].as_str().unwrap().to_string();
    clock.advance(chrono::TimeDelta::hours(25));
    let (_, v) = f.api.post(&links, json!({ "invitation_ids": [f.inv] })).await;
    let revoked = v["url"].as_str().unwrap().to_string();
    let (s, _) = f
        .api
        .post(
            &format!("/share-links/{}/revoke", v["share_link"]["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = f
        .api
        .post(
            &links,
            json!({ "invitation_ids": [f.inv], "hidden_questions": ["q5"], "label": "Hiring manager" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let share = v["url"].as_str().unwrap().to_string();
    let share_id = v["share_link"]["id"].as_str().unwrap().to_string();
    let (s, _) = f
        .api
        .put(
            "/review-settings",
            json!({ "link_access": "anyone_with_link", "hide_until_submitted": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // A colleague evaluated already (score 2).
    let (s, _) = f
        .api
        .post(
            &format!("/invitations/{}/evaluations", f.inv),
            json!({ "ratings": [{ "question_id": "q1", "rating": 2 }] }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let reviewer = member(&app, &f, Role::Reviewer).await;
    let stranger = sign_in(&app, Role::Reviewer).await;

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.json");
    let config = json!({
        "out": out,
        "base": app.base,
        "inv": f.inv,
        "member": { "email": reviewer.email, "password": PASSWORD },
        "stranger": { "email": stranger.email, "password": PASSWORD },
        "reviewUrl": app.app.recruiting.links.review_url(&f.inv),
        "shareUrl": share,
        "hiddenText": ["Expected salary", "90k"],
        "hiddenIds": ["q5"],
        "expiredUrl": expired,
        "revokedUrl": revoked,
    });
    let _lock = browser_lock();
    let mut child = tokio::process::Command::new("node")
        .arg(workspace().join("tests/browser/review.mjs"))
        .arg(config.to_string())
        .current_dir(workspace())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let status = tokio::time::timeout(Duration::from_secs(180), child.wait())
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
    assert_eq!(
        result["average"], "3.00",
        "(2 + 4) / 2 after the reviewer's own evaluation"
    );
    assert_eq!(result["guestEvaluateStatus"], 401);

    // Durable evidence: two evaluations (none from the guest), the reviewer's decision, and
    // the share link's views with Chromium's user agent.
    let (_, v) = f.api.get(&format!("/invitations/{}/evaluations", f.inv)).await;
    assert_eq!(
        (v["count"].as_i64(), v["average"].as_f64()),
        (Some(2), Some(3.0)),
        "{v}"
    );
    assert_eq!(v["decision"], "advance");
    let (_, v) = f.api.get(&format!("/share-links/{share_id}/views")).await;
    let views = v["views"].as_array().unwrap();
    assert_eq!(views.len(), 2, "the list and the candidate: {v}");
    assert!(
        views
            .iter()
            .all(|w| w["ip"] == "127.0.0.1" && w["user_agent"].as_str().unwrap().contains("Chrome"))
    );
    assert_eq!(views[1]["invitation_id"], f.inv.as_str());
    app.stop().await;
}
