//! Template media downloads in constant memory: one large intro video (BENCH_MEDIA_BYTES,
//! default 200 MiB) stored as template media, then 8 parallel whole-file downloads through
//! `GET /api/v1/media/{key}` (in-process server, full middleware, file storage) against 8
//! parallel raw reads of the same file (`std::io::copy` to a sink) in the same run. Reports the
//! process's peak RSS before and after the downloads: it must stay flat, not grow with the file
//! times the number of readers (the pen test saw 233 MB → 2.2 GB before streaming).

use shortlist_bench::harness::{Bench, build_kind, machine_note, serve};
use shortlist_store::media_objects::{self, NewMediaObject};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

const READERS: usize = 8;

/// Peak resident set size of this process in KiB (VmHWM).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Writes `len` pseudo-random bytes behind a WebM signature.
fn make_file(path: &Path, len: u64) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    let mut left = len;
    let mut first = true;
    while left > 0 {
        for w in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes());
        }
        if first {
            block[..4].copy_from_slice(b"\x1a\x45\xdf\xa3");
            first = false;
        }
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    f.into_inner()?.sync_all()?;
    Ok(())
}

/// The anchor: the same file read whole by 8 threads at once, straight from disk.
fn raw_reads(path: &Path) -> anyhow::Result<f64> {
    let started = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..READERS)
            .map(|_| s.spawn(|| std::io::copy(&mut File::open(path)?, &mut std::io::sink())))
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("reader panicked"))??;
        }
        anyhow::Ok(())
    })?;
    Ok(started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bytes: u64 = std::env::var("BENCH_MEDIA_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200 << 20);
    let b = Bench::start(&[]).await?;
    let who = b.admin_org("Bench", "bench@example.com", false).await?;
    let tmp = tempfile::tempdir()?;
    let src = tmp.path().join("intro.webm");
    make_file(&src, bytes)?;
    let key = format!("orgs/{}/template-media/bench-intro.webm", who.org_id);
    b.app.media.put_file(&key, &src).await?;
    let row = NewMediaObject {
        key: &key,
        kind: "intro_video",
        content_type: "video/webm",
        size_bytes: i64::try_from(bytes)?,
        created_by: who.user_id.as_ref(),
    };
    media_objects::insert(&b.app.db, &who.org_id, &row).await?;
    let operator = shortlist_app::credentials::Credentials::operator(&who.org_id);
    let api_key = b
        .app
        .credentials
        .create_api_key(&operator, false, "bench", "*", None)
        .await?;
    let addr = serve(b.router()).await?;
    let anchor_secs = raw_reads(&src)?;

    let url = format!("http://{addr}/api/v1/media/{key}");
    let auth = format!("Bearer {}", api_key.token);
    let client = reqwest::Client::new();
    let rss_before = peak_rss_kib();
    let started = Instant::now();
    let mut tasks = vec![];
    for _ in 0..READERS {
        let (c, url, auth) = (client.clone(), url.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            let mut r = c.get(&url).header("Authorization", auth).send().await?;
            anyhow::ensure!(r.status().is_success(), "download: {}", r.status());
            let mut n = 0u64;
            while let Some(chunk) = r.chunk().await? {
                n += chunk.len() as u64;
            }
            anyhow::Ok(n)
        }));
    }
    for t in tasks {
        let n = t.await??;
        anyhow::ensure!(n == bytes, "a download got {n} of {bytes} bytes");
    }
    let ours_secs = started.elapsed().as_secs_f64();
    let rss_after = peak_rss_kib();

    let mb = (bytes * READERS as u64) as f64 / 1e6;
    let growth = rss_after.saturating_sub(rss_before) / 1024;
    shortlist_bench::Comparison {
        name: "media_stream",
        unit: "MB/s",
        ours: mb / ours_secs,
        anchor: mb / anchor_secs,
        anchor_name: "8 parallel raw reads of the same file",
        detail: format!(
            "{READERS} parallel downloads of one {:.0} MiB intro video through GET /api/v1/media/{{key}} \
             (in-process server, every middleware, {} database, file storage, {} build): {ours_secs:.1} s. \
             Anchor: {anchor_secs:.2} s (page cache). Peak RSS (VmHWM) of the process (server and client) \
             before the downloads {} MiB, after {} MiB, growth {growth} MiB for {:.0} MiB served. {}.",
            bytes as f64 / 1048576.0,
            b.backend,
            build_kind(),
            rss_before / 1024,
            rss_after / 1024,
            (bytes * READERS as u64) as f64 / 1048576.0,
            machine_note(),
        ),
    }
    .write_with(&[("rss_growth_mib", growth as f64)])
}
