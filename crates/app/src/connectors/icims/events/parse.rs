//! Parsing an inbound event: lenient about key case, string-or-number ids and unknown fields;
//! the person and job links come in the body or in a `Link` header.

use serde_json::Value;

/// The fields we use from an event; everything else is ignored.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub customer_id: String,
    pub event_type: String,
    /// The applicant workflow id (person × job).
    pub system_id: Option<String>,
    pub job_id: Option<String>,
    pub person_id: Option<String>,
    pub user_id: Option<String>,
    pub new_status: Option<String>,
    pub return_url: Option<String>,
    /// (rel, url), from the body's `links` and the `Link` header.
    pub links: Vec<(String, String)>,
}

/// A field by name, any key case, string or number.
fn text(obj: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    let v = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)?;
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Event {
    /// Lenient: unknown fields are ignored, ids may be strings or numbers, keys in any case.
    pub fn parse(body: &[u8], link_header: Option<&str>) -> Result<Event, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let Value::Object(o) = v else {
            return Err("the body is not a JSON object".into());
        };
        let customer_id = text(&o, "customerId").ok_or("customerId is missing")?;
        let mut links = vec![];
        if let Some(Value::Array(items)) = o.iter().find(|(k, _)| k.eq_ignore_ascii_case("links")).map(|(_, v)| v) {
            for item in items {
                if let Value::Object(l) = item
                    && let (Some(rel), Some(url)) = (text(l, "rel"), text(l, "url"))
                {
                    links.push((rel, url));
                }
            }
        }
        links.extend(link_header.map(parse_link_header).unwrap_or_default());
        Ok(Event {
            customer_id,
            event_type: text(&o, "eventType").unwrap_or_default(),
            system_id: text(&o, "systemId"),
            job_id: text(&o, "jobId"),
            person_id: text(&o, "personId"),
            user_id: text(&o, "userId"),
            new_status: text(&o, "newStatus"),
            return_url: text(&o, "returnUrl"),
            links,
        })
    }

    pub fn link(&self, rel: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(rel))
            .map(|(_, u)| u.as_str())
    }

    pub(super) fn is_application_complete(&self) -> bool {
        [
            "AssessmentEvent",
            "ApplicationCompletedEvent",
            "ApplicationCompleteEvent",
        ]
        .iter()
        .any(|t| self.event_type.eq_ignore_ascii_case(t))
    }
}

/// `url;rel="person";title="…", url;rel="job"…` as iCIMS sends it (URLs may be in `<>`).
fn parse_link_header(h: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut url: Option<String> = None;
    for piece in h.split([',', ';']).map(str::trim) {
        if let Some(rel) = piece.strip_prefix("rel=") {
            if let Some(u) = url.take() {
                out.push((rel.trim_matches('"').to_string(), u));
            }
        } else if piece.contains("://") {
            url = Some(piece.trim_matches(['<', '>']).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_leniently() {
        let body = br#"{"customerId":6269,"EVENTTYPE":"WorkFlowStatusChangeEvent","systemId":"13820","newStatus":"C38356",
            "extra":{"a":1},"links":[{"rel":"person","title":"Person Profile","url":"https://api.icims.com/customers/6269/people/11219"}]}"#;
        let e = Event::parse(
            body,
            Some("https://api.icims.com/customers/6269/jobs/2039;rel=\"job\";title=\"Job Profile\""),
        )
        .unwrap();
        assert_eq!(e.customer_id, "6269");
        assert_eq!(e.event_type, "WorkFlowStatusChangeEvent");
        assert_eq!(
            e.link("person"),
            Some("https://api.icims.com/customers/6269/people/11219")
        );
        assert_eq!(e.link("job"), Some("https://api.icims.com/customers/6269/jobs/2039"));
        assert!(Event::parse(b"{}", None).is_err());
        assert!(Event::parse(b"[1]", None).is_err());
    }
}
