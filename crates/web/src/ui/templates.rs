//! Interview templates: list, editor (create and edit, with versions), archive, export, import.

use super::media::{EditorPost, MediaHints, Poster, apply_uploads, keep_media, read_editor};
use super::template_form::{KINDS, QuestionForm, TemplateForm};
use super::{Errors, NoticeQuery, field_error, field_errors, notice_text, read_upload, see_other, value};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::PageError;
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::multipart::Multipart;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shortlist_app::AppError;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::error::FieldError;
use shortlist_app::recruiting::Actor;
use shortlist_app::recruiting::templates::TemplateView;
use shortlist_domain::TemplateId;
use shortlist_domain::template::{TemplateExport, TemplateSpec};

pub struct Row {
    pub id: String,
    pub name: String,
    pub key: String,
    pub version: i32,
    pub questions: usize,
    pub archived: bool,
}

#[derive(Template)]
#[template(path = "ui/templates.html")]
struct ListPage {
    csrf: String,
    can_edit: bool,
    rows: Vec<Row>,
    notice: Option<String>,
    import_key: String,
    errors: Errors,
    limit: &'static str,
}

#[derive(Template)]
#[template(path = "ui/template_edit.html")]
struct EditPage {
    csrf: String,
    can_edit: bool,
    /// None while creating.
    id: Option<String>,
    version: i32,
    archived: bool,
    form: TemplateForm,
    errors: Errors,
    kinds: &'static [(&'static str, &'static str)],
    notice: Option<String>,
    media: MediaHints,
}

impl EditPage {
    fn practice(&self) -> &QuestionForm {
        &self.form.practice
    }
}

fn template_id(raw: &str) -> Result<TemplateId, PageError> {
    TemplateId::parse(raw).map_err(|_| PageError(AppError::NotFound))
}

async fn list_page(
    s: &WebState,
    a: &Actor,
    u: &CurrentUser,
    notice: Option<String>,
    import_key: String,
    errors: Vec<FieldError>,
) -> Result<ListPage, PageError> {
    let mut rows = vec![];
    for t in s.recruiting.templates(a, true).await? {
        let questions = s
            .recruiting
            .template(a, &template_id(&t.id)?)
            .await
            .map_or(0, |v| v.spec.questions.len());
        rows.push(Row {
            id: t.id,
            name: t.name,
            key: t.key,
            version: t.current_version,
            questions,
            archived: t.archived_at.is_some(),
        });
    }
    Ok(ListPage {
        csrf: u.csrf_token.clone(),
        can_edit: a.require_recruiter().is_ok(),
        rows,
        notice,
        import_key,
        errors: Errors(errors),
        limit: super::UPLOAD_LIMIT_TEXT,
    })
}

pub async fn list(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let page = list_page(&s, &a, &u, notice_text(q.notice.as_deref()), String::new(), vec![]).await?;
    Ok(render(StatusCode::OK, &page))
}

fn editor(
    u: &CurrentUser,
    a: &Actor,
    t: Option<&TemplateView>,
    mut form: TemplateForm,
    errs: Vec<FieldError>,
) -> EditPage {
    let errors = form.attach(errs);
    let media = MediaHints::new(&form);
    EditPage {
        csrf: u.csrf_token.clone(),
        can_edit: a.require_recruiter().is_ok(),
        id: t.map(|t| t.id.clone()),
        version: t.map_or(1, |t| t.version),
        archived: t.is_some_and(|t| t.archived),
        form,
        errors: Errors(errors),
        kinds: &KINDS,
        notice: None,
        media,
    }
}

pub async fn new_form(PageActor(a, u): PageActor) -> Result<Response, PageError> {
    a.require_recruiter()?;
    Ok(render(
        StatusCode::OK,
        &editor(&u, &a, None, TemplateForm::blank(), vec![]),
    ))
}

pub async fn edit_form(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let t = s.recruiting.template(&a, &template_id(&id)?).await?;
    let mut page = editor(&u, &a, Some(&t), TemplateForm::from_spec(&t.key, &t.spec), vec![]);
    page.notice = notice_text(q.notice.as_deref());
    Ok(render(StatusCode::OK, &page))
}

/// The spec of a posted form, or every problem found in it.
fn read_form(form: &mut TemplateForm, old: Option<&TemplateSpec>) -> Result<TemplateSpec, Vec<FieldError>> {
    form.drop_blank_questions();
    let (spec, mut errs) = form.build_spec(old);
    if errs.is_empty() {
        return Ok(spec);
    }
    if let Err(more) = spec.validate() {
        errs.extend(more.into_iter().map(|v| field_error(&v.field, v.message)));
    }
    Err(errs)
}

/// Key conflicts are shown on the key field; other non-validation errors are error pages.
fn save_errors(e: AppError) -> Result<Vec<FieldError>, PageError> {
    match e {
        AppError::Conflict { message, .. } => Ok(vec![field_error("key", message)]),
        other => field_errors(other),
    }
}

