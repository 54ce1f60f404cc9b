//! Shared bits of the benchmarks: start-up ([`harness`]), load generation ([`load`]), where
//! results go and how they are written.

pub mod chaos;
pub mod harness;
pub mod load;

use std::path::PathBuf;

/// Writes `bench/results/<name>.json` and `.md` and prints the Markdown.
pub fn write_files(name: &str, json: &serde_json::Value, md: &str) -> anyhow::Result<()> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string_pretty(json)?)?;
    std::fs::write(dir.join(format!("{name}.md")), md)?;
    println!("{md}");
    Ok(())
}

/// One measured pair: ours against an anchor run in the same process, same machine, same minute.
pub struct Comparison {
    pub name: &'static str,
    pub unit: &'static str,
    pub ours: f64,
    pub anchor: f64,
    pub anchor_name: &'static str,
    pub detail: String,
}

impl Comparison {
    pub fn ratio(&self) -> f64 {
        if self.anchor > 0.0 {
            self.ours / self.anchor
        } else {
            0.0
        }
    }

    /// Prints the result and writes `bench/results/<name>.json` and `.md`.
    pub fn write(&self) -> anyhow::Result<()> {
        self.write_with(&[])
    }

    /// As [`Comparison::write`], with further named figures (e.g. latency ratios) as JSON fields
    /// and table rows.
    pub fn write_with(&self, extra: &[(&str, f64)]) -> anyhow::Result<()> {
        let mut json = serde_json::json!({
            "name": self.name, "unit": self.unit, "ours": self.ours, "anchor": self.anchor,
            "anchor_name": self.anchor_name, "ratio": self.ratio(), "detail": self.detail,
        });
        for (k, v) in extra {
            json[*k] = serde_json::json!(v);
        }
        let rows: String = extra.iter().map(|(k, v)| format!("| {k} | {v:.2} |\n")).collect();
        let md = format!(
            "# {}\n\n| | {} |\n|---|---|\n| Shortlist | {:.0} |\n| {} (anchor) | {:.0} |\n| ratio | {} |\n{rows}\n{}\n",
            self.name,
            self.unit,
            self.ours,
            self.anchor_name,
            self.anchor,
            ratio_text(self.ratio()),
            self.detail
        );
        write_files(self.name, &json, &md)
    }
}

/// Two decimals, or four below 0.1 (a ratio of 0.004 must not read as 0.00).
pub fn ratio_text(r: f64) -> String {
    if r < 0.1 { format!("{r:.4}") } else { format!("{r:.2}") }
}

/// The database to run on: BENCH_DATABASE_URL (e.g. a fresh Postgres database), else a
/// temporary SQLite file.
pub fn database_url(tmp: &tempfile::TempDir) -> String {
    std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", tmp.path().join("bench.db").display()))
}
