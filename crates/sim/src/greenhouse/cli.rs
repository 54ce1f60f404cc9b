//! `shortlist sim greenhouse …`: run the simulated Greenhouse on its own against a partner (our
//! server), seeded with three candidates, so someone can click "Send test" and watch the result.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{Mode, PartnerEndpoints, SimConfig, SimHandle, Simulator};

#[derive(Args, Debug, Clone)]
pub struct GreenhouseSimArgs {
    /// Address to serve the simulated Greenhouse on.
    #[arg(long, default_value = "127.0.0.1:8091")]
    pub listen: String,
    /// The partner's public URL; its endpoints are {partner}/connectors/greenhouse/{list_tests,…}.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub partner: String,
    /// The organisation's key the partner issued (sent as the Basic user name).
    #[arg(long, env = "GREENHOUSE_SIM_API_KEY")]
    pub api_key: String,
    /// Poll test_status hourly as legacy integrations do (PATCHes are still accepted).
    #[arg(long)]
    pub polling: bool,
    /// Keep the simulator's state in DIR/greenhouse.json across restarts.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Do not create the sample candidates.
    #[arg(long)]
    pub no_seed: bool,
}

impl GreenhouseSimArgs {
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            endpoints: PartnerEndpoints::shortlist(&self.partner),
            api_key: self.api_key.clone(),
            mode: if self.polling { Mode::LegacyPolling } else { Mode::Patch },
        }
    }
}

/// Three candidates, one of them with a phone number on file.
pub fn seed(sim: &SimHandle) {
    for (first, last) in [("Katherine", "Johnson"), ("Dorothy", "Vaughan"), ("Mary", "Jackson")] {
        let email = format!("{}.{}@candidates.example", first.to_lowercase(), last.to_lowercase());
        sim.add_candidate(first, last, Some(&email));
    }
}

/// Starts the simulator, asks the partner for its tests, and serves until Ctrl-C.
pub async fn run_cli(args: GreenhouseSimArgs) -> anyhow::Result<()> {
    let cfg = args.sim_config();
    let sim = match &args.state_dir {
        Some(dir) => Simulator::start_with_state(&args.listen, cfg, &dir.join("greenhouse.json")).await?,
        None => Simulator::start(&args.listen, cfg).await?,
    };
    if !args.no_seed && !sim.restored() {
        seed(&sim);
    }
    let tests = sim.list_tests().await;
    let tests = match tests.errors.is_empty() {
        true => format!("{} tests", tests.tests.len()),
        false => format!("not loaded ({}); use the page's button later", tests.errors.join("; ")),
    };
    println!(
        "\n  Greenhouse simulator\n  page:    {}/\n  partner: {}\n  mode:    {}\n  tests:   {tests}\n",
        sim.base_url(),
        args.partner,
        if args.polling {
            "legacy hourly polling"
        } else {
            "PATCH-completed"
        },
    );
    if args.polling {
        // Checked every minute; each instance is still polled at most hourly.
        let poller = sim.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                poller.poll_due(poller.now()).await;
            }
        });
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
