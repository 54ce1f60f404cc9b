//! Settings → API keys: administrators manage the organisation's keys (they belong to the
//! organisation, so integrations outlive the person who set them up); everyone manages their
//! own personal access tokens. A new token is shown on the page once and never again.

use super::{Errors, field_errors, see_other, when_opt};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::credentials::admin::ApiKeyView;
use shortlist_app::recruiting::Actor;
use shortlist_domain::Role;

pub struct KeyLine {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub scopes: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: bool,
}

impl From<ApiKeyView> for KeyLine {
    fn from(k: ApiKeyView) -> Self {
        KeyLine {
            id: k.id,
            name: k.name,
            kind: k.kind,
            scopes: k.scopes,
            expires: when_opt(k.expires_at),
            last_used: when_opt(k.last_used_at),
            revoked: k.revoked_at.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "ui/api_keys.html")]
struct KeysPage {
    csrf: String,
    is_admin: bool,
    keys: Vec<KeyLine>,
    /// The token just created, shown this once.
    new_token: Option<String>,
    errors: Errors,
    name: String,
    scopes: String,
    expires_on: String,
}

async fn page(
    s: &WebState,
    a: &Actor,
    u: &CurrentUser,
    new_token: Option<String>,
    errors: Vec<shortlist_app::error::FieldError>,
    form: Option<&NewKey>,
) -> Result<KeysPage, PageError> {
    let keys = s.credentials.api_keys(a).await?;
    Ok(KeysPage {
        csrf: u.csrf_token.clone(),
        is_admin: a.role == Role::Admin,
        keys: keys.into_iter().map(Into::into).collect(),
        new_token,
        errors: Errors(errors),
        name: form.map(|f| f.name.clone()).unwrap_or_default(),
        scopes: form.map(|f| f.scopes.clone()).unwrap_or_else(|| "*".into()),
        expires_on: form.map(|f| f.expires_on.clone()).unwrap_or_default(),
    })
}

pub async fn show(State(s): State<WebState>, PageActor(a, u): PageActor) -> Result<Response, PageError> {
    Ok(render(StatusCode::OK, &page(&s, &a, &u, None, vec![], None).await?))
}

#[derive(Deserialize)]
pub struct NewKey {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: String,
    /// `organisation` or `personal`.
    #[serde(default)]
    kind: String,
    /// A date (YYYY-MM-DD); the key stops working at its start, UTC.
    #[serde(default)]
    expires_on: String,
}

pub async fn create(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<NewKey>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let expires_at = match f.expires_on.trim() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(day) => day.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t)),
            Err(_) => {
                let e = super::field_error("expires_on", "a date such as 2027-01-31");
                let p = page(&s, &a, &u, None, vec![e], Some(&f)).await?;
                return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p));
            }
        },
    };
    let personal = f.kind != "organisation";
    match s
        .credentials
        .create_api_key(&a, personal, &f.name, &f.scopes, expires_at)
        .await
    {
        Ok(issued) => Ok(render(
            StatusCode::CREATED,
            &page(&s, &a, &u, Some(issued.token), vec![], None).await?,
        )),
        Err(e) => {
            let fields = field_errors(e)?;
            let p = page(&s, &a, &u, None, fields, Some(&f)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
    }
}

#[derive(Deserialize)]
pub struct Csrf {
    #[serde(default)]
    csrf: String,
}

pub async fn revoke(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(f): Form<Csrf>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    s.credentials.revoke_api_key(&a, &id).await?;
    Ok(see_other("/settings/api-keys"))
}
