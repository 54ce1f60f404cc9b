//! Creating, editing (with versions), exporting and importing templates.

use super::{Actor, Recruiting, internal, not_found, violations};
use crate::AppError;
use serde::Serialize;
use shortlist_domain::template::{TemplateExport, TemplateSpec};
use shortlist_domain::{Slug, TemplateId, TemplateVersionId};
use shortlist_store::templates::{self, TemplateRow};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub id: String,
    pub key: String,
    pub name: String,
    pub version: i32,
    pub version_id: String,
    pub archived: bool,
    pub can_invite: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub spec: TemplateSpec,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TemplateSummary {
    pub id: String,
    pub key: String,
    pub name: String,
    pub version: i32,
    pub archived: bool,
    pub can_invite: bool,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub(crate) fn parse_spec(raw: &str) -> Result<TemplateSpec, AppError> {
    serde_json::from_str(raw).map_err(|e| internal(format!("stored template unreadable: {e}")))
}

fn view(row: TemplateRow, spec: TemplateSpec) -> TemplateView {
    TemplateView {
        can_invite: spec.can_invite(),
        id: row.id,
        key: row.key,
        name: row.name,
        version: row.current_version,
        version_id: row.current_version_id,
        archived: row.archived_at.is_some(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        spec,
    }
}

fn check_key(key: &str) -> Result<Slug, AppError> {
    Slug::parse(key).map_err(|e| AppError::field("key", e.0))
}

impl Recruiting {
    /// The spec's own rules and the media it refers to (uploaded by this organisation, of a
    /// fitting type), every problem at once.
    async fn check_spec(&self, who: &Actor, spec: &TemplateSpec) -> Result<(), AppError> {
        let mut fields = match spec.validate().map_err(violations) {
            Err(AppError::Validation { fields }) => fields,
            _ => vec![],
        };
        fields.extend(self.media_problems(who, spec).await?);
        if fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation { fields })
        }
    }

    pub async fn create_template(&self, who: &Actor, key: &str, spec: TemplateSpec) -> Result<TemplateView, AppError> {
        who.require_recruiter()?;
        let key = check_key(key)?;
        self.check_spec(who, &spec).await?;
        let json = serde_json::to_string(&spec).map_err(internal)?;
        let mut tx = self.db.begin().await?;
        let created = templates::create(
            &mut tx,
            &who.org_id,
            key.as_str(),
            &spec.name,
            &json,
            who.user_id.as_ref(),
        )
        .await?;
        let Some((id, _)) = created else {
            return Err(AppError::Conflict {
                code: "template_key_taken",
                message: format!("a template with key '{key}' already exists"),
            });
        };
        tx.commit().await?;
        self.template(who, &id).await
    }

    pub async fn template(&self, who: &Actor, id: &TemplateId) -> Result<TemplateView, AppError> {
        let row = not_found(templates::get(&self.db, &who.org_id, id).await?)?;
        let vid = TemplateVersionId::parse(&row.current_version_id).map_err(internal)?;
        let version = not_found(templates::version(&self.db, &who.org_id, &vid).await?)?;
        Ok(view(row, parse_spec(&version.spec)?))
    }

    pub async fn template_by_key(&self, who: &Actor, key: &str) -> Result<TemplateView, AppError> {
        let row = not_found(templates::find_by_key(&self.db, &who.org_id, key).await?)?;
        let id = TemplateId::parse(&row.id).map_err(internal)?;
        self.template(who, &id).await
    }

    pub async fn templates(&self, who: &Actor, include_archived: bool) -> Result<Vec<TemplateRow>, AppError> {
        Ok(templates::list(&self.db, &who.org_id, include_archived).await?)
    }

    /// Saves new content: edits the current version in place while no invitation uses it,
    /// otherwise adds a version (invitations keep the version they were sent with).
    pub async fn update_template(
        &self,
        who: &Actor,
        id: &TemplateId,
        spec: TemplateSpec,
    ) -> Result<TemplateView, AppError> {
        who.require_recruiter()?;
        self.check_spec(who, &spec).await?;
        let json = serde_json::to_string(&spec).map_err(internal)?;
        let mut tx = self.db.begin().await?;
        not_found(templates::save(&mut tx, &who.org_id, id, &spec.name, &json, who.user_id.as_ref()).await?)?;
        tx.commit().await?;
        self.template(who, id).await
    }

    pub async fn archive_template(&self, who: &Actor, id: &TemplateId, archived: bool) -> Result<(), AppError> {
        who.require_recruiter()?;
        if !templates::set_archived(&self.db, &who.org_id, id, archived).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    pub async fn export_template(&self, who: &Actor, id: &TemplateId) -> Result<TemplateExport, AppError> {
        let t = self.template(who, id).await?;
        Ok(TemplateExport {
            shortlist_template: TemplateExport::FORMAT,
            key: t.key,
            spec: t.spec,
        })
    }

    /// Imports an exported file, under its own key or `key_override`.
    pub async fn import_template(
        &self,
        who: &Actor,
        file: TemplateExport,
        key_override: Option<&str>,
    ) -> Result<TemplateView, AppError> {
        if file.shortlist_template != TemplateExport::FORMAT {
            return Err(AppError::field(
                "shortlist_template",
                format!(
                    "this file has format {}, this server reads {}",
                    file.shortlist_template,
                    TemplateExport::FORMAT
                ),
            ));
        }
        self.create_template(who, key_override.unwrap_or(&file.key), file.spec)
            .await
    }
}
