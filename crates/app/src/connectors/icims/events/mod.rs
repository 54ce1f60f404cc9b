//! Inbound iCIMS events: a workflow status change at a trigger status invites the candidate
//! (package from the job's `assessmenttype`, or the template a recruiter picked for the job); an
//! Application Complete event sends the candidate straight into the interview. The person and the
//! job are read from iCIMS; the order (position, template link, candidate, invitation, e-mail and
//! timers) is one transaction ([`crate::connectors::Shared::place`]), so the reply goes out well
//! inside iCIMS's time-out.

mod invite;
mod parse;
mod reply;

pub use parse::Event;
pub use reply::{EventError, Reply};

use super::{Connection, Icims};
use crate::AppError;
use crate::connectors::{Connector, Order, Package, Placed};
use invite::{check_email, last_segment, order_error};
use reply::{bad, duplicate, from_icims};
use shortlist_domain::{InvitationId, OrgId, PositionId};

/// How an event should be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Trigger { resend: bool },
    ApplicationComplete,
}

impl Icims {
    /// Handles one authenticated event of `conn`.
    pub async fn handle_event(&self, conn: &Connection, ev: &Event) -> Result<Reply, EventError> {
        let kind = if ev.is_application_complete() {
            Kind::ApplicationComplete
        } else {
            let status = ev.new_status.as_deref().unwrap_or_default();
            if conn.is_resend(status) {
                Kind::Trigger { resend: true }
            } else if conn.is_trigger(status) {
                Kind::Trigger { resend: false }
            } else {
                // Other statuses (hired, rejected, …) arrive on the same feed: not ours.
                return Ok(Reply::Ok);
            }
        };
        let workflow = ev.system_id.clone().ok_or_else(|| {
            bad(
                "The event names no applicant workflow ({{applicantworkflow.systemid}}).",
                "systemId is missing",
            )
        })?;
        let person_ref = ev
            .link("person")
            .map(str::to_string)
            .or_else(|| ev.person_id.as_ref().map(|p| format!("people/{p}")))
            .or_else(|| match kind {
                Kind::ApplicationComplete => ev.user_id.as_ref().map(|p| format!("people/{p}")),
                Kind::Trigger { .. } => None,
            })
            .ok_or_else(|| {
                bad(
                    "The event names no candidate ({{person.systemid}}).",
                    "no person link or personId",
                )
            })?;
        let job_ref = ev
            .link("job")
            .map(str::to_string)
            .or_else(|| ev.job_id.as_ref().map(|j| format!("jobs/{j}")))
            .ok_or_else(|| bad("The event names no job ({{job.systemid}}).", "no job link or jobId"))?;
        let client = self.client(conn)?;
        let (person, job) = tokio::join!(client.get_person(&person_ref), client.get_job(&job_ref));
        let person = person.map_err(|e| from_icims("person", e))?;
        let job = job.map_err(|e| from_icims("job", e))?;
        let person_id = last_segment(&person_ref);
        let job_id = last_segment(&job_ref);
        let email = check_email(&person)?;
        let title = job
            .jobtitle
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("iCIMS job {job_id}"));
        let package = job
            .assessmenttype
            .iter()
            .filter_map(|n| n.value.as_deref())
            .map(str::trim)
            .find(|v| !v.is_empty());
        let order = Order {
            job_id,
            job_title: title,
            ats_label: "iCIMS",
            person_id: Some(person_id.clone()),
            email,
            name: person.full_name(),
            phone: None,
            application_ref: workflow.clone(),
            package: package.map_or(Package::Linked, |p| Package::Key(p.to_string())),
            resend: kind == Kind::Trigger { resend: true },
            return_url: ev.return_url.clone().filter(|_| kind == Kind::ApplicationComplete),
            round: None,
        };
        let placed = self
            .shared
            .place(&conn.ats, &order, conn.ats.dedup_or(Connector::default_dedup(self)))
            .await
            .map_err(order_error)?;
        match (kind, placed) {
            (Kind::ApplicationComplete, Placed::NoPackage(_)) => Err(bad(
                "The job has no Video Interviewing Package ({{job.assessmenttype}}); choose one on the job.",
                "no assessmenttype and no template linked",
            )),
            (Kind::Trigger { .. }, Placed::NoPackage(pos)) => {
                Ok(Reply::SeeOther(self.pick_url(&pos, &workflow, &person_id)))
            }
            (Kind::ApplicationComplete, Placed::Created(v) | Placed::Resent(v)) => Ok(Reply::SeeOther(v.candidate_url)),
            (
                Kind::ApplicationComplete,
                Placed::Duplicate(existing) | Placed::Replayed(existing) | Placed::Reused(existing),
            ) => {
                // The candidate came back through the portal: same interview, latest return URL.
                if let Some(url) = ev
                    .return_url
                    .as_ref()
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                {
                    self.set_return_url(&conn.org_id, &existing.id, url).await?;
                }
                Ok(Reply::SeeOther(existing.candidate_url))
            }
            (Kind::Trigger { .. }, Placed::Duplicate(existing)) => Err(duplicate(&existing)),
            (Kind::Trigger { .. }, _) => Ok(Reply::Ok),
        }
    }

    async fn set_return_url(&self, org: &OrgId, id: &str, url: &str) -> Result<(), AppError> {
        let id = InvitationId::parse(id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let mut tx = self.db.begin().await?;
        shortlist_store::ats::set_return_url(&mut tx, org, &id, url).await?;
        tx.commit().await?;
        Ok(())
    }

    fn pick_url(&self, pos: &PositionId, workflow: &str, person: &str) -> String {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("workflow", workflow)
            .append_pair("person", person)
            .finish();
        format!("{}/connectors/icims/pick/{pos}?{q}", self.recruiting.links.public_url())
    }
}
