#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `shortlist demo` starts the iCIMS and Greenhouse simulators connected to the demo
//! organisation: moving a candidate on the iCIMS page, or pressing "Send test" on the Greenhouse
//! page, sends the invitation e-mail, on a re-run too, and the simulators' state survives it.

mod common;

use common::{TestDb, bin, eventually};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `demo` and reads its output until it names both simulator pages; returns the iCIMS
/// page URL (the Greenhouse one is on `gh_port`).
async fn start_demo(db: &TestDb, data: &Path, sim_port: u16, gh_port: u16) -> (Child, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let args = [
        "--database-url".to_string(),
        db.url.clone(),
        "--data-dir".into(),
        data.display().to_string(),
        "--argon2-m-kib".into(),
        "64".into(),
        "demo".into(),
        "--listen".into(),
        listen.clone(),
        "--sim-port".into(),
        sim_port.to_string(),
        "--greenhouse-sim-port".into(),
        gh_port.to_string(),
        "--workable-sim-port".into(),
        free_port().to_string(),
        "--job-poll-ms".into(),
        "100".into(),
    ];
    let mut c = Command::new(bin());
    c.args(args).stdin(Stdio::null()).kill_on_drop(true);
    for v in [
        "SMTP_URL",
        "STORAGE_URL",
        "SHORTLIST_DATA_DIR",
        "SHORTLIST_PUBLIC_URL",
        "SHORTLIST_LISTEN",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    let mut child = c.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    let read = async {
        let mut icims = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push_str(&line);
            printed.push('\n');
            if let Some(url) = line.trim().strip_prefix("iCIMS simulator:") {
                icims = Some(url.trim().to_string());
            }
            if line.trim().starts_with("Greenhouse simulator:")
                && let Some(url) = icims.take()
            {
                return url;
            }
        }
        panic!("demo exited before naming both simulators:\n{printed}");
    };
    let page = tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("demo named no simulator page within 60 s");
    // The simulator is up before the server listens; events sent in between would go nowhere.
    let health = format!("http://{listen}/healthz");
    let up = eventually(Duration::from_secs(30), || async {
        reqwest::get(&health).await.ok()?.status().is_success().then_some(())
    })
    .await;
    assert!(up.is_some(), "demo never answered {health}");
    (child, page)
}

/// Ticks the workflow of `who` on the simulator page and submits the form with "Video Interview".
async fn move_on_page(page: &str, who: &str) {
    let html = reqwest::get(page).await.unwrap().text().await.unwrap();
    let row = html
        .split("<tr>")
        .find(|r| r.contains(who) && r.contains("name=\"wf\""))
        .unwrap_or_else(|| panic!("no workflow row for {who} on the page:\n{html}"));
    let wf = row
        .split("name=\"wf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let reply = reqwest::Client::new()
        .post(format!("{page}move"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("wf={wf}&status=C38356"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!reply.contains("error"), "the move was refused: {reply}");
}

/// Loads the tests on the Greenhouse simulator page and presses "Send test" for `who`.
async fn send_test_on_page(page: &str, who: &str) {
    let c = reqwest::Client::new();
    let form = |body: String| {
        c.post(format!("{page}{}", if body.is_empty() { "tests/load" } else { "send" }))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let loaded = form(String::new()).send().await.unwrap().text().await.unwrap();
    assert!(
        loaded.contains("Sample interview"),
        "the demo's sample template is listed: {loaded}"
    );
    let html = reqwest::get(page).await.unwrap().text().await.unwrap();
    let row = html
        .split("<tr>")
        .find(|r| r.contains(who) && r.contains("name=\"candidate\""))
        .unwrap_or_else(|| panic!("no row for {who} on the page:\n{html}"));
    let id = row
        .split("name=\"candidate\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let test = row.split("<option value=\"").nth(1).unwrap().split('"').next().unwrap();
    let reply = form(format!("candidate={id}&test={test}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reply.contains("partner_interview_id"), "the send was refused: {reply}");
}

/// The .eml files under the demo's mail folder addressed to `rcpt`.
async fn invitation_mail(data: &Path, rcpt: &str) -> Option<String> {
    let dir = data.join("mail");
    eventually(Duration::from_secs(30), || async {
        std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .find(|m| m.contains(&format!("To: {rcpt}")) || m.contains(&format!("<{rcpt}>")))
    })
    .await
}

#[tokio::test]
async fn moving_a_candidate_in_the_demo_simulator_sends_the_invitation() {
    let db = TestDb::fresh().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let gh_port = free_port();
    let gh_page = format!("http://127.0.0.1:{gh_port}/");

    let (mut child, page) = start_demo(&db, data.path(), port, gh_port).await;
    assert_eq!(page, format!("http://127.0.0.1:{port}/"));
    move_on_page(&page, "Ada Lovelace").await;
    let mail = invitation_mail(data.path(), "ada.lovelace@candidates.example").await;
    assert!(
        mail.is_some(),
        "no invitation e-mail for Ada in {}",
        data.path().join("mail").display()
    );
    send_test_on_page(&gh_page, "Katherine Johnson").await;
    let mail = invitation_mail(data.path(), "katherine.johnson@candidates.example").await;
    assert!(
        mail.is_some(),
        "no invitation e-mail for Katherine from the Greenhouse simulator"
    );
    child.kill().await.unwrap();

    // A re-run reuses the connection and the saved credentials in both directions, and the
    // simulator remembers its candidates: Ada is still in "Video Interview", nobody was added twice.
    let (mut child, page) = start_demo(&db, data.path(), port, gh_port).await;
    let html = reqwest::get(&page).await.unwrap().text().await.unwrap();
    let ada: Vec<&str> = html
        .split("<tr>")
        .filter(|r| r.contains("Ada Lovelace") && r.contains("name=\"wf\""))
        .collect();
    assert_eq!(
        ada.len(),
        1,
        "Ada's workflow should appear once after a restart:\n{html}"
    );
    assert!(
        ada[0].contains("Video Interview"),
        "Ada's status was lost on restart: {}",
        ada[0]
    );
    move_on_page(&page, "Grace Hopper").await;
    let mail = invitation_mail(data.path(), "grace.hopper@candidates.example").await;
    assert!(mail.is_some(), "no invitation e-mail for Grace after a re-run");
    // The Greenhouse connection and its saved key still work after the re-run.
    send_test_on_page(&gh_page, "Dorothy Vaughan").await;
    let mail = invitation_mail(data.path(), "dorothy.vaughan@candidates.example").await;
    assert!(
        mail.is_some(),
        "no Greenhouse invitation e-mail for Dorothy after a re-run"
    );
    child.kill().await.unwrap();
}
