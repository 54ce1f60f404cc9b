//! What an upload may be: its metadata, the content types each question kind accepts, the file
//! extension of the stored object, and the checksums a client may send.

use super::UploadError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shortlist_domain::template::{Question, QuestionKind};
use std::collections::BTreeMap;

/// Recordings a browser's MediaRecorder produces, with the extension they are stored under.
const RECORDINGS: &[(&str, &str)] = &[
    ("video/webm", "webm"),
    ("video/mp4", "mp4"),
    ("audio/webm", "webm"),
    ("audio/ogg", "ogg"),
    ("audio/mp4", "m4a"),
];

/// Documents a candidate may hand in for a file-upload question.
const DOCUMENTS: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("text/plain", "txt"),
    ("text/csv", "csv"),
    ("text/markdown", "md"),
    ("application/rtf", "rtf"),
    ("application/msword", "doc"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("application/vnd.ms-excel", "xls"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("application/vnd.ms-powerpoint", "ppt"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ("application/vnd.oasis.opendocument.presentation", "odp"),
];

/// The Upload-Metadata of a creation request, decoded.
#[derive(Debug, Clone)]
pub struct CreationMetadata {
    pub token: String,
    pub question: String,
    pub take: i32,
    /// As sent, parameters included (`video/webm;codecs=vp8,opus`), lower-cased.
    pub filetype: String,
    pub filename: Option<String>,
    /// The header as it is stored and shown on HEAD: every pair except the token.
    pub stored: String,
}

fn bad(msg: impl Into<String>) -> UploadError {
    UploadError::BadRequest(msg.into())
}

/// Parses `key base64,key base64,…` (a key may have no value).
pub fn parse_metadata(raw: &str) -> Result<CreationMetadata, UploadError> {
    let mut pairs: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut kept = vec![];
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut it = item.splitn(2, ' ');
        let key = it.next().unwrap_or_default().to_string();
        let value = match it.next().map(str::trim) {
            Some(v) if !v.is_empty() => {
                let bytes = STANDARD
                    .decode(v)
                    .map_err(|_| bad(format!("Upload-Metadata: the value of '{key}' is not base64")))?;
                Some(String::from_utf8(bytes).map_err(|_| bad(format!("Upload-Metadata: '{key}' is not UTF-8")))?)
            }
            _ => None,
        };
        if key != "token" {
            kept.push(item.to_string());
        }
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
        stored: kept.join(","),
    })
}

/// The file extension to store `filetype` under when `q` accepts it.
pub fn extension_for(q: &Question, filetype: &str) -> Result<&'static str, UploadError> {
    let base = filetype.split(';').next().unwrap_or_default().trim();
    let found = |list: &[(&str, &'static str)]| list.iter().find(|(t, _)| *t == base).map(|(_, e)| *e);
    let ext = match q.kind {
        // A video question may fall back to audio only when the template allows it (checked
        // by the caller, which has the template).
        QuestionKind::Video => found(RECORDINGS),
        QuestionKind::Audio => found(RECORDINGS).filter(|_| base.starts_with("audio/")),
        QuestionKind::FileUpload => found(DOCUMENTS),
        QuestionKind::Text | QuestionKind::MultipleChoice => {
            return Err(bad(format!("question '{}' takes no file", q.id)));
        }
    };
    ext.ok_or_else(|| {
        let what = if q.kind == QuestionKind::FileUpload {
            "PDF, image, text or office documents"
        } else if q.kind == QuestionKind::Audio {
            "audio recordings (audio/webm, audio/ogg, audio/mp4)"
        } else {
            "recordings (video/webm, video/mp4, audio/webm, audio/ogg, audio/mp4)"
        };
        UploadError::UnsupportedType(format!("'{base}' is not accepted here: send {what}"))
    })
}

/// Whether `filetype` is a recording (audio or video) rather than a document.
pub fn is_recording(filetype: &str) -> bool {
    let base = filetype.split(';').next().unwrap_or_default().trim();
    RECORDINGS.iter().any(|(t, _)| *t == base)
}

/// Whether `filetype` is a video recording.
pub fn is_video(filetype: &str) -> bool {
    filetype.trim_start().starts_with("video/")
}

/// Takes a question allows: every recording may be retaken `retakes` times; a document is one.
pub fn check_take(q: &Question, take: i32) -> Result<(), UploadError> {
    let most = if q.kind.records_media() {
        i64::from(q.retakes) + 1
    } else {
        1
    };
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
        assert!(!m.stored.contains(&b64("tok")) && m.stored.contains("empty"));
        assert!(parse_metadata("question cTE=").is_err());
        assert!(parse_metadata("token !!!").is_err());
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
