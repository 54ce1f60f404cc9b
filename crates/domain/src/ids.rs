//! Prefixed, sortable identifiers (`org_…`, `usr_…`, `job_…`).
//!
//! A prefix makes an id self-describing in logs and API payloads, and a typed wrapper makes it
//! impossible to pass a user id where an organisation id is expected.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id; UUIDv7 keeps ids roughly in creation order, which suits B-tree indexes.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                let rest = raw
                    .strip_prefix(concat!($prefix, "_"))
                    .ok_or_else(|| ParseError(format!("expected an id starting with {}_", $prefix)))?;
                if rest.len() != 32 || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ParseError(format!("malformed {} id", $prefix)));
                }
                Ok(Self(raw.to_ascii_lowercase()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

prefixed_id!(OrgId, "org");
prefixed_id!(UserId, "usr");
prefixed_id!(JobId, "job");
prefixed_id!(TemplateId, "tpl");
prefixed_id!(TemplateVersionId, "tpv");
prefixed_id!(PositionId, "pos");
prefixed_id!(CandidateId, "cand");
prefixed_id!(InvitationId, "inv");
prefixed_id!(ConnectionId, "atc");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_round_trip_and_carry_their_prefix() {
        let id = OrgId::generate();
        assert!(id.as_str().starts_with("org_"));
        assert_eq!(OrgId::parse(id.as_str()), Ok(id.clone()));
        assert!(UserId::parse(id.as_str()).is_err(), "an org id is not a user id");
    }

    #[test]
    fn malformed_ids_are_rejected() {
        assert!(JobId::parse("job_").is_err());
        assert!(JobId::parse("job_zz").is_err());
        assert!(JobId::parse("x").is_err());
    }
}
