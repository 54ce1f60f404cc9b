//! What an event is answered: a reply when it went well, or an error iCIMS shows the recruiter
//! (400), retries (503) or that we log (500); conversions from the errors met on the way.

use crate::AppError;
use crate::connectors::icims::client::IcimsError;
use crate::recruiting::invitations::InvitationView;

/// What we answer iCIMS when things went well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ok,
    /// 303: the pick page (option B) or the candidate's interview (Application Complete).
    SeeOther(String),
}

/// What we answer iCIMS when they did not; the web layer renders iCIMS's vendor error body.
#[derive(Debug)]
pub enum EventError {
    /// 400: shown to the recruiter.
    BadRequest { user: String, debug: String },
    /// 503: try later (iCIMS or our database briefly unavailable).
    Unavailable(String),
    /// 500: logged with the request id.
    Internal(anyhow::Error),
}

pub(super) fn bad(user: impl Into<String>, debug: impl Into<String>) -> EventError {
    EventError::BadRequest {
        user: user.into(),
        debug: debug.into(),
    }
}

/// Database trouble that passes: pool exhausted, busy/locked, serialization, shutting down.
fn is_temporary(e: &anyhow::Error) -> bool {
    if crate::faults::classify_anyhow(e) == Some(crate::faults::Fault::DatabaseUnavailable) {
        return true;
    }
    let Some(sql) = e.downcast_ref::<sqlx::Error>() else {
        return false;
    };
    match sql {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            let msg = d.message().to_ascii_lowercase();
            ["5", "6", "40001", "40P01", "57P03", "53300"].contains(&code.as_ref())
                || msg.contains("database is locked")
                || msg.contains("busy")
        }
        _ => false,
    }
}

impl From<AppError> for EventError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(e) if is_temporary(&e) => EventError::Unavailable(format!("{e:#}")),
            AppError::Internal(e) => EventError::Internal(e),
            AppError::Validation { fields } => {
                let text: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                bad(
                    format!("Shortlist could not invite the candidate: {}.", text.join("; ")),
                    text.join("; "),
                )
            }
            AppError::Conflict { code, message } => {
                bad(format!("Shortlist could not invite the candidate: {message}."), code)
            }
            other => EventError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<sqlx::Error> for EventError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

pub(super) fn from_icims(what: &str, e: IcimsError) -> EventError {
    match e {
        IcimsError::Retryable(m) => EventError::Unavailable(format!("reading the {what} from iCIMS: {m}")),
        IcimsError::Permanent { status, message } if status == 401 || status == 403 => EventError::Internal(
            anyhow::anyhow!("iCIMS refused our credentials reading the {what} ({status}): {message}"),
        ),
        IcimsError::Permanent { status, message } => bad(
            format!("Shortlist could not read the {what} from iCIMS: {message}"),
            format!("GET {what}: {status} {message}"),
        ),
    }
}

/// The approval test case: a duplicate says plainly that and when the candidate was invited.
pub(super) fn duplicate(existing: &InvitationView) -> EventError {
    let name = if existing.candidate.name.is_empty() {
        existing.candidate.email.clone()
    } else {
        existing.candidate.name.clone()
    };
    let when = existing
        .sent_at
        .unwrap_or(existing.created_at)
        .format("%Y-%m-%d %H:%M UTC");
    bad(
        format!(
            "{name} was already invited to the video interview for {} on {when} (status: {}). Nothing was sent again; to send the link again, use the resend status.",
            existing.position.title, existing.state
        ),
        format!("duplicate of invitation {}", existing.id),
    )
}
