//! Recruiter pages: server-rendered HTML forms, no JavaScript build step.
//!
//! Every POST carries the session's CSRF token (hidden input `csrf`). Reviewers may look at
//! everything; the services refuse their changes, which shows as a 403 page.

mod api_keys;
mod bulk;
mod csv_rows;
mod icims;
mod integrations;
mod invitations;
mod invite;
mod media;
mod notifications;
mod partners;
pub(crate) mod playback;
mod positions;
mod pwa;
mod question_form;
mod settings;
mod template_form;
mod template_lines;
mod templates;
mod webhooks;

use crate::WebState;
use crate::error::{PageError, page};
use crate::files::file_route;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::multipart::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use shortlist_app::AppError;
use shortlist_app::error::FieldError;
use std::collections::HashMap;

/// Largest file accepted by the template import and the CSV upload.
pub const UPLOAD_LIMIT: usize = 1024 * 1024;
pub const UPLOAD_LIMIT_TEXT: &str = "1 MiB";

pub fn routes() -> Router<WebState> {
    let uploads = Router::new()
        .route("/templates/import", post(templates::import))
        .route("/positions/{id}/bulk", post(bulk::preview))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT));
    // The editor's form carries the logo, intro video and document files.
    let editor = Router::new()
        .route("/templates/new", get(templates::new_form).post(templates::create))
        .route("/templates/{id}", get(templates::edit_form).post(templates::update))
        .layer(DefaultBodyLimit::max(media::EDITOR_LIMIT));
    Router::new()
        .route("/templates", get(templates::list))
        .route("/templates/{id}/archive", post(templates::archive))
        .route("/templates/{id}/export", get(templates::export))
        .route("/positions", get(positions::list).post(positions::create))
        .route("/positions/{id}", get(positions::show).post(positions::update))
        .route("/positions/{id}/templates", post(positions::link))
        .route("/positions/{id}/invite", post(invite::invite))
        .route("/positions/{id}/bulk/send", post(bulk::send))
        .route("/invitations/{id}", get(invitations::show))
        .route(
            "/invitations/{id}/takes/{question}/{take}",
            file_route(get(playback::take)),
        )
        .route("/invitations/{id}/{action}", post(invitations::act))
        .route("/settings", get(settings::show).post(settings::update))
        .route("/settings/email/{kind}", post(settings::update_email))
        .route("/settings/email/{kind}/reset", post(settings::reset_email))
        .route(
            "/settings/notifications",
            get(notifications::show).post(notifications::update),
        )
        .route("/settings/notifications/follow", post(notifications::follow))
        .route("/settings/api-keys", get(api_keys::show).post(api_keys::create))
        .route("/settings/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/settings/integrations", get(integrations::show))
        .route("/settings/integrations/{kind}/dedup", post(integrations::set_dedup))
        .route("/settings/integrations/parked/{id}/retry", post(integrations::retry))
        .route("/settings/greenhouse", get(integrations::greenhouse))
        .route(
            "/settings/workable",
            get(integrations::workable).post(integrations::workable_token),
        )
        .route("/settings/greenhouse/key", post(integrations::issue_key))
        .route("/settings/icims", get(icims::show).post(icims::create))
        .route("/settings/icims/triggers", post(icims::update))
        .route("/settings/icims/rotate", post(icims::rotate))
        .route("/settings/icims/test", post(icims::test))
        .route("/settings/icims/parked/{id}/retry", post(icims::retry))
        .route("/settings/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/settings/webhooks/{id}", get(webhooks::show))
        .route("/settings/webhooks/{id}/{action}", post(webhooks::act))
        .route(
            "/settings/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/admin/partners", get(partners::list).post(partners::create))
        .route("/admin/partners/{id}", get(partners::show))
        .route("/admin/partners/{id}/status", post(partners::status))
        .route("/admin/partners/{id}/policy", post(partners::policy))
        .route("/admin/partners/{id}/rotate", post(partners::rotate))
        .route(
            "/notifications/unsubscribe/{token}",
            get(notifications::unsubscribe_form).post(notifications::unsubscribe),
        )
        .route("/media/{*key}", file_route(get(media::show)))
        .merge(pwa::routes())
        .merge(uploads)
        .merge(editor)
}

/// Field errors of a validation failure; any other error becomes its error page.
pub(crate) fn field_errors(e: AppError) -> Result<Vec<FieldError>, PageError> {
    match e {
        AppError::Validation { fields } => Ok(fields),
        other => Err(PageError(other)),
    }
}

pub(crate) fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Looks up the message for one form field.
pub(crate) struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The value of a form field sent as repeated `(name, value)` pairs.
pub(crate) fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

pub(crate) fn see_other(url: &str) -> Response {
    Redirect::to(url).into_response()
}

pub(crate) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(crate) fn when_opt(t: Option<DateTime<Utc>>) -> String {
    t.map(when).unwrap_or_default()
}

pub(crate) fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// The fields of an uploaded multipart form: text fields, and the bytes of file fields.
pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    pub files: HashMap<String, Vec<u8>>,
}

impl Upload {
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Reads a whole multipart form; a body over [`UPLOAD_LIMIT`] is refused with the limit named.
pub(crate) async fn read_upload(mut mp: Multipart) -> Result<Upload, Response> {
    let mut up = Upload {
        fields: HashMap::new(),
        files: HashMap::new(),
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(up),
            Err(e) => return Err(upload_error(e.status())),
        };
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(upload_error(e.status())),
        };
        if is_file {
            up.files.insert(name, bytes.to_vec());
        } else {
            up.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}

fn upload_error(status: StatusCode) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        page(
            status,
            "File too large",
            &format!("The file is larger than the limit of {UPLOAD_LIMIT_TEXT}. Split it or make it smaller."),
        )
    } else {
        page(
            StatusCode::BAD_REQUEST,
            "Upload failed",
            "The upload could not be read. Choose the file again and retry.",
        )
    }
}

/// A fixed message for a `?notice=` code (never the raw query text).
pub(crate) fn notice_text(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "created" => "Created.",
        "saved" => "Saved.",
        "imported" => "Imported.",
        "archived" => "Archived: it can no longer be used for new invitations.",
        "unarchived" => "Restored: it can be used for invitations again.",
        "linked" => "Templates updated.",
        "resent" => "The link was sent again.",
        "extended" => "The invitation was extended by 7 days.",
        "cancelled" => "The invitation was cancelled.",
        "reset" => "Back to the built-in wording.",
        "retrying" => "The write-back is queued to be sent again.",
        _ => return None,
    };
    Some(text.to_string())
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct NoticeQuery {
    pub notice: Option<String>,
}
