//! Review: what happens after a candidate answered. Account users see the whole interview and
//! evaluate it ([`evaluate`]); people without an account get a read-only view through the
//! interview URL (if the organisation allows it) or a share link ([`share`]).
//!
//! Who is looking is a [`Viewer`]; every read goes through [`Review::interview`] with the
//! organisation, the questions to leave out and whether names are shown, so the three ways in
//! cannot drift apart.

pub mod audio;
pub mod board;
pub mod evaluate;
pub mod report;
pub mod share;
pub mod view;

use crate::AppError;
use crate::recruiting::media::MediaFile;
use crate::recruiting::{Actor, Recruiting};
use serde::{Deserialize, Serialize};
use shortlist_domain::{InvitationId, OrgId};
use shortlist_store::review::{self as store, ReviewSettingsRow};
use shortlist_store::uploads::TakeRow;

pub use view::InterviewView;

/// The review service. Cheap to clone.
#[derive(Clone)]
pub struct Review {
    pub recruiting: Recruiting,
}

/// Who may open the interview URL without an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkAccess {
    /// Nobody: the URL asks to sign in (the default).
    Off,
    /// Anyone holding the URL gets the read-only view.
    AnyoneWithLink,
    /// Only share links open interviews for people without an account.
    ShareLinksOnly,
}

impl LinkAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkAccess::Off => "off",
            LinkAccess::AnyoneWithLink => "anyone_with_link",
            LinkAccess::ShareLinksOnly => "share_links_only",
        }
    }

    pub fn parse(s: &str) -> Option<LinkAccess> {
        [LinkAccess::Off, LinkAccess::AnyoneWithLink, LinkAccess::ShareLinksOnly]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewSettings {
    pub link_access: LinkAccess,
    /// Others' ratings stay hidden until the reviewer submitted their own.
    pub hide_until_submitted: bool,
}

/// Who reads an interview and what they may see.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// A signed-in user of the organisation: everything, and evaluation.
    Member(Actor),
    /// The interview URL's key without an account: read-only.
    Key,
    /// A share link: read-only, maybe without some questions or the candidate's name.
    Share { hidden: Vec<String>, anonymised: bool },
}

impl Viewer {
    pub fn hidden(&self) -> &[String] {
        match self {
            Viewer::Share { hidden, .. } => hidden,
            _ => &[],
        }
    }

    pub fn anonymised(&self) -> bool {
        matches!(self, Viewer::Share { anonymised: true, .. })
    }
}

/// What the interview URL opened without an account leads to.
#[derive(Debug, Clone)]
pub enum KeyAccess {
    /// The organisation allows the read-only view: this is its id.
    Allowed(OrgId),
    /// The key is right but the organisation (this one) does not allow access without an
    /// account.
    Off(OrgId),
}

pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

impl Review {
    pub fn new(recruiting: Recruiting) -> Review {
        Review { recruiting }
    }

    fn db(&self) -> &shortlist_store::Db {
        &self.recruiting.db
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.recruiting.clock.now()
    }

    pub async fn settings(&self, org: &OrgId) -> Result<ReviewSettings, AppError> {
        let row = store::settings(self.db(), org).await?;
        Ok(ReviewSettings {
            link_access: LinkAccess::parse(&row.link_access).unwrap_or(LinkAccess::Off),
            hide_until_submitted: row.hide_until_submitted,
        })
    }

    /// Administrators decide who sees interviews without an account.
    pub async fn put_settings(&self, who: &Actor, s: &ReviewSettings) -> Result<ReviewSettings, AppError> {
        who.require_admin("review settings")?;
        let row = ReviewSettingsRow {
            link_access: s.link_access.as_str().into(),
            hide_until_submitted: s.hide_until_submitted,
        };
        store::put_settings(self.db(), &who.org_id, &row).await?;
        self.settings(&who.org_id).await
    }

    /// Checks the interview URL's key. A wrong key is `NotFound`, like an unknown invitation,
    /// so the URL gives nothing away.
    pub async fn key_access(&self, inv: &InvitationId, key: &str) -> Result<KeyAccess, AppError> {
        if !self.recruiting.links.review_key_matches(inv.as_str(), key) {
            return Err(AppError::NotFound);
        }
        let org = store::org_of_invitation(self.db(), inv)
            .await?
            .ok_or(AppError::NotFound)?;
        let org = OrgId::parse(&org).map_err(internal)?;
        Ok(match self.settings(&org).await?.link_access {
            LinkAccess::AnyoneWithLink => KeyAccess::Allowed(org),
            _ => KeyAccess::Off(org),
        })
    }

    /// The stored take a viewer may play: members any take, others only the submitted one of a
    /// question they may see (never a hidden question's).
    pub async fn take(
        &self,
        org: &OrgId,
        inv: &InvitationId,
        viewer: &Viewer,
        question: &str,
        take: i32,
    ) -> Result<TakeRow, AppError> {
        if viewer.hidden().iter().any(|h| h == question) {
            return Err(AppError::NotFound);
        }
        if !matches!(viewer, Viewer::Member(_)) {
            let answers = shortlist_store::interviews::answers(self.db(), org, inv).await?;
            let submitted = answers.iter().any(|a| a.item_id == question && a.take == Some(take));
            if !submitted {
                return Err(AppError::NotFound);
            }
            if viewer.anonymised() && view::is_file_question(self, org, inv, question).await? {
                // Uploaded files (a CV) usually carry the candidate's name.
                return Err(AppError::NotFound);
            }
        }
        shortlist_store::uploads::takes_for(self.db(), org, inv)
            .await?
            .into_iter()
            .find(|t| t.question_id == question && t.take == take)
            .ok_or(AppError::NotFound)
    }

    /// A template document (1-based) of the invitation's template: where it is stored and its
    /// type (the caller streams it).
    pub async fn document(&self, org: &OrgId, inv: &InvitationId, n: usize) -> Result<MediaFile, AppError> {
        let (_, spec) = view::load(self, org, inv).await?;
        let key = n
            .checked_sub(1)
            .and_then(|i| spec.documents.get(i))
            .and_then(|d| d.media_key.clone())
            .ok_or(AppError::NotFound)?;
        let meta = shortlist_store::media_objects::get(self.db(), org, &key)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(MediaFile {
            key,
            content_type: meta.content_type,
        })
    }
}
