//! `shortlist admin icims|greenhouse parked|retry-writeback`: the write-backs an ATS refused (its
//! message included), and putting them back in the queue once the cause is fixed on its side.
//! Shared by every connector: the runner and its parking are.

use crate::App;
use clap::Args;
use shortlist_app::connectors::writeback;
use shortlist_domain::InvitationId;
use shortlist_store::ats_writeback as store;

#[derive(Args, Debug)]
pub struct ParkedArgs {
    /// Only this organisation (slug); all organisations when left out.
    #[arg(long)]
    pub org: Option<String>,
}

#[derive(Args, Debug)]
pub struct RetryArgs {
    /// The organisation's slug.
    #[arg(long)]
    pub org: String,
    /// The invitation whose parked write-back to send again (inv_…).
    #[arg(long)]
    pub invitation: String,
}

pub async fn parked(app: &App, a: ParkedArgs) -> anyhow::Result<()> {
    let org = match &a.org {
        Some(slug) => Some(crate::admin::org_by_slug(app, slug).await?),
        None => None,
    };
    let rows = store::parked(&app.db, org.as_ref()).await?;
    if rows.is_empty() {
        println!("no parked write-backs");
        return Ok(());
    }
    for r in rows {
        println!(
            "{}  org {}  ATS reference {}  status {}  parked {}\n    {}",
            r.invitation_id,
            r.org_id,
            r.external_ref,
            r.parked_kind.as_deref().unwrap_or("?"),
            r.parked_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
            r.parked_error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

pub async fn retry(app: &App, a: RetryArgs) -> anyhow::Result<()> {
    let org = crate::admin::org_by_slug(app, &a.org).await?;
    let inv = InvitationId::parse(&a.invitation).map_err(|e| anyhow::anyhow!("--invitation: {}", e.0))?;
    if writeback::retry_parked(&app.db, &org, &inv).await? {
        println!("queued: the write-back of {} will be sent again", a.invitation);
        app.wake.notify_one();
        Ok(())
    } else {
        anyhow::bail!("{} has no parked write-back in '{}'", a.invitation, a.org)
    }
}
