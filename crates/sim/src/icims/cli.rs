//! `shortlist sim icims …`: run the simulator on its own, seeded with a few jobs and people so a
//! newcomer can open the page and move a candidate.

use std::path::PathBuf;

use clap::Args;

use super::{Auth, EventTarget, SimConfig, SimHandle, Simulator};

#[derive(Args, Debug, Clone)]
pub struct IcimsSimArgs {
    /// Address to serve the simulated iCIMS on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// The iCIMS customer id the API answers for.
    #[arg(long, default_value = "1234")]
    pub customer_id: String,
    /// Basic user our connector must present to the simulated API.
    #[arg(long, default_value = "shortlist-api")]
    pub api_user: String,
    /// Basic password (or OAuth client secret with --api-oauth) our connector must present.
    #[arg(long, env = "ICIMS_SIM_API_PASSWORD", default_value = "sim-api-secret")]
    pub api_password: String,
    /// Require OAuth2 client credentials (token at {base}/oauth2/token) instead of Basic.
    #[arg(long)]
    pub api_oauth: bool,
    /// Where events are POSTed, e.g. http://127.0.0.1:8080/connectors/icims/events.
    #[arg(long)]
    pub target: Option<String>,
    /// User (or OAuth client id) the simulator presents to the event target.
    #[arg(long, default_value = "")]
    pub target_user: String,
    /// Password (or OAuth client secret) the simulator presents to the event target.
    #[arg(long, env = "ICIMS_SIM_TARGET_PASSWORD", default_value = "")]
    pub target_password: String,
    /// Fetch a bearer token here with client credentials before posting events (OAuth instead of Basic).
    #[arg(long)]
    pub target_token_url: Option<String>,
    /// Send event bodies gzip'd.
    #[arg(long)]
    pub gzip: bool,
    /// Do not create the sample jobs, people and workflows.
    #[arg(long)]
    pub no_seed: bool,
    /// Keep the simulator's state in DIR/icims.json, so a restart shows the same people,
    /// workflows and results (seeding happens only when the file is new).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

impl IcimsSimArgs {
    pub fn sim_config(&self) -> SimConfig {
        let api_auth = if self.api_oauth {
            Auth::OAuth {
                client_id: self.api_user.clone(),
                client_secret: self.api_password.clone(),
            }
        } else {
            Auth::Basic {
                user: self.api_user.clone(),
                password: self.api_password.clone(),
            }
        };
        SimConfig {
            customer_id: self.customer_id.clone(),
            api_auth,
        }
    }

    pub fn event_target(&self) -> Option<EventTarget> {
        let url = self.target.clone()?;
        let auth = match &self.target_token_url {
            Some(_) => Auth::OAuth {
                client_id: self.target_user.clone(),
                client_secret: self.target_password.clone(),
            },
            None => Auth::Basic {
                user: self.target_user.clone(),
                password: self.target_password.clone(),
            },
        };
        Some(EventTarget {
            url,
            auth,
            token_url: self.target_token_url.clone(),
            gzip: self.gzip,
        })
    }
}

/// Two jobs (one with a package, one without — the pick-a-template path) and four applicants.
pub fn seed(sim: &SimHandle, package: &str) {
    let support = sim.add_job("Customer Support Agent", Some(package));
    let analyst = sim.add_job("Data Analyst", None);
    let people = [
        ("Ada", "Lovelace", Some("ada.lovelace@candidates.example")),
        ("Grace", "Hopper", Some("grace.hopper@candidates.example")),
        ("Alan", "Turing", Some("alan.turing@candidates.example")),
        ("Nomail", "Person", None),
    ];
    for (i, (first, last, email)) in people.into_iter().enumerate() {
        let person = sim.add_person(first, last, email);
        sim.apply(person, if i == 2 { analyst } else { support });
    }
}

/// Starts the simulator, prints how to reach it, and serves until Ctrl-C.
pub async fn run_cli(args: IcimsSimArgs) -> anyhow::Result<()> {
    let sim = match &args.state_dir {
        Some(dir) => Simulator::start_with_state(&args.listen, args.sim_config(), &dir.join("icims.json")).await?,
        None => Simulator::start(&args.listen, args.sim_config()).await?,
    };
    // A saved target stays unless --target names another.
    if let Some(t) = args.event_target() {
        sim.set_event_target(t);
    }
    if !args.no_seed && !sim.restored() {
        seed(&sim, "video-interview");
    }
    let auth = if args.api_oauth {
        "OAuth2 client credentials"
    } else {
        "Basic"
    };
    println!(
        "\n  iCIMS simulator for customer {}\n  page:     {}/\n  API base: {} (the connection's API base URL; calls go to {}/…)\n  API auth: {auth}, user/client id \"{}\"\n  events →  {}\n",
        args.customer_id,
        sim.base_url(),
        sim.base_url(),
        sim.customer_url(),
        args.api_user,
        sim.event_target_url()
            .as_deref()
            .unwrap_or("(no --target: moving a candidate will report that)")
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
