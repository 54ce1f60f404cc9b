#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `shortlist sim icims|greenhouse --state-dir DIR`: the simulators run as their own processes,
//! seed their sample data once, and show the same data after a restart.

mod common;

use std::path::Path;
use std::time::Duration;

use common::eventually;
use common::process::{Proc, free_port};
use serde_json::Value;

/// Starts `shortlist sim …` (run number `run` on this log) and waits until it printed its banner,
/// which comes after seeding; then GETs `probe` on it.
async fn start(args: &[&str], log: &Path, run: usize, port: u16, probe: &str) -> (Proc, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let proc = Proc::start(&args, log);
    let printed = eventually(Duration::from_secs(30), || async {
        let text = std::fs::read_to_string(log).ok()?;
        (text.matches(" simulator").count() > run).then_some(())
    })
    .await;
    let log_text = || std::fs::read_to_string(log).unwrap_or_default();
    assert!(printed.is_some(), "no banner; log:\n{}", log_text());
    let url = format!("http://127.0.0.1:{port}{probe}");
    let resp = reqwest::get(&url).await.unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    (proc, resp.text().await.unwrap())
}

#[tokio::test]
async fn the_greenhouse_simulator_seeds_three_candidates_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let args = [
        "sim",
        "greenhouse",
        "--listen",
        &listen,
        // Nothing listens on the discard port: the start reports the tests as not loaded.
        "--partner",
        "http://127.0.0.1:9",
        "--api-key",
        "org-key",
        "--state-dir",
        state.to_str().unwrap(),
    ];
    let log = dir.path().join("sim.log");
    for run in 0..2 {
        let (mut proc, body) = start(&args, &log, run, port, "/_sim/state").await;
        let v: Value = serde_json::from_str(&body).unwrap();
        let names: Vec<&str> = v["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["first_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Katherine", "Dorothy", "Mary"], "run {run}");
        proc.kill();
    }
    assert!(state.join("greenhouse.json").exists());
}

#[tokio::test]
async fn the_icims_simulator_keeps_its_workflows_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let args = [
        "sim",
        "icims",
        "--listen",
        &listen,
        "--state-dir",
        state.to_str().unwrap(),
    ];
    let log = dir.path().join("sim.log");
    let mut pages = Vec::new();
    for run in 0..2 {
        let (mut proc, page) = start(&args, &log, run, port, "/").await;
        pages.push(page.split("name=\"wf\"").count() - 1);
        proc.kill();
    }
    assert_eq!(pages, [4, 4], "four seeded workflows, not seeded again on restart");
    assert!(state.join("icims.json").exists());
}
