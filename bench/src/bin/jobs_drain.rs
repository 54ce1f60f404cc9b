//! Job drain throughput: our worker (lease claim, fenced completion, retries bookkeeping) against
//! the bare minimum queue on the same database — one UPDATE…RETURNING per job on a plain table.
//! Bounded: N jobs (default 5,000), loopback/local database only.

use async_trait::async_trait;
use shortlist_app::jobs::{JobError, JobHandler, JobInput, Registry, Worker, WorkerConfig};
use shortlist_store::Db;
use shortlist_store::jobs::{self, NewJob};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

struct Noop;

#[async_trait]
impl JobHandler for Noop {
    fn kind(&self) -> &'static str {
        "bench.noop"
    }
    async fn run(&self, _job: &JobInput) -> Result<(), JobError> {
        Ok(())
    }
}

const CONCURRENCY: usize = 4;

async fn ours(db: &Db, n: usize) -> anyhow::Result<f64> {
    let batch: Vec<NewJob> = (0..n)
        .map(|i| NewJob::new("bench.noop", serde_json::json!({ "i": i })))
        .collect();
    jobs::enqueue_many(db, &batch).await?;
    let registry = Arc::new(Registry::default().with(Arc::new(Noop)));
    let cfg = WorkerConfig {
        concurrency: CONCURRENCY,
        poll: Duration::from_millis(5),
        ..Default::default()
    };
    let stop = CancellationToken::new();
    let started = Instant::now();
    let clock = Arc::new(shortlist_app::clock::SystemClock);
    let worker = Worker::new(db.clone(), registry, cfg, Arc::new(tokio::sync::Notify::new()), clock);
    let handle = tokio::spawn(worker.run(stop.clone()));
    loop {
        let done = jobs::counts(db)
            .await?
            .into_iter()
            .find(|(s, _)| s == "done")
            .map_or(0, |(_, c)| c);
        if done as usize >= n {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "drain took over 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    stop.cancel();
    handle.await?;
    Ok(n as f64 / secs)
}

async fn anchor(db: &Db, n: usize) -> anyhow::Result<f64> {
    let create = "CREATE TABLE bench_anchor (id BIGINT PRIMARY KEY, state TEXT NOT NULL)";
    let fill = "INSERT INTO bench_anchor (id, state) VALUES ($1, 'queued')";
    let claim_pg = "UPDATE bench_anchor SET state = 'done' WHERE id = (SELECT id FROM bench_anchor WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id";
    let claim_lite = "UPDATE bench_anchor SET state = 'done' WHERE id = (SELECT id FROM bench_anchor WHERE state = 'queued' ORDER BY id LIMIT 1) RETURNING id";
    match db {
        Db::Sqlite(p) => {
            sqlx::query(create).execute(p).await?;
            let mut tx = p.begin().await?;
            for i in 0..n as i64 {
                sqlx::query(fill).bind(i).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Db::Postgres(p) => {
            sqlx::query(create).execute(p).await?;
            let mut tx = p.begin().await?;
            for i in 0..n as i64 {
                sqlx::query(fill).bind(i).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
    }
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..CONCURRENCY {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let got: Option<(i64,)> = match &db {
                    Db::Sqlite(p) => sqlx::query_as(claim_lite).fetch_optional(p).await?,
                    Db::Postgres(p) => sqlx::query_as(claim_pg).fetch_optional(p).await?,
                };
                if got.is_none() {
                    return Ok::<(), sqlx::Error>(());
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let tmp = tempfile::tempdir()?;
    let db = Db::connect(&shortlist_bench::database_url(&tmp)).await?;
    db.migrate().await?;
    let backend = format!("{:?}", db.backend()).to_lowercase();
    let anchor_rate = anchor(&db, n).await?;
    let ours_rate = ours(&db, n).await?;
    shortlist_bench::Comparison {
        name: if backend == "postgres" {
            "jobs_drain_postgres"
        } else {
            "jobs_drain_sqlite"
        },
        unit: "jobs/s",
        ours: ours_rate,
        anchor: anchor_rate,
        anchor_name: "bare UPDATE…RETURNING queue",
        detail: format!(
            "{n} no-op jobs, {CONCURRENCY} concurrent claimers, backend {backend}. Ours claims with a lease, \
             completes with a fenced UPDATE and keeps the row (state=done); the anchor does one statement per job."
        ),
    }
    .write()
}
