//! Sign-in, sign-out, password change, and the extractors that identify the caller.

use crate::WebState;
use crate::error::{ApiError, PageError};
use crate::pages::{self, render};
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use shortlist_app::AppError;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::credentials::Authenticated;
use shortlist_app::recruiting::Actor;
use shortlist_app::tokens;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "shortlist_session";

pub fn ui_routes() -> Router<WebState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
}

pub fn api_routes() -> Router<WebState> {
    Router::new().route("/me", get(me))
}

async fn user_from_cookie(parts: &Parts, state: &WebState) -> Result<Option<(CurrentUser, String)>, AppError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    Ok(state.accounts.session(&token).await?.map(|u| (u, token)))
}

/// A signed-in user on a page; anyone else is sent to the sign-in page.
pub struct PageUser(pub CurrentUser, pub String);

impl FromRequestParts<WebState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        match user_from_cookie(parts, state).await {
            Ok(Some((u, token))) => Ok(PageUser(u, token)),
            Ok(None) => Err(Redirect::to(&login_url(parts)).into_response()),
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// The sign-in page, asked to come back to this page afterwards. Only pages that are read (GET)
/// come back: a form posted without a session cannot be replayed after signing in.
fn login_url(parts: &Parts) -> String {
    // Under a nested router `parts.uri` lost its prefix; the original URI has it.
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| &o.0)
        .unwrap_or(&parts.uri);
    let here = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if parts.method != Method::GET || here == "/" || local_path(here).is_none() {
        return "/login".into();
    }
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", here)
        .finish();
    format!("/login?{q}")
}

/// `next` if it is a path on this site, so sign-in cannot be made to send anyone elsewhere (an
/// open redirect): it must start with one `/`, and `//host`, `/\host` (browsers read `\` as `/`),
/// schemes, spaces and control characters (browsers drop tabs and newlines) are refused.
/// Visible ASCII only, which is also what a Location header may hold.
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2048
        && next.chars().all(|c| c.is_ascii_graphic());
    ok.then_some(next)
}

/// A signed-in user on the API; anyone else gets a 401 problem.
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<WebState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<Authenticated>() {
            return match &a.user {
                Some(u) => Ok(ApiUser(u.clone())),
                None => Err(ApiError(AppError::Forbidden(
                    "an organisation API key acts for no user; use a personal access token".into(),
                ))),
            };
        }
        match user_from_cookie(parts, state).await? {
            Some((u, _)) => Ok(ApiUser(u)),
            None => Err(ApiError(AppError::Unauthorized)),
        }
    }
}

/// The caller of an API route as an [`Actor`]: a signed-in user, or a partner, organisation key
/// or personal token that [`crate::gate`] authenticated.
pub struct ApiActor(pub Actor);

impl FromRequestParts<WebState> for ApiActor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<Authenticated>() {
            return Ok(ApiActor(a.actor.clone()));
        }
        let ApiUser(u) = ApiUser::from_request_parts(parts, state).await?;
        Ok(ApiActor(Actor::user(&u)))
    }
}

/// A signed-in user on a page, with the [`Actor`] the services take.
pub struct PageActor(pub Actor, pub CurrentUser);

impl FromRequestParts<WebState> for PageActor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let PageUser(u, _) = PageUser::from_request_parts(parts, state).await?;
        Ok(PageActor(Actor::user(&u), u))
    }
}

/// Refuses state-changing requests that a browser marks as coming from another site (the
/// `Sec-Fetch-Site`/`Origin` check of Go 1.25's CrossOriginProtection). Clients that are not
/// browsers send neither header and pass; they authenticate by other means.
pub async fn cross_origin_guard(State(s): State<WebState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let allowed = match (site, origin) {
        (Some(site), _) => site == "same-origin" || site == "none",
        (None, None) => true,
        (None, Some(o)) => {
            o == s.public_origin || host.is_some_and(|h| o.split_once("://").is_some_and(|(_, rest)| rest == h))
        }
    };
    if allowed {
        next.run(req).await
    } else {
        crate::error::page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form was sent from another site.",
        )
    }
}

/// The CSRF token of the session must come back with every form a signed-in user posts.
pub fn check_csrf(user: &CurrentUser, sent: &str) -> Result<(), PageError> {
    if tokens::equal(&user.csrf_token, sent) {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden(
            "The form has expired. Reload the page and try again.".into(),
        )))
    }
}

