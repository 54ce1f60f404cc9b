//! Shared set-up of the candidate-page browser tests (browser*.rs): whether Chromium, node and
//! ffprobe are there, one browser at a time, an invitation to a template, running
//! tests/browser/interview.mjs, and the durable evidence (stored takes, ffprobe, uploads).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod proxy;

use crate::api_common::{Api, candidate_email, sign_in, unique};
use crate::common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shortlist_domain::{InvitationId, Role};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const NODE_TIMEOUT: Duration = Duration::from_secs(180);
pub const WAIT: Duration = Duration::from_secs(30);

// ------------------------------------------------------------------ set-up ----

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Whether the browser tests can run. A missing piece skips the test with a message, or fails
/// it when CI is set.
pub fn browser_ready() -> bool {
    let dir = workspace().join("tests/browser");
    let mut missing = vec![];
    for bin in ["chromium", "node", "ffprobe"] {
        if on_path(bin).is_none() {
            missing.push(bin.to_string());
        }
    }
    for module in ["playwright-core/package.json", "axe-core/axe.min.js"] {
        if !dir.join("node_modules").join(module).is_file() {
            missing.push(format!("tests/browser/node_modules/{module}"));
        }
    }
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "browser test needs {} (run scripts/install-test-deps)",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!("{message}");
    }
    eprintln!("SKIPPED: {message}");
    false
}

