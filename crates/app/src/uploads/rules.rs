//! What an upload may be: its metadata, the content types each question kind accepts, the file
//! extension of the stored object, and the checksums a client may send.

use super::UploadError;
use crate::media_type::{self, MediaType};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shortlist_domain::template::{Question, QuestionKind};
use std::collections::BTreeMap;

/// Recordings a browser's MediaRecorder produces.
const RECORDINGS: &[&str] = &["video/webm", "video/mp4", "audio/webm", "audio/ogg", "audio/mp4"];

/// Documents a candidate may hand in for a file-upload question.
const DOCUMENTS: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "text/markdown",
    "application/rtf",
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

/// The Upload-Metadata of a creation request, decoded.
#[derive(Debug, Clone)]
pub struct CreationMetadata {
    pub token: String,
    pub question: String,
    pub take: i32,
    /// As sent, parameters included (`video/webm;codecs=vp8,opus`), lower-cased. Only for
    /// [`accepted`]: never stored.
    pub filetype: String,
    pub filename: Option<String>,
}

impl CreationMetadata {
    /// Upload-Metadata as it is stored and shown on HEAD: what we understood of it, with the
    /// canonical type in place of the one sent (and never the token).
    pub fn stored(&self, filetype: &MediaType) -> String {
        let mut out = format!(
            "question {},take {},filetype {}",
            STANDARD.encode(&self.question),
            STANDARD.encode(self.take.to_string()),
            STANDARD.encode(filetype.mime)
        );
        if let Some(name) = &self.filename {
            out.push_str(&format!(",filename {}", STANDARD.encode(name)));
        }
        out
    }
}

fn bad(msg: impl Into<String>) -> UploadError {
    UploadError::BadRequest(msg.into())
}

/// Parses `key base64,key base64,…` (a key may have no value).
pub fn parse_metadata(raw: &str) -> Result<CreationMetadata, UploadError> {
    let mut pairs: BTreeMap<String, Option<String>> = BTreeMap::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut it = item.splitn(2, ' ');
        let key = it.next().unwrap_or_default().to_string();
        let value = match it.next().map(str::trim) {
            Some(v) if !v.is_empty() => {
                let bytes = STANDARD
                    .decode(v)
                    .map_err(|_| bad(format!("Upload-Metadata: the value of '{key}' is not base64")))?;
                let text =
                    String::from_utf8(bytes).map_err(|_| bad(format!("Upload-Metadata: '{key}' is not UTF-8")))?;
                // Like every other text input (web's text_guard): PostgreSQL cannot store U+0000.
                if text.contains('\0') {
                    return Err(bad(format!(
                        "Upload-Metadata: '{key}' must not contain the NUL character (U+0000)"
                    )));
                }
                Some(text)
            }
            _ => None,
        };
        pairs.insert(key, value);
    }
    let mut need = |k: &str| {
        pairs
            .remove(k)
            .flatten()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| bad(format!("Upload-Metadata must carry '{k}'")))
    };
    let token = need("token")?;
    let question = need("question")?;
    let take = need("take")?
        .trim()
        .parse::<i32>()
        .map_err(|_| bad("Upload-Metadata: 'take' must be a whole number"))?;
    let filetype = need("filetype")?.trim().to_ascii_lowercase();
    let filename = pairs
        .remove("filename")
        .flatten()
        .map(|f| f.chars().take(255).collect());
    if filetype.len() > 200 {
        return Err(bad("Upload-Metadata: 'filetype' is too long"));
    }
    Ok(CreationMetadata {
        token,
        question,
        take,
        filetype,
        filename,
    })
}

/// The canonical type an upload of `filetype` is stored as when `q` accepts it. Only the
/// allow-listed type is kept: parameters (`codecs=…`) and anything after them are dropped, so
/// the string the client sent is never stored or served.
pub fn accepted(q: &Question, filetype: &str) -> Result<&'static MediaType, UploadError> {
    let base = filetype.split(';').next().unwrap_or_default().trim();
    let known = media_type::canonical(filetype);
    let allowed = |list: &[&str]| known.filter(|t| list.contains(&t.mime));
    let found = match q.kind {
        // A video question may fall back to audio only when the template allows it (checked
        // by the caller, which has the template).
        QuestionKind::Video => allowed(RECORDINGS),
        QuestionKind::Audio => allowed(RECORDINGS).filter(|t| t.is_audio()),
        QuestionKind::FileUpload => allowed(DOCUMENTS),
        QuestionKind::Text | QuestionKind::MultipleChoice => {
            return Err(bad(format!("question '{}' takes no file", q.id)));
        }
    };
    found.ok_or_else(|| {
        let what = if q.kind == QuestionKind::FileUpload {
            "PDF, image, text or office documents"
        } else if q.kind == QuestionKind::Audio {
            "audio recordings (audio/webm, audio/ogg, audio/mp4)"
        } else {
            "recordings (video/webm, video/mp4, audio/webm, audio/ogg, audio/mp4)"
        };
        // Only a short, printable part of what was sent goes into the message.
        let shown: String = base.chars().filter(|c| c.is_ascii_graphic()).take(80).collect();
        UploadError::UnsupportedType(format!("'{shown}' is not accepted here: send {what}"))
    })
}

