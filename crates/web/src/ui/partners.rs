//! Admin → Partners: the installation's operators register partners, review and promote them
//! (sandbox → in review → live, suspend and reinstate, each with a note in the audit trail), set
//! their policy and rotate their secrets — what `shortlist admin partner` does, on a page.
//!
//! Partners are installation-wide, so organisation admins are not enough: only administrators
//! whose e-mail is in SHORTLIST_OPERATOR_EMAILS see these pages; everyone else gets the same 404
//! as for an address that does not exist.

use super::{Errors, NoticeQuery, field_error, field_errors, see_other, value, when};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::{PageError, page_not_found};
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::credentials::PartnerView;
use shortlist_app::credentials::admin::NewPartner;
use shortlist_app::credentials::policy::{DEFAULT_BURST, DEFAULT_RATE};
use shortlist_app::credentials::review::{OrgChoice, PolicyInput, Step, next_steps};
use shortlist_app::error::FieldError;
use shortlist_domain::Role;
use shortlist_store::credentials::AuditRow;

/// A signed-in operator; anyone else signed in gets 404.
pub struct Operator(pub CurrentUser);

impl FromRequestParts<WebState> for Operator {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let PageActor(_, u) = PageActor::from_request_parts(parts, state).await?;
        if is_operator(state, &u) {
            Ok(Operator(u))
        } else {
            Err(page_not_found().await.into_response())
        }
    }
}

pub(crate) fn is_operator(s: &WebState, u: &CurrentUser) -> bool {
    u.role == Role::Admin && s.operators.iter().any(|e| e.eq_ignore_ascii_case(u.email.trim()))
}

type Pairs = Vec<(String, String)>;

