//! The real `shortlist` binary as an operator runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, base_args, bin, eventually, parse};
use shortlist::App;
use shortlist_app::AppError;
use shortlist_domain::JobId;
use shortlist_store::jobs::{self, Enqueued, NewJob};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// Variables that would point a child at something other than what the test chose.
const FOREIGN_ENV: [&str; 8] = [
    "DATABASE_URL",
    "STORAGE_URL",
    "SMTP_URL",
    "SHORTLIST_DATA_DIR",
    "SHORTLIST_LISTEN",
    "SHORTLIST_PUBLIC_URL",
    "SHORTLIST_NEW_PASSWORD",
    "RUST_LOG",
];

fn command(args: &[String]) -> Command {
    let mut c = Command::new(bin());
    c.args(args).stdin(Stdio::null()).kill_on_drop(true);
    for v in FOREIGN_ENV {
        c.env_remove(v);
    }
    c
}

/// One database and data folder, and the binary run against them.
struct Cli {
    db: TestDb,
    data: TempDir,
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    fn ok(self) -> Run {
        assert!(
            self.ok,
            "command failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Fails with exactly one (non-empty) line on stderr, which it returns.
    fn fails(self) -> String {
        assert!(!self.ok, "command succeeded:\nstdout: {}", self.stdout);
        let lines: Vec<&str> = self.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr, got: {}", self.stderr);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        lines[0].to_string()
    }
}

impl Cli {
    async fn new() -> Cli {
        Cli {
            db: TestDb::fresh().await,
            data: tempfile::tempdir().unwrap(),
        }
    }

    fn args(&self, rest: &[&str]) -> Vec<String> {
        let mut a = base_args(&self.db, self.data.path());
        a.extend(rest.iter().map(|s| s.to_string()));
        a
    }

    async fn run(&self, rest: &[&str]) -> Run {
        let out = tokio::time::timeout(Duration::from_secs(60), command(&self.args(rest)).output())
            .await
            .unwrap_or_else(|_| panic!("shortlist {rest:?} did not finish within 60 s"))
            .unwrap();
        out.into()
    }

    /// `serve --worker-only` on this database, killed when dropped.
    fn worker(&self) -> Child {
        command(&self.args(&["serve", "--worker-only", "--job-poll-ms", "50"]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// The same database and data folder, opened in this process.
    async fn app(&self) -> (App, shortlist::config::ServeArgs) {
        let args = self.args(&["serve", "--job-poll-ms", "50"]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (common, serve) = parse(&refs);
        (App::build(&common, &serve).await.unwrap(), serve)
    }
}

/// The value after `prefix` on the first line that has it.
fn after<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
        .trim()
}

#[tokio::test]
async fn orgs_and_users_are_created_and_listed() {
    let cli = Cli::new().await;
    let out = cli.run(&["admin", "org", "create", "--name", "Acme Corp"]).await.ok();
    assert!(out.stdout.contains("slug=acme-corp"), "{}", out.stdout);
    let err = cli
        .run(&["admin", "org", "create", "--name", "Acme Corp"])
        .await
        .fails();
    assert!(err.contains("acme-corp"), "{err}");

    let create = ["admin", "user", "create", "--org", "acme-corp", "--name", "Ada"];
    let mut ada = create.to_vec();
    ada.extend(["--email", " Ada@Example.COM ", "--role", "recruiter"]);
    let out = cli.run(&ada).await.ok();
    let password = after(&out.stdout, "password:");
    assert_eq!(password.len(), 20, "{}", out.stdout);
    let out = cli.run(&["admin", "user", "list", "--org", "acme-corp"]).await.ok();
    let row: Vec<&str> = out
        .stdout
        .lines()
        .find(|l| l.starts_with("ada@example.com"))
        .unwrap()
        .split('\t')
        .collect();
    assert_eq!(row[..3], ["ada@example.com", "recruiter", "Ada"], "{}", out.stdout);

    let err = cli.run(&ada).await.fails();
    assert!(
        err.contains("ada@example.com") && err.contains("already exists"),
        "{err}"
    );

    let mut owner = create.to_vec();
    owner.extend(["--email", "bob@example.com", "--role", "owner"]);
    let err = cli.run(&owner).await;
    assert!(!err.ok);
    for role in ["owner", "admin", "recruiter", "reviewer"] {
        assert!(err.stderr.contains(role), "{role} not named in: {}", err.stderr);
    }

    let mut bad = create.to_vec();
    bad.extend(["--email", "not-an-email", "--role", "reviewer"]);
    let err = cli.run(&bad).await.fails();
    assert!(err.contains("not-an-email"), "{err}");

    let err = cli
        .run(&["admin", "user", "list", "--org", "no-such-org"])
        .await
        .fails();
    assert!(err.contains("no-such-org"), "{err}");
}

#[tokio::test]
async fn generated_and_reset_passwords_sign_in() {
    let cli = Cli::new().await;
    cli.run(&["admin", "org", "create", "--name", "Acme Corp"]).await.ok();
    let out = cli
        .run(&[
            "admin",
            "user",
            "create",
            "--org",
            "acme-corp",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--role",
            "admin",
        ])
        .await
        .ok();
    let first = after(&out.stdout, "password:").to_string();
    let (app, _) = cli.app().await;
    app.accounts.login("ada@example.com", &first).await.unwrap();

    let out = cli
        .run(&["admin", "user", "reset-password", "--email", "ada@example.com"])
        .await
        .ok();
    let second = after(&out.stdout, "new password for ada@example.com:").to_string();
    assert_ne!(first, second);
    assert!(matches!(
        app.accounts.login("ada@example.com", &first).await,
        Err(AppError::Unauthorized)
    ));
    app.accounts.login("ada@example.com", &second).await.unwrap();

    let err = cli
        .run(&["admin", "user", "reset-password", "--email", "nobody@example.com"])
        .await
        .fails();
    assert!(err.contains("nobody@example.com"), "{err}");
    app.db.close().await;
}

async fn job_state(app: &App, id: &JobId) -> (String, i32) {
    let row = jobs::get(&app.db, id).await.unwrap().unwrap();
    (row.state, row.attempts)
}

#[tokio::test]
async fn dead_jobs_are_listed_and_retried() {
    let cli = Cli::new().await;
    let out = cli.run(&["admin", "jobs", "dead"]).await.ok();
    assert!(out.stdout.contains("no dead jobs"), "{}", out.stdout);

    let db = shortlist_store::Db::connect(&cli.db.url).await.unwrap();
    db.migrate().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let job = NewJob::new("diag.marker", serde_json::json!({"fail": true})).max_attempts(1);
    let Enqueued::Created(id) = jobs::enqueue(&mut tx, &job).await.unwrap() else {
        panic!("duplicate")
    };
    tx.commit().await.unwrap();
    db.close().await;

    let (app, serve) = cli.app().await;
    let stop = CancellationToken::new();
    let worker = tokio::spawn(app.worker(&serve).run(stop.clone()));
    let dead = eventually(Duration::from_secs(20), || async {
        (job_state(&app, &id).await.0 == "dead").then_some(())
    })
    .await;
    stop.cancel();
    worker.await.unwrap();
    assert!(dead.is_some(), "job never died: {:?}", job_state(&app, &id).await);

    let out = cli.run(&["admin", "jobs", "dead"]).await.ok();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(id.as_str()))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(line.contains("diagnostic failure requested"), "{line}");

    let out = cli.run(&["admin", "jobs", "retry", id.as_str()]).await.ok();
    assert!(out.stdout.contains(id.as_str()), "{}", out.stdout);
    assert_eq!(job_state(&app, &id).await, ("queued".to_string(), 0));
    let err = cli.run(&["admin", "jobs", "retry", id.as_str()]).await.fails();
    assert!(err.contains(id.as_str()) && err.contains("not dead"), "{err}");
    app.db.close().await;
}

#[tokio::test]
async fn selftest_needs_a_running_worker() {
    let cli = Cli::new().await;
    cli.run(&["migrate"]).await.ok();
    let mut worker = cli.worker();
    // The worker is a fresh process that may still be starting on a busy machine; selftest
    // returns as soon as the job is done, so a long bound costs nothing when things are quick.
    let out = cli.run(&["admin", "selftest", "--timeout-secs", "50"]).await.ok();
    assert!(out.stdout.contains("ok:"), "{}", out.stdout);
    worker.kill().await.unwrap();

    let err = cli.run(&["admin", "selftest", "--timeout-secs", "2"]).await.fails();
    assert!(err.contains("worker"), "{err}");
}

#[tokio::test]
async fn migrate_is_repeatable_and_bad_database_urls_fail_clearly() {
    let cli = Cli::new().await;
    for _ in 0..2 {
        let out = cli.run(&["migrate"]).await.ok();
        assert!(out.stdout.contains("migrations are current"), "{}", out.stdout);
    }
    let data = tempfile::tempdir().unwrap();
    for url in ["mysql://x", "postgres://postgres@127.0.0.1:1/x"] {
        let args = [
            "--database-url",
            url,
            "--data-dir",
            &data.path().display().to_string(),
            "migrate",
        ]
        .map(String::from);
        let out: Run = tokio::time::timeout(Duration::from_secs(60), command(&args).output())
            .await
            .unwrap()
            .unwrap()
            .into();
        let err = out.fails();
        assert!(err.contains("DATABASE_URL"), "{url}: {err}");
    }
}

/// Runs `demo` in `data` until it prints its credentials and answers /healthz, then kills it.
async fn demo_once(data: &Path) -> (String, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let args = [
        "--data-dir",
        &data.display().to_string(),
        "--argon2-m-kib",
        "64",
        "demo",
        "--listen",
        &listen,
        // The simulator's fixed default port may be taken while other tests run.
        "--no-sim",
    ]
    .map(String::from);
    let mut child = command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push_str(&line);
            printed.push('\n');
            if line.trim().starts_with("password:") {
                return;
            }
        }
        panic!("demo exited before printing its password:\n{printed}");
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("demo printed no password within 60 s");
    assert!(
        printed.contains(&format!("Sign in at http://{listen}/login")),
        "{printed}"
    );
    let url = format!("http://{listen}/healthz");
    let up = eventually(Duration::from_secs(30), || async {
        let r = reqwest::get(&url).await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    assert!(up.is_some(), "demo never answered {url}");
    child.kill().await.unwrap();
    (
        after(&printed, "e-mail:").to_string(),
        after(&printed, "password:").to_string(),
    )
}

#[tokio::test]
async fn demo_reuses_its_organisation_and_credentials() {
    let data = tempfile::tempdir().unwrap();
    let first = demo_once(data.path()).await;
    let second = demo_once(data.path()).await;
    assert_eq!(first, second);
    assert_eq!(first.0, "admin@demo.shortlist.localhost");
    assert_eq!(first.1.len(), 20, "{first:?}");

    let args = ["--data-dir", &data.path().display().to_string(), "admin", "org", "list"].map(String::from);
    let out = Run::from(command(&args).output().await.unwrap()).ok();
    let demos = out
        .stdout
        .lines()
        .filter(|l| l.split('\t').next() == Some("demo"))
        .count();
    assert_eq!(demos, 1, "{}", out.stdout);
}

#[tokio::test]
async fn serve_help_lists_the_settings() {
    let out = Run::from(command(&["serve".into(), "--help".into()]).output().await.unwrap()).ok();
    for want in [
        "DATABASE_URL",
        "STORAGE_URL",
        "SHORTLIST_LISTEN",
        "SHORTLIST_PUBLIC_URL",
        "SMTP_URL",
        "--no-worker",
        "--worker-only",
    ] {
        assert!(
            out.stdout.contains(want),
            "`serve --help` lacks {want}:\n{}",
            out.stdout
        );
    }
}
