//! The tus 1.0 resumable-upload endpoint for candidates' answers (core protocol plus the
//! creation, creation-with-upload, creation-defer-length, termination, checksum and expiration
//! extensions). A thin
//! layer: headers in, [`shortlist_app::uploads::Uploads`] does the work, headers out. Bodies are
//! streamed through, never collected.

use crate::WebState;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{head, options};
use chrono::{DateTime, Utc};
use shortlist_app::faults::{Fault, classify_anyhow};
use shortlist_app::uploads::{PatchRequest, UploadError, UploadInfo, rules};

const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration";
const CHECKSUMS: &str = "sha1,sha256";
const OFFSET_STREAM: &str = "application/offset+octet-stream";
/// Every request after creation proves it comes from the invitation's candidate.
pub const CANDIDATE_TOKEN: &str = "x-shortlist-candidate-token";

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/uploads", options(discover).post(create))
        .route("/uploads/{id}", head(status).patch(append).delete(terminate))
        .layer(DefaultBodyLimit::disable())
}

/// A response with the headers every tus answer carries.
struct Tus {
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    body: String,
}

impl Tus {
    fn new(status: StatusCode) -> Tus {
        Tus {
            status,
            headers: vec![(HeaderName::from_static("tus-resumable"), TUS_VERSION.into())],
            body: String::new(),
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Tus {
        self.headers.push((HeaderName::from_static(name), value.into()));
        self
    }

    fn progress(self, info: &UploadInfo) -> Tus {
        let mut t = self.header("upload-offset", info.offset.to_string());
        if let Some(at) = info.expires_at {
            t = t.header("upload-expires", http_date(at));
        }
        t
    }
}

impl IntoResponse for Tus {
    fn into_response(self) -> Response {
        let has_body = !self.body.is_empty();
        let mut resp = (self.status, self.body).into_response();
        let h = resp.headers_mut();
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        if has_body {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
        } else {
            h.remove(header::CONTENT_TYPE);
        }
        // Only an unreachable database answers 503 here.
        if resp.status() == StatusCode::SERVICE_UNAVAILABLE {
            crate::error::mark_unavailable(&mut resp);
        }
        resp
    }
}

fn fail(status: StatusCode, message: impl Into<String>) -> Tus {
    let mut t = Tus::new(status);
    t.body = message.into();
    t
}

/// The database cannot be reached (Retry-After and the circuit's mark come with the 503).
fn db_unavailable() -> Tus {
    fail(
        StatusCode::SERVICE_UNAVAILABLE,
        "The service cannot reach its database right now. Try again shortly.",
    )
}

/// [`db_unavailable`] for the database circuit, which answers before any handler runs.
pub(crate) fn unavailable() -> Response {
    db_unavailable().into_response()
}

fn error(e: UploadError) -> Tus {
    let status = match &e {
        UploadError::NotFound => StatusCode::NOT_FOUND,
        UploadError::Gone(_) => StatusCode::GONE,
        UploadError::BadRequest(_) => StatusCode::BAD_REQUEST,
        UploadError::OffsetMismatch { .. } => StatusCode::CONFLICT,
        UploadError::Locked => StatusCode::LOCKED,
        UploadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        UploadError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        UploadError::ChecksumMismatch => StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
        UploadError::TooMany => StatusCode::TOO_MANY_REQUESTS,
        // A submitted take stays as it is: a second upload of it conflicts with it.
        UploadError::Submitted(_) => StatusCode::CONFLICT,
        UploadError::Internal(inner) if classify_anyhow(inner) == Some(Fault::StorageFull) => {
            tracing::error!(error = format!("{inner:#}"), "upload refused: storage full");
            return fail(
                StatusCode::INSUFFICIENT_STORAGE,
                "The server has run out of storage space; the bytes of this request were not kept. \
                 Resume the upload later from the offset HEAD reports.",
            );
        }
        UploadError::Internal(inner) if classify_anyhow(inner) == Some(Fault::DatabaseUnavailable) => {
            tracing::warn!(error = format!("{inner:#}"), "upload: database unavailable");
            return db_unavailable();
        }
        UploadError::Internal(inner) => {
            tracing::error!(error = format!("{inner:#}"), "upload failed");
            return fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Try again in a moment.",
            );
        }
    };
    let t = fail(status, e.to_string());
    match e {
        UploadError::OffsetMismatch { offset } => t.header("upload-offset", offset.to_string()),
        _ => t,
    }
}

fn text<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Tus-Resumable must name the version we speak (412 with the versions we do speak).
fn check_version(h: &HeaderMap) -> Result<(), Tus> {
    if text(h, "tus-resumable") == Some(TUS_VERSION) {
        Ok(())
    } else {
        Err(fail(StatusCode::PRECONDITION_FAILED, "Tus-Resumable must be 1.0.0.").header("tus-version", TUS_VERSION))
    }
}

fn candidate_token(h: &HeaderMap) -> Result<&str, Tus> {
    text(h, CANDIDATE_TOKEN)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| error(UploadError::NotFound))
}

