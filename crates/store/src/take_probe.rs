//! Duration and poster of a take, written by the `media.probe` job (see `answer_takes`).

use crate::{Db, on_db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TakeProbe {
    pub media_key: String,
    pub duration_ms: Option<i64>,
    pub poster_key: Option<String>,
}

/// The take's key and what is known of it, or None when the take does not exist.
pub async fn get(db: &Db, org: &str, inv: &str, question: &str, take: i32) -> Result<Option<TakeProbe>, sqlx::Error> {
    let sql = "SELECT media_key, duration_ms, poster_key FROM answer_takes \
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
    duration_ms: Option<i64>,
    poster_key: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE answer_takes SET duration_ms = $5, poster_key = $6 \
               WHERE invitation_id = $1 AND question_id = $2 AND take = $3 AND media_key = $4";
    let n = on_db!(db, p => sqlx::query(sql).bind(inv).bind(question).bind(take).bind(media_key)
        .bind(duration_ms).bind(poster_key).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
