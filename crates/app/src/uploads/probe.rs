//! `media.probe`: after a take is received, learns its duration with ffprobe and, for video,
//! stores a poster JPEG and an audio-only copy next to it. Anonymised share links play only that
//! copy, never the original (which shows the candidate's face). ffmpeg is optional: without it
//! the job logs once and records that no copy can be made, so an installation without ffmpeg
//! loses durations, posters and video answers on anonymised links, and nothing else.

use crate::jobs::{JobError, JobHandler, JobInput};
use async_trait::async_trait;
use shortlist_domain::OrgId;
use shortlist_store::jobs::NewJob;
use shortlist_store::take_probe::{AudioState, Findings};
use shortlist_store::{Db, MediaStore, take_probe};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Scratch folders of the probe in the system's temporary folder; a sweep removes stale ones
/// (a killed worker leaves its copy of a take behind).
pub(super) const PROBE_TMP_PREFIX: &str = "shortlist-probe-";

pub const PROBE_KIND: &str = "media.probe";
/// A hung ffmpeg must not hold a worker slot for ever.
const TOOL_TIMEOUT: Duration = Duration::from_secs(120);
/// The object is copied to disk in ranges of this size, never held whole in memory.
const PIECE: u64 = 8 * 1024 * 1024;

/// The job for one completed upload of a take (unique per upload, so a replaced take is probed
/// again and a replayed completion is not).
pub fn probe_job(org: &OrgId, upload_id: &str, take: &shortlist_store::uploads::TakeRow) -> NewJob {
    let payload = serde_json::json!({
        "invitation_id": take.invitation_id,
        "question_id": take.question_id,
        "take": take.take,
        "media_key": take.media_key,
        "content_type": take.content_type,
    });
    NewJob::new(PROBE_KIND, payload)
        .for_org(org)
        .unique(format!("{PROBE_KIND}:{upload_id}"))
        .max_attempts(3)
}

/// The same probe asked for again for a take that has no audio-only copy yet (recorded before
/// copies were made): once per stored object, however often anonymised links ask.
pub fn audio_backfill_job(org: &OrgId, take: &take_probe::TakeProbe, inv: &str, question: &str, n: i32) -> NewJob {
    let payload = serde_json::json!({
        "invitation_id": inv,
        "question_id": question,
        "take": n,
        "media_key": take.media_key,
        "content_type": take.content_type,
    });
    NewJob::new(PROBE_KIND, payload)
        .for_org(org)
        .unique(format!("{PROBE_KIND}:audio:{}", take.media_key))
        .max_attempts(3)
}

/// The key of a take's audio-only copy: `take-1.webm` → `take-1.audio.webm`.
pub fn audio_key(media_key: &str) -> String {
    let stem = media_key.rsplit_once('.').map_or(media_key, |(s, _)| s);
    format!("{stem}.audio.webm")
}

/// What extracting the sound gave.
enum Extracted {
    Made(PathBuf),
    NoTool,
    NoSound,
}

/// The key of a take's poster: next to the take, `take-1.webm` → `take-1.poster.jpg`.
pub fn poster_key(media_key: &str) -> String {
    let stem = media_key.rsplit_once('.').map_or(media_key, |(s, _)| s);
    format!("{stem}.poster.jpg")
}

pub struct ProbeMedia {
    pub db: Db,
    pub media: MediaStore,
    /// Where ffmpeg and ffprobe live; None: looked up on PATH.
    pub tools_dir: Option<PathBuf>,
    missing_logged: AtomicBool,
}

impl ProbeMedia {
    pub fn new(db: Db, media: MediaStore, tools_dir: Option<PathBuf>) -> ProbeMedia {
        ProbeMedia {
            db,
            media,
            tools_dir,
            missing_logged: AtomicBool::new(false),
        }
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.tools_dir
            .as_ref()
            .map_or_else(|| PathBuf::from(name), |d| d.join(name))
    }

    /// Runs a tool directly (never through a shell). Ok(None): the tool is not installed.
    async fn run(&self, name: &str, args: &[OsString]) -> Result<Option<std::process::Output>, JobError> {
        let child = tokio::process::Command::new(self.tool(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !self.missing_logged.swap(true, Ordering::Relaxed) {
                    tracing::info!(
                        tool = name,
                        "not installed: takes get no duration, poster or audio-only copy"
                    );
                }
                return Ok(None);
            }
            Err(e) => return Err(JobError::retry(format!("{name}: {e}"))),
        };
        match tokio::time::timeout(TOOL_TIMEOUT, child.wait_with_output()).await {
            Ok(Ok(out)) => Ok(Some(out)),
            Ok(Err(e)) => Err(JobError::retry(format!("{name}: {e}"))),
            Err(_) => Err(JobError::Permanent(anyhow::anyhow!("{name} timed out"))),
        }
    }

    /// The duration in milliseconds. Chromium's WebM carries no duration header; then the last
    /// packet's timestamp is the length.
    async fn duration_ms(&self, input: &Path) -> Result<Option<Option<i64>>, JobError> {
        let mut argv = os(&[
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=nw=1:nk=1",
        ]);
        argv.push(input.into());
        let Some(out) = self.run("ffprobe", &argv).await? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(secs) = text.lines().find_map(|l| l.trim().parse::<f64>().ok()) {
            return Ok(Some(Some(to_ms(secs))));
        }
        let mut argv = os(&["-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0"]);
        argv.push(input.into());
        let Some(out) = self.run("ffprobe", &argv).await? else {
            return Ok(None);
        };
        let last = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        Ok(Some(last.map(to_ms)))
    }

