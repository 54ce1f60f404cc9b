//! A closed-loop load generator: `in_flight` tasks take the next request number until `total`
//! are done, timing each; bounded by a time limit.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    /// From the first request sent to the last answer read.
    pub secs: f64,
    /// Milliseconds per request, sorted.
    pub millis: Vec<f64>,
}

impl Latencies {
    pub fn new(secs: f64, mut millis: Vec<f64>) -> Latencies {
        millis.sort_by(f64::total_cmp);
        Latencies { secs, millis }
    }

    pub fn rate(&self) -> f64 {
        if self.secs > 0.0 {
            self.millis.len() as f64 / self.secs
        } else {
            0.0
        }
    }

    /// The q-quantile (0.5, 0.99) in milliseconds.
    pub fn pct(&self, q: f64) -> f64 {
        let i = ((self.millis.len().saturating_sub(1)) as f64 * q).round() as usize;
        self.millis.get(i).copied().unwrap_or(0.0)
    }

    pub fn summary(&self, unit: &str) -> String {
        format!(
            "{:.0} {unit}, p50 {:.2} ms, p99 {:.2} ms",
            self.rate(),
            self.pct(0.5),
            self.pct(0.99)
        )
    }
}

/// Runs `call(i)` for i in 0..total, `in_flight` at a time; any error (or the time limit) ends
/// the run with that error.
pub async fn closed_loop<F, Fut>(total: usize, in_flight: usize, max: Duration, call: F) -> anyhow::Result<Latencies>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let out = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..in_flight.max(1) {
        let (call, next, out) = (call.clone(), next.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), anyhow::Error>(());
                }
                anyhow::ensure!(started.elapsed() < max, "not done within {} s", max.as_secs());
                let t = Instant::now();
                call(i).await?;
                let ms = t.elapsed().as_secs_f64() * 1e3;
                out.lock().unwrap_or_else(|e| e.into_inner()).push(ms);
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let millis = std::mem::take(&mut *out.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Latencies::new(secs, millis))
}

/// A client for loopback load: keeps `in_flight` idle connections so every task reuses one.
pub fn client(in_flight: usize) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(in_flight)
        .no_proxy()
        .build()
}

/// Starts `call(i)` for i in 0..count at a fixed `per_sec`, whatever the earlier calls are
/// doing (an open loop: a slow server does not slow the arrivals), and waits for them all.
pub async fn open_loop<F, Fut>(count: usize, per_sec: f64, max: Duration, call: F) -> anyhow::Result<()>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec.max(0.1)));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        tick.tick().await;
        anyhow::ensure!(started.elapsed() < max, "not done within {} s", max.as_secs());
        tasks.spawn(call(i));
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}
