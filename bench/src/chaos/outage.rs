//! A PostgreSQL outage under traffic: one instance reaches the database through a proxy that is
//! cut for a while. During the cut every answer should be a quick 503 with Retry-After (no 500,
//! no 10-second hang) and /readyz should say 503 within a second; after it, requests succeed
//! again without a restart, and no acknowledged write is missing.

use super::proxy::Proxy;
use super::{Cluster, evidence, tenant};
use serde_json::{Value, json};
use shortlist_store::Db;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub struct OutageCfg {
    pub before: Duration,
    pub outage: Duration,
    pub after: Duration,
    pub clients: usize,
}

#[derive(Default)]
struct Phase {
    statuses: BTreeMap<String, usize>,
    millis: Vec<f64>,
    retry_after_missing: usize,
}

impl Phase {
    fn figures(&mut self) -> Value {
        self.millis.sort_by(f64::total_cmp);
        let q = |q: f64| {
            let i = ((self.millis.len().saturating_sub(1)) as f64 * q).round() as usize;
            self.millis.get(i).copied().unwrap_or(0.0)
        };
        json!({ "answers": self.millis.len(), "statuses": self.statuses, "p50_ms": q(0.5), "p99_ms": q(0.99),
                "max_ms": q(1.0), "503_without_retry_after": self.retry_after_missing })
    }
}

#[derive(Default)]
struct Record {
    phases: [Phase; 3],
    readyz: [Phase; 3],
    acked: Vec<String>,
    first_ok_after_restore: Option<f64>,
}

/// Which phase a request that started `t` into the run belongs to: before, during, after.
fn phase_at(t: Duration, before: Duration, outage: Duration) -> usize {
    if t < before {
        0
    } else if t < before + outage {
        1
    } else {
        2
    }
}

/// The database URL with the proxy's port in place of the server's.
fn through(db_url: &str, port: u16) -> anyhow::Result<(String, std::net::SocketAddr)> {
    let mut u = reqwest::Url::parse(db_url)?;
    let host = u.host_str().unwrap_or("127.0.0.1").replace("localhost", "127.0.0.1");
    let target = format!("{host}:{}", u.port().unwrap_or(5432)).parse()?;
    u.set_host(Some("127.0.0.1"))?;
    u.set_port(Some(port)).map_err(|_| anyhow::anyhow!("cannot set port"))?;
    Ok((u.to_string(), target))
}

pub async fn run(cfg: &OutageCfg) -> anyhow::Result<Value> {
    let tmp = super::scratch()?;
    let db_url = crate::database_url(&tmp);
    anyhow::ensure!(
        db_url.starts_with("postgres"),
        "the outage run needs BENCH_DATABASE_URL=postgres://…"
    );
    let (_, target) = through(&db_url, 0)?;
    let proxy = Arc::new(Proxy::start(target).await?);
    let (via_proxy, _) = through(&db_url, proxy.port)?;
    let mut cluster = Cluster::new(&via_proxy, tmp.path(), 1, &[])?;
    cluster.start(0)?;
    cluster.ready(0, Duration::from_secs(120)).await?;
    let tenant = tenant(&db_url, tmp.path(), &cluster, 0).await?;
    let base = cluster.base(0);
    let suffix = format!("@outage-{:06x}.example.com", rand::random::<u32>() >> 8);
    let rec = Arc::new(Mutex::new(Record::default()));
    let started = Instant::now();
    let total = cfg.before + cfg.outage + cfg.after;
    let restore_at = cfg.before + cfg.outage;

    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..cfg.clients {
        let (rec, base, token, position, suffix) = (
            rec.clone(),
            base.clone(),
            tenant.token.clone(),
            tenant.position.clone(),
            suffix.clone(),
        );
        let phases = (cfg.before, cfg.outage);
        tasks.spawn(async move {
            let c = reqwest::Client::new();
            for n in 0usize.. {
                if started.elapsed() >= total {
                    break;
                }
                let email = format!("w{w}n{n}{suffix}");
                let t0 = Instant::now();
                let req = if n % 2 == 0 {
                    c.get(format!("{base}/api/v1/positions/{position}"))
                } else {
                    c.post(format!("{base}/api/v1/positions/{position}/invitations"))
                        .header("idempotency-key", format!("outage-{w}-{n}"))
                        .json(&json!({ "email": email }))
                };
                let r = req.bearer_auth(&token).timeout(Duration::from_secs(30)).send().await;
                let ms = t0.elapsed().as_secs_f64() * 1000.0;
                let at = phase_at(t0 - started, phases.0, phases.1);
                let mut g = rec.lock().await;
                let (status, retry) = match &r {
                    Ok(r) => (r.status().as_u16().to_string(), r.headers().contains_key("retry-after")),
                    Err(_) => ("connection error".to_string(), false),
                };
                if status == "503" && !retry {
                    g.phases[at].retry_after_missing += 1;
                }
                if at == 2 && r.as_ref().is_ok_and(|r| r.status().is_success()) && g.first_ok_after_restore.is_none() {
                    g.first_ok_after_restore = Some((started.elapsed().saturating_sub(restore_at)).as_secs_f64());
                }
                if n % 2 == 1 && r.as_ref().is_ok_and(|r| r.status().as_u16() == 201) {
                    g.acked.push(email);
                }
                *g.phases[at].statuses.entry(status).or_default() += 1;
                g.phases[at].millis.push(ms);
                drop(g);
                if r.is_err() || r.is_ok_and(|r| r.status().as_u16() == 503) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
    }
    {
        let (rec, base) = (rec.clone(), base.clone());
        let phases = (cfg.before, cfg.outage);
        tasks.spawn(async move {
            let c = reqwest::Client::new();
            while started.elapsed() < total {
                let t0 = Instant::now();
                let r = c
                    .get(format!("{base}/readyz"))
                    .timeout(Duration::from_secs(30))
                    .send()
                    .await;
                let ms = t0.elapsed().as_secs_f64() * 1000.0;
                let status = r.map_or("connection error".to_string(), |r| r.status().as_u16().to_string());
                let mut g = rec.lock().await;
                let p = &mut g.readyz[phase_at(t0 - started, phases.0, phases.1)];
                *p.statuses.entry(status).or_default() += 1;
                p.millis.push(ms);
                drop(g);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
    }
    tokio::time::sleep(cfg.before).await;
    proxy.cut();
    tokio::time::sleep(cfg.outage).await;
    proxy.restore().await?;
    while tasks.join_next().await.is_some() {}

    let db = Db::connect(&db_url).await?;
    let rows = evidence::invitations(&db, &suffix).await?;
    let drained = evidence::drain(&db, Duration::from_secs(120)).await?;
    let left = evidence::leftovers(&db).await?;
    db.close().await;
    let mut g = rec.lock().await;
    let lost = g.acked.iter().filter(|e| !rows.contains_key(*e)).count();
    let names = ["before", "outage", "after"];
    let mut out = json!({
        "outage_secs": cfg.outage.as_secs_f64(),
        "acknowledged_writes": g.acked.len(),
        "lost": lost,
        "first_success_after_restore_secs": g.first_ok_after_restore,
        "left_after_drain": left,
        "drain_secs": drained.map(|d| d.as_secs_f64()),
    });
    for (i, name) in names.iter().enumerate() {
        out[format!("api_{name}")] = g.phases[i].figures();
        out[format!("readyz_{name}")] = g.readyz[i].figures();
    }
    Ok(out)
}
