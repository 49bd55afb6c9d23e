//! Fuzz target for SAML response verification, the input an unauthenticated caller controls:
//! any bytes (invalid UTF-8 replaced) as a response's XML, and as the base64 text the caller
//! sends, verified against the fixed metadata of the test identity provider at the times its
//! fixtures are valid.
//!
//! Verification must fail closed: nobody here can sign, so a response that verifies must
//! carry exactly the assertion of one of the genuinely signed fixtures (the values read come
//! from the signed element, whatever else was changed around it). Verifying twice gives the
//! same answer.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use warden_saml::{Assertion, Expected, Metadata, SamlError, Timestamp, verify_response};

const METADATA: &str = include_str!("../../src/testdata/metadata.xml");
/// Responses signed by pysaml2 with xmlsec1, and built and signed by the crate's tests.
const SIGNED: [&str; 8] = [
    include_str!("../../src/testdata/both-sha256.xml"),
    include_str!("../../src/testdata/assertion-sha1.xml"),
    include_str!("../../src/testdata/response-sha256.xml"),
    include_str!("../../src/testdata/built/a1.xml"),
    include_str!("../../src/testdata/built/a2-an-hour-later.xml"),
    include_str!("../../src/testdata/built/open-ended.xml"),
    include_str!("../../src/testdata/built/one-hour.xml"),
    include_str!("../../src/testdata/built/over-an-hour.xml"),
];
/// 2026-11-28T09:45:00Z (the pysaml2 fixtures), 2026-01-01T00:01:00Z and an hour later (the
/// built ones).
const TIMES: [Timestamp; 3] = [1_795_859_100, 1_767_225_660, 1_767_229_260];
const AUDIENCES: &[&str] = &["urn:amazon:webservices", "https://warden.example/saml"];
const RECIPIENTS: &[&str] = &[
    "https://signin.aws.amazon.com/saml",
    "https://warden.example/saml",
];

struct Fixture {
    metadata: Metadata,
    /// What the signed responses verify to, at any of the times.
    genuine: Vec<Assertion>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let metadata = match Metadata::parse(METADATA) {
            Ok(metadata) => metadata,
            Err(error) => panic!("the fixed metadata does not parse: {error}"),
        };
        let genuine: Vec<Assertion> = SIGNED
            .iter()
            .flat_map(|xml| TIMES.map(|now| verify(xml.as_bytes(), &metadata, now)))
            .filter_map(Result::ok)
            .collect();
        assert!(
            genuine.len() >= SIGNED.len() - 2,
            "the fixtures must verify"
        );
        Fixture { metadata, genuine }
    })
}

fn verify(xml: &[u8], metadata: &Metadata, now: Timestamp) -> Result<Assertion, SamlError> {
    verify_encoded(&base64(xml), metadata, now)
}

fn verify_encoded(
    encoded: &str,
    metadata: &Metadata,
    now: Timestamp,
) -> Result<Assertion, SamlError> {
    let expected = Expected {
        audiences: AUDIENCES,
        recipients: RECIPIENTS,
        now,
    };
    verify_response(encoded, metadata, &expected)
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let text = String::from_utf8_lossy(data);
    for now in TIMES {
        if let Ok(assertion) = verify(text.as_bytes(), &fixture.metadata, now) {
            assert!(
                fixture.genuine.contains(&assertion),
                "a response nobody signed verified: {assertion:?}"
            );
        }
    }
    let [now, ..] = TIMES;
    assert_eq!(
        verify(text.as_bytes(), &fixture.metadata, now),
        verify(text.as_bytes(), &fixture.metadata, now),
        "verifying twice gives different answers"
    );
    // The bytes as the base64 text itself, to reach the decoder.
    if let Ok(assertion) = verify_encoded(&text, &fixture.metadata, now) {
        assert!(
            fixture.genuine.contains(&assertion),
            "a response nobody signed verified: {assertion:?}"
        );
    }
});

/// Standard base64 with padding, written here so that the target does not test the crate's
/// decoder against its own encoder.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from_be_bytes([0, group[0], group[1], group[2]]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(bits >> (18 - 6 * index)) as usize & 63],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}
