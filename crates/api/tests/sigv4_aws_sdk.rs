//! The SigV4 verifier against requests signed by the AWS SDK for Rust's signer (`aws-sigv4`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use warden_api::sigv4::{self, HttpRequest, SigV4Error, SigningKeyCache};

const AKID: &str = "AKIAWARDENSDKEXAMPLE";
const SECRET: &str = "k8Zf3qXn/2bVwR+example+secret+for+tests0";
/// 2025-06-01T08:30:00Z.
const T: i64 = 1_748_766_600;
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// A request as the server receives it after the SDK signed it.
struct Received {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn outcome(&self, secret: &str, now: i64) -> Result<sigv4::SignedRequest<'static>, SigV4Error> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let request = HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        let signed = sigv4::parse(&request)?.ok_or(SigV4Error::MissingAuthenticationToken)?;
        sigv4::verify(&request, &signed, secret, now, &SigningKeyCache::default())?;
        Ok(signed.into_owned())
    }
}

struct Spec<'a> {
    method: &'a str,
    uri: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
    service: &'a str,
    region: &'a str,
    token: Option<&'a str>,
    settings: SigningSettings,
    payload: Option<SignableBody<'a>>,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Self {
            method: "POST",
            uri: "https://iam.amazonaws.com/",
            headers: &[],
            body: b"",
            service: "iam",
            region: "us-east-1",
            token: None,
            settings: SigningSettings::default(),
            payload: None,
        }
    }
}

fn presigned(expires: u64) -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    settings
}

/// Signs with `aws-sigv4` and applies its instructions as an HTTP client would.
fn sign_with_sdk(spec: Spec<'_>) -> Received {
    let identity =
        Credentials::new(AKID, SECRET, spec.token.map(str::to_owned), None, "tests").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(spec.region)
        .name(spec.service)
        .time(UNIX_EPOCH + Duration::from_secs(T as u64))
        .settings(spec.settings)
        .build()
        .unwrap()
        .into();
    let payload = spec.payload.unwrap_or(SignableBody::Bytes(spec.body));
    let signable =
        SignableRequest::new(spec.method, spec.uri, spec.headers.iter().copied(), payload).unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (new_headers, new_params) = instructions.into_parts();

    let (scheme, rest) = spec.uri.split_once("://").unwrap();
    let (authority, path_and_query) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let host = match (scheme, authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        _ => authority,
    };
    let mut headers = Vec::new();
    if !spec
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"))
    {
        headers.push(("Host".to_owned(), host.to_owned()));
    }
    headers.extend(
        spec.headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string())),
    );
    headers.extend(
        new_headers
            .iter()
            .map(|h| (h.name().to_owned(), h.value().to_owned())),
    );
    let mut query = query.to_owned();
    for (name, value) in new_params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&encode(&value));
    }
    Received {
        method: spec.method.to_owned(),
        path: if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        },
        query,
        headers,
        body: spec.body.to_vec(),
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn assert_verifies(name: &str, received: &Received) -> sigv4::SignedRequest<'static> {
    let signed = received
        .outcome(SECRET, T + 10)
        .unwrap_or_else(|err| panic!("{name}: {err}"));
    assert_eq!(signed.access_key_id, AKID, "{name}");
    assert_eq!(signed.timestamp, T, "{name}");
    let wrong = received.outcome("not the secret", T + 10).unwrap_err();
    assert_eq!(wrong.code(), "SignatureDoesNotMatch", "{name}");
    let late = received.outcome(SECRET, T + 8 * 24 * 3600).unwrap_err();
    assert!(
        matches!(late.code(), "SignatureDoesNotMatch" | "RequestExpired"),
        "{name}: {late:?}"
    );
    signed
}

