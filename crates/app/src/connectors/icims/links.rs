//! Which URLs we call with a customer's credentials. Events carry links (`person`, `job`) and
//! ids that we turn into paths; either must name a resource under the customer's API URL
//! (`{base}/customers/{id}/…`), or our Basic credentials or bearer token would go to another path
//! of the host, or another host. The check is made on the URL as the server will see it: dot
//! segments (also `%2e`-encoded) and backslashes are resolved first by the WHATWG URL parser, and
//! what a server might still decode into a separator or a dot (`%2f`, `%5c`, `%2e`), empty
//! segments and user info are refused outright.

/// The URL to call for `path_or_url` (absolute link or path relative to the customer), or why
/// not, in words for the recruiter or the log.
pub fn resolve(customer_url: &str, path_or_url: &str) -> Result<url::Url, String> {
    let root = url::Url::parse(&format!("{}/", customer_url.trim_end_matches('/')))
        .map_err(|e| format!("the connection's API URL is not a URL ({e})"))?;
    let raw = path_or_url.trim();
    let lower = raw.to_ascii_lowercase();
    let absolute = lower.starts_with("http://") || lower.starts_with("https://");
    // Separators and dots a server may decode after our check; never in a real iCIMS link.
    for encoded in ["%2e", "%2f", "%5c", "%00"] {
        if lower.contains(encoded) {
            return Err(format!("it contains an encoded dot, slash or backslash ({encoded})"));
        }
    }
    let mut url = if absolute {
        url::Url::parse(raw).map_err(|e| format!("it is not a URL ({e})"))?
    } else {
        // A relative path is under the customer: a leading slash does not climb to the root.
        root.join(raw.trim_start_matches(['/', '\\']))
            .map_err(|e| format!("it is not a path ({e})"))?
    };
    url.set_fragment(None);
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it carries a user name or password".into());
    }
    if url.origin() != root.origin() {
        return Err("it is on another host".into());
    }
    let path = url.path();
    if !path.starts_with(root.path()) || path.len() == root.path().len() {
        return Err("it leads outside this customer's resources".into());
    }
    if path[root.path().len()..].split('/').any(str::is_empty) {
        return Err("it has an empty path segment (//)".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::resolve;

    const C: &str = "https://api.icims.com/customers/1234";

    #[test]
    fn paths_and_links_under_the_customer_pass() {
        for (input, want) in [
            ("people/12", "https://api.icims.com/customers/1234/people/12"),
            ("/jobs/7", "https://api.icims.com/customers/1234/jobs/7"),
            (
                "https://api.icims.com/customers/1234/people/3",
                "https://api.icims.com/customers/1234/people/3",
            ),
            (
                "HTTPS://API.ICIMS.COM/customers/1234/people/3",
                "https://api.icims.com/customers/1234/people/3",
            ),
            // Dot segments that stay inside are resolved, not a reason to refuse.
            ("people/./12", "https://api.icims.com/customers/1234/people/12"),
            (
                "https://api.icims.com/customers/1234/jobs/../people/3",
                "https://api.icims.com/customers/1234/people/3",
            ),
        ] {
            assert_eq!(
                resolve(C, input).map(|u| u.to_string()),
                Ok(want.to_string()),
                "{input}"
            );
        }
    }

    #[test]
    fn links_that_escape_the_customer_are_refused() {
        for bad in [
            "https://evil.example/customers/1234/people/3",
            "https://api.icims.com/customers/9999/people/3",
            "https://api.icims.com:8443/customers/1234/people/3",
            "http://api.icims.com/customers/1234/people/3",
            "http://169.254.169.254/latest/meta-data",
            "https://api.icims.com/customers/1234/../../admin",
            "https://api.icims.com/customers/1234/people/../../9999/people/3",
            "https://api.icims.com/customers/1234/%2e%2e/9999/people/3",
            "https://api.icims.com/customers/1234/%2E%2E/%2e%2e/admin",
            "https://api.icims.com/customers/1234/.%2e/9999",
            "https://api.icims.com/customers/1234/people/..%2f..%2f9999",
            "https://api.icims.com/customers/1234\\..\\..\\admin",
            "https://api.icims.com/customers/1234//people/3",
            "https://api.icims.com/customers/12345/people/3",
            "https://api.icims.com/customers/1234",
            "https://user:pw@api.icims.com/customers/1234/people/3",
            "../9999/people/3",
            "people/../../../admin",
            "%2e%2e/%2e%2e/admin",
            "..\\..\\admin",
            "people//3",
        ] {
            assert!(
                resolve(C, bad).is_err(),
                "{bad} should be refused: {:?}",
                resolve(C, bad)
            );
        }
    }
}
