//! Files uploaded for templates: logos, intro and prompt videos, documents for the candidate.
//!
//! Each upload is checked (content type allowed for its kind, the first bytes match that type
//! where that is cheap to tell, size within the kind's limit), stored under a key of its
//! organisation (`orgs/<org>/template-media/<uuid>.<ext>`) and recorded in `media_objects`, so
//! downloads and templates referring to it can be checked against the organisation.

use super::{Actor, Recruiting};
use crate::AppError;
use crate::error::{FieldError, human_size};
use serde::Serialize;
use shortlist_domain::template::TemplateSpec;
use shortlist_store::media_objects;
use std::collections::HashMap;

const MIB: u64 = 1024 * 1024;
pub const LOGO_LIMIT: u64 = 5 * MIB;
pub const VIDEO_LIMIT: u64 = 500 * MIB;
pub const DOCUMENT_LIMIT: u64 = 25 * MIB;
/// The largest upload of any kind.
pub const MAX_UPLOAD: u64 = VIDEO_LIMIT;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Logo,
    IntroVideo,
    PromptVideo,
    Document,
}

const IMAGES: &[&str] = &["image/png", "image/jpeg", "image/svg+xml", "image/webp"];
const VIDEOS: &[&str] = &["video/webm", "video/mp4", "video/quicktime"];
const DOCUMENTS: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

impl MediaKind {
    pub const ALL: [MediaKind; 4] = [
        MediaKind::Logo,
        MediaKind::IntroVideo,
        MediaKind::PromptVideo,
        MediaKind::Document,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Logo => "logo",
            MediaKind::IntroVideo => "intro_video",
            MediaKind::PromptVideo => "prompt_video",
            MediaKind::Document => "document",
        }
    }

    pub fn parse(raw: &str) -> Option<MediaKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn limit_bytes(self) -> u64 {
        match self {
            MediaKind::Logo => LOGO_LIMIT,
            MediaKind::IntroVideo | MediaKind::PromptVideo => VIDEO_LIMIT,
            MediaKind::Document => DOCUMENT_LIMIT,
        }
    }

    /// The limit in words: "5 MiB".
    pub fn limit_text(self) -> String {
        human_size(self.limit_bytes())
    }

    pub fn content_types(self) -> &'static [&'static str] {
        match self {
            MediaKind::Logo => IMAGES,
            MediaKind::IntroVideo | MediaKind::PromptVideo => VIDEOS,
            MediaKind::Document => DOCUMENTS,
        }
    }

    /// What the kind accepts, in words for people.
    pub fn accepts(self) -> &'static str {
        match self {
            MediaKind::Logo => "a logo must be PNG, JPEG, SVG or WebP",
            MediaKind::IntroVideo | MediaKind::PromptVideo => "a video must be WebM, MP4 or QuickTime",
            MediaKind::Document => "a document must be PDF, an image, plain text or an office document",
        }
    }
}

/// A stored file a caller may read: where it is and its type. Handlers stream it with Range
/// support instead of loading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    pub key: String,
    pub content_type: String,
}

/// An uploaded file as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MediaRef {
    pub media_key: String,
    pub content_type: String,
    pub size: u64,
}

/// `Image/PNG; charset=x` → `image/png`.
pub fn normalise_type(raw: &str) -> String {
    raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The extension a file of this type is stored under ([`crate::media_type::KNOWN`]).
pub(crate) fn ext_of(content_type: &str) -> &'static str {
    crate::media_type::canonical(content_type).map_or("bin", |t| t.ext)
}

/// The type the first bytes announce, for the formats that have a signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, sig: &[u8]| bytes.get(offset..offset + sig.len()) == Some(sig);
    Some(if at(0, b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if at(0, b"\xff\xd8\xff") {
        "image/jpeg"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "image/gif"
    } else if at(0, b"%PDF-") {
        "application/pdf"
    } else if at(0, b"\x1a\x45\xdf\xa3") {
        "video/webm"
    } else if at(4, b"ftypqt") {
        "video/quicktime"
    } else if at(4, b"ftyp") {
        "video/mp4"
    } else {
        return None;
    })
}

/// Whether the content plausibly is `content_type`: the signature the shared type table
/// ([`crate::media_type`]) knows, with two checks stricter than its own kept here.
fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(crate::media_type::HEAD_BYTES)];
    match content_type {
        // The table only asks that text has no NUL; a logo must really be an SVG document.
        "image/svg+xml" => {
            let text = String::from_utf8_lossy(head);
            text.trim_start_matches('\u{feff}').trim_start().starts_with('<') && text.contains("<svg")
        }
        // An empty text document is allowed here (the table wants at least one byte).
        "text/plain" => !head.contains(&0),
        t => crate::media_type::canonical(t).is_none_or(|known| known.matches(head)),
    }
}

/// The type of a file a browser sent without a useful one: from its bytes, else its name.
pub fn guess_type(file_name: &str, bytes: &[u8]) -> Option<&'static str> {
    if let Some(t) = sniff(bytes) {
        return Some(t);
    }
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    let all = IMAGES.iter().chain(VIDEOS).chain(DOCUMENTS);
    all.copied()
        .find(|t| ext_of(t) == ext || (ext == "jpeg" && *t == "image/jpeg"))
}

