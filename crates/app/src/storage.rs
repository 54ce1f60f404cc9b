//! Whether the disk that holds media (and the data folder, with SQLite's file by default) is
//! full, for readiness and metrics, and telling the operators once when it fills.
//!
//! Free space is measured (statvfs) for folders on this machine; an S3 store cannot be
//! measured, so there a refusal for a full disk counts for a while instead. Refusals come
//! from every surface through [`StorageWatch::refused`] (the web layer calls it for each 507).

use crate::clock::Clock;
use crate::jobs::SendEmail;
use crate::mailer::OutgoingEmail;
use chrono::{DateTime, TimeDelta, Utc};
use shortlist_store::jobs::{self as jobq, NewJob};
use shortlist_store::{Db, MediaStore};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

/// Below this much free space a watched folder counts as full: a staging part alone is 8 MiB,
/// but a disk with a little room left still serves most requests.
pub const MIN_FREE_BYTES: u64 = 1 << 20;
/// How long a refusal for a full disk counts: where space cannot be measured (S3), and on a
/// local disk whose free space has not grown since (a disk with 2 MiB left refuses a 3 MiB
/// upload, yet is above [`MIN_FREE_BYTES`]).
const REMEMBER: TimeDelta = TimeDelta::seconds(60);
/// Free space grown by this much since the last refusal means someone made room.
const ROOM_MADE: u64 = 2 << 20;
/// A refusal this long after the previous one starts a new episode (a new notice) even if no
/// readiness check saw the disk with room in between.
const EPISODE_GAP: TimeDelta = TimeDelta::minutes(30);

#[derive(Clone)]
pub struct StorageWatch {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    media: MediaStore,
    clock: Arc<dyn Clock>,
    /// Local folders measured: the data folder and a `file://` media folder.
    folders: Vec<PathBuf>,
    operators: Vec<String>,
    /// Unix milliseconds of the last refusal; 0 for none.
    last_refusal_ms: AtomicI64,
    /// The least free space of the local folders when that refusal happened.
    free_at_refusal: AtomicU64,
    /// The operators have been told about the current episode.
    noticed: AtomicBool,
}

impl StorageWatch {
    pub fn new(db: Db, media: MediaStore, clock: Arc<dyn Clock>, data_dir: PathBuf, operators: Vec<String>) -> Self {
        let mut folders = vec![data_dir];
        folders.extend(media.local_root().map(PathBuf::from));
        StorageWatch {
            inner: Arc::new(Inner {
                db,
                media,
                clock,
                folders,
                operators: operators.into_iter().filter(|o| o.contains('@')).collect(),
                last_refusal_ms: AtomicI64::new(0),
                free_at_refusal: AtomicU64::new(0),
                noticed: AtomicBool::new(false),
            }),
        }
    }

    fn last_refusal(&self) -> Option<DateTime<Utc>> {
        match self.inner.last_refusal_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => DateTime::from_timestamp_millis(ms),
        }
    }

    /// The least free space among the local folders watched, if any can be measured.
    fn least_free(&self) -> Option<u64> {
        self.inner.folders.iter().filter_map(|f| free_bytes(f)).min()
    }

    /// Whether storage is full now; also sets the `shortlist_storage_full` gauge, and a check
    /// that finds room ends the episode (the next refusal notifies again).
    pub fn is_full(&self) -> bool {
        let free = self.least_free();
        let low = free.is_some_and(|n| n < MIN_FREE_BYTES);
        let recent = (self.last_refusal()).is_some_and(|at| self.inner.clock.now() - at < REMEMBER);
        let no_room_made = match (self.inner.media.local_root(), free) {
            (Some(_), Some(now)) => {
                now < self
                    .inner
                    .free_at_refusal
                    .load(Ordering::Relaxed)
                    .saturating_add(ROOM_MADE)
            }
            _ => true,
        };
        let full = low || (recent && no_room_made);
        metrics::gauge!("shortlist_storage_full").set(if full { 1.0 } else { 0.0 });
        if !full {
            self.inner.noticed.store(false, Ordering::Relaxed);
        }
        full
    }

    /// A request was refused because storage is full: counted, and the first refusal of an
    /// episode enqueues one notice per operator (keyed by the hour, so several instances
    /// send one between them). If the notice cannot be stored (the database is on the full
    /// disk too), a later refusal tries again.
    pub async fn refused(&self) {
        metrics::counter!("shortlist_storage_full_refusals_total").increment(1);
        metrics::gauge!("shortlist_storage_full").set(1.0);
        let now = self.inner.clock.now();
        let previous = self.last_refusal();
        self.inner
            .free_at_refusal
            .store(self.least_free().unwrap_or(0), Ordering::Relaxed);
        self.inner
            .last_refusal_ms
            .store(now.timestamp_millis(), Ordering::Relaxed);
        if previous.is_some_and(|p| now - p > EPISODE_GAP) {
            self.inner.noticed.store(false, Ordering::Relaxed);
        }
        if self.inner.noticed.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Err(e) = self.notify(now).await {
            tracing::warn!(error = %e, "storage-full notice not queued; the next refusal tries again");
            self.inner.noticed.store(false, Ordering::Relaxed);
        }
    }

    async fn notify(&self, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        tracing::error!(
            storage = self.inner.media.describe(),
            "storage is full: writes are refused"
        );
        if self.inner.operators.is_empty() {
            return Ok(());
        }
        let hour = now.format("%Y-%m-%dT%HZ").to_string();
        let text = format!(
            "The storage of this Shortlist installation is full ({}; data folder {}).\n\n\
             Since {} uploads and other changes are refused with \"507 Insufficient Storage\"; \
             pages that only show data keep working, and /readyz reports \"storage\": \"full\".\n\n\
             Free some space (or enlarge the disk); nothing needs restarting. Candidates' uploads \
             resume where they stopped.\n",
            self.inner.media.describe(),
            self.inner
                .folders
                .first()
                .map(|f| f.display().to_string())
                .unwrap_or_default(),
            now.format("%Y-%m-%d %H:%M UTC"),
        );
        let mut tx = self.inner.db.begin().await?;
        for to in &self.inner.operators {
            let mail = OutgoingEmail {
                to: to.clone(),
                subject: "Shortlist: storage is full".into(),
                text: text.clone(),
                dedup_id: format!("storage-full-{hour}-{to}"),
                html: None,
                reply_to: None,
            };
            let job = NewJob::new(SendEmail::KIND, serde_json::json!(mail)).unique(format!("storage-full/{hour}/{to}"));
            jobq::enqueue(&mut tx, &job).await?;
        }
        tx.commit().await
    }
}

/// Bytes an unprivileged writer may still use in the file system of `folder`.
fn free_bytes(folder: &std::path::Path) -> Option<u64> {
    let s = rustix::fs::statvfs(folder).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}
