//! `shortlist admin icims …`: connect an organisation to iCIMS, show it, change its trigger
//! statuses, rotate the credentials iCIMS uses to call us, and test the connection.

use crate::app::App;
use anyhow::{Context, bail};
use clap::Subcommand;
use shortlist_app::connectors::icims::{Connection, NewConnectionInput, StatusValues};
use shortlist_domain::Email;

#[derive(Subcommand, Debug)]
pub enum IcimsCommand {
    /// Connect an organisation; prints the credentials iCIMS must use to call us (shown once).
    Create(Box<CreateArgs>),
    /// The organisation's connection and what to give iCIMS.
    Show {
        #[arg(long)]
        org: String,
    },
    /// All connections.
    List,
    /// Replace the workflow status ids that invite (and the optional resend status).
    SetTriggers {
        #[arg(long)]
        org: String,
        /// A status id that invites (repeat for several), e.g. C38356.
        #[arg(long = "trigger-status", required = true)]
        trigger_statuses: Vec<String>,
        #[arg(long)]
        resend_status: Option<String>,
    },
    /// New inbound credentials; the old ones stop working at once.
    RotateInbound {
        #[arg(long)]
        org: String,
        /// Switch between basic and oauth at the same time.
        #[arg(long)]
        inbound_auth: Option<String>,
    },
    /// Write-backs iCIMS refused (4xx), with its message; they wait for `retry-writeback`.
    Parked(crate::admin_writeback::ParkedArgs),
    /// Send a parked write-back again, once the cause is fixed in iCIMS.
    RetryWriteback(crate::admin_writeback::RetryArgs),
    /// Read one job from iCIMS with the stored credentials and say what is wrong, if anything.
    Test {
        #[arg(long)]
        org: String,
        #[arg(long)]
        job_id: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Organisation slug.
    #[arg(long)]
    org: String,
    #[arg(long)]
    customer_id: String,
    /// us (api.icims.com) or eu (api-eu.icims.com).
    #[arg(long, default_value = "us")]
    region: String,
    /// Only for simulators and tests: call this instead of the region's host.
    #[arg(long)]
    api_base_url: Option<String>,
    /// How we call iCIMS: basic or oauth.
    #[arg(long, default_value = "basic")]
    outbound_auth: String,
    /// Basic user name or OAuth client id for calls to iCIMS.
    #[arg(long)]
    outbound_user: String,
    /// Its password or client secret (kept encrypted).
    #[arg(long, env = "SHORTLIST_ICIMS_OUTBOUND_SECRET", hide_env_values = true)]
    outbound_secret: String,
    /// OAuth token URL (oauth only).
    #[arg(long)]
    outbound_token_url: Option<String>,
    /// How iCIMS calls us: basic, or oauth against our token endpoint.
    #[arg(long, default_value = "basic")]
    inbound_auth: String,
    /// A workflow status id that invites (repeat for several).
    #[arg(long = "trigger-status")]
    trigger_statuses: Vec<String>,
    #[arg(long)]
    resend_status: Option<String>,
    /// iCIMS list values written back as the assessment status.
    #[arg(long, default_value = "Sent")]
    status_sent: String,
    #[arg(long, default_value = "In Progress")]
    status_in_progress: String,
    #[arg(long, default_value = "Complete")]
    status_complete: String,
    #[arg(long)]
    status_expired: Option<String>,
    #[arg(long)]
    status_cancelled: Option<String>,
    /// E-mail of the user who owns positions created from iCIMS jobs.
    #[arg(long)]
    observer: String,
    /// Only accept events from these addresses or CIDR ranges (repeat for several).
    #[arg(long = "allow-caller")]
    allow_callers: Vec<String>,
    #[arg(long)]
    daily_budget: Option<i64>,
}

fn app_err(e: shortlist_app::AppError) -> anyhow::Error {
    match e {
        shortlist_app::AppError::Validation { fields } => anyhow::anyhow!(
            fields
                .iter()
                .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        shortlist_app::AppError::NotFound => anyhow::anyhow!("the organisation has no iCIMS connection"),
        other => anyhow::anyhow!("{other}"),
    }
}

async fn connection(app: &App, slug: &str) -> anyhow::Result<Connection> {
    let org = crate::admin::org_by_slug(app, slug).await?;
    app.icims
        .connection_for_org(&org)
        .await
        .map_err(app_err)?
        .with_context(|| format!("organisation '{slug}' has no iCIMS connection"))
}

fn endpoint(app: &App) -> String {
    format!("{}/connectors/icims/events", app.recruiting.links.public_url())
}

fn print_inbound(app: &App, kind: &str, user: &str, secret: &str) {
    crate::admin::warn_default_public_url();
    println!("give iCIMS these (the secret is shown only now):");
    println!("  endpoint URL:  {}", endpoint(app));
    match kind {
        "oauth" => {
            println!("  auth:          OAuth 2.0 client credentials");
            println!(
                "  token URL:     {}/connectors/icims/oauth/token",
                app.recruiting.links.public_url()
            );
            println!("  client id:     {user}");
            println!("  client secret: {secret}");
        }
        _ => {
            println!("  auth:          Basic");
            println!("  user:          {user}");
            println!("  password:      {secret}");
        }
    }
}

fn describe(c: &Connection) -> String {
    format!(
        "{}\torg={}\tcustomer={}\tregion={}\tapi={}\toutbound={} ({})\tinbound={} ({})\ttriggers={}\tresend={}",
        c.id,
        c.org_id,
        c.customer_id,
        c.region,
        c.api_base(),
        c.outbound_auth_kind,
        c.outbound_user,
        c.inbound_auth_kind,
        c.inbound_user,
        c.trigger_statuses.join(","),
        c.resend_status.as_deref().unwrap_or("-"),
    )
}

pub async fn run(app: &App, cmd: IcimsCommand) -> anyhow::Result<()> {
    match cmd {
        IcimsCommand::Create(a) => {
            let a = *a;
            let org = crate::admin::org_by_slug(app, &a.org).await?;
            let email = Email::parse(&a.observer).map_err(|e| anyhow::anyhow!("--observer: {e}"))?;
            let observer = shortlist_store::users::find_by_email(&app.db, &org, &email)
                .await?
                .with_context(|| format!("--observer: no user {email} in '{}'", a.org))?;
            let input = NewConnectionInput {
                customer_id: a.customer_id,
                region: a.region,
                api_base_url: a.api_base_url,
                outbound_auth_kind: a.outbound_auth,
                outbound_user: a.outbound_user,
                outbound_secret: a.outbound_secret,
                outbound_token_url: a.outbound_token_url,
                inbound_auth_kind: a.inbound_auth,
                trigger_statuses: a.trigger_statuses,
                resend_status: a.resend_status,
                status_values: StatusValues {
                    sent: a.status_sent,
                    in_progress: a.status_in_progress,
                    complete: a.status_complete,
                    expired: a.status_expired,
                    cancelled: a.status_cancelled,
                },
                observer_user_id: shortlist_domain::UserId::parse(&observer.id)?,
                caller_allowlist: (!a.allow_callers.is_empty()).then_some(a.allow_callers),
                daily_budget: a.daily_budget,
            };
            let (conn, creds) = app.icims.create_connection(&org, &input).await.map_err(app_err)?;
            println!("created iCIMS connection {} for customer {}", conn.id, conn.customer_id);
            print_inbound(app, &creds.kind, &creds.user, &creds.secret);
        }
        IcimsCommand::Show { org } => {
            let c = connection(app, &org).await?;
            println!("{}", describe(&c));
            println!("endpoint URL: {}", endpoint(app));
            let oid = crate::admin::org_by_slug(app, &org).await?;
            let keys: Vec<String> = shortlist_store::templates::list(&app.db, &oid, false)
                .await?
                .into_iter()
                .map(|t| t.key)
                .collect();
            println!(
                "packages to load into iCIMS (Assessment Type list labels): {}",
                keys.join(", ")
            );
        }
        IcimsCommand::List => {
            for c in app.icims.connections().await.map_err(app_err)? {
                println!("{}", describe(&c));
            }
        }
        IcimsCommand::SetTriggers {
            org,
            trigger_statuses,
            resend_status,
        } => {
            let oid = crate::admin::org_by_slug(app, &org).await?;
            app.icims
                .set_triggers(&oid, &trigger_statuses, resend_status.as_deref())
                .await
                .map_err(app_err)?;
            println!("trigger statuses: {}", trigger_statuses.join(", "));
        }
        IcimsCommand::RotateInbound { org, inbound_auth } => {
            let oid = crate::admin::org_by_slug(app, &org).await?;
            let creds = app
                .icims
                .rotate_inbound(&oid, inbound_auth.as_deref())
                .await
                .map_err(app_err)?;
            print_inbound(app, &creds.kind, &creds.user, &creds.secret);
        }
        IcimsCommand::Parked(a) => crate::admin_writeback::parked(app, a).await?,
        IcimsCommand::RetryWriteback(a) => crate::admin_writeback::retry(app, a).await?,
        IcimsCommand::Test { org, job_id } => {
            let c = connection(app, &org).await?;
            let r = app.icims.test_connection(&c, &job_id).await.map_err(app_err)?;
            if !r.ok {
                bail!("GET {}: {}", r.url, r.message);
            }
            println!("ok: GET {}: {}", r.url, r.message);
        }
    }
    Ok(())
}
