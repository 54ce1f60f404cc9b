//! Shortlist's domain vocabulary: ids, value types and rules. No I/O lives here.

pub mod email;
pub mod ids;
pub mod role;
pub mod slug;
pub mod template;

pub use email::Email;
pub use ids::{
    CandidateId, ConnectionId, InvitationId, JobId, OrgId, PositionId, TemplateId, TemplateVersionId, UserId,
};
pub use role::Role;
pub use slug::Slug;

/// A value failed to parse; the message is safe to show to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);
