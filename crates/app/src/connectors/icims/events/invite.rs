//! What an invitation from iCIMS is made of: the position for the job, the template (the job's
//! package, or the one a recruiter picked), the candidate's e-mail check and the request itself.

use super::ATS_KIND;
use super::reply::{EventError, bad, from_icims};
use crate::AppError;
use crate::connectors::icims::client::{IcimsClient, Person};
use crate::connectors::icims::{Connection, Icims};
use crate::recruiting::Actor;
use crate::recruiting::invitations::{InviteOutcome, InviteRequest};
use shortlist_domain::{PositionId, TemplateId};
use shortlist_store::positions::{self, ExternalRef};
use shortlist_store::templates;

impl Icims {
    /// The position for an iCIMS job: found by the job id, or created with the job's title and
    /// the observer as owner. Concurrent first events race on the external ref's key; the loser
    /// rolls back its position and uses the winner's.
    pub async fn position_for_job(
        &self,
        conn: &Connection,
        job_id: &str,
        title: &str,
    ) -> Result<PositionId, EventError> {
        let org = &conn.org_id;
        let r = ExternalRef {
            ats_kind: ATS_KIND.into(),
            connection_id: String::new(),
            external_id: job_id.to_string(),
        };
        let parse = |s: String| PositionId::parse(&s).map_err(|e| EventError::Internal(anyhow::anyhow!("{e}")));
        if let Some(id) = positions::find_by_external(&self.db, org, "position", &r).await? {
            return parse(id);
        }
        let title: String = title.chars().take(200).collect();
        let mut tx = self.db.begin().await?;
        let id = positions::create(&mut tx, org, &title, &conn.observer_user_id).await?;
        if positions::add_external_ref(&mut tx, org, "position", id.as_str(), &r).await? {
            tx.commit().await?;
            return Ok(id);
        }
        drop(tx);
        match positions::find_by_external(&self.db, org, "position", &r).await? {
            Some(id) => parse(id),
            None => Err(EventError::Unavailable(
                "the position for this job is being created; try again".into(),
            )),
        }
    }

    /// Option A: the package label on the job is a template key; the template is linked to the
    /// job's position so the recruiter sees it there.
    pub(super) async fn template_for_package(
        &self,
        conn: &Connection,
        pos: &PositionId,
        label: &str,
    ) -> Result<String, EventError> {
        let org = &conn.org_id;
        let Some(t) = templates::find_by_key(&self.db, org, label).await? else {
            return Err(bad(
                format!(
                    "The Video Interviewing Package \"{label}\" on the job ({{{{job.assessmenttype}}}}) is not a Shortlist template key. Choose one of the packages your Shortlist administrator loaded into iCIMS."
                ),
                format!("no template with key {label}"),
            ));
        };
        if t.archived_at.is_some() {
            return Err(bad(
                format!(
                    "The Video Interviewing Package \"{label}\" is archived in Shortlist; choose another on the job."
                ),
                "template archived",
            ));
        }
        let linked = positions::linked_templates(&self.db, org, pos).await?;
        if !linked.contains(&t.id) {
            let tid = TemplateId::parse(&t.id).map_err(|e| EventError::Internal(anyhow::anyhow!("{e}")))?;
            let mut tx = self.db.begin().await?;
            positions::link_template(&mut tx, org, pos, &tid).await?;
            tx.commit().await?;
        }
        Ok(t.id)
    }

    /// Option B, after the recruiter picked a template for the job: link it and invite the
    /// candidate whose event asked. Later candidates on the job use it without asking.
    pub async fn pick_template(
        &self,
        who: &Actor,
        pos: &PositionId,
        template: &TemplateId,
        workflow: &str,
        person_id: &str,
    ) -> Result<InviteOutcome, EventError> {
        who.require_recruiter()?;
        let conn = self.connection_for_org(&who.org_id).await?.ok_or(AppError::NotFound)?;
        if !valid_id(workflow) || !valid_id(person_id) {
            return Err(bad(
                "The link is incomplete; move the candidate in iCIMS again.",
                "bad workflow or person",
            ));
        }
        positions::get(&self.db, &who.org_id, pos)
            .await?
            .ok_or(AppError::NotFound)?;
        let t = templates::get(&self.db, &who.org_id, template)
            .await?
            .ok_or(AppError::NotFound)?;
        let client: IcimsClient = self.client(&conn)?;
        let person = client
            .get_person(&format!("people/{person_id}"))
            .await
            .map_err(|e| from_icims("person", e))?;
        check_email(&person)?;
        let mut tx = self.db.begin().await?;
        positions::link_template(&mut tx, &who.org_id, pos, template).await?;
        tx.commit().await?;
        let req = invite_request(&person, person_id, workflow, Some(t.id), false, None);
        Ok(self.recruiting.invite(who, pos, &req).await?)
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

pub(super) fn last_segment(url: &str) -> String {
    url.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

pub(super) fn check_email(p: &Person) -> Result<(), EventError> {
    let who = match p.full_name() {
        n if n.is_empty() => "the candidate".to_string(),
        n => n,
    };
    match p.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => Err(bad(
            format!(
                "Shortlist cannot invite {who}: the person profile has no e-mail address ({{{{person.email}}}}). Add the e-mail address in iCIMS and move the candidate to the status again."
            ),
            "person.email is missing",
        )),
        Some(e) if shortlist_domain::Email::parse(e).is_err() => Err(bad(
            format!("Shortlist cannot invite {who}: the e-mail address ({{{{person.email}}}}) \"{e}\" is not valid."),
            "person.email is invalid",
        )),
        Some(_) => Ok(()),
    }
}

pub(super) fn invite_request(
    p: &Person,
    person_id: &str,
    workflow: &str,
    template: Option<String>,
    resend: bool,
    return_url: Option<String>,
) -> InviteRequest {
    let r = |id: &str| ExternalRef {
        ats_kind: ATS_KIND.into(),
        connection_id: String::new(),
        external_id: id.to_string(),
    };
    InviteRequest {
        email: p.email.clone().unwrap_or_default().trim().to_string(),
        name: p.full_name().chars().take(200).collect(),
        template_id: template,
        resend,
        candidate_external_refs: vec![r(person_id)],
        invitation_external_refs: vec![r(workflow)],
        return_url: return_url.filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        ..InviteRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_email_names_the_field() {
        let p = Person {
            firstname: Some("Ada".into()),
            lastname: Some("L".into()),
            email: None,
        };
        let Err(EventError::BadRequest { user, .. }) = check_email(&p) else {
            panic!()
        };
        assert!(user.contains("e-mail") && user.contains("{{person.email}}"), "{user}");
    }

    #[test]
    fn last_segment_is_the_id() {
        assert_eq!(last_segment("https://x/customers/1/people/42"), "42");
        assert_eq!(last_segment("people/42?fields=a"), "42");
    }
}
