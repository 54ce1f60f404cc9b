//! `/settings/review`: who may open interviews without an account, and whether others' ratings
//! wait until a reviewer submitted their own. Everyone may read it; administrators change it.

use super::interview::{Opt, options};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shortlist_app::AppError;
use shortlist_app::review::{LinkAccess, ReviewSettings};

#[derive(Template)]
#[template(path = "review/settings.html")]
struct SettingsPage {
    csrf: String,
    is_admin: bool,
    access: Vec<Opt>,
    hide: bool,
    saved: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Response, PageError> {
    let current = s.review.service.settings(&a.org_id).await?;
    let p = SettingsPage {
        csrf: u.csrf_token.clone(),
        is_admin: a.require_admin("review settings").is_ok(),
        access: options(
            &["off", "anyone_with_link", "share_links_only"],
            current.link_access.as_str(),
        ),
        hide: current.hide_until_submitted,
        saved: q.saved.is_some(),
    };
    Ok(render(StatusCode::OK, &p))
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    link_access: String,
    #[serde(default)]
    hide_until_submitted: Option<String>,
}

pub async fn update(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<SettingsForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let link_access = LinkAccess::parse(&f.link_access)
        .ok_or_else(|| AppError::field("link_access", "off, anyone_with_link or share_links_only"))?;
    let new = ReviewSettings {
        link_access,
        hide_until_submitted: f.hide_until_submitted.is_some(),
    };
    s.review.service.put_settings(&a, &new).await?;
    Ok(Redirect::to("/settings/review?saved=1").into_response())
}
