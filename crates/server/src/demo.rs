//! `shortlist demo`: a demo organisation, an admin account and sample content, created once and
//! reused on later runs, so a newcomer can click through the whole loop.

use crate::app::App;
use crate::config::CommonArgs;
use crate::serve::write_private;
use shortlist_app::recruiting::Actor;
use shortlist_app::recruiting::positions::NewPosition;
use shortlist_domain::template::TemplateSpec;
use shortlist_domain::{Email, Role, TemplateId, UserId};

const SAMPLE_KEY: &str = "sample-interview";

/// Creates the demo organisation and admin on first run; later runs reuse them. The generated
/// password is kept (owner-only file) in the data folder so it can be printed again.
pub async fn seed_demo(common: &CommonArgs, app: &App) -> anyhow::Result<(String, String)> {
    let email = "admin@demo.shortlist.localhost".to_string();
    let cred_file = common.data_dir.join("demo-credentials.txt");
    let org_id = match shortlist_store::orgs::find_by_slug(&app.db, "demo").await? {
        Some(org) => org.org_id()?,
        None => app
            .accounts
            .create_org("Demo Company", Some("demo"), true)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .org_id()?,
    };
    // Checked separately from the organisation so a run interrupted between the two steps is
    // completed by the next one.
    let known = Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
    if shortlist_store::users::find_by_email(&app.db, &org_id, &known)
        .await?
        .is_none()
    {
        let (_, password) = app
            .accounts
            .create_user(&org_id, &email, "Demo Admin", Role::Admin, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        write_private(&cred_file, &format!("{email}\n{}\n", password.unwrap_or_default()))?;
    }
    seed_sample_content(app, &org_id, &known).await?;
    let saved = std::fs::read_to_string(&cred_file).unwrap_or_default();
    let password = saved
        .lines()
        .nth(1)
        .unwrap_or("(see `shortlist admin user reset-password`)")
        .to_string();
    Ok((email, password))
}

/// A template with a question of each common kind and a position that uses it.
async fn seed_sample_content(app: &App, org: &shortlist_domain::OrgId, admin: &Email) -> anyhow::Result<()> {
    if shortlist_store::templates::find_by_key(&app.db, org, SAMPLE_KEY)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let Some(user) = shortlist_store::users::find_by_email(&app.db, org, admin).await? else {
        return Ok(());
    };
    let who = Actor {
        org_id: org.clone(),
        user_id: Some(UserId::parse(&user.id)?),
        role: Role::Admin,
        label: user.id.clone(),
    };
    let spec: TemplateSpec = serde_json::from_value(serde_json::json!({
        "name": "Sample interview",
        "description": "Three short questions to see how Shortlist works.",
        "closing_message": "Thank you! We will be in touch soon.",
        "practice_question": { "id": "practice", "kind": "video", "prompt": "Say hello to check your camera and microphone.",
                               "think_time_secs": 5, "answer_time_secs": 30, "retakes": 3 },
        "questions": [
            { "id": "intro", "kind": "video", "prompt": "Tell us about yourself and why this role interests you.",
              "think_time_secs": 30, "answer_time_secs": 120, "retakes": 1 },
            { "id": "situation", "kind": "text", "prompt": "Describe a time you turned an unhappy customer around." },
            { "id": "tools", "kind": "multiple_choice", "prompt": "Which tools have you used?", "multiple": true,
              "choices": [ { "id": "crm", "label": "A CRM", "correct": true },
                           { "id": "helpdesk", "label": "A help desk", "correct": true },
                           { "id": "none", "label": "None of these" } ] }
        ]
    }))?;
    let err = |e: shortlist_app::AppError| anyhow::anyhow!("seeding sample content: {e}");
    let template = app
        .recruiting
        .create_template(&who, SAMPLE_KEY, spec)
        .await
        .map_err(err)?;
    let position = NewPosition {
        title: "Customer Success Manager".into(),
        owner: None,
        template_ids: vec![TemplateId::parse(&template.id)?],
        external_refs: vec![],
    };
    app.recruiting.create_position(&who, position).await.map_err(err)?;
    Ok(())
}

/// `shortlist demo` flags: the server's, plus the iCIMS simulator started beside it.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: crate::config::ServeArgs,
    /// Port of the iCIMS simulator started on 127.0.0.1 beside the demo.
    #[arg(long, default_value_t = 8090)]
    pub sim_port: u16,
    /// Port of the Greenhouse simulator started on 127.0.0.1 beside the demo.
    #[arg(long, default_value_t = 8091)]
    pub greenhouse_sim_port: u16,
    /// Port of the Workable simulator started on 127.0.0.1 beside the demo.
    #[arg(long, default_value_t = 8092)]
    pub workable_sim_port: u16,
    /// Do not start the ATS simulators.
    #[arg(long)]
    pub no_sim: bool,
}

const SIM_CUSTOMER: &str = "1234";
const SIM_API_USER: &str = "shortlist-demo";
/// The simulator's "Video Interview" workflow status.
pub const SIM_TRIGGER: &str = "C38356";
const SIM_RESEND: &str = "C38357";