/// Checks an upload before it is stored; `Ok` carries the normalised content type.
pub fn check(kind: MediaKind, content_type: &str, bytes: &[u8]) -> Result<String, AppError> {
    let ct = normalise_type(content_type);
    if bytes.len() as u64 > kind.limit_bytes() {
        return Err(AppError::TooLarge {
            limit_bytes: kind.limit_bytes(),
        });
    }
    if !kind.content_types().contains(&ct.as_str()) {
        let got = if ct.is_empty() { "no type".to_string() } else { ct };
        return Err(AppError::field(
            "content_type",
            format!("{}; {got} is not accepted", kind.accepts()),
        ));
    }
    if bytes.is_empty() {
        return Err(AppError::field("body", "the file is empty"));
    }
    if !content_matches(&ct, bytes) {
        let looks = sniff(bytes).map_or(String::new(), |t| format!(" (it looks like {t})"));
        return Err(AppError::field(
            "content_type",
            format!("the file's content is not {ct}{looks}"),
        ));
    }
    Ok(ct)
}

/// Every media key a template refers to, with the field that holds it and the kind it must be.
pub fn references(spec: &TemplateSpec) -> Vec<(String, MediaKind, &str)> {
    let mut out = vec![];
    if let Some(k) = &spec.branding.logo_media_key {
        out.push(("branding.logo_media_key".to_string(), MediaKind::Logo, k.as_str()));
    }
    if let Some(k) = &spec.intro_video_media_key {
        out.push(("intro_video_media_key".to_string(), MediaKind::IntroVideo, k.as_str()));
    }
    if let Some(k) = spec.practice_question.as_ref().and_then(|q| q.prompt_video.as_ref()) {
        out.push((
            "practice_question.prompt_video".into(),
            MediaKind::PromptVideo,
            k.as_str(),
        ));
    }
    for (i, q) in spec.questions.iter().enumerate() {
        if let Some(k) = &q.prompt_video {
            out.push((
                format!("questions[{i}].prompt_video"),
                MediaKind::PromptVideo,
                k.as_str(),
            ));
        }
    }
    for (i, d) in spec.documents.iter().enumerate() {
        if let Some(k) = &d.media_key {
            out.push((format!("documents[{i}].media_key"), MediaKind::Document, k.as_str()));
        }
    }
    out
}

impl Recruiting {
    /// Problems with the media a template refers to: keys this organisation has not uploaded,
    /// or files of the wrong type for their place (a video as the logo).
    pub(crate) async fn media_problems(&self, who: &Actor, spec: &TemplateSpec) -> Result<Vec<FieldError>, AppError> {
        let refs = references(spec);
        let keys: Vec<&str> = refs.iter().map(|(_, _, k)| *k).collect();
        let found: HashMap<String, String> = media_objects::find(&self.db, &who.org_id, &keys)
            .await?
            .into_iter()
            .map(|r| (r.key, r.content_type))
            .collect();
        let mut out = vec![];
        for (field, kind, key) in refs {
            let message = match found.get(key) {
                None => "no file with this key was uploaded by your organisation".to_string(),
                Some(ct) if !kind.content_types().contains(&ct.as_str()) => {
                    format!("this file is {ct}; {}", kind.accepts())
                }
                Some(_) => continue,
            };
            out.push(FieldError { field, message });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn message(e: AppError) -> String {
        match e {
            AppError::Validation { fields } => format!("{}: {}", fields[0].field, fields[0].message),
            other => other.to_string(),
        }
    }

    #[test]
    fn types_and_signatures_are_checked() {
        assert_eq!(check(MediaKind::Logo, "Image/PNG", PNG).unwrap(), "image/png");
        let e = message(check(MediaKind::Logo, "video/webm", PNG).unwrap_err());
        assert!(e.contains("a logo must be PNG") && e.contains("video/webm"), "{e}");
        let e = message(check(MediaKind::IntroVideo, "video/webm", PNG).unwrap_err());
        assert_eq!(
            e,
            "content_type: the file's content is not video/webm (it looks like image/png)"
        );
        assert!(check(MediaKind::IntroVideo, "video/mp4", b"\0\0\0\x18ftypmp42").is_ok());
        assert!(check(MediaKind::Document, "application/pdf", b"%PDF-1.7").is_ok());
        assert!(check(MediaKind::Document, "text/plain", b"hello").is_ok());
        assert!(check(MediaKind::Logo, "image/svg+xml", b"<?xml?><svg/>").is_ok());
        assert!(check(MediaKind::Logo, "image/png", b"").is_err());
    }

    #[test]
    fn the_limit_is_named_in_words() {
        let big = vec![0u8; (LOGO_LIMIT + 1) as usize];
        let e = check(MediaKind::Logo, "image/png", &big).unwrap_err();
        assert!(matches!(e, AppError::TooLarge { limit_bytes } if limit_bytes == LOGO_LIMIT));
        assert!(e.to_string().contains("at most 5 MiB"), "{e}");
        assert_eq!(human_size(VIDEO_LIMIT), "500 MiB");
    }

    #[test]
    fn browsers_without_a_type_get_one_guessed() {
        assert_eq!(guess_type("x.bin", PNG), Some("image/png"));
        assert_eq!(guess_type("Handbook.DOCX", b"PK\x03\x04"), Some(DOCUMENTS[8]));
        assert_eq!(guess_type("photo.jpeg", b"??"), Some("image/jpeg"));
        assert_eq!(guess_type("noext", b"??"), None);
    }
}
