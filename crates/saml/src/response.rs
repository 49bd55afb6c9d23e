//! Verifying a `samlp:Response` from an identity provider and reading its one assertion.
//!
//! Signature wrapping is ruled out by construction: the document is parsed once, every `ID`
//! in it must be unique, it must hold exactly one `Assertion` (a child of the Response), and
//! a signature counts only if it is a child of the Response or of that Assertion and its one
//! Reference names its parent's ID. Every value returned is read from that same parsed
//! Assertion, so the element whose data is used is the element the signature covers.
//!
//! A bearer confirmation must say when it stops being valid (`NotOnOrAfter`, as AWS requires),
//! no later than [`MAX_VALIDITY`] after the assertion was issued: that bounds how long the
//! assertion's ID must be remembered to refuse its second use.

use super::dsig::{self, DSIG_NS};
use super::xml::Document;
use rsa::sha2::Digest;
use sha1::Sha1;

use super::{Metadata, SamlError, base64_decode, base64_encode, parse_datetime};
use crate::Timestamp;

const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// How far clocks may disagree, in seconds, when validity times are checked.
const SKEW: i64 = 300;
/// How long after its `IssueInstant` an assertion's bearer confirmation may stay valid, in
/// seconds (one hour). Identity providers use minutes; a longer window would let a response
/// that leaked be used for longer, and make its ID be remembered for longer.
pub const MAX_VALIDITY: i64 = 3600;

/// What a response must be addressed to, and when it is checked.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Acceptable `Audience` values (one must be in every AudienceRestriction).
    pub audiences: &'a [&'a str],
    /// Acceptable `Recipient`s of the bearer subject confirmation (and `Destination`s).
    pub recipients: &'a [&'a str],
    pub now: Timestamp,
}

