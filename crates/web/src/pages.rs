//! Page templates (askama: checked at build time, HTML-escaped by default).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use shortlist_app::accounts::CurrentUser;
use shortlist_app::error::FieldError;

#[derive(Template)]
#[template(path = "login.html")]
pub struct Login {
    pub email: String,
    pub error: Option<String>,
    /// The local page to return to after signing in ("" for the home page).
    pub next: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home {
    pub name: String,
    pub email: String,
    pub org_name: String,
    pub role: String,
    pub csrf: String,
}

impl Home {
    pub fn new(u: &CurrentUser) -> Self {
        Self {
            name: u.name.clone(),
            email: u.email.clone(),
            org_name: u.org_name.clone(),
            role: u.role.to_string(),
            csrf: u.csrf_token.clone(),
        }
    }
}

pub struct PasswordField {
    pub name: &'static str,
    pub label: &'static str,
    pub autocomplete: &'static str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct Account {
    pub name: String,
    pub email: String,
    pub org_name: String,
    pub role: String,
    pub csrf: String,
    pub notice: Option<String>,
    pub fields: Vec<PasswordField>,
}

impl Account {
    pub fn new(u: &CurrentUser, notice: Option<String>, errors: &[FieldError]) -> Self {
        let err = |name: &str| errors.iter().find(|e| e.field == name).map(|e| e.message.clone());
        let field = |name, label, autocomplete| PasswordField {
            name,
            label,
            autocomplete,
            error: err(name),
        };
        Self {
            name: u.name.clone(),
            email: u.email.clone(),
            org_name: u.org_name.clone(),
            role: u.role.to_string(),
            csrf: u.csrf_token.clone(),
            notice,
            fields: vec![
                field("current_password", "Current password", "current-password"),
                field("new_password", "New password (at least 10 characters)", "new-password"),
                field("confirm_password", "New password again", "new-password"),
            ],
        }
    }
}

/// Renders a template with a status; a template error is an internal error, logged once.
pub fn render(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            crate::error::page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Error",
                "The page could not be shown.",
            )
        }
    }
}
