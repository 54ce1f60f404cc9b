//! The worker loop: claim due jobs with a lease, run them concurrently, keep the leases of those
//! still executing alive, record outcomes (fenced, retried while the lease lasts), and on
//! shutdown stop claiming, let running jobs finish within a grace period and release whatever is
//! still running after it.

use super::{JobError, JobInput, Registry};
use crate::clock::Clock;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use shortlist_store::Db;
use shortlist_store::jobs::{self, ClaimedJob};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::{Id, JoinSet};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub concurrency: usize,
    /// How long a claim is valid without a heartbeat; a killed worker's jobs return after this.
    pub lease: Duration,
    pub poll: Duration,
    pub shutdown_grace: Duration,
    /// First retry delay; doubles per attempt up to `retry_cap`, with jitter.
    pub retry_base: Duration,
    pub retry_cap: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(1000),
            shutdown_grace: Duration::from_secs(20),
            retry_base: Duration::from_secs(10),
            retry_cap: Duration::from_secs(3600),
        }
    }
}

pub struct Worker {
    db: Db,
    registry: Arc<Registry>,
    cfg: WorkerConfig,
    id: String,
    wake: Arc<Notify>,
    clock: Arc<dyn Clock>,
}

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Exponential backoff with "equal jitter": half the delay fixed, half random, so retries of many
/// jobs that failed together (an ATS outage) spread out instead of returning in a herd.
pub fn backoff(cfg: &WorkerConfig, attempt: i32) -> Duration {
    let exp = attempt.clamp(1, 30) as u32 - 1;
    let full = cfg
        .retry_base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(cfg.retry_cap);
    let half = full / 2;
    half + half.mul_f64(rand::rng().random::<f64>())
}

/// A job whose handler is executing; only these have their leases renewed.
struct Executing {
    job: ClaimedJob,
    /// When the lease runs out unless renewed (as far as this worker knows).
    lease_ends: Instant,
}

type Outcome = Result<(), JobError>;

