//! Start-up shared by the benchmarks: an in-process Shortlist on a temporary data folder (and
//! BENCH_DATABASE_URL when set), servers on 127.0.0.1, an organisation with an administrator.

use axum::Router;
use clap::Parser;
use shortlist::config::{Cli, Command, ServeArgs};
use shortlist_app::recruiting::Actor;
use shortlist_domain::Role;
use std::net::SocketAddr;

/// A built application and what it was built from. Dropping it removes the data folder.
pub struct Bench {
    pub app: shortlist::App,
    pub serve: ServeArgs,
    /// `sqlite` or `postgres`.
    pub backend: String,
    _tmp: tempfile::TempDir,
}

impl Bench {
    /// `shortlist serve --no-worker` plus `extra` serve flags; the benchmark runs a worker itself
    /// where it needs one.
    pub async fn start(extra: &[&str]) -> anyhow::Result<Bench> {
        Bench::start_on(None, extra).await
    }

    /// As [`Bench::start`], on `db_url` when given (a benchmark that made its own fresh
    /// database) instead of BENCH_DATABASE_URL or a temporary SQLite file.
    pub async fn start_on(db_url: Option<&str>, extra: &[&str]) -> anyhow::Result<Bench> {
        let tmp = tempfile::tempdir()?;
        let db_url = db_url.map_or_else(|| crate::database_url(&tmp), str::to_string);
        let data = tmp.path().display().to_string();
        let mut argv = vec![
            "shortlist",
            "--database-url",
            &db_url,
            "--data-dir",
            &data,
            "serve",
            "--no-worker",
        ];
        argv.extend_from_slice(extra);
        let cli = Cli::try_parse_from(argv)?;
        let Command::Serve(serve) = cli.command else {
            anyhow::bail!("expected serve")
        };
        let app = shortlist::App::build(&cli.common, &serve).await?;
        let backend = format!("{:?}", app.db.backend()).to_lowercase();
        Ok(Bench {
            app,
            serve,
            backend,
            _tmp: tmp,
        })
    }

    /// Our whole HTTP application (every middleware) over this app.
    pub fn router(&self) -> Router {
        shortlist_web::router(self.app.web_state(&self.serve, shortlist::telemetry::metrics_handle()))
    }

    /// An organisation with an administrator who has a password (so partners can act as them).
    pub async fn admin_org(&self, name: &str, email: &str, sandbox: bool) -> anyhow::Result<Actor> {
        let app = &self.app;
        let org = app.accounts.create_org(name, None, sandbox).await?.org_id()?;
        let (uid, _) = app
            .accounts
            .create_user(&org, email, "Bench", Role::Admin, Some("correct horse battery"))
            .await?;
        Ok(Actor {
            org_id: org,
            user_id: Some(uid),
            role: Role::Admin,
            label: "bench".into(),
        })
    }
}

/// Serves `router` on a free port of 127.0.0.1 (with the peer address, as `shortlist serve` does).
pub async fn serve(router: Router) -> anyhow::Result<SocketAddr> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = l.local_addr()?;
    tokio::spawn(async move { axum::serve(l, router.into_make_service_with_connect_info::<SocketAddr>()).await });
    Ok(addr)
}

/// `debug` or `release`, for the result text.
pub fn build_kind() -> &'static str {
    if cfg!(debug_assertions) { "debug" } else { "release" }
}

/// The machine's state for the result text: the two cores are shared with whatever else runs
/// (other helpers' builds, tests), and the figures mean little without it. Load averages (1, 5,
/// 15 min) and how many compiler, linker and test processes are running right now.
pub fn machine_note() -> String {
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .unwrap_or_else(|| "unknown".into());
    let mut busy = std::collections::BTreeMap::<String, usize>::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Ok(comm) = std::fs::read_to_string(e.path().join("comm")) else {
                continue;
            };
            let comm = comm.trim();
            let label = match comm {
                "rustc" | "cargo" | "cc1" | "ld" | "cc" | "postgres" => comm,
                c if c.contains("nextest") => "nextest",
                _ => continue,
            };
            *busy.entry(label.to_string()).or_default() += 1;
        }
    }
    let procs = if busy.is_empty() {
        "none".to_string()
    } else {
        busy.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpus} CPUs, load average {load}, compiler/test/database processes: {procs}")
}
