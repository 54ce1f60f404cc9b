//! `IcimsClient`: calls to one customer's iCIMS REST API. iCIMS answers HTTP/2 with 505, so the
//! client speaks HTTP/1.1 only; keys are lowercase; unknown JSON fields are ignored. Errors are
//! classified once here so callers (event handling, write-back jobs) only decide what to do.
//!
//! The API and token URLs are set by an organisation's admin, so every call goes through the
//! outbound guard ([`crate::outbound`]): checked again before each call (DNS changes), pinned to
//! the checked addresses, no redirect followed (reqwest would resend our Basic credentials to a
//! same-origin target), answers read up to a cap, and only a short, cleaned reason kept from them.

use crate::outbound::{Outbound, Profile, Refusal, read_capped, short_reason};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How calls to iCIMS talk (see [`crate::outbound::client`]).
pub const PROFILE: Profile = Profile {
    user_agent: concat!("Shortlist/", env!("CARGO_PKG_VERSION")),
    timeout: Duration::from_secs(20),
    connect_timeout: Duration::from_secs(5),
    http1_only: true,
};
/// A person or a job is a few kilobytes.
const MAX_JSON: usize = 1024 * 1024;
/// Error answers and token answers: enough for any real one.
const MAX_SMALL: usize = 64 * 1024;
/// Characters of iCIMS's own error text we keep.
const MAX_REASON: usize = 200;

pub const US_HOST: &str = "https://api.icims.com";
pub const EU_HOST: &str = "https://api-eu.icims.com";

/// The API host of a region; `override_url` (simulators, tests) wins when set.
pub fn api_base(region: &str, override_url: Option<&str>) -> String {
    match override_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => u.trim_end_matches('/').to_string(),
        None if region == "eu" => EU_HOST.to_string(),
        None => US_HOST.to_string(),
    }
}

#[derive(Clone)]
pub enum OutboundAuth {
    Basic {
        user: String,
        password: String,
    },
    OAuth {
        client_id: String,
        client_secret: String,
        token_url: String,
    },
}

impl std::fmt::Debug for OutboundAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboundAuth::Basic { user, .. } => write!(f, "Basic({user}, …)"),
            OutboundAuth::OAuth {
                client_id, token_url, ..
            } => write!(f, "OAuth({client_id}, {token_url}, …)"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IcimsError {
    /// Worth trying again later: 429, 5xx, time-outs, connection failures.
    #[error("iCIMS is unavailable: {0}")]
    Retryable(String),
    /// iCIMS refused the request; `message` is iCIMS's own text (errorMessage / X-Error).
    #[error("iCIMS answered {status}: {message}")]
    Permanent { status: u16, message: String },
}

impl IcimsError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, IcimsError::Retryable(_))
    }
}

pub use super::resources::{Job, ListValue, Person};

#[derive(Clone)]
pub struct IcimsClient {
    /// The guard and the pinned clients; shared by all connections of the process.
    outbound: Outbound,
    base: String,
    customer_id: String,
    auth: OutboundAuth,
    /// OAuth access token and when to stop using it. Per process on purpose: a token is cheap to
    /// fetch again, and sharing it between instances would mean storing a live credential.
    token: Arc<Mutex<Option<(String, Instant)>>>,
}

impl std::fmt::Debug for IcimsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "IcimsClient({}, customer {}, {:?})",
            self.base, self.customer_id, self.auth
        )
    }
}

impl IcimsClient {
    pub fn new(outbound: Outbound, base: &str, customer_id: &str, auth: OutboundAuth) -> IcimsClient {
        IcimsClient {
            outbound,
            base: base.trim_end_matches('/').to_string(),
            customer_id: customer_id.to_string(),
            auth,
            token: Arc::new(Mutex::new(None)),
        }
    }

