//! What Workable asks of us: the tests and interview templates it may order, and an order.

use super::{KIND, Workable};
use crate::AppError;
use crate::connectors::{AtsConnection, CallError, Connector, Order, OrderError, Package, Placed};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shortlist_store::templates;

/// One entry of `tests` / `interview_templates`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListItem {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Candidate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub resume_url: Option<String>,
}

/// The body of `POST assessments` / `POST interviews`; optional here so a missing field gets a
/// named error. Ids may come as strings or numbers.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateOrder {
    pub test_id: Option<Value>,
    pub interview_template_id: Option<Value>,
    pub job_id: Option<Value>,
    pub job_shortcode: Option<String>,
    pub job_title: Option<String>,
    pub callback_url: Option<String>,
    pub candidate: Option<Candidate>,
}

fn id_of(v: &Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Workable {
    /// The organisation's active templates, as tests and as interview templates alike (skills
    /// tests and interviews are one kind of template until tests get their own).
    pub async fn packages(&self, conn: &AtsConnection) -> Result<Vec<ListItem>, CallError> {
        Ok(templates::list(&self.shared.db, &conn.org_id, false)
            .await?
            .into_iter()
            .map(|t| ListItem {
                id: t.key,
                name: t.name,
            })
            .collect())
    }

    /// Creates (or, for the same `callback_url`, returns) the invitation and e-mails the
    /// candidate; answers our id for the order and whether it is new.
    pub async fn create(
        &self,
        conn: &AtsConnection,
        body: &CreateOrder,
        interview: bool,
    ) -> Result<(String, bool), CallError> {
        let (field, package) = if interview {
            (
                "interview_template_id",
                id_of(&body.interview_template_id).or_else(|| id_of(&body.test_id)),
            )
        } else {
            ("test_id", id_of(&body.test_id))
        };
        let mut bad = vec![];
        if package.is_none() {
            bad.push((field.to_string(), "required: an id from the list".to_string()));
        }
        let c = body.candidate.clone().unwrap_or_default();
        for (f, v) in [("candidate.first_name", &c.first_name), ("candidate.email", &c.email)] {
            if given(v).is_none() {
                bad.push((f.to_string(), "required".to_string()));
            }
        }
        let callback = given(&body.callback_url).map(str::to_string);
        match callback.as_deref().map(url::Url::parse) {
            Some(Ok(u)) if matches!(u.scheme(), "https" | "http") => {}
            Some(_) => bad.push(("callback_url".into(), "must be an http(s) URL".into())),
            None => bad.push(("callback_url".into(), "required".into())),
        }
        let job = id_of(&body.job_id).or_else(|| given(&body.job_shortcode).map(str::to_string));
        if job.is_none() {
            bad.push(("job_id".into(), "required".into()));
        }
        if !bad.is_empty() {
            return Err(CallError::Invalid(bad));
        }
        let name = format!(
            "{} {}",
            given(&c.first_name).unwrap_or(""),
            given(&c.last_name).unwrap_or("")
        );
        let order = Order {
            job_id: job.unwrap_or_default(),
            job_title: given(&body.job_title).unwrap_or_default().to_string(),
            ats_label: "Workable",
            person_id: None,
            email: given(&c.email).unwrap_or_default().to_string(),
            name: name.trim().to_string(),
            phone: given(&c.phone).map(|p| p.chars().take(40).collect()),
            application_ref: callback.unwrap_or_default(),
            package: Package::Key(package.unwrap_or_default()),
            resend: false,
            return_url: None,
            round: None,
        };
        let placed = self
            .shared
            .place(conn, &order, conn.dedup_or(Connector::default_dedup(self)))
            .await
            .map_err(|e| match e {
                OrderError::UnknownPackage(t) => {
                    CallError::field(field, format!("\"{t}\" is not one of this account's ids"))
                }
                OrderError::ArchivedPackage(t) => CallError::field(field, format!("\"{t}\" was retired")),
                OrderError::App(e) => e.into(),
            })?;
        match placed {
            Placed::Created(v) => Ok((v.id, true)),
            Placed::Resent(v) | Placed::Replayed(v) | Placed::Reused(v) => Ok((v.id, false)),
            Placed::Duplicate(v) => Err(CallError::Duplicate(format!(
                "{} already has this open (id {}); nothing was sent again",
                v.candidate.email, v.id
            ))),
            Placed::NoPackage(_) => Err(CallError::App(AppError::Internal(anyhow::anyhow!(
                "a keyed {KIND} order found no package"
            )))),
        }
    }
}
