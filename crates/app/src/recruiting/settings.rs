//! Organisation settings for invitations (default expiry, reminder schedule) and the editable
//! invitation, reminder and resend e-mails.

use super::mail::{self, EmailTemplate};
use super::{Actor, Recruiting};
use crate::AppError;
use serde::{Deserialize, Serialize};
use shortlist_domain::Role;
use shortlist_store::settings::{self, OrgSettingsRow};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrgSettings {
    /// Days an invitation stays valid unless the template or the request says otherwise.
    pub default_expiry_days: i32,
    /// Hours before expiry at which unfinished candidates are reminded, latest first.
    pub reminder_hours: Vec<u32>,
}

pub const MAX_REMINDERS: usize = 5;
pub const MAX_REMINDER_HOURS: u32 = 24 * 365;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EmailTemplateView {
    pub kind: String,
    #[serde(flatten)]
    pub template: EmailTemplate,
    /// The organisation wrote its own; `false` means the built-in wording is used.
    pub customised: bool,
    pub placeholders: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn from_row(row: OrgSettingsRow) -> OrgSettings {
    let mut hours: Vec<u32> = row
        .reminder_hours
        .split(',')
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hours.sort_unstable_by(|a, b| b.cmp(a));
    OrgSettings {
        default_expiry_days: row.default_expiry_days,
        reminder_hours: hours,
    }
}

fn check(s: &OrgSettings) -> Result<OrgSettingsRow, AppError> {
    if !(1..=365).contains(&s.default_expiry_days) {
        return Err(AppError::field("default_expiry_days", "between 1 and 365"));
    }
    if s.reminder_hours.len() > MAX_REMINDERS {
        return Err(AppError::field(
            "reminder_hours",
            format!("at most {MAX_REMINDERS} reminders"),
        ));
    }
    for (i, h) in s.reminder_hours.iter().enumerate() {
        if !(1..=MAX_REMINDER_HOURS).contains(h) {
            return Err(AppError::field(
                &format!("reminder_hours[{i}]"),
                format!("hours before expiry, between 1 and {MAX_REMINDER_HOURS}"),
            ));
        }
    }
    let mut hours = s.reminder_hours.clone();
    hours.sort_unstable_by(|a, b| b.cmp(a));
    hours.dedup();
    Ok(OrgSettingsRow {
        default_expiry_days: s.default_expiry_days,
        reminder_hours: hours.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
    })
}

fn check_kind(kind: &str) -> Result<(), AppError> {
    if mail::KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

impl Recruiting {
    pub async fn org_settings(&self, who: &Actor) -> Result<OrgSettings, AppError> {
        Ok(from_row(settings::get(&self.db, &who.org_id).await?))
    }

    /// Admins only. Applies to invitations created (or extended) from now on.
    pub async fn update_org_settings(&self, who: &Actor, s: &OrgSettings) -> Result<OrgSettings, AppError> {
        if who.role != Role::Admin {
            return Err(AppError::Forbidden(
                "only administrators change the organisation's settings".into(),
            ));
        }
        let row = check(s)?;
        settings::put(&self.db, &who.org_id, &row).await?;
        self.org_settings(who).await
    }

    /// The organisation's wording for `kind` (invitation, reminder, resend), or the built-in one.
    pub async fn email_template(&self, who: &Actor, kind: &str) -> Result<EmailTemplateView, AppError> {
        check_kind(kind)?;
        let own = settings::email_template(&self.db, &who.org_id, kind).await?;
        let customised = own.is_some();
        let (template, updated_at) = match own {
            Some(r) => (
                EmailTemplate {
                    subject: r.subject,
                    text_body: r.text_body,
                    html_body: r.html_body,
                },
                Some(r.updated_at),
            ),
            None => (mail::default_template(kind), None),
        };
        Ok(EmailTemplateView {
            kind: kind.to_string(),
            template,
            customised,
            placeholders: mail::PLACEHOLDERS.to_vec(),
            updated_at,
        })
    }

    pub async fn put_email_template(
        &self,
        who: &Actor,
        kind: &str,
        t: &EmailTemplate,
    ) -> Result<EmailTemplateView, AppError> {
        who.require_admin("the e-mail templates")?;
        check_kind(kind)?;
        mail::validate(t)?;
        settings::put_email_template(&self.db, &who.org_id, kind, &t.subject, &t.text_body, &t.html_body).await?;
        self.email_template(who, kind).await
    }

    /// Back to the built-in wording.
    pub async fn reset_email_template(&self, who: &Actor, kind: &str) -> Result<EmailTemplateView, AppError> {
        who.require_admin("the e-mail templates")?;
        check_kind(kind)?;
        settings::reset_email_template(&self.db, &who.org_id, kind).await?;
        self.email_template(who, kind).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminder_hours_are_checked_sorted_and_deduplicated() {
        let ok = OrgSettings {
            default_expiry_days: 7,
            reminder_hours: vec![24, 48, 24],
        };
        assert_eq!(check(&ok).unwrap().reminder_hours, "48,24");
        assert_eq!(from_row(check(&ok).unwrap()).reminder_hours, vec![48, 24]);
        let bad = OrgSettings {
            default_expiry_days: 0,
            reminder_hours: vec![],
        };
        assert!(matches!(check(&bad), Err(AppError::Validation { .. })));
        let bad = OrgSettings {
            default_expiry_days: 7,
            reminder_hours: vec![0],
        };
        let Err(AppError::Validation { fields }) = check(&bad) else {
            panic!()
        };
        assert_eq!(fields[0].field, "reminder_hours[0]");
    }
}
