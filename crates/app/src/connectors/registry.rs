//! The connector seam: what every ATS module implements, and the registry the composition root
//! fills with one line per ATS. Inbound calls are each ATS's own shape (iCIMS events, Greenhouse's
//! four endpoints), so a module parses and authenticates them itself and hands an
//! [`Order`](super::Order) to [`Shared::place`](super::Shared::place); everything after that
//! (dedup, the one transaction, the e-mail, write-back, budgets, parking) is shared.

pub use super::writeback::WriteJob;
use super::{AtsConnection, Dedup};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What an ATS can hear about an invitation, in the order a candidate goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Sent,
    InProgress,
    Complete,
    Expired,
    Cancelled,
}

impl Status {
    /// The status an invitation event moves the ATS to, if any.
    pub fn from_event(kind: &str) -> Option<Status> {
        match kind {
            "email_sent" => Some(Status::Sent),
            "started" => Some(Status::InProgress),
            // A reviewer's evaluation or decision changes the score of the completed result.
            "completed" | "evaluation_submitted" | "decision_set" => Some(Status::Complete),
            "expired" => Some(Status::Expired),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::InProgress => "in_progress",
            Status::Complete => "complete",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Sent,
            Status::InProgress,
            Status::Complete,
            Status::Expired,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// How a recruiter reads it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Sent => "Invited",
            Status::InProgress => "In progress",
            Status::Complete => "Completed",
            Status::Expired => "Expired",
            Status::Cancelled => "Cancelled",
        }
    }
}

/// The result as every ATS receives it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Average of the reviewers' ratings (1–5), when there is one.
    pub score: Option<f64>,
    /// How many evaluations the score averages.
    pub reviews: i64,
    /// The interview URL (read-only without an account).
    pub review_url: String,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteError {
    /// 429, 5xx, a network failure: the job is retried with backoff.
    Retry(String),
    /// The ATS refused what we sent (4xx): parked with its words until an admin retries.
    Rejected { status: u16, message: String },
    /// Today's request budget is spent; the runner re-queues the job for tomorrow.
    BudgetSpent,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Retry(m) => write!(f, "{m}"),
            WriteError::Rejected { status, message } => write!(f, "{status}: {message}"),
            WriteError::BudgetSpent => f.write_str("the daily request budget is spent"),
        }
    }
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        WriteError::Retry(e.to_string())
    }
}

/// One applicant tracking system.
#[async_trait]
pub trait Connector: Send + Sync {
    /// Stored in `ats_connections.kind` and used in routes (`/connectors/{kind}/…`).
    fn kind(&self) -> &'static str;
    /// How people name it.
    fn label(&self) -> &'static str;
    /// Where an admin sets it up.
    fn setup_path(&self) -> &'static str;
    /// What a second order for the same application and package does, unless the connection
    /// says otherwise.
    fn default_dedup(&self) -> Dedup;
    /// Whether this connection wants to hear `status` at all.
    fn writes(&self, conn: &AtsConnection, status: Status) -> bool;
    /// Tells the ATS; every request made goes through `job.budget` first.
    async fn write(&self, job: &mut WriteJob<'_>) -> Result<(), WriteError>;
    /// Settings worth showing on the Integrations page (never secrets).
    fn summary(&self, conn: &AtsConnection) -> Vec<(&'static str, String)>;
}

/// Every connector this build knows, by kind. Filled once in the composition root.
#[derive(Clone, Default)]
pub struct Registry {
    connectors: Vec<Arc<dyn Connector>>,
}

impl Registry {
    pub fn new(connectors: Vec<Arc<dyn Connector>>) -> Registry {
        Registry { connectors }
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn Connector>> {
        self.connectors.iter().find(|c| c.kind() == kind)
    }

    pub fn all(&self) -> &[Arc<dyn Connector>] {
        &self.connectors
    }
}