/// The verified content of a response's assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The assertion's `ID`.
    pub id: String,
    /// When the assertion is refused as expired (the earlier of its confirmation's and its
    /// Conditions' `NotOnOrAfter`, plus the clock skew allowed): until then, its ID must be
    /// remembered to refuse a second use.
    pub expires: Timestamp,
    pub issuer: String,
    /// The `NameID` of the subject.
    pub subject: String,
    /// The `NameID`'s `Format`, if it has one.
    pub subject_format: Option<String>,
    /// The `Recipient` of the subject confirmation that was accepted.
    pub recipient: String,
    /// The AuthnStatement's `SessionNotOnOrAfter`, if any.
    pub session_not_on_or_after: Option<Timestamp>,
    /// Attributes by `Name`, each with its values, in document order.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Assertion {
    /// AWS's `NameQualifier`: base64(SHA-1(issuer ‖ account id ‖ `/` ‖ provider name)), which
    /// with the subject identifies a federated user.
    pub fn name_qualifier(&self, account: &str, provider_name: &str) -> String {
        let digest = Sha1::digest(format!("{}{account}/{provider_name}", self.issuer).as_bytes());
        base64_encode(&digest)
    }

    /// AWS's `SubjectType`: the NameID format without the
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:` prefix (`persistent`, `transient`), other
    /// formats as they are; `unspecified` when the NameID has none.
    pub fn subject_type(&self) -> String {
        match &self.subject_format {
            Some(format) => format
                .strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:")
                .unwrap_or(format)
                .to_owned(),
            None => "unspecified".to_owned(),
        }
    }

    /// The values of the attribute `name` (empty if it is absent).
    pub fn attribute(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, values)| values.iter().map(String::as_str))
            .collect()
    }
}

/// Verifies the base64 `samlp:Response` `encoded`, issued by the provider `metadata`
/// describes, for `expected`.
pub fn verify_response(
    encoded: &str,
    metadata: &Metadata,
    expected: &Expected<'_>,
) -> Result<Assertion, SamlError> {
    let malformed = |detail: &str| SamlError::invalid("Invalid SAML response", detail);
    let bytes = base64_decode(encoded).ok_or_else(|| malformed("the assertion is not base64"))?;
    let text = String::from_utf8(bytes).map_err(|_| malformed("the response is not UTF-8"))?;
    let document = Document::parse(&text).map_err(|e| malformed(&e.0))?;
    let root = document.root();
    let response = document.element(root);
    if !response.is(PROTOCOL_NS, "Response") || response.attr("Version") != Some("2.0") {
        return Err(malformed("the document is not a SAML 2.0 samlp:Response"));
    }
    check_unique_ids(&document)?;
    let status = document
        .only(root, PROTOCOL_NS, "Status")
        .and_then(|s| document.only(s, PROTOCOL_NS, "StatusCode"))
        .and_then(|c| document.element(c).attr("Value"));
    if status != Some(SUCCESS) {
        return Err(SamlError::rejected(
            "The identity provider reported that authentication failed",
            &format!("status {}", status.unwrap_or("(none)")),
        ));
    }
    let assertion = one_assertion(&document)?;
    verify_signatures(&document, assertion, metadata)?;
    if let Some(destination) = response.attr("Destination")
        && !expected.recipients.contains(&destination)
    {
        return Err(malformed(&format!(
            "the response's Destination `{destination}` is not this service"
        )));
    }
    check_issuer(&document, root, assertion, metadata)?;
    check_conditions(&document, assertion, expected)?;
    let id = document
        .element(assertion)
        .attr("ID")
        .ok_or_else(|| malformed("the assertion has no ID"))?
        .to_owned();
    let issued = document
        .element(assertion)
        .attr("IssueInstant")
        .and_then(parse_datetime)
        .ok_or_else(|| malformed("the assertion has no valid IssueInstant"))?;
    if issued > expected.now + SKEW {
        return Err(SamlError::invalid(
            "The SAML assertion is not yet valid",
            "the assertion's IssueInstant is in the future",
        ));
    }
    let (subject, subject_format, recipient, not_on_or_after) =
        subject(&document, assertion, expected, issued)?;
    let session_not_on_or_after = document
        .named(assertion, ASSERTION_NS, "AuthnStatement")
        .filter_map(|s| document.element(s).attr("SessionNotOnOrAfter"))
        .filter_map(parse_datetime)
        .min();
    let attributes = document
        .named(assertion, ASSERTION_NS, "AttributeStatement")
        .flat_map(|s| document.named(s, ASSERTION_NS, "Attribute"))
        .map(|a| {
            let name = document
                .element(a)
                .attr("Name")
                .unwrap_or_default()
                .to_owned();
            let values = document
                .named(a, ASSERTION_NS, "AttributeValue")
                .map(|v| document.text_of(v).trim().to_owned())
                .collect();
            (name, values)
        })
        .collect();
    let conditions_end = document
        .only(assertion, ASSERTION_NS, "Conditions")
        .and_then(|c| document.element(c).attr("NotOnOrAfter"))
        .and_then(parse_datetime);
    let end = conditions_end.map_or(not_on_or_after, |c| c.min(not_on_or_after));
    Ok(Assertion {
        id,
        expires: end + SKEW,
        issuer: metadata.entity_id.clone(),
        subject,
        subject_format,
        recipient,
        session_not_on_or_after,
        attributes,
    })
}

fn check_unique_ids(document: &Document) -> Result<(), SamlError> {
    let mut ids: Vec<&str> = document
        .ids()
        .filter_map(|e| document.element(e).attr("ID"))
        .collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair.first() == pair.last()) {
        return Err(SamlError::invalid(
            "Invalid SAML response",
            "two elements have the same ID",
        ));
    }
    Ok(())
}

/// The one `Assertion` of the document, which must be a child of the Response.
fn one_assertion(document: &Document) -> Result<usize, SamlError> {
    let root = document.root();
    if document
        .ids()
        .any(|e| document.element(e).is(ASSERTION_NS, "EncryptedAssertion"))
    {
        return Err(SamlError::invalid(
            "Invalid SAML response",
            "encrypted assertions are not supported",
        ));
    }
    let assertions: Vec<usize> = document
        .ids()
        .filter(|e| document.element(*e).is(ASSERTION_NS, "Assertion"))
        .collect();
    match assertions.as_slice() {
        [one] if document.element(*one).parent == Some(root) => Ok(*one),
        _ => Err(SamlError::invalid(
            "Invalid SAML response",
            "the response must hold exactly one Assertion, as a child of the Response",
        )),
    }
}

/// Every signature must verify and sit on the Response or the Assertion; at least one must.
fn verify_signatures(
    document: &Document,
    assertion: usize,
    metadata: &Metadata,
) -> Result<(), SamlError> {
    let invalid = |detail: &str| SamlError::invalid("Response signature invalid", detail);
    let root = document.root();
    let signatures: Vec<usize> = document
        .ids()
        .filter(|e| document.element(*e).is(DSIG_NS, "Signature"))
        .collect();
    if signatures.is_empty() {
        return Err(invalid("neither the response nor its assertion is signed"));
    }
    for signature in signatures {
        let signed = document
            .element(signature)
            .parent
            .filter(|p| *p == root || *p == assertion)
            .ok_or_else(|| {
                invalid("a signature is neither on the response nor on its assertion")
            })?;
        if document.named(signed, DSIG_NS, "Signature").count() != 1 {
            return Err(invalid("an element carries more than one signature"));
        }
        let id = document
            .element(signed)
            .attr("ID")
            .ok_or_else(|| invalid("a signed element has no ID"))?;
        dsig::verify(document, signed, signature, id, &metadata.keys).map_err(|e| invalid(&e.0))?;
    }
    Ok(())
}

fn check_issuer(
    document: &Document,
    root: usize,
    assertion: usize,
    metadata: &Metadata,
) -> Result<(), SamlError> {
    let issuer_of = |element: usize| {
        document
            .only(element, ASSERTION_NS, "Issuer")
            .map(|i| document.text_of(i).trim().to_owned())
    };
    let wrong = |issuer: &str| {
        SamlError::invalid(
            "Issuer not present in specified provider",
            &format!("issuer `{issuer}`, provider `{}`", metadata.entity_id),
        )
    };
    match issuer_of(assertion) {
        Some(issuer) if issuer == metadata.entity_id => {}
        Some(issuer) => return Err(wrong(&issuer)),
        None => return Err(wrong("(none)")),
    }
    match issuer_of(root) {
        Some(issuer) if issuer != metadata.entity_id => Err(wrong(&issuer)),
        _ => Ok(()),
    }
}

/// A validity window (`NotBefore`, `NotOnOrAfter`) at `now`.
fn check_window(
    element: &super::xml::Element,
    now: Timestamp,
    what: &str,
) -> Result<(), SamlError> {
    if let Some(text) = element.attr("NotBefore") {
        let not_before = parse_datetime(text).ok_or_else(|| {
            SamlError::invalid("Invalid SAML response", &format!("NotBefore `{text}`"))
        })?;
        if now + SKEW < not_before {
            return Err(SamlError::invalid(
                "The SAML assertion is not yet valid",
                &format!("{what} NotBefore {text}"),
            ));
        }
    }
    if let Some(text) = element.attr("NotOnOrAfter") {
        let not_on_or_after = parse_datetime(text).ok_or_else(|| {
            SamlError::invalid("Invalid SAML response", &format!("NotOnOrAfter `{text}`"))
        })?;
        if now - SKEW >= not_on_or_after {
            return Err(SamlError::expired(&format!("{what} NotOnOrAfter {text}")));
        }
    }
    Ok(())
}

fn check_conditions(
    document: &Document,
    assertion: usize,
    expected: &Expected<'_>,
) -> Result<(), SamlError> {
    let no_audience = |detail: &str| {
        SamlError::invalid("Response does not contain the required audience", detail)
    };
    let conditions = document
        .only(assertion, ASSERTION_NS, "Conditions")
        .ok_or_else(|| no_audience("the assertion has no Conditions"))?;
    check_window(document.element(conditions), expected.now, "Conditions")?;
    let restrictions: Vec<usize> = document
        .named(conditions, ASSERTION_NS, "AudienceRestriction")
        .collect();
    if restrictions.is_empty() {
        return Err(no_audience("the assertion has no AudienceRestriction"));
    }
    for restriction in restrictions {
        let audiences: Vec<String> = document
            .named(restriction, ASSERTION_NS, "Audience")
            .map(|a| document.text_of(a).trim().to_owned())
            .collect();
        if !audiences
            .iter()
            .any(|a| expected.audiences.contains(&a.as_str()))
        {
            return Err(no_audience(&format!("audiences {audiences:?}")));
        }
    }
    Ok(())
}

/// The subject's NameID and Format, and the Recipient and NotOnOrAfter of a bearer
/// confirmation addressed to this service, valid now, and for no longer than
/// [`MAX_VALIDITY`] after the assertion was `issued`.
fn subject(
    document: &Document,
    assertion: usize,
    expected: &Expected<'_>,
    issued: Timestamp,
) -> Result<(String, Option<String>, String, Timestamp), SamlError> {
    let subject = document
        .only(assertion, ASSERTION_NS, "Subject")
        .ok_or_else(|| {
            SamlError::invalid("Invalid SAML response", "the assertion has no Subject")
        })?;
    let name_id = document
        .only(subject, ASSERTION_NS, "NameID")
        .ok_or_else(|| SamlError::invalid("Invalid SAML response", "the subject has no NameID"))?;
    let mut refusal = SamlError::invalid(
        "Invalid SAML response",
        "the subject has no bearer SubjectConfirmation",
    );
    for confirmation in document.named(subject, ASSERTION_NS, "SubjectConfirmation") {
        if document.element(confirmation).attr("Method") != Some(BEARER) {
            continue;
        }
        let Some(data) = document.only(confirmation, ASSERTION_NS, "SubjectConfirmationData")
        else {
            continue;
        };
        let recipient = document.element(data).attr("Recipient").unwrap_or_default();
        if !expected.recipients.contains(&recipient) {
            refusal = SamlError::invalid(
                "Invalid SAML response",
                &format!("the Recipient `{recipient}` is not this service"),
            );
            continue;
        }
        if let Err(error) = check_window(
            document.element(data),
            expected.now,
            "SubjectConfirmationData",
        ) {
            refusal = error;
            continue;
        }
        // check_window has read it, if it is there.
        let Some(not_on_or_after) = document
            .element(data)
            .attr("NotOnOrAfter")
            .and_then(parse_datetime)
        else {
            refusal = SamlError::invalid(
                "Invalid SAML response",
                "the bearer SubjectConfirmationData has no NotOnOrAfter",
            );
            continue;
        };
        if not_on_or_after > issued + MAX_VALIDITY {
            refusal = SamlError::invalid(
                "Invalid SAML response",
                &format!(
                    "the bearer SubjectConfirmationData is valid for more than {MAX_VALIDITY} seconds after the assertion's IssueInstant"
                ),
            );
            continue;
        }
        return Ok((
            document.text_of(name_id).trim().to_owned(),
            document.element(name_id).attr("Format").map(str::to_owned),
            recipient.to_owned(),
            not_on_or_after,
        ));
    }
    Err(refusal)
}
