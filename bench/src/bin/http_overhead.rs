//! HTTP overhead: our full middleware stack (request id, tracing, metrics, CSRF guard) serving
//! /healthz, against a plain axum handler, both on 127.0.0.1 in this process. Bounded: a fixed
//! number of requests (default 20,000) at 32 in flight.

use axum::Router;
use axum::routing::get;
use clap::Parser;
use shortlist::config::{Cli, Command};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

async fn load(url: String, total: usize, in_flight: usize) -> anyhow::Result<f64> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(in_flight).build()?;
    let started = Instant::now();
    let mut tasks = vec![];
    for w in 0..in_flight {
        let (client, url) = (client.clone(), url.clone());
        let share = total / in_flight + usize::from(w < total % in_flight);
        tasks.push(tokio::spawn(async move {
            for _ in 0..share {
                let r = client.get(&url).send().await?;
                anyhow::ensure!(r.status().is_success(), "status {}", r.status());
                r.bytes().await?;
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    anyhow::ensure!(started.elapsed() < Duration::from_secs(300), "run took too long");
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let tmp = tempfile::tempdir()?;
    let db_url = shortlist_bench::database_url(&tmp);
    let data = tmp.path().display().to_string();
    let cli = Cli::try_parse_from([
        "shortlist",
        "--database-url",
        &db_url,
        "--data-dir",
        &data,
        "serve",
        "--no-worker",
    ])?;
    let Command::Serve(serve) = cli.command else {
        anyhow::bail!("expected serve")
    };
    let app = shortlist::App::build(&cli.common, &serve).await?;
    let ours = shortlist_web::router(app.web_state(&serve, shortlist::telemetry::metrics_handle()));
    let plain = Router::new().route(
        "/healthz",
        get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
    );

    let mut urls = vec![];
    for router in [ours, plain] {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        urls.push(format!("http://{}/healthz", l.local_addr()?));
        tokio::spawn(async move { axum::serve(l, router.into_make_service_with_connect_info::<SocketAddr>()).await });
    }
    // Warm up both, then measure the anchor and ours back to back.
    load(urls[0].clone(), 500, 8).await?;
    load(urls[1].clone(), 500, 8).await?;
    let anchor = load(urls[1].clone(), total, 32).await?;
    let ours = load(urls[0].clone(), total, 32).await?;
    shortlist_bench::Comparison {
        name: "http_overhead",
        unit: "requests/s",
        ours,
        anchor,
        anchor_name: "plain axum handler",
        detail: format!("{total} GET /healthz at 32 in flight over loopback; client and servers share the 2 cores."),
    }
    .write()
}
