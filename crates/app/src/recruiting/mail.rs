//! Invitation, reminder and resend e-mails: built-in wording, per-organisation overrides, and
//! rendering with placeholders.

use crate::AppError;
use crate::error::FieldError;
use chrono::{DateTime, Utc};

pub const KINDS: [&str; 3] = ["invitation", "reminder", "resend"];
pub const PLACEHOLDERS: [&str; 6] = [
    "candidate_name",
    "position_title",
    "company_name",
    "owner_name",
    "link",
    "expires_at",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EmailTemplate {
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// The wording used until an organisation writes its own.
pub fn default_template(kind: &str) -> EmailTemplate {
    let (subject, intro) = match kind {
        "reminder" => (
            "Reminder: your video interview for {{position_title}}",
            "this is a reminder that your video interview for {{position_title}} at {{company_name}} is still waiting for you.",
        ),
        "resend" => (
            "Your video interview link for {{position_title}}",
            "here is your link to the video interview for {{position_title}} at {{company_name}} again.",
        ),
        _ => (
            "{{company_name}} invites you to a video interview: {{position_title}}",
            "{{company_name}} invites you to a video interview for the position {{position_title}}. You can take it \
             whenever it suits you, on a computer or a phone.",
        ),
    };
    EmailTemplate {
        subject: subject.to_string(),
        text_body: format!(
            "Hello {{{{candidate_name}}}},\n\n{intro}\n\nStart here: {{{{link}}}}\n\nThe link is valid until \
             {{{{expires_at}}}}.\n\nQuestions? Reply to this e-mail to reach {{{{owner_name}}}}.\n"
        ),
        html_body: format!(
            "<p>Hello {{{{candidate_name}}}},</p>\n<p>{intro}</p>\n<p><a href=\"{{{{link}}}}\">Start your interview</a></p>\n\
             <p>The link is valid until {{{{expires_at}}}}.</p>\n<p>Questions? Reply to this e-mail to reach {{{{owner_name}}}}.</p>\n"
        ),
    }
}

/// Values for the placeholders of one message.
pub struct MailContext<'a> {
    pub candidate_name: &'a str,
    pub position_title: &'a str,
    pub company_name: &'a str,
    pub owner_name: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
    pub time_zone: Option<&'a str>,
}

/// "Friday 4 December 2026, 17:00 CET" in the candidate's zone (UTC when unknown).
pub fn format_expiry(at: DateTime<Utc>, zone: Option<&str>) -> String {
    match zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => at.with_timezone(&tz).format("%A %-d %B %Y, %H:%M %Z").to_string(),
        None => at.format("%A %-d %B %Y, %H:%M UTC").to_string(),
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn fill(template: &str, ctx: &MailContext<'_>, html: bool) -> String {
    let expires = format_expiry(ctx.expires_at, ctx.time_zone);
    let values = [
        ("candidate_name", ctx.candidate_name),
        ("position_title", ctx.position_title),
        ("company_name", ctx.company_name),
        ("owner_name", ctx.owner_name),
        ("link", ctx.link),
        ("expires_at", expires.as_str()),
    ];
    let mut out = template.to_string();
    for (name, value) in values {
        let value = if html { escape_html(value) } else { value.to_string() };
        out = out.replace(&format!("{{{{{name}}}}}"), &value);
    }
    out
}

/// Subject, text and HTML with every placeholder filled in.
pub fn render(t: &EmailTemplate, ctx: &MailContext<'_>) -> (String, String, String) {
    let subject = fill(&t.subject, ctx, false).replace(['\r', '\n'], " ");
    (subject, fill(&t.text_body, ctx, false), fill(&t.html_body, ctx, true))
}

/// Refuses unknown placeholders (a typo would otherwise reach candidates verbatim) and a body
/// without the link.
pub fn validate(t: &EmailTemplate) -> Result<(), AppError> {
    let mut fields = vec![];
    for (field, text) in [
        ("subject", &t.subject),
        ("text_body", &t.text_body),
        ("html_body", &t.html_body),
    ] {
        let mut rest = text.as_str();
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let name = after[..end].trim();
            if !PLACEHOLDERS.contains(&name) {
                fields.push(FieldError {
                    field: field.into(),
                    message: format!(
                        "unknown placeholder {{{{{name}}}}}; use one of {}",
                        PLACEHOLDERS.join(", ")
                    ),
                });
            }
            rest = &after[end + 2..];
        }
    }
    if t.subject.trim().is_empty() || t.subject.len() > 300 {
        fields.push(FieldError {
            field: "subject".into(),
            message: "write a subject (at most 300 characters)".into(),
        });
    }
    for (field, text) in [("text_body", &t.text_body), ("html_body", &t.html_body)] {
        if !text.contains("{{link}}") {
            fields.push(FieldError {
                field: field.into(),
                message: "include {{link}} so the candidate can start".into(),
            });
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation { fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> MailContext<'static> {
        MailContext {
            candidate_name: "Ada <3",
            position_title: "Engineer",
            company_name: "Acme",
            owner_name: "Rita",
            link: "http://x/i/abc",
            expires_at: DateTime::parse_from_rfc3339("2026-12-04T16:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            time_zone: Some("Europe/Paris"),
        }
    }

    #[test]
    fn defaults_render_every_placeholder_and_escape_html() {
        for kind in KINDS {
            let t = default_template(kind);
            validate(&t).unwrap();
            let (subject, text, html) = render(&t, &ctx());
            for out in [&subject, &text, &html] {
                assert!(!out.contains("{{"), "{kind}: {out}");
            }
            assert!(text.contains("http://x/i/abc") && text.contains("Ada <3"));
            assert!(html.contains("Ada &lt;3"));
            assert!(text.contains("Friday 4 December 2026, 17:00 CET"), "{text}");
        }
    }

    #[test]
    fn unknown_placeholders_and_missing_links_are_refused() {
        let mut t = default_template("invitation");
        t.text_body = "Hi {{candiate_name}}".into();
        let AppError::Validation { fields } = validate(&t).unwrap_err() else {
            panic!()
        };
        assert!(
            fields
                .iter()
                .any(|f| f.field == "text_body" && f.message.contains("candiate_name"))
        );
        assert!(
            fields
                .iter()
                .any(|f| f.field == "text_body" && f.message.contains("{{link}}"))
        );
    }
}
