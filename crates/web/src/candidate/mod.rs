//! The candidate's side, reached through the invitation link (no account: the link is the key).
//!
//! Every page is localised ([`i18n`]), sent with `Cache-Control: no-store`,
//! `Referrer-Policy: no-referrer` (the token is in the URL) and a CSP that allows only this
//! site's scripts. Each GET page belongs to one step of the interview; asking for another step
//! than [`Session::next_step`] redirects there, so a reload or another device resumes in place.

mod device;
mod finish;
mod guessing;
pub mod i18n;
mod landing;
mod questions;
mod surveys;
mod when;

use crate::WebState;
use crate::error::PageError;
use crate::headers::CSP;
use crate::pages::render;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use i18n::T;
use serde::Deserialize;
use shortlist_app::AppError;
use shortlist_app::interview::steps::Step;
use shortlist_app::interview::{Access, Session};

/// `state` is for the link-guessing limit ([`guessing`]), which wraps every route here.
pub fn routes(state: &WebState) -> Router<WebState> {
    Router::new()
        .route("/i/{token}", get(landing::show))
        .route("/i/{token}/consent", post(landing::consent))
        .route("/i/{token}/media/{kind}", crate::files::file_route(get(landing::media)))
        .route("/i/{token}/next", get(next))
        .route("/i/{token}/device", get(device::show).post(device::done))
        .route("/i/{token}/speedtest", post(device::speedtest))
        .route("/i/{token}/practice", get(device::practice).post(device::practice_done))
        .route(
            "/i/{token}/survey/{placement}",
            get(surveys::show).post(surveys::submit),
        )
        .route("/i/{token}/q/{question}", get(questions::show).post(questions::submit))
        .route("/i/{token}/finish", get(finish::show))
        .route("/i/{token}/complete", post(finish::complete))
        .route("/i/{token}/done", get(finish::done))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guessing::limit))
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=(self), geolocation=()"),
    );
    resp
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

pub(crate) struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

pub(crate) struct DocLink {
    pub title: String,
    pub href: String,
    pub external: bool,
}

/// What every candidate page shows around its content.
pub(crate) struct Chrome {
    pub t: T,
    pub title: String,
    pub company: String,
    /// `/i/{token}`.
    pub base: String,
    pub colour: String,
    /// Black or white, whichever reads better on `colour`.
    pub fg: &'static str,
    pub has_logo: bool,
    pub langs: Vec<LangLink>,
    pub documents: Vec<DocLink>,
    /// The `js.*` messages for the page scripts.
    pub js: String,
    /// The template lets a candidate without a camera answer video questions with audio.
    pub audio_only: bool,
}

const DEFAULT_COLOUR: &str = "#16325c";

/// WCAG relative luminance decides the text colour on the brand colour.
fn foreground(colour: &str) -> &'static str {
    let channel = |i: usize| {
        let c = u8::from_str_radix(colour.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if l > 0.179 { "#000000" } else { "#ffffff" }
}

fn lang_links(t: T, href: impl Fn(&str) -> String) -> Vec<LangLink> {
    i18n::LOCALES
        .iter()
        .map(|code| LangLink {
            code,
            name: T::for_tag(code).get("lang.name"),
            href: href(code),
            current: *code == t.lang(),
        })
        .collect()
}

impl Chrome {
    /// `here` is the page's path below the base (for the language links).
    pub fn new(s: &Session, token: &str, title: String, here: &str) -> Chrome {
        let t = T::for_tag(s.locale());
        let base = format!("/i/{token}");
        let colour = s.spec.branding.colour.clone().unwrap_or_else(|| DEFAULT_COLOUR.into());
        let documents = s
            .spec
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| match &d.url {
                Some(u) => DocLink {
                    title: d.title.clone(),
                    href: u.clone(),
                    external: true,
                },
                None => DocLink {
                    title: d.title.clone(),
                    href: format!("{base}/media/document-{}", i + 1),
                    external: false,
                },
            })
            .collect();
        Chrome {
            langs: lang_links(t, |code| format!("{base}{here}?lang={code}")),
            fg: foreground(&colour),
            colour,
            has_logo: s.spec.branding.logo_media_key.is_some(),
            company: s.company.clone(),
            title,
            documents,
            js: t.js_json(),
            audio_only: s.spec.allow_audio_only,
            base,
            t,
        }
    }

    /// For pages without an open interview (closed or unknown links).
    pub fn bare(t: T, company: &str, title: String, here: &str) -> Chrome {
        Chrome {
            audio_only: false,
            langs: lang_links(t, |code| format!("{here}?lang={code}")),
            fg: foreground(DEFAULT_COLOUR),
            colour: DEFAULT_COLOUR.into(),
            has_logo: false,
            company: company.to_string(),
            title,
            documents: vec![],
            js: t.js_json(),
            base: String::new(),
            t,
        }
    }
}

