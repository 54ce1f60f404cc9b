//! Template media on the recruiter pages: the editor's multipart form (text fields plus logo,
//! intro video and document files, each streamed into storage through the service as it
//! arrives) and `GET /media/{*key}`, which streams a file (with Range) to signed-in users of
//! its organisation.

use super::field_error;
use super::template_form::TemplateForm;
use crate::WebState;
use crate::api::media::stored_file;
use crate::auth::{PageActor, check_csrf};
use crate::error::{PageError, page};
use axum::Form;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use shortlist_app::AppError;
use shortlist_app::accounts::CurrentUser;
use shortlist_app::error::FieldError;
use shortlist_app::recruiting::Actor;
use shortlist_app::recruiting::media::{DOCUMENT_LIMIT, LOGO_LIMIT, MediaKind, MediaRef, VIDEO_LIMIT, normalise_type};
use shortlist_domain::template::TemplateSpec;

/// The editor's file inputs and the kind of media each takes.
const FILE_FIELDS: [(&str, MediaKind); 3] = [
    ("logo_file", MediaKind::Logo),
    ("intro_video_file", MediaKind::IntroVideo),
    ("document_file", MediaKind::Document),
];

/// Largest text field of the editor form.
const TEXT_LIMIT: u64 = 1024 * 1024;

/// The editor form with one file of each kind at its limit, and its text.
pub const EDITOR_LIMIT: usize = (LOGO_LIMIT + VIDEO_LIMIT + DOCUMENT_LIMIT + 4 * TEXT_LIMIT) as usize;

pub async fn show(
    State(s): State<WebState>,
    PageActor(a, _): PageActor,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let f = s.recruiting.download_media(&a, &key).await?;
    Ok(stored_file(&s.recruiting.media, &f, &headers).await?)
}

/// Limits and current files, as the editor page shows them.
pub struct MediaHints {
    pub logo_limit: String,
    pub video_limit: String,
    pub document_limit: String,
    /// `(title, key)` of each uploaded document in the documents text.
    pub documents: Vec<(String, String)>,
}

impl MediaHints {
    pub fn new(form: &TemplateForm) -> Self {
        let documents = super::template_lines::parse_documents(&form.documents)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|d| Some((d.title, d.media_key?)))
            .collect();
        Self {
            logo_limit: MediaKind::Logo.limit_text(),
            video_limit: MediaKind::IntroVideo.limit_text(),
            document_limit: MediaKind::Document.limit_text(),
            documents,
        }
    }
}

/// A chosen file of the editor form, stored as it arrived, or refused with the reasons.
pub struct FilePart {
    pub kind: MediaKind,
    pub file_name: String,
    pub stored: Result<MediaRef, Vec<FieldError>>,
}

/// The editor form as posted: `(name, value)` pairs and chosen files. Both
/// `multipart/form-data` (what the page sends) and urlencoded forms (no files) are read.
#[derive(Default)]
pub struct EditorPost {
    pub pairs: Vec<(String, String)>,
    pub files: Vec<FilePart>,
}

fn unreadable(e: MultipartError) -> Response {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let limit = EDITOR_LIMIT as u64;
        return PageError(AppError::TooLarge { limit_bytes: limit }).into_response();
    }
    page(
        StatusCode::BAD_REQUEST,
        "Form not readable",
        "The form could not be read. Reload the page and try again.",
    )
}

/// A field's bytes, refused (413 naming the limit) as soon as they pass `limit`.
async fn read_limited(field: &mut Field<'_>, limit: u64) -> Result<Vec<u8>, Response> {
    let mut buf: Vec<u8> = vec![];
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        if (buf.len() + chunk.len()) as u64 > limit {
            return Err(PageError(AppError::TooLarge { limit_bytes: limit }).into_response());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Who posts the editor form: files are stored for `actor` once `user`'s CSRF token came first
/// in the form (the page puts it first), so a forged post stores nothing.
pub struct Poster<'a> {
    pub state: &'a WebState,
    pub actor: &'a Actor,
    pub user: &'a CurrentUser,
}

/// Reads the editor form, streaming each chosen file into the media store as it arrives
/// (never holding a video in memory). A file over its limit, or a form that breaks off, is
/// answered with the error page and every file this request stored is removed again.
pub async fn read_editor(who: &Poster<'_>, req: Request) -> Result<EditorPost, Response> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, &())
            .await
            .map_err(IntoResponse::into_response)?;
        return Ok(EditorPost { pairs, files: vec![] });
    }
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(IntoResponse::into_response)?;
    let mut post = EditorPost::default();
    let read = read_fields(who, &mut mp, &mut post).await;
    match read {
        Ok(()) => Ok(post),
        Err(resp) => {
            discard(who, &post.files).await;
            Err(resp)
        }
    }
}

