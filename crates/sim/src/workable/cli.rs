//! `shortlist sim workable …`: run the simulated Workable on its own against a partner (our
//! server), seeded with two jobs and three candidates, so someone can send an assessment or a
//! video interview and watch the result arrive.

use std::path::PathBuf;

use clap::Args;

use super::{SimConfig, SimHandle, Simulator};

#[derive(Args, Debug, Clone)]
pub struct WorkableSimArgs {
    /// Address to serve the simulated Workable on.
    #[arg(long, default_value = "127.0.0.1:8092")]
    pub listen: String,
    /// The partner's base URL as given to the customer: {partner}/connectors/workable/{account}.
    #[arg(long)]
    pub partner_base: String,
    /// The partner's token for this account (sent as `Authorization: Bearer …`).
    #[arg(long, env = "WORKABLE_SIM_TOKEN")]
    pub token: String,
    /// Workable's own token, required on the partner's result callbacks.
    #[arg(long, env = "WORKABLE_SIM_WORKABLE_TOKEN")]
    pub workable_token: String,
    /// Keep the simulator's state in DIR/workable.json across restarts.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Do not create the sample jobs and candidates.
    #[arg(long)]
    pub no_seed: bool,
}

impl WorkableSimArgs {
    pub fn sim_config(&self) -> SimConfig {
        SimConfig {
            partner_base: self.partner_base.clone(),
            partner_token: self.token.clone(),
            workable_token: self.workable_token.clone(),
        }
    }
}

/// Two jobs and three candidates.
pub fn seed(sim: &SimHandle) {
    for title in ["Backend Engineer", "Customer Support Specialist"] {
        sim.add_job(title);
    }
    for (first, last) in [("Grace", "Hopper"), ("Alan", "Turing"), ("Barbara", "Liskov")] {
        let email = format!("{}.{}@candidates.example", first.to_lowercase(), last.to_lowercase());
        sim.add_candidate(first, last, Some(&email));
    }
}

/// Starts the simulator, asks the partner for its lists, and serves until Ctrl-C.
pub async fn run_cli(args: WorkableSimArgs) -> anyhow::Result<()> {
    let cfg = args.sim_config();
    let sim = match &args.state_dir {
        Some(dir) => Simulator::start_with_state(&args.listen, cfg, &dir.join("workable.json")).await?,
        None => Simulator::start(&args.listen, cfg).await?,
    };
    if !args.no_seed && !sim.restored() {
        seed(&sim);
    }
    let describe = |o: super::ListOutcome| match o.errors.is_empty() {
        true => format!("{} loaded", o.items.len()),
        false => format!("not loaded ({}); use the page's button later", o.errors.join("; ")),
    };
    let tests = describe(sim.list_tests().await);
    let templates = describe(sim.list_interview_templates().await);
    println!(
        "\n  Workable simulator\n  page:       {}/\n  partner:    {}\n  tests:      {tests}\n  templates:  {templates}\n",
        sim.base_url(),
        args.partner_base,
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
