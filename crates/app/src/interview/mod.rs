//! The candidate's interview: who holds a link (the link is the key), where they are
//! ([`steps::next_step`]), their answers, and completion.

pub mod answers;
pub mod complete;
pub mod steps;

use crate::AppError;
use crate::recruiting::Recruiting;
use crate::recruiting::media::MediaFile;
use crate::recruiting::templates::parse_spec;
use shortlist_domain::template::TemplateSpec;
use shortlist_domain::{InvitationId, OrgId, PositionId, TemplateVersionId};
use shortlist_store::interviews::{self as store, AnswerRow, Mark, ProgressRow};
use shortlist_store::invitations::{self as inv, InvitationRow, NewEvent};
use shortlist_store::{MediaStore, media_objects, orgs, positions, templates};
use steps::Step;

/// The candidate-facing service. Cheap to clone.
#[derive(Clone)]
pub struct Interviews {
    pub recruiting: Recruiting,
    pub media: MediaStore,
}

/// Everything a candidate page needs about one open interview.
#[derive(Debug, Clone)]
pub struct Session {
    pub org: OrgId,
    pub id: InvitationId,
    pub row: InvitationRow,
    pub spec: TemplateSpec,
    pub company: String,
    pub progress: ProgressRow,
    pub answers: Vec<AnswerRow>,
}

impl Session {
    pub fn answer(&self, item: &str) -> Option<&AnswerRow> {
        self.answers.iter().find(|a| a.item_id == item)
    }

    pub fn completed(&self) -> bool {
        self.row.state == "completed"
    }

    /// Where the candidate continues.
    pub fn next_step(&self) -> Step {
        let answered: Vec<&str> = self.answers.iter().map(|a| a.item_id.as_str()).collect();
        steps::next_step(&self.spec, &self.progress, &answered, self.completed())
    }

    /// The language chosen by the candidate, else the template's.
    pub fn locale(&self) -> &str {
        self.progress.locale.as_deref().unwrap_or(&self.spec.locale)
    }
}

/// What a link leads to.
#[derive(Debug, Clone)]
pub enum Access {
    Open(Box<Session>),
    /// Expired or cancelled: say so, and whom to contact.
    Closed {
        reason: &'static str,
        company: String,
        contact: String,
        locale: String,
    },
    Unknown,
}

pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// The invitation is not in progress (not started yet, or already completed).
pub(crate) fn not_in_progress(state: &str) -> AppError {
    AppError::Conflict {
        code: "not_in_progress",
        message: format!("the interview is {state}"),
    }
}

impl Interviews {
    fn db(&self) -> &shortlist_store::Db {
        &self.recruiting.db
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.recruiting.clock.now()
    }

    /// Looks the link up. An invitation not yet opened becomes `opened` (with a history event).
    pub async fn access(&self, token: &str) -> Result<Access, AppError> {
        let db = self.db();
        let Some(mut row) = inv::find_by_token_hash(db, &crate::tokens::hash(token)).await? else {
            return Ok(Access::Unknown);
        };
        let org = OrgId::parse(&row.org_id).map_err(internal)?;
        let id = InvitationId::parse(&row.id).map_err(internal)?;
        let company = orgs::get(db, &org).await?.map(|o| o.name).unwrap_or_default();
        let vid = TemplateVersionId::parse(&row.template_version_id).map_err(internal)?;
        let version = templates::version(db, &org, &vid).await?.ok_or(AppError::NotFound)?;
        let spec = parse_spec(&version.spec)?;
        let progress = store::progress(db, &org, &id).await?;
        let now = self.now();
        let closed = match row.state.as_str() {
            "cancelled" => Some("cancelled"),
            "expired" => Some("expired"),
            _ if now >= row.expires_at && row.state != "completed" => Some("expired"),
            _ => None,
        };
        if let Some(reason) = closed {
            let pos = PositionId::parse(&row.position_id).map_err(internal)?;
            let contact = positions::get(db, &org, &pos)
                .await?
                .map(|p| format!("{} <{}>", p.owner_name, p.owner_email))
                .unwrap_or_default();
            let locale = progress.locale.clone().unwrap_or_else(|| spec.locale.clone());
            return Ok(Access::Closed {
                reason,
                company,
                contact,
                locale,
            });
        }
        if ["created", "sent", "failed"].contains(&row.state.as_str()) {
            // Only a record that the link was opened: on a full disk the page still shows (the
            // next visit records it).
            match self.mark_opened(&org, &id, &row.state, now).await {
                Ok(true) => row.state = "opened".into(),
                Ok(false) => {}
                Err(e) if e.fault() == Some(crate::faults::Fault::StorageFull) => {
                    tracing::warn!(invitation = id.as_str(), error = %e, "opening not recorded: storage is full");
                }
                Err(e) => return Err(e),
            }
        }
        let answers = store::answers(db, &org, &id).await?;
        Ok(Access::Open(Box::new(Session {
            org,
            id,
            row,
            spec,
            company,
            progress,
            answers,
        })))
    }

