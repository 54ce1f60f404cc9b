//! The kill storm: two instances on one database and data folder take invitation requests
//! (each with its own Idempotency-Key, retried by the client as a careful client would: on a
//! dropped connection, a 5xx or "in progress", against the other instance) while one of them is
//! SIGKILLed and restarted again and again. Afterwards: every acknowledged invitation exists
//! once, no key or job is stuck, and each candidate's e-mail copies share one Message-ID.

use super::{Cluster, evidence, tenant};
use serde_json::{Value, json};
use shortlist_store::Db;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub struct StormCfg {
    pub invitations: usize,
    pub kills: usize,
    pub clients: usize,
}

#[derive(Default)]
struct Tally {
    created: usize,
    /// 409 already_invited on a retry: an earlier attempt had committed before its process died.
    already: usize,
    gave_up: usize,
    unexpected: Vec<String>,
    retries: usize,
    acked: BTreeSet<String>,
}

async fn invite(
    c: &reqwest::Client,
    bases: &[String],
    token: &str,
    position: &str,
    i: usize,
    email: &str,
    t: &Mutex<Tally>,
) {
    let key = format!("storm-{i}");
    let body = json!({ "email": email, "name": format!("Candidate {i}") });
    let started = Instant::now();
    for attempt in 0.. {
        let base = &bases[(i + attempt) % bases.len()];
        let r = c
            .post(format!("{base}/api/v1/positions/{position}/invitations"))
            .bearer_auth(token)
            .header("idempotency-key", &key)
            .json(&body)
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        let mut wait = Duration::from_millis(200);
        match r {
            Ok(r) => {
                let status = r.status().as_u16();
                if let Some(s) = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                {
                    wait = Duration::from_secs(s.min(10));
                }
                let v: Value = r.json().await.unwrap_or_default();
                let mut t = t.lock().await;
                match (status, v["code"].as_str()) {
                    (200 | 201, _) => {
                        t.created += 1;
                        t.acked.insert(email.to_string());
                        return;
                    }
                    (409, Some("already_invited")) => {
                        t.already += 1;
                        t.acked.insert(email.to_string());
                        return;
                    }
                    (409, Some("idempotency_in_progress")) | (500..=599, _) => t.retries += 1,
                    _ => {
                        t.unexpected.push(format!("{status} {v}"));
                        return;
                    }
                }
            }
            Err(_) => t.lock().await.retries += 1,
        }
        if started.elapsed() > Duration::from_secs(120) {
            t.lock().await.gave_up += 1;
            return;
        }
        tokio::time::sleep(wait).await;
    }
}

pub async fn run(cfg: &StormCfg) -> anyhow::Result<Value> {
    let tmp = super::scratch()?;
    let db_url = crate::database_url(&tmp);
    let mut cluster = Cluster::new(&db_url, tmp.path(), 2, &[])?;
    cluster.start(0)?;
    cluster.ready(0, Duration::from_secs(120)).await?;
    cluster.start(1)?;
    cluster.ready(1, Duration::from_secs(60)).await?;
    let tenant = tenant(&db_url, tmp.path(), &cluster, 0).await?;
    let bases: Vec<String> = (0..2).map(|i| cluster.base(i)).collect();
    let suffix = format!("@storm-{:06x}.example.com", rand::random::<u32>() >> 8);
    let cluster = Arc::new(Mutex::new(cluster));

    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..cfg.clients {
        let (bases, tally, next, tenant_token, position, suffix) = (
            bases.clone(),
            tally.clone(),
            next.clone(),
            tenant.token.clone(),
            tenant.position.clone(),
            suffix.clone(),
        );
        let n = cfg.invitations;
        clients.spawn(async move {
            let c = reqwest::Client::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                invite(
                    &c,
                    &bases,
                    &tenant_token,
                    &position,
                    i,
                    &format!("c{i}{suffix}"),
                    &tally,
                )
                .await;
            }
        });
    }
    let killer = {
        let (cluster, done, kills) = (cluster.clone(), done.clone(), cfg.kills);
        tokio::spawn(async move {
            let mut n = 0;
            while n < kills && !done.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(300 + rand::random::<u64>() % 900)).await;
                let i = rand::random::<u32>() as usize % 2;
                let mut c = cluster.lock().await;
                c.kill(i);
                n += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
                c.start(i)?;
            }
            anyhow::Ok(n)
        })
    };
    while clients.join_next().await.is_some() {}
    let traffic_secs = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let kills = killer.await??;
    {
        let mut c = cluster.lock().await;
        c.ready(0, Duration::from_secs(60)).await?;
        c.ready(1, Duration::from_secs(60)).await?;
    }

    let db = Db::connect(&db_url).await?;
    let drained = evidence::drain(&db, Duration::from_secs(300)).await?;
    let left = evidence::leftovers(&db).await?;
    let rows = evidence::invitations(&db, &suffix).await?;
    let t = tally.lock().await;
    let lost = t.acked.iter().filter(|e| !rows.contains_key(*e)).count();
    let duplicated = rows.values().filter(|n| **n > 1).count();
    let second_attempts = evidence::scalar(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'invitation.email' AND attempts > 1",
    )
    .await?;
    let mail = match std::env::var("TEST_MAILDIR") {
        Ok(dir) => {
            // The sink may still be writing the last messages of the drain.
            tokio::time::sleep(Duration::from_secs(2)).await;
            Some(evidence::mail_figures(
                &evidence::mails(std::path::Path::new(&dir), &suffix),
                &t.acked,
            ))
        }
        Err(_) => None,
    };
    db.close().await;
    Ok(json!({
        "backend": if db_url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "instances": 2,
        "requests": cfg.invitations,
        "kills": kills,
        "traffic_secs": traffic_secs,
        "acknowledged": t.acked.len(),
        "acknowledged_created": t.created,
        "acknowledged_already_invited_on_retry": t.already,
        "client_retries": t.retries,
        "gave_up": t.gave_up,
        "unexpected_answers": t.unexpected.iter().take(5).collect::<Vec<_>>(),
        "present": rows.len(),
        "lost": lost,
        "duplicated": duplicated,
        "left_after_drain": left,
        "drain_secs": drained.map(|d| d.as_secs_f64()),
        "email_second_attempts": second_attempts,
        "mail": mail,
    }))
}
