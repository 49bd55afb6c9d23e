//! Tests of SAML response verification: responses signed by pysaml2 with xmlsec1 (in
//! `testdata/`, valid from 2026-11-28T09:43:10Z to 09:58:10Z), and responses built and signed
//! here with the same identity provider key to vary one thing at a time.

use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::{Digest, Sha256};
use rsa::signature::{SignatureEncoding, Signer};

use super::c14n::{Method, canonicalize};
use super::xml::Document;
use super::*;

const METADATA: &str = include_str!("testdata/metadata.xml");
const BOTH_SHA256: &str = include_str!("testdata/both-sha256.xml");
const ASSERTION_SHA1: &str = include_str!("testdata/assertion-sha1.xml");
const RESPONSE_SHA256: &str = include_str!("testdata/response-sha256.xml");
const IDP_KEY: &str = include_str!("testdata/idp-key.pem");
const OTHER_CERT: &str = include_str!("testdata/other-cert.pem");

const AWS_AUDIENCE: &str = "urn:amazon:webservices";
const AWS_RECIPIENT: &str = "https://signin.aws.amazon.com/saml";
const ISSUER: &str = "http://idp.example.test/saml";
/// Inside the fixtures' validity window.
const FIXTURE_TIME: &str = "2026-11-28T09:45:00Z";
const NAME_QUALIFIER: &str = "nE5R/o/U/BaWJhblWjwdufZoebo=";

fn at(time: &str) -> Timestamp {
    parse_datetime(time).unwrap()
}

fn expected(now: Timestamp) -> Expected<'static> {
    Expected {
        audiences: &[AWS_AUDIENCE, "https://warden.example/saml"],
        recipients: &[AWS_RECIPIENT, "https://warden.example/saml"],
        now,
    }
}

fn verify(xml: &str, now: Timestamp) -> Result<Assertion, SamlError> {
    let metadata = Metadata::parse(METADATA).unwrap();
    verify_response(&base64_encode(xml.as_bytes()), &metadata, &expected(now))
}

fn refused(xml: &str, now: Timestamp) -> SamlError {
    verify(xml, now).expect_err("the response must be refused")
}

fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64_decode(&body).unwrap()
}

#[test]
fn responses_signed_by_xmlsec1_verify() {
    for xml in [BOTH_SHA256, ASSERTION_SHA1, RESPONSE_SHA256] {
        let assertion = verify(xml, at(FIXTURE_TIME)).unwrap();
        assert_eq!(assertion.issuer, ISSUER);
        assert_eq!(assertion.subject, "alice-0001");
        assert_eq!(
            assertion.subject_format.as_deref(),
            Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
        );
        assert_eq!(assertion.recipient, AWS_RECIPIENT);
        assert_eq!(
            assertion.attribute("https://aws.amazon.com/SAML/Attributes/RoleSessionName"),
            vec!["alice@example.com"]
        );
        assert_eq!(
            assertion
                .attribute("https://aws.amazon.com/SAML/Attributes/Role")
                .len(),
            2
        );
    }
}

#[test]
fn a_changed_byte_of_signed_content_is_refused() {
    for xml in [BOTH_SHA256, ASSERTION_SHA1, RESPONSE_SHA256] {
        let tampered = xml.replace("alice@example.com", "alice@example.con");
        assert_ne!(tampered, xml);
        let error = refused(&tampered, at(FIXTURE_TIME));
        assert_eq!(error.kind, SamlErrorKind::Invalid);
        assert_eq!(error.message, "Response signature invalid");
        assert!(error.detail.contains("digest"), "{}", error.detail);
    }
}

