//! `shortlist demo` also starts a Greenhouse simulator on 127.0.0.1 connected to the demo
//! organisation: click "Send test" on its page and the invitation e-mail lands in the demo's
//! mail folder; finish the interview and the simulator shows the result.

use crate::App;
use crate::config::CommonArgs;
use shortlist_domain::{Email, UserId};
use sim::greenhouse::{Mode, PartnerEndpoints, SimConfig, Simulator};

/// Starts the simulator on `port`, connects the demo organisation (once; the key is kept
/// owner-only in `<data-dir>/demo-greenhouse-key.txt`, since the server keeps only its hash),
/// seeds three candidates when its state (`<data-dir>/sim/greenhouse.json`) is new, and returns
/// the simulator's page URL.
pub async fn start(common: &CommonArgs, app: &App, public_url: &str, port: u16) -> anyhow::Result<String> {
    let org = shortlist_store::orgs::find_by_slug(&app.db, "demo")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo organisation is missing"))?
        .org_id()?;
    let err = |e: shortlist_app::AppError| anyhow::anyhow!("demo Greenhouse connection: {e}");
    let path = common.data_dir.join("demo-greenhouse-key.txt");
    let saved = std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
    let key = match app.greenhouse.connection_for_org(&org).await.map_err(err)? {
        None => {
            let admin = Email::parse("admin@demo.shortlist.localhost").map_err(|e| anyhow::anyhow!("{e}"))?;
            let observer = shortlist_store::users::find_by_email(&app.db, &org, &admin)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the demo admin is missing"))?;
            let (_, key) = app
                .greenhouse
                .connect(&org, &UserId::parse(&observer.id)?, None)
                .await
                .map_err(err)?;
            crate::serve::write_private(&path, &key)?;
            key
        }
        Some(_) if !saved.is_empty() => saved,
        // Connected, but the key file is gone: a new key for the simulator.
        Some(_) => {
            let key = app.greenhouse.rotate_key(&org).await.map_err(err)?;
            crate::serve::write_private(&path, &key)?;
            key
        }
    };
    let cfg = SimConfig {
        endpoints: PartnerEndpoints::shortlist(public_url),
        api_key: key,
        mode: Mode::Patch,
    };
    let sim = Simulator::start_with_state(
        &format!("127.0.0.1:{port}"),
        cfg,
        &common.data_dir.join("sim").join("greenhouse.json"),
    )
    .await
    .map_err(|e| {
        anyhow::anyhow!("starting the Greenhouse simulator on port {port} (--greenhouse-sim-port, --no-sim): {e}")
    })?;
    if !sim.restored() {
        sim::greenhouse::cli::seed(&sim);
    }
    Ok(format!("{}/", sim.base_url()))
}
