//! schemathesis (the PyPI fuzzer, installed by scripts/install-test-deps) against the served
//! OpenAPI document: generated requests to every operation, valid and invalid, must never get a
//! 5xx, and every answer must match the document (status, content type, body schema).
//!
//! The caller is a live partner acting as the organisation's administrator, so every operation
//! is allowed and the fuzzer is not throttled; the organisation holds one object of each kind,
//! so paths with its ids reach real data too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod openapi_support;

use common::TestApp;
use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_errors_and_no_answer_outside_the_document() {
    let app = TestApp::spawn().await;
    let org = openapi_support::org(&app).await;
    let o = openapi_support::objects(&org.api).await;
    let doc = openapi_support::document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));

    let reports = tempfile::tempdir().unwrap();
    // Paths get the organisation's real ids (random ones would only ever meet 404), so the
    // answers about real objects are checked against the document too.
    let config = reports.path().join("schemathesis.toml");
    let operations = [
        (r"^/templates/\{id\}", format!(r#""path.id" = "{}""#, o.template)),
        (r"^/templates/by-key/", format!(r#""path.key" = "{}""#, o.template_key)),
        (
            r"^/positions/\{id\}",
            format!(r#""path.id" = "{}", "path.template_id" = "{}""#, o.position, o.template),
        ),
        (r"^/invitations/\{id\}", format!(r#""path.id" = "{}""#, o.invitation)),
        (r"^/share-links/", format!(r#""path.id" = "{}""#, o.share_link)),
        (r"^/media/\{key\}", format!(r#""path.key" = "{}""#, o.media_key)),
        (r"^/email-templates/", r#""path.kind" = "invitation""#.to_string()),
    ];
    let toml: String = operations
        .iter()
        .map(|(re, params)| format!("[[operations]]\ninclude-path-regex = '{re}'\nparameters = {{ {params} }}\n\n"))
        .collect();
    std::fs::write(&config, toml).unwrap();
    let mut cmd = Command::new("schemathesis");
    cmd.args(["--config-file", config.to_str().unwrap()])
        .arg("run")
        .arg(app.url("/api/v1/openapi.json"))
        .args(["--url", &app.url("/api/v1")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        // One worker: hypothesis describes its filters with `ast` from several threads otherwise,
        // which CPython 3.11 can fail at ("AST constructor recursion depth mismatch").
        .args(["--max-examples", "25", "--seed", "20261126", "--workers", "1"])
        .args(["--generation-with-security-parameters", "false"])
        // No example database carried between runs: the seed alone decides what is sent.
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "20", "--no-color", "--no-shrink"])
        .args(["--report-dir", reports.path().to_str().unwrap()])
        .env("NO_COLOR", "1")
        .current_dir(reports.path());
    for (name, value) in &org.headers {
        cmd.args(["-H", &format!("{name}: {value}")]);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("schemathesis runs (scripts/install-test-deps installs it)");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The summary goes to the test's output either way: what was run, how often, and why not.
    eprintln!("{text}");
    assert!(out.status.success(), "schemathesis failed:\n{text}");
    // It really exercised the API, not just read the document.
    assert!(text.contains("passed"), "{text}");
    app.stop().await;
}
