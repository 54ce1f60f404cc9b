//! E-mail addresses, normalised so that the same person is found however the address was typed.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims surrounding space and lower-cases the address. The check is deliberately simple
    /// (one `@`, a dotted domain, no spaces): the real proof of an address is delivery.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let e = raw.trim().to_lowercase();
        let invalid = || ParseError(format!("'{}' is not a valid e-mail address", raw.trim()));
        if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = e.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_surrounding_space_are_ignored() {
        assert_eq!(
            Email::parse("  Ada.Lovelace@Example.COM ").map(String::from),
            Ok("ada.lovelace@example.com".to_string())
        );
    }

    #[test]
    fn obvious_garbage_is_rejected() {
        for bad in ["", "ada", "ada@", "@x.org", "a b@x.org", "a@x", "a@x..org", "a@b@c.org"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