/// Whether the stored (canonical) `filetype` is a recording (audio or video) rather than a
/// document.
pub fn is_recording(filetype: &str) -> bool {
    media_type::canonical(filetype).is_some_and(|t| RECORDINGS.contains(&t.mime))
}

/// Refuses a file whose first bytes are not those of its type (an HTML page sent as a PDF or a
/// recording). `head` is the start of the file, up to [`media_type::HEAD_BYTES`].
pub fn check_content(filetype: &str, head: &[u8]) -> Result<(), UploadError> {
    let known = media_type::canonical(filetype)
        .ok_or_else(|| UploadError::UnsupportedType("This upload has no accepted type.".into()))?;
    if known.matches(head) {
        Ok(())
    } else {
        Err(UploadError::UnsupportedType(format!(
            "The file's content is not {}: send the file itself, not a renamed one.",
            known.mime
        )))
    }
}

/// Takes a question allows: `retakes` more after the first, for a recording and for a file
/// (the candidate page offers as many; each take is kept as it was submitted, so choosing
/// another file is a new take).
pub fn most_takes(q: &Question) -> i64 {
    i64::from(q.retakes) + 1
}

/// Whether `take` is one of the takes `q` allows.
pub fn check_take(q: &Question, take: i32) -> Result<(), UploadError> {
    let most = most_takes(q);
    if take < 1 || i64::from(take) > most {
        return Err(bad(format!(
            "question '{}' allows takes 1 to {most}; take {take} is not one of them",
            q.id
        )));
    }
    Ok(())
}

/// A running checksum of one PATCH body (the tus checksum extension).
pub enum Checksum {
    Sha1(sha1::Sha1, Vec<u8>),
    Sha256(sha2::Sha256, Vec<u8>),
}

impl Checksum {
    /// Parses `Upload-Checksum: <algorithm> <base64 digest>`.
    pub fn parse(header: &str) -> Result<Checksum, UploadError> {
        use sha2::Digest;
        let (alg, value) = header
            .trim()
            .split_once(' ')
            .ok_or_else(|| bad("Upload-Checksum must be '<algorithm> <base64 digest>'"))?;
        let expected = STANDARD
            .decode(value.trim())
            .map_err(|_| bad("Upload-Checksum: the digest is not base64"))?;
        match alg.to_ascii_lowercase().as_str() {
            "sha1" => Ok(Checksum::Sha1(sha1::Sha1::new(), expected)),
            "sha256" => Ok(Checksum::Sha256(sha2::Sha256::new(), expected)),
            other => Err(bad(format!(
                "Upload-Checksum: '{other}' is not supported (use sha1 or sha256)"
            ))),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest;
        match self {
            Checksum::Sha1(h, _) => h.update(bytes),
            Checksum::Sha256(h, _) => h.update(bytes),
        }
    }

    pub fn matches(self) -> bool {
        use sha2::Digest;
        match self {
            Checksum::Sha1(h, want) => h.finalize().as_slice() == want.as_slice(),
            Checksum::Sha256(h, want) => h.finalize().as_slice() == want.as_slice(),
        }
    }
}

/// A size in words for error messages ("1 GiB", "25 MiB").
pub fn in_words(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn metadata_is_decoded_and_the_token_is_not_kept() {
        let raw = format!(
            "token {},question {},take {},filetype {},filename {},empty",
            b64("tok"),
            b64("q1"),
            b64("2"),
            b64("Video/WebM;codecs=vp8"),
            b64("a.webm")
        );
        let m = parse_metadata(&raw).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((m.token.as_str(), m.question.as_str(), m.take), ("tok", "q1", 2));
        assert_eq!(m.filetype, "video/webm;codecs=vp8");
        assert_eq!(m.filename.as_deref(), Some("a.webm"));
        let pdf = crate::media_type::canonical("application/pdf").unwrap_or_else(|| panic!("known"));
        let stored = m.stored(pdf);
        assert!(!stored.contains(&b64("tok")), "{stored}");
        assert!(stored.contains(&b64("application/pdf")) && !stored.contains(&b64("Video/WebM;codecs=vp8")));
        assert!(parse_metadata("question cTE=").is_err());
        assert!(parse_metadata("token !!!").is_err());
    }

    #[test]
    fn a_nul_in_any_metadata_value_is_refused() {
        let raw = format!(
            "token {},question {},take {},filetype {},filename {}",
            b64("tok"),
            b64("q1"),
            b64("1"),
            b64("video/webm"),
            b64("a\0.webm")
        );
        let e = parse_metadata(&raw).err().unwrap_or_else(|| panic!("accepted a NUL"));
        assert!(format!("{e:?}").contains("NUL"), "{e:?}");
    }

    #[test]
    fn checksums_compare_digests() {
        use sha2::Digest;
        let digest = STANDARD.encode(sha2::Sha256::digest(b"abc"));
        let mut c = Checksum::parse(&format!("sha256 {digest}")).unwrap_or_else(|e| panic!("{e:?}"));
        c.update(b"ab");
        c.update(b"c");
        assert!(c.matches());
        assert!(Checksum::parse("md5 AAAA").is_err());
        assert_eq!(in_words(1 << 30), "1 GiB");
        assert_eq!(in_words(25 << 20), "25 MiB");
    }
}
