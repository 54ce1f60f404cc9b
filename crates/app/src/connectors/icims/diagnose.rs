//! "Test connection": read one job with the stored credentials and say in plain words what is
//! wrong, for the admin CLI and the setup page. What is shown is the HTTP status and a short,
//! cleaned reason (iCIMS's error text, or ours), never an answer's body: the URLs are the
//! admin's choice, and the page must not become a way to read whatever they point at.

use super::client::IcimsError;
use super::{Connection, Icims};
use crate::AppError;
use crate::outbound::short_reason;

/// Characters of a job title or package label shown.
const MAX_LABEL: usize = 120;

/// What a test found; `ok` with a summary, or a sentence an administrator can act on.
#[derive(Debug, Clone)]
pub struct TestReport {
    pub ok: bool,
    pub url: String,
    pub message: String,
}

/// Turns a failed read into advice.
pub fn explain(conn: &Connection, e: &IcimsError) -> String {
    let host = conn.api_base();
    match e {
        IcimsError::Retryable(m) if m.contains("cannot connect") || m.contains("timed out") => {
            format!("cannot reach {host} ({m}); check the region, the API base URL and this server's outbound network")
        }
        IcimsError::Retryable(m) if m.starts_with("429") => {
            format!("iCIMS says the daily request quota is used up ({m}); try again tomorrow or ask iCIMS for more")
        }
        IcimsError::Retryable(m) => format!("iCIMS is unavailable right now ({m}); try again later"),
        IcimsError::Permanent { status: 0, message } => {
            format!(
                "{message}; check the API base URL and token URL (the administrator of this server can allow on-premises ranges)"
            )
        }
        IcimsError::Permanent { status, message } if (300..400).contains(status) => {
            format!("{host} answered {status} ({message}); check the API base URL and token URL")
        }
        IcimsError::Permanent { status: 505, .. } => {
            "iCIMS refused the HTTP version (it accepts HTTP/1.1 only)".to_string()
        }
        IcimsError::Permanent { status, message } if *status == 401 || message.starts_with("6:") => format!(
            "iCIMS answered {status}: it refused the credentials of user '{}' ({message}); check the outbound user and secret",
            conn.outbound_user
        ),
        IcimsError::Permanent { status, message } if *status == 403 => format!(
            "iCIMS answered 403: it denied access ({message}); the API user may lack permission to read jobs of customer {}",
            conn.customer_id
        ),
        IcimsError::Permanent { status: 404, message } => format!(
            "iCIMS answered 404 ({message}): customer {} is unknown to {host}, or there is no such job (is the region right?)",
            conn.customer_id
        ),
        IcimsError::Permanent { status, message } => format!("iCIMS answered {status}: {message}"),
    }
}

impl Icims {
    pub async fn test_connection(&self, conn: &Connection, job_id: &str) -> Result<TestReport, AppError> {
        let client = self.client(conn)?;
        let path = format!("jobs/{}", job_id.trim());
        let url = client.resolve(&path).unwrap_or_default();
        Ok(match client.get_job(&path).await {
            Ok(job) => {
                let packages: Vec<String> = job
                    .assessmenttype
                    .iter()
                    .filter_map(|n| n.value.as_deref())
                    .map(|v| short_reason(v, MAX_LABEL))
                    .take(20)
                    .collect();
                TestReport {
                    ok: true,
                    url,
                    message: format!(
                        "read job {job_id} \"{}\"; packages: {}",
                        short_reason(&job.jobtitle.unwrap_or_default(), MAX_LABEL),
                        if packages.is_empty() {
                            "none (recruiters pick a template on first use)".to_string()
                        } else {
                            packages.join(", ")
                        }
                    ),
                }
            }
            Err(e) => TestReport {
                ok: false,
                url,
                message: explain(conn, &e),
            },
        })
    }
}
