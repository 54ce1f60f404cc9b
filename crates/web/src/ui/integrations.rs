//! Settings → Integrations (every registered ATS with its state) and Settings → Greenhouse (the
//! organisation key, the four URLs to give Greenhouse, the errors it reported). Everyone may
//! look; administrators change things. The key is shown once, on creation or rotation.

use super::{NoticeQuery, notice_text, see_other, when_opt};
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
use shortlist_app::connectors::Dedup;
use shortlist_app::recruiting::Actor;
use shortlist_domain::Role;

pub struct KindLine {
    pub kind: String,
    pub label: String,
    /// "reject"/"replay" when the connection chose; empty for the connector's default.
    pub dedup: String,
    pub reuse_days: u32,
    pub dedup_default: String,
    pub setup_path: String,
    pub connected: bool,
    pub summary: Vec<(&'static str, String)>,
    pub last_event: String,
    pub last_writeback: String,
    pub parked: i64,
}

#[derive(Template)]
#[template(path = "ui/integrations.html")]
struct IntegrationsPage {
    csrf: String,
    is_admin: bool,
    notice: Option<String>,
    kinds: Vec<KindLine>,
    parked: Vec<ParkedLine>,
}

/// A write-back an ATS refused, waiting for an admin.
pub struct ParkedLine {
    pub ats: String,
    pub invitation_id: String,
    pub external_ref: String,
    pub status: String,
    pub message: String,
    pub at: String,
}

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let conns = s.ats.org_connections(&a.org_id).await?;
    let label_of = |connection: &str| {
        conns
            .iter()
            .find(|c| c.id.as_str() == connection)
            .and_then(|c| s.ats_registry.get(&c.kind))
            .map_or_else(|| "ATS".to_string(), |k| k.label().to_string())
    };
    let parked = shortlist_store::ats_writeback::parked(&s.db, Some(&a.org_id))
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|r| ParkedLine {
            ats: label_of(&r.connection_id),
            invitation_id: r.invitation_id,
            external_ref: r.external_ref,
            status: r.parked_kind.unwrap_or_default(),
            message: r.parked_error.unwrap_or_default(),
            at: when_opt(r.parked_at),
        })
        .collect();
    let mut kinds = vec![];
    for c in s.ats_registry.all() {
        let conn = conns.iter().find(|x| x.kind == c.kind());
        let activity = match conn {
            Some(k) => shortlist_store::ats_writeback::activity(&s.db, &a.org_id, k.id.as_str())
                .await
                .map_err(AppError::from)?,
            None => Default::default(),
        };
        kinds.push(KindLine {
            kind: c.kind().to_string(),
            dedup: conn
                .and_then(|k| k.dedup)
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
            reuse_days: conn.and_then(|k| k.dedup).and_then(|d| d.reuse_days()).unwrap_or(30),
            dedup_default: c.default_dedup().describe(),
            label: c.label().to_string(),
            setup_path: c.setup_path().to_string(),
            connected: conn.is_some(),
            summary: conn.map(|k| c.summary(k)).unwrap_or_default(),
            last_event: when_opt(conn.and_then(|k| k.last_inbound_at)),
            last_writeback: when_opt(activity.last_written_at),
            parked: activity.parked,
        });
    }
    Ok(render(
        StatusCode::OK,
        &IntegrationsPage {
            csrf: u.csrf_token.clone(),
            is_admin: a.role == Role::Admin,
            notice: notice_text(q.notice.as_deref()),
            kinds,
            parked,
        },
    ))
}

pub struct ErrorLine {
    pub call: String,
    pub message: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "ui/greenhouse.html")]
struct GreenhousePage {
    csrf: String,
    is_admin: bool,
    connected: bool,
    key_issued: String,
    new_key: Option<String>,
    urls: Vec<(&'static str, String)>,
    tests: Vec<(String, String)>,
    errors: Vec<ErrorLine>,
    notice: Option<String>,
    /// Greenhouse shows a result only with a public URL: interview links must open without an account.
    links_private: bool,
}

async fn page(
    s: &WebState,
    a: &Actor,
    csrf: &str,
    new_key: Option<String>,
    notice: Option<String>,
) -> Result<GreenhousePage, PageError> {
    let conn = s.greenhouse.connection_for_org(&a.org_id).await?;
    let public = s.recruiting.links.public_url();
    let urls = ["list_tests", "send_test", "test_status", "response_error"]
        .into_iter()
        .map(|c| (c, format!("{public}/connectors/greenhouse/{c}")))
        .collect();
    let tests = shortlist_store::templates::list(&s.db, &a.org_id, false)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|t| (t.key, t.name))
        .collect();
    let errors = match &conn {
        Some(c) => shortlist_store::ats::recent_errors(&s.db, &a.org_id, c.id.as_str(), 20)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|e| ErrorLine {
                call: e.call,
                message: e.message,
                at: when_opt(Some(e.created_at)),
            })
            .collect(),
        None => vec![],
    };
    let key_issued = conn
        .as_ref()
        .and_then(|c| {
            c.settings_as::<shortlist_app::connectors::greenhouse::GreenhouseSettings>()
                .ok()
        })
        .and_then(|g| g.key_issued_at);
    let review = shortlist_store::review::settings(&s.db, &a.org_id)
        .await
        .map_err(AppError::from)?;
    Ok(GreenhousePage {
        links_private: review.link_access != "anyone_with_link",
        csrf: csrf.to_string(),
        is_admin: a.role == Role::Admin,
        connected: conn.is_some(),
        key_issued: when_opt(key_issued),
        new_key,
        urls,
        tests,
        errors,
        notice,
    })
}

