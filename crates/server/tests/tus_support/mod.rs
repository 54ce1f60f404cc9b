//! A small tus 1.0 client for the upload tests, an interview to upload into, and raw HTTP for
//! bodies that stall or are cut off mid-way.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::api_common::{Api, candidate_email, sign_in, unique};
use crate::common::TestApp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};
use shortlist_domain::{InvitationId, Role};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const MIB: usize = 1024 * 1024;

/// An invitation to a template with a video question `q1` (one retake), a document question
/// `doc` and a text question `t`.
pub struct Interview {
    pub api: Api,
    pub token: String,
    pub invitation: String,
}

pub async fn interview(app: &TestApp) -> Interview {
    interview_with(app, false).await
}

/// As [`interview`], with the template's "allow audio-only" setting.
pub async fn interview_with(app: &TestApp, allow_audio_only: bool) -> Interview {
    let api = sign_in(app, Role::Recruiter).await;
    let spec = json!({ "name": "Uploads", "allow_audio_only": allow_audio_only, "questions": [
        { "id": "q1", "kind": "video", "prompt": "Tell us about you", "answer_time_secs": 120, "retakes": 1 },
        { "id": "doc", "kind": "file_upload", "prompt": "Your CV" },
        { "id": "t", "kind": "text", "prompt": "Why us?" }
    ]});
    let tpl = api.template(&format!("tus-{}", unique()), spec).await;
    let pos = api.position("Uploader", &[&tpl]).await;
    let (s, r) = api.invite(&pos, json!({ "email": candidate_email("tus") })).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let url = r["invitation"]["candidate_url"].as_str().unwrap();
    let token = url.rsplit_once("/i/").unwrap().1.to_string();
    let invitation = r["invitation"]["id"].as_str().unwrap().to_string();
    Interview { api, token, invitation }
}

impl Interview {
    pub fn invitation_id(&self) -> InvitationId {
        InvitationId::parse(&self.invitation).unwrap()
    }
}

/// Deterministic bytes that do not repeat in any short period, starting like a WebM file (the
/// upload server refuses a recording whose first bytes are not those of its type).
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    for (b, m) in out.iter_mut().zip(EBML) {
        *b = m;
    }
    out
}

/// The first bytes of every WebM (Matroska) file.
pub const EBML: [u8; 4] = [0x1a, 0x45, 0xdf, 0xa3];

pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

pub fn metadata(token: &str, question: &str, take: u32, filetype: &str) -> String {
    let e = |s: &str| STANDARD.encode(s);
    format!(
        "token {},question {},take {},filetype {},filename {}",
        e(token),
        e(question),
        e(&take.to_string()),
        e(filetype),
        e("answer.bin")
    )
}

