//! `shortlist admin …`: operator commands that work directly on the database.

use crate::app::App;
use anyhow::{Context, bail};
use clap::Subcommand;
use shortlist_app::jobs::{DiagMarker, diag_marker_prefix};
use shortlist_domain::{JobId, Role};
use shortlist_store::jobs::{self, Enqueued, NewJob};
use shortlist_store::orgs;
use std::time::{Duration, Instant};

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// User accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Background jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// iCIMS connections: create, show, list, set-triggers, rotate-inbound, test.
    #[command(subcommand)]
    Icims(crate::admin_icims::IcimsCommand),
    /// Greenhouse connections: create (issues the key), rotate-key, show, parked, retry-writeback.
    #[command(subcommand)]
    Greenhouse(crate::admin_greenhouse::GreenhouseCommand),
    /// Workable connections: create, rotate-token, show, parked, retry-writeback.
    #[command(subcommand)]
    Workable(crate::admin_workable::WorkableCommand),
    /// Partners of the partner API: register, review, promote, suspend, rotate.
    #[command(subcommand)]
    Partner(crate::admin_partner::PartnerCommand),
    /// Organisation API keys.
    #[command(subcommand)]
    Apikey(crate::admin_partner::ApiKeyCommand),
    /// Enqueue a diagnostic job and wait until a worker has run it (checks workers and storage).
    Selftest {
        #[arg(long, default_value_t = 30)]
        timeout_secs: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    Create {
        #[arg(long)]
        name: String,
        /// Defaults to one derived from the name.
        #[arg(long)]
        slug: Option<String>,
        /// A sandbox organisation (for partners under test).
        #[arg(long)]
        sandbox: bool,
    },
    List,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    Create {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, recruiter or reviewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password from the SHORTLIST_NEW_PASSWORD variable instead of generating one.
        #[arg(long, env = "SHORTLIST_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    List {
        #[arg(long)]
        org: String,
    },
    /// Sets a new generated password, signs the user out everywhere and prints the password.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// Jobs that used up their attempts, with their last error.
    Dead {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put a dead job back in the queue with a fresh attempt budget.
    Retry { id: String },
    /// Number of jobs per state.
    Stats,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.0)
}

