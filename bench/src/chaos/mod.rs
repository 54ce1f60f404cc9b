//! The fault runs of the reliability issue at full size, against the real `shortlist` binary:
//! a kill storm on two instances, a database outage and a full disk. Each counts what survived
//! from durable evidence (rows, files, what the SMTP sink received), never from our own logs,
//! and prints the figures. The suite has a CI-sized test of each; this is the bigger run.

pub mod disk;
pub mod evidence;
pub mod outage;
pub mod proxy;
pub mod storm;

use anyhow::Context;
use shortlist_app::recruiting::Actor;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `shortlist` processes on one database and one data folder, each on its own port.
pub struct Cluster {
    pub db_url: String,
    pub data: PathBuf,
    pub ports: Vec<u16>,
    procs: Vec<Option<Child>>,
    extra: Vec<String>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `shortlist` binary built next to this one (`cargo build --release -p shortlist`).
fn binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("shortlist");
    anyhow::ensure!(
        bin.exists(),
        "{} not found: build it with cargo build --release -p shortlist",
        bin.display()
    );
    Ok(bin)
}

impl Cluster {
    /// `n` instances, each serving HTTP and running a worker. API key limits are raised: the run
    /// is about faults, not about our own rate limiting.
    pub fn new(db_url: &str, data: &Path, n: usize, extra: &[&str]) -> anyhow::Result<Cluster> {
        let ports = (0..n).map(|_| free_port()).collect::<anyhow::Result<Vec<_>>>()?;
        let mut extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        extra.extend(
            [
                "--api-key-rate",
                "100000",
                "--api-key-burst",
                "100000",
                "--job-poll-ms",
                "100",
            ]
            .map(String::from),
        );
        if let Ok(smtp) = std::env::var("TEST_SMTP_URL") {
            extra.extend(["--smtp-url".to_string(), smtp]);
        }
        Ok(Cluster {
            db_url: db_url.into(),
            data: data.into(),
            procs: (0..n).map(|_| None).collect(),
            ports,
            extra,
        })
    }

    pub fn base(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[i])
    }

    pub fn start(&mut self, i: usize) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.join(format!("instance-{i}.log")))?;
        let addr = format!("127.0.0.1:{}", self.ports[i]);
        let child = Command::new(binary()?)
            .args(["--database-url", &self.db_url, "--data-dir"])
            .arg(&self.data)
            .args(["--argon2-m-kib", "64", "serve", "--listen", &addr, "--public-url"])
            .arg(format!("http://{addr}"))
            .args(&self.extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting shortlist")?;
        self.procs[i] = Some(child);
        Ok(())
    }

    /// SIGKILL: no chance to release leases, finish requests or record anything.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.procs[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub async fn ready(&mut self, i: usize, within: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let c = reqwest::Client::new();
        while started.elapsed() < within {
            if let Some(child) = self.procs[i].as_mut()
                && let Some(status) = child.try_wait()?
            {
                let log = std::fs::read_to_string(self.data.join(format!("instance-{i}.log"))).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                anyhow::bail!("instance {i} exited ({status}): {}", tail.join(" | "));
            }
            if let Ok(r) = c.get(format!("{}/readyz", self.base(i))).send().await
                && r.status().is_success()
            {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("instance {i} not ready within {within:?}")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.procs.len() {
            self.kill(i);
        }
    }
}

/// An organisation with an API key and a position ready to invite to, made through the API of
/// instance `i` (the key itself is issued in process: there is no HTTP route for a first key).
pub struct Tenant {
    pub token: String,
    pub position: String,
}

pub async fn tenant(db_url: &str, data: &Path, cluster: &Cluster, i: usize) -> anyhow::Result<Tenant> {
    use clap::Parser;
    let d = data.display().to_string();
    let cli = shortlist::config::Cli::try_parse_from([
        "shortlist",
        "--database-url",
        db_url,
        "--data-dir",
        &d,
        "--argon2-m-kib",
        "64",
        "serve",
        "--no-worker",
    ])?;
    let shortlist::config::Command::Serve(serve) = cli.command else {
        anyhow::bail!("expected serve")
    };
    let app = shortlist::App::build(&cli.common, &serve).await?;
    let org = app.accounts.create_org("Chaos Co", None, false).await?.org_id()?;
    let email = format!("ops-{:08x}@chaos.shortlist.localhost", rand::random::<u32>());
    let (uid, _) = app
        .accounts
        .create_user(
            &org,
            &email,
            "Ops",
            shortlist_domain::Role::Admin,
            Some("correct horse battery"),
        )
        .await?;
    let uid_text = uid.to_string();
    let actor = Actor {
        org_id: org,
        user_id: Some(uid),
        role: shortlist_domain::Role::Admin,
        label: "chaos".into(),
    };
    let scopes = "templates:write positions:write invitations:write invitations:read media:write media:read";
    let token = app
        .credentials
        .create_api_key(&actor, false, "chaos", scopes, None)
        .await?
        .token;
    app.db.close().await;

    let c = reqwest::Client::new();
    let api = format!("{}/api/v1", cluster.base(i));
    let spec = serde_json::json!({ "name": "Chaos screening", "questions": [
        { "id": "q1", "kind": "video", "prompt": "Tell us about you", "answer_time_secs": 120, "retakes": 1 }
    ]});
    let key = format!("chaos-{:08x}", rand::random::<u32>());
    let t = created(
        c.post(format!("{api}/templates"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "key": key, "spec": spec })),
    )
    .await?;
    let body = serde_json::json!({ "title": "Chaos engineer", "template_ids": [t["id"]], "owner_id": uid_text });
    let p = created(c.post(format!("{api}/positions")).bearer_auth(&token).json(&body)).await?;
    let position = p["id"].as_str().context("position id")?.to_string();
    Ok(Tenant { token, position })
}

/// Sends a creation request and returns its JSON answer; anything but 201 is an error with the
/// answer's text.
pub async fn created(req: reqwest::RequestBuilder) -> anyhow::Result<serde_json::Value> {
    let r = req.send().await?;
    let status = r.status();
    let text = r.text().await?;
    anyhow::ensure!(status.as_u16() == 201, "{status}: {text}");
    Ok(serde_json::from_str(&text)?)
}

/// A scratch folder for one run; with CHAOS_KEEP=1 it (and the instances' logs in it) is kept
/// and its path printed, to read what the servers said.
pub fn scratch() -> anyhow::Result<tempfile::TempDir> {
    let mut dir = tempfile::tempdir()?;
    if std::env::var("CHAOS_KEEP").is_ok_and(|v| v == "1") {
        dir.disable_cleanup(true);
        eprintln!("chaos: keeping {}", dir.path().display());
    }
    Ok(dir)
}
