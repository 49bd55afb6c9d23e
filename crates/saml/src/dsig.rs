//! XML Signature verification for one enveloped signature: the `ds:Signature` child of an
//! element, with exactly one Reference that names that element by its ID, the
//! enveloped-signature transform and a canonicalization, and an RSA signature (SHA-1 or
//! SHA-2) made with one of the identity provider's certificates. Keys inside the signature
//! (`KeyInfo`) are never trusted.

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};
use rsa::signature::Verifier;
use sha1::Sha1;

use super::base64_decode;
use super::c14n::{Method, canonicalize};
use super::xml::Document;

pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignatureError(pub String);

fn error(message: impl Into<String>) -> SignatureError {
    SignatureError(message.into())
}

/// An RSA public key from a signing certificate.
#[derive(Clone, Debug)]
pub(crate) struct SigningKey(rsa::PublicKey);

impl SigningKey {
    /// The RSA key of a DER X.509 certificate.
    pub fn from_certificate(certificate: &[u8]) -> Result<SigningKey, String> {
        let spki = subject_public_key_info(certificate)
            .ok_or_else(|| "the certificate is not a DER X.509 certificate".to_owned())?;
        rsa::PublicKey::from_public_key_der(spki)
            .map(SigningKey)
            .map_err(|_| "the certificate does not hold an RSA public key".to_owned())
    }
}

#[derive(Clone, Copy)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => Sha1::digest(data).to_vec(),
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn verify(self, key: &SigningKey, data: &[u8], signature: &Signature) -> bool {
        let key = key.0.clone();
        match self {
            Hash::Sha1 => VerifyingKey::<Sha1>::new(key)
                .verify(data, signature)
                .is_ok(),
            Hash::Sha256 => VerifyingKey::<Sha256>::new(key)
                .verify(data, signature)
                .is_ok(),
            Hash::Sha384 => VerifyingKey::<Sha384>::new(key)
                .verify(data, signature)
                .is_ok(),
            Hash::Sha512 => VerifyingKey::<Sha512>::new(key)
                .verify(data, signature)
                .is_ok(),
        }
    }
}

fn digest_method(algorithm: &str) -> Result<Hash, SignatureError> {
    match algorithm {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Ok(Hash::Sha1),
        "http://www.w3.org/2001/04/xmlenc#sha256" => Ok(Hash::Sha256),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Ok(Hash::Sha384),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Ok(Hash::Sha512),
        other => Err(error(format!(
            "the digest algorithm `{other}` is not supported"
        ))),
    }
}

fn signature_method(algorithm: &str) -> Result<Hash, SignatureError> {
    match algorithm {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => Ok(Hash::Sha1),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Ok(Hash::Sha256),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Ok(Hash::Sha384),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Ok(Hash::Sha512),
        other => Err(error(format!(
            "the signature algorithm `{other}` is not supported"
        ))),
    }
}

/// The canonicalization an `Algorithm` (and its InclusiveNamespaces child) names.
fn c14n_method(document: &Document, element: usize) -> Result<Option<Method>, SignatureError> {
    let algorithm = document
        .element(element)
        .attr("Algorithm")
        .unwrap_or_default();
    match algorithm {
        C14N => Ok(Some(Method::Inclusive)),
        EXC_C14N => {
            let prefixes = document
                .only(element, EXC_C14N, "InclusiveNamespaces")
                .and_then(|n| document.element(n).attr("PrefixList"))
                .unwrap_or_default()
                .split_ascii_whitespace()
                .map(|p| {
                    if p == "#default" {
                        String::new()
                    } else {
                        p.to_owned()
                    }
                })
                .collect();
            Ok(Some(Method::Exclusive { prefixes }))
        }
        _ => Ok(None),
    }
}

fn child(document: &Document, parent: usize, local: &str) -> Result<usize, SignatureError> {
    document
        .only(parent, DSIG_NS, local)
        .ok_or_else(|| error(format!("the signature needs exactly one `{local}`")))
}

