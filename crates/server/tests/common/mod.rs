//! Test harness: a fresh database per test on the backend named by TEST_BACKEND (sqlite by
//! default, postgres with scripts/test), the real server on 127.0.0.1:0, and helpers to run the
//! real binary and read what the SMTP sink received.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use shortlist::App;
use shortlist::config::{Cli, Command, CommonArgs, ServeArgs};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub fn backend() -> String {
    std::env::var("TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

/// A database of its own for one test.
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
}

impl TestDb {
    pub async fn fresh() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = match backend().as_str() {
            "sqlite" => format!("sqlite://{}", dir.path().join("test.db").display()),
            "postgres" => {
                let admin = std::env::var("TEST_PG_ADMIN_URL")
                    .expect("TEST_BACKEND=postgres needs TEST_PG_ADMIN_URL (run scripts/test)");
                let prefix = std::env::var("TEST_PG_DB_PREFIX").unwrap_or_else(|_| "shortlist_test".into());
                let name = format!("{prefix}_{}", uuid_like());
                let pool = sqlx::PgPool::connect(&admin).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let base = admin.rsplit_once('/').unwrap().0;
                format!("{base}/{name}")
            }
            other => panic!("unknown TEST_BACKEND {other}"),
        };
        TestDb { url, dir }
    }
}

impl TestDb {
    /// A SQLite database file in `dir` (e.g. on a tmpfs a test fills up).
    pub fn sqlite_in(dir: &Path) -> TestDb {
        TestDb {
            url: format!("sqlite://{}", dir.join("shortlist.db").display()),
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

fn uuid_like() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rng().next_u64())
}

/// Parses a command line exactly as `shortlist` would.
pub fn parse(args: &[&str]) -> (CommonArgs, ServeArgs) {
    let mut full = vec!["shortlist"];
    full.extend_from_slice(args);
    let cli = Cli::try_parse_from(full).unwrap();
    match cli.command {
        Command::Serve(s) => (cli.common, s),
        _ => panic!("expected serve"),
    }
}

/// Common flags for a test process: its database, a media folder and cheap password hashing.
pub fn base_args(db: &TestDb, data: &Path) -> Vec<String> {
    vec![
        "--database-url".into(),
        db.url.clone(),
        "--data-dir".into(),
        data.display().to_string(),
        "--argon2-m-kib".into(),
        "64".into(),
    ]
}

pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub app: App,
    pub db: TestDb,
    pub data: TempDir,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Runs the real server (HTTP and worker) in this process; `extra` are more `serve` flags.
    pub async fn spawn_with(extra: &[&str]) -> TestApp {
        Self::spawn_full(extra, std::sync::Arc::new(shortlist_app::clock::SystemClock)).await
    }

    /// With a clock the test moves (`OffsetClock::advance`) for expiry and reminders.
    pub async fn spawn_with_clock(extra: &[&str], clock: std::sync::Arc<shortlist_app::clock::OffsetClock>) -> TestApp {
        Self::spawn_full(extra, clock).await
    }

    async fn spawn_full(extra: &[&str], clock: std::sync::Arc<dyn shortlist_app::clock::Clock>) -> TestApp {
        let db = TestDb::fresh().await;
        let data = tempfile::tempdir().unwrap();
        Self::start(db, data, extra, clock).await
    }

    /// A restart: a new server on the database and media folder of a stopped one
    /// ([`TestApp::stop_keeping_data`]).
    pub async fn spawn_on(db: TestDb, data: TempDir, extra: &[&str]) -> TestApp {
        Self::start(db, data, extra, std::sync::Arc::new(shortlist_app::clock::SystemClock)).await
    }

    /// A restart on the same data with a clock the test moves (downtime that "lasted" days).
    pub async fn spawn_on_with_clock(
        db: TestDb,
        data: TempDir,
        extra: &[&str],
        clock: std::sync::Arc<shortlist_app::clock::OffsetClock>,
    ) -> TestApp {
        Self::start(db, data, extra, clock).await
    }