fn values(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// A whole number from a form field, or a field error naming it.
fn number(pairs: &[(String, String)], name: &str, default: u32) -> Result<u32, FieldError> {
    match value(pairs, name).trim() {
        "" => Ok(default),
        n => n.parse().map_err(|_| field_error(name, "a whole number")),
    }
}

pub struct PartnerLine {
    pub id: String,
    pub name: String,
    pub contact: String,
    pub status: String,
    pub orgs: String,
    pub scopes: String,
    pub rate: i32,
    pub burst: i32,
    pub ip_allow: String,
    pub created: String,
}

fn org_names(orgs: &[OrgChoice], ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            orgs.iter()
                .find(|o| &o.id == id)
                .map_or(id.as_str(), |o| o.name.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn line(p: PartnerView, orgs: &[OrgChoice]) -> PartnerLine {
    PartnerLine {
        orgs: org_names(orgs, &p.orgs),
        id: p.id,
        name: p.name,
        contact: p.contact,
        status: p.status,
        scopes: p.scopes,
        rate: p.rate_per_sec,
        burst: p.rate_burst,
        ip_allow: if p.ip_allow.is_empty() {
            "any address".into()
        } else {
            p.ip_allow
        },
        created: when(p.created_at),
    }
}

/// What the create and policy forms show: the values sent back after an error, or defaults.
#[derive(Default)]
pub struct PolicyForm {
    pub name: String,
    pub contact: String,
    pub scopes: String,
    pub rate: String,
    pub burst: String,
    pub ip_allow: String,
    pub orgs: Vec<String>,
}

impl PolicyForm {
    fn of(pairs: &[(String, String)]) -> PolicyForm {
        PolicyForm {
            name: value(pairs, "name").into(),
            contact: value(pairs, "contact").into(),
            scopes: value(pairs, "scopes").into(),
            rate: value(pairs, "rate").into(),
            burst: value(pairs, "burst").into(),
            ip_allow: value(pairs, "ip_allow").into(),
            orgs: values(pairs, "orgs"),
        }
    }

    fn fresh() -> PolicyForm {
        PolicyForm {
            scopes: "*".into(),
            rate: DEFAULT_RATE.to_string(),
            burst: DEFAULT_BURST.to_string(),
            ..PolicyForm::default()
        }
    }

    fn current(p: &PartnerView) -> PolicyForm {
        PolicyForm {
            scopes: p.scopes.clone(),
            rate: p.rate_per_sec.to_string(),
            burst: p.rate_burst.to_string(),
            ip_allow: p.ip_allow.clone(),
            orgs: p.orgs.clone(),
            ..PolicyForm::default()
        }
    }

    pub fn has_org(&self, id: &str) -> bool {
        self.orgs.iter().any(|o| o == id)
    }
}

pub struct Issued {
    pub id: String,
    pub name: String,
    pub key: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "ui/partners.html")]
struct ListPage {
    csrf: String,
    partners: Vec<PartnerLine>,
    orgs: Vec<OrgChoice>,
    /// The partner just registered with its secret, shown this once.
    issued: Option<Issued>,
    form: PolicyForm,
    errors: Errors,
}

async fn list_page(
    s: &WebState,
    u: &CurrentUser,
    issued: Option<(PartnerView, String)>,
    form: PolicyForm,
    errors: Vec<FieldError>,
) -> Result<ListPage, PageError> {
    let orgs = s.credentials.org_choices().await?;
    let partners = s.credentials.partners().await?;
    Ok(ListPage {
        csrf: u.csrf_token.clone(),
        partners: partners.into_iter().map(|p| line(p, &orgs)).collect(),
        issued: issued.map(|(p, secret)| Issued {
            id: p.id,
            name: p.name,
            key: p.partner_key,
            secret,
        }),
        orgs,
        form,
        errors: Errors(errors),
    })
}

pub async fn list(State(s): State<WebState>, Operator(u): Operator) -> Result<Response, PageError> {
    let p = list_page(&s, &u, None, PolicyForm::fresh(), vec![]).await?;
    Ok(render(StatusCode::OK, &p))
}

pub async fn create(
    State(s): State<WebState>,
    Operator(u): Operator,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&f, "csrf"))?;
    let mut errors = Vec::new();
    let rate = number(&f, "rate", DEFAULT_RATE).map_err(|e| errors.push(e)).ok();
    let burst = number(&f, "burst", DEFAULT_BURST).map_err(|e| errors.push(e)).ok();
    let orgs = match s.credentials.served_orgs(&values(&f, "orgs")).await {
        Ok(o) => o,
        Err(e) => {
            errors.extend(field_errors(e)?);
            vec![]
        }
    };
    if errors.is_empty() {
        let n = NewPartner {
            name: value(&f, "name"),
            contact: value(&f, "contact"),
            orgs,
            scopes: Some(value(&f, "scopes")),
            rate_per_sec: rate,
            burst,
            ip_allow: Some(value(&f, "ip_allow")),
        };
        match s.credentials.register_partner(n, &u.email).await {
            Ok(issued) => {
                let issued = Some((issued.partner, issued.secret));
                let p = list_page(&s, &u, issued, PolicyForm::fresh(), vec![]).await?;
                return Ok(render(StatusCode::CREATED, &p));
            }
            Err(e) => errors = field_errors(e)?,
        }
    }
    let p = list_page(&s, &u, None, PolicyForm::of(&f), errors).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &p))
}

pub struct AuditLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub change: String,
    pub detail: String,
}

impl From<AuditRow> for AuditLine {
    fn from(a: AuditRow) -> Self {
        let change = match (&a.from_status, &a.to_status) {
            (Some(f), Some(t)) => format!("{f} → {t}"),
            (None, Some(t)) => t.clone(),
            _ => String::new(),
        };
        AuditLine {
            at: when(a.at),
            actor: a.actor,
            action: a.action,
            change,
            detail: a.detail,
        }
    }
}

#[derive(Template)]
#[template(path = "ui/partner.html")]
struct DetailPage {
    csrf: String,
    p: PartnerLine,
    key: String,
    steps: Vec<Step>,
    orgs: Vec<OrgChoice>,
    form: PolicyForm,
    audit: Vec<AuditLine>,
    /// A secret just issued by rotation, shown this once.
    new_secret: Option<String>,
    window_hours: String,
    note: String,
    errors: Errors,
    notice: Option<&'static str>,
}

/// What a detail page shows besides the partner itself.
#[derive(Default)]
struct Extra {
    form: Option<PolicyForm>,
    new_secret: Option<String>,
    window_hours: Option<String>,
    note: String,
    errors: Vec<FieldError>,
    notice: Option<&'static str>,
}