#[test]
fn a_certificate_not_in_the_metadata_is_refused() {
    let other = base64_encode(&pem_body(OTHER_CERT));
    let start = METADATA.find("<ns2:X509Certificate>").unwrap() + "<ns2:X509Certificate>".len();
    let end = METADATA.find("</ns2:X509Certificate>").unwrap();
    let metadata_text = format!("{}{other}{}", &METADATA[..start], &METADATA[end..]);
    let metadata = Metadata::parse(&metadata_text).unwrap();
    let error = verify_response(
        &base64_encode(BOTH_SHA256.as_bytes()),
        &metadata,
        &expected(at(FIXTURE_TIME)),
    )
    .unwrap_err();
    assert_eq!(error.message, "Response signature invalid");
    assert!(error.detail.contains("certificates"), "{}", error.detail);
}

#[test]
fn validity_times_are_enforced() {
    let expired = refused(BOTH_SHA256, at("2026-11-28T10:03:11Z"));
    assert_eq!(expired.kind, SamlErrorKind::Expired);
    let early = refused(BOTH_SHA256, at("2026-11-28T09:38:09Z"));
    assert_eq!(early.kind, SamlErrorKind::Invalid);
    assert_eq!(early.message, "The SAML assertion is not yet valid");
    // Within the allowed clock skew on either side.
    assert!(verify(BOTH_SHA256, at("2026-11-28T10:03:09Z")).is_ok());
    assert!(verify(BOTH_SHA256, at("2026-11-28T09:38:11Z")).is_ok());
}

#[test]
fn unsigned_responses_are_refused() {
    let mut xml = ASSERTION_SHA1.to_owned();
    let start = xml.find("<ns2:Signature").unwrap();
    let end = xml.find("</ns2:Signature>").unwrap() + "</ns2:Signature>".len();
    xml.replace_range(start..end, "");
    let error = refused(&xml, at(FIXTURE_TIME));
    assert_eq!(error.message, "Response signature invalid");
    assert!(error.detail.contains("neither"), "{}", error.detail);
}

#[test]
fn a_second_unsigned_assertion_is_refused() {
    // The signed assertion stays intact; a forged one is put before it (and, in a second
    // try, inside an element the signature does not cover).
    let forged = BUILT
        .replace("ID=\"a1\"", "ID=\"evil\"")
        .replace("bob", "mallory");
    let forged_assertion =
        &forged[forged.find("<saml:Assertion").unwrap()..forged.find("</samlp:Response>").unwrap()];
    let signed = sign(&build(&Fields::default()), "a1");
    let at_assertion = signed.find("<saml:Assertion").unwrap();
    let mut before = signed.clone();
    before.insert_str(at_assertion, forged_assertion);
    let error = refused(&before, at(BUILT_TIME));
    assert!(
        error.detail.contains("exactly one Assertion"),
        "{}",
        error.detail
    );
    let mut wrapped = signed.clone();
    wrapped.insert_str(
        at_assertion,
        &format!("<samlp:Extensions>{forged_assertion}</samlp:Extensions>"),
    );
    assert!(
        refused(&wrapped, at(BUILT_TIME))
            .detail
            .contains("exactly one Assertion")
    );
    // The same ID twice.
    let twin = forged_assertion.replace("ID=\"evil\"", "ID=\"a1\"");
    let mut duplicate = signed.clone();
    duplicate.insert_str(
        at_assertion,
        &format!("<samlp:Extensions>{twin}</samlp:Extensions>"),
    );
    assert!(
        refused(&duplicate, at(BUILT_TIME))
            .detail
            .contains("same ID")
    );
    // A signature over the Response that references another element.
    let elsewhere =
        sign(&build(&Fields::default()), "a1").replacen("URI=\"#a1\"", "URI=\"#r1\"", 1);
    assert_eq!(
        refused(&elsewhere, at(BUILT_TIME)).message,
        "Response signature invalid"
    );
    assert!(verify(&signed, at(BUILT_TIME)).is_ok());
}

