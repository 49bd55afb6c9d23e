//! The issuer URL of an OpenID Connect provider, checked as CreateOpenIDConnectProvider
//! checks it.

use crate::error::Error;

/// Checks an issuer URL and returns it without its scheme (`host/path`, what the ARN and
/// the condition keys name), and whether it is a plain-HTTP loopback issuer.
///
/// The URL must be `https://HOST[/PATH]`: no port, user, query or fragment. When
/// `loopback_http` is set, an issuer on a loopback address (`127.0.0.0/8`, `[::1]`,
/// `localhost`) may also use `http://` and name a port.
pub(crate) fn provider_url(url: &str, loopback_http: bool) -> Result<(String, bool), Error> {
    let invalid =
        |why: &str| Error::ValidationError(format!("Invalid Open ID Connect Provider URL: {why}"));
    let lower = url.to_ascii_lowercase();
    let (rest, http) = if lower.starts_with("https://") {
        (url.get(8..).unwrap_or_default(), false)
    } else if lower.starts_with("http://") && loopback_http {
        (url.get(7..).unwrap_or_default(), true)
    } else {
        return Err(invalid("the URL must begin with https://"));
    };
    if rest.is_empty()
        || rest
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '@'))
    {
        return Err(invalid(
            "the URL must name a host, without user, query or fragment",
        ));
    }
    let host = rest.split('/').next().unwrap_or_default();
    let (name, port) = split_port(host);
    if name.is_empty() {
        return Err(invalid("the URL must name a host"));
    }
    let loopback = loopback_http && is_loopback(name);
    if http && !loopback {
        return Err(invalid(
            "plain http:// is allowed only for loopback issuers",
        ));
    }
    if let Some(port) = port
        && !(loopback && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid("the URL must not contain a port number"));
    }
    Ok((rest.to_owned(), http))
}

/// `host:port` → (`host`, `Some(port)`); IPv6 literals keep their brackets.
fn split_port(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        return match host.split_once(']') {
            Some((address, rest)) => (
                host.get(..=address.len()).unwrap_or(host),
                rest.strip_prefix(':'),
            ),
            None => (host, None),
        };
    }
    match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    }
}

fn is_loopback(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name == "[::1]"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_issuers_are_named_without_scheme() {
        assert_eq!(
            provider_url("https://token.actions.githubusercontent.com", false).unwrap(),
            ("token.actions.githubusercontent.com".to_owned(), false)
        );
        assert_eq!(
            provider_url("https://auth.example.com/tenant/v2/", false).unwrap(),
            ("auth.example.com/tenant/v2/".to_owned(), false)
        );
    }

    #[test]
    fn ports_queries_and_other_schemes_are_refused() {
        for url in [
            "https://example.com:8443",
            "https://example.com/?a=b",
            "https://example.com/#x",
            "https://user@example.com",
            "https://",
            "example.com",
            "ftp://example.com",
            "http://example.com",
            "http://127.0.0.1:8080",
        ] {
            let error = provider_url(url, false).unwrap_err();
            assert_eq!(error.code(), "ValidationError", "{url}");
        }
    }

    #[test]
    fn loopback_http_needs_the_setting_and_a_loopback_host() {
        assert_eq!(
            provider_url("http://127.0.0.1:4000", true).unwrap(),
            ("127.0.0.1:4000".to_owned(), true)
        );
        assert_eq!(
            provider_url("http://[::1]:4000/op", true).unwrap(),
            ("[::1]:4000/op".to_owned(), true)
        );
        assert!(provider_url("https://localhost:8443", true).is_ok());
        assert!(provider_url("http://example.com:4000", true).is_err());
        assert!(provider_url("http://10.0.0.1:4000", true).is_err());
        assert!(provider_url("https://example.com:8443", true).is_err());
        assert!(provider_url("http://127.0.0.1:x", true).is_err());
    }
}