/// Verifies `signature`, a `ds:Signature` child of `signed` whose ID is `id`, with one of
/// `keys`: the reference must name `signed`, its digest match `signed` without the
/// signature, and the signature over SignedInfo verify.
pub(crate) fn verify(
    document: &Document,
    signed: usize,
    signature: usize,
    id: &str,
    keys: &[SigningKey],
) -> Result<(), SignatureError> {
    let signed_info = child(document, signature, "SignedInfo")?;
    let canonicalization = child(document, signed_info, "CanonicalizationMethod")?;
    let info_method = c14n_method(document, canonicalization)?
        .ok_or_else(|| error("the canonicalization algorithm is not supported"))?;
    let method = child(document, signed_info, "SignatureMethod")?;
    let hash = signature_method(
        document
            .element(method)
            .attr("Algorithm")
            .unwrap_or_default(),
    )?;
    if document.named(signed_info, DSIG_NS, "Reference").count() != 1 {
        return Err(error("the signature must have exactly one Reference"));
    }
    let reference = child(document, signed_info, "Reference")?;
    if document.element(reference).attr("URI") != Some(&format!("#{id}")) {
        return Err(error(
            "the signature does not reference the element it is in",
        ));
    }
    let mut enveloped = false;
    let mut reference_method = None;
    if let Some(transforms) = document.only(reference, DSIG_NS, "Transforms") {
        for transform in document.children(transforms) {
            let algorithm = document
                .element(transform)
                .attr("Algorithm")
                .unwrap_or_default();
            if !document.element(transform).is(DSIG_NS, "Transform") {
                return Err(error("unexpected content in Transforms"));
            }
            if algorithm == ENVELOPED && !enveloped && reference_method.is_none() {
                enveloped = true;
            } else if let (Some(method), None) =
                (c14n_method(document, transform)?, &reference_method)
            {
                reference_method = Some(method);
            } else {
                return Err(error(format!(
                    "the transform `{algorithm}` is not supported here"
                )));
            }
        }
    }
    if !enveloped {
        return Err(error("the signature must be enveloped"));
    }
    let digest_method_element = child(document, reference, "DigestMethod")?;
    let digest_hash = digest_method(
        document
            .element(digest_method_element)
            .attr("Algorithm")
            .unwrap_or_default(),
    )?;
    let expected = base64_decode(&document.text_of(child(document, reference, "DigestValue")?))
        .ok_or_else(|| error("the digest value is not base64"))?;
    let content = canonicalize(
        document,
        signed,
        &reference_method.unwrap_or(Method::Inclusive),
        Some(signature),
    );
    if digest_hash.digest(content.as_bytes()) != expected {
        return Err(error("the digest of the signed element does not match"));
    }
    let value = base64_decode(&document.text_of(child(document, signature, "SignatureValue")?))
        .ok_or_else(|| error("the signature value is not base64"))?;
    let value = Signature::try_from(value.as_slice())
        .map_err(|_| error("the signature value is malformed"))?;
    let info = canonicalize(document, signed_info, &info_method, None);
    if keys
        .iter()
        .any(|key| hash.verify(key, info.as_bytes(), &value))
    {
        Ok(())
    } else {
        Err(error(
            "the signature does not verify with the provider's certificates",
        ))
    }
}

/// The SubjectPublicKeyInfo (tag, length and content) of a DER X.509 certificate:
/// `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
/// signature, issuer, validity, subject, subjectPublicKeyInfo, … }, … }`.
fn subject_public_key_info(certificate: &[u8]) -> Option<&[u8]> {
    let certificate = Tlv::read(certificate).filter(|t| t.tag == 0x30)?;
    let tbs = Tlv::read(certificate.content).filter(|t| t.tag == 0x30)?;
    let mut rest = tbs.content;
    if rest.first() == Some(&0xa0) {
        rest = Tlv::read(rest)?.rest;
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        rest = Tlv::read(rest)?.rest;
    }
    Tlv::read(rest).filter(|t| t.tag == 0x30).map(|t| t.whole)
}

/// One DER element.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    /// Tag, length and content.
    whole: &'a [u8],
    /// What follows the element.
    rest: &'a [u8],
}

impl<'a> Tlv<'a> {
    fn read(input: &'a [u8]) -> Option<Tlv<'a>> {
        let (&tag, rest) = input.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let length = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None;
            }
            let (bytes, after) = rest.split_at_checked(count)?;
            rest = after;
            bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b))
        };
        let header = input.len() - rest.len();
        let (content, after) = rest.split_at_checked(length)?;
        Some(Tlv {
            tag,
            content,
            whole: input.get(..header.checked_add(length)?)?,
            rest: after,
        })
    }
}
