//! Partner administration from the command line: an operator registers, promotes, rotates and
//! suspends a partner with `shortlist admin partner …`, and the API follows each step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_common;
mod common;
mod partner_support;

use api_common::sign_in;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, client};
use partner_support::{as_partner, call, refused};
use reqwest::{Method, StatusCode};
use shortlist_domain::Role;

/// `shortlist admin …` against the test server's database; stdout, or a panic with stderr.
async fn admin_cli(app: &TestApp, args: &[&str]) -> String {
    let mut full = common::base_args(&app.db, app.data.path());
    full.push("admin".into());
    full.extend(args.iter().map(|s| s.to_string()));
    let mut c = tokio::process::Command::new(common::bin());
    c.args(&full).stdin(std::process::Stdio::null()).kill_on_drop(true);
    for v in [
        "DATABASE_URL",
        "STORAGE_URL",
        "SMTP_URL",
        "SHORTLIST_DATA_DIR",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    let out = c.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The value after `label` on its line of CLI output.
fn after<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no '{label}' in {out}"))
        .trim()
}

#[tokio::test]
async fn an_operator_registers_promotes_rotates_and_suspends_a_partner_from_the_cli() {
    let app = TestApp::spawn().await;
    let api = sign_in(&app, Role::Recruiter).await;
    let slug = shortlist_store::orgs::get(&app.app.db, &api.org)
        .await
        .unwrap()
        .unwrap()
        .slug;
    let out = admin_cli(
        &app,
        &[
            "partner",
            "create",
            "--name",
            "Acme ATS",
            "--contact",
            "dev@acme.example.com",
            "--org",
            &slug,
        ],
    )
    .await;
    let (key, secret) = (after(&out, "partner key:"), after(&out, "partner secret (shown once):"));
    let id = after(&out, "created partner Acme ATS (")
        .split(')')
        .next()
        .unwrap()
        .to_string();
    let url = format!("{}/positions", api.base);
    let h = STANDARD.encode(format!("{key}:{secret}"));
    let got = call(&client(), Method::GET, url.clone(), &as_partner(&h, &api.email), None).await;
    refused(&got, StatusCode::FORBIDDEN, "partner_not_live");

    admin_cli(&app, &["partner", "promote", &id, "--to", "live"]).await;
    assert!(
        admin_cli(&app, &["partner", "list"])
            .await
            .contains(&format!("{id}\tlive\tAcme ATS"))
    );
    let got = call(&client(), Method::GET, url.clone(), &as_partner(&h, &api.email), None).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);

    let out = admin_cli(&app, &["partner", "rotate", &id, "--window-hours", "1"]).await;
    let rotated = STANDARD.encode(format!("{key}:{}", after(&out, "new partner secret (shown once):")));
    for hdr in [&h, &rotated] {
        let got = call(&client(), Method::GET, url.clone(), &as_partner(hdr, &api.email), None).await;
        assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    }
    admin_cli(&app, &["partner", "suspend", &id]).await;
    let got = call(
        &client(),
        Method::GET,
        url.clone(),
        &as_partner(&rotated, &api.email),
        None,
    )
    .await;
    refused(&got, StatusCode::FORBIDDEN, "partner_suspended");
    let audit = admin_cli(&app, &["partner", "audit", &id]).await;
    assert_eq!(audit.lines().count(), 4, "created, live, rotated, suspended: {audit}");

    let out = admin_cli(
        &app,
        &[
            "apikey",
            "create",
            "--org",
            &slug,
            "--name",
            "nightly export",
            "--scopes",
            "read",
        ],
    )
    .await;
    let token = after(&out, "token (shown once):").to_string();
    let kid = after(&out, "created API key nightly export (")
        .split(')')
        .next()
        .unwrap()
        .to_string();
    let auth = format!("Bearer {token}");
    let got = call(&client(), Method::GET, url.clone(), &[("Authorization", &auth)], None).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    assert!(
        admin_cli(&app, &["apikey", "list", "--org", &slug])
            .await
            .contains(&format!("{kid}\torganisation\tactive"))
    );
    admin_cli(&app, &["apikey", "revoke", "--org", &slug, &kid]).await;
    let got = call(&client(), Method::GET, url, &[("Authorization", &auth)], None).await;
    refused(&got, StatusCode::UNAUTHORIZED, "credential_revoked");
    app.stop().await;
}
