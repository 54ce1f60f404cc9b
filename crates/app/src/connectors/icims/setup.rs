//! What the admin setup page shows beside the connection: the packages to load into iCIMS,
//! parked write-backs, today's request count; and the small changes it makes.

use super::{Icims, StatusValues};
use crate::AppError;
use shortlist_domain::{Email, OrgId, UserId};
use shortlist_store::ats_writeback::WritebackRow;

/// A template as iCIMS lists it: the label is the template key (what `assessmenttype` carries).
#[derive(Debug, Clone)]
pub struct Package {
    pub key: String,
    pub name: String,
}

impl Icims {
    /// Every active template of the organisation: the "Video Interviewing Packages".
    pub async fn packages(&self, org: &OrgId) -> Result<Vec<Package>, AppError> {
        Ok(shortlist_store::templates::list(&self.db, org, false)
            .await?
            .into_iter()
            .map(|t| Package {
                key: t.key,
                name: t.name,
            })
            .collect())
    }

    /// Write-backs iCIMS refused, waiting for a retry on request.
    pub async fn parked_writebacks(&self, org: &OrgId) -> Result<Vec<WritebackRow>, AppError> {
        Ok(shortlist_store::ats_writeback::parked(&self.db, Some(org)).await?)
    }

    /// Requests counted against the connection's daily budget on `day` (YYYY-MM-DD, UTC).
    pub async fn requests_on(&self, connection: &str, day: &str) -> Result<i64, AppError> {
        Ok(shortlist_store::ats_writeback::requests_on(&self.db, connection, day).await?)
    }

    /// The user of this organisation with that e-mail (the observer of a new connection).
    pub async fn org_user(&self, org: &OrgId, email: &str) -> Result<UserId, AppError> {
        let bad = || AppError::field("observer", "the e-mail of a user of this organisation");
        let email = Email::parse(email.trim()).map_err(|_| bad())?;
        let row = shortlist_store::users::find_by_email(&self.db, org, &email)
            .await?
            .ok_or_else(bad)?;
        UserId::parse(&row.id).map_err(|e| AppError::Internal(anyhow::anyhow!("user id: {}", e.0)))
    }

    /// Replaces the trigger statuses, the resend status and the list values written back as
    /// the assessment status, together.
    pub async fn set_workflow(
        &self,
        org: &OrgId,
        triggers: &[String],
        resend: Option<&str>,
        v: &StatusValues,
    ) -> Result<(), AppError> {
        if triggers.iter().any(|s| s.trim().is_empty()) {
            return Err(AppError::field("trigger_statuses", "status ids must not be blank"));
        }
        for (field, value) in [
            ("status_sent", &v.sent),
            ("status_in_progress", &v.in_progress),
            ("status_complete", &v.complete),
        ] {
            if value.trim().is_empty() {
                return Err(AppError::field(field, "the iCIMS list value (required)"));
            }
        }
        let resend = resend.filter(|s| !s.trim().is_empty());
        self.save_workflow(org, triggers, resend, v).await
    }
}