pub async fn create(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    req: Request,
) -> Result<Response, PageError> {
    // Before the body (which may carry a video) is read.
    a.require_recruiter()?;
    let who = Poster {
        state: &s,
        actor: &a,
        user: &u,
    };
    let post = match read_editor(&who, req).await {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    let pairs = &post.pairs;
    check_csrf(&u, value(pairs, "csrf"))?;
    let mut form = TemplateForm::from_pairs(pairs);
    let uploads = uploads(post, &mut form);
    if value(&uploads.0, "action") == "add" {
        form.add_question();
        return Ok(render(status_of(&uploads.1), &editor(&u, &a, None, form, uploads.1)));
    }
    let errs = match (read_form(&mut form, None), uploads.1) {
        (Err(errs), upload_errs) => [upload_errs, errs].concat(),
        (Ok(_), upload_errs) if !upload_errs.is_empty() => upload_errs,
        (Ok(spec), _) => match s.recruiting.create_template(&a, &form.key, spec).await {
            Ok(t) => return Ok(see_other(&format!("/templates/{}?notice=created", t.id))),
            Err(e) => save_errors(e)?,
        },
    };
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &editor(&u, &a, None, form, errs),
    ))
}

/// Puts the stored files into the form; the posted pairs and the files refused.
fn uploads(post: EditorPost, form: &mut TemplateForm) -> (Vec<(String, String)>, Vec<FieldError>) {
    let title = value(&post.pairs, "document_title").to_string();
    let errs = apply_uploads(post.files, form, &title);
    (post.pairs, errs)
}

fn status_of(errs: &[FieldError]) -> StatusCode {
    if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

pub async fn update(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    a.require_recruiter()?;
    let who = Poster {
        state: &s,
        actor: &a,
        user: &u,
    };
    let post = match read_editor(&who, req).await {
        Ok(p) => p,
        Err(resp) => return Ok(resp),
    };
    check_csrf(&u, value(&post.pairs, "csrf"))?;
    let id = template_id(&id)?;
    let t = s.recruiting.template(&a, &id).await?;
    let mut form = TemplateForm::from_pairs(&post.pairs);
    form.key = t.key.clone();
    keep_media(&mut form, &t.spec);
    let uploads = uploads(post, &mut form);
    if value(&uploads.0, "action") == "add" {
        form.add_question();
        return Ok(render(
            status_of(&uploads.1),
            &editor(&u, &a, Some(&t), form, uploads.1),
        ));
    }
    let errs = match (read_form(&mut form, Some(&t.spec)), uploads.1) {
        (Err(errs), upload_errs) => [upload_errs, errs].concat(),
        (Ok(_), upload_errs) if !upload_errs.is_empty() => upload_errs,
        (Ok(spec), _) => match s.recruiting.update_template(&a, &id, spec).await {
            Ok(t) => return Ok(see_other(&format!("/templates/{}?notice=saved", t.id))),
            Err(e) => save_errors(e)?,
        },
    };
    let page = editor(&u, &a, Some(&t), form, errs);
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(serde::Deserialize)]
pub struct ArchiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    archived: String,
}

pub async fn archive(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(f): Form<ArchiveForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let id = template_id(&id)?;
    let archived = f.archived == "1";
    s.recruiting.archive_template(&a, &id, archived).await?;
    let notice = if archived { "archived" } else { "unarchived" };
    Ok(see_other(&format!("/templates/{id}?notice={notice}")))
}

pub async fn export(
    State(s): State<WebState>,
    PageActor(a, _): PageActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let file = s.recruiting.export_template(&a, &template_id(&id)?).await?;
    let json = serde_json::to_string_pretty(&file).map_err(|e| AppError::Internal(e.into()))?;
    let disposition = format!("attachment; filename=\"{}.json\"", file.key);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        json,
    )
        .into_response())
}

pub async fn import(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = match read_upload(mp).await {
        Ok(up) => up,
        Err(resp) => return Ok(resp),
    };
    check_csrf(&u, up.text("csrf"))?;
    a.require_recruiter()?;
    let key = up.text("key").trim().to_string();
    let bytes = up.files.get("file").map_or(&[][..], Vec::as_slice);
    let errs = if bytes.is_empty() {
        vec![field_error("file", "choose an exported template file (.json)")]
    } else {
        match serde_json::from_slice::<TemplateExport>(bytes) {
            Err(e) => vec![field_error("file", format!("this is not a template export: {e}"))],
            Ok(file) => {
                let key_override = Some(key.as_str()).filter(|k| !k.is_empty());
                match s.recruiting.import_template(&a, file, key_override).await {
                    Ok(t) => return Ok(see_other(&format!("/templates/{}?notice=imported", t.id))),
                    Err(AppError::Conflict { message, .. }) => {
                        vec![field_error("key", format!("{message}; give the copy a new key"))]
                    }
                    Err(e) => field_errors(e)?,
                }
            }
        }
    };
    let page = list_page(&s, &a, &u, None, key, errs).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