#[derive(Template)]
#[template(path = "candidate/problem.html")]
pub(crate) struct Problem {
    pub c: Chrome,
    pub heading: String,
    pub lines: Vec<String>,
    pub back: Option<String>,
}

/// Opens the interview behind `token`, applying a `?lang=` choice; closed and unknown links
/// are answered with their friendly pages (410 and 404).
pub(crate) async fn open(s: &WebState, token: &str, lang: Option<&str>) -> Result<Box<Session>, Response> {
    let chosen = lang.and_then(T::supported);
    match s.interviews.access(token).await {
        Err(e) => Err(PageError(e).into_response()),
        Ok(Access::Unknown) => {
            let t = T::for_tag(chosen.unwrap_or("en"));
            let heading = t.get("closed.unknown").to_string();
            let c = Chrome::bare(t, "", heading.clone(), &format!("/i/{token}"));
            let lines = vec![t.get("closed.unknown_text").to_string()];
            let mut resp = render(
                StatusCode::NOT_FOUND,
                &Problem {
                    c,
                    heading,
                    lines,
                    back: None,
                },
            );
            resp.extensions_mut().insert(guessing::UnknownLink);
            Err(resp)
        }
        Ok(Access::Closed {
            reason,
            company,
            contact,
            locale,
        }) => {
            let t = T::for_tag(chosen.unwrap_or(&locale));
            let heading = t.get(if reason == "cancelled" {
                "closed.cancelled"
            } else {
                "closed.expired"
            });
            let c = Chrome::bare(t, &company, heading.to_string(), &format!("/i/{token}"));
            let lines = vec![t.fmt("closed.contact", &[("company", &company), ("contact", &contact)])];
            let p = Problem {
                c,
                heading: heading.to_string(),
                lines,
                back: None,
            };
            Err(render(StatusCode::GONE, &p))
        }
        Ok(Access::Open(mut sess)) => {
            if let Some(l) = chosen
                && sess.progress.locale.as_deref() != Some(l)
                && let Err(e) = s.interviews.set_locale(&mut sess, l).await
            {
                // Remembering the language is not worth refusing the page on a full disk.
                if e.fault() != Some(shortlist_app::faults::Fault::StorageFull) {
                    return Err(PageError(e).into_response());
                }
                tracing::warn!(error = %e, "language choice not saved: storage is full");
                sess.progress.locale = Some(l.to_string());
            }
            Ok(sess)
        }
    }
}

/// The URL of the candidate's next step.
pub(crate) fn step_url(token: &str, step: &Step) -> String {
    format!("/i/{token}{}", step.path())
}

/// Redirects to the next step unless it is `want`.
pub(crate) fn guard(sess: &Session, token: &str, want: &Step) -> Option<Response> {
    let next = sess.next_step();
    (next != *want).then(|| Redirect::to(&step_url(token, &next)).into_response())
}

/// A validation message in the candidate's language: message keys are translated, missing
/// items are named by their prompt.
pub(crate) fn field_message(t: T, f: &shortlist_app::error::FieldError) -> String {
    let item = f.field.starts_with("questions.") || f.field.starts_with("surveys.");
    if item && !f.message.starts_with("answer.") {
        t.fmt("error.missing_answer", &[("prompt", &f.message)])
    } else {
        t.get(&f.message).to_string()
    }
}

/// An error while the interview is open, as a localised page.
pub(crate) fn app_error(sess: &Session, token: &str, e: AppError) -> Response {
    let t = T::for_tag(sess.locale());
    let (status, lines) = match &e {
        AppError::NotFound => (StatusCode::NOT_FOUND, vec![t.get("error.not_found").to_string()]),
        AppError::Conflict { .. } => (StatusCode::CONFLICT, vec![t.get("error.not_in_progress").to_string()]),
        AppError::Validation { fields } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields.iter().map(|f| field_message(t, f)).collect(),
        ),
        _ => return PageError(e).into_response(),
    };
    let heading = t.get("error.title").to_string();
    let c = Chrome::new(sess, token, heading.clone(), "");
    let back = Some(step_url(token, &sess.next_step()));
    render(
        status,
        &Problem {
            c,
            heading,
            lines,
            back,
        },
    )
}

/// `GET /i/{token}/next`: wherever the candidate continues.
async fn next(State(s): State<WebState>, Path(token): Path<String>) -> Response {
    match open(&s, &token, None).await {
        Ok(sess) => Redirect::to(&step_url(&token, &sess.next_step())).into_response(),
        Err(r) => r,
    }
}

pub(crate) type LangQ = Query<LangQuery>;

impl LangQuery {
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_colour_contrasts_with_the_brand() {
        assert_eq!(super::foreground("#16325c"), "#ffffff");
        assert_eq!(super::foreground("#ffe066"), "#000000");
    }
}
