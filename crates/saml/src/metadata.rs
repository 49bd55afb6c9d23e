//! An identity provider's SAML metadata (`md:EntityDescriptor`): its entity id, which signed
//! assertions must name as their issuer, the certificates it signs with, and how long the
//! document is valid.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::dsig::{DSIG_NS, SigningKey};
use super::xml::Document;
use super::{base64_decode, parse_datetime};
use crate::Timestamp;

const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// What Warden keeps from a metadata document. Serialized as the document's text;
/// deserializing parses it again.
#[derive(Clone, Debug)]
pub struct Metadata {
    /// The document as given.
    pub text: String,
    /// The `entityID`: the `Issuer` of the provider's responses.
    pub entity_id: String,
    /// The document's `validUntil`, when it has one.
    pub valid_until: Option<Timestamp>,
    pub(crate) keys: Vec<SigningKey>,
}

impl Metadata {
    /// Reads an `EntityDescriptor` with an `IDPSSODescriptor` and at least one RSA signing
    /// certificate (a `KeyDescriptor` whose `use` is `signing` or absent). The error says
    /// what is missing or malformed.
    pub fn parse(text: &str) -> Result<Metadata, String> {
        let document = Document::parse(text).map_err(|e| e.0)?;
        let root = document.root();
        let descriptor = document.element(root);
        if !descriptor.is(METADATA_NS, "EntityDescriptor") {
            return Err(format!(
                "the document is `{}`, not an EntityDescriptor of namespace {METADATA_NS}",
                descriptor.qname()
            ));
        }
        let entity_id = descriptor
            .attr("entityID")
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or("the EntityDescriptor has no entityID")?
            .to_owned();
        let valid_until = match descriptor.attr("validUntil") {
            Some(text) => Some(
                parse_datetime(text)
                    .ok_or_else(|| format!("validUntil `{text}` is not a dateTime"))?,
            ),
            None => None,
        };
        let idp = document
            .named(root, METADATA_NS, "IDPSSODescriptor")
            .collect::<Vec<_>>();
        if idp.is_empty() {
            return Err("the EntityDescriptor has no IDPSSODescriptor".to_owned());
        }
        let mut keys = Vec::new();
        for key_descriptor in idp
            .iter()
            .flat_map(|d| document.named(*d, METADATA_NS, "KeyDescriptor"))
        {
            let usage = document.element(key_descriptor).attr("use");
            if !matches!(usage, None | Some("signing")) {
                continue;
            }
            let certificates = document
                .named(key_descriptor, DSIG_NS, "KeyInfo")
                .flat_map(|info| document.named(info, DSIG_NS, "X509Data"))
                .flat_map(|data| document.named(data, DSIG_NS, "X509Certificate"));
            for certificate in certificates {
                let der = base64_decode(&document.text_of(certificate))
                    .ok_or("an X509Certificate is not base64")?;
                keys.push(SigningKey::from_certificate(&der)?);
            }
        }
        if keys.is_empty() {
            return Err("the IDPSSODescriptor has no signing certificate".to_owned());
        }
        Ok(Metadata {
            text: text.to_owned(),
            entity_id,
            valid_until,
            keys,
        })
    }
}

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Metadata::parse(&text).map_err(serde::de::Error::custom)
    }
}
