//! Telling Workable: `PUT {callback_url}` with Workable's Bearer token — `pending` once the
//! invitation is sent or started, `completed` with the interview URL and the reviewers' score
//! (again when a rating changes it).

use super::{KIND, Workable};
use crate::connectors::writeback::http_outcome;
use crate::connectors::{AtsConnection, Connector, Dedup, Status, WriteError, WriteJob};
use async_trait::async_trait;
use serde_json::json;

#[async_trait]
impl Connector for Workable {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn label(&self) -> &'static str {
        "Workable"
    }

    fn setup_path(&self) -> &'static str {
        "/settings/workable"
    }

    fn default_dedup(&self) -> Dedup {
        // Workable may send the same create again; it expects the same order back.
        Dedup::Replay
    }

    fn writes(&self, _conn: &AtsConnection, status: Status) -> bool {
        matches!(status, Status::Sent | Status::InProgress | Status::Complete)
    }

    async fn write(&self, w: &mut WriteJob<'_>) -> Result<(), WriteError> {
        let sealed = w.conn.secrets_sealed.as_deref().unwrap_or_default();
        let token = self.sealer.open(sealed).map_err(|e| WriteError::Rejected {
            status: 0,
            message: format!("Workable's token cannot be opened ({e}); enter it again"),
        })?;
        let body = match w.status {
            Status::Complete => {
                let mut assessment = json!({
                    "summary": format!("{} · {} reviews", w.invitation.template_key, w.outcome.reviews),
                });
                if let Some(score) = w.outcome.score {
                    assessment["score"] = json!(format!("{:.2}", score));
                    assessment["grade"] = json!(grade(score));
                }
                json!({"status": "completed", "results_url": w.outcome.review_url, "assessment": assessment})
            }
            _ => json!({"status": "pending"}),
        };
        let (url, client) = self
            .outbound
            .pinned(w.external_ref)
            .await
            .map_err(|r| WriteError::Rejected {
                status: 0,
                message: format!("the callback URL Workable gave is not allowed: {r}"),
            })?;
        w.spend().await?;
        let sent = client.put(url).bearer_auth(token).json(&body).send().await;
        http_outcome("Workable", sent).await
    }

    fn summary(&self, conn: &AtsConnection) -> Vec<(&'static str, String)> {
        let s = conn.settings_as::<super::WorkableSettings>().unwrap_or_default();
        vec![
            ("Account", conn.inbound_user.clone().unwrap_or_default()),
            ("Subdomain", s.subdomain.unwrap_or_default()),
        ]
    }
}

/// A word for the reviewers' average (1–5), shown by Workable beside the score.
fn grade(score: f64) -> &'static str {
    match score {
        s if s >= 4.5 => "Excellent",
        s if s >= 3.5 => "Strong",
        s if s >= 2.5 => "Mixed",
        _ => "Weak",
    }
}
