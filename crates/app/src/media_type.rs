//! The content types of the files we store and serve: one allow-list, one canonical spelling
//! per type, and the first bytes each type must start with.
//!
//! A client's type string is never stored or sent back as it came: `application/pdf;x=,text/html`
//! once passed a check of the part before `;` and was then served whole, so a browser read the
//! last type in the list and ran the file as a page. Everything goes through [`canonical`]
//! instead, which answers with one of the `&'static str`s below (parameters such as `codecs`
//! are dropped: browsers read them from the file) or nothing. Serving maps even the strings
//! stored before this existed through it ([`served`]), so an old row cannot bring `text/html`
//! back.

/// What a type is, which decides how it may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Audio or video: played inline by the reviewer's player.
    Recording,
    Image,
    /// Everything else: only ever downloaded.
    Document,
}

/// How the first bytes of a file of a type look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    /// These bytes at this offset.
    At(usize, &'static [u8]),
    /// WebP: `RIFF` at 0 and `WEBP` at 8.
    Webp,
    /// GIF87a or GIF89a.
    Gif,
    /// Text: no NUL byte in what was read.
    Text,
    /// QuickTime: one of the top-level atoms at offset 4.
    QuickTime,
}

/// One known type.
#[derive(Debug, PartialEq, Eq)]
pub struct MediaType {
    pub mime: &'static str,
    /// The extension files of this type are stored and downloaded under.
    pub ext: &'static str,
    pub class: Class,
    signature: Signature,
}

const EBML: &[u8] = b"\x1a\x45\xdf\xa3";
const ZIP: &[u8] = b"PK\x03\x04";
const OLE: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";

const fn t(mime: &'static str, ext: &'static str, class: Class, signature: Signature) -> MediaType {
    MediaType {
        mime,
        ext,
        class,
        signature,
    }
}

use Class::{Document, Image, Recording};
use Signature::{At, Gif, QuickTime, Text, Webp};

/// Every type we store. Candidates' uploads accept subsets of it (see `uploads::rules`),
/// template media others; serving knows them all.
pub static KNOWN: &[MediaType] = &[
    t("video/webm", "webm", Recording, At(0, EBML)),
    t("audio/webm", "webm", Recording, At(0, EBML)),
    t("video/mp4", "mp4", Recording, At(4, b"ftyp")),
    t("audio/mp4", "m4a", Recording, At(4, b"ftyp")),
    t("audio/ogg", "ogg", Recording, At(0, b"OggS")),
    t("video/quicktime", "mov", Recording, QuickTime),
    t("image/png", "png", Image, At(0, b"\x89PNG\r\n\x1a\n")),
    t("image/jpeg", "jpg", Image, At(0, b"\xff\xd8\xff")),
    t("image/gif", "gif", Image, Gif),
    t("image/webp", "webp", Image, Webp),
    // Only as template media (a logo); an SVG can carry script, so it is never shown inline.
    t("image/svg+xml", "svg", Image, Text),
    t("application/pdf", "pdf", Document, At(0, b"%PDF-")),
    t("text/plain", "txt", Document, Text),
    t("text/csv", "csv", Document, Text),
    t("text/markdown", "md", Document, Text),
    t("application/rtf", "rtf", Document, At(0, b"{\\rtf")),
    t("application/msword", "doc", Document, At(0, OLE)),
    t(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        Document,
        At(0, ZIP),
    ),
    t("application/vnd.ms-excel", "xls", Document, At(0, OLE)),
    t(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        Document,
        At(0, ZIP),
    ),
    t("application/vnd.ms-powerpoint", "ppt", Document, At(0, OLE)),
    t(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
        Document,
        At(0, ZIP),
    ),
    t("application/vnd.oasis.opendocument.text", "odt", Document, At(0, ZIP)),
    t(
        "application/vnd.oasis.opendocument.spreadsheet",
        "ods",
        Document,
        At(0, ZIP),
    ),
    t(
        "application/vnd.oasis.opendocument.presentation",
        "odp",
        Document,
        At(0, ZIP),
    ),
];

