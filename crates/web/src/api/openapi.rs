//! The OpenAPI 3.1 document of /api/v1, built in one place from the handlers' `#[utoipa::path]`
//! annotations ([`ApiDoc`]) plus what every operation shares ([`shared`]), served as
//! `/api/v1/openapi.json` and as a reference page at `/api/v1/docs`. Neither needs credentials:
//! they describe the API, they reveal no organisation's data.

mod page;
mod shared;

use super::{invitations, media, partner, positions, push, results, settings, templates, webhooks};
use crate::review::api as review;
use crate::{WebState, auth};
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::Value;
use shortlist_app::error::FieldError;
use utoipa::{OpenApi, ToSchema};

/// An error, as RFC 9457 problem+json. `code` is stable and meant for programs; `detail` is
/// for people and may change. Some problems carry more members (`already_invited` has
/// `invitation_id`, `state` and `sent_at`; `rate_limited` has `retry_after`;
/// `insufficient_scope` has `required_scopes`, every scope the operation needs).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `https://shortlist.dev/problems/<code>`.
    #[schema(rename = "type")]
    kind: String,
    /// The HTTP status's reason phrase.
    title: String,
    status: u16,
    /// What went wrong, in words.
    detail: String,
    /// Stable: `not_found`, `validation_failed`, `insufficient_scope`, `already_invited`, …
    code: String,
    /// With `validation_failed`: each field at fault (`questions[0].prompt`) and why.
    errors: Option<Vec<FieldError>>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shortlist API",
        description = "Asynchronous video interviews for ATS integrations: templates, positions, invitations, results and review. \
Every error is `application/problem+json` with a stable `code`. Authenticate with an organisation API key or personal \
token (`Authorization: Bearer`), or as a partner acting for a user (`X-Shortlist-Partner-Authorization` with \
`X-Shortlist-User-Email`); see docs/partner-guide.md.",
    ),
    servers((url = "/api/v1")),
    paths(
        templates::list, templates::create, templates::import, templates::by_key, templates::show,
        templates::update, templates::archive, templates::unarchive, templates::export,
        positions::list, positions::create, positions::show, positions::update, positions::link,
        positions::unlink, partner::find_or_create,
        invitations::list, invitations::invite, invitations::batch, invitations::show,
        invitations::resend, invitations::extend, invitations::cancel,
        review::interview, review::evaluations, review::submit, review::board, review::decide,
        review::shares, review::create_share, review::revoke_share, review::share_views,
        review::settings, review::put_settings,
        media::upload, media::download,
        settings::show, settings::update, settings::email_template, settings::put_email_template,
        settings::reset_email_template,
        push::key, push::subscribe, push::unsubscribe,
        results::search, results::list, results::report, results::take,
        webhooks::list, webhooks::create, webhooks::show, webhooks::update, webhooks::remove,
        webhooks::rotate, webhooks::test, webhooks::deliveries, webhooks::redeliver,
        auth::me,
    ),
    components(schemas(Problem)),
    tags(
        (name = "templates", description = "Interview templates (\"packages\"): questions, branding, versions, export and import."),
        (name = "positions", description = "Jobs, the templates they use and their ids in the ATS."),
        (name = "invitations", description = "Inviting candidates, and following, resending, extending and cancelling invitations."),
        (name = "review", description = "Reviewing completed interviews: evaluations, decisions, share links."),
        (name = "media", description = "Files for templates: logos, intro and prompt videos, documents."),
        (name = "settings", description = "Organisation settings and the e-mails candidates get."),
        (name = "push", description = "Web Push subscriptions of a user's browsers."),
        (name = "results", description = "Completed interviews, result reports and answer files (`results:read`)."),
        (name = "webhooks", description = "Signed outbound webhooks (Standard Webhooks): endpoints, secrets, delivery log, redelivery."),
        (name = "account", description = "Who the credentials act as."),
    ),
)]
struct ApiDoc;

/// Routes outside the document, served to anyone without credentials: the document and its
/// page. Declared here so the gate knows they need no scope rather than finding them undeclared.
pub const PUBLIC: [&str; 2] = ["/openapi.json", "/docs"];

/// What each operation needs, for the gate, with the operations that declare nothing usable.
pub fn scope_table() -> (crate::gate::scopes::ScopeTable, Vec<String>) {
    crate::gate::scopes::ScopeTable::from_document(&document(), &PUBLIC)
}

/// The document as served.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    doc["info"]["version"] = Value::from(env!("CARGO_PKG_VERSION"));
    shared::apply(&mut doc);
    doc
}

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/openapi.json", get(json))
        .route("/docs", get(page::show))
}

/// Changes only with a new release, so clients may cache it for a while.
const CACHE: &str = "public, max-age=3600";

async fn json() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, CACHE),
        ],
        document().to_string(),
    )
}

#[cfg(test)]
mod tests;
