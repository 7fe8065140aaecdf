//! Checks of the addresses the client talks to.

use std::net::IpAddr;

use secrecy::SecretString;

use crate::Error;

const EXPECTED_WEBHOOK: &str =
    "expected a webhook URL of the form https://<portal>/rest/<user_id>/<code>/";

fn webhook_config(problem: &str) -> Error {
    Error::Config(format!("{EXPECTED_WEBHOOK}: {problem}"))
}

/// Checks the scheme: `https`, or `http` for a loopback host when `allow_loopback`.
fn check_scheme(url: &reqwest::Url, allow_loopback: bool) -> Result<(), String> {
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_loopback && is_loopback(host) => Ok(()),
        "http" if is_loopback(host) => Err(
            "plain http to a loopback host needs ClientBuilder::allow_insecure_loopback()".into(),
        ),
        "http" => Err(
            "plain http is only allowed for loopback hosts (127.0.0.1, ::1, localhost), with ClientBuilder::allow_insecure_loopback()"
                .into(),
        ),
        _ => Err("the scheme must be https".into()),
    }
}

/// Splits a webhook URL into (portal origin, user ID, code).
pub(crate) fn parse_webhook(
    url: &str,
    allow_loopback: bool,
) -> Result<(String, u64, SecretString), Error> {
    let url = reqwest::Url::parse(url.trim())
        .map_err(|e| webhook_config(&format!("the URL does not parse ({e})")))?;
    if url.host_str().is_none() {
        return Err(webhook_config("the URL has no host"));
    }
    check_scheme(&url, allow_loopback).map_err(|e| webhook_config(&e))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(webhook_config("the URL must not contain user credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(webhook_config(
            "the URL must not have a query or a fragment",
        ));
    }
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    let (user, code) = match segments.as_slice() {
        ["rest", user, code] | ["rest", user, code, ""] => (*user, *code),
        _ => return Err(webhook_config("the path must be /rest/<user_id>/<code>/")),
    };
    let user_id = match user.parse::<u64>() {
        Ok(id) if id > 0 && user.bytes().all(|b| b.is_ascii_digit()) => id,
        _ => return Err(webhook_config("the user ID must be a positive integer")),
    };
    if code.is_empty() {
        return Err(webhook_config("the webhook code is missing"));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(webhook_config(
            "the webhook code must be letters, digits, '_' or '-'",
        ));
    }
    let portal = url.origin().ascii_serialization();
    Ok((portal, user_id, SecretString::from(code)))
}

/// Checks a base URL without path (the OAuth server, a portal address): returns its origin,
/// `scheme://host[:port]`.
pub(crate) fn check_base_url(what: &str, url: &str, allow_loopback: bool) -> Result<String, Error> {
    let fail =
        |problem: &str| Error::Config(format!("invalid {what} {:?}: {problem}", redacted(url)));
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| fail(&format!("the URL does not parse ({e})")))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(fail("the URL has no host"));
    }
    check_scheme(&parsed, allow_loopback).map_err(|e| fail(&e))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(fail("the URL must not contain user credentials"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(fail("the URL must not have a query or a fragment"));
    }
    if !matches!(parsed.path(), "" | "/") {
        return Err(fail("the URL must have no path"));
    }
    Ok(parsed.origin().ascii_serialization())
}

/// Checks an OAuth `client_endpoint` (`https://<portal>/rest/`, or just the portal
/// address): returns the portal origin.
pub(crate) fn parse_client_endpoint(url: &str, allow_loopback: bool) -> Result<String, Error> {
    let fail = |problem: &str| {
        Error::Config(format!(
            "invalid OAuth client endpoint {:?} (expected https://<portal>/rest/): {problem}",
            redacted(url)
        ))
    };
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| fail(&format!("the URL does not parse ({e})")))?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(fail("the URL has no host"));
    }
    check_scheme(&parsed, allow_loopback).map_err(|e| fail(&e))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(fail("the URL must not contain user credentials"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(fail("the URL must not have a query or a fragment"));
    }
    if !matches!(parsed.path(), "" | "/" | "/rest" | "/rest/") {
        return Err(fail("the path must be /rest/"));
    }
    Ok(parsed.origin().ascii_serialization())
}

/// `url` as an error may quote it: user credentials, query and fragment (which may hold a
/// password, a secret or a token) replaced by `***`.
pub(crate) fn redacted(url: &str) -> String {
    let url = url.trim();
    let (rest, tail) = match url.find(['?', '#']) {
        Some(i) => (&url[..i], "?***"),
        None => (url, ""),
    };
    let (scheme, after) = match rest.find("://") {
        Some(i) => (&rest[..i + 3], &rest[i + 3..]),
        None => ("", rest),
    };
    // The authority ends at the first `/`; its credentials at its last `@`.
    let authority_end = after.find('/').unwrap_or(after.len());
    let (authority, path) = after.split_at(authority_end);
    let host = match authority.rfind('@') {
        Some(at) => format!("***@{}", &authority[at + 1..]),
        None => authority.to_owned(),
    };
    format!("{scheme}{host}{path}{tail}")
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "127.1.2.3", "[::1]", "localhost", "LOCALHOST"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "[::2]", "localhost.example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("x", "https://oauth.bitrix.info/", false).unwrap(),
            "https://oauth.bitrix.info"
        );
        assert!(check_base_url("x", "http://127.0.0.1:9/", false).is_err());
        assert!(check_base_url("x", "http://127.0.0.1:9/", true).is_ok());
        assert!(check_base_url("x", "http://example.com/", true).is_err());
        assert!(check_base_url("x", "https://example.com/a", false).is_err());
        for ok in [
            "https://p.bitrix24.com/rest/",
            "https://p.bitrix24.com/rest",
            "https://p.bitrix24.com",
        ] {
            assert_eq!(
                parse_client_endpoint(ok, false).unwrap(),
                "https://p.bitrix24.com"
            );
        }
        assert!(parse_client_endpoint("https://p.bitrix24.com/rest/x", false).is_err());
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::redacted;

    #[test]
    fn credentials_query_and_fragment_are_hidden() {
        for (url, shown) in [
            (
                "https://id:secret@oauth.example.com/",
                "https://***@oauth.example.com/",
            ),
            ("https://a@b:c@host/rest/?x=1", "https://***@host/rest/?***"),
            ("https://host/oauth#token", "https://host/oauth?***"),
            ("ftp://user:pw@host", "ftp://***@host"),
            ("user:pw@host/path", "***@host/path"),
            (
                "https://example.bitrix24.com",
                "https://example.bitrix24.com",
            ),
        ] {
            assert_eq!(redacted(url), shown, "{url}");
        }
    }
}
