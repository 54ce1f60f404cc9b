//! HTTP overhead: our full middleware stack (request id, tracing, metrics, CSRF guard) serving
//! /healthz, against a plain axum handler, both on 127.0.0.1 in this process. Bounded: a fixed
//! number of requests (default 20,000) at 32 in flight.

use axum::Router;
use axum::routing::get;
use shortlist_bench::harness::{self, Bench};
use shortlist_bench::load::{self, Latencies};
use std::time::Duration;

const IN_FLIGHT: usize = 32;

async fn run(url: String, total: usize, in_flight: usize) -> anyhow::Result<Latencies> {
    let client = load::client(in_flight)?;
    load::closed_loop(total, in_flight, Duration::from_secs(300), move |_| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let r = client.get(&url).send().await?;
            anyhow::ensure!(r.status().is_success(), "status {}", r.status());
            r.bytes().await?;
            Ok(())
        }
    })
    .await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let machine = harness::machine_note();
    let bench = Bench::start(&[]).await?;
    let plain = Router::new().route(
        "/healthz",
        get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
    );
    let ours = format!("http://{}/healthz", harness::serve(bench.router()).await?);
    let anchor = format!("http://{}/healthz", harness::serve(plain).await?);
    // Warm up both, then measure the anchor and ours back to back.
    run(ours.clone(), 500, 8).await?;
    run(anchor.clone(), 500, 8).await?;
    let anchor = run(anchor, total, IN_FLIGHT).await?;
    let ours = run(ours, total, IN_FLIGHT).await?;
    shortlist_bench::Comparison {
        name: "http_overhead",
        unit: "requests/s",
        ours: ours.rate(),
        anchor: anchor.rate(),
        anchor_name: "plain axum handler",
        detail: format!(
            "{total} GET /healthz at {IN_FLIGHT} in flight over loopback; client and servers share the cores; {} build. \
             Shortlist: {}. Anchor: {}. Machine at the start: {machine}.",
            harness::build_kind(),
            ours.summary("requests/s"),
            anchor.summary("requests/s"),
        ),
    }
    .write_with(&[
        ("p50_ms_ours", ours.pct(0.5)),
        ("p50_ms_anchor", anchor.pct(0.5)),
        ("p99_ms_ours", ours.pct(0.99)),
        ("p99_ms_anchor", anchor.pct(0.99)),
    ])
}