fn number(h: &HeaderMap, name: &str) -> Result<Option<u64>, Tus> {
    match text(h, name) {
        None => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            fail(
                StatusCode::BAD_REQUEST,
                format!("{name} must be a whole number of bytes."),
            )
        }),
    }
}

fn is_offset_stream(h: &HeaderMap) -> bool {
    text(h, "content-type")
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_STREAM))
}

/// RFC 9110 date, as Upload-Expires wants it.
fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn flatten(r: Result<Tus, Tus>) -> Response {
    match r {
        Ok(t) | Err(t) => t.into_response(),
    }
}

async fn discover(State(s): State<WebState>) -> Response {
    Tus::new(StatusCode::NO_CONTENT)
        .header("tus-version", TUS_VERSION)
        .header("tus-extension", EXTENSIONS)
        .header("tus-max-size", s.uploads.max_size().to_string())
        .header("tus-checksum-algorithm", CHECKSUMS)
        .into_response()
}

async fn create(State(s): State<WebState>, h: HeaderMap, body: Body) -> Response {
    flatten(create_inner(s, h, body).await)
}

async fn create_inner(s: WebState, h: HeaderMap, body: Body) -> Result<Tus, Tus> {
    check_version(&h)?;
    // A recording is uploaded while it is made, so its length comes with a later PATCH.
    let deferred = match text(&h, "upload-defer-length") {
        None => false,
        Some("1") => true,
        Some(_) => return Err(fail(StatusCode::BAD_REQUEST, "Upload-Defer-Length must be 1.")),
    };
    let length = number(&h, "upload-length")?;
    match (length, deferred) {
        (Some(_), true) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "Send either Upload-Length or Upload-Defer-Length, not both.",
            ));
        }
        (None, false) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "Upload-Length (or Upload-Defer-Length: 1) is required.",
            ));
        }
        _ => {}
    }
    let metadata = text(&h, "upload-metadata").unwrap_or_default();
    let mut info = s.uploads.create(length, metadata).await.map_err(error)?;
    if is_offset_stream(&h) {
        // creation-with-upload: the body is the first PATCH. The upload exists either way.
        let token = rules::parse_metadata(metadata).map(|m| m.token).unwrap_or_default();
        let req = PatchRequest {
            offset: 0,
            length: None,
            checksum: text(&h, "upload-checksum"),
            content_length: number(&h, "content-length").unwrap_or(None),
        };
        let stream = body.into_data_stream();
        match s.uploads.patch(&info.id, &token, req, stream).await {
            Ok(after) => info = after,
            // The upload was refused and ended (not its type, or its take is submitted): say so
            // rather than hand out a location that leads nowhere.
            Err(e @ (UploadError::UnsupportedType(_) | UploadError::Submitted(_))) => return Err(error(e)),
            Err(e) => {
                tracing::info!(upload = info.id, error = %e, "creation body not (fully) stored");
                if let Ok(now) = s.uploads.head(&info.id, &token).await {
                    info = now;
                }
            }
        }
    }
    Ok(Tus::new(StatusCode::CREATED)
        .header("location", format!("/uploads/{}", info.id))
        .progress(&info))
}

async fn status(State(s): State<WebState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    flatten(
        async {
            check_version(&h)?;
            let info = s.uploads.head(&id, candidate_token(&h)?).await.map_err(error)?;
            let mut t = Tus::new(StatusCode::OK)
                .header("cache-control", "no-store")
                .progress(&info);
            t = match info.length {
                Some(n) => t.header("upload-length", n.to_string()),
                None => t.header("upload-defer-length", "1"),
            };
            if !info.metadata.is_empty() {
                t = t.header("upload-metadata", info.metadata.clone());
            }
            Ok(t)
        }
        .await,
    )
}

async fn append(State(s): State<WebState>, Path(id): Path<String>, h: HeaderMap, body: Body) -> Response {
    flatten(
        async {
            check_version(&h)?;
            let token = candidate_token(&h)?;
            if !is_offset_stream(&h) {
                return Err(fail(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type must be application/offset+octet-stream.",
                ));
            }
            let offset = number(&h, "upload-offset")?
                .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "Upload-Offset is required."))?;
            let req = PatchRequest {
                offset,
                length: number(&h, "upload-length")?,
                checksum: text(&h, "upload-checksum"),
                content_length: number(&h, "content-length")?,
            };
            let info = s
                .uploads
                .patch(&id, token, req, body.into_data_stream())
                .await
                .map_err(error)?;
            Ok(Tus::new(StatusCode::NO_CONTENT).progress(&info))
        }
        .await,
    )
}

async fn terminate(State(s): State<WebState>, Path(id): Path<String>, h: HeaderMap) -> Response {
    flatten(
        async {
            check_version(&h)?;
            s.uploads.terminate(&id, candidate_token(&h)?).await.map_err(error)?;
            Ok(Tus::new(StatusCode::NO_CONTENT))
        }
        .await,
    )
}
