//! The signed-in user's notification preferences (how completions reach them, when, in which
//! time zone; which other notices they get; which positions they follow) and the one-click
//! unsubscribe link from every notification e-mail, which works without signing in.

use super::{Errors, NoticeQuery, field_errors, notice_text, see_other};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::{PageError, page};
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shortlist_app::accounts::CurrentUser;
use shortlist_app::notify::{Kind, Prefs, PrefsInput};
use shortlist_app::recruiting::Actor;
use shortlist_domain::PositionId;

pub struct PositionChoice {
    pub id: String,
    pub title: String,
    pub owned: bool,
    pub followed: bool,
}

#[derive(Template)]
#[template(path = "ui/notifications.html")]
struct PrefsPage {
    csrf: String,
    completions: String,
    weekday: String,
    local_time: String,
    time_zone: String,
    send_empty: bool,
    prior_invites: bool,
    email_failed: bool,
    push_completed: bool,
    push_email_failed: bool,
    positions: Vec<PositionChoice>,
    errors: Errors,
    notice: Option<String>,
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl PrefsPage {
    fn is_mode(&self, v: &str) -> bool {
        self.completions == v
    }

    fn weekdays(&self) -> Vec<(String, &'static str)> {
        WEEKDAYS.iter().enumerate().map(|(i, d)| (i.to_string(), *d)).collect()
    }
}

fn input_of(p: &Prefs) -> PrefsInput {
    PrefsInput {
        completions: p.completions.clone(),
        weekday: p.weekday.to_string(),
        local_time: p.local_time.format("%H:%M").to_string(),
        time_zone: p.time_zone.name().to_string(),
        send_empty: p.send_empty,
        prior_invites: p.prior_invites,
        email_failed: p.email_failed,
        push_kinds: p.push_kinds.clone(),
    }
}

async fn load(
    s: &WebState,
    a: &Actor,
    u: &CurrentUser,
    input: PrefsInput,
    errors: Errors,
) -> Result<PrefsPage, PageError> {
    let followed = s.notifier.followed(a).await?;
    let me = u.user_id.to_string();
    let positions = shortlist_store::positions::list(&s.db, &a.org_id, Some("open"))
        .await
        .map_err(|e| PageError(e.into()))?
        .into_iter()
        .map(|p| PositionChoice {
            followed: followed.contains(&p.id),
            owned: p.owner_id == me,
            id: p.id,
            title: p.title,
        })
        .collect();
    Ok(PrefsPage {
        csrf: u.csrf_token.clone(),
        completions: input.completions,
        weekday: input.weekday,
        local_time: input.local_time,
        time_zone: input.time_zone,
        send_empty: input.send_empty,
        prior_invites: input.prior_invites,
        email_failed: input.email_failed,
        push_completed: input.push_kinds.iter().any(|k| k == "completed"),
        push_email_failed: input.push_kinds.iter().any(|k| k == "email_failed"),
        positions,
        errors,
        notice: None,
    })
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let prefs = s.notifier.my_prefs(&a).await?;
    let mut page = load(&s, &a, &u, input_of(&prefs), Errors(vec![])).await?;
    page.notice = notice_text(q.notice.as_deref());
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub struct PrefsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    completions: String,
    #[serde(default)]
    weekday: String,
    #[serde(default)]
    local_time: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    send_empty: Option<String>,
    #[serde(default)]
    prior_invites: Option<String>,
    #[serde(default)]
    email_failed: Option<String>,
    #[serde(default)]
    push_completed: Option<String>,
    #[serde(default)]
    push_email_failed: Option<String>,
}

pub async fn update(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<PrefsForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let input = PrefsInput {
        completions: f.completions,
        weekday: f.weekday,
        local_time: f.local_time,
        time_zone: f.time_zone,
        send_empty: f.send_empty.is_some(),
        prior_invites: f.prior_invites.is_some(),
        email_failed: f.email_failed.is_some(),
        push_kinds: [("completed", &f.push_completed), ("email_failed", &f.push_email_failed)]
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.to_string())
            .collect(),
    };
    match s.notifier.save(&a, &input).await {
        Ok(_) => Ok(see_other("/settings/notifications?notice=saved")),
        Err(e) => {
            let errs = field_errors(e)?;
            let page = load(&s, &a, &u, input, Errors(errs)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(serde::Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    position_id: String,
    #[serde(default)]
    follow: String,
}

pub async fn follow(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<FollowForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let pos = PositionId::parse(&f.position_id).map_err(|_| PageError(shortlist_app::AppError::NotFound))?;
    s.notifier.set_following(&a, &pos, f.follow == "1").await?;
    Ok(see_other("/settings/notifications?notice=saved"))
}

#[derive(Template)]
#[template(path = "ui/unsubscribe.html")]
struct UnsubscribePage {
    what: &'static str,
    done: bool,
}

/// Asks before switching off: mail scanners open links, they do not press buttons.
pub async fn unsubscribe_form(State(s): State<WebState>, Path(token): Path<String>) -> Response {
    match s.notifier.read_unsubscribe(&token) {
        Ok(kind) => render(
            StatusCode::OK,
            &UnsubscribePage {
                what: kind.describe(),
                done: false,
            },
        ),
        Err(_) => not_valid(),
    }
}

/// The button on that page, and RFC 8058 one-click POSTs from mail programs.
pub async fn unsubscribe(State(s): State<WebState>, Path(token): Path<String>) -> Response {
    match s.notifier.unsubscribe(&token).await {
        Ok(kind) => render(
            StatusCode::OK,
            &UnsubscribePage {
                what: Kind::describe(kind),
                done: true,
            },
        ),
        Err(shortlist_app::AppError::NotFound) => not_valid(),
        Err(e) => PageError(e).into_response(),
    }
}

fn not_valid() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link not valid",
        "This unsubscribe link is not valid. Sign in and open Settings → Notifications instead.",
    )
}
