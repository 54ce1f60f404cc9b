//! Template media on the recruiter pages: the editor's multipart form (text fields plus logo,
//! intro video and document files, each uploaded through the service) and `GET /media/{*key}`,
//! which shows a file to signed-in users of its organisation.

use super::field_error;
use super::template_form::TemplateForm;
use crate::WebState;
use crate::api::media::media_response;
use crate::auth::PageActor;
use crate::error::{PageError, page};
use axum::Form;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shortlist_app::AppError;
use shortlist_app::error::FieldError;
use shortlist_app::recruiting::Actor;
use shortlist_app::recruiting::media::{
    DOCUMENT_LIMIT, LOGO_LIMIT, MediaKind, VIDEO_LIMIT, guess_type, normalise_type,
};
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
) -> Result<Response, PageError> {
    let (content_type, bytes) = s.recruiting.download_media(&a, &key).await?;
    Ok(media_response(&content_type, bytes))
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

/// A chosen file of the editor form.
pub struct FilePart {
    pub field: &'static str,
    pub kind: MediaKind,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
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

pub async fn read_editor(req: Request) -> Result<EditorPost, Response> {
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
    while let Some(mut field) = mp.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        let Some(file_name) = field.file_name().map(str::to_string) else {
            let bytes = read_limited(&mut field, TEXT_LIMIT).await?;
            post.pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            continue;
        };
        // A file input this form does not have is skipped.
        let Some(&(field_name, kind)) = FILE_FIELDS.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let declared = field.content_type().map(normalise_type).unwrap_or_default();
        let bytes = read_limited(&mut field, kind.limit_bytes()).await?;
        if file_name.is_empty() && bytes.is_empty() {
            continue; // no file chosen
        }
        // Browsers send application/octet-stream for types they do not know.
        let content_type = match declared.as_str() {
            "" | "application/octet-stream" => guess_type(&file_name, &bytes)
                .unwrap_or("application/octet-stream")
                .into(),
            _ => declared,
        };
        post.files.push(FilePart {
            field: field_name,
            kind,
            file_name,
            content_type,
            bytes,
        });
    }
    Ok(post)
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

/// Stores the chosen files and puts their keys into the form: the logo and intro video
/// replace the current ones, a document becomes a new `Title | file:KEY` line. A refused file
/// is an error on its input; the rest of the form is kept.
pub async fn apply_uploads(
    s: &WebState,
    a: &Actor,
    files: Vec<FilePart>,
    form: &mut TemplateForm,
    typed_title: &str,
) -> Result<Vec<FieldError>, PageError> {
    let mut errs = vec![];
    for f in files {
        let uploaded = s.recruiting.upload_media(a, f.kind, &f.content_type, f.bytes).await;
        match uploaded {
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
            Err(AppError::Validation { fields }) => {
                errs.extend(fields.into_iter().map(|e| field_error(f.field, e.message)));
            }
            Err(e) => return Err(PageError(e)),
        }
    }
    Ok(errs)
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
