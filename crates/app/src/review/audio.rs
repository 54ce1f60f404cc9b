//! What an anonymised share link plays of a recorded take. The original video shows the
//! candidate's face, so such a link only ever hands out the audio-only copy the media probe
//! made (or the original of an answer recorded as sound only). A take without a copy yet asks
//! the probe for one, once per stored object: takes recorded before copies existed get theirs
//! the first time an anonymised link shows them.

use super::{Review, Viewer};
use crate::AppError;
use crate::recruiting::media::MediaFile;
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::take_probe::{self, AudioState};
use shortlist_store::uploads::TakeRow;

/// The type of every audio-only copy (WebM holding the take's Opus sound).
pub const AUDIO_COPY_TYPE: &str = "audio/webm";

/// Whether and what a viewer can play of a take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playable {
    /// This stored object.
    File(MediaFile),
    /// Nothing yet: the audio-only copy is being made.
    Pending,
    /// Nothing: this installation has no ffmpeg to make audio-only copies.
    NoTool,
    /// Nothing: the take has no sound track that could be extracted.
    NoAudio,
}

impl Playable {
    /// Why nothing plays, in words for the page; None when something does.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Playable::File(_) => None,
            Playable::Pending => {
                Some("The audio-only copy of this video answer is not available yet. Reload the page in a minute.")
            }
            Playable::NoTool => Some(
                "This installation cannot produce audio-only copies (ffmpeg is not installed), so this video answer cannot be played in anonymised mode.",
            ),
            Playable::NoAudio => Some("This video answer has no sound that could be played in anonymised mode."),
        }
    }
}

impl Review {
    /// What `viewer` may play of a take it may see (checked by [`Review::take`]).
    pub async fn playable(
        &self,
        org: &OrgId,
        inv: &InvitationId,
        viewer: &Viewer,
        question: &str,
        take: i32,
    ) -> Result<Playable, AppError> {
        let row = self.take(org, inv, viewer, question, take).await?;
        self.playable_row(org, viewer, &row).await
    }

    /// As [`Review::playable`] for a take already checked.
    pub async fn playable_row(&self, org: &OrgId, viewer: &Viewer, row: &TakeRow) -> Result<Playable, AppError> {
        let original = || {
            Playable::File(MediaFile {
                key: row.media_key.clone(),
                content_type: row.content_type.clone(),
            })
        };
        // Sound only as recorded (an audio answer) is what anonymised mode plays anyway.
        if !viewer.anonymised() || row.content_type.trim_start().starts_with("audio/") {
            return Ok(original());
        }
        if !row.content_type.trim_start().starts_with("video/") {
            return Ok(Playable::NoAudio); // not a recording; the probe makes no copy of it
        }
        let probe = take_probe::get(self.db(), org.as_str(), &row.invitation_id, &row.question_id, row.take)
            .await?
            .filter(|p| p.media_key == row.media_key)
            .ok_or(AppError::NotFound)?;
        let state = probe.audio_state.as_deref().and_then(AudioState::parse);
        Ok(match (state, &probe.audio_key) {
            (Some(AudioState::Ready), Some(key)) => Playable::File(MediaFile {
                key: key.clone(),
                content_type: AUDIO_COPY_TYPE.into(),
            }),
            (Some(AudioState::NoTool), _) => Playable::NoTool,
            (Some(AudioState::NoAudio), _) => Playable::NoAudio,
            _ => {
                let job =
                    crate::uploads::audio_backfill_job(org, &probe, &row.invitation_id, &row.question_id, row.take);
                shortlist_store::jobs::enqueue_many(self.db(), &[job]).await?;
                Playable::Pending
            }
        })
    }
}
