//! Inbound iCIMS events: a workflow status change at a trigger status invites the candidate
//! (package from the job's `assessmenttype`, or the template a recruiter picked for the job); an
//! Application Complete event sends the candidate straight into the interview. The person and the
//! job are read from iCIMS; the invitation, its e-mail and timers are one transaction (the
//! Recruiting invite use case), so the reply goes out well inside iCIMS's time-out.

use super::client::{IcimsClient, IcimsError, Person};
use super::{Connection, Icims};
use crate::AppError;
use crate::recruiting::Actor;
use crate::recruiting::invitations::{InvitationView, InviteOutcome, InviteRequest};
use serde_json::Value;
use shortlist_domain::{InvitationId, OrgId, PositionId, Role, TemplateId};
use shortlist_store::positions::{self, ExternalRef};
use shortlist_store::templates;

pub const ATS_KIND: &str = "icims";

/// The fields we use from an event; everything else is ignored.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub customer_id: String,
    pub event_type: String,
    /// The applicant workflow id (person × job).
    pub system_id: Option<String>,
    pub job_id: Option<String>,
    pub person_id: Option<String>,
    pub user_id: Option<String>,
    pub new_status: Option<String>,
    pub return_url: Option<String>,
    /// (rel, url), from the body's `links` and the `Link` header.
    pub links: Vec<(String, String)>,
}

/// A field by name, any key case, string or number.
fn text(obj: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    let v = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)?;
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Event {
    /// Lenient: unknown fields are ignored, ids may be strings or numbers, keys in any case.
    pub fn parse(body: &[u8], link_header: Option<&str>) -> Result<Event, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let Value::Object(o) = v else {
            return Err("the body is not a JSON object".into());
        };
        let customer_id = text(&o, "customerId").ok_or("customerId is missing")?;
        let mut links = vec![];
        if let Some(Value::Array(items)) = o.iter().find(|(k, _)| k.eq_ignore_ascii_case("links")).map(|(_, v)| v) {
            for item in items {
                if let Value::Object(l) = item
                    && let (Some(rel), Some(url)) = (text(l, "rel"), text(l, "url"))
                {
                    links.push((rel, url));
                }
            }
        }
        links.extend(link_header.map(parse_link_header).unwrap_or_default());
        Ok(Event {
            customer_id,
            event_type: text(&o, "eventType").unwrap_or_default(),
            system_id: text(&o, "systemId"),
            job_id: text(&o, "jobId"),
            person_id: text(&o, "personId"),
            user_id: text(&o, "userId"),
            new_status: text(&o, "newStatus"),
            return_url: text(&o, "returnUrl"),
            links,
        })
    }

    pub fn link(&self, rel: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(rel))
            .map(|(_, u)| u.as_str())
    }

    fn is_application_complete(&self) -> bool {
        [
            "AssessmentEvent",
            "ApplicationCompletedEvent",
            "ApplicationCompleteEvent",
        ]
        .iter()
        .any(|t| self.event_type.eq_ignore_ascii_case(t))
    }
}

/// `url;rel="person";title="…", url;rel="job"…` as iCIMS sends it (URLs may be in `<>`).
fn parse_link_header(h: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut url: Option<String> = None;
    for piece in h.split([',', ';']).map(str::trim) {
        if let Some(rel) = piece.strip_prefix("rel=") {
            if let Some(u) = url.take() {
                out.push((rel.trim_matches('"').to_string(), u));
            }
        } else if piece.contains("://") {
            url = Some(piece.trim_matches(['<', '>']).to_string());
        }
    }
    out
}

/// What we answer iCIMS when things went well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ok,
    /// 303: the pick page (option B) or the candidate's interview (Application Complete).
    SeeOther(String),
}

/// What we answer iCIMS when they did not; the web layer renders iCIMS's vendor error body.
#[derive(Debug)]
pub enum EventError {
    /// 400: shown to the recruiter.
    BadRequest { user: String, debug: String },
    /// 503: try later (iCIMS or our database briefly unavailable).
    Unavailable(String),
    /// 500: logged with the request id.
    Internal(anyhow::Error),
}

fn bad(user: impl Into<String>, debug: impl Into<String>) -> EventError {
    EventError::BadRequest {
        user: user.into(),
        debug: debug.into(),
    }
}

/// Database trouble that passes: pool exhausted, busy/locked, serialization, shutting down.
fn is_temporary(e: &anyhow::Error) -> bool {
    let Some(sql) = e.downcast_ref::<sqlx::Error>() else {
        return false;
    };
    match sql {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            let msg = d.message().to_ascii_lowercase();
            ["5", "6", "40001", "40P01", "57P03", "53300"].contains(&code.as_ref())
                || msg.contains("database is locked")
                || msg.contains("busy")
        }
        _ => false,
    }
}

impl From<AppError> for EventError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Internal(e) if is_temporary(&e) => EventError::Unavailable(format!("{e:#}")),
            AppError::Internal(e) => EventError::Internal(e),
            AppError::Validation { fields } => {
                let text: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                bad(
                    format!("Shortlist could not invite the candidate: {}.", text.join("; ")),
                    text.join("; "),
                )
            }
            AppError::Conflict { code, message } => {
                bad(format!("Shortlist could not invite the candidate: {message}."), code)
            }
            other => EventError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<sqlx::Error> for EventError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

