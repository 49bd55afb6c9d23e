//! The SigV4 verifier against requests signed by botocore (`tests/sigv4/botocore.json`, written by
//! `tests/sigv4_vectors.py`): each verifies, and each altered copy is refused with AWS's code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use serde::Deserialize;
use warden_api::sigv4::{self, HttpRequest, SigV4Error, SignedRequest, SigningKeyCache};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixtures {
    generator: String,
    cases: Vec<Case>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
    access_key_id: String,
    secret_access_key: String,
    security_token: Option<String>,
    service: String,
    region: String,
    presigned_expires: Option<i64>,
    signed_at: i64,
}

fn fixtures() -> Fixtures {
    serde_json::from_str(include_str!("sigv4/botocore.json")).expect("botocore.json parses")
}

impl Case {
    fn request<R>(&self, f: impl FnOnce(&HttpRequest<'_>) -> R) -> R {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        f(&HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: self.body.as_bytes(),
        })
    }

    /// Parses and verifies with `secret` at `now`.
    fn outcome(&self, secret: &str, now: i64, keys: &SigningKeyCache) -> Result<(), SigV4Error> {
        self.request(|request| {
            let signed = sigv4::parse(request)?.ok_or(SigV4Error::MissingAuthenticationToken)?;
            sigv4::verify(request, &signed, secret, now, keys)
        })
    }

    fn signed_header_names(&self) -> Vec<String> {
        self.request(|request| {
            sigv4::parse(request)
                .unwrap()
                .unwrap()
                .signed_headers()
                .iter()
                .map(|name| name.to_string())
                .collect()
        })
    }
}

#[test]
fn fixtures_cover_the_intended_variety() {
    let fixtures = fixtures();
    assert!(
        fixtures.generator.contains("botocore"),
        "{}",
        fixtures.generator
    );
    let cases = &fixtures.cases;
    assert!(cases.len() >= 17, "{} cases", cases.len());
    assert!(
        cases
            .iter()
            .filter(|c| c.presigned_expires.is_some())
            .count()
            >= 5
    );
    assert!(cases.iter().filter(|c| c.security_token.is_some()).count() >= 2);
    assert!(
        cases
            .iter()
            .any(|c| c.method == "POST" && !c.body.is_empty())
    );
    assert!(
        cases.iter().any(|c| c.query.contains('+')),
        "a query with spaces as '+'"
    );
    assert!(
        cases.iter().any(|c| c.query.contains("%F0%9D%84%9E")),
        "a query with non-BMP unicode"
    );
    assert!(
        cases
            .iter()
            .any(|c| c.headers.iter().any(|(n, _)| n == "Date"))
    );
}

#[test]
fn every_botocore_request_verifies() {
    let keys = SigningKeyCache::default();
    let mut failures = Vec::new();
    for case in fixtures().cases {
        let parsed =
            case.request(|request| sigv4::parse(request).map(|s| s.map(SignedRequest::into_owned)));
        let signed = match parsed {
            Ok(Some(signed)) => signed,
            other => {
                failures.push(format!("{}: parse gave {other:?}", case.name));
                continue;
            }
        };
        let expected = (
            case.access_key_id.as_str(),
            case.region.as_str(),
            case.service.as_str(),
            case.security_token.as_deref(),
            case.presigned_expires,
            case.presigned_expires.is_some(),
            case.signed_at,
        );
        let actual = (
            &*signed.access_key_id,
            &*signed.region,
            &*signed.service,
            signed.security_token.as_deref(),
            signed.presigned_expires,
            signed.is_presigned(),
            signed.timestamp,
        );
        if expected != actual {
            failures.push(format!(
                "{}: parsed {actual:?}, expected {expected:?}",
                case.name
            ));
        }
        if let Err(err) = case.outcome(&case.secret_access_key, case.signed_at + 30, &keys) {
            failures.push(format!("{}: {err}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_altered_botocore_request_is_refused() {
    let keys = SigningKeyCache::default();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut expect = |case: &Case, what: &str, secret: &str, now: i64, code: &str| {
        checked += 1;
        match case.outcome(secret, now, &keys) {
            Err(err) if err.code() == code => {}
            other => failures.push(format!(
                "{} / {what}: expected {code}, got {other:?}",
                case.name
            )),
        }
    };

    for case in fixtures().cases {
        let secret = case.secret_access_key.as_str();
        let now = case.signed_at + 30;

        let mut altered = case.clone();
        if altered.body.is_empty() {
            altered.body.push('x');
        } else {
            let mut bytes = altered.body.into_bytes();
            bytes[0] ^= 0x01;
            altered.body = String::from_utf8(bytes).unwrap();
        }
        expect(
            &altered,
            "one byte of body changed",
            secret,
            now,
            "SignatureDoesNotMatch",
        );

        for name in case.signed_header_names() {
            if name == "x-amz-date" || name == "date" {
                continue;
            }
            let mut altered = case.clone();
            for (header, value) in &mut altered.headers {
                if header.eq_ignore_ascii_case(&name) {
                    value.push('x');
                }
            }
            expect(
                &altered,
                &format!("header {name} changed"),
                secret,
                now,
                "SignatureDoesNotMatch",
            );
        }

        let mut altered = case.clone();
        altered.query = if case.query.is_empty() {
            "Extra=1".to_owned()
        } else {
            format!("Extra=1&{}", case.query)
        };
        expect(
            &altered,
            "query parameter added",
            secret,
            now,
            "SignatureDoesNotMatch",
        );

        let mut wrong = secret.to_owned();
        wrong.pop();
        wrong.push('Z');
        expect(&case, "wrong secret", &wrong, now, "SignatureDoesNotMatch");

        expect(
            &case,
            "16 minutes early",
            secret,
            case.signed_at - 16 * 60,
            "SignatureDoesNotMatch",
        );
        match case.presigned_expires {
            Some(expires) => {
                expect(
                    &case,
                    "past X-Amz-Expires",
                    secret,
                    case.signed_at + expires + 1,
                    "RequestExpired",
                );
                expect(
                    &case,
                    "16 minutes past X-Amz-Expires",
                    secret,
                    case.signed_at + expires + 16 * 60,
                    "RequestExpired",
                );
            }
            None => expect(
                &case,
                "16 minutes late",
                secret,
                case.signed_at + 16 * 60,
                "SignatureDoesNotMatch",
            ),
        }

        let mut altered = case.clone();
        if case.presigned_expires.is_some() {
            assert!(altered.query.contains("&X-Amz-Signature="), "{}", case.name);
            altered.query.pop();
        } else {
            let authorization = altered
                .headers
                .iter_mut()
                .find(|(name, _)| name == "Authorization")
                .expect("an Authorization header");
            authorization.1.pop();
        }
        expect(
            &altered,
            "truncated signature",
            secret,
            now,
            "SignatureDoesNotMatch",
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 120, "only {checked} variants");
}