async fn home(PageUser(user, _): PageUser) -> Response {
    render(StatusCode::OK, &pages::Home::new(&user))
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: `next` when it is local, else the home page.
fn after_login(next: &str) -> &str {
    local_path(next).unwrap_or("/")
}

async fn login_page(State(s): State<WebState>, jar: CookieJar, Query(q): Query<NextQuery>) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Ok(Some(_)) = s.accounts.session(c.value()).await
    {
        return Redirect::to(after_login(&q.next)).into_response();
    }
    render(
        StatusCode::OK,
        &pages::Login {
            email: String::new(),
            error: None,
            next: local_path(&q.next).unwrap_or_default().to_string(),
        },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let again = |status, error: String| {
        render(
            status,
            &pages::Login {
                email: f.email.clone(),
                error: Some(error),
                next: local_path(&f.next).unwrap_or_default().to_string(),
            },
        )
    };
    if let Err(wait) = s.limits.check(peer.ip(), &f.email) {
        let mut resp = again(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many sign-in attempts. Try again in {wait} seconds."),
        );
        if let Ok(v) = wait.to_string().parse() {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    match s.accounts.login(&f.email, &f.password).await {
        Ok(session) => {
            let cookie = Cookie::build((SESSION_COOKIE, session.token))
                .http_only(true)
                .secure(s.secure_cookies)
                .same_site(SameSite::Lax)
                .path("/")
                .expires(time_of(session.expires_at));
            (jar.add(cookie), Redirect::to(after_login(&f.next))).into_response()
        }
        Err(AppError::Unauthorized) => again(
            StatusCode::UNAUTHORIZED,
            "The e-mail or password is not correct.".into(),
        ),
        Err(e) => PageError(e).into_response(),
    }
}

fn time_of(t: chrono::DateTime<chrono::Utc>) -> axum_extra::extract::cookie::Expiration {
    match cookie::time::OffsetDateTime::from_unix_timestamp(t.timestamp()) {
        Ok(dt) => dt.into(),
        Err(_) => axum_extra::extract::cookie::Expiration::Session,
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(s): State<WebState>,
    PageUser(user, token): PageUser,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &f.csrf)?;
    s.accounts.logout(&token).await?;
    let gone = Cookie::build((SESSION_COOKIE, "")).path("/");
    Ok((jar.remove(gone), Redirect::to("/login")).into_response())
}

async fn account_page(PageUser(user, _): PageUser) -> Response {
    render(StatusCode::OK, &pages::Account::new(&user, None, &[]))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

async fn change_password(
    State(s): State<WebState>,
    PageUser(user, _): PageUser,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &f.csrf)?;
    match s
        .accounts
        .change_password(&user, &f.current_password, &f.new_password, &f.confirm_password)
        .await
    {
        Ok(strength) => {
            let notice = format!(
                "Your password was changed (strength: {}). Your other sessions were signed out.",
                strength.label()
            );
            Ok(render(StatusCode::OK, &pages::Account::new(&user, Some(notice), &[])))
        }
        Err(AppError::Validation { fields }) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &pages::Account::new(&user, None, &fields),
        )),
        Err(e) => Err(PageError(e)),
    }
}

/// The user the request acts as.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Me {
    id: String,
    email: String,
    name: String,
    /// `admin`, `recruiter` or `reviewer`.
    role: String,
    org: MeOrg,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct MeOrg {
    id: String,
    name: String,
}

/// Get the calling user
///
/// The user a session, personal token or partner (through `X-Shortlist-User-Email`) acts as.
/// An organisation API key acts for no user and gets 403.
// Explicitly no scope: it names only who the credentials act as, which any caller may know.
#[utoipa::path(get, path = "/me", security(("api_key" = [])), tag = "account",
    responses((status = 200, description = "The user and organisation.", body = Me)))]
async fn me(ApiUser(u): ApiUser) -> Json<Me> {
    Json(Me {
        id: u.user_id.to_string(),
        email: u.email,
        name: u.name,
        role: u.role.to_string(),
        org: MeOrg {
            id: u.org_id.to_string(),
            name: u.org_name,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        for ok in [
            "/",
            "/positions",
            "/connectors/icims/pick/pos_1?workflow=7&person=9",
            "/a//b",
        ] {
            assert_eq!(local_path(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "positions",
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "/caf\u{e9}",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