/// A tus client speaking for one candidate.
pub struct Tus {
    pub c: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Tus {
    pub fn new(app: &TestApp, token: &str) -> Tus {
        Tus {
            c: reqwest::Client::new(),
            base: app.base.clone(),
            token: token.to_string(),
        }
    }

    pub async fn create_raw(&self, length: u64, meta: &str) -> reqwest::Response {
        self.c
            .post(format!("{}/uploads", self.base))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", meta)
            .send()
            .await
            .unwrap()
    }

    pub async fn create(&self, length: u64, question: &str, take: u32, filetype: &str) -> reqwest::Response {
        self.create_raw(length, &metadata(&self.token, question, take, filetype))
            .await
    }

    /// Creates a video upload and returns its location (`/uploads/…`).
    pub async fn video(&self, length: usize, take: u32) -> String {
        let r = self
            .create(length as u64, "q1", take, "video/webm;codecs=vp8,opus")
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
        assert_eq!(header(&r, "upload-offset").as_deref(), Some("0"));
        let loc = header(&r, "location").unwrap();
        assert!(loc.starts_with("/uploads/upl_"), "{loc}");
        loc
    }

    pub async fn head(&self, loc: &str) -> reqwest::Response {
        self.c
            .head(format!("{}{loc}", self.base))
            .header("Tus-Resumable", "1.0.0")
            .header("X-Shortlist-Candidate-Token", &self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn offset(&self, loc: &str) -> usize {
        let r = self.head(loc).await;
        assert_eq!(r.status(), StatusCode::OK, "HEAD {loc}");
        header(&r, "upload-offset").unwrap().parse().unwrap()
    }

    pub fn patch_req(&self, loc: &str, offset: usize) -> reqwest::RequestBuilder {
        self.c
            .patch(format!("{}{loc}", self.base))
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .header("X-Shortlist-Candidate-Token", &self.token)
    }

    pub async fn patch(&self, loc: &str, offset: usize, body: &[u8]) -> reqwest::Response {
        self.patch_req(loc, offset).body(body.to_vec()).send().await.unwrap()
    }

    /// PATCHes `chunk` and expects 204 with the new offset.
    pub async fn patch_ok(&self, loc: &str, offset: usize, chunk: &[u8]) {
        let r = self.patch(loc, offset, chunk).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", r.text().await.unwrap());
        assert_eq!(header(&r, "upload-offset").unwrap(), (offset + chunk.len()).to_string());
    }

    /// What a resuming client does: ask for the offset, send the rest from there; a PATCH still
    /// holding the upload (423) or a moved offset (409) means ask again.
    pub async fn resume(&self, loc: &str, all: &[u8]) -> usize {
        for _ in 0..100 {
            let at = self.offset(loc).await;
            let r = self.patch(loc, at, &all[at..]).await;
            match r.status() {
                StatusCode::NO_CONTENT => return at,
                StatusCode::LOCKED | StatusCode::CONFLICT => tokio::time::sleep(Duration::from_millis(100)).await,
                s => panic!("resume: {s} {}", r.text().await.unwrap()),
            }
        }
        panic!("the upload stayed locked");
    }
}

pub fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}

/// A PATCH written by hand, so a test decides when (and whether) the rest of the body follows.
pub struct RawPatch {
    pub stream: TcpStream,
}

impl RawPatch {
    /// Sends the headers (announcing `total` body bytes) and `first`.
    pub async fn start(app: &TestApp, tus: &Tus, loc: &str, offset: usize, total: usize, first: &[u8]) -> RawPatch {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "PATCH {loc} HTTP/1.1\r\nHost: {}\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n\
             Upload-Offset: {offset}\r\nX-Shortlist-Candidate-Token: {}\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n",
            app.addr, tus.token
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(first).await.unwrap();
        stream.flush().await.unwrap();
        RawPatch { stream }
    }

    pub async fn send(&mut self, more: &[u8]) {
        self.stream.write_all(more).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Reads the answer: the status and the raw header block.
    pub async fn finish(mut self) -> (u16, String) {
        let mut out = vec![];
        tokio::time::timeout(Duration::from_secs(60), self.stream.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        let status = text.split(' ').nth(1).unwrap_or("0").parse().unwrap();
        (status, text)
    }
}

/// The take recorded for `q1`, and the bytes stored under its key.
pub async fn stored_take(app: &TestApp, i: &Interview, take: i32) -> (String, Vec<u8>) {
    let takes = app.app.uploads.takes_for(&i.api.org, &i.invitation_id()).await.unwrap();
    let t = takes
        .iter()
        .find(|t| t.question_id == "q1" && t.take == take)
        .unwrap_or_else(|| panic!("no take {take}: {takes:?}"));
    let name = t.media_key.rsplit('/').next().unwrap();
    assert!(
        name.starts_with(&format!("take-{take}.")) && name.ends_with(".webm"),
        "{}",
        t.media_key
    );
    assert_eq!(t.content_type, "video/webm", "stored without the client's parameters");
    let bytes = app.app.media.get(&t.media_key).await.unwrap();
    assert_eq!(t.size_bytes as usize, bytes.len());
    (t.sha256.clone(), bytes)
}
