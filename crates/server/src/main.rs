use clap::Parser;
use shortlist::config::{Cli, Command, ServeArgs, SimCommand};
use shortlist::{App, admin, serve, telemetry};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init_logging(cli.common.log_format);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line naming what is wrong, not a panic trace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `serve` settings for the other subcommands: defaults plus the same environment variables a
/// server on this installation reads, so `admin` builds the app exactly as `serve` does.
fn offline_serve_args() -> ServeArgs {
    use clap::FromArgMatches;
    let cmd = clap::Command::new("x");
    let cmd = <ServeArgs as clap::Args>::augment_args(cmd);
    match ServeArgs::from_arg_matches(&cmd.get_matches_from(["x"])) {
        Ok(a) => a,
        Err(e) => e.exit(),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let common = cli.common;
    match cli.command {
        Command::Serve(args) => {
            let app = App::build(&common, &args).await?;
            let token = CancellationToken::new();
            serve::cancel_on_signal(token.clone());
            serve::run(&common, &args, app, None, token).await
        }
        Command::Demo(demo) => {
            let mut args = demo.serve;
            // The demo lives on this machine, and so do its iCIMS simulator and a webhook
            // receiver or push service to try it with.
            if args.outbound_allow_private.is_empty() && args.webhook_allow_private.is_empty() {
                args.outbound_allow_private = "127.0.0.0/8,::1/128".into();
            }
            let app = App::build(&common, &args).await?;
            let (email, password) = shortlist::demo::seed_demo(&common, &app).await?;
            // The demo's admin operates the demo installation, so the partner page is there too.
            args.operator_emails.push(email.clone());
            let sim = match demo.no_sim {
                true => None,
                false => Some(shortlist::demo::start_icims_sim(&common, &app, demo.sim_port).await?),
            };
            let workable = match demo.no_sim {
                true => None,
                false => Some(
                    shortlist::demo_workable::start(&common, &app, &args.public_url(), demo.workable_sim_port).await?,
                ),
            };
            let greenhouse = match demo.no_sim {
                true => None,
                false => Some(
                    shortlist::demo_greenhouse::start(&common, &app, &args.public_url(), demo.greenhouse_sim_port)
                        .await?,
                ),
            };
            println!(
                "\n  Shortlist demo is starting.\n  Sign in at {}/login\n  e-mail:   {email}\n  password: {password}\n  data:     {}\n  API reference: {}/api/v1/docs (webhooks and connectors may call 127.0.0.1 here)\n",
                args.public_url(),
                common.data_dir.display(),
                args.public_url()
            );
            if let Some(page) = sim {
                println!(
                    "  iCIMS simulator: {page}\n  Move a candidate to \"Video Interview\" there; the invitation e-mail lands in {}\n",
                    common.data_dir.join("mail").display()
                );
            }
            if let Some(page) = workable {
                println!("  Workable simulator: {page}\n  Press \"Send assessment\" for a candidate there.\n");
            }
            if let Some(page) = greenhouse {
                println!(
                    "  Greenhouse simulator: {page}\n  Press \"Send test\" for a candidate there (the tests load from this server once it is up).\n"
                );
            }
            let token = CancellationToken::new();
            serve::cancel_on_signal(token.clone());
            serve::run(&common, &args, app, None, token).await
        }
        Command::Migrate => {
            shortlist::app::connect(&common).await?;
            println!("migrations are current");
            Ok(())
        }
        Command::Sim(SimCommand::Icims(args)) => sim::icims::cli::run_cli(args).await,
        Command::Sim(SimCommand::Greenhouse(args)) => sim::greenhouse::cli::run_cli(args).await,
        Command::Sim(SimCommand::Workable(args)) => sim::workable::cli::run_cli(args).await,
        Command::Admin(cmd) => {
            let app = App::build(&common, &offline_serve_args()).await?;
            admin::run(&app, cmd).await
        }
    }
}