async fn read_fields(who: &Poster<'_>, mp: &mut Multipart, post: &mut EditorPost) -> Result<(), Response> {
    while let Some(mut field) = mp.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        let Some(file_name) = field.file_name().map(str::to_string) else {
            let bytes = read_limited(&mut field, TEXT_LIMIT).await?;
            post.pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            continue;
        };
        // A file input this form does not have, or one left empty, is skipped unread.
        let Some(&(field_name, kind)) = FILE_FIELDS.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        if file_name.is_empty() {
            continue;
        }
        let csrf = post
            .pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map_or("", |(_, v)| v.as_str());
        check_csrf(who.user, csrf).map_err(IntoResponse::into_response)?;
        let declared = field.content_type().map(normalise_type).unwrap_or_default();
        let body = field.map(|c| c.map_err(multipart_error));
        let uploaded = who
            .state
            .recruiting
            .upload_media(who.actor, kind, &declared, Some(&file_name), body)
            .await;
        let stored = match uploaded {
            Ok(m) => Ok(m),
            Err(AppError::Validation { fields }) => {
                Err(fields.into_iter().map(|e| field_error(field_name, e.message)).collect())
            }
            Err(e) => return Err(PageError(e).into_response()),
        };
        post.files.push(FilePart {
            kind,
            file_name,
            stored,
        });
    }
    Ok(())
}

/// A broken multipart stream while a file is read: over the form's limit, or unreadable.
fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::TooLarge {
            limit_bytes: EDITOR_LIMIT as u64,
        };
    }
    AppError::Internal(anyhow::anyhow!("the form could not be read: {e}"))
}

/// Removes the files a refused request stored.
async fn discard(who: &Poster<'_>, files: &[FilePart]) {
    for f in files {
        if let Ok(m) = &f.stored
            && let Err(e) = who.state.recruiting.discard_media(who.actor, &m.media_key).await
        {
            tracing::warn!(key = m.media_key, error = %e, "upload of a refused form not removed");
        }
    }
}

/// The title a document line gets: as typed, else the file's name without its extension.
fn document_title(typed: &str, file_name: &str) -> String {
    let typed = typed.split(['\r', '\n']).next().unwrap_or_default().trim();
    if !typed.is_empty() {
        return typed.to_string();
    }
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s).trim();
    if stem.is_empty() {
        "Document".into()
    } else {
        stem.into()
    }
}

/// Puts the stored files' keys into the form: the logo and intro video replace the current
/// ones, a document becomes a new `Title | file:KEY` line. A refused file is an error on its
/// input; the rest of the form is kept.
pub fn apply_uploads(files: Vec<FilePart>, form: &mut TemplateForm, typed_title: &str) -> Vec<FieldError> {
    let mut errs = vec![];
    for f in files {
        match f.stored {
            Ok(m) => match f.kind {
                MediaKind::Logo => form.logo_key = Some(m.media_key),
                MediaKind::IntroVideo => form.intro_video_key = Some(m.media_key),
                MediaKind::Document => {
                    let line = format!("{} | file:{}", document_title(typed_title, &f.file_name), m.media_key);
                    let docs = form.documents.trim_end();
                    form.documents = if docs.is_empty() {
                        line
                    } else {
                        format!("{docs}\n{line}")
                    };
                }
                MediaKind::PromptVideo => {}
            },
            Err(fields) => errs.extend(fields),
        }
    }
    errs
}

/// Keeps the saved logo and intro video when the form did not carry their fields.
pub fn keep_media(form: &mut TemplateForm, old: &TemplateSpec) {
    if form.logo_key.is_none() {
        form.logo_key = old.branding.logo_media_key.clone();
    }
    if form.intro_video_key.is_none() {
        form.intro_video_key = old.intro_video_media_key.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_titles_come_from_the_input_or_the_file_name() {
        assert_eq!(document_title(" Benefits \nx", "a.pdf"), "Benefits");
        assert_eq!(document_title("", "C:\\docs\\Hand book.pdf"), "Hand book");
        assert_eq!(document_title("", ".pdf"), "Document");
    }
}