/// A use case's refusal in the words of the command line (`--field: message`).
pub(crate) fn app_err(e: shortlist_app::AppError) -> anyhow::Error {
    match e {
        shortlist_app::AppError::Validation { fields } => {
            anyhow::anyhow!(
                fields
                    .iter()
                    .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
        shortlist_app::AppError::NotFound => anyhow::anyhow!("not found"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The organisation a command names by its slug.
pub(crate) async fn org_by_slug(app: &App, slug: &str) -> anyhow::Result<shortlist_domain::OrgId> {
    let org = orgs::find_by_slug(&app.db, slug)
        .await?
        .with_context(|| format!("no organisation with slug '{slug}'"))?;
    Ok(org.org_id()?)
}

pub async fn run(app: &App, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::Org(OrgCommand::Create { name, slug, sandbox }) => {
            let org = app
                .accounts
                .create_org(&name, slug.as_deref(), sandbox)
                .await
                .map_err(app_err)?;
            println!("created organisation {} ({}) slug={}", org.name, org.id, org.slug);
        }
        AdminCommand::Org(OrgCommand::List) => {
            for o in orgs::list(&app.db).await? {
                println!(
                    "{}\t{}\t{}{}",
                    o.slug,
                    o.id,
                    o.name,
                    if o.is_sandbox { "\t(sandbox)" } else { "" }
                );
            }
        }
        AdminCommand::User(UserCommand::Create {
            org,
            email,
            name,
            role,
            password,
        }) => {
            let org_id = org_by_slug(app, &org).await?;
            let (id, generated) = app
                .accounts
                .create_user(&org_id, &email, &name, role, password.as_deref())
                .await
                .map_err(app_err)?;
            println!("created user {id} <{}> as {role}", email.trim().to_lowercase());
            if let Some(p) = generated {
                println!("password: {p}");
            }
        }
        AdminCommand::User(UserCommand::List { org }) => {
            let org_id = org_by_slug(app, &org).await?;
            for u in shortlist_store::users::list(&app.db, &org_id).await? {
                println!("{}\t{}\t{}\t{}", u.email, u.role, u.name, u.id);
            }
        }
        AdminCommand::User(UserCommand::ResetPassword { email }) => {
            let p = match app.accounts.reset_password(&email).await {
                Err(shortlist_app::AppError::NotFound) => bail!("no user with e-mail {}", email.trim().to_lowercase()),
                other => other.map_err(app_err)?,
            };
            println!("new password for {}: {p}", email.trim().to_lowercase());
        }
        AdminCommand::Jobs(JobsCommand::Dead { limit }) => {
            let dead = jobs::list_by_state(&app.db, "dead", limit).await?;
            if dead.is_empty() {
                println!("no dead jobs");
            }
            for j in dead {
                println!(
                    "{}\t{}\tattempts={}\tfailed_at={}\t{}",
                    j.id,
                    j.kind,
                    j.attempts,
                    j.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    j.last_error.unwrap_or_default()
                );
            }
        }
        AdminCommand::Jobs(JobsCommand::Retry { id }) => {
            let id = JobId::parse(&id).map_err(|e| anyhow::anyhow!("{e}"))?;
            if !jobs::retry_dead(&app.db, &id, shortlist_store::now()).await? {
                bail!("job {id} is not dead (or does not exist)");
            }
            println!("job {id} queued again");
        }
        AdminCommand::Jobs(JobsCommand::Stats) => {
            for (state, n) in jobs::counts(&app.db).await? {
                println!("{state}\t{n}");
            }
        }
        AdminCommand::Partner(c) => crate::admin_partner::partner(app, c).await?,
        AdminCommand::Apikey(c) => crate::admin_partner::apikey(app, c).await?,
        AdminCommand::Icims(c) => crate::admin_icims::run(app, c).await?,
        AdminCommand::Greenhouse(c) => crate::admin_greenhouse::run(app, c).await?,
        AdminCommand::Workable(c) => crate::admin_workable::run(app, c).await?,
        AdminCommand::Selftest { timeout_secs } => selftest(app, Duration::from_secs(timeout_secs)).await?,
    }
    Ok(())
}

/// Proves that some worker (in any process on this database) runs jobs and can write media.
async fn selftest(app: &App, timeout: Duration) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    let id = match jobs::enqueue(
        &mut tx,
        &NewJob::new(DiagMarker::KIND, serde_json::json!({"selftest": true})).max_attempts(3),
    )
    .await?
    {
        Enqueued::Created(id) => id,
        Enqueued::Duplicate => bail!("could not enqueue the diagnostic job"),
    };
    tx.commit().await?;
    println!("enqueued diagnostic job {id}; waiting for a worker…");
    let started = Instant::now();
    loop {
        let job = jobs::get(&app.db, &id).await?.context("diagnostic job vanished")?;
        match job.state.as_str() {
            "done" => {
                let markers = app.media.list(&diag_marker_prefix(id.as_str())).await?;
                println!(
                    "ok: a worker ran the job in {:.1} s and wrote {} marker(s) to {}",
                    started.elapsed().as_secs_f64(),
                    markers.len(),
                    app.media.describe()
                );
                return Ok(());
            }
            "dead" => bail!("the diagnostic job failed: {}", job.last_error.unwrap_or_default()),
            _ if started.elapsed() > timeout => {
                bail!(
                    "no worker ran the job within {} s: is a `shortlist serve` (without --no-worker) running on this database?",
                    timeout.as_secs()
                )
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// URLs printed for an ATS come from SHORTLIST_PUBLIC_URL (or SHORTLIST_LISTEN); an admin command
/// cannot see the flags the server was started with, so say when it is guessing.
pub fn warn_default_public_url() {
    if std::env::var_os("SHORTLIST_PUBLIC_URL").is_none() {
        eprintln!(
            "note: SHORTLIST_PUBLIC_URL is not set, so the URLs below assume this server is reached at http://{}; \
             set SHORTLIST_PUBLIC_URL to the address the ATS reaches and run the command again if that is wrong",
            std::env::var("SHORTLIST_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into())
        );
    }
}