/// Secrets of the demo's iCIMS connection, kept owner-only beside `demo-credentials.txt`: the
/// server stores only a hash of the inbound one, and the simulator forgets everything on exit, so
/// re-runs need them from here.
#[derive(Default)]
struct SimSecrets {
    outbound: String,
    inbound_user: String,
    inbound_secret: String,
}

impl SimSecrets {
    fn load(path: &std::path::Path) -> SimSecrets {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .unwrap_or_default()
                .to_string()
        };
        SimSecrets {
            outbound: get("outbound_password"),
            inbound_user: get("inbound_user"),
            inbound_secret: get("inbound_password"),
        }
    }

    fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        write_private(
            path,
            &format!(
                "outbound_password={}\ninbound_user={}\ninbound_password={}\n",
                self.outbound, self.inbound_user, self.inbound_secret
            ),
        )
    }
}

/// Starts the iCIMS simulator on 127.0.0.1:`port`, connects the demo organisation to it (once;
/// later runs reuse the connection and its saved secrets), seeds a job asking for the sample
/// template with three applicants when the simulator's state (`<data-dir>/sim/icims.json`) is new,
/// and returns the simulator's page URL.
pub async fn start_icims_sim(common: &CommonArgs, app: &App, port: u16) -> anyhow::Result<String> {
    use shortlist_app::connectors::icims::{NewConnectionInput, StatusValues};
    use sim::icims::{Auth, EventTarget, SimConfig, Simulator};
    let path = common.data_dir.join("demo-icims-credentials.txt");
    let mut secrets = SimSecrets::load(&path);
    if secrets.outbound.is_empty() {
        // Saved before the connection exists so an interrupted run cannot lose it.
        secrets.outbound = shortlist_app::tokens::generate("sim");
        secrets.save(&path)?;
    }
    // The simulator keeps its state beside the database, so after a restart it still shows who
    // was invited (the database remembers the invitations either way).
    let sim = Simulator::start_with_state(
        &format!("127.0.0.1:{port}"),
        SimConfig {
            customer_id: SIM_CUSTOMER.into(),
            api_auth: Auth::Basic {
                user: SIM_API_USER.into(),
                password: secrets.outbound.clone(),
            },
        },
        &common.data_dir.join("sim").join("icims.json"),
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the iCIMS simulator on port {port} (--sim-port, --no-sim): {e}"))?;
    let org = shortlist_store::orgs::find_by_slug(&app.db, "demo")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo organisation is missing"))?
        .org_id()?;
    let err = |e: shortlist_app::AppError| anyhow::anyhow!("demo iCIMS connection: {e}");
    match app.icims.connection_for_org(&org).await.map_err(err)? {
        None => {
            let admin = Email::parse("admin@demo.shortlist.localhost").map_err(|e| anyhow::anyhow!("{e}"))?;
            let observer = shortlist_store::users::find_by_email(&app.db, &org, &admin)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the demo admin is missing"))?;
            let input = NewConnectionInput {
                customer_id: SIM_CUSTOMER.into(),
                region: "us".into(),
                api_base_url: Some(sim.base_url()),
                outbound_auth_kind: "basic".into(),
                outbound_user: SIM_API_USER.into(),
                outbound_secret: secrets.outbound.clone(),
                outbound_token_url: None,
                inbound_auth_kind: "basic".into(),
                trigger_statuses: vec![SIM_TRIGGER.into()],
                resend_status: Some(SIM_RESEND.into()),
                status_values: StatusValues {
                    sent: "Sent".into(),
                    in_progress: "In Progress".into(),
                    complete: "Complete".into(),
                    expired: Some("Expired".into()),
                    cancelled: Some("Cancelled".into()),
                },
                observer_user_id: UserId::parse(&observer.id)?,
                caller_allowlist: Some(vec!["127.0.0.1/32".into(), "::1".into()]),
                daily_budget: None,
            };
            let (_, creds) = app.icims.create_connection(&org, &input).await.map_err(err)?;
            (secrets.inbound_user, secrets.inbound_secret) = (creds.user, creds.secret);
            secrets.save(&path)?;
        }
        Some(conn) => {
            if secrets.inbound_secret.is_empty() || secrets.inbound_user != conn.inbound_user {
                // The file was lost or edited: only a hash is stored, so issue new ones.
                let creds = app.icims.rotate_inbound(&org, Some("basic")).await.map_err(err)?;
                (secrets.inbound_user, secrets.inbound_secret) = (creds.user, creds.secret);
                secrets.save(&path)?;
            }
            if conn.api_base() != sim.base_url() {
                println!(
                    "  note: the demo iCIMS connection calls {}; run with that --sim-port for write-backs",
                    conn.api_base()
                );
            }
        }
    }
    sim.set_event_target(EventTarget {
        url: format!("{}/connectors/icims/events", app.recruiting.links.public_url()),
        auth: Auth::Basic {
            user: secrets.inbound_user,
            password: secrets.inbound_secret,
        },
        token_url: None,
        gzip: false,
    });
    if !sim.restored() {
        let job = sim.add_job("Customer Success Manager", Some(SAMPLE_KEY));
        for (first, last) in [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")] {
            let email = format!("{}.{}@candidates.example", first.to_lowercase(), last.to_lowercase());
            let person = sim.add_person(first, last, Some(&email));
            sim.apply(person, job);
        }
    }
    Ok(format!("{}/", sim.base_url()))
}
