//! The cursor of a paginated list. Callers treat it as opaque (base64url); inside is the keyset
//! of the last item of the page they got (its sort time and id), so the next page starts right
//! after it however many rows were inserted meanwhile.

use crate::AppError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
pub use shortlist_store::page::{Keyset, PageReq, Paged};

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 500;

pub fn encode(k: &Keyset) -> String {
    let raw = format!("{}|{}", k.at.to_rfc3339_opts(SecondsFormat::Micros, true), k.id);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The keyset inside a cursor, or None when the text is not a cursor this server gave out.
pub fn decode(cursor: &str) -> Option<Keyset> {
    let raw = URL_SAFE_NO_PAD.decode(cursor.trim().trim_end_matches('=')).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (at, id) = raw.split_once('|')?;
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    let id_ok = !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    id_ok.then(|| Keyset { at, id: id.to_string() })
}

/// The page asked for with `?limit=&cursor=`; a bad value is a validation error naming it.
pub fn request(limit: Option<usize>, cursor: Option<&str>) -> Result<PageReq, AppError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::field("limit", format!("between 1 and {MAX_LIMIT}")));
    }
    let after = match cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(decode(c).ok_or_else(|| {
            AppError::field(
                "cursor",
                "not a cursor of this list: pass next_cursor from the previous page unchanged",
            )
        })?),
    };
    Ok(PageReq { after, limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_nonsense_is_refused() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:20:30.123456Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let k = Keyset {
            at,
            id: "inv_0192abc".into(),
        };
        let c = encode(&k);
        assert!(c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(decode(&c), Some(k));
        assert_eq!(decode("not a cursor"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("2026-03-01|x'--")), None);
        assert!(request(Some(0), None).is_err());
        assert!(matches!(
            request(None, Some("%%%")),
            Err(AppError::Validation { fields }) if fields[0].field == "cursor"
        ));
        assert_eq!(request(None, Some(&c)).map(|p| p.limit).ok(), Some(DEFAULT_LIMIT));
    }
}