async fn detail_page(s: &WebState, u: &CurrentUser, id: &str, x: Extra) -> Result<DetailPage, PageError> {
    let view = s.credentials.partner_view(id).await?;
    let orgs = s.credentials.org_choices().await?;
    let audit = s.credentials.partner_audit(id).await?;
    Ok(DetailPage {
        csrf: u.csrf_token.clone(),
        key: view.partner_key.clone(),
        steps: next_steps(&view.status),
        form: x.form.unwrap_or_else(|| PolicyForm::current(&view)),
        p: line(view, &orgs),
        orgs,
        // Newest first: the last decision is what a reviewer looks for.
        audit: audit.into_iter().rev().map(Into::into).collect(),
        new_secret: x.new_secret,
        window_hours: x.window_hours.unwrap_or_else(|| "24".into()),
        note: x.note,
        errors: Errors(x.errors),
        notice: x.notice,
    })
}

pub async fn show(
    State(s): State<WebState>,
    Operator(u): Operator,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let notice = match q.notice.as_deref() {
        Some("status") => Some("Status changed."),
        Some("policy") => Some("Policy saved."),
        _ => None,
    };
    let x = Extra {
        notice,
        ..Extra::default()
    };
    Ok(render(StatusCode::OK, &detail_page(&s, &u, &id, x).await?))
}

async fn invalid(s: &WebState, u: &CurrentUser, id: &str, x: Extra) -> Result<Response, PageError> {
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &detail_page(s, u, id, x).await?,
    ))
}

pub async fn status(
    State(s): State<WebState>,
    Operator(u): Operator,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&f, "csrf"))?;
    let note = value(&f, "note");
    match s.credentials.review_partner(&id, value(&f, "to"), &u.email, note).await {
        Ok(_) => Ok(see_other(&format!("/admin/partners/{id}?notice=status"))),
        Err(e) => {
            let x = Extra {
                errors: field_errors(e)?,
                note: note.into(),
                ..Extra::default()
            };
            invalid(&s, &u, &id, x).await
        }
    }
}

pub async fn policy(
    State(s): State<WebState>,
    Operator(u): Operator,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&f, "csrf"))?;
    let mut errors = Vec::new();
    let rate = number(&f, "rate", DEFAULT_RATE)
        .map_err(|e| errors.push(e))
        .unwrap_or(0);
    let burst = number(&f, "burst", DEFAULT_BURST)
        .map_err(|e| errors.push(e))
        .unwrap_or(0);
    let orgs = values(&f, "orgs");
    let input = PolicyInput {
        scopes: value(&f, "scopes"),
        rate_per_sec: rate,
        burst,
        ip_allow: value(&f, "ip_allow"),
        orgs: &orgs,
    };
    match s.credentials.set_partner_policy_as(&id, input, &u.email).await {
        Ok(()) if errors.is_empty() => return Ok(see_other(&format!("/admin/partners/{id}?notice=policy"))),
        Ok(()) => {}
        // A number that did not parse is reported once, not again as "from 1 to …".
        Err(e) => {
            let more: Vec<FieldError> = field_errors(e)?
                .into_iter()
                .filter(|e| !errors.iter().any(|x: &FieldError| x.field == e.field))
                .collect();
            errors.extend(more);
        }
    }
    let x = Extra {
        form: Some(PolicyForm::of(&f)),
        errors,
        ..Extra::default()
    };
    invalid(&s, &u, &id, x).await
}

pub async fn rotate(
    State(s): State<WebState>,
    Operator(u): Operator,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Result<Response, PageError> {
    check_csrf(&u, value(&f, "csrf"))?;
    let raw = value(&f, "window_hours").trim();
    let hours = match raw.parse::<i64>() {
        Ok(h) if (0..=24 * 30).contains(&h) => h,
        _ => {
            let x = Extra {
                errors: vec![field_error("window_hours", "hours from 0 to 720")],
                window_hours: Some(raw.into()),
                ..Extra::default()
            };
            return invalid(&s, &u, &id, x).await;
        }
    };
    let secret = s
        .credentials
        .rotate_partner(&id, TimeDelta::hours(hours), &u.email)
        .await?;
    let x = Extra {
        new_secret: Some(secret),
        ..Extra::default()
    };
    Ok(render(StatusCode::OK, &detail_page(&s, &u, &id, x).await?))
}