pub async fn greenhouse(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let p = page(&s, &a, &u.csrf_token, None, notice_text(q.notice.as_deref())).await?;
    Ok(render(StatusCode::OK, &p))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

fn require_admin(a: &Actor) -> Result<(), PageError> {
    if a.role == Role::Admin {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden(
            "only administrators change the Greenhouse connection".into(),
        )))
    }
}

/// Connects the organisation (first time) or rotates its key; shows the new key once.
pub async fn issue_key(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    require_admin(&a)?;
    let key = match s.greenhouse.connection_for_org(&a.org_id).await? {
        Some(_) => s.greenhouse.rotate_key(&a.org_id).await?,
        None => {
            let observer = a.user_id.clone().ok_or(AppError::Unauthorized)?;
            s.greenhouse.connect(&a.org_id, &observer, None).await?.1
        }
    };
    let p = page(&s, &a, &u.csrf_token, Some(key), None).await?;
    Ok(render(StatusCode::OK, &p))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DedupForm {
    csrf: String,
    dedup: String,
    reuse_days: String,
}

/// Sets what a second order for the same application does on this connection.
pub async fn set_dedup(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(kind): Path<String>,
    Form(f): Form<DedupForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    if a.role != Role::Admin {
        return Err(PageError(AppError::Forbidden(
            "only administrators change integrations".into(),
        )));
    }
    let conn = s
        .ats
        .connection_for_org(&a.org_id, &kind)
        .await?
        .ok_or(AppError::NotFound)?;
    let policy = match f.dedup.as_str() {
        "" | "default" => None,
        other => {
            let days = match f.reuse_days.trim() {
                "" => None,
                d => Some(
                    d.parse::<i64>()
                        .ok()
                        .filter(|d| (1..=3650).contains(d))
                        .ok_or_else(|| AppError::field("reuse_days", "a number of days from 1 to 3650"))?,
                ),
            };
            Some(
                Dedup::parse(other, days)
                    .ok_or_else(|| AppError::field("dedup", "default, reject, replay or reuse"))?,
            )
        }
    };
    s.ats.set_dedup(&conn, policy).await?;
    Ok(see_other("/settings/integrations?notice=saved"))
}

/// Sends an invitation's parked write-backs again, once the cause is fixed in the ATS.
pub async fn retry(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    if a.role != Role::Admin {
        return Err(PageError(AppError::Forbidden(
            "only administrators retry write-backs".into(),
        )));
    }
    let inv = shortlist_domain::InvitationId::parse(&id).map_err(|_| AppError::NotFound)?;
    if !shortlist_app::connectors::writeback::retry_parked(&s.db, &a.org_id, &inv)
        .await
        .map_err(AppError::from)?
    {
        return Err(PageError(AppError::NotFound));
    }
    s.wake.notify_one();
    Ok(see_other("/settings/integrations?notice=retrying"))
}

#[derive(Template)]
#[template(path = "ui/workable.html")]
struct WorkablePage {
    csrf: String,
    is_admin: bool,
    connected: bool,
    base_url: String,
    subdomain: String,
    token_issued: String,
    new_token: Option<String>,
    errors: Vec<(String, String)>,
}

async fn workable_page(
    s: &WebState,
    a: &Actor,
    csrf: &str,
    new_token: Option<String>,
    errors: Vec<(String, String)>,
) -> Result<WorkablePage, PageError> {
    let conn = s.workable.connection_for_org(&a.org_id).await?;
    let settings = conn
        .as_ref()
        .and_then(|c| {
            c.settings_as::<shortlist_app::connectors::workable::WorkableSettings>()
                .ok()
        })
        .unwrap_or_default();
    let public = s.recruiting.links.public_url();
    Ok(WorkablePage {
        csrf: csrf.to_string(),
        is_admin: a.role == Role::Admin,
        connected: conn.is_some(),
        base_url: conn
            .as_ref()
            .and_then(|c| c.inbound_user.clone())
            .map(|acct| format!("{public}/connectors/workable/{acct}"))
            .unwrap_or_default(),
        subdomain: settings.subdomain.unwrap_or_default(),
        token_issued: when_opt(settings.token_issued_at),
        new_token,
        errors,
    })
}

/// Settings → Workable.
pub async fn workable(State(s): State<WebState>, PageActor(a, u): PageActor) -> Result<Response, PageError> {
    let p = workable_page(&s, &a, &u.csrf_token, None, vec![]).await?;
    Ok(render(StatusCode::OK, &p))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct WorkableForm {
    csrf: String,
    workable_token: String,
    subdomain: String,
}

/// Connects the organisation (Workable's token and subdomain) or, once connected, rotates our
/// token; shows our token once.
pub async fn workable_token(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Form(f): Form<WorkableForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    if a.role != Role::Admin {
        return Err(PageError(AppError::Forbidden(
            "only administrators change the Workable connection".into(),
        )));
    }
    let result = match s.workable.connection_for_org(&a.org_id).await? {
        Some(_) => s.workable.rotate_token(&a.org_id).await,
        None => {
            let observer = a.user_id.clone().ok_or(AppError::Unauthorized)?;
            let sub = Some(f.subdomain.clone());
            s.workable
                .connect(&a.org_id, &observer, &f.workable_token, sub, None)
                .await
        }
    };
    match result {
        Ok((_, token)) => {
            let p = workable_page(&s, &a, &u.csrf_token, Some(token), vec![]).await?;
            Ok(render(StatusCode::OK, &p))
        }
        Err(AppError::Validation { fields }) => {
            let errors = fields.into_iter().map(|f| (f.field, f.message)).collect();
            let p = workable_page(&s, &a, &u.csrf_token, None, errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
        }
        Err(e) => Err(PageError(e)),
    }
}
