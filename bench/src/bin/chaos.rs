//! `chaos [storm|outage|disk|all]`: the fault runs of the reliability issue against the release
//! binary, with bounded counts, printing the figures and writing bench/results/chaos_*.json.
//! Run through `scripts/chaos`, which builds both binaries and provides a fresh PostgreSQL
//! database and an SMTP sink.

use shortlist_bench::chaos::{disk, outage, storm};
use std::time::Duration;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn write(name: &str, v: &serde_json::Value) -> anyhow::Result<()> {
    let md = format!(
        "# {name}\n\n{}\n\n```json\n{}\n```\n",
        shortlist_bench::harness::machine_note(),
        serde_json::to_string_pretty(v)?
    );
    shortlist_bench::write_files(name, v, &md)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let backend = if std::env::var("BENCH_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    };
    if what == "storm" || what == "all" {
        let cfg = storm::StormCfg {
            invitations: env_usize("CHAOS_REQUESTS", 2200),
            kills: env_usize("CHAOS_KILLS", 14),
            clients: env_usize("CHAOS_CLIENTS", 16),
        };
        write(&format!("chaos_storm_{backend}"), &storm::run(&cfg).await?)?;
    }
    if (what == "outage" || what == "all") && backend == "postgres" {
        let cfg = outage::OutageCfg {
            before: Duration::from_secs(5),
            outage: Duration::from_secs(env_usize("CHAOS_OUTAGE_SECS", 20) as u64),
            after: Duration::from_secs(15),
            clients: env_usize("CHAOS_CLIENTS", 16),
        };
        write("chaos_outage_postgres", &outage::run(&cfg).await?)?;
    }
    if what == "disk" || what == "all" {
        write(
            &format!("chaos_disk_{backend}"),
            &disk::run(env_usize("CHAOS_UPLOADS", 16)).await?,
        )?;
    }
    Ok(())
}
