#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The candidate pages in a real browser: Debian's Chromium with fake camera and microphone,
//! driven by tests/browser/interview.mjs (playwright-core as a driver, axe-core loaded into
//! every page). Each test checks durable evidence afterwards: the database rows, the stored
//! object (byte for byte what the browser recorded, and playable according to ffprobe) and
//! the e-mail.
//!
//! Needs chromium, ffprobe, node and tests/browser/node_modules (scripts/install-test-deps).
//! Without them the tests are skipped with a message, unless CI is set: then they fail.
//! Browser runs take a lock file so that only one Chromium records at a time (2 cores).

mod api_common;
mod common;

use api_common::{Api, candidate_email, sign_in, unique};
use common::{TestApp, mails_to};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shortlist_domain::{InvitationId, Role};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const NODE_TIMEOUT: Duration = Duration::from_secs(180);
const WAIT: Duration = Duration::from_secs(30);

// ------------------------------------------------------------------ set-up ----

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Whether the browser tests can run. A missing piece skips the test with a message, or fails
/// it when CI is set.
fn browser_ready() -> bool {
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
fn browser_lock() -> std::fs::File {
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
fn full_spec() -> Value {
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
fn upload_spec() -> Value {
    json!({
        "name": "Upload under faults",
        "questions": [
            { "id": "q1", "kind": "video", "prompt": "Tell us about a project", "think_time_secs": 0, "answer_time_secs": 4, "retakes": 0 }
        ]
    })
}

struct Invited {
    api: Api,
    token: String,
    id: String,
}

impl Invited {
    fn invitation_id(&self) -> InvitationId {
        InvitationId::parse(&self.id).unwrap()
    }
}

async fn invite(app: &TestApp, spec: Value) -> Invited {
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
async fn drive(mut config: Value) -> Value {
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

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// ffprobe's streams of `bytes`, as (codec_type, codec_name) pairs.
fn probe(bytes: &[u8]) -> Vec<(String, String)> {
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
async fn stored_take(app: &TestApp, inv: &Invited, question: &str, n: i64, browser_sha: &str) -> Vec<u8> {
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
    assert!(row.content_type.starts_with("video/webm"), "{row:?}");
    bytes
}

fn assert_playable(bytes: &[u8]) {
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
fn first_after_failure(patches: &[Value]) -> &Value {
    let failed = patches
        .iter()
        .position(|p| p["status"] != 204)
        .unwrap_or_else(|| panic!("the page saw no failed PATCH: {patches:?}"));
    patches[failed..]
        .iter()
        .find(|p| p["status"] == 204)
        .unwrap_or_else(|| panic!("no PATCH succeeded after the failure: {patches:?}"))
}

fn browser_sha(result: &Value, question: &str, take: i64) -> String {
    result["takes"][question][take.to_string()]["sha256"]
        .as_str()
        .unwrap_or_else(|| panic!("no take {take} of {question} in {}", result["takes"]))
        .to_string()
}

/// The invitation's uploads: (offset, length, locked).
async fn upload_state(app: &TestApp, inv: &Invited) -> Vec<(i64, i64, bool)> {
    let sql = "SELECT upload_offset, upload_length, lock_token IS NOT NULL FROM uploads WHERE invitation_id = $1";
    match &app.app.db {
        shortlist_store::Db::Sqlite(p) => sqlx::query_as(sql).bind(&inv.id).fetch_all(p).await.unwrap(),
        shortlist_store::Db::Postgres(p) => sqlx::query_as(sql).bind(&inv.id).fetch_all(p).await.unwrap(),
    }
}

// ------------------------------------------------------------------- proxy ----

/// What the proxy does to upload PATCHes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Cut off the first PATCH of an upload half-way, then drop both connections.
    Cut,
    /// As `Cut`, and from then on forward nothing (close every connection, the open ones
    /// too) until [`Proxy::point_at`] names a server: the test restarts the server meanwhile.
    CutAndHold,
}

/// A TCP proxy between Chromium and the server that understands just enough HTTP/1.1 to see
/// request lines. It counts upload PATCHes, cuts off the first one half-way (forwarding half
/// its body, then dropping both connections), and can be pointed at another server.
///
/// Chromium itself sends a request again, unseen by the page, when a reused keep-alive
/// connection closes before any answer; so "the first PATCH" is every PATCH at offset 0 (at
/// most [`MAX_CUTS`]): the upload can only succeed by tus-js-client asking for the stored
/// offset and sending the rest from there.
struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

const MAX_CUTS: usize = 4;

struct Shared {
    fault: Fault,
    /// Where requests go; `None`: nowhere (connections are closed).
    target: Mutex<Option<SocketAddr>>,
    patches: AtomicUsize,
    cuts: AtomicUsize,
    /// Each cut reports how many body bytes it let through.
    cut_sent: mpsc::UnboundedSender<usize>,
}

impl Shared {
    fn target(&self) -> Option<SocketAddr> {
        *self.target.lock().unwrap()
    }
}

impl Proxy {
    async fn start(target: SocketAddr, fault: Fault) -> (Proxy, mpsc::UnboundedReceiver<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut_sent, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            fault,
            target: Mutex::new(Some(target)),
            patches: AtomicUsize::new(0),
            cuts: AtomicUsize::new(0),
            cut_sent,
        });
        let sh = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let sh = sh.clone();
                tokio::spawn(async move {
                    if let Some(up) = sh.target() {
                        let _ = relay(client, up, &sh).await;
                    }
                });
            }
        });
        (Proxy { addr, shared }, rx)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn point_at(&self, to: Option<SocketAddr>) {
        *self.shared.target.lock().unwrap() = to;
    }

    fn patches(&self) -> usize {
        self.shared.patches.load(Ordering::SeqCst)
    }

    fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Relays one client connection to `upstream`. Requests are parsed (request line, headers) so
/// PATCHes can be counted and cut; responses are copied as they come. The connection is
/// closed before a request when the proxy no longer points at `upstream`.
async fn relay(client: TcpStream, upstream: SocketAddr, sh: &Shared) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let back = tokio::spawn(async move { tokio::io::copy(&mut sr, &mut cw).await });
    let _stop_back = AbortOnDrop(back);
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        // The request head.
        let end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = cr.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        if sh.target() != Some(upstream) {
            return Ok(());
        }
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let mut body_len: usize = 0;
        let mut chunked = false;
        let mut at_start = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((k, v)) = line.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if k == "content-length" {
                    body_len = v.trim().parse().unwrap_or(0);
                } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                    chunked = true;
                } else if k == "upload-offset" {
                    at_start = v.trim() == "0";
                }
            }
        }
        let is_patch = head.starts_with("PATCH /uploads/");
        if is_patch {
            sh.patches.fetch_add(1, Ordering::SeqCst);
        }
        let cut = is_patch
            && at_start
            && body_len > 1
            && sh
                .cuts
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_CUTS).then_some(n + 1))
                .is_ok();
        sw.write_all(&buf[..end]).await?;
        buf.drain(..end);
        if chunked {
            // Not expected from the browser; relay the rest of the connection unparsed.
            sw.write_all(&buf).await?;
            tokio::io::copy(&mut cr, &mut sw).await?;
            return Ok(());
        }
        let limit = if cut { body_len / 2 } else { body_len };
        let mut sent = 0;
        while sent < limit {
            if buf.is_empty() {
                let n = cr.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let n = buf.len().min(limit - sent);
            sw.write_all(&buf[..n]).await?;
            buf.drain(..n);
            sent += n;
        }
        if cut {
            // The server has half the body; both connections go away (on return).
            sw.flush().await?;
            if sh.fault == Fault::CutAndHold {
                *sh.target.lock().unwrap() = None;
            }
            let _ = sh.cut_sent.send(sent);
            return Ok(());
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<std::io::Result<u64>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

// ------------------------------------------------------------------- tests ----

/// A whole interview in Chromium: device check, practice, the consent survey, a video answer
/// with a retake (take 2 submitted), text, multiple choice, completion and the receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_candidate_completes_the_interview_in_chromium() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, full_spec()).await;
    let text = "I like hard problems <and> small teams";
    let result = drive(json!({
        "url": app.url(&format!("/i/{}", inv.token)),
        "steps": ["landing", "device", "practice", "survey:before", "question:q1:video",
                  "question:q2:text", "question:q3:multiple_choice", "question:q4:file_upload",
                  "finish", "done"],
        "answers": { "q2": text, "q3": ["a"] },
        "takes": 2,
        "chooseTake": 2,
        "recordMs": 2000,
        "screenshot": "/tmp/question.png",
        "phoneCheck": true,
    }))
    .await;

    // The completed interview, as stored.
    let detail = inv.api.invitation(&inv.id).await;
    assert_eq!(detail["state"], "completed", "{detail}");
    let rows = shortlist_store::interviews::answers(&app.app.db, &inv.api.org, &inv.invitation_id())
        .await
        .unwrap();
    let answer = |id: &str| {
        rows.iter()
            .find(|a| a.item_id == id)
            .unwrap_or_else(|| panic!("no answer {id}: {rows:?}"))
    };
    assert_eq!(answer("q1").take, Some(2), "take 2 was chosen");
    assert_eq!(answer("q2").text_value.as_deref(), Some(text));
    assert_eq!(answer("q3").choice_ids.as_deref(), Some("[\"a\"]"));
    assert_eq!(answer("q3").correct, Some(true));
    assert!(!answer("s1").skipped);
    assert_eq!(answer("q4").take, Some(1), "the document");

    // Both takes arrived; take 2 is byte for byte what the browser recorded, and playable.
    let take1 = browser_sha(&result, "q1", 1);
    let take2 = browser_sha(&result, "q1", 2);
    assert_ne!(take1, take2);
    stored_take(&app, &inv, "q1", 1, &take1).await;
    let bytes = stored_take(&app, &inv, "q1", 2, &take2).await;
    assert_playable(&bytes);
    // Take 2 (six seconds) was uploaded while it was recorded: its length came last.
    let streamed = &result["takes"]["q1"]["2"];
    let patches = streamed["patches"].as_array().unwrap();
    assert_eq!(streamed["streamed"], true, "{streamed}");
    assert!(
        patches.iter().any(|p| p["whileRecording"] == true),
        "no PATCH went out while recording: {patches:?}"
    );
    assert_eq!(
        patches.last().unwrap()["uploadLength"].as_u64(),
        Some(bytes.len() as u64),
        "{patches:?}"
    );
    assert_eq!(result["sha256"], take2.as_str(), "the submitted take");
    let takes = shortlist_store::uploads::takes_for(&app.app.db, &inv.api.org, &inv.invitation_id())
        .await
        .unwrap();
    let cv = takes
        .iter()
        .find(|t| t.question_id == "q4")
        .expect("the document's take");
    assert_eq!(
        app.app.media.get(&cv.media_key).await.unwrap(),
        b"%PDF-1.4\n% uploaded by the browser test\n"
    );

    // The receipt names every answer; the owner hears of the completion.
    let receipt = result["receipt"].to_string();
    for expected in [
        "Introduce yourself",
        "Recording, take 2",
        "Why do you want this job?",
        "Which is a prime number?",
        "Your CV (PDF)",
        "I agree to be recorded",
    ] {
        assert!(receipt.contains(expected), "{expected} missing from {receipt}");
    }
    assert_eq!(result["closingMessage"], "We will call you within a week.");
    let mails = mails_to(&inv.api.email, 1, WAIT).await;
    let mail = api_common::decode_qp(mails.first().expect("the owner's completion e-mail"));
    assert!(mail.contains("Grace Hopper completed the interview for"), "{mail}");
    app.stop().await;
}

/// In Spanish (?lang=es) the pages speak Spanish and say so in <html lang>.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_speak_spanish_on_request() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, full_spec()).await;
    let result = drive(json!({
        "url": app.url(&format!("/i/{}", inv.token)),
        "lang": "es",
        "timeZone": "America/New_York",
        "steps": ["landing", "device"],
        "stopAt": "device",
        "expectHeadings": {
            "landing": "te invita a una entrevista en vídeo",
            "device": "Comprueba tu cámara y tu micrófono"
        },
    }))
    .await;
    assert_eq!(result["pages"][0]["lang"], "es", "{result}");
    // The deadline in the candidate's time zone and language; the UTC text stays as a tooltip.
    let deadline = &result["deadline"];
    let at = chrono::DateTime::parse_from_rfc3339(deadline["datetime"].as_str().unwrap()).unwrap();
    let new_york = at.with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap());
    let text = deadline["text"].as_str().unwrap();
    assert_eq!(deadline["zone"], "America/New_York", "{deadline}");
    assert!(text.contains(&new_york.format("%H:%M").to_string()), "{deadline}");
    assert!(
        !text.contains("UTC") && text.contains(&new_york.format("%Y").to_string()),
        "{deadline}"
    );
    assert!(deadline["utc"].as_str().unwrap().ends_with(" UTC"), "{deadline}");
    let detail = inv.api.invitation(&inv.id).await;
    assert_eq!(detail["state"], "started", "consent was given in Spanish: {detail}");
    app.stop().await;
}

