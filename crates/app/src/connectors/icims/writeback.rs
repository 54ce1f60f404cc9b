//! Write-back to iCIMS: invitation statuses (sent, started, completed, expired, cancelled) become
//! one `assessmentresults` entry on the candidate's applicant workflow, created once and then
//! updated in place. The shared runner ([`crate::connectors::writeback`]) calls
//! [`Connector::write`] under its lease and budget; a refusal other than 429/5xx (iCIMS's
//! required-field error, a deleted workflow) comes back as `Rejected` and is parked.

use super::{Connection, Icims, IcimsClient, IcimsError, KIND};
use crate::connectors::{AtsConnection, Connector, Dedup, Status, WriteError, WriteJob};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

/// iCIMS DATETIME fields, in UTC.
const DATE_FORMAT: &str = "%Y-%m-%d %I:%M %p";

/// The customer's list value for a status; None when the customer has no such value.
fn list_value(c: &Connection, status: Status) -> Option<String> {
    let v = &c.status_values;
    match status {
        Status::Sent => Some(v.sent.clone()),
        Status::InProgress => Some(v.in_progress.clone()),
        Status::Complete => Some(v.complete.clone()),
        Status::Expired => v.expired.clone(),
        Status::Cancelled => v.cancelled.clone(),
    }
    .filter(|s| !s.trim().is_empty())
}

/// How a configured list value is sent: a list node id (`D37002019001`, `12345`) by id, anything
/// else (a label such as `Sent`) in iCIMS's value form, which iCIMS matches against the list's
/// labels. A label in the id field is refused by real iCIMS.
pub fn list_node(value: &str) -> Value {
    let v = value.trim();
    let is_node_id =
        !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric()) && v.chars().any(|c| c.is_ascii_digit());
    if is_node_id {
        json!({"id": v})
    } else {
        json!({"value": v})
    }
}

impl From<IcimsError> for WriteError {
    fn from(e: IcimsError) -> Self {
        match e {
            IcimsError::Permanent { status, message } => WriteError::Rejected { status, message },
            e => WriteError::Retry(e.to_string()),
        }
    }
}

#[async_trait]
impl Connector for Icims {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn label(&self) -> &'static str {
        "iCIMS"
    }

    fn setup_path(&self) -> &'static str {
        "/settings/icims"
    }

    fn default_dedup(&self) -> Dedup {
        // iCIMS's approval case: a second trigger gets a 400 with a readable userMessage.
        Dedup::Reject
    }

    fn writes(&self, conn: &AtsConnection, status: Status) -> bool {
        Connection::from_ats(conn.clone()).is_ok_and(|c| list_value(&c, status).is_some())
    }

    async fn write(&self, w: &mut WriteJob<'_>) -> Result<(), WriteError> {
        let conn = Connection::from_ats(w.conn.clone()).map_err(|e| WriteError::Retry(e.to_string()))?;
        let Some(value) = list_value(&conn, w.status) else {
            return Ok(());
        };
        let client = self.client(&conn).map_err(|e| WriteError::Rejected {
            status: 0,
            message: e.to_string(),
        })?;
        let inv = w.invitation;
        let url = w.outcome.review_url.clone();
        // The entry's date is when the interview was completed, not when a reviewer scored it.
        let at = match (w.status, w.outcome.completed_at) {
            (Status::Complete, Some(done)) => done,
            _ => w.event_at,
        };
        let mut entry = entry_json(&inv.template_key, &inv.position_title, w.status, &value, at, &url);
        if let Some(score) = w.outcome.score {
            entry["assessmentscore"] = json!((score * 100.0).round() / 100.0);
        }
        let path = format!("applicantworkflows/{}", w.external_ref);
        if w.handle.is_none() {
            // A crash after creating the entry must not create a second one: look for ours first.
            w.spend().await?;
            if let Some(found) = find_entry(&client, &path, &url).await? {
                w.save_handle(&found).await?;
            } else {
                w.spend().await?;
                patch(&client, &path, json!({"assessmentresults": [entry]})).await?;
                w.spend().await?;
                let created = find_entry(&client, &path, &url)
                    .await?
                    .ok_or_else(|| WriteError::Retry("the new entry is not visible yet".into()))?;
                w.save_handle(&created).await?;
                return Ok(());
            }
        }
        let Some(id) = w.handle.clone() else { return Ok(()) };
        w.spend().await?;
        entry["entry"] = id.parse::<u64>().map(Value::from).unwrap_or(Value::String(id));
        patch(&client, &path, json!({"assessmentresults": [entry]})).await?;
        Ok(())
    }

    fn summary(&self, conn: &AtsConnection) -> Vec<(&'static str, String)> {
        let Ok(c) = Connection::from_ats(conn.clone()) else {
            return vec![];
        };
        vec![
            ("Customer id", c.customer_id.clone()),
            ("Region", c.region.clone()),
            ("Trigger statuses", c.trigger_statuses.join(", ")),
        ]
    }
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The `assessmentresults` entry for a status. The date is the event's, so a retried create
/// sends identical content (iCIMS then refuses the duplicate silently).
fn entry_json(template: &str, position: &str, status: Status, value: &str, at: DateTime<Utc>, url: &str) -> Value {
    let date = at.format(DATE_FORMAT).to_string();
    let label = status.label();
    json!({
        "assessmentname": {"value": template},
        "assessmentstatus": list_node(value),
        "assessmentresult": clip(label, 128),
        "assessmentnotes": clip(&format!("{label} · {position} · {template} · {date} UTC"), 192),
        "assessmentdate": date,
        "assessmenturl": url,
    })
}

async fn patch(client: &IcimsClient, path: &str, body: Value) -> Result<(), IcimsError> {
    let rb = client.request(Method::PATCH, path).await?.json(&body);
    client.send(rb).await.map(|_| ())
}

/// The id of the entry whose `assessmenturl` is ours, if the workflow has one.
async fn find_entry(client: &IcimsClient, path: &str, url: &str) -> Result<Option<String>, IcimsError> {
    let rb = client
        .request(Method::GET, path)
        .await?
        .query(&[("fields", "assessmentresults")]);
    let resp = client.send(rb).await?;
    let v: Value = resp
        .json()
        .await
        .map_err(|e| IcimsError::Retryable(format!("unreadable workflow: {e}")))?;
    let entries = v
        .get("assessmentresults")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(entries
        .iter()
        .find(|e| e.get("assessmenturl").and_then(Value::as_str) == Some(url))
        .and_then(|e| match e.get("entry") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }))
}

#[cfg(test)]
mod tests {
    use super::list_node;
    use serde_json::json;

    #[test]
    fn node_ids_go_by_id_and_labels_by_value() {
        assert_eq!(list_node("D37002019001"), json!({"id": "D37002019001"}));
        assert_eq!(list_node("12345"), json!({"id": "12345"}));
        assert_eq!(list_node("Sent"), json!({"value": "Sent"}));
        assert_eq!(list_node("In Progress"), json!({"value": "In Progress"}));
    }
}