/// One Chromium at a time across test processes: recording video is CPU-heavy on 2 cores.
pub fn browser_lock() -> std::fs::File {
    let path = std::env::temp_dir().join("shortlist-browser-tests.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap();
    f.lock().unwrap();
    f
}

/// The template of the whole-interview run: practice, a consent survey, a video question
/// (think 2 s, answer 6 s, one retake), a text, a multiple-choice and a file-upload question.
pub fn full_spec() -> Value {
    json!({
        "name": "Browser interview",
        "closing_message": "We will call you within a week.",
        "practice_question": { "id": "p", "kind": "video", "prompt": "Say hello to the camera", "think_time_secs": 0, "answer_time_secs": 10 },
        "questions": [
            { "id": "q1", "kind": "video", "prompt": "Introduce yourself", "think_time_secs": 2, "answer_time_secs": 6, "retakes": 1 },
            { "id": "q2", "kind": "text", "prompt": "Why do you want this job?" },
            { "id": "q3", "kind": "multiple_choice", "prompt": "Which is a prime number?", "choices": [
                { "id": "a", "label": "7", "correct": true },
                { "id": "b", "label": "8" }
            ]},
            { "id": "q4", "kind": "file_upload", "prompt": "Your CV (PDF)" }
        ],
        "surveys": [
            { "id": "s1", "placement": "before", "kind": "consent", "prompt": "I agree to be recorded" }
        ]
    })
}

/// One short video question and nothing else (the network-fault runs).
pub fn upload_spec() -> Value {
    json!({
        "name": "Upload under faults",
        "questions": [
            { "id": "q1", "kind": "video", "prompt": "Tell us about a project", "think_time_secs": 0, "answer_time_secs": 4, "retakes": 0 }
        ]
    })
}

pub struct Invited {
    pub api: Api,
    pub token: String,
    pub id: String,
}

impl Invited {
    pub fn invitation_id(&self) -> InvitationId {
        InvitationId::parse(&self.id).unwrap()
    }
}

pub async fn invite(app: &TestApp, spec: Value) -> Invited {
    let api = sign_in(app, Role::Recruiter).await;
    let tpl = api.template(&format!("browser-{}", unique()), spec).await;
    let pos = api.position(&format!("Backend Engineer {}", unique()), &[&tpl]).await;
    let (s, r) = api
        .invite(
            &pos,
            json!({ "email": candidate_email("browser"), "name": "Grace Hopper" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let url = r["invitation"]["candidate_url"].as_str().unwrap();
    Invited {
        api,
        token: url.rsplit_once("/i/").unwrap().1.to_string(),
        id: r["invitation"]["id"].as_str().unwrap().to_string(),
    }
}

/// Runs the driver with `config` (its `out` is filled in) and returns its result; panics with
/// the driver's error when it failed.
pub async fn drive(mut config: Value) -> Value {
    let _lock = browser_lock();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("result.json");
    config["out"] = json!(out.display().to_string());
    let config_path = dir.path().join("config.json");
    std::fs::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    let started = Instant::now();
    let mut child = tokio::process::Command::new("node")
        .arg(workspace().join("tests/browser/interview.mjs"))
        .arg(&config_path)
        .current_dir(workspace())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let status = match tokio::time::timeout(NODE_TIMEOUT, child.wait()).await {
        Ok(s) => s.unwrap(),
        Err(_) => {
            child.kill().await.ok();
            panic!("the browser run took longer than {NODE_TIMEOUT:?}");
        }
    };
    eprintln!("browser run: {:.1} s", started.elapsed().as_secs_f64());
    let result: Value = match std::fs::read_to_string(&out) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(e) => panic!("the driver wrote no result ({e}); exit {status}"),
    };
    for key in ["failedRequests", "consoleErrors", "cspViolations"] {
        if result[key].as_array().is_some_and(|a| !a.is_empty()) {
            eprintln!("browser {key}: {}", result[key]);
        }
    }
    assert!(
        status.success() && result["ok"] == true,
        "browser run failed (exit {status}): {}\nresult: {}",
        result["error"],
        serde_json::to_string_pretty(&result).unwrap()
    );
    result
}

pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// ffprobe's streams of `bytes`, as (codec_type, codec_name) pairs.
pub fn probe(bytes: &[u8]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("take.webm");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_streams", "-of", "json"])
        .arg(&file)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "ffprobe cannot read the stored take: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["codec_type"].as_str().unwrap_or_default().to_string(),
                s["codec_name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The stored take `n` of `question`: its row, and the object's bytes, which must hash to
/// what the browser recorded.
pub async fn stored_take(app: &TestApp, inv: &Invited, question: &str, n: i64, browser_sha: &str) -> Vec<u8> {
    stored_take_as(app, inv, question, n, browser_sha, "video/webm").await
}

/// As [`stored_take`], for a take whose content type starts with `content_type`.
pub async fn stored_take_as(
    app: &TestApp,
    inv: &Invited,
    question: &str,
    n: i64,
    browser_sha: &str,
    content_type: &str,
) -> Vec<u8> {
    let takes = shortlist_store::uploads::takes_for(&app.app.db, &inv.api.org, &inv.invitation_id())
        .await
        .unwrap();
    let row = takes
        .iter()
        .find(|t| t.question_id == question && i64::from(t.take) == n)
        .unwrap_or_else(|| panic!("no answer_takes row for take {n} of {question}: {takes:?}"));
    let bytes = app.app.media.get(&row.media_key).await.unwrap();
    assert_eq!(bytes.len() as i64, row.size_bytes, "{row:?}");
    assert_eq!(
        sha256_hex(&bytes),
        browser_sha,
        "the stored object is not what the browser recorded"
    );
    assert_eq!(row.sha256, browser_sha, "the recorded checksum");
    assert!(row.content_type.starts_with(content_type), "{row:?}");
    bytes
}

pub fn assert_playable(bytes: &[u8]) {
    let streams = probe(bytes);
    assert!(
        streams.iter().any(|(t, c)| t == "video" && (c == "vp8" || c == "vp9")),
        "no VP8/VP9 video stream: {streams:?}"
    );
    assert!(
        streams.iter().any(|(t, c)| t == "audio" && c == "opus"),
        "no Opus audio stream: {streams:?}"
    );
}

/// The first PATCH that succeeded after one failed (where the upload resumed).
pub fn first_after_failure(patches: &[Value]) -> &Value {
    let failed = patches
        .iter()
        .position(|p| p["status"] != 204)
        .unwrap_or_else(|| panic!("the page saw no failed PATCH: {patches:?}"));
    patches[failed..]
        .iter()
        .find(|p| p["status"] == 204)
        .unwrap_or_else(|| panic!("no PATCH succeeded after the failure: {patches:?}"))
}

pub fn browser_sha(result: &Value, question: &str, take: i64) -> String {
    result["takes"][question][take.to_string()]["sha256"]
        .as_str()
        .unwrap_or_else(|| panic!("no take {take} of {question} in {}", result["takes"]))
        .to_string()
}

/// The invitation's uploads: (offset, length, locked).
pub async fn upload_state(app: &TestApp, inv: &Invited) -> Vec<(i64, i64, bool)> {
    let sql = "SELECT upload_offset, upload_length, lock_token IS NOT NULL FROM uploads WHERE invitation_id = $1";
    match &app.app.db {
        shortlist_store::Db::Sqlite(p) => sqlx::query_as(sql).bind(&inv.id).fetch_all(p).await.unwrap(),
        shortlist_store::Db::Postgres(p) => sqlx::query_as(sql).bind(&inv.id).fetch_all(p).await.unwrap(),
    }
}