/// What files of unknown type are served as (and downloaded, never shown).
pub const OCTET_STREAM: &str = "application/octet-stream";

/// How many first bytes [`MediaType::matches`] looks at (and callers should read).
pub const HEAD_BYTES: usize = 4096;

/// The known type `raw` names, ignoring case, spaces and parameters; `None` for anything else
/// (including lists such as `text/html,application/pdf`).
pub fn canonical(raw: &str) -> Option<&'static MediaType> {
    let base = raw.split(';').next().unwrap_or_default().trim();
    KNOWN.iter().find(|t| t.mime.eq_ignore_ascii_case(base))
}

/// How a stored file is sent: its canonical type, and whether it may be shown inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    pub content_type: &'static str,
    pub ext: &'static str,
    /// Only audio and video: a browser plays them and runs nothing. Everything else is a
    /// download.
    pub inline: bool,
}

/// The way to serve a file whose stored type is `stored` (which may predate [`canonical`]).
pub fn served(stored: &str) -> Served {
    match canonical(stored) {
        Some(t) => Served {
            content_type: t.mime,
            ext: t.ext,
            inline: t.class == Class::Recording,
        },
        None => Served {
            content_type: OCTET_STREAM,
            ext: "bin",
            inline: false,
        },
    }
}

impl MediaType {
    /// Whether `head` (the first up to [`HEAD_BYTES`] of the whole file) starts like a file
    /// of this type.
    pub fn matches(&self, head: &[u8]) -> bool {
        let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
        match self.signature {
            At(offset, sig) => at(offset, sig),
            Webp => at(0, b"RIFF") && at(8, b"WEBP"),
            Gif => at(0, b"GIF87a") || at(0, b"GIF89a"),
            Text => !head.is_empty() && !head[..head.len().min(HEAD_BYTES)].contains(&0),
            QuickTime => [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"]
                .iter()
                .any(|a| at(4, *a)),
        }
    }

    pub fn is_audio(&self) -> bool {
        self.mime.starts_with("audio/")
    }

    pub fn is_video(&self) -> bool {
        self.mime.starts_with("video/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_checked_type_is_kept() {
        let pdf = canonical("application/pdf;x=,text/html").map(|t| t.mime);
        assert_eq!(pdf, Some("application/pdf"));
        let webm = canonical(" Video/WebM; codecs=vp8,text/html").map(|t| t.mime);
        assert_eq!(webm, Some("video/webm"));
        assert_eq!(canonical("text/html"), None);
        assert_eq!(canonical("text/html,application/pdf"), None);
        assert_eq!(canonical(""), None);
    }

    #[test]
    fn old_stored_types_are_served_safely() {
        let html = served("text/html");
        assert_eq!((html.content_type, html.inline), (OCTET_STREAM, false));
        let sneaky = served("application/pdf;x=,text/html");
        assert_eq!((sneaky.content_type, sneaky.inline), ("application/pdf", false));
        let video = served("video/webm;codecs=vp8,text/html");
        assert_eq!((video.content_type, video.inline), ("video/webm", true));
        assert!(!served("image/svg+xml").inline);
    }

    #[test]
    fn first_bytes_must_match_the_type() {
        let webm = canonical("video/webm").unwrap_or_else(|| panic!("known"));
        assert!(webm.matches(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01"));
        assert!(!webm.matches(b"<html><script>alert(1)</script>"));
        assert!(!webm.matches(b"\x1a\x45"));
        let pdf = canonical("application/pdf").unwrap_or_else(|| panic!("known"));
        assert!(pdf.matches(b"%PDF-1.7\n"));
        assert!(!pdf.matches(b"<!doctype html>"));
        let txt = canonical("text/plain").unwrap_or_else(|| panic!("known"));
        assert!(txt.matches(b"hello"));
        assert!(!txt.matches(b"he\0llo"));
        let mp4 = canonical("video/mp4").unwrap_or_else(|| panic!("known"));
        assert!(mp4.matches(b"\0\0\0\x20ftypisom"));
    }
}