#[test]
fn header_signed_form_post_verifies() {
    let body = b"Action=ListUsers&Version=2010-05-08";
    let received = sign_with_sdk(Spec {
        headers: &[("content-type", FORM)],
        body,
        ..Spec::default()
    });
    let signed = assert_verifies("form post", &received);
    assert_eq!(signed.service, "iam");
    assert_eq!(
        signed.signed_headers(),
        ["content-type", "host", "x-amz-date"]
    );

    let mut altered = received;
    altered.body = b"Action=ListUsers&Version=2010-05-09".to_vec();
    assert_eq!(
        altered.outcome(SECRET, T).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn query_with_reserved_characters_spaces_and_unicode_verifies() {
    let uri = "https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers&PathPrefix=%2Fa%20b%2F&Marker=a%2Bb+c%21%27%28%29%2A&Uni=%C3%BC%E2%98%83&Tag=b&Tag=a&Empty=&Flag";
    let received = sign_with_sdk(Spec {
        method: "GET",
        uri,
        ..Spec::default()
    });
    assert_verifies("query", &received);
    let mut altered = received;
    altered.query = altered.query.replace("Tag=b&Tag=a", "Tag=a&Tag=c");
    assert_eq!(
        altered.outcome(SECRET, T).unwrap_err().code(),
        "SignatureDoesNotMatch"
    );
}

#[test]
fn session_token_and_regional_sts_verify() {
    let token = "IQoJb3JpZ2luX2VjEXAMPLE+sdk/token==";
    let received = sign_with_sdk(Spec {
        uri: "https://sts.eu-central-1.amazonaws.com/",
        headers: &[("content-type", FORM)],
        body: b"Action=GetCallerIdentity&Version=2011-06-15",
        service: "sts",
        region: "eu-central-1",
        token: Some(token),
        ..Spec::default()
    });
    let signed = assert_verifies("session token", &received);
    assert_eq!(signed.security_token.as_deref(), Some(token));
    assert_eq!((&*signed.region, &*signed.service), ("eu-central-1", "sts"));
    assert!(
        signed
            .signed_headers()
            .iter()
            .any(|h| h == "x-amz-security-token")
    );
}

#[test]
fn local_endpoint_path_normalization_and_odd_headers_verify() {
    let received = sign_with_sdk(Spec {
        method: "GET",
        uri: "http://127.0.0.1:8910/a/./b/../c%20d//caf%C3%A9/?Action=GetUser",
        headers: &[
            ("x-custom", "  spaced    out  "),
            ("x-custom", "again"),
            ("X-Upper", "Value"),
        ],
        ..Spec::default()
    });
    let signed = assert_verifies("local endpoint", &received);
    assert!(
        received
            .headers
            .iter()
            .any(|(n, v)| n == "Host" && v == "127.0.0.1:8910")
    );
    assert!(signed.signed_headers().iter().any(|h| h == "x-custom"));
}

#[test]
fn declared_payload_checksum_verifies() {
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let received = sign_with_sdk(Spec {
        headers: &[("content-type", FORM)],
        body: b"Action=ListRoles&Version=2010-05-08",
        settings,
        ..Spec::default()
    });
    let signed = assert_verifies("x-amz-content-sha256", &received);
    assert!(
        signed
            .signed_headers()
            .iter()
            .any(|h| h == "x-amz-content-sha256")
    );
}

#[test]
fn presigned_urls_verify_and_expire() {
    let token = "IQoJb3JpZ2luX2VjEXAMPLE+presigned==";
    let received = sign_with_sdk(Spec {
        method: "GET",
        uri: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        headers: &[("x-k8s-aws-id", "my-cluster")],
        service: "sts",
        token: Some(token),
        settings: presigned(900),
        ..Spec::default()
    });
    let signed = assert_verifies("presigned", &received);
    assert!(signed.is_presigned());
    assert_eq!(signed.presigned_expires, Some(900));
    assert_eq!(signed.security_token.as_deref(), Some(token));
    assert!(received.outcome(SECRET, T + 900).is_ok());
    assert_eq!(
        received.outcome(SECRET, T + 901).unwrap_err().code(),
        "RequestExpired"
    );

    let unsigned_payload = sign_with_sdk(Spec {
        method: "GET",
        uri: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        settings: presigned(3600),
        payload: Some(SignableBody::UnsignedPayload),
        ..Spec::default()
    });
    assert_verifies("presigned, unsigned payload", &unsigned_payload);
}
