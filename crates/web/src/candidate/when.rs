//! Moments shown to candidates (the deadline): a sentence around a `<time>` element that holds
//! the time in UTC. static/candidate/local-time.js rewrites the element in the candidate's own
//! time zone and the page's language; without scripts the UTC text stays.

use super::T;
use chrono::{DateTime, Utc};

/// `before <time datetime="iso">utc</time> after`, from a message with one `{placeholder}`.
pub(crate) struct Moment {
    pub before: String,
    pub iso: String,
    pub utc: String,
    pub after: String,
}

impl Moment {
    pub(crate) fn new(t: T, key: &str, placeholder: &str, at: DateTime<Utc>) -> Moment {
        // A character no catalogue uses marks where the time goes.
        const MARK: &str = "\u{1}";
        let text = t.fmt(key, &[(placeholder, MARK)]);
        let (before, after) = text.split_once(MARK).unwrap_or((text.as_str(), ""));
        Moment {
            before: before.to_string(),
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            utc: at.format("%Y-%m-%d %H:%M UTC").to_string(),
            after: after.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_goes_where_the_placeholder_was() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T17:30:00Z").unwrap().to_utc();
        let m = Moment::new(T::for_tag("es"), "landing.expect_deadline", "deadline", at);
        assert_eq!(
            (m.before.as_str(), m.iso.as_str(), m.utc.as_str(), m.after.as_str()),
            ("Disponible hasta: ", "2026-12-01T17:30:00Z", "2026-12-01 17:30 UTC", "")
        );
    }
}
