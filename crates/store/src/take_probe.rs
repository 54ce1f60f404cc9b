//! Duration, poster and audio-only copy of a take, written by the `media.probe` job (see
//! `answer_takes`).

use crate::{Db, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TakeProbe {
    pub media_key: String,
    pub content_type: String,
    pub duration_ms: Option<i64>,
    pub poster_key: Option<String>,
    /// The audio-only copy (see [`AudioState`]).
    pub audio_key: Option<String>,
    pub audio_state: Option<String>,
}

/// How far the audio-only copy of a take got (`answer_takes.audio_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioState {
    /// `audio_key` names the copy.
    Ready,
    /// ffmpeg is not installed where the probe ran.
    NoTool,
    /// The take has no sound track that could be extracted.
    NoAudio,
}

impl AudioState {
    pub fn as_str(self) -> &'static str {
        match self {
            AudioState::Ready => "ready",
            AudioState::NoTool => "no_tool",
            AudioState::NoAudio => "no_audio",
        }
    }

    pub fn parse(raw: &str) -> Option<AudioState> {
        [AudioState::Ready, AudioState::NoTool, AudioState::NoAudio]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// What the probe found, for [`record`].
#[derive(Debug, Clone, Default)]
pub struct Findings<'a> {
    pub duration_ms: Option<i64>,
    pub poster_key: Option<&'a str>,
    pub audio_key: Option<&'a str>,
    pub audio_state: Option<AudioState>,
}

/// The take's key and what is known of it, or None when the take does not exist.
pub async fn get(db: &Db, org: &str, inv: &str, question: &str, take: i32) -> Result<Option<TakeProbe>, sqlx::Error> {
    let sql = "SELECT media_key, content_type, duration_ms, poster_key, audio_key, audio_state FROM answer_takes \
               WHERE org_id = $1 AND invitation_id = $2 AND question_id = $3 AND take = $4";
    on_db!(db, p => sqlx::query_as(sql).bind(org).bind(inv).bind(question).bind(take).fetch_optional(p).await)
}

/// Records the probe's findings, only if the take still holds the probed object (a replacement
/// uploaded meanwhile gets its own probe). Returns whether a row was updated.
pub async fn record(
    db: &Db,
    inv: &str,
    question: &str,
    take: i32,
    media_key: &str,
    f: &Findings<'_>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE answer_takes SET duration_ms = $5, poster_key = $6, audio_key = $7, audio_state = $8 \
               WHERE invitation_id = $1 AND question_id = $2 AND take = $3 AND media_key = $4";
    let state = f.audio_state.map(AudioState::as_str);
    let n = on_db!(db, p => sqlx::query(sql).bind(inv).bind(question).bind(take).bind(media_key)
        .bind(f.duration_ms).bind(f.poster_key).bind(f.audio_key).bind(state).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