    /// Stops the server and hands back its database and media folder for [`TestApp::spawn_on`].
    pub async fn stop_keeping_data(self) -> (TestDb, TempDir) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
        (self.db, self.data)
    }

    async fn start(
        db: TestDb,
        data: TempDir,
        extra: &[&str],
        clock: std::sync::Arc<dyn shortlist_app::clock::Clock>,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut args: Vec<String> = base_args(&db, data.path());
        args.extend(["serve", "--listen", &addr.to_string(), "--job-poll-ms", "50"].map(String::from));
        if !extra.contains(&"--public-url") {
            args.extend(["--public-url".to_string(), base.clone()]);
        }
        if let Ok(smtp) = std::env::var("TEST_SMTP_URL") {
            args.extend(["--smtp-url".to_string(), smtp]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (common, serve) = parse(&refs);
        let app = App::build_with_clock(&common, &serve, clock).await.unwrap();
        let shutdown = CancellationToken::new();
        let (a, t) = (app.clone(), shutdown.clone());
        let task = tokio::spawn(async move { shortlist::serve::run(&common, &serve, a, Some(listener), t).await });
        TestApp {
            base,
            addr,
            app,
            db,
            data,
            shutdown,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until no job is running and none is due by the app's clock (the digest scan and
    /// housekeeping always keep a successor queued for later, which is not due), so every
    /// effect of what the test did so far has happened.
    pub async fn jobs_settled(&self) {
        let (db, clock) = (&self.app.db, self.app.clock.clone());
        let done = eventually(Duration::from_secs(40), || async {
            let now = clock.now();
            let queued = shortlist_store::jobs::list_by_state(db, "queued", 1000).await.unwrap();
            let running = shortlist_store::jobs::list_by_state(db, "running", 1000).await.unwrap();
            (running.is_empty() && queued.iter().all(|j| j.run_at > now)).then_some(())
        })
        .await;
        assert!(done.is_some(), "due jobs did not finish");
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }

    /// Creates an organisation and a user with a known password.
    pub async fn user(&self, role: shortlist_domain::Role, password: &str) -> (shortlist_domain::OrgId, String) {
        let org = self
            .app
            .accounts
            .create_org(&format!("Org {}", uuid_like()), None, false)
            .await
            .unwrap();
        let email = format!("{}@test.shortlist.localhost", uuid_like());
        let org_id = org.org_id().unwrap();
        self.app
            .accounts
            .create_user(&org_id, &email, "Test User", role, Some(password))
            .await
            .unwrap();
        (org_id, email)
    }
}

/// A client that keeps cookies and does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shortlist"))
}

/// Messages the SMTP sink received for `rcpt`, waiting up to `timeout` for at least `min`.
pub async fn mails_to(rcpt: &str, min: usize, timeout: Duration) -> Vec<String> {
    let dir = PathBuf::from(std::env::var("TEST_MAILDIR").expect("TEST_MAILDIR (run scripts/test)"));
    let started = Instant::now();
    loop {
        let mut found = vec![];
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "json") {
                    let meta: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_default()).unwrap_or_default();
                    let to = meta["rcpt_tos"].as_array().cloned().unwrap_or_default();
                    if to.iter().any(|t| t.as_str() == Some(rcpt))
                        && let Ok(eml) = std::fs::read_to_string(p.with_extension("eml"))
                    {
                        found.push(eml);
                    }
                }
            }
        }
        if found.len() >= min || started.elapsed() > timeout {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `check` until it returns Some or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if started.elapsed() > timeout {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
pub mod png;
pub mod process;
pub mod tmpfs;

/// A fresh bucket on the test S3 server (moto, started by scripts/test-services), named
/// `<prefix>-<random>`. `None` outside CI when no S3 server runs; in CI a missing one fails.
pub async fn s3_bucket(prefix: &str) -> Option<String> {
    let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("CI").is_err(),
            "TEST_S3_ENDPOINT must be set in CI (scripts/test)"
        );
        eprintln!("skipped S3: no TEST_S3_ENDPOINT (run through scripts/test-services)");
        return None;
    };
    let bucket = format!("{prefix}-{:08x}", rand::random::<u32>());
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "creating bucket: {}", made.status());
    Some(bucket)
}