    /// created/sent/failed → opened, with its history event; `Ok(false)` if it moved meanwhile.
    async fn mark_opened(
        &self,
        org: &OrgId,
        id: &InvitationId,
        from: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, AppError> {
        let mut tx = self.db().begin().await?;
        let moved = inv::transition(&mut tx, org, id, &["created", "sent", "failed"], "opened", now).await?;
        if moved {
            let e = NewEvent {
                kind: "opened",
                from_state: Some(from),
                to_state: Some("opened"),
                actor: "candidate",
                detail: None,
                at: now,
            };
            inv::add_event(&mut tx, org, id, &e).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// Remembers the candidate's language choice.
    pub async fn set_locale(&self, s: &mut Session, locale: &str) -> Result<(), AppError> {
        store::set_locale(self.db(), &s.org, &s.id, locale).await?;
        s.progress.locale = Some(locale.to_string());
        Ok(())
    }

    /// Consent to the privacy notice starts the interview (opened → started), once.
    pub async fn consent(&self, s: &Session) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let row = inv::get_tx(&mut tx, &s.org, &s.id).await?.ok_or(AppError::NotFound)?;
        match row.state.as_str() {
            "started" => {}
            "created" | "sent" | "failed" | "opened" => {
                let from = ["created", "sent", "failed", "opened"];
                if !inv::transition(&mut tx, &s.org, &s.id, &from, "started", now).await? {
                    return Err(not_in_progress(&row.state));
                }
                let e = NewEvent {
                    kind: "started",
                    from_state: Some(&row.state),
                    to_state: Some("started"),
                    actor: "candidate",
                    detail: Some("consent given"),
                    at: now,
                };
                inv::add_event(&mut tx, &s.org, &s.id, &e).await?;
            }
            other => return Err(not_in_progress(other)),
        }
        store::mark(&mut tx, &s.org, &s.id, Mark::Consent, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The device check or the practice question is behind the candidate.
    pub async fn mark(&self, s: &Session, mark: Mark) -> Result<(), AppError> {
        if s.progress.consent_at.is_none() {
            return Err(not_in_progress(&s.row.state));
        }
        let mut tx = self.db().begin().await?;
        store::mark(&mut tx, &s.org, &s.id, mark, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A file of the invitation's template shown to the candidate: `logo`, `intro` or
    /// `document-N` (1-based). Only keys the template version names can be fetched.
    /// Where it is stored and its type: the caller streams it.
    pub async fn template_media(&self, s: &Session, kind: &str) -> Result<MediaFile, AppError> {
        let key = match kind {
            "logo" => s.spec.branding.logo_media_key.clone(),
            "intro" => s.spec.intro_video_media_key.clone(),
            _ => kind
                .strip_prefix("document-")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| s.spec.documents.get(i))
                .and_then(|d| d.media_key.clone()),
        }
        .ok_or(AppError::NotFound)?;
        let meta = media_objects::get(self.db(), &s.org, &key)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(MediaFile {
            key,
            content_type: meta.content_type,
        })
    }
}
