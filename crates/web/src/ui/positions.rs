//! Positions: list and create, the position page (details, templates, invitations), and the
//! invite form with its duplicate and prior-invitation notices.

use super::{Errors, NoticeQuery, day, field_error, field_errors, notice_text, see_other, value, when, when_opt};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use shortlist_app::AppError;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::recruiting::invitations::{InvitationView, LIVE};
use shortlist_app::recruiting::positions::{NewPosition, PositionView};
use shortlist_app::recruiting::{Actor, Recruiting};
use shortlist_domain::{PositionId, TemplateId, TemplateVersionId};
use std::collections::HashMap;

pub struct TplOpt {
    pub id: String,
    pub key: String,
    pub name: String,
    pub version: i32,
    pub archived: bool,
    pub linked: bool,
}

pub struct InvRow {
    pub id: String,
    pub candidate_name: String,
    pub email: String,
    pub template: String,
    pub round: i32,
    pub state: String,
    pub delivery: String,
    pub delivery_error: Option<String>,
    pub sent: String,
    pub opened: String,
    pub expires: String,
    pub live: bool,
    pub extendable: bool,
}

#[derive(Default)]
pub struct InviteForm {
    pub email: String,
    pub name: String,
    pub template_id: String,
    pub round: String,
    pub expires_in_days: String,
}

pub struct Prior {
    pub title: String,
    pub state: String,
    pub date: String,
}

pub struct Duplicate {
    pub email: String,
    pub date: String,
    pub state: String,
    pub template_id: String,
    pub round: i32,
}

#[derive(Template)]
#[template(path = "ui/position.html")]
pub struct PositionPage {
    pub csrf: String,
    pub can_edit: bool,
    pub pos: PositionView,
    pub created: String,
    pub edit_title: String,
    pub templates: Vec<TplOpt>,
    pub invite_templates: Vec<TplOpt>,
    pub form: InviteForm,
    pub errors: Errors,
    pub notice: Option<String>,
    pub prior: Vec<Prior>,
    pub duplicate: Option<Duplicate>,
    pub alert: Option<String>,
    pub invitations: Vec<InvRow>,
    pub bulk_error: Option<String>,
    pub limit: &'static str,
}

pub struct PosRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub owner: String,
}

#[derive(Template)]
#[template(path = "ui/positions.html")]
struct ListPage {
    csrf: String,
    can_edit: bool,
    rows: Vec<PosRow>,
    templates: Vec<TplOpt>,
    title: String,
    chosen: Vec<String>,
    errors: Errors,
    notice: Option<String>,
}

pub(crate) fn position_id(raw: &str) -> Result<PositionId, PageError> {
    PositionId::parse(raw).map_err(|_| PageError(AppError::NotFound))
}

/// `key v3` for each template version id seen, looked up once each.
async fn version_labels(r: &Recruiting, a: &Actor, invs: &[InvitationView]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for i in invs {
        let vid = &i.template.version_id;
        if out.contains_key(vid) {
            continue;
        }
        let n = match TemplateVersionId::parse(vid) {
            Ok(v) => shortlist_store::templates::version(&r.db, &a.org_id, &v)
                .await
                .ok()
                .flatten()
                .map(|v| v.version),
            Err(_) => None,
        };
        let label = n.map_or(i.template.key.clone(), |n| format!("{} v{n}", i.template.key));
        out.insert(vid.clone(), label);
    }
    out
}

pub(crate) async fn invitation_rows(r: &Recruiting, a: &Actor, invs: Vec<InvitationView>) -> Vec<InvRow> {
    let labels = version_labels(r, a, &invs).await;
    invs.into_iter()
        .map(|i| InvRow {
            template: labels
                .get(&i.template.version_id)
                .cloned()
                .unwrap_or_else(|| i.template.key.clone()),
            live: LIVE.contains(&i.state.as_str()),
            extendable: LIVE.contains(&i.state.as_str()) || i.state == "expired",
            id: i.id,
            candidate_name: i.candidate.name,
            email: i.candidate.email,
            round: i.round,
            state: i.state,
            delivery: i.delivery,
            delivery_error: i.delivery_error,
            sent: when_opt(i.sent_at),
            opened: when_opt(i.opened_at),
            expires: when(i.expires_at),
        })
        .collect()
}

async fn template_options(r: &Recruiting, a: &Actor, linked: &[String]) -> Result<Vec<TplOpt>, PageError> {
    Ok(r.templates(a, true)
        .await?
        .into_iter()
        .map(|t| TplOpt {
            linked: linked.contains(&t.id),
            archived: t.archived_at.is_some(),
            id: t.id,
            key: t.key,
            name: t.name,
            version: t.current_version,
        })
        .collect())
}

