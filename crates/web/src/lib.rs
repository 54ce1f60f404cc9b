//! HTTP surfaces. One router function per surface, merged in [`router`].

mod api;
mod assets;
mod auth;
mod candidate;
mod circuit;
mod client_ip;
mod connectors;
mod error;
mod files;
mod gate;
mod headers;
mod health;
mod limits;
mod pages;
mod review;
mod storage;
mod telemetry;
mod text_guard;
mod tus;
mod ui;

pub use error::{ApiError, PageError};
pub use gate::rate::ApiLimits;
pub use health::{MetricsAccess, metrics_router};
pub use limits::LoginLimits;
pub use review::{GuessGuard, ReviewState};

use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use shortlist_app::accounts::Accounts;
use shortlist_app::interview::Interviews;
use shortlist_app::recruiting::Recruiting;
use shortlist_app::uploads::Uploads;
use shortlist_store::Db;
use std::sync::Arc;

/// What every handler may need. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    pub db: Db,
    pub accounts: Accounts,
    pub recruiting: Recruiting,
    /// Candidates' resumable uploads (tus).
    pub uploads: Uploads,
    /// The candidate's interview (progress, answers, completion).
    pub interviews: Interviews,
    /// The iCIMS connector (events, token endpoint, template pick).
    pub icims: shortlist_app::connectors::icims::Icims,
    /// The Greenhouse connector (Assessment Partner calls, key set-up).
    pub greenhouse: shortlist_app::connectors::greenhouse::Greenhouse,
    /// The Workable connector (partner calls, token set-up).
    pub workable: shortlist_app::connectors::workable::Workable,
    /// What every ATS connector shares, and the connectors this build registers.
    pub ats: shortlist_app::connectors::Shared,
    pub ats_registry: shortlist_app::connectors::Registry,
    /// Review: interview pages, evaluations, share links, reports.
    pub review: ReviewState,
    /// Recruiters' notification preferences and unsubscribe links.
    pub notifier: shortlist_app::notify::Notifier,
    /// Poked after a request enqueued jobs, so this process's worker starts on them at once.
    pub wake: Arc<tokio::sync::Notify>,
    pub metrics: PrometheusHandle,
    /// Who may read /metrics, and on which listener.
    pub metrics_access: Arc<MetricsAccess>,
    pub limits: Arc<LoginLimits>,
    /// Per-address budget for opening invitation links that do not exist.
    pub candidate_guesses: Arc<review::GuessGuard>,
    /// Partner credentials, organisation API keys and personal tokens.
    pub credentials: shortlist_app::credentials::Credentials,
    /// Outbound webhooks: endpoints, secrets, delivery log.
    pub webhooks: shortlist_app::webhooks::Webhooks,
    /// Seals answers kept for Idempotency-Key replays: a key or webhook secret is shown once in
    /// its creation answer, and must not then sit readable in the database for 24 h.
    pub idempotency_sealer: shortlist_app::secrets::Sealer,
    /// Reverse proxies whose `X-Forwarded-For` names the client ([`client_ip`]).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Request rates of machine callers, one bucket per partner or key.
    pub api_limits: Arc<ApiLimits>,
    /// Origin of SHORTLIST_PUBLIC_URL (scheme://host[:port]); forms from elsewhere are refused.
    pub public_origin: String,
    /// Session cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    /// Lower-cased e-mails of the installation's operators (SHORTLIST_OPERATOR_EMAILS): the
    /// administrators among them see /admin/partners.
    pub operators: Arc<Vec<String>>,
    /// Full-disk state for readiness and metrics; told of every 507 answered.
    pub storage: shortlist_app::storage::StorageWatch,
}

/// The whole HTTP application.
pub fn router(state: WebState) -> Router {
    let app = Router::new()
        .merge(health::routes())
        .merge(auth::ui_routes())
        .merge(ui::routes())
        .merge(review::routes())
        .merge(candidate::routes(&state))
        .merge(connectors::routes())
        .merge(tus::routes())
        .merge(assets::routes())
        .nest(
            "/api/v1",
            auth::api_routes()
                .merge(api::routes())
                .merge(review::api_routes())
                .fallback(error::api_not_found)
                .layer(axum::middleware::from_fn_with_state(
                    gate::Gate::new(state.clone()),
                    gate::api_gate,
                )),
        )
        .fallback(error::page_not_found)
        // Innermost of these, so it sees each handler's answer as given.
        .layer(axum::middleware::from_fn_with_state(
            circuit::DbCircuit::new(state.db.clone()),
            circuit::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::cross_origin_guard,
        ))
        .layer(axum::middleware::from_fn(text_guard::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(state.clone(), storage::watch))
        .layer(axum::middleware::from_fn_with_state(
            headers::Https(state.secure_cookies),
            headers::apply,
        ))
        // Outermost, so every check below sees the client's address, not the proxy's.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client_ip::real_client,
        ))
        .with_state(state);
    telemetry::apply(app)
}