/// Expired, cancelled and malformed links: the friendly page with 410, 410 and 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_and_unknown_links_get_their_pages() {
    if !browser_ready() {
        return;
    }
    let clock = Arc::new(shortlist_app::clock::OffsetClock::default());
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let cancelled = invite(&app, upload_spec()).await;
    let (s, v) = cancelled
        .api
        .post(&format!("/invitations/{}/cancel", cancelled.id), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let expired = invite(&app, upload_spec()).await;
    clock.advance(chrono::TimeDelta::days(60));
    let result = drive(json!({
        "mode": "visit",
        "visits": [
            { "url": app.url(&format!("/i/{}", expired.token)), "status": 410, "heading": "This interview link has expired" },
            { "url": app.url(&format!("/i/{}", cancelled.token)), "status": 410, "heading": "This interview was cancelled" },
            { "url": app.url("/i/not-a-token"), "status": 404, "heading": "This interview link is not valid" },
            { "url": app.url(&format!("/i/{}?lang=es", expired.token)), "status": 410, "heading": "Este enlace de entrevista ha caducado" },
        ],
    }))
    .await;
    let visits = result["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 4);
    assert!(
        visits[0]["detail"].as_str().unwrap().contains(&expired.api.email),
        "the expired page names whom to contact: {}",
        visits[0]
    );
    app.stop().await;
}

/// The first upload PATCH is cut off half-way by a proxy that then drops the connection:
/// tus-js-client resumes from the stored offset and the answer arrives byte-identical.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_midway_resumes_byte_identical() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let inv = invite(&app, upload_spec()).await;
    let (proxy, mut cuts) = Proxy::start(app.addr, Fault::Cut).await;
    let result = drive(json!({
        "url": proxy.url(&format!("/i/{}", inv.token)),
        "steps": ["landing", "device", "question:q1:video", "finish", "done"],
        "takes": 1,
    }))
    .await;
    let cut_at = cuts.try_recv().expect("the proxy cut a PATCH off");
    let sha = browser_sha(&result, "q1", 1);
    let bytes = stored_take(&app, &inv, "q1", 1, &sha).await;
    assert!(cut_at > 0 && cut_at < bytes.len(), "cut after {cut_at} bytes");
    assert!(
        proxy.patches() > proxy.cuts() && proxy.cuts() >= 1,
        "{} PATCH requests, {} cut off",
        proxy.patches(),
        proxy.cuts()
    );
    // tus-js-client saw the PATCH fail, then sent the rest from where the cut-off one had been
    // stored.
    let patches = result["takes"]["q1"]["1"]["patches"].as_array().unwrap();
    eprintln!(
        "proxy: {} PATCH requests, {} cut off; the page's PATCHes: {patches:?}",
        proxy.patches(),
        proxy.cuts()
    );
    let last = patches.last().unwrap();
    assert_eq!(last["status"], 204, "{patches:?}");
    let resumed_at = first_after_failure(patches)["offset"].as_u64().unwrap() as usize;
    assert!(
        resumed_at > 0 && resumed_at <= cut_at,
        "resumed at {resumed_at} after {cut_at} bytes were forwarded: {patches:?}"
    );
    assert_playable(&bytes);
    assert_eq!(inv.api.invitation(&inv.id).await["state"], "completed");
    app.stop().await;
}

