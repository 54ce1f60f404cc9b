//! Telling Greenhouse a test is done: `PATCH {url}` with no body, the organisation's key in
//! Basic auth; Greenhouse answers with a bare status and then asks `test_status`. Sent on
//! completion and again when reviewers change the score. Only "complete" means anything to
//! Greenhouse, so other statuses are not sent.

use super::{Greenhouse, KIND, key};
use crate::connectors::writeback::http_outcome;
use crate::connectors::{AtsConnection, Connector, Dedup, Status, WriteError, WriteJob};
use async_trait::async_trait;

#[async_trait]
impl Connector for Greenhouse {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn label(&self) -> &'static str {
        "Greenhouse"
    }

    fn setup_path(&self) -> &'static str {
        "/settings/greenhouse"
    }

    fn default_dedup(&self) -> Dedup {
        // Greenhouse retries send_test and expects the same partner_interview_id.
        Dedup::Replay
    }

    fn writes(&self, _conn: &AtsConnection, status: Status) -> bool {
        status == Status::Complete
    }

    async fn write(&self, w: &mut WriteJob<'_>) -> Result<(), WriteError> {
        let sealed = w.conn.secrets_sealed.as_deref().unwrap_or_default();
        let key = self.sealer.open(sealed).map_err(|e| WriteError::Rejected {
            status: 0,
            message: format!("the stored key cannot be opened ({e}); rotate the key"),
        })?;
        let (url, client) = self
            .outbound
            .pinned(w.external_ref)
            .await
            .map_err(|r| WriteError::Rejected {
                status: 0,
                message: format!("the instance URL Greenhouse gave is not allowed: {r}"),
            })?;
        w.spend().await?;
        let sent = client
            .patch(url)
            .header(reqwest::header::AUTHORIZATION, key::basic(&key))
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await;
        http_outcome("Greenhouse", sent).await
    }

    fn summary(&self, conn: &AtsConnection) -> Vec<(&'static str, String)> {
        let issued = conn
            .settings_as::<super::GreenhouseSettings>()
            .ok()
            .and_then(|s| s.key_issued_at)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        vec![("Key issued", issued)]
    }
}
