//! What survived a fault run, read from durable evidence only: rows in the database and the
//! messages the SMTP sink stored.

use shortlist_store::{Db, on_db};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

pub async fn scalar(db: &Db, sql: &str) -> anyhow::Result<i64> {
    Ok(on_db!(db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await?))
}

/// Invitations per candidate e-mail, for candidates whose address ends with `suffix`.
pub async fn invitations(db: &Db, suffix: &str) -> anyhow::Result<HashMap<String, i64>> {
    let sql = "SELECT c.email, COUNT(*) FROM invitations i JOIN candidates c ON c.id = i.candidate_id \
               WHERE c.email LIKE $1 GROUP BY c.email";
    let like = format!("%{suffix}");
    let rows: Vec<(String, i64)> = on_db!(db, p => sqlx::query_as(sql).bind(&like).fetch_all(p).await?);
    Ok(rows.into_iter().collect())
}

/// Waits until no job runs and none is due; returns how long that took, or None.
pub async fn drain(db: &Db, within: Duration) -> anyhow::Result<Option<Duration>> {
    let started = Instant::now();
    while started.elapsed() < within {
        let now = chrono::Utc::now();
        let sql = "SELECT COUNT(*) FROM jobs WHERE state = 'running' OR (state = 'queued' AND run_at <= $1)";
        let busy: i64 = on_db!(db, p => sqlx::query_scalar(sql).bind(now).fetch_one(p).await?);
        if busy == 0 {
            return Ok(Some(started.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(None)
}

/// After a drain, with no request in flight.
#[derive(Debug, serde::Serialize)]
pub struct Leftovers {
    /// Jobs still `running`: nobody is working on them.
    pub stuck_jobs: i64,
    /// Idempotency-Keys `running` under a live lease: a retry would be told "in progress".
    pub stuck_keys: i64,
    /// Keys `running` under a lapsed lease: their request died; a retry takes them over.
    pub abandoned_keys: i64,
}

pub async fn leftovers(db: &Db) -> anyhow::Result<Leftovers> {
    let stuck_jobs = scalar(db, "SELECT COUNT(*) FROM jobs WHERE state = 'running'").await?;
    let now = chrono::Utc::now();
    let sql =
        "SELECT COUNT(*) FROM idempotency_keys WHERE state = 'running' AND (lease_until IS NULL OR lease_until > $1)";
    let stuck_keys: i64 = on_db!(db, p => sqlx::query_scalar(sql).bind(now).fetch_one(p).await?);
    let running = scalar(db, "SELECT COUNT(*) FROM idempotency_keys WHERE state = 'running'").await?;
    Ok(Leftovers {
        stuck_jobs,
        stuck_keys,
        abandoned_keys: running - stuck_keys,
    })
}

/// Per recipient ending with `suffix`: the Message-ID of every copy the SMTP sink received.
pub fn mails(maildir: &Path, suffix: &str) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir(maildir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "json")
            || p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_default()).unwrap_or_default();
        let eml = std::fs::read_to_string(p.with_extension("eml")).unwrap_or_default();
        let id = eml
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("message-id").then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        for to in meta["rcpt_tos"].as_array().into_iter().flatten() {
            if let Some(to) = to.as_str().filter(|t| t.ends_with(suffix)) {
                out.entry(to.to_string()).or_default().push(id.clone());
            }
        }
    }
    out
}

/// Mail figures over the candidates in `expected`.
#[derive(Debug, Default, serde::Serialize)]
pub struct MailFigures {
    pub candidates: usize,
    pub without_mail: usize,
    /// Candidates who received more than one copy.
    pub with_copies: usize,
    /// Candidates whose copies carry different Message-IDs (a receiver cannot drop them).
    pub with_distinct_ids: usize,
    pub messages: usize,
}

pub fn mail_figures(got: &HashMap<String, Vec<String>>, expected: &BTreeSet<String>) -> MailFigures {
    let mut f = MailFigures {
        candidates: expected.len(),
        ..Default::default()
    };
    for who in expected {
        let ids = got.get(who).cloned().unwrap_or_default();
        f.messages += ids.len();
        match ids.len() {
            0 => f.without_mail += 1,
            1 => {}
            _ => {
                f.with_copies += 1;
                if ids.iter().collect::<BTreeSet<_>>().len() > 1 {
                    f.with_distinct_ids += 1;
                }
            }
        }
    }
    f
}
