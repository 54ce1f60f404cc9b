//! Stateless instances: an HTTP-only process and a worker-only process share one database and
//! one object store. A change made through the first is carried out by the second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::process::{Proc, free_port};
use shortlist::App;
use shortlist_app::jobs::diag_marker_prefix;
use shortlist_domain::Role;
use std::time::Duration;

/// A fresh bucket on the test S3 server when there is one (scripts/test starts moto), else a
/// shared local folder.
async fn storage_url(data: &std::path::Path) -> String {
    match common::s3_bucket("scale").await {
        Some(bucket) => format!("s3://{bucket}/media"),
        None => url_of(&data.join("shared-media")),
    }
}

fn url_of(p: &std::path::Path) -> String {
    std::fs::create_dir_all(p).unwrap();
    format!("file://{}", p.display())
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_only_and_worker_only_instances_cooperate() {
    let db = common::TestDb::fresh().await;
    let data = tempfile::tempdir().unwrap();
    let storage = storage_url(data.path()).await;
    let smtp = std::env::var("TEST_SMTP_URL").expect("TEST_SMTP_URL (run scripts/test)");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let common_args = |dir: &str| -> Vec<String> {
        vec![
            "--database-url".into(),
            db.url.clone(),
            "--storage-url".into(),
            storage.clone(),
            "--data-dir".into(),
            data.path().join(dir).display().to_string(),
            "--argon2-m-kib".into(),
            "64".into(),
            // Instances of one installation share the secret key, as deployments must: what one
            // instance seals (the VAPID key made at first start) the others have to open.
            "--secret-key".into(),
            "scale-out-test-secret-key-0123456789abcdef".into(),
        ]
    };
    // Accounts are created through the same composition root the binary uses.
    let refs: Vec<String> = [common_args("setup"), vec!["serve".into()]].concat();
    let (c, s) = common::parse(&refs.iter().map(String::as_str).collect::<Vec<_>>());
    let setup = App::build(&c, &s).await.unwrap();
    let org = setup
        .accounts
        .create_org("Scale Co", None, false)
        .await
        .unwrap()
        .org_id()
        .unwrap();
    let email = format!("ops-{:08x}@scale.shortlist.localhost", rand::random::<u32>());
    setup
        .accounts
        .create_user(&org, &email, "Ops", Role::Admin, Some("first password 1"))
        .await
        .unwrap();

    let mut web = common_args("web");
    web.extend(
        [
            "serve",
            "--no-worker",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &base,
        ]
        .map(String::from),
    );
    web.extend(["--smtp-url".to_string(), smtp.clone()]);
    let worker_port = free_port();
    let mut wrk = common_args("worker");
    wrk.extend(
        [
            "serve",
            "--worker-only",
            "--job-poll-ms",
            "50",
            "--listen",
            &format!("127.0.0.1:{worker_port}"),
        ]
        .map(String::from),
    );
    wrk.extend(["--smtp-url".to_string(), smtp]);
    let log = data.path().join("procs.log");
    let _web = Proc::start(&web, &log);
    let _worker = Proc::start(&wrk, &log);

    let http = common::client();
    let ready = common::eventually(Duration::from_secs(30), || async {
        let r = http.get(format!("{base}/readyz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    assert!(
        ready.is_some(),
        "web instance never became ready:\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
    assert!(
        reqwest::get(format!("http://127.0.0.1:{worker_port}/healthz"))
            .await
            .is_err(),
        "a --worker-only process serves no HTTP"
    );

    // Through the HTTP-only instance: sign in and change the password.
    let r = http
        .post(format!("{base}/login"))
        .form(&[("email", email.as_str()), ("password", "first password 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = http
        .get(format!("{base}/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("csrf", csrf_of(&page)),
        ("current_password", "first password 1".into()),
        ("new_password", "second password 2".into()),
        ("confirm_password", "second password 2".into()),
    ];
    let r = http
        .post(format!("{base}/account/password"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The notice e-mail was queued by the web instance and sent by the worker instance.
    let mails = common::mails_to(&email, 1, Duration::from_secs(30)).await;
    assert_eq!(
        mails.len(),
        1,
        "the worker-only instance should send exactly one notice"
    );
    assert!(mails[0].contains("Your Shortlist password was changed"));

    // `admin selftest` (a third process) is answered by the worker, which writes to the shared store.
    let mut selftest = common_args("cli");
    selftest.extend(["admin", "selftest", "--timeout-secs", "30"].map(String::from));
    let out = std::process::Command::new(common::bin())
        .args(&selftest)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "selftest failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let job_id = stdout
        .split_whitespace()
        .find(|w| w.starts_with("job_"))
        .unwrap()
        .trim_end_matches(';')
        .to_string();
    let markers = setup.media.list(&diag_marker_prefix(&job_id)).await.unwrap();
    assert_eq!(
        markers.len(),
        1,
        "the marker is visible to every instance through the shared store"
    );
}
