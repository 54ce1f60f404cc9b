//! Outgoing e-mail. Production sends over SMTP (lettre); with no SMTP configured the demo writes
//! each message as an .eml file so a newcomer can still read what would have been sent.

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One message as the e-mail job stores it: rendered when the business change happens, so a
/// retry sends exactly what was decided then.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// Becomes the Message-ID, so a message sent twice after a crash can be recognised.
    pub dedup_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// Whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused for good (5xx: unknown mailbox, rejected address).
    #[error("rejected: {0}")]
    Permanent(String),
    /// Network trouble, 4xx, a full queue: try later.
    #[error("{0}")]
    Transient(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingEmail) -> Result<(), MailError>;
    fn describe(&self) -> String;

    /// Sends with `List-Unsubscribe: <url>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
    /// (RFC 8058), so mail programs offer a one-click "unsubscribe" for notification e-mails.
    async fn send_with_unsubscribe(&self, mail: &OutgoingEmail, unsubscribe_url: &str) -> Result<(), MailError> {
        let _ = unsubscribe_url;
        self.send(mail).await
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

pub struct LettreMailer {
    from: Mailbox,
    transport: Transport,
}

impl LettreMailer {
    /// `smtp://user:pass@host:port` (add `?tls=required` for STARTTLS) or `smtps://…`.
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not valid: {e}"))?
            .build();
        Ok(Self {
            from: parse_from(from)?,
            transport: Transport::Smtp(transport),
        })
    }

    pub fn files(dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let t = AsyncFileTransport::<Tokio1Executor>::new(&dir);
        Ok(Self {
            from: parse_from(from)?,
            transport: Transport::Files(t, dir),
        })
    }
}

fn parse_from(from: &str) -> anyhow::Result<Mailbox> {
    from.parse()
        .map_err(|e| anyhow::anyhow!("SMTP_FROM '{from}' is not a valid address: {e}"))
}

#[async_trait]
impl Mailer for LettreMailer {
    async fn send(&self, mail: &OutgoingEmail) -> Result<(), MailError> {
        self.deliver(mail, None).await
    }

    async fn send_with_unsubscribe(&self, mail: &OutgoingEmail, unsubscribe_url: &str) -> Result<(), MailError> {
        self.deliver(mail, Some(unsubscribe_url)).await
    }

    fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "smtp".to_string(),
            Transport::Files(_, dir) => format!("files in {}", dir.display()),
        }
    }
}

impl LettreMailer {
    async fn deliver(&self, mail: &OutgoingEmail, unsubscribe: Option<&str>) -> Result<(), MailError> {
        use lettre::message::header::{HeaderName, HeaderValue};
        let bad = |what: &str, e: String| MailError::Permanent(format!("{what}: {e}"));
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| bad("recipient", e.to_string()))?;
        let domain = self.from.email.domain().to_string();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(format!("<{}@{}>", mail.dedup_id, domain)));
        if let Some(r) = &mail.reply_to {
            let r: Mailbox = r
                .parse()
                .map_err(|e: lettre::address::AddressError| bad("reply-to", e.to_string()))?;
            builder = builder.reply_to(r);
        }
        if let Some(url) = unsubscribe {
            let url = url.replace(['\r', '\n'], "");
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let msg = match &mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.text.clone(), html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(mail.text.clone()),
        }
        .map_err(|e| bad("message", e.to_string()))?;
        match &self.transport {
            Transport::Smtp(t) => t.send(msg).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    MailError::Permanent(e.to_string())
                } else {
                    MailError::Transient(e.to_string())
                }
            }),
            Transport::Files(t, _) => t
                .send(msg)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Transient(e.to_string())),
        }
    }
}
