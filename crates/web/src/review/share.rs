//! Share links: the guest pages under `/s/{token}` (list of candidates, one candidate, the
//! access-code form) and the recruiter's create, revoke and view-log pages.
//!
//! Unknown → 404, expired or revoked → 410, each a page; failed guesses (unknown tokens, wrong
//! codes) are counted per address and a guessing address gets 429 before any lookup.

use super::interview::{InterviewPage, QuestionLine, page_of};
use crate::WebState;
use crate::auth::{PageActor, check_csrf};
use crate::error::{PageError, page};
use crate::pages::render;
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use shortlist_app::AppError;
use shortlist_app::review::audio::Playable;
use shortlist_app::review::share::{Closed, NewShare, OpenShare};
use shortlist_domain::PositionId;
use std::net::SocketAddr;

const CODE_COOKIE: &str = "shortlist_share_code";

fn too_many(wait: u64) -> Response {
    let mut r = page(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        &format!("Too many wrong links or codes from your address. Try again in {wait} seconds."),
    );
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// Opens the link for a guest request (pages and media alike), or the page that says why not.
pub async fn open(s: &WebState, token: &str, peer: SocketAddr, headers: &HeaderMap) -> Result<OpenShare, Response> {
    let guard = &s.review.guard;
    guard.check(peer.ip()).map_err(too_many)?;
    let link = match s.review.service.open_share(token).await {
        Ok(Ok(l)) => l,
        Ok(Err(Closed::Unknown)) => {
            guard.failed(peer.ip());
            return Err(page(
                StatusCode::NOT_FOUND,
                "Link not found",
                "This link does not exist. Check that it was copied completely.",
            ));
        }
        Ok(Err(Closed::Expired)) => {
            return Err(page(
                StatusCode::GONE,
                "Link expired",
                "This share link has expired. Ask the person who sent it for a new one.",
            ));
        }
        Ok(Err(Closed::Revoked)) => {
            return Err(page(
                StatusCode::GONE,
                "Link revoked",
                "This share link was revoked. Ask the person who sent it for a new one.",
            ));
        }
        Err(e) => return Err(PageError(e).into_response()),
    };
    let jar = CookieJar::from_headers(headers);
    if !link.unlocked(jar.get(CODE_COOKIE).map(|c| c.value())) {
        return Err(code_page(token, None));
    }
    Ok(link)
}

#[derive(Template)]
#[template(path = "review/share_code.html")]
struct CodePage<'a> {
    token: &'a str,
    error: Option<&'a str>,
}

fn code_page(token: &str, error: Option<&str>) -> Response {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    render(status, &CodePage { token, error })
}

fn user_agent(h: &HeaderMap) -> &str {
    h.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub struct ListLine {
    pub href: String,
    pub name: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "review/share_list.html")]
struct ListPage {
    label: String,
    expires: String,
    lines: Vec<ListLine>,
}

