//! Calls a simulated ATS makes to the partner under test (Shortlist): the client, one call's
//! (status, body), and how a failed call is reported.

use reqwest::header::ACCEPT;
use std::time::Duration;

const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// For the partner's API: redirects are not followed (an API answer is the answer).
pub(crate) fn api_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// For opening a URL as a recruiter's browser would: redirects followed, no credentials.
pub(crate) fn web_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(10))
        .build()?)
}

/// (status, body) of one call, already authenticated by the caller; status 0 and the transport
/// error when nothing came back.
pub(crate) async fn send(req: reqwest::RequestBuilder) -> (u16, String) {
    match req.header(ACCEPT, "application/json").send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap_or_default())
        }
        Err(e) => (0, format!("{e}")),
    }
}

/// A call that did not answer 2xx, in words for the simulator's page.
pub(crate) fn http_failure(status: u16, body: &str) -> String {
    match status {
        0 => format!("no answer: {body}"),
        s => format!("HTTP {s}: {}", body.chars().take(200).collect::<String>()),
    }
}