#[test]
fn audience_recipient_and_issuer_must_be_this_service() {
    let good = Fields::default();
    assert_eq!(
        verify(&sign(&build(&good), "a1"), at(BUILT_TIME))
            .unwrap()
            .subject,
        "bob"
    );
    let console = Fields {
        audience: "https://warden.example/saml",
        recipient: "https://warden.example/saml",
        ..Fields::default()
    };
    assert!(verify(&sign(&build(&console), "a1"), at(BUILT_TIME)).is_ok());

    let audience = Fields {
        audience: "https://other.example/sp",
        ..Fields::default()
    };
    let error = refused(&sign(&build(&audience), "a1"), at(BUILT_TIME));
    assert_eq!(
        error.message,
        "Response does not contain the required audience"
    );

    let recipient = Fields {
        recipient: "https://other.example/acs",
        ..Fields::default()
    };
    let error = refused(&sign(&build(&recipient), "a1"), at(BUILT_TIME));
    assert_eq!(error.kind, SamlErrorKind::Invalid);
    assert!(
        error.detail.contains("Recipient") || error.detail.contains("Destination"),
        "{}",
        error.detail
    );

    let issuer = Fields {
        issuer: "http://impostor.example/saml",
        ..Fields::default()
    };
    let error = refused(&sign(&build(&issuer), "a1"), at(BUILT_TIME));
    assert_eq!(error.message, "Issuer not present in specified provider");
}

#[test]
fn a_failed_status_is_the_providers_rejection() {
    let failed = build(&Fields::default()).replace(
        "urn:oasis:names:tc:SAML:2.0:status:Success",
        "urn:oasis:names:tc:SAML:2.0:status:Responder",
    );
    assert_eq!(
        refused(&sign(&failed, "a1"), at(BUILT_TIME)).kind,
        SamlErrorKind::Rejected
    );
}

#[test]
fn metadata_needs_an_identity_provider_with_a_signing_certificate() {
    let metadata = Metadata::parse(METADATA).unwrap();
    assert_eq!(metadata.entity_id, ISSUER);
    assert_eq!(metadata.keys.len(), 1);
    assert!(Metadata::parse(&METADATA.replace("IDPSSODescriptor", "SPSSODescriptor")).is_err());
    assert!(Metadata::parse(&METADATA.replace("use=\"signing\"", "use=\"encryption\"")).is_err());
    assert!(Metadata::parse("<EntityDescriptor/>").is_err());
    // Stored as the document's text, and parsed again when read back.
    let stored = serde_json::to_string(&metadata).unwrap();
    let loaded: Metadata = serde_json::from_str(&stored).unwrap();
    assert_eq!((loaded.text.as_str(), loaded.keys.len()), (METADATA, 1));
    assert!(serde_json::from_str::<Metadata>("\"<x/>\"").is_err());
    assert!(Metadata::parse("<!DOCTYPE x [<!ENTITY a 'b'>]><x/>").is_err());
}

#[test]
fn name_qualifier_follows_the_documented_formula() {
    let assertion = verify(BOTH_SHA256, at(FIXTURE_TIME)).unwrap();
    // base64(SHA1("http://idp.example.test/saml" + "111122223333" + "/idp")), computed with
    // `printf %s … | openssl sha1 -binary | base64`.
    assert_eq!(
        assertion.name_qualifier("111122223333", "idp"),
        NAME_QUALIFIER
    );
}

#[test]
fn datetimes_and_base64_round_trip() {
    assert_eq!(parse_datetime("2026-01-01T00:00:00Z"), Some(1_767_225_600));
    assert_eq!(
        parse_datetime("2026-01-01T01:00:00.123+01:00"),
        Some(1_767_225_600)
    );
    assert_eq!(parse_datetime("2026-13-01T00:00:00Z"), None);
    for bytes in [&b""[..], b"a", b"ab", b"abc", b"abcd"] {
        assert_eq!(base64_decode(&base64_encode(bytes)).unwrap(), bytes);
    }
    assert_eq!(base64_decode("YW Jj\nZA=="), Some(b"abcd".to_vec()));
    assert_eq!(base64_decode("YW=j"), None);
}

/// The bearer confirmation's validity in built responses.
const CONFIRMATION: &str = r#"<saml:SubjectConfirmationData NotOnOrAfter="2026-01-01T00:05:00Z""#;