/// The server restarts (same database and media folder, another port behind the proxy) while
/// an upload is half-way: the browser resumes against the new server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_survives_a_server_restart() {
    if !browser_ready() {
        return;
    }
    let app = TestApp::spawn().await;
    let mut inv = invite(&app, upload_spec()).await;
    let (proxy, mut cuts) = Proxy::start(app.addr, Fault::CutAndHold).await;
    let url = proxy.url(&format!("/i/{}", inv.token));
    let browser = tokio::spawn(drive(json!({
        "url": url,
        "steps": ["landing", "device", "question:q1:video", "finish", "done"],
        "takes": 1,
    })));

    // Half the first PATCH has reached the server when the proxy drops the connection (and
    // from then on every connection). Once the server has stored those bytes, stop it and start
    // a new one on the same database and media folder.
    let cut_at = tokio::time::timeout(Duration::from_secs(90), cuts.recv())
        .await
        .expect("no upload PATCH within 90 s")
        .unwrap();
    let (stored, length) = common::eventually(Duration::from_secs(15), || async {
        let s = upload_state(&app, &inv).await;
        (s.len() == 1 && s[0].0 > 0 && !s[0].2).then_some((s[0].0, s[0].1))
    })
    .await
    .unwrap_or_else(|| panic!("the cut-off PATCH left nothing stored"));
    assert_eq!(stored as usize, cut_at, "every byte that arrived is kept");
    assert!(
        length == shortlist_store::uploads::DEFERRED_LENGTH || stored < length,
        "the upload is half-way: {stored} of {length}"
    );
    let (db, data) = app.stop_keeping_data().await;
    let app = TestApp::spawn_on(db, data, &[]).await;
    let state = upload_state(&app, &inv).await;
    assert_eq!(state.len(), 1);
    assert_eq!(
        (state[0].0, state[0].2),
        (stored, false),
        "after the restart: {state:?}"
    );
    proxy.point_at(Some(app.addr));
    inv.api.base = format!("{}/api/v1", app.base); // the session cookie stays valid
    eprintln!("server restarted; {stored} of {cut_at} forwarded bytes were stored");

    let result = browser.await.unwrap();
    let sha = browser_sha(&result, "q1", 1);
    let bytes = stored_take(&app, &inv, "q1", 1, &sha).await;
    let patches = result["takes"]["q1"]["1"]["patches"].as_array().unwrap();
    eprintln!(
        "proxy: {} PATCH requests, {} cut off; the page's PATCHes: {patches:?}",
        proxy.patches(),
        proxy.cuts()
    );
    assert_eq!(proxy.cuts(), 1);
    assert!(proxy.patches() >= 2, "{} PATCH requests", proxy.patches());
    assert_eq!(patches.last().unwrap()["status"], 204, "{patches:?}");
    let resumed = first_after_failure(patches);
    assert_eq!(
        resumed["offset"].as_i64(),
        Some(stored),
        "the new server got the rest from the stored offset: {patches:?}"
    );
    assert_playable(&bytes);
    assert_eq!(inv.api.invitation(&inv.id).await["state"], "completed");
    app.stop().await;
}
