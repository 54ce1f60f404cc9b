//! A candidate's progress through an interview (consent, device check, practice, language) and
//! the answers they submitted, one row per question or survey question.
//!
//! Media answers name a take; takes are rows of `answer_takes`, written by the upload server
//! when a file has been stored completely.

use crate::{Db, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use shortlist_domain::{InvitationId, OrgId};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ProgressRow {
    pub locale: Option<String>,
    pub consent_at: Option<DateTime<Utc>>,
    pub device_checked_at: Option<DateTime<Utc>>,
    pub practice_done_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

const PROGRESS: &str = "SELECT locale, consent_at, device_checked_at, practice_done_at, completed_at \
                        FROM interview_progress WHERE org_id = $1 AND invitation_id = $2";

/// The progress so far (all empty when the candidate has not done anything yet).
pub async fn progress(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<ProgressRow, sqlx::Error> {
    let row: Option<ProgressRow> =
        on_db!(db, p => sqlx::query_as(PROGRESS).bind(org.as_str()).bind(inv.as_str()).fetch_optional(p).await)?;
    Ok(row.unwrap_or_default())
}

pub async fn progress_tx(tx: &mut Tx, org: &OrgId, inv: &InvitationId) -> Result<ProgressRow, sqlx::Error> {
    let row: Option<ProgressRow> =
        on_tx!(tx, c => sqlx::query_as(PROGRESS).bind(org.as_str()).bind(inv.as_str()).fetch_optional(c).await)?;
    Ok(row.unwrap_or_default())
}

/// A moment in the interview, stamped once (the first time counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Consent,
    DeviceChecked,
    PracticeDone,
    Completed,
}

impl Mark {
    fn column(self) -> &'static str {
        match self {
            Mark::Consent => "consent_at",
            Mark::DeviceChecked => "device_checked_at",
            Mark::PracticeDone => "practice_done_at",
            Mark::Completed => "completed_at",
        }
    }
}

/// Stamps `mark` at `at` unless it was stamped before.
pub async fn mark(
    tx: &mut Tx,
    org: &OrgId,
    inv: &InvitationId,
    mark: Mark,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let col = mark.column();
    let sql = format!(
        "INSERT INTO interview_progress (invitation_id, org_id, {col}, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (invitation_id) DO UPDATE SET {col} = COALESCE(interview_progress.{col}, excluded.{col}), \
         updated_at = excluded.updated_at"
    );
    let at = crate::truncate_micros(at);
    on_tx!(tx, c => sqlx::query(&sql).bind(inv.as_str()).bind(org.as_str()).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Remembers the language the candidate chose.
pub async fn set_locale(db: &Db, org: &OrgId, inv: &InvitationId, locale: &str) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO interview_progress (invitation_id, org_id, locale, updated_at) VALUES ($1, $2, $3, $4) \
               ON CONFLICT (invitation_id) DO UPDATE SET locale = excluded.locale, updated_at = excluded.updated_at";
    on_db!(db, p => sqlx::query(sql).bind(inv.as_str()).bind(org.as_str()).bind(locale).bind(crate::now())
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerRow {
    pub item_id: String,
    pub section: String,
    pub kind: String,
    pub text_value: Option<String>,
    pub choice_ids: Option<String>,
    pub take: Option<i32>,
    pub correct: Option<bool>,
    pub skipped: bool,
    pub answered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct NewAnswer<'a> {
    pub item_id: &'a str,
    /// `question` or `survey`.
    pub section: &'a str,
    pub kind: &'a str,
    pub text_value: Option<&'a str>,
    /// A JSON array.
    pub choice_ids: Option<&'a str>,
    pub take: Option<i32>,
    pub correct: Option<bool>,
    pub skipped: bool,
}

/// Saves an answer; `Ok(false)` when the item was answered before (the first answer stands).
pub async fn insert_answer(
    tx: &mut Tx,
    org: &OrgId,
    inv: &InvitationId,
    a: &NewAnswer<'_>,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO interview_answers (org_id, invitation_id, item_id, section, kind, text_value, choice_ids, \
               take, correct, skipped, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
               ON CONFLICT (invitation_id, item_id) DO NOTHING";
    let n = on_tx!(tx, c => sqlx::query(sql).bind(org.as_str()).bind(inv.as_str()).bind(a.item_id).bind(a.section)
        .bind(a.kind).bind(a.text_value).bind(a.choice_ids).bind(a.take).bind(a.correct).bind(a.skipped)
        .bind(crate::truncate_micros(at)).execute(c).await?.rows_affected());
    Ok(n == 1)
}

const ANSWERS: &str = "SELECT item_id, section, kind, text_value, choice_ids, take, correct, skipped, answered_at \
                       FROM interview_answers WHERE org_id = $1 AND invitation_id = $2 ORDER BY answered_at, item_id";

pub async fn answers(db: &Db, org: &OrgId, inv: &InvitationId) -> Result<Vec<AnswerRow>, sqlx::Error> {
    on_db!(db, p => sqlx::query_as(ANSWERS).bind(org.as_str()).bind(inv.as_str()).fetch_all(p).await)
}

pub async fn answers_tx(tx: &mut Tx, org: &OrgId, inv: &InvitationId) -> Result<Vec<AnswerRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as(ANSWERS).bind(org.as_str()).bind(inv.as_str()).fetch_all(c).await)
}

/// A take the upload server stored completely.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TakeRow {
    pub take: i32,
    pub media_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_at: DateTime<Utc>,
}

const TAKES: &str = "SELECT take, media_key, content_type, size_bytes, uploaded_at FROM answer_takes \
                     WHERE org_id = $1 AND invitation_id = $2 AND question_id = $3 ORDER BY take";

/// The takes uploaded for one question, in take order.
pub async fn takes(db: &Db, org: &OrgId, inv: &InvitationId, question: &str) -> Result<Vec<TakeRow>, sqlx::Error> {
    on_db!(db, p => sqlx::query_as(TAKES).bind(org.as_str()).bind(inv.as_str()).bind(question).fetch_all(p).await)
}

pub async fn takes_tx(
    tx: &mut Tx,
    org: &OrgId,
    inv: &InvitationId,
    question: &str,
) -> Result<Vec<TakeRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as(TAKES).bind(org.as_str()).bind(inv.as_str()).bind(question).fetch_all(c).await)
}