    /// `https://api.icims.com` (or the EU host, or the override).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn customer_id(&self) -> &str {
        &self.customer_id
    }

    /// `{base}/customers/{customerId}`: every resource of this customer lives below it.
    pub fn customer_url(&self) -> String {
        format!("{}/customers/{}", self.base, self.customer_id)
    }

    /// A relative path (`people/12`) becomes a URL under the customer; an absolute URL is used
    /// only if, normalised, it lies under the customer's API URL, so a link in an event cannot
    /// send our credentials anywhere else (see [`super::links`]).
    pub fn resolve(&self, path_or_url: &str) -> Result<String, IcimsError> {
        super::links::resolve(&self.customer_url(), path_or_url)
            .map(String::from)
            .map_err(|why| IcimsError::Permanent {
                status: 400,
                message: format!(
                    "the link {} was not followed: {why}; only resources under {}/ are read",
                    short_reason(path_or_url, MAX_REASON),
                    self.customer_url()
                ),
            })
    }

    /// A request with authentication applied, on a client pinned to the addresses the guard
    /// checked just now. The write-back adds its body and calls [`send`].
    pub async fn request(&self, method: Method, path_or_url: &str) -> Result<RequestBuilder, IcimsError> {
        let url = self.resolve(path_or_url)?;
        let (url, http) = self.outbound.pinned(&url).await.map_err(refused)?;
        let rb = http.request(method, url).header("accept", "application/json");
        Ok(match &self.auth {
            OutboundAuth::Basic { user, password } => rb.basic_auth(user, Some(password)),
            OutboundAuth::OAuth { .. } => rb.bearer_auth(self.access_token().await?),
        })
    }

    /// Sends and classifies: 2xx is returned; 429/5xx/network are retryable; other statuses are
    /// permanent with iCIMS's message. A 401 also drops a cached OAuth token.
    pub async fn send(&self, rb: RequestBuilder) -> Result<Response, IcimsError> {
        let resp = rb.send().await.map_err(network)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        if status == StatusCode::UNAUTHORIZED {
            *self.token.lock().await = None;
        }
        if status.is_redirection() {
            return Err(IcimsError::Permanent {
                status: status.as_u16(),
                message: "iCIMS answered with a redirect, which Shortlist does not follow".into(),
            });
        }
        let x_error: Vec<String> = resp
            .headers()
            .get_all("x-error")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let body = read_capped(resp, MAX_SMALL).await.unwrap_or_default();
        let message = error_message(&String::from_utf8_lossy(&body), &x_error, status);
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() && status.as_u16() != 505 {
            return Err(IcimsError::Retryable(format!("{} {message}", status.as_u16())));
        }
        Err(IcimsError::Permanent {
            status: status.as_u16(),
            message,
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str, fields: &str) -> Result<T, IcimsError> {
        let rb = self.request(Method::GET, url).await?.query(&[("fields", fields)]);
        let resp = self.send(rb).await?;
        let bytes = read_capped(resp, MAX_JSON).await.map_err(|too_long| match too_long {
            true => IcimsError::Permanent {
                status: 200,
                message: format!("iCIMS sent more than {MAX_JSON} bytes"),
            },
            false => IcimsError::Retryable("the answer was cut off".into()),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| IcimsError::Permanent {
            status: 200,
            message: format!("iCIMS sent a body that is not the expected JSON: {e}"),
        })
    }

    /// `GET …/people/{id}` (URL from the event's `person` link, or a relative path).
    pub async fn get_person(&self, url: &str) -> Result<Person, IcimsError> {
        self.get_json(url, "firstname,lastname,email").await
    }

    /// `GET …/jobs/{id}` with the title and the package list.
    pub async fn get_job(&self, url: &str) -> Result<Job, IcimsError> {
        self.get_json(url, "jobtitle,assessmenttype").await
    }

    async fn access_token(&self) -> Result<String, IcimsError> {
        let OutboundAuth::OAuth {
            client_id,
            client_secret,
            token_url,
        } = &self.auth
        else {
            return Err(IcimsError::Permanent {
                status: 0,
                message: "not an OAuth connection".into(),
            });
        };
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(t.clone());
        }
        let creds = STANDARD.encode(format!("{client_id}:{client_secret}"));
        let (token_url, http) = self.outbound.pinned(token_url).await.map_err(refused)?;
        let resp = http
            .post(token_url)
            .header("authorization", format!("Basic {creds}"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", client_secret.as_str()),
            ])
            .send()
            .await
            .map_err(network)?;
        let status = resp.status();
        if !status.is_success() {
            // Only the RFC 6749 error code, never the body: the URL is the admin's choice.
            let body = read_capped(resp, MAX_SMALL).await.unwrap_or_default();
            let code = oauth_error_code(&body).map(|c| format!(" ({c})")).unwrap_or_default();
            let e = IcimsError::Permanent {
                status: status.as_u16(),
                message: if status.is_redirection() {
                    "the token endpoint answered with a redirect, which Shortlist does not follow".into()
                } else {
                    format!("the token endpoint refused the client credentials{code}")
                },
            };
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                IcimsError::Retryable(e.to_string())
            } else {
                e
            });
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            expires_in: Option<u64>,
        }
        let no_token = || IcimsError::Permanent {
            status: 200,
            message: "the token endpoint sent no access_token".into(),
        };
        let body = read_capped(resp, MAX_SMALL).await.map_err(|_| no_token())?;
        let t: Token = serde_json::from_slice(&body).map_err(|_| no_token())?;
        // Renew a minute early so a token does not expire between our check and iCIMS's.
        let life = t.expires_in.unwrap_or(3600).saturating_sub(60).max(1);
        *cached = Some((t.access_token.clone(), Instant::now() + Duration::from_secs(life)));
        Ok(t.access_token)
    }
}

