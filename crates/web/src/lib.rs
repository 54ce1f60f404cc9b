//! HTTP surfaces. One router function per surface, merged in [`router`].

mod auth;
mod error;
mod health;
mod limits;
mod pages;
mod telemetry;

pub use error::{ApiError, PageError};
pub use limits::LoginLimits;

use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use shortlist_app::accounts::Accounts;
use shortlist_store::Db;
use std::sync::Arc;

/// What every handler may need. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    pub db: Db,
    pub accounts: Accounts,
    pub metrics: PrometheusHandle,
    pub limits: Arc<LoginLimits>,
    /// Origin of SHORTLIST_PUBLIC_URL (scheme://host[:port]); forms from elsewhere are refused.
    pub public_origin: String,
    /// Session cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
}

/// The whole HTTP application.
pub fn router(state: WebState) -> Router {
    let app = Router::new()
        .merge(health::routes())
        .merge(auth::ui_routes())
        .nest("/api/v1", auth::api_routes().fallback(error::api_not_found))
        .fallback(error::page_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::cross_origin_guard,
        ))
        .with_state(state);
    telemetry::apply(app)
}
