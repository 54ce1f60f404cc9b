//! The recruiter's core: templates, positions, candidates and invitations.

pub mod bulk;
pub mod invitations;
pub mod invite;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod media_upload;
pub mod metadata;
pub mod positions;
pub mod search;
pub mod settings;
pub mod templates;

use crate::AppError;
use crate::accounts::CurrentUser;
use crate::clock::Clock;
use crate::links::LinkSigner;
use shortlist_domain::{OrgId, Role, UserId};
use shortlist_store::{Db, MediaStore};
use std::sync::Arc;

/// Who is acting, in which organisation. Web sessions, and later partner keys and ATS
/// connections, all become an `Actor`.
#[derive(Debug, Clone)]
pub struct Actor {
    pub org_id: OrgId,
    pub user_id: Option<UserId>,
    pub role: Role,
    /// Recorded in history: `usr_…`, later `partner:…` or `icims:…`.
    pub label: String,
}

impl Actor {
    pub fn user(u: &CurrentUser) -> Actor {
        Actor {
            org_id: u.org_id.clone(),
            user_id: Some(u.user_id.clone()),
            role: u.role,
            label: u.user_id.to_string(),
        }
    }

    /// Organisation-wide settings (expiry, reminders, e-mail wording) are for admins.
    pub fn require_admin(&self, what: &str) -> Result<(), AppError> {
        match self.role {
            Role::Admin => Ok(()),
            _ => Err(AppError::Forbidden(format!("only administrators change {what}"))),
        }
    }

    /// Templates, positions and invitations are changed by recruiters and admins only.
    pub fn require_recruiter(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin | Role::Recruiter => Ok(()),
            Role::Reviewer => Err(AppError::Forbidden(
                "reviewers cannot change templates, positions or invitations".into(),
            )),
        }
    }
}

/// What the recruiting services share.
#[derive(Clone)]
pub struct Recruiting {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub links: LinkSigner,
    /// Uploaded template media (logos, videos, documents).
    pub media: MediaStore,
}

pub(crate) fn violations(v: Vec<shortlist_domain::template::Violation>) -> AppError {
    AppError::Validation {
        fields: v
            .into_iter()
            .map(|v| crate::error::FieldError {
                field: v.field,
                message: v.message,
            })
            .collect(),
    }
}

pub(crate) fn not_found<T>(v: Option<T>) -> Result<T, AppError> {
    v.ok_or(AppError::NotFound)
}

pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}