fn from_icims(what: &str, e: IcimsError) -> EventError {
    match e {
        IcimsError::Retryable(m) => EventError::Unavailable(format!("reading the {what} from iCIMS: {m}")),
        IcimsError::Permanent { status, message } if status == 401 || status == 403 => EventError::Internal(
            anyhow::anyhow!("iCIMS refused our credentials reading the {what} ({status}): {message}"),
        ),
        IcimsError::Permanent { status, message } => bad(
            format!("Shortlist could not read the {what} from iCIMS: {message}"),
            format!("GET {what}: {status} {message}"),
        ),
    }
}

/// How an event should be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Trigger { resend: bool },
    ApplicationComplete,
}

impl Icims {
    fn actor(&self, conn: &Connection) -> Actor {
        Actor {
            org_id: conn.org_id.clone(),
            user_id: Some(conn.observer_user_id.clone()),
            role: Role::Recruiter,
            label: format!("icims:{}", conn.id),
        }
    }

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
        check_email(&person)?;
        let _slot = self
            .db_slots
            .acquire()
            .await
            .map_err(|_| EventError::Unavailable("shutting down".into()))?;

        let title = job
            .jobtitle
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("iCIMS job {job_id}"));
        let pos = self.position_for_job(conn, &job_id, &title).await?;
        let package = job
            .assessmenttype
            .iter()
            .filter_map(|n| n.value.as_deref())
            .map(str::trim)
            .find(|v| !v.is_empty());
        let template = match package {
            Some(label) => Some(self.template_for_package(conn, &pos, label).await?),
            None => positions::linked_templates(&self.db, &conn.org_id, &pos)
                .await?
                .into_iter()
                .next(),
        };
        let Some(template) = template else {
            if kind == Kind::ApplicationComplete {
                return Err(bad(
                    "The job has no Video Interviewing Package ({{job.assessmenttype}}); choose one on the job.",
                    "no assessmenttype and no template linked",
                ));
            }
            return Ok(Reply::SeeOther(self.pick_url(&pos, &workflow, &person_id)));
        };
        let req = invite_request(
            &person,
            &person_id,
            &workflow,
            Some(template),
            kind == Kind::Trigger { resend: true },
            ev.return_url.clone().filter(|_| kind == Kind::ApplicationComplete),
        );
        let outcome = self
            .recruiting
            .invite(&self.actor(conn), &pos, &req)
            .await
            .map_err(EventError::from)?;
        match (kind, outcome) {
            (
                Kind::ApplicationComplete,
                InviteOutcome::Created { invitation, .. } | InviteOutcome::Resent { invitation, .. },
            ) => Ok(Reply::SeeOther(invitation.candidate_url)),
            (Kind::ApplicationComplete, InviteOutcome::Duplicate { existing }) => {
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
            (Kind::Trigger { .. }, InviteOutcome::Duplicate { existing }) => Err(duplicate(&existing)),
            (Kind::Trigger { .. }, _) => Ok(Reply::Ok),
        }
    }

    async fn set_return_url(&self, org: &OrgId, id: &str, url: &str) -> Result<(), AppError> {
        let id = InvitationId::parse(id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let mut tx = self.db.begin().await?;
        shortlist_store::icims::set_return_url(&mut tx, org, &id, url).await?;
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
    async fn template_for_package(
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

fn last_segment(url: &str) -> String {
    url.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn check_email(p: &Person) -> Result<(), EventError> {
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

fn invite_request(
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

/// The approval test case: a duplicate says plainly that and when the candidate was invited.
fn duplicate(existing: &InvitationView) -> EventError {
    let name = if existing.candidate.name.is_empty() {
        existing.candidate.email.clone()
    } else {
        existing.candidate.name.clone()
    };
    let when = existing
        .sent_at
        .unwrap_or(existing.created_at)
        .format("%Y-%m-%d %H:%M UTC");
    bad(
        format!(
            "{name} was already invited to the video interview for {} on {when} (status: {}). Nothing was sent again; to send the link again, use the resend status.",
            existing.position.title, existing.state
        ),
        format!("duplicate of invitation {}", existing.id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_leniently() {
        let body = br#"{"customerId":6269,"EVENTTYPE":"WorkFlowStatusChangeEvent","systemId":"13820","newStatus":"C38356",
            "extra":{"a":1},"links":[{"rel":"person","title":"Person Profile","url":"https://api.icims.com/customers/6269/people/11219"}]}"#;
        let e = Event::parse(
            body,
            Some("https://api.icims.com/customers/6269/jobs/2039;rel=\"job\";title=\"Job Profile\""),
        )
        .unwrap();
        assert_eq!(e.customer_id, "6269");
        assert_eq!(e.event_type, "WorkFlowStatusChangeEvent");
        assert_eq!(
            e.link("person"),
            Some("https://api.icims.com/customers/6269/people/11219")
        );
        assert_eq!(e.link("job"), Some("https://api.icims.com/customers/6269/jobs/2039"));
        assert!(Event::parse(b"{}", None).is_err());
        assert!(Event::parse(b"[1]", None).is_err());
    }

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
