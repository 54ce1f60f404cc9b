//! What Greenhouse asks of us: the tests it may send, sending one, a test's status, and the
//! errors it found in our answers. Each takes the connection the key authenticated.

use super::{Greenhouse, KIND};
use crate::AppError;
use crate::connectors::writeback::outcome_of;
use crate::connectors::{AtsConnection, CallError, Connector, Order, OrderError, Package, Placed};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use shortlist_domain::InvitationId;
use shortlist_store::{invitations, positions, templates};

/// One entry of `list_tests`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TestItem {
    pub partner_test_id: String,
    pub partner_test_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SendTestCandidate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub resume_url: Option<String>,
    pub phone_number: Option<String>,
    pub greenhouse_profile_url: Option<String>,
}

/// The `send_test` body; every field optional here so a missing one gets a named error.
#[derive(Debug, Clone, Deserialize)]
pub struct SendTest {
    pub partner_test_id: Option<Value>,
    pub candidate: Option<SendTestCandidate>,
    pub url: Option<String>,
}

/// The `test_status` answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TestStatus {
    pub partner_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_profile_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_score: Option<f64>,
    pub metadata: Map<String, Value>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Greenhouse {
    /// The organisation's active templates, keyed by their stable key.
    pub async fn list_tests(&self, conn: &AtsConnection) -> Result<Vec<TestItem>, CallError> {
        Ok(templates::list(&self.shared.db, &conn.org_id, false)
            .await?
            .into_iter()
            .map(|t| TestItem {
                partner_test_id: t.key,
                partner_test_name: t.name,
            })
            .collect())
    }

    /// Creates (or, for the same instance `url`, returns) the invitation and e-mails the
    /// candidate; answers our id for the instance.
    pub async fn send_test(&self, conn: &AtsConnection, body: &SendTest) -> Result<String, CallError> {
        let test = match &body.partner_test_id {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(CallError::field(
                    "partner_test_id",
                    "required: one of the partner_test_id values from list_tests",
                ));
            }
        };
        let c = body
            .candidate
            .as_ref()
            .ok_or_else(|| CallError::field("candidate", "required: first_name, last_name, email"))?;
        let mut missing = vec![];
        for (field, v) in [
            ("candidate.first_name", &c.first_name),
            ("candidate.last_name", &c.last_name),
            ("candidate.email", &c.email),
            ("candidate.greenhouse_profile_url", &c.greenhouse_profile_url),
        ] {
            if given(v).is_none() {
                missing.push((field.to_string(), "required".to_string()));
            }
        }
        let url = given(&body.url).map(str::to_string);
        match url.as_deref().map(url::Url::parse) {
            Some(Ok(u)) if matches!(u.scheme(), "https" | "http") => {}
            Some(_) => missing.push(("url".into(), "must be an http(s) URL".into())),
            None => missing.push(("url".into(), "required".into())),
        }
        if !missing.is_empty() {
            return Err(CallError::Invalid(missing));
        }
        let (first, last) = (given(&c.first_name).unwrap_or(""), given(&c.last_name).unwrap_or(""));
        let url = url.unwrap_or_default();
        let email = given(&c.email).unwrap_or_default().to_string();
        if shortlist_domain::Email::parse(&email).is_err() {
            return Err(CallError::field(
                "candidate.email",
                format!("\"{email}\" is not an e-mail address"),
            ));
        }
        let order = Order {
            // Greenhouse names no job: one position per test.
            job_id: format!("test:{test}"),
            job_title: String::new(),
            ats_label: "Greenhouse",
            person_id: given(&c.greenhouse_profile_url).and_then(person_id),
            email,
            name: format!("{first} {last}").trim().to_string(),
            phone: given(&c.phone_number).map(|p| p.chars().take(40).collect()),
            application_ref: url,
            package: Package::Key(test),
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
                    CallError::field("partner_test_id", format!("\"{t}\" is not a test of this account"))
                }
                OrderError::ArchivedPackage(t) => {
                    CallError::field("partner_test_id", format!("the test \"{t}\" was retired"))
                }
                OrderError::App(e) => e.into(),
            })?;
        match placed {
            Placed::Created(v) | Placed::Resent(v) | Placed::Replayed(v) | Placed::Reused(v) => Ok(v.id),
            // Only under the Reject policy, which this connection's admin chose.
            Placed::Duplicate(v) => Err(CallError::Duplicate(format!(
                "{} already has this test open (partner_interview_id {}, sent {}); nothing was sent again",
                v.candidate.email,
                v.id,
                v.sent_at.unwrap_or(v.created_at).format("%Y-%m-%d %H:%M UTC")
            ))),
            Placed::NoPackage(_) => Err(CallError::App(AppError::Internal(anyhow::anyhow!(
                "a keyed order found no package"
            )))),
        }
    }

    /// The status of one instance, as Greenhouse renders it: `complete` with the public
    /// interview URL, the score and flat metadata once the candidate finished.
    pub async fn test_status(&self, conn: &AtsConnection, partner_interview_id: &str) -> Result<TestStatus, CallError> {
        let org = &conn.org_id;
        let not_found = || CallError::NotFound(format!("no test instance {partner_interview_id} for this account"));
        let id = InvitationId::parse(partner_interview_id.trim()).map_err(|_| not_found())?;
        // Only instances this connection ordered: the key decides whose data is returned.
        let ours = positions::external_refs(&self.shared.db, org, "invitation", id.as_str())
            .await?
            .into_iter()
            .any(|r| r.ats_kind == KIND && r.connection_id == conn.id.as_str());
        if !ours {
            return Err(not_found());
        }
        let inv = invitations::get(&self.shared.db, org, &id)
            .await?
            .ok_or_else(not_found)?;
        let outcome = outcome_of(&self.shared, &self.links, org, &inv)
            .await
            .map_err(|e| CallError::App(AppError::Internal(anyhow::anyhow!("{e}"))))?;
        let mut metadata = Map::new();
        metadata.insert("Test".into(), json!(inv.template_key));
        if let Some(t) = inv.started_at {
            metadata.insert("Started At".into(), json!(t.format("%Y-%m-%d %H:%M UTC").to_string()));
        }
        if let Some(t) = inv.completed_at {
            metadata.insert("Completed At".into(), json!(t.format("%Y-%m-%d %H:%M UTC").to_string()));
        }
        metadata.insert("Reviews".into(), json!(outcome.reviews));
        let complete = inv.state == "completed";
        Ok(TestStatus {
            partner_status: if complete { "complete".into() } else { inv.state.clone() },
            partner_profile_url: complete.then_some(outcome.review_url),
            partner_score: outcome.score.map(|s| (s * 100.0).round() / 100.0),
            metadata,
        })
    }

    /// Greenhouse found our answer invalid: keep its words for the Integrations page.
    pub async fn response_error(&self, conn: &AtsConnection, body: &Value) -> Result<(), CallError> {
        let call = body.get("api_call").and_then(Value::as_str).unwrap_or("unknown call");
        let errors: Vec<String> = body
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut about = vec![];
        for k in [
            "partner_test_id",
            "partner_test_name",
            "partner_interview_id",
            "candidate_email",
        ] {
            if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
                about.push(format!(
                    "{k}={}",
                    v.as_str().map_or_else(|| v.to_string(), str::to_string)
                ));
            }
        }
        let message = format!("{} ({})", errors.join("; "), about.join(", "));
        tracing::warn!(connection = %conn.id, %call, %message, "Greenhouse reported an invalid answer");
        self.shared.record_error(conn, call, &message).await?;
        Ok(())
    }
}

/// The Greenhouse person id in a profile URL (`…/people/17681532?application_id=…`).
fn person_id(profile_url: &str) -> Option<String> {
    let u = url::Url::parse(profile_url).ok()?;
    let mut segs = u.path_segments()?;
    segs.find(|s| *s == "people")?;
    segs.next()
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    #[test]
    fn person_id_comes_from_the_profile_url() {
        assert_eq!(
            super::person_id("https://app.greenhouse.io/people/17681532?application_id=26234709").as_deref(),
            Some("17681532")
        );
        assert_eq!(super::person_id("not a url"), None);
    }
}
