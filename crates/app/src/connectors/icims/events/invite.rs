//! The pieces of an order from iCIMS: the candidate's e-mail check, the template a recruiter
//! picked for a job without a package (option B), and iCIMS's words for an order refused.

use super::reply::{EventError, bad, from_icims};
use crate::AppError;
use crate::connectors::icims::client::{IcimsClient, Person};
use crate::connectors::icims::{Icims, KIND};
use crate::connectors::{Connector, Order, OrderError, Package, Placed};
use crate::recruiting::Actor;
use crate::recruiting::invitations::InviteOutcome;
use shortlist_domain::{PositionId, TemplateId};
use shortlist_store::{positions, templates};

impl Icims {
    /// Option B, after the recruiter picked a template for the job: link it and invite the
    /// candidate whose event asked, in one transaction. Later candidates on the job use it
    /// without asking.
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
        let position = positions::get(&self.db, &who.org_id, pos)
            .await?
            .ok_or(AppError::NotFound)?;
        let job_id = positions::external_refs(&self.db, &who.org_id, "position", pos.as_str())
            .await?
            .into_iter()
            .find(|r| r.ats_kind == KIND && r.connection_id == conn.id.as_str())
            .map(|r| r.external_id)
            .ok_or(AppError::NotFound)?;
        templates::get(&self.db, &who.org_id, template)
            .await?
            .ok_or(AppError::NotFound)?;
        let client: IcimsClient = self.client(&conn)?;
        let person = client
            .get_person(&format!("people/{person_id}"))
            .await
            .map_err(|e| from_icims("person", e))?;
        let order = Order {
            job_id,
            job_title: position.title,
            ats_label: "iCIMS",
            person_id: Some(person_id.to_string()),
            email: check_email(&person)?,
            name: person.full_name(),
            phone: None,
            application_ref: workflow.to_string(),
            package: Package::Template(template.clone()),
            resend: false,
            return_url: None,
            round: None,
        };
        let placed = self
            .shared
            .place(&conn.ats, &order, conn.ats.dedup_or(Connector::default_dedup(self)))
            .await
            .map_err(order_error)?;
        Ok(match placed {
            Placed::Created(invitation) => InviteOutcome::Created {
                invitation,
                prior: vec![],
            },
            Placed::Resent(invitation) => InviteOutcome::Resent {
                invitation,
                prior: vec![],
            },
            Placed::Duplicate(existing) | Placed::Replayed(existing) | Placed::Reused(existing) => {
                InviteOutcome::Duplicate { existing }
            }
            Placed::NoPackage(_) => {
                return Err(EventError::Internal(anyhow::anyhow!("a picked template was not used")));
            }
        })
    }
}

/// An order that could not be placed, in words the recruiter sees in iCIMS.
pub(super) fn order_error(e: OrderError) -> EventError {
    match e {
        OrderError::UnknownPackage(label) => bad(
            format!(
                "The Video Interviewing Package \"{label}\" on the job ({{{{job.assessmenttype}}}}) is not a Shortlist template key. Choose one of the packages your Shortlist administrator loaded into iCIMS."
            ),
            format!("no template with key {label}"),
        ),
        OrderError::ArchivedPackage(label) => bad(
            format!("The Video Interviewing Package \"{label}\" is archived in Shortlist; choose another on the job."),
            "template archived",
        ),
        OrderError::App(e) => e.into(),
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

/// The person's e-mail address, or the error naming the iCIMS field to fix.
pub(super) fn check_email(p: &Person) -> Result<String, EventError> {
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
        Some(e) => Ok(e.to_string()),
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
