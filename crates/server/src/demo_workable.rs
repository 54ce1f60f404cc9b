//! `shortlist demo` also starts a Workable simulator on 127.0.0.1 connected to the demo
//! organisation: press "Send assessment" on its page and the invitation e-mail lands in the
//! demo's mail folder; finish the interview and the simulator shows the result.

use crate::App;
use crate::config::CommonArgs;
use shortlist_domain::{Email, UserId};
use sim::workable::{SimConfig, Simulator};

/// What the demo's Workable "generated" for the integration (the simulator expects it back).
const DEMO_WORKABLE_TOKEN: &str = "demo-workable-integration-token";

/// Starts the simulator on `port`, connects the demo organisation (once; our token is kept
/// owner-only in `<data-dir>/demo-workable-token.txt`, since the server keeps only its hash), seeds
/// jobs and candidates when its state (`<data-dir>/sim/workable.json`) is new, and returns the
/// simulator's page URL.
pub async fn start(common: &CommonArgs, app: &App, public_url: &str, port: u16) -> anyhow::Result<String> {
    let org = shortlist_store::orgs::find_by_slug(&app.db, "demo")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo organisation is missing"))?
        .org_id()?;
    let err = |e: shortlist_app::AppError| anyhow::anyhow!("demo Workable connection: {e}");
    let path = common.data_dir.join("demo-workable-token.txt");
    let saved = std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
    let (conn, token) = match app.workable.connection_for_org(&org).await.map_err(err)? {
        None => {
            let admin = Email::parse("admin@demo.shortlist.localhost").map_err(|e| anyhow::anyhow!("{e}"))?;
            let observer = shortlist_store::users::find_by_email(&app.db, &org, &admin)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the demo admin is missing"))?;
            let (conn, token) = app
                .workable
                .connect(
                    &org,
                    &UserId::parse(&observer.id)?,
                    DEMO_WORKABLE_TOKEN,
                    Some("demo".into()),
                    None,
                )
                .await
                .map_err(err)?;
            crate::serve::write_private(&path, &token)?;
            (conn, token)
        }
        Some(conn) if !saved.is_empty() => (conn, saved),
        // Connected, but the token file is gone: a new token (and base URL) for the simulator.
        Some(_) => {
            let (conn, token) = app.workable.rotate_token(&org).await.map_err(err)?;
            crate::serve::write_private(&path, &token)?;
            (conn, token)
        }
    };
    let account = conn.inbound_user.clone().unwrap_or_default();
    let cfg = SimConfig {
        partner_base: format!("{public_url}/connectors/workable/{account}"),
        partner_token: token,
        workable_token: DEMO_WORKABLE_TOKEN.to_string(),
    };
    let sim = Simulator::start_with_state(
        &format!("127.0.0.1:{port}"),
        cfg,
        &common.data_dir.join("sim").join("workable.json"),
    )
    .await
    .map_err(|e| {
        anyhow::anyhow!("starting the Workable simulator on port {port} (--workable-sim-port, --no-sim): {e}")
    })?;
    if !sim.restored() {
        sim::workable::cli::seed(&sim);
    }
    Ok(format!("{}/", sim.base_url()))
}