/// The position page as it is now, with an empty invite form.
pub(crate) async fn load(s: &WebState, a: &Actor, u: &CurrentUser, id: &PositionId) -> Result<PositionPage, PageError> {
    let r = &s.recruiting;
    let pos = r.position(a, id).await?;
    let templates = template_options(r, a, &pos.template_ids).await?;
    let invite_templates: Vec<TplOpt> = templates
        .iter()
        .filter(|t| t.linked && !t.archived)
        .map(|t| TplOpt {
            id: t.id.clone(),
            key: t.key.clone(),
            name: t.name.clone(),
            ..*t
        })
        .collect();
    let invitations = invitation_rows(r, a, r.invitations_for_position(a, id).await?).await;
    let form = InviteForm {
        template_id: match invite_templates.as_slice() {
            [only] => only.id.clone(),
            _ => String::new(),
        },
        ..InviteForm::default()
    };
    Ok(PositionPage {
        csrf: u.csrf_token.clone(),
        can_edit: a.require_recruiter().is_ok(),
        created: day(pos.created_at),
        edit_title: pos.title.clone(),
        pos,
        templates,
        invite_templates,
        form,
        errors: Errors(vec![]),
        notice: None,
        prior: vec![],
        duplicate: None,
        alert: None,
        invitations,
        bulk_error: None,
        limit: super::UPLOAD_LIMIT_TEXT,
    })
}

async fn list_page(s: &WebState, a: &Actor, u: &CurrentUser) -> Result<ListPage, PageError> {
    let rows = s
        .recruiting
        .positions(a, None)
        .await?
        .into_iter()
        .map(|p| PosRow {
            id: p.id,
            title: p.title,
            status: p.status,
            owner: p.owner_name,
        })
        .collect();
    let templates = template_options(&s.recruiting, a, &[])
        .await?
        .into_iter()
        .filter(|t| !t.archived)
        .collect();
    Ok(ListPage {
        csrf: u.csrf_token.clone(),
        can_edit: a.require_recruiter().is_ok(),
        rows,
        templates,
        title: String::new(),
        chosen: vec![],
        errors: Errors(vec![]),
        notice: None,
    })
}

pub async fn list(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut page = list_page(&s, &a, &u).await?;
    page.notice = notice_text(q.notice.as_deref());
    Ok(render(StatusCode::OK, &page))
}

fn chosen_templates(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == "template_ids")
        .map(|(_, v)| v.clone())
        .collect()
}

pub async fn create(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&pairs, "csrf"))?;
    a.require_recruiter()?;
    let chosen = chosen_templates(&pairs);
    let template_ids: Result<Vec<TemplateId>, _> = chosen.iter().map(|t| TemplateId::parse(t)).collect();
    let title = value(&pairs, "title").to_string();
    let errs = match template_ids {
        Err(_) => vec![field_error("template_ids", "choose templates from the list")],
        Ok(template_ids) => {
            let new = NewPosition {
                title: title.clone(),
                owner: None,
                template_ids,
                external_refs: vec![],
            };
            match s.recruiting.create_position(&a, new).await {
                Ok(p) => return Ok(see_other(&format!("/positions/{}?notice=created", p.id))),
                Err(e) => field_errors(e)?,
            }
        }
    };
    let mut page = list_page(&s, &a, &u).await?;
    page.title = title;
    page.chosen = chosen;
    page.errors = Errors(errs);
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut page = load(&s, &a, &u, &position_id(&id)?).await?;
    page.notice = notice_text(q.notice.as_deref());
    Ok(render(StatusCode::OK, &page))
}

pub async fn update(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&pairs, "csrf"))?;
    let id = position_id(&id)?;
    let (title, status) = (value(&pairs, "title"), value(&pairs, "status"));
    match s.recruiting.update_position(&a, &id, title, status).await {
        Ok(_) => Ok(see_other(&format!("/positions/{id}?notice=saved"))),
        Err(e) => {
            let errs = field_errors(e)?;
            let mut page = load(&s, &a, &u, &id).await?;
            page.edit_title = title.to_string();
            page.errors = Errors(errs);
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// Links the checked templates and unlinks the others.
pub async fn link(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&pairs, "csrf"))?;
    a.require_recruiter()?;
    let id = position_id(&id)?;
    let pos = s.recruiting.position(&a, &id).await?;
    let chosen = chosen_templates(&pairs);
    for t in s.recruiting.templates(&a, true).await? {
        let want = chosen.contains(&t.id);
        if want != pos.template_ids.contains(&t.id) {
            let tid = TemplateId::parse(&t.id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            s.recruiting.link_template(&a, &id, &tid, want).await?;
        }
    }
    Ok(see_other(&format!("/positions/{id}?notice=linked")))
}
