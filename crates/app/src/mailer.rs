//! Outgoing e-mail. Production sends over SMTP (lettre); with no SMTP configured the demo writes
//! each message as an .eml file so a newcomer can still read what would have been sent.

use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
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
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingEmail) -> anyhow::Result<()>;
    fn describe(&self) -> String;
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
    async fn send(&self, mail: &OutgoingEmail) -> anyhow::Result<()> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| anyhow::anyhow!("bad recipient {}: {e}", mail.to))?;
        let domain = self.from.email.domain().to_string();
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(format!("<{}@{}>", mail.dedup_id, domain)))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())?;
        match &self.transport {
            Transport::Smtp(t) => {
                t.send(msg).await?;
            }
            Transport::Files(t, _) => {
                t.send(msg).await?;
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "smtp".to_string(),
            Transport::Files(_, dir) => format!("files in {}", dir.display()),
        }
    }
}
