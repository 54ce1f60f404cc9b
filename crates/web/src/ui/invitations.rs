//! One invitation with its full history, and the per-invitation actions (resend, extend by
//! 7 days, cancel) used from the position page and from here.

use super::positions::{InvRow, invitation_rows};
use super::{NoticeQuery, notice_text, see_other, when};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::TimeDelta;
use shortlist_app::AppError;
use shortlist_app::recruiting::Actor;
use shortlist_domain::{InvitationId, UserId};
use std::collections::HashMap;

pub struct EventLine {
    pub at: String,
    pub kind: String,
    pub change: String,
    pub who: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "ui/invitation.html")]
struct InvitationPage {
    csrf: String,
    can_edit: bool,
    position_id: String,
    position_title: String,
    created: String,
    candidate_url: String,
    send_count: i32,
    invitations: Vec<InvRow>,
    events: Vec<EventLine>,
    notice: Option<String>,
}

fn invitation_id(raw: &str) -> Result<InvitationId, PageError> {
    InvitationId::parse(raw).map_err(|_| PageError(AppError::NotFound))
}

/// "Name (e-mail)" for user ids in the history; other actors (system, partners) as recorded.
async fn who(s: &WebState, a: &Actor, label: &str, cache: &mut HashMap<String, String>) -> String {
    if let Some(w) = cache.get(label) {
        return w.clone();
    }
    let name = match UserId::parse(label) {
        Ok(uid) => match shortlist_store::users::get(&s.db, &a.org_id, &uid).await {
            Ok(Some(u)) => format!("{} ({})", u.name, u.email),
            _ => label.to_string(),
        },
        Err(_) => label.to_string(),
    };
    cache.insert(label.to_string(), name.clone());
    name
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let (inv, history) = s.recruiting.invitation(&a, &invitation_id(&id)?).await?;
    let mut cache = HashMap::new();
    let mut events = vec![];
    for e in history {
        let change = match (&e.from_state, &e.to_state) {
            (Some(f), Some(t)) if f != t => format!("{f} → {t}"),
            (None, Some(t)) => t.clone(),
            _ => String::new(),
        };
        events.push(EventLine {
            at: when(e.at),
            kind: e.kind.replace('_', " "),
            change,
            who: match &e.actor {
                Some(l) => who(&s, &a, l, &mut cache).await,
                None => "Shortlist".into(),
            },
            detail: e.detail.unwrap_or_default(),
        });
    }
    let can_edit = a.require_recruiter().is_ok();
    let page = InvitationPage {
        csrf: u.csrf_token.clone(),
        can_edit,
        position_id: inv.position.id.clone(),
        position_title: inv.position.title.clone(),
        created: when(inv.created_at),
        candidate_url: if can_edit {
            inv.candidate_url.clone()
        } else {
            String::new()
        },
        send_count: inv.send_count,
        invitations: invitation_rows(&s.recruiting, &a, vec![inv]).await,
        events,
        notice: notice_text(q.notice.as_deref()),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

pub async fn act(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let id = invitation_id(&id)?;
    let r = &s.recruiting;
    let (view, notice) = match action.as_str() {
        "resend" => (r.resend(&a, &id).await?, "resent"),
        "extend" => {
            let (current, _) = r.invitation(&a, &id).await?;
            let from = current.expires_at.max(r.clock.now());
            (r.extend(&a, &id, from + TimeDelta::days(7)).await?, "extended")
        }
        "cancel" => (r.cancel(&a, &id).await?, "cancelled"),
        _ => return Err(PageError(AppError::NotFound)),
    };
    s.wake.notify_one();
    Ok(if f.back == "invitation" {
        see_other(&format!("/invitations/{id}?notice={notice}"))
    } else {
        see_other(&format!("/positions/{}?notice={notice}#invitations", view.position.id))
    })
}
