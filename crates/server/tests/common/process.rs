//! Child `shortlist` processes that are killed when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};

pub struct Proc(pub Child);

impl Proc {
    /// Starts the real binary with `args`; output goes to `log` so a failure can be read.
    pub fn start(args: &[String], log: &std::path::Path) -> Proc {
        Self::start_logging(args, log, "info,sqlx=warn")
    }

    /// Like [`Proc::start`] with another `RUST_LOG` filter.
    pub fn start_logging(args: &[String], log: &std::path::Path, filter: &str) -> Proc {
        let out = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(super::bin())
            .args(args)
            .env("RUST_LOG", filter)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap();
        Proc(child)
    }

    /// `shortlist serve` (HTTP and worker) on 127.0.0.1:`port` over a test's database and data
    /// folder, logging to `server.log` in that folder; restart it with the same arguments.
    pub fn serve(db: &super::TestDb, data: &std::path::Path, port: u16) -> Proc {
        let mut args = super::base_args(db, data);
        let addr = format!("127.0.0.1:{port}");
        args.extend(["serve", "--listen", &addr, "--public-url", &format!("http://{addr}")].map(String::from));
        Proc::start(&args, &data.join("server.log"))
    }

    /// SIGKILL: no chance to release leases or finish anything.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the server at `base` says it is ready (/readyz 200), at most 30 s.
pub async fn ready(base: &str) {
    let up = super::eventually(std::time::Duration::from_secs(30), || async {
        let r = reqwest::get(format!("{base}/readyz")).await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    assert!(up.is_some(), "server at {base} did not become ready");
}
