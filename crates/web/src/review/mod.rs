//! Review surfaces: the interview page (full for account users, read-only through the interview
//! URL's key or a share link), evaluation, the reviewer's lists, share links, reports, and the
//! evaluation API under /api/v1.
//!
//! Pages reachable with a capability in the URL (`/interviews/{id}/{key}`, `/s/{token}`) send
//! `Referrer-Policy: no-referrer` and `X-Robots-Tag: noindex` and are never cached; the request
//! log shows their paths with the secret cut out (`telemetry::redact_path`).

pub(crate) mod api;
mod guard;
mod interview;
mod lists;
mod media;
mod reports;
mod settings;
mod share;

pub use guard::GuessGuard;

use crate::WebState;
use crate::files::file_route;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use shortlist_app::review::Review;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// The review service and the per-address guard against guessing share tokens.
#[derive(Clone)]
pub struct ReviewState {
    pub service: Review,
    pub guard: Arc<GuessGuard>,
}

impl ReviewState {
    pub fn new(service: Review) -> Self {
        Self {
            service,
            guard: Arc::new(GuessGuard::default()),
        }
    }
}

pub fn routes() -> Router<WebState> {
    let capability = Router::new()
        .route("/interviews/{id}/{key}", get(interview::with_key))
        .route(
            "/interviews/{id}/{key}/takes/{question}/{take}",
            file_route(get(media::key_take)),
        )
        .route(
            "/interviews/{id}/{key}/takes/{question}/{take}/poster",
            file_route(get(media::key_poster)),
        )
        .route(
            "/interviews/{id}/{key}/documents/{n}",
            file_route(get(media::key_document)),
        )
        .route("/s/{token}", get(share::list).post(share::code))
        .route("/s/{token}/{inv}", get(share::candidate))
        .route(
            "/s/{token}/{inv}/takes/{question}/{take}",
            file_route(get(media::share_take)),
        )
        .route("/s/{token}/{inv}/documents/{n}", file_route(get(media::share_document)))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .route("/interviews/{id}", get(interview::member))
        .route("/interviews/{id}/evaluation", post(interview::evaluate))
        .route("/interviews/{id}/report", get(reports::report))
        .route(
            "/interviews/{id}/documents/{n}",
            file_route(get(media::member_document)),
        )
        .route(
            "/invitations/{id}/takes/{question}/{take}/poster",
            file_route(get(media::member_poster)),
        )
        .route("/reviews", get(lists::waiting))
        .route("/positions/{id}/review", get(lists::board))
        .route("/positions/{id}/review.csv", get(reports::csv))
        .route("/positions/{id}/review/decision", post(lists::decide))
        .route("/positions/{id}/share-links", post(share::create))
        .route("/share-links/{id}", get(share::views))
        .route("/share-links/{id}/revoke", post(share::revoke))
        .route("/settings/review", get(settings::show).post(settings::update))
        .merge(capability)
}

pub fn api_routes() -> Router<WebState> {
    api::routes()
}

/// "4.25" for a score, "–" for none.
pub(crate) fn score_text(s: Option<f64>) -> String {
    s.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"))
}