/// `GET /s/{token}`: the candidates the link shows.
pub async fn list(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let link = open(&s, &token, peer, &headers).await?;
    let r = &s.review.service;
    let fail = |e: AppError| PageError(e).into_response();
    r.record_view(&link, None, &peer.ip().to_string(), user_agent(&headers))
        .await
        .map_err(fail)?;
    let mut lines = vec![];
    for (n, raw) in link.link.invitation_ids.iter().enumerate() {
        let inv = link.invitation(raw).map_err(fail)?;
        let v = r.interview(&link.org, &inv, &link.viewer()).await.map_err(fail)?;
        lines.push(ListLine {
            href: format!("/s/{token}/{raw}"),
            name: v.candidate_name.unwrap_or_else(|| format!("Candidate {}", n + 1)),
            state: v.state,
        });
    }
    let page = ListPage {
        label: link.link.label.clone(),
        expires: link.link.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        lines,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /s/{token}`: the access code. Right → a cookie for this link; wrong → counted.
pub async fn code(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Result<Response, Response> {
    s.review.guard.check(peer.ip()).map_err(too_many)?;
    let link = match s.review.service.open_share(&token).await {
        Ok(Ok(l)) => l,
        // Let the GET path say why (404/410) with the same counting.
        _ => {
            return open(&s, &token, peer, &HeaderMap::new())
                .await
                .map(|_| Redirect::to("/").into_response());
        }
    };
    match link.try_code(&f.code) {
        Some(proof) => {
            let cookie = Cookie::build((CODE_COOKIE, proof))
                .http_only(true)
                .secure(s.secure_cookies)
                .same_site(SameSite::Strict)
                .path("/s/")
                .build();
            Ok((jar.add(cookie), Redirect::to(&format!("/s/{token}"))).into_response())
        }
        None => {
            s.review.guard.failed(peer.ip());
            Err(code_page(&token, Some("That code is not right.")))
        }
    }
}

/// `GET /s/{token}/{inv}`: one candidate, read-only, as the link allows.
pub async fn candidate(
    State(s): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((token, inv)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let link = open(&s, &token, peer, &headers).await?;
    let fail = |e: AppError| PageError(e).into_response();
    let id = link.invitation(&inv).map_err(fail)?;
    let r = &s.review.service;
    let v = r.interview(&link.org, &id, &link.viewer()).await.map_err(fail)?;
    r.record_view(&link, Some(&inv), &peer.ip().to_string(), user_agent(&headers))
        .await
        .map_err(fail)?;
    let base = format!("/s/{token}/{inv}");
    let (mut questions, _, candidate) = page_of(v.clone(), None, &format!("{base}/takes"), link.link.anonymised);
    if link.link.anonymised {
        no_player_reasons(&s, &link, &id, &mut questions).await.map_err(fail)?;
    }
    let p = InterviewPage {
        csrf: String::new(),
        signed_in: false,
        candidate,
        questions,
        doc_base: format!("{base}/documents"),
        eval: None,
        notice: None,
        back: None,
        v,
    };
    Ok(render(StatusCode::OK, &p))
}

/// In anonymised mode a video answer plays only from its audio-only copy: where there is none
/// (not made yet, or no ffmpeg here) the page shows why instead of a player. A missing copy is
/// asked for on the way, so the next visit can play it.
async fn no_player_reasons(
    s: &WebState,
    link: &OpenShare,
    inv: &shortlist_domain::InvitationId,
    lines: &mut [QuestionLine],
) -> Result<(), AppError> {
    let viewer = link.viewer();
    for l in lines
        .iter_mut()
        .filter(|l| !l.media_url.is_empty() && l.q.kind != "file_upload")
    {
        let Some(take) = l.q.take else { continue };
        let playable = match s.review.service.playable(&link.org, inv, &viewer, &l.q.id, take).await {
            Ok(p) => p,
            Err(AppError::NotFound) => Playable::NoAudio,
            Err(e) => return Err(e),
        };
        if playable == Playable::Pending {
            s.wake.notify_one();
        }
        if let Some(why) = playable.reason() {
            l.unavailable = why.to_string();
        }
    }
    Ok(())
}

#[derive(serde::Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    invitation_ids: Vec<String>,
    #[serde(default)]
    hidden_questions: String,
    #[serde(default)]
    expires_in_days: Option<i64>,
    #[serde(default)]
    anonymised: Option<String>,
    #[serde(default)]
    access_code: String,
}

#[derive(Template)]
#[template(path = "review/share_created.html")]
struct CreatedPage {
    csrf: String,
    url: String,
    position_id: String,
}

/// `POST /positions/{id}/share-links` from the position's review page; shows the URL once.
pub async fn create(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<CreateForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let pos = PositionId::parse(&id).map_err(|_| AppError::NotFound)?;
    let n = NewShare {
        invitation_ids: f.invitation_ids,
        label: f.label,
        expires_in_days: f.expires_in_days,
        hidden_questions: f
            .hidden_questions
            .split([',', ' '])
            .filter(|q| !q.is_empty())
            .map(String::from)
            .collect(),
        anonymised: f.anonymised.is_some(),
        access_code: Some(f.access_code).filter(|c| !c.trim().is_empty()),
    };
    let (_, url) = s.review.service.create_share(&a, &pos, &n).await?;
    let p = CreatedPage {
        csrf: u.csrf_token.clone(),
        url,
        position_id: id,
    };
    Ok(render(StatusCode::CREATED, &p))
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn revoke(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&u, &f.csrf)?;
    let link = s.review.service.revoke_share(&a, &id).await?;
    Ok(Redirect::to(&format!("/positions/{}/review#share-links", link.position_id)).into_response())
}

#[derive(Template)]
#[template(path = "review/share_views.html")]
struct ViewsPage {
    csrf: String,
    position_id: String,
    label: String,
    status: String,
    rows: Vec<(String, String, String, String)>,
}

/// `GET /share-links/{id}`: who opened the link, when and from where.
pub async fn views(
    State(s): State<WebState>,
    PageActor(a, u): PageActor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (link, views) = s.review.service.share_views(&a, &id).await?;
    let status = match link.revoked_at {
        Some(t) => format!("revoked {}", t.format("%Y-%m-%d %H:%M UTC")),
        None => format!("expires {}", link.expires_at.format("%Y-%m-%d %H:%M UTC")),
    };
    let p = ViewsPage {
        csrf: u.csrf_token.clone(),
        position_id: link.position_id.clone(),
        label: link.label.clone(),
        status,
        rows: views
            .into_iter()
            .map(|v| {
                (
                    v.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    v.invitation_id.unwrap_or_else(|| "the list".into()),
                    v.ip,
                    v.user_agent,
                )
            })
            .collect(),
    };
    Ok(render(StatusCode::OK, &p))
}
