//! `shortlist admin workable create|rotate-token|show|parked|retry-writeback`: connect an
//! organisation to Workable and print the base URL and our token to give Workable (the token is
//! shown only then).

use crate::App;
use anyhow::Context;
use clap::{Args, Subcommand};
use shortlist_domain::{Email, UserId};

#[derive(Subcommand, Debug)]
pub enum WorkableCommand {
    /// Connect an organisation: keeps Workable's token, issues ours.
    Create(CreateArgs),
    /// Issue a new token (and base URL); the old ones stop working at once.
    RotateToken(OrgArgs),
    /// The connection and the base URL to give Workable.
    Show(OrgArgs),
    /// Write-backs an ATS refused, with its message (all organisations unless --org).
    Parked(crate::admin_writeback::ParkedArgs),
    /// Send an invitation's parked write-backs again.
    RetryWriteback(crate::admin_writeback::RetryArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The organisation's slug.
    #[arg(long)]
    pub org: String,
    /// E-mail of the user orders from Workable act as (owner of the positions they create).
    #[arg(long)]
    pub observer: String,
    /// The token Workable generated for the integration (we present it on result callbacks).
    #[arg(long, env = "WORKABLE_TOKEN")]
    pub workable_token: String,
    /// The customer's Workable subdomain (shown in settings).
    #[arg(long)]
    pub subdomain: Option<String>,
    /// Requests to Workable per UTC day.
    #[arg(long)]
    pub daily_budget: Option<i64>,
}

#[derive(Args, Debug)]
pub struct OrgArgs {
    /// The organisation's slug.
    #[arg(long)]
    pub org: String,
}

fn base_url(app: &App, account: &str) -> String {
    format!("{}/connectors/workable/{account}", app.recruiting.links.public_url())
}

pub async fn run(app: &App, c: WorkableCommand) -> anyhow::Result<()> {
    match c {
        WorkableCommand::Create(a) => {
            let org = crate::admin::org_by_slug(app, &a.org).await?;
            let email = Email::parse(a.observer.trim()).map_err(|e| anyhow::anyhow!("--observer: {}", e.0))?;
            let user = shortlist_store::users::find_by_email(&app.db, &org, &email)
                .await?
                .with_context(|| format!("no user {} in '{}'", a.observer, a.org))?;
            let observer = UserId::parse(&user.id).map_err(|e| anyhow::anyhow!("{}", e.0))?;
            let (conn, token) = app
                .workable
                .connect(&org, &observer, &a.workable_token, a.subdomain, a.daily_budget)
                .await
                .map_err(crate::admin::app_err)?;
            crate::admin::warn_default_public_url();
            println!("connected: {}", conn.id);
            println!("give Workable these (the token is shown only now):");
            println!(
                "  base URL  {}",
                base_url(app, conn.inbound_user.as_deref().unwrap_or_default())
            );
            println!("  token     {token}");
        }
        WorkableCommand::RotateToken(a) => {
            let org = crate::admin::org_by_slug(app, &a.org).await?;
            let (conn, token) = app.workable.rotate_token(&org).await.map_err(crate::admin::app_err)?;
            println!("new base URL and token (shown only now; the old ones no longer work):");
            println!(
                "  base URL  {}",
                base_url(app, conn.inbound_user.as_deref().unwrap_or_default())
            );
            println!("  token     {token}");
        }
        WorkableCommand::Show(a) => {
            let org = crate::admin::org_by_slug(app, &a.org).await?;
            let conn = app
                .workable
                .connection_for_org(&org)
                .await
                .map_err(crate::admin::app_err)?
                .with_context(|| format!("organisation '{}' has no Workable connection", a.org))?;
            println!("connection {} (daily budget {})", conn.id, conn.daily_budget);
            println!(
                "  base URL  {}",
                base_url(app, conn.inbound_user.as_deref().unwrap_or_default())
            );
        }
        WorkableCommand::Parked(a) => crate::admin_writeback::parked(app, a).await?,
        WorkableCommand::RetryWriteback(a) => crate::admin_writeback::retry(app, a).await?,
    }
    Ok(())
}
