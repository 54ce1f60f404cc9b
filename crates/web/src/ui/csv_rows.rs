//! Reading a CSV of candidates: a header row naming the columns (any case or order, a few
//! common spellings), then one candidate per row. Problems are flagged per row, never fatal.

use serde::{Deserialize, Serialize};
use shortlist_app::recruiting::invitations::InviteRequest;
use shortlist_domain::Email;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CsvRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub locale: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub round: String,
}

#[derive(Debug, PartialEq)]
pub struct Parsed {
    pub rows: Vec<CsvRow>,
    /// Header cells that name no known column.
    pub ignored: Vec<String>,
}

fn column(header: &str) -> Option<&'static str> {
    let h: String = header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match h.as_str() {
        "email" | "emailaddress" | "mail" => "email",
        "name" | "fullname" | "candidatename" | "candidate" => "name",
        "phone" | "phonenumber" | "mobile" | "telephone" => "phone",
        "locale" | "language" | "lang" => "locale",
        "timezone" | "tz" => "time_zone",
        "round" => "round",
        _ => return None,
    })
}

/// Parses the file; `Err` only when it cannot be read at all (not text, no e-mail column, too
/// many rows).
pub fn parse(bytes: &[u8], max_rows: usize) -> Result<Parsed, String> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text; save it as CSV (UTF-8)".to_string())?;
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut rd = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rd
        .headers()
        .map_err(|e| format!("the header row cannot be read: {e}"))?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut ignored = vec![];
    for (i, h) in headers.iter().enumerate() {
        match column(h) {
            Some(c) => {
                index.entry(c).or_insert(i);
            }
            None if h.trim().is_empty() => {}
            None => ignored.push(h.to_string()),
        }
    }
    if !index.contains_key("email") {
        return Err("the first row must name the columns and include one called email".into());
    }
    let mut rows = vec![];
    for rec in rd.records() {
        let rec = rec.map_err(|e| format!("the file cannot be read: {e}"))?;
        if rec.iter().all(|c| c.is_empty()) {
            continue;
        }
        if rows.len() == max_rows {
            return Err(format!("at most {max_rows} candidates per file"));
        }
        let get = |c: &str| index.get(c).and_then(|i| rec.get(*i)).unwrap_or_default().to_string();
        rows.push(CsvRow {
            line: rec.position().map_or(0, |p| line_at(text, p.byte())),
            email: get("email"),
            name: get("name"),
            phone: get("phone"),
            locale: get("locale"),
            time_zone: get("time_zone"),
            round: get("round"),
        });
    }
    Ok(Parsed { rows, ignored })
}

/// The line a record starting at `byte` is on. The reader's own count, and its offset, include
/// the blank lines it skipped before the record.
fn line_at(text: &str, byte: u64) -> usize {
    let b = text.as_bytes();
    let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(b.len());
    while at < b.len() && (b[at] == b'\n' || b[at] == b'\r') {
        at += 1;
    }
    b[..at].iter().filter(|c| **c == b'\n').count() + 1
}

fn round_of(raw: &str) -> Result<i32, ()> {
    match raw.trim() {
        "" => Ok(1),
        r => r.parse().ok().filter(|n| (1..=100).contains(n)).ok_or(()),
    }
}

/// The problem of each row, if any: invalid e-mail or round, or the same candidate and round
/// earlier in the file.
pub fn problems(rows: &[CsvRow]) -> Vec<Option<String>> {
    let mut seen: HashMap<(String, i32), usize> = HashMap::new();
    rows.iter()
        .map(|r| {
            let email = match Email::parse(&r.email) {
                Ok(e) => e.to_string(),
                Err(_) if r.email.trim().is_empty() => return Some("no e-mail address".into()),
                Err(e) => return Some(format!("invalid e-mail: {}", e.0)),
            };
            let Ok(round) = round_of(&r.round) else {
                return Some("the round must be a whole number from 1 to 100".into());
            };
            match seen.get(&(email.clone(), round)) {
                Some(line) => Some(format!("duplicate of line {line}: invited once")),
                None => {
                    seen.insert((email, round), r.line);
                    None
                }
            }
        })
        .collect()
}

/// The invitation a row asks for. An unreadable round is passed on as 0, which the service
/// refuses for that row alone.
pub fn request(r: &CsvRow, template_id: Option<&str>) -> InviteRequest {
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    InviteRequest {
        email: r.email.clone(),
        name: r.name.clone(),
        phone: opt(&r.phone),
        locale: opt(&r.locale),
        time_zone: opt(&r.time_zone),
        template_id: template_id.map(str::to_string),
        round: match r.round.trim() {
            "" => None,
            raw => Some(raw.parse().unwrap_or(0)),
        },
        ..InviteRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_lenient_and_problems_flagged() {
        let csv = "\u{feff}Name; E-Mail ;Round;Notes\nAda;ADA@x.org;;hi\n\nBob;not-an-email;1;\nAda again; ada@x.org ;1;\nAda 2;ada@x.org;2;\nEve;eve@x.org;x;\n";
        let p = parse(csv.as_bytes(), 10).unwrap();
        assert_eq!(p.ignored, ["Notes"]);
        assert_eq!(p.rows.len(), 5);
        assert_eq!(
            (p.rows[0].name.as_str(), p.rows[0].email.as_str(), p.rows[0].line),
            ("Ada", "ADA@x.org", 2)
        );
        assert_eq!(p.rows[1].line, 4, "blank line skipped, numbering kept");
        let probs = problems(&p.rows);
        assert_eq!(probs[0], None);
        assert!(probs[1].as_deref().unwrap().starts_with("invalid e-mail"));
        assert_eq!(probs[2].as_deref(), Some("duplicate of line 2: invited once"));
        assert_eq!(probs[3], None, "round 2 is a new invitation");
        assert!(probs[4].as_deref().unwrap().contains("round"));
        assert_eq!(request(&p.rows[4], None).round, Some(0));
        assert_eq!(request(&p.rows[0], Some("tpl")).round, None);
    }

    #[test]
    fn unreadable_files_say_why() {
        assert!(parse(b"name,phone\nA,1\n", 10).unwrap_err().contains("email"));
        assert!(parse(&[0xff, 0xfe, 0x00], 10).unwrap_err().contains("UTF-8"));
        assert!(
            parse(b"email\na@x.org\nb@x.org\n", 1)
                .unwrap_err()
                .contains("at most 1")
        );
        let quoted = parse(b"email,name\n\"a@x.org\",\"Doe, Jane\"\n", 10).unwrap();
        assert_eq!(quoted.rows[0].name, "Doe, Jane");
    }
}