impl Worker {
    pub fn new(db: Db, registry: Arc<Registry>, cfg: WorkerConfig, wake: Arc<Notify>, clock: Arc<dyn Clock>) -> Self {
        let id = format!("wrk_{}", uuid::Uuid::now_v7().simple());
        Self {
            db,
            registry,
            cfg,
            id,
            wake,
            clock,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(worker = %self.id, concurrency = self.cfg.concurrency, "worker started");
        let mut running: JoinSet<Outcome> = JoinSet::new();
        let mut executing: HashMap<Id, Executing> = HashMap::new();
        // Outcomes being written, with retries, after their handler finished.
        let mut recording: JoinSet<()> = JoinSet::new();
        let mut heartbeat = tokio::time::interval((self.cfg.lease / 3).max(Duration::from_millis(100)));
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let free = self.cfg.concurrency.saturating_sub(running.len());
            if free > 0 && !shutdown.is_cancelled() {
                let now = self.clock.now();
                let lease_ends = Instant::now() + self.cfg.lease;
                match jobs::claim(&self.db, &self.id, free as i64, now, after(now, self.cfg.lease)).await {
                    Ok(claimed) => {
                        let got = claimed.len();
                        for job in claimed {
                            let task = running.spawn(execute(self.registry.clone(), job.clone()));
                            executing.insert(task.id(), Executing { job, lease_ends });
                        }
                        if got == free {
                            // There may be more due work; claim again before sleeping.
                            tokio::task::yield_now().await;
                            continue;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming jobs failed; will retry"),
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                Some(done) = running.join_next_with_id() => self.finished(done, &mut executing, &mut recording),
                Some(_) = recording.join_next() => {}
                _ = heartbeat.tick() => self.tick(&mut executing).await,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.cfg.poll) => {}
            }
        }
        self.drain(running, executing, recording).await;
    }

    /// A handler returned (or panicked): its lease is no longer renewed, and its outcome is
    /// written by a task of its own that retries while the lease lasts.
    fn finished(
        &self,
        done: Result<(Id, Outcome), tokio::task::JoinError>,
        executing: &mut HashMap<Id, Executing>,
        recording: &mut JoinSet<()>,
    ) {
        let (task, outcome) = match done {
            Ok((task, outcome)) => (task, outcome),
            Err(e) => {
                let msg = if e.is_panic() {
                    "the handler panicked"
                } else {
                    "the handler was cancelled"
                };
                (e.id(), Err(JobError::Retry(anyhow::anyhow!(msg))))
            }
        };
        if let Some(ex) = executing.remove(&task) {
            recording.spawn(record(
                self.db.clone(),
                self.cfg.clone(),
                self.id.clone(),
                self.clock.clone(),
                ex,
                outcome,
            ));
        }
    }

    /// Extends the leases of the jobs still executing and buries jobs that died on their last
    /// attempt.
    async fn tick(&self, executing: &mut HashMap<Id, Executing>) {
        let now = self.clock.now();
        let renewed_until = Instant::now() + self.cfg.lease;
        let ids: Vec<String> = executing.values().map(|e| e.job.id.clone()).collect();
        match jobs::heartbeat(&self.db, &self.id, &ids, now, after(now, self.cfg.lease)).await {
            Ok(_) => executing.values_mut().for_each(|e| e.lease_ends = renewed_until),
            Err(e) => tracing::warn!(error = %e, "lease heartbeat failed"),
        }
        if let Err(e) = jobs::bury_expired(&self.db, now).await {
            tracing::warn!(error = %e, "burying expired jobs failed");
        }
    }

    async fn drain(
        &self,
        mut running: JoinSet<Outcome>,
        mut executing: HashMap<Id, Executing>,
        mut recording: JoinSet<()>,
    ) {
        tracing::info!(worker = %self.id, running = running.len(), "worker stopping: no new claims");
        let deadline = Instant::now() + self.cfg.shutdown_grace;
        while !running.is_empty() || !recording.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::select! {
                Some(done) = running.join_next_with_id() => self.finished(done, &mut executing, &mut recording),
                Some(_) = recording.join_next() => {}
                _ = tokio::time::sleep(left.min(self.cfg.lease / 3)) => {
                    if Instant::now() >= deadline { break; }
                    self.tick(&mut executing).await;
                }
            }
        }
        running.abort_all();
        while running.join_next().await.is_some() {}
        // An outcome still not written is left to its lease: the job runs again elsewhere.
        recording.abort_all();
        while recording.join_next().await.is_some() {}
        for ex in executing.values() {
            let job = &ex.job;
            // Fenced: a job whose outcome was already written is left alone.
            match jobs::release(&self.db, job, &self.id, self.clock.now()).await {
                Ok(true) => tracing::info!(job = %job.id, "released unfinished job"),
                Ok(false) => {}
                Err(e) => tracing::warn!(job = %job.id, error = %e, "release failed; lease will expire"),
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }
}

async fn execute(registry: Arc<Registry>, job: ClaimedJob) -> Outcome {
    let started = Instant::now();
    let outcome = match registry.get(&job.kind) {
        None => Err(JobError::Permanent(anyhow::anyhow!(
            "no handler for job kind '{}'",
            job.kind
        ))),
        Some(handler) => match serde_json::from_str(&job.payload) {
            Err(e) => Err(JobError::Permanent(anyhow::anyhow!("payload is not JSON: {e}"))),
            Ok(payload) => {
                let input = JobInput {
                    id: job.id.clone(),
                    kind: job.kind.clone(),
                    org_id: job.org_id.clone(),
                    attempt: job.attempts,
                    payload,
                };
                handler.run(&input).await
            }
        },
    };
    metrics::histogram!("shortlist_job_duration_seconds", "kind" => job.kind.clone())
        .record(started.elapsed().as_secs_f64());
    outcome
}

/// Writes a finished job's outcome (fenced on this worker's lease and attempt). A failed write
/// is tried again with backoff while the lease lasts; after that the job is left to the normal
/// claim path, which runs it again once the lease has lapsed.
async fn record(db: Db, cfg: WorkerConfig, worker: String, clock: Arc<dyn Clock>, ex: Executing, outcome: Outcome) {
    let job = &ex.job;
    let kind = job.kind.clone();
    let retry_at_delay = match &outcome {
        Ok(()) => {
            metrics::counter!("shortlist_jobs_completed_total", "kind" => kind.clone()).increment(1);
            None
        }
        Err(e) => {
            metrics::counter!("shortlist_job_failures_total", "kind" => kind.clone()).increment(1);
            let delay = match e {
                JobError::Retry(_) if job.attempts < job.max_attempts => Some(backoff(&cfg, job.attempts)),
                _ => None,
            };
            if delay.is_none() {
                metrics::counter!("shortlist_jobs_dead_total", "kind" => kind.clone()).increment(1);
            }
            tracing::warn!(job = %job.id, kind = %kind, attempt = job.attempts, error = %e, dead = delay.is_none(), "job failed");
            delay
        }
    };
    let mut pause = Duration::from_millis(50);
    loop {
        let now = clock.now();
        let written = match &outcome {
            Ok(()) => jobs::complete(&db, job, &worker, now).await,
            Err(e) => {
                let retry_at = retry_at_delay.map(|d| after(now, d));
                jobs::fail(&db, job, &worker, now, &e.to_string(), retry_at).await
            }
        };
        match written {
            Ok(true) => return,
            Ok(false) => {
                tracing::warn!(job = %job.id, "lease was lost before the outcome was recorded; a newer attempt owns the job");
                return;
            }
            Err(e) if Instant::now() + pause >= ex.lease_ends => {
                metrics::counter!("shortlist_job_outcomes_lost_total", "kind" => kind.clone()).increment(1);
                tracing::warn!(job = %job.id, error = %e, "recording the outcome failed until the lease ran out; the job will be claimed and run again");
                return;
            }
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, retry_in_ms = pause.as_millis() as u64, "recording the outcome failed; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let cfg = WorkerConfig {
            retry_base: Duration::from_secs(10),
            retry_cap: Duration::from_secs(100),
            ..Default::default()
        };
        for attempt in 1..20 {
            let d = backoff(&cfg, attempt);
            let full = Duration::from_secs(10)
                .saturating_mul(2u32.pow(attempt as u32 - 1))
                .min(Duration::from_secs(100));
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} not within [{:?}, {full:?}]",
                full / 2
            );
        }
    }
}
