//! `shortlist admin partner …` and `shortlist admin apikey …`: registering partners, reviewing
//! and promoting them, rotating their secrets, and organisation API keys.

use crate::app::App;
use anyhow::bail;
use chrono::{DateTime, TimeDelta, Utc};
use clap::Subcommand;
use shortlist_app::AppError;
use shortlist_app::credentials::Credentials;
use shortlist_app::credentials::admin::NewPartner;

#[derive(Subcommand, Debug)]
pub enum PartnerCommand {
    /// Registers a partner (status sandbox) and prints its key and secret, once.
    Create {
        #[arg(long)]
        name: String,
        /// E-mail or person to contact.
        #[arg(long)]
        contact: String,
        /// Slugs of the organisations the partner may serve (repeat or comma-separate).
        #[arg(long = "org", value_delimiter = ',', required = true)]
        orgs: Vec<String>,
        /// `*`, `read`, `write` or `<resource>:read|write`, space- or comma-separated.
        #[arg(long, default_value = "*")]
        scopes: String,
        /// Requests per second.
        #[arg(long)]
        rate: Option<u32>,
        #[arg(long)]
        burst: Option<u32>,
        /// CIDR ranges the partner may call from (default: any).
        #[arg(long, default_value = "")]
        ip_allow: String,
    },
    List,
    /// Moves a partner to in_review or live (audited).
    Promote {
        id: String,
        #[arg(long, default_value = "live")]
        to: String,
    },
    /// Suspends a partner: its credentials stop working at once (audited).
    Suspend {
        id: String,
    },
    /// Issues a new secret; the old one keeps working for the window.
    Rotate {
        id: String,
        #[arg(long, default_value_t = 24)]
        window_hours: i64,
    },
    /// Sets scopes, rate and IP allow-list (audited).
    Policy {
        id: String,
        #[arg(long)]
        scopes: String,
        #[arg(long)]
        rate: u32,
        #[arg(long)]
        burst: u32,
        #[arg(long, default_value = "")]
        ip_allow: String,
    },
    /// The audit trail of a partner.
    Audit {
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Creates an organisation API key and prints its token, once.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "*")]
        scopes: String,
        /// RFC 3339 time after which the key stops working.
        #[arg(long)]
        expires_at: Option<DateTime<Utc>>,
    },
    List {
        #[arg(long)]
        org: String,
    },
    Revoke {
        #[arg(long)]
        org: String,
        id: String,
    },
    /// Issues a new token; the old one keeps working for the window.
    Rotate {
        #[arg(long)]
        org: String,
        id: String,
        #[arg(long, default_value_t = 24)]
        window_hours: i64,
    },
}

fn app_err(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation { fields } => anyhow::anyhow!(
            fields
                .iter()
                .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        AppError::NotFound => anyhow::anyhow!("not found"),
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn partner(app: &App, cmd: PartnerCommand) -> anyhow::Result<()> {
    let c = &app.credentials;
    match cmd {
        PartnerCommand::Create {
            name,
            contact,
            orgs: slugs,
            scopes,
            rate,
            burst,
            ip_allow,
        } => {
            let mut orgs = Vec::new();
            for s in &slugs {
                orgs.push(crate::admin::org_by_slug(app, s.trim()).await?);
            }
            let issued = c
                .create_partner(NewPartner {
                    name: &name,
                    contact: &contact,
                    orgs,
                    scopes: Some(&scopes),
                    rate_per_sec: rate,
                    burst,
                    ip_allow: Some(&ip_allow),
                })
                .await
                .map_err(app_err)?;
            let p = issued.partner;
            println!("created partner {} ({}) status={}", p.name, p.id, p.status);
            println!("partner key: {}", p.partner_key);
            println!("partner secret (shown once): {}", issued.secret);
        }
        PartnerCommand::List => {
            for p in c.partners().await.map_err(app_err)? {
                println!(
                    "{}\t{}\t{}\tscopes={}\trate={}/s burst={}\tip_allow={}\torgs={}",
                    p.id,
                    p.status,
                    p.name,
                    p.scopes,
                    p.rate_per_sec,
                    p.rate_burst,
                    if p.ip_allow.is_empty() { "any" } else { &p.ip_allow },
                    p.orgs.join(",")
                );
            }
        }
        PartnerCommand::Promote { id, to } => {
            if to != "in_review" && to != "live" {
                bail!("--to: in_review or live");
            }
            let from = c.set_partner_status(&id, &to, "admin-cli").await.map_err(app_err)?;
            println!("partner {id}: {from} -> {to}");
        }
        PartnerCommand::Suspend { id } => {
            let from = c
                .set_partner_status(&id, "suspended", "admin-cli")
                .await
                .map_err(app_err)?;
            println!("partner {id}: {from} -> suspended");
        }
        PartnerCommand::Rotate { id, window_hours } => {
            let secret = c
                .rotate_partner(&id, TimeDelta::hours(window_hours.clamp(0, 24 * 30)), "admin-cli")
                .await
                .map_err(app_err)?;
            println!("new partner secret (shown once): {secret}");
            println!("the previous secret keeps working for {window_hours} h");
        }
        PartnerCommand::Policy {
            id,
            scopes,
            rate,
            burst,
            ip_allow,
        } => {
            c.set_partner_policy(&id, &scopes, rate, burst, &ip_allow)
                .await
                .map_err(app_err)?;
            println!("partner {id}: policy updated");
        }
        PartnerCommand::Audit { id } => {
            for a in c.partner_audit(&id).await.map_err(app_err)? {
                println!(
                    "{}\t{}\t{}\t{} -> {}\t{}",
                    a.at.to_rfc3339(),
                    a.actor,
                    a.action,
                    a.from_status.unwrap_or_default(),
                    a.to_status.unwrap_or_default(),
                    a.detail
                );
            }
        }
    }
    Ok(())
}

pub async fn apikey(app: &App, cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let c = &app.credentials;
    match cmd {
        ApiKeyCommand::Create {
            org,
            name,
            scopes,
            expires_at,
        } => {
            let who = Credentials::operator(&crate::admin::org_by_slug(app, &org).await?);
            let k = c
                .create_api_key(&who, false, &name, &scopes, expires_at)
                .await
                .map_err(app_err)?;
            println!("created API key {} ({}) scopes={}", k.key.name, k.key.id, k.key.scopes);
            println!("token (shown once): {}", k.token);
        }
        ApiKeyCommand::List { org } => {
            let who = Credentials::operator(&crate::admin::org_by_slug(app, &org).await?);
            for k in c.api_keys(&who).await.map_err(app_err)? {
                let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}\tscopes={}\tlast_used={}",
                    k.id,
                    k.kind,
                    state,
                    k.name,
                    k.scopes,
                    k.last_used_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "never".into())
                );
            }
        }
        ApiKeyCommand::Revoke { org, id } => {
            let who = Credentials::operator(&crate::admin::org_by_slug(app, &org).await?);
            c.revoke_api_key(&who, &id).await.map_err(app_err)?;
            println!("API key {id} revoked");
        }
        ApiKeyCommand::Rotate { org, id, window_hours } => {
            let who = Credentials::operator(&crate::admin::org_by_slug(app, &org).await?);
            let k = c
                .rotate_api_key(&who, &id, TimeDelta::hours(window_hours.clamp(0, 24 * 30)))
                .await
                .map_err(app_err)?;
            println!("new token (shown once): {}", k.token);
        }
    }
    Ok(())
}