    /// A poster half a second in, or the first frame of a shorter take. None: no frame.
    async fn poster(&self, input: &Path, dir: &Path) -> Result<Option<Vec<u8>>, JobError> {
        let out = dir.join("poster.jpg");
        for seek in [Some("0.5"), None] {
            let mut argv = os(&["-v", "error", "-y"]);
            if let Some(s) = seek {
                argv.extend(os(&["-ss", s]));
            }
            argv.extend([OsString::from("-i"), input.into()]);
            argv.extend(os(&["-frames:v", "1", "-q:v", "4"]));
            argv.push(out.clone().into());
            if self.run("ffmpeg", &argv).await?.is_none() {
                return Ok(None);
            }
            match tokio::fs::read(&out).await {
                Ok(b) if !b.is_empty() => return Ok(Some(b)),
                _ => continue,
            }
        }
        Ok(None)
    }

    /// The take's sound without its picture, as WebM: the Opus track copied as it is (what
    /// browsers record), else re-encoded to Opus (an MP4 from Safari carries AAC, which WebM
    /// cannot hold).
    async fn audio(&self, input: &Path, dir: &Path) -> Result<Extracted, JobError> {
        let out = dir.join("audio.webm");
        for codec in [&["-c:a", "copy"][..], &["-c:a", "libopus", "-b:a", "64k"][..]] {
            let mut argv = os(&["-v", "error", "-y", "-i"]);
            argv.push(input.into());
            argv.extend(os(&["-map", "0:a:0", "-vn", "-sn", "-dn"]));
            argv.extend(os(codec));
            argv.extend(os(&["-f", "webm"]));
            argv.push(out.clone().into());
            let Some(run) = self.run("ffmpeg", &argv).await? else {
                return Ok(Extracted::NoTool);
            };
            let made = tokio::fs::metadata(&out).await.is_ok_and(|m| m.len() > 0);
            if run.status.success() && made {
                return Ok(Extracted::Made(out));
            }
        }
        Ok(Extracted::NoSound)
    }

    /// Copies the object to `path` piece by piece. Ok(false): the object is gone.
    async fn fetch(&self, key: &str, path: &Path) -> Result<bool, JobError> {
        let Some(size) = self.media.object_size(key).await.map_err(JobError::retry)? else {
            return Ok(false);
        };
        let mut f = tokio::fs::File::create(path).await.map_err(JobError::retry)?;
        let mut at = 0;
        while at < size {
            let end = size.min(at + PIECE);
            let bytes = self.media.read_range(key, at..end).await.map_err(JobError::retry)?;
            f.write_all(&bytes).await.map_err(JobError::retry)?;
            at = end;
        }
        f.flush().await.map_err(JobError::retry)?;
        Ok(true)
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn to_ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

fn field<'a>(job: &'a JobInput, name: &str) -> &'a str {
    job.payload.get(name).and_then(|v| v.as_str()).unwrap_or_default()
}

#[async_trait]
impl JobHandler for ProbeMedia {
    fn kind(&self) -> &'static str {
        PROBE_KIND
    }

    async fn run(&self, job: &JobInput) -> Result<(), JobError> {
        let (org, inv) = job.invitation()?;
        let question = field(job, "question_id");
        let key = field(job, "media_key");
        let take = job.payload.get("take").and_then(|v| v.as_i64()).unwrap_or_default() as i32;
        let now = take_probe::get(&self.db, org.as_str(), inv.as_str(), question, take)
            .await
            .map_err(JobError::retry)?;
        if now.is_none_or(|t| t.media_key != key) {
            return Ok(()); // the take is gone or was replaced; its replacement has its own probe
        }
        let dir = tempfile::Builder::new()
            .prefix(PROBE_TMP_PREFIX)
            .tempdir()
            .map_err(JobError::retry)?;
        let input = dir.path().join("take");
        if !self.fetch(key, &input).await? {
            return Ok(());
        }
        let video = field(job, "content_type").starts_with("video/");
        let Some(duration) = self.duration_ms(&input).await? else {
            // ffprobe not installed: say so, so that anonymised links can tell why.
            let f = Findings {
                audio_state: video.then_some(AudioState::NoTool),
                ..Findings::default()
            };
            take_probe::record(&self.db, inv.as_str(), question, take, key, &f)
                .await
                .map_err(JobError::retry)?;
            return Ok(());
        };
        if duration.is_none() {
            tracing::warn!(key, "ffprobe found no duration");
        }
        let mut poster = None;
        if video && let Some(jpeg) = self.poster(&input, dir.path()).await? {
            let pk = poster_key(key);
            self.media.put(&pk, jpeg).await.map_err(JobError::retry)?;
            poster = Some(pk);
        }
        let (mut audio, mut audio_state) = (None, None);
        if video {
            audio_state = Some(match self.audio(&input, dir.path()).await? {
                Extracted::Made(file) => {
                    let ak = audio_key(key);
                    self.media.put_file(&ak, &file).await.map_err(JobError::retry)?;
                    audio = Some(ak);
                    AudioState::Ready
                }
                Extracted::NoTool => AudioState::NoTool,
                Extracted::NoSound => AudioState::NoAudio,
            });
        }
        let f = Findings {
            duration_ms: duration,
            poster_key: poster.as_deref(),
            audio_key: audio.as_deref(),
            audio_state,
        };
        take_probe::record(&self.db, inv.as_str(), question, take, key, &f)
            .await
            .map_err(JobError::retry)?;
        tracing::info!(key, duration_ms = ?duration, poster = poster.is_some(), audio = ?audio_state, "take probed");
        Ok(())
    }
}