/// A URL the guard refused: permanent (parked, shown to the admin), except a failed name lookup.
fn refused(r: Refusal) -> IcimsError {
    if r.is_lookup_failure() {
        return IcimsError::Retryable(format!("cannot connect: {r}"));
    }
    IcimsError::Permanent {
        status: 0,
        message: format!("url not allowed: {r}"),
    }
}

/// The `error` of an RFC 6749 error answer, if it is one of the short codes it defines.
fn oauth_error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v.get("error")?.as_str()?;
    (code.len() <= 40 && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then(|| code.to_string())
}

fn network(e: reqwest::Error) -> IcimsError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    IcimsError::Retryable(format!("{what}: {}", short_reason(&e.to_string(), MAX_REASON)))
}

/// iCIMS's message: `{"errors":[{"errorMessage":…}]}`, else the X-Error headers, else the status.
fn error_message(body: &str, x_error: &[String], status: StatusCode) -> String {
    #[derive(Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        #[serde(default, alias = "errormessage")]
        #[serde(rename = "errorMessage")]
        error_message: Option<String>,
    }
    let from_body: Vec<String> = serde_json::from_str::<Errors>(body)
        .map(|e| e.errors.into_iter().filter_map(|i| i.error_message).collect())
        .unwrap_or_default();
    if !from_body.is_empty() {
        return short_reason(&from_body.join("; "), MAX_REASON);
    }
    if !x_error.is_empty() {
        return short_reason(&x_error.join("; "), MAX_REASON);
    }
    status.canonical_reason().unwrap_or("error").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic() -> OutboundAuth {
        OutboundAuth::Basic {
            user: "u".into(),
            password: "p".into(),
        }
    }

    /// Answers one fixed address for every name.
    struct Fixed(std::net::IpAddr);

    #[async_trait::async_trait]
    impl crate::outbound::Resolver for Fixed {
        async fn resolve(&self, _host: &str, port: u16) -> std::io::Result<Vec<std::net::SocketAddr>> {
            Ok(vec![std::net::SocketAddr::new(self.0, port)])
        }
    }

    fn client(base: &str, answer: &str) -> IcimsClient {
        let guard = crate::outbound::Guard {
            allow: vec![],
            resolver: Arc::new(Fixed(answer.parse().unwrap())),
        };
        IcimsClient::new(Outbound::new(guard, PROFILE), base, "1234", basic())
    }

    #[test]
    fn region_picks_the_host_unless_overridden() {
        assert_eq!(api_base("us", None), "https://api.icims.com");
        assert_eq!(api_base("eu", None), "https://api-eu.icims.com");
        assert_eq!(api_base("eu", Some("")), "https://api-eu.icims.com");
        assert_eq!(api_base("eu", Some("http://127.0.0.1:9/")), "http://127.0.0.1:9");
    }

    #[tokio::test]
    async fn eu_customer_requests_go_to_the_eu_host() {
        let c = client(&api_base("eu", None), "93.184.216.34");
        let req = c.request(Method::GET, "jobs/7").await.unwrap().build().unwrap();
        assert_eq!(req.url().as_str(), "https://api-eu.icims.com/customers/1234/jobs/7");
        let req = c
            .request(Method::GET, "https://api-eu.icims.com/customers/1234/people/3")
            .await
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(req.url().host_str(), Some("api-eu.icims.com"));
        assert!(req.headers().get("authorization").is_some());
    }

    #[tokio::test]
    async fn links_outside_the_customer_are_refused() {
        let c = client(&api_base("us", None), "93.184.216.34");
        for bad in [
            "https://evil.example/customers/1234/people/3",
            "https://api.icims.com/customers/9999/people/3",
            "http://169.254.169.254/latest/meta-data",
            "https://api.icims.com/customers/1234/../../admin",
            "https://api.icims.com/customers/1234/%2e%2e/9999/people/3",
        ] {
            assert!(c.request(Method::GET, bad).await.is_err(), "{bad}");
        }
    }

    /// The API host is checked before every call: a name that now resolves inside is refused
    /// (permanently, so a write-back parks and the admins hear of it), whatever it was at save.
    #[tokio::test]
    async fn an_api_host_resolving_inside_is_refused_at_call_time() {
        for inside in ["127.0.0.1", "169.254.169.254", "10.1.2.3", "::1"] {
            let c = client("https://ats.example.com", inside);
            match c.request(Method::GET, "jobs/7").await {
                Err(IcimsError::Permanent { status: 0, message }) => {
                    assert!(message.starts_with("url not allowed"), "{inside}: {message}")
                }
                other => panic!("{inside}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_the_oauth_error_code_is_kept_from_a_token_refusal() {
        assert_eq!(
            oauth_error_code(br#"{"error":"invalid_client","error_description":"SECRET"}"#).as_deref(),
            Some("invalid_client")
        );
        assert_eq!(oauth_error_code(b"<html>SECRET</html>"), None);
        assert_eq!(oauth_error_code(br#"{"error":"SECRET data here"}"#), None);
    }

    #[test]
    fn error_messages_come_from_the_icims_body_or_headers() {
        let body = r#"{"errors":[{"errorMessage":"Job not found.","errorCode":2}]}"#;
        assert_eq!(error_message(body, &[], StatusCode::NOT_FOUND), "Job not found.");
        let h = vec!["2:Resource not found".to_string()];
        assert_eq!(error_message("", &h, StatusCode::NOT_FOUND), "2:Resource not found");
        assert_eq!(error_message("", &[], StatusCode::NOT_FOUND), "Not Found");
    }

    #[test]
    fn jobs_parse_leniently() {
        let j: Job = serde_json::from_str(
            r#"{"jobtitle":"Support","assessmenttype":[{"id":"C1","value":"support-video"}],"x":1}"#,
        )
        .unwrap();
        assert_eq!(j.assessmenttype[0].value.as_deref(), Some("support-video"));
        let j: Job = serde_json::from_str(r#"{"jobtitle":"Support"}"#).unwrap();
        assert!(j.assessmenttype.is_empty());
        let j: Job = serde_json::from_str(r#"{"assessmenttype":{"value":"a"}}"#).unwrap();
        assert_eq!(j.assessmenttype.len(), 1);
    }
}