/// A built response whose bearer confirmation ends at `end` (none: no NotOnOrAfter).
fn confirmed_until(end: Option<&str>) -> String {
    let replacement = match end {
        Some(end) => format!(r#"<saml:SubjectConfirmationData NotOnOrAfter="{end}""#),
        None => "<saml:SubjectConfirmationData".to_owned(),
    };
    let built = build(&Fields::default());
    assert!(built.contains(CONFIRMATION));
    built.replace(CONFIRMATION, &replacement)
}

#[test]
fn a_bearer_confirmation_must_say_when_it_ends() {
    let error = refused(&sign(&confirmed_until(None), "a1"), at(BUILT_TIME));
    assert_eq!(error.kind, SamlErrorKind::Invalid);
    assert_eq!(error.message, "Invalid SAML response");
    assert!(error.detail.contains("NotOnOrAfter"), "{}", error.detail);
}

#[test]
fn a_bearer_confirmation_lasts_at_most_an_hour_after_the_assertion_was_issued() {
    assert_eq!(MAX_VALIDITY, 3600);
    let hour = sign(&confirmed_until(Some("2026-01-01T01:00:00Z")), "a1");
    let assertion = verify(&hour, at(BUILT_TIME)).unwrap();
    assert_eq!(assertion.id, "a1");
    // Refused as expired from the Conditions' end (sooner) plus the clock skew allowed: its
    // ID is remembered until then.
    assert_eq!(assertion.expires, at("2026-01-01T00:10:00Z"));
    assert!(verify(&hour, at("2026-01-01T00:09:59Z")).is_ok());
    assert_eq!(
        refused(&hour, at("2026-01-01T00:10:00Z")).kind,
        SamlErrorKind::Expired
    );

    for end in ["2026-01-01T01:00:01Z", "2036-01-01T00:00:00Z"] {
        let error = refused(&sign(&confirmed_until(Some(end)), "a1"), at(BUILT_TIME));
        assert_eq!(error.kind, SamlErrorKind::Invalid);
        assert_eq!(error.message, "Invalid SAML response");
        assert!(error.detail.contains("3600 seconds"), "{}", error.detail);
    }
    // An IssueInstant in the future cannot stretch the window.
    let later = confirmed_until(Some("2026-01-01T01:00:00Z")).replace(
        r#"<saml:Assertion ID="a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">"#,
        r#"<saml:Assertion ID="a1" Version="2.0" IssueInstant="2026-01-01T00:30:00Z">"#,
    );
    let error = refused(&sign(&later, "a1"), at(BUILT_TIME));
    assert_eq!(error.message, "The SAML assertion is not yet valid");
}

#[test]
fn an_assertion_needs_an_id_and_an_issue_instant() {
    // Signed on the Response, so the assertion's own attributes are free to vary.
    let xml = build(&Fields::default());
    let tag = r#"<saml:Assertion ID="a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">"#;
    let no_id = xml.replace(
        tag,
        r#"<saml:Assertion Version="2.0" IssueInstant="2026-01-01T00:00:00Z">"#,
    );
    let error = refused(&sign(&no_id, "r1"), at(BUILT_TIME));
    assert!(error.detail.contains("no ID"), "{}", error.detail);
    let no_instant = xml.replace(tag, r#"<saml:Assertion ID="a1" Version="2.0">"#);
    let error = refused(&sign(&no_instant, "r1"), at(BUILT_TIME));
    assert!(error.detail.contains("IssueInstant"), "{}", error.detail);
    assert!(verify(&sign(&xml, "r1"), at(BUILT_TIME)).is_ok());
}

/// Built responses signed here, kept in `testdata/built/` for the tests of AssumeRoleWithSAML
/// through warden-core's service (which cannot sign) and as fuzzing seeds; this test keeps
/// them equal to what `sign` makes (`WARDEN_WRITE_SAML_FIXTURES=1` rewrites them).
#[test]
fn built_fixtures_are_the_responses_signed_here() {
    let second = build(&Fields::default())
        .replace("2026-01-01T00:0", "2026-01-01T01:0")
        .replace(r#"ID="a1""#, r#"ID="a2""#);
    let fixtures = [
        ("a1.xml", sign(&build(&Fields::default()), "a1")),
        ("a2-an-hour-later.xml", sign(&second, "a2")),
        ("open-ended.xml", sign(&confirmed_until(None), "a1")),
        (
            "one-hour.xml",
            sign(&confirmed_until(Some("2026-01-01T01:00:00Z")), "a1"),
        ),
        (
            "over-an-hour.xml",
            sign(&confirmed_until(Some("2026-01-01T01:00:01Z")), "a1"),
        ),
    ];
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/testdata/built");
    for (name, signed) in fixtures {
        let path = folder.join(name);
        if std::env::var_os("WARDEN_WRITE_SAML_FIXTURES").is_some() {
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(&path, &signed).unwrap();
        }
        let kept = std::fs::read_to_string(&path).unwrap();
        assert_eq!(kept, signed, "{name} is not what `sign` makes");
    }
}

/// What a built response varies.
struct Fields {
    issuer: &'static str,
    audience: &'static str,
    recipient: &'static str,
}

impl Default for Fields {
    fn default() -> Fields {
        Fields {
            issuer: ISSUER,
            audience: AWS_AUDIENCE,
            recipient: AWS_RECIPIENT,
        }
    }
}

/// Built responses are valid from 2026-01-01T00:00:00Z for five minutes.
const BUILT_TIME: &str = "2026-01-01T00:01:00Z";
const BUILT: &str = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="RECIPIENT">
  <saml:Issuer>ISSUER</saml:Issuer>
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  <saml:Assertion ID="a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
    <saml:Issuer>ISSUER</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">bob</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="2026-01-01T00:05:00Z" Recipient="RECIPIENT"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2026-01-01T00:00:00Z" NotOnOrAfter="2026-01-01T00:05:00Z">
      <saml:AudienceRestriction><saml:Audience>AUDIENCE</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>bob</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>arn:aws:iam::111122223333:role/saml-admin,arn:aws:iam::111122223333:saml-provider/idp</saml:AttributeValue></saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"#;

fn build(fields: &Fields) -> String {
    BUILT
        .replace("ISSUER", fields.issuer)
        .replace("AUDIENCE", fields.audience)
        .replace("RECIPIENT", fields.recipient)
}

/// Signs the element whose ID is `id` with the identity provider's key (RSA-SHA256,
/// exclusive canonicalization), the signature placed after the element's Issuer.
fn sign(xml: &str, id: &str) -> String {
    let document = Document::parse(xml).unwrap();
    let element = document
        .ids()
        .find(|e| document.element(*e).attr("ID") == Some(id))
        .unwrap();
    let exclusive = Method::Exclusive {
        prefixes: Vec::new(),
    };
    let digest = Sha256::digest(canonicalize(&document, element, &exclusive, None).as_bytes());
    let signature = format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>{}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>VALUE</ds:SignatureValue></ds:Signature>"##,
        base64_encode(&digest)
    );
    let start = xml.find(&format!("ID=\"{id}\"")).unwrap();
    let issuer_end = start + xml[start..].find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let mut with_signature = xml.to_owned();
    with_signature.insert_str(issuer_end, &signature);
    let document = Document::parse(&with_signature).unwrap();
    let signed_info = document
        .ids()
        .find(|e| document.element(*e).local == "SignedInfo")
        .unwrap();
    let key = rsa::PrivateKey::from_pkcs8_der(&pem_body(IDP_KEY)).unwrap();
    let value = SigningKey::<Sha256>::new(key)
        .sign(canonicalize(&document, signed_info, &exclusive, None).as_bytes())
        .to_vec();
    with_signature.replace("VALUE", &base64_encode(&value))
}
