//! `shortlist admin greenhouse create|rotate-key|show|parked|retry-writeback`: connect an organisation to Greenhouse and
//! print the key and the four URLs to give Greenhouse (the key is shown only then).

use crate::App;
use anyhow::Context;
use clap::{Args, Subcommand};
use shortlist_domain::{Email, UserId};

#[derive(Subcommand, Debug)]
pub enum GreenhouseCommand {
    /// Connect an organisation: issues its key.
    Create(CreateArgs),
    /// Issue a new key; the old one stops working at once.
    RotateKey(OrgArgs),
    /// The connection and the URLs to give Greenhouse.
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
    /// E-mail of the user orders from Greenhouse act as (owner of the positions they create).
    #[arg(long)]
    pub observer: String,
    /// Requests to Greenhouse per UTC day.
    #[arg(long)]
    pub daily_budget: Option<i64>,
}

#[derive(Args, Debug)]
pub struct OrgArgs {
    /// The organisation's slug.
    #[arg(long)]
    pub org: String,
}

fn print_urls(app: &App) {
    let base = format!("{}/connectors/greenhouse", app.recruiting.links.public_url());
    for call in ["list_tests", "send_test", "test_status", "response_error"] {
        println!("  {call:<15} {base}/{call}");
    }
}

pub async fn run(app: &App, c: GreenhouseCommand) -> anyhow::Result<()> {
    match c {
        GreenhouseCommand::Create(a) => {
            let org = crate::admin::org_by_slug(app, &a.org).await?;
            let email = Email::parse(a.observer.trim()).map_err(|e| anyhow::anyhow!("--observer: {}", e.0))?;
            let user = shortlist_store::users::find_by_email(&app.db, &org, &email)
                .await?
                .with_context(|| format!("no user {} in '{}'", a.observer, a.org))?;
            let observer = UserId::parse(&user.id).map_err(|e| anyhow::anyhow!("{}", e.0))?;
            let (conn, key) = app
                .greenhouse
                .connect(&org, &observer, a.daily_budget)
                .await
                .map_err(crate::admin::app_err)?;
            crate::admin::warn_default_public_url();
            println!("connected: {}", conn.id);
            println!("give Greenhouse this key (shown only now; HTTP Basic user name, empty password):");
            println!("  key             {key}");
            print_urls(app);
        }
        GreenhouseCommand::RotateKey(a) => {
            let org = crate::admin::org_by_slug(app, &a.org).await?;
            let key = app.greenhouse.rotate_key(&org).await.map_err(crate::admin::app_err)?;
            println!("new key (shown only now; the old one no longer works):");
            println!("  key             {key}");
        }
        GreenhouseCommand::Show(a) => {
            let org = crate::admin::org_by_slug(app, &a.org).await?;
            let conn = app
                .greenhouse
                .connection_for_org(&org)
                .await
                .map_err(crate::admin::app_err)?
                .with_context(|| format!("organisation '{}' has no Greenhouse connection", a.org))?;
            println!("connection {} (daily budget {})", conn.id, conn.daily_budget);
            print_urls(app);
        }
        GreenhouseCommand::Parked(a) => crate::admin_writeback::parked(app, a).await?,
        GreenhouseCommand::RetryWriteback(a) => crate::admin_writeback::retry(app, a).await?,
    }
    Ok(())
}
