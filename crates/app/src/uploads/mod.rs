//! Resumable uploads of candidate answers (the server side of tus 1.0).
//!
//! An upload belongs to one invitation, question and take. Its state lives in the database and
//! its bytes in the object store, so any number of stateless instances can serve one upload in
//! turns: each PATCH holds a lease on the row while it appends, stores what arrives as staging
//! parts of at most `part_bytes`, and records each part with the new offset. The last byte
//! assembles the parts into the answer's object (multipart, one part in memory at a time,
//! hashing on the way) and, in one transaction, completes the upload and records the take.

mod accept;
mod expiry;
mod patch;
mod probe;
pub mod rules;
mod sweep;

pub use expiry::{EXPIRE_KIND, ExpireUpload};
pub use patch::PatchRequest;
pub use probe::{PROBE_KIND, ProbeMedia, audio_backfill_job, audio_key, poster_key, probe_job};
pub use sweep::{MIN_AGE as SWEEP_MIN_AGE, SWEEP_KIND, SweepStaging, Swept, start_sweep};

use crate::clock::Clock;
use crate::recruiting::invitations::LIVE;
use crate::recruiting::templates::parse_spec;
use crate::tokens;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;
use shortlist_domain::template::QuestionKind;
use shortlist_domain::{InvitationId, OrgId, TemplateVersionId};
use shortlist_store::uploads::{self as store, NewUpload, TakeRow, UploadRow};
use shortlist_store::{Db, MediaStore, invitations, templates};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::task::TaskTracker;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("This upload does not exist.")]
    NotFound,
    /// The interview link or the upload is no longer usable (expired, cancelled, completed).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("The upload is at offset {offset}: send the bytes from there.")]
    OffsetMismatch { offset: u64 },
    #[error("Another request is writing to this upload. Try again in a moment.")]
    Locked,
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("The request body does not match Upload-Checksum; none of it was kept.")]
    ChecksumMismatch,
    #[error("Too many uploads for this interview.")]
    TooMany,
    /// The take (or the question's answer) was submitted and cannot be replaced.
    #[error("{0}")]
    Submitted(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for UploadError {
    fn from(e: sqlx::Error) -> Self {
        UploadError::Internal(e.into())
    }
}

impl From<shortlist_store::media::MediaError> for UploadError {
    fn from(e: shortlist_store::media::MediaError) -> Self {
        UploadError::Internal(e.into())
    }
}

/// Limits and timings. Config-free defaults; benchmarks and tests change fields.
#[derive(Debug, Clone)]
pub struct UploadLimits {
    /// Largest video or audio recording.
    pub recording_bytes: u64,
    /// Largest document for a file-upload question.
    pub document_bytes: u64,
    /// Largest staging part (and the part size of the assembled object).
    pub part_bytes: usize,
    /// Uploads one invitation may start.
    pub per_invitation: i64,
    /// An unfinished upload expires this long after creation.
    pub expire_after: TimeDelta,
    /// How long a PATCH holds an upload without renewing; it renews every third of it while
    /// bytes flow. Short, because it is also how long a client resuming after a crash of the
    /// process that held its upload waits (423) before it can continue.
    pub lease: TimeDelta,
    /// A PATCH body that sends nothing for this long is treated as cut off.
    pub idle: Duration,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            recording_bytes: 1 << 30,
            document_bytes: 25 << 20,
            part_bytes: 8 << 20,
            per_invitation: 200,
            expire_after: TimeDelta::hours(24),
            lease: TimeDelta::seconds(6),
            idle: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
pub struct Uploads {
    pub db: Db,
    pub media: MediaStore,
    pub clock: Arc<dyn Clock>,
    pub limits: UploadLimits,
    /// The PATCH bodies being written. They run detached from their requests (a client that
    /// goes away still gets what arrived recorded), so a graceful stop waits for them here.
    tasks: TaskTracker,
}

/// What HEAD (and the answers to POST and PATCH) report.
#[derive(Debug, Clone)]
pub struct UploadInfo {
    pub id: String,
    pub offset: u64,
    /// `None` while the length is deferred (created with `Upload-Defer-Length: 1`).
    pub length: Option<u64>,
    /// Upload-Metadata as sent at creation, without the candidate token.
    pub metadata: String,
    /// Unset once the upload is complete.
    pub expires_at: Option<DateTime<Utc>>,
    pub complete: bool,
}

impl UploadInfo {
    fn of(row: &UploadRow) -> UploadInfo {
        let complete = row.state == "complete";
        UploadInfo {
            id: row.id.clone(),
            offset: u64::try_from(row.upload_offset).unwrap_or_default(),
            length: u64::try_from(row.upload_length).ok(),
            metadata: row.metadata.clone(),
            expires_at: (!complete).then_some(row.expires_at),
            complete,
        }
    }
}

fn staging_prefix(upload: &str) -> String {
    format!("staging/{upload}")
}

fn too_large(limit: u64) -> UploadError {
    UploadError::TooLarge(format!(
        "The file is too large: at most {} is accepted here.",
        rules::in_words(limit)
    ))
}

fn internal(e: impl std::fmt::Display) -> UploadError {
    UploadError::Internal(anyhow::anyhow!("{e}"))
}

impl Uploads {
    pub fn new(db: Db, media: MediaStore, clock: Arc<dyn Clock>) -> Uploads {
        Uploads {
            db,
            media,
            clock,
            limits: UploadLimits::default(),
            tasks: TaskTracker::new(),
        }
    }

    /// Graceful stop: takes no more PATCH bodies and waits for those being written to record
    /// what arrived and release their uploads (each ends within `limits.idle` of its last byte).
    pub async fn drain(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// The largest upload any question accepts (Tus-Max-Size).
    pub fn max_size(&self) -> u64 {
        self.limits.recording_bytes.max(self.limits.document_bytes)
    }

    /// The most bytes an upload of `filetype` may hold (a length that is not known yet is
    /// bounded by this while the bytes arrive).
    fn limit_for(&self, filetype: &str) -> u64 {
        if rules::is_recording(filetype) {
            self.limits.recording_bytes
        } else {
            self.limits.document_bytes
        }
    }

    /// Creates an upload for `Upload-Length` bytes (`None`: deferred, a recording still going
    /// on) described by `Upload-Metadata`, after checking the candidate's link, the question,
    /// the take, the type and the size.
    pub async fn create(&self, length: Option<u64>, raw_metadata: &str) -> Result<UploadInfo, UploadError> {
        let meta = rules::parse_metadata(raw_metadata)?;
        let Some(inv) = invitations::find_by_token_hash(&self.db, &tokens::hash(&meta.token)).await? else {
            return Err(UploadError::NotFound);
        };
        let now = self.clock.now();
        check_live(&inv.state, inv.expires_at, now)?;
        let org = OrgId::parse(&inv.org_id).map_err(internal)?;
        let inv_id = InvitationId::parse(&inv.id).map_err(internal)?;
        let vid = TemplateVersionId::parse(&inv.template_version_id).map_err(internal)?;
        let version = templates::version(&self.db, &org, &vid)
            .await?
            .ok_or_else(|| internal("invitation without its template version"))?;
        let spec = parse_spec(&version.spec).map_err(internal)?;
        let question = spec
            .questions
            .iter()
            .find(|q| q.id == meta.question)
            .ok_or_else(|| UploadError::BadRequest(format!("there is no question '{}' here", meta.question)))?;
        rules::check_take(question, meta.take)?;
        let filetype = rules::accepted(question, &meta.filetype)?;
        if question.kind == QuestionKind::Video && !spec.allow_audio_only && !filetype.is_video() {
            return Err(UploadError::UnsupportedType(
                "This interview asks for video answers; audio-only recordings are not accepted.".into(),
            ));
        }
        let limit = match question.kind {
            QuestionKind::FileUpload => self.limits.document_bytes,
            _ => self.limits.recording_bytes,
        };
        if length == Some(0) {
            return Err(UploadError::BadRequest("the file is empty".into()));
        }
        if length.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        let id = new_upload_id();
        // A key of its own per upload: an upload that is refused at the end (its take was
        // submitted meanwhile) or loses a race never writes over a submitted take's bytes.
        let media_key = format!(
            "orgs/{}/answers/{}/{}/take-{}.{}.{}",
            org.as_str(),
            inv_id.as_str(),
            question.id,
            meta.take,
            id.trim_start_matches("upl_"),
            filetype.ext
        );
        let expires_at = now + self.limits.expire_after;
        let stored_meta = meta.stored(filetype);
        let mut tx = self.db.begin().await?;
        if store::count_for_invitation(&mut tx, &inv_id).await? >= self.limits.per_invitation {
            return Err(UploadError::TooMany);
        }
        accept::check_open(&mut tx, &org, &inv_id, question, meta.take).await?;
        let replaced = store::supersede(&mut tx, &inv_id, &question.id, meta.take, now).await?;
        let row = NewUpload {
            id: &id,
            org_id: &org,
            invitation_id: &inv_id,
            question_id: &question.id,
            take: meta.take,
            filetype: filetype.mime,
            filename: meta.filename.as_deref(),
            length: match length {
                Some(n) => i64::try_from(n).map_err(internal)?,
                None => store::DEFERRED_LENGTH,
            },
            metadata: &stored_meta,
            media_key: &media_key,
            now,
            expires_at,
        };
        store::insert(&mut tx, &row).await?;
        shortlist_store::jobs::enqueue(&mut tx, &expiry::timer(&org, &id, expires_at)).await?;
        tx.commit().await?;
        for old in replaced {
            self.discard_staging(&old).await;
        }
        Ok(UploadInfo {
            id,
            offset: 0,
            length,
            metadata: stored_meta,
            expires_at: Some(expires_at),
            complete: false,
        })
    }

    /// The upload as the holder of `token` may see it (anyone else: not found).
    async fn authorised(&self, id: &str, token: &str) -> Result<UploadRow, UploadError> {
        let row = store::get(&self.db, id).await?.ok_or(UploadError::NotFound)?;
        if !tokens::equal(&row.token_hash, &tokens::hash(token)) || row.state == "terminated" {
            return Err(UploadError::NotFound);
        }
        if row.state == "uploading" && self.clock.now() >= row.expires_at {
            return Err(UploadError::Gone(
                "This upload has expired. Start the upload again.".into(),
            ));
        }
        Ok(row)
    }

    /// HEAD: how many bytes are stored.
    pub async fn head(&self, id: &str, token: &str) -> Result<UploadInfo, UploadError> {
        Ok(UploadInfo::of(&self.authorised(id, token).await?))
    }

    /// DELETE (termination): the upload and its staged bytes are dropped.
    pub async fn terminate(&self, id: &str, token: &str) -> Result<(), UploadError> {
        let row = self.authorised(id, token).await?;
        if row.state == "complete" {
            return Err(UploadError::Gone(
                "This upload is complete and can no longer be removed.".into(),
            ));
        }
        if !store::terminate(&self.db, id, self.clock.now()).await? {
            return Err(UploadError::NotFound);
        }
        self.discard_staging(id).await;
        Ok(())
    }

    /// Every stored take of an invitation (which answers arrived, and when).
    pub async fn takes_for(&self, org: &OrgId, inv: &InvitationId) -> Result<Vec<TakeRow>, UploadError> {
        Ok(store::takes_for(&self.db, org, inv).await?)
    }

    /// Best effort: what is left behind is only unreferenced staging data.
    async fn discard_staging(&self, id: &str) {
        if let Err(e) = self.media.remove_prefix(&staging_prefix(id)).await {
            tracing::warn!(upload = id, error = %e, "staged parts not removed");
        }
        if let Err(e) = store::delete_parts(&self.db, id).await {
            tracing::warn!(upload = id, error = %e, "part rows not removed");
        }
    }
}

/// An interview the candidate may still answer.
fn check_live(state: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), UploadError> {
    if !LIVE.contains(&state) {
        return Err(UploadError::Gone(format!(
            "This interview is {state}: no more answers can be uploaded."
        )));
    }
    if now >= expires_at {
        return Err(UploadError::Gone(
            "This interview link has expired: no more answers can be uploaded.".into(),
        ));
    }
    Ok(())
}

/// 192 random bits: knowing an upload's URL must not be guessable (the token is checked too).
fn new_upload_id() -> String {
    let mut buf = [0u8; 24];
    rand::rng().fill_bytes(&mut buf);
    let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    format!("upl_{hex}")
}
