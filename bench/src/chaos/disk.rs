//! A full disk: the data folder (and the SQLite database, when no BENCH_DATABASE_URL is given)
//! on a 64 MiB tmpfs, a filler taking half, then 16 candidates' uploads until the disk refuses.
//! While full: what the uploads, /readyz, a candidate's landing page and a new invitation
//! answer, and how many notices reached the operators. After freeing the filler: how soon
//! /readyz is ready again, whether every refused upload resumes and completes, and how much
//! staging data is left behind.

use super::{Cluster, evidence, tenant};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

struct Mount(std::path::PathBuf);

impl Mount {
    fn new(dir: &Path, mib: u64) -> anyhow::Result<Mount> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir)
            .status()?
            .success();
        anyhow::ensure!(ok, "mounting a tmpfs needs root");
        Ok(Mount(dir.into()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn video(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    out[..4].copy_from_slice(&[0x1a, 0x45, 0xdf, 0xa3]);
    out
}

fn count(m: &mut BTreeMap<String, usize>, k: impl ToString) {
    *m.entry(k.to_string()).or_default() += 1;
}

fn files_named(dir: &Path, part: &str) -> usize {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                n += files_named(&p, part);
            } else if p.to_string_lossy().contains(part) {
                n += 1;
            }
        }
    }
    n
}

pub async fn run(uploads: usize) -> anyhow::Result<Value> {
    let tmp = super::scratch()?;
    let disk = tmp.path().join("disk");
    std::fs::create_dir_all(&disk)?;
    let _mount = Mount::new(&disk, 64)?;
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", disk.join("shortlist.db").display()));
    let ops = format!("ops-{:06x}@disk.example.com", rand::random::<u32>() >> 8);
    let mut cluster = Cluster::new(&db_url, &disk, 1, &["--operator-emails", &ops])?;
    cluster.start(0)?;
    cluster.ready(0, Duration::from_secs(120)).await?;
    let tenant = tenant(&db_url, &disk, &cluster, 0).await?;
    let base = cluster.base(0);
    let c = reqwest::Client::new();
    let invite = |i: usize| {
        c.post(format!("{base}/api/v1/positions/{}/invitations", tenant.position))
            .bearer_auth(&tenant.token)
            .json(&json!({ "email": format!("d{i}-{:06x}@disk.example.com", rand::random::<u32>() >> 8) }))
            .send()
    };
    let mut tokens = vec![];
    for i in 0..uploads + 1 {
        let v: Value = invite(i).await?.error_for_status()?.json().await?;
        let url = v["invitation"]["candidate_url"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        tokens.push(url.rsplit_once("/i/").map(|(_, t)| t.to_string()).unwrap_or_default());
    }
    let filler = disk.join("filler");
    {
        let mut f = std::fs::File::create(&filler)?;
        f.write_all(&vec![0u8; 32 * MIB])?;
    }

    let mut statuses = BTreeMap::new();
    let mut refused: Vec<(String, String, Vec<u8>)> = vec![];
    let mut stored = 0;
    for (i, token) in tokens.iter().take(uploads).enumerate() {
        let body = video(3 * MIB, i as u64 + 7);
        let e = |s: &str| STANDARD.encode(s);
        let meta = format!(
            "token {},question {},take {},filetype {},filename {}",
            e(token),
            e("q1"),
            e("1"),
            e("video/webm"),
            e("a.webm")
        );
        let r = c
            .post(format!("{base}/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", body.len().to_string())
            .header("Upload-Metadata", meta)
            .send()
            .await?;
        count(&mut statuses, format!("create {}", r.status().as_u16()));
        let Some(loc) = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
        else {
            continue;
        };
        let r = c
            .patch(format!("{base}{loc}"))
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", "0")
            .header("X-Shortlist-Candidate-Token", token)
            .body(body.clone())
            .send()
            .await;
        match r {
            Ok(r) if r.status().as_u16() == 204 => stored += 1,
            Ok(r) => {
                count(&mut statuses, format!("patch {}", r.status().as_u16()));
                refused.push((loc, token.clone(), body));
            }
            Err(_) => {
                count(&mut statuses, "patch connection error");
                refused.push((loc, token.clone(), body));
            }
        }
    }
    let full_readyz = c.get(format!("{base}/readyz")).send().await?.status().as_u16();
    let full_landing = c
        .get(format!("{base}/i/{}", tokens[uploads]))
        .send()
        .await?
        .status()
        .as_u16();
    let full_invite = invite(uploads + 1).await?.status().as_u16();

    std::fs::remove_file(&filler)?;
    let freed = Instant::now();
    let mut ready_after = None;
    while freed.elapsed() < Duration::from_secs(60) {
        if c.get(format!("{base}/readyz")).send().await?.status().is_success() {
            ready_after = Some(freed.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut resumed = 0;
    let mut resume_answers = BTreeMap::new();
    for (loc, token, body) in &refused {
        let head = c
            .head(format!("{base}{loc}"))
            .header("Tus-Resumable", "1.0.0")
            .header("X-Shortlist-Candidate-Token", token)
            .send()
            .await?;
        let at: usize = head
            .headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        let r = c
            .patch(format!("{base}{loc}"))
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", at.to_string())
            .header("X-Shortlist-Candidate-Token", token)
            .body(body[at.min(body.len())..].to_vec())
            .send()
            .await?;
        count(&mut resume_answers, r.status().as_u16());
        if r.status().as_u16() == 204 {
            resumed += 1;
        }
    }
    let notices = match std::env::var("TEST_MAILDIR") {
        Ok(dir) => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            evidence::mails(Path::new(&dir), &ops)
                .values()
                .map(Vec::len)
                .sum::<usize>()
        }
        Err(_) => 0,
    };
    Ok(json!({
        "disk_mib": 64,
        "uploads_tried": uploads,
        "stored_before_full": stored,
        "answers_while_filling": statuses,
        "refused_uploads": refused.len(),
        "readyz_while_full": full_readyz,
        "landing_page_while_full": full_landing,
        "new_invitation_while_full": full_invite,
        "readyz_ready_after_freeing_secs": ready_after,
        "refused_uploads_resumed_and_completed": resumed,
        "resume_answers": resume_answers,
        "operator_notices": notices,
        "staging_files_left": files_named(&disk, "staging"),
    }))
}
