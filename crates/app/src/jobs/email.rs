//! E-mail sent by a job. Every attempt of one job sends with the same Message-ID (derived from
//! the job, not the attempt), and the job's row carries a mark around the SMTP call: `sending`
//! before it, `sent` with the recorded effect. A retry after a crash reads the mark and knows
//! whether it sends for the first time, sends again (same Message-ID, so receiving servers and
//! mail programs can drop the copy; counted in `shortlist_email_resends_total`), or has nothing
//! left to send.

use super::{JobError, JobInput};
use crate::mailer::{Mailer, OutgoingEmail};
use shortlist_store::Db;
use shortlist_store::jobs::{self, MailMark};

/// The Message-ID's local part for a job's e-mail: the same on every attempt.
pub fn message_key(job: &JobInput) -> String {
    job.id.clone()
}

/// What to do about a job's e-mail on this attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Send it (for the first time, or again after an attempt that died mid-send).
    Send,
    /// An earlier attempt sent it and recorded that; only the job's outcome was missing.
    AlreadySent,
}

/// Marks the job's e-mail as being sent, just before the SMTP call.
pub async fn begin(db: &Db, job: &JobInput) -> Result<Attempt, JobError> {
    let mark = jobs::mark_mail_sending(db, &job.id).await.map_err(JobError::retry)?;
    Ok(match mark {
        MailMark::None => Attempt::Send,
        MailMark::Sending => {
            metrics::counter!("shortlist_email_resends_total", "kind" => job.kind.clone()).increment(1);
            tracing::info!(job = %job.id, attempt = job.attempt, "an earlier attempt may have sent this e-mail; sending again with the same Message-ID");
            Attempt::Send
        }
        MailMark::Sent => {
            tracing::info!(job = %job.id, attempt = job.attempt, "e-mail already sent by an earlier attempt");
            Attempt::AlreadySent
        }
    })
}

/// The SMTP server refused or was not reached: nothing went out, so the next attempt is not a
/// re-send. A failure to clear the mark only costs a wrong count.
pub async fn send_failed(db: &Db, job: &JobInput) {
    if let Err(e) = jobs::clear_mail_mark(db, &job.id).await {
        tracing::warn!(job = %job.id, error = %e, "could not clear the e-mail mark");
    }
}

/// Sends a job's e-mail at most once as far as the database can tell, for senders that record
/// nothing else: marked before the SMTP call, marked sent right after it.
pub async fn send_once(
    db: &Db,
    mailer: &dyn Mailer,
    job: &JobInput,
    mail: &OutgoingEmail,
    unsubscribe_url: Option<&str>,
) -> Result<(), JobError> {
    if begin(db, job).await? == Attempt::AlreadySent {
        return Ok(());
    }
    let sent = match unsubscribe_url {
        Some(url) => mailer.send_with_unsubscribe(mail, url).await,
        None => mailer.send(mail).await,
    };
    match sent {
        Ok(()) => {
            // If this fails the job's outcome most likely cannot be written either; a retry
            // then re-sends with the same Message-ID.
            if let Err(e) = jobs::mark_mail_sent_now(db, &job.id).await {
                tracing::warn!(job = %job.id, error = %e, "could not mark the e-mail sent");
            }
            Ok(())
        }
        Err(e) => {
            send_failed(db, job).await;
            Err(e.into())
        }
    }
}
