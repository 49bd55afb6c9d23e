//! SAML providers: CreateSAMLProvider, GetSAMLProvider, ListSAMLProviders,
//! UpdateSAMLProvider, DeleteSAMLProvider and the provider's tags.
//!
//! A provider is named (`[\w._-]{1,128}`, unique in its account) and described by its
//! identity provider's metadata document, which must be an `EntityDescriptor` with an
//! `IDPSSODescriptor` and at least one RSA signing certificate; its ARN is
//! `arn:aws:iam::ACCOUNT:saml-provider/NAME`. Encrypted assertions are not supported, so no
//! private key can be added.

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::tags::{ListTagsOutput, list_tags, remove_tags, untag_context};
use super::users::account;
use super::{WireTag, merge_tags, tags_from_wire, wire_tags};
use crate::action::Action;
use crate::arn::Arn;
use crate::authz::{Resource, request_tag_keys};
use crate::error::Error;
use crate::model::{SamlProvider, Tag};
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::{Timestamp, iso8601};
use warden_saml::Metadata;

/// AWS's quota of SAML providers per account.
const MAX_PROVIDERS: usize = 100;
/// How long a provider whose metadata sets no `validUntil` stays valid.
const HUNDRED_YEARS: Timestamp = 100 * 365 * 86_400 + 24 * 86_400;

fn no_such_provider(arn: &str) -> Error {
    Error::NoSuchEntity(format!("SAMLProvider {arn} does not exist."))
}

/// The provider name `arn` names, if it is a SAML provider ARN of the caller's account.
fn name_of<'a>(cx: &Cx<'_>, arn: &'a str) -> Result<Option<&'a str>, Error> {
    match Arn::parse(arn) {
        Ok(Arn::SamlProvider { account, name }) => {
            Ok((account == cx.caller.account).then_some(name))
        }
        _ => Err(Error::InvalidInput(format!("ARN {arn} is not valid."))),
    }
}

impl Resource for SamlProvider {
    fn arn(&self) -> String {
        SamlProvider::arn(self)
    }

    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

/// Looks a provider up after authorizing `action` on its ARN (authorization first). Provider
/// names are matched exactly: an ARN in another case names another provider.
fn authorized<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    arn: &str,
    extra: &[(String, ContextValue)],
) -> Result<&'s SamlProvider, Error> {
    let name = name_of(cx, arn)?;
    let provider = name.and_then(|name| account(cx, state).ok()?.saml_providers.get(name));
    cx.authorize_resolved(state, action, provider, arn, extra)?
        .ok_or_else(|| no_such_provider(arn))
}

fn parse_metadata(text: &str) -> Result<Metadata, Error> {
    Metadata::parse(text)
        .map_err(|reason| Error::InvalidInput(format!("Could not parse metadata: {reason}.")))
}

/// The `AssertionEncryptionMode` to keep: `Required` needs a private key, which Warden does
/// not take.
fn check_encryption(
    mode: Option<&str>,
    private_key: Option<&String>,
) -> Result<Option<String>, Error> {
    if private_key.is_some() {
        return Err(Error::InvalidInput(
            "Encrypted SAML assertions are not supported: a private key cannot be added."
                .to_owned(),
        ));
    }
    match mode {
        Some("Required") => Err(Error::InvalidInput(
            "Unable to set assertion encryption mode to Required because no private key is provided.".to_owned(),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

fn valid_until(metadata: &Metadata, now: Timestamp) -> Timestamp {
    metadata.valid_until.unwrap_or(now + HUNDRED_YEARS)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    #[serde(rename = "SAMLMetadataDocument")]
    metadata: String,
    name: String,
    #[serde(default)]
    tags: Vec<WireTag>,
    assertion_encryption_mode: Option<String>,
    add_private_key: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateOutput {
    #[serde(rename = "SAMLProviderArn")]
    arn: String,
    tags: Vec<WireTag>,
}

pub(super) fn create(cx: &Cx<'_>, input: CreateInput) -> Result<CreateOutput, Error> {
    let tags = tags_from_wire(&input.tags)?;
    let arn = Arn::SamlProvider {
        account: &cx.caller.account,
        name: &input.name,
    }
    .build();
    cx.service.write(|state| {
        let keys = if tags.is_empty() {
            Vec::new()
        } else {
            request_tag_keys(&tags)
        };
        cx.authorize(
            state,
            Action::CreateSAMLProvider.iam_action(),
            &arn,
            &[],
            &keys,
        )?;
        let encryption_mode = check_encryption(
            input.assertion_encryption_mode.as_deref(),
            input.add_private_key.as_ref(),
        )?;
        let metadata = parse_metadata(&input.metadata)?;
        let existing = &account(cx, state)?.saml_providers;
        if existing.contains_key(&input.name) {
            return Err(Error::EntityAlreadyExists(format!(
                "SAMLProvider {} already exists.",
                input.name
            )));
        }
        if existing.len() >= MAX_PROVIDERS {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for SAMLProvidersPerAccount: {MAX_PROVIDERS}"
            )));
        }
        let mut uuid = [0u8; 16];
        cx.service.random().fill(&mut uuid)?;
        let now = cx.service.now();
        let provider = SamlProvider {
            account: cx.caller.account,
            name: input.name.clone(),
            uuid: uuid.iter().map(|b| format!("{b:02X}")).collect(),
            created: now,
            valid_until: valid_until(&metadata, now),
            metadata,
            encryption_mode,
            tags: tags.clone(),
        };
        let output = CreateOutput {
            arn: provider.arn(),
            tags: wire_tags(&provider.tags),
        };
        Ok((vec![Mutation::SamlProvider(provider)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArnInput {
    #[serde(rename = "SAMLProviderArn")]
    arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetOutput {
    #[serde(rename = "SAMLProviderUUID")]
    uuid: String,
    #[serde(rename = "SAMLMetadataDocument")]
    metadata: String,
    create_date: String,
    valid_until: String,
    tags: Vec<WireTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assertion_encryption_mode: Option<String>,
}

pub(super) fn get(cx: &Cx<'_>, input: ArnInput) -> Result<GetOutput, Error> {
    cx.service.read(|state| {
        let provider = authorized(
            cx,
            state,
            Action::GetSAMLProvider.iam_action(),
            &input.arn,
            &[],
        )?;
        let mut tags = provider.tags.clone();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(GetOutput {
            uuid: provider.uuid.clone(),
            metadata: provider.metadata.text.clone(),
            create_date: iso8601(provider.created),
            valid_until: iso8601(provider.valid_until),
            tags: wire_tags(&tags),
            assertion_encryption_mode: provider.encryption_mode.clone(),
        })
    })
}

#[derive(Deserialize)]
pub(super) struct ListInput {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListOutput {
    #[serde(rename = "SAMLProviderList")]
    providers: Vec<ListEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListEntry {
    arn: String,
    valid_until: String,
    create_date: String,
}

pub(super) fn list(cx: &Cx<'_>, _input: ListInput) -> Result<ListOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(state, Action::ListSAMLProviders.iam_action(), "*", &[], &[])?;
        let providers = account(cx, state)?
            .saml_providers
            .values()
            .map(|p| ListEntry {
                arn: p.arn(),
                valid_until: iso8601(p.valid_until),
                create_date: iso8601(p.created),
            })
            .collect();
        Ok(ListOutput { providers })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateInput {
    #[serde(rename = "SAMLProviderArn")]
    arn: String,
    #[serde(rename = "SAMLMetadataDocument")]
    metadata: Option<String>,
    assertion_encryption_mode: Option<String>,
    add_private_key: Option<String>,
    remove_private_key: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateOutput {
    #[serde(rename = "SAMLProviderArn")]
    arn: String,
}

/// UpdateSAMLProvider: a new metadata document (and with it new certificates and validity)
/// or encryption mode.
pub(super) fn update(cx: &Cx<'_>, input: UpdateInput) -> Result<UpdateOutput, Error> {
    let nothing = input.metadata.is_none()
        && input.assertion_encryption_mode.is_none()
        && input.add_private_key.is_none()
        && input.remove_private_key.is_none();
    change(
        cx,
        Action::UpdateSAMLProvider.iam_action(),
        &input.arn,
        &[],
        |provider| {
            if nothing {
                return Err(Error::InvalidInput(
                "Unable to update identity provider. No updates are defined for metadata or encryption assertion."
                    .to_owned(),
            ));
            }
            if let Some(key) = &input.remove_private_key {
                return Err(Error::InvalidInput(format!(
                    "Failed to remove private key because the Key ID {key} does not match a private key."
                )));
            }
            let mode = check_encryption(
                input.assertion_encryption_mode.as_deref(),
                input.add_private_key.as_ref(),
            )?;
            if mode.is_some() {
                provider.encryption_mode = mode;
            }
            if let Some(text) = &input.metadata {
                provider.metadata = parse_metadata(text)?;
                provider.valid_until = valid_until(&provider.metadata, cx.service.now());
            }
            Ok(())
        },
    )?;
    Ok(UpdateOutput { arn: input.arn })
}

pub(super) fn delete(cx: &Cx<'_>, input: ArnInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let provider = authorized(
            cx,
            state,
            Action::DeleteSAMLProvider.iam_action(),
            &input.arn,
            &[],
        )?;
        let mutation = Mutation::DeleteSamlProvider {
            account: provider.account,
            name: provider.name.clone(),
        };
        Ok((vec![mutation], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagInput {
    #[serde(rename = "SAMLProviderArn")]
    arn: String,
    #[serde(default)]
    tags: Vec<WireTag>,
}

pub(super) fn tag(cx: &Cx<'_>, input: TagInput) -> Result<(), Error> {
    let tags = tags_from_wire(&input.tags)?;
    let keys = request_tag_keys(&tags);
    change(
        cx,
        Action::TagSAMLProvider.iam_action(),
        &input.arn,
        &keys,
        |provider| {
            provider.tags = merge_tags(&provider.tags, tags.clone())?;
            Ok(())
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagInput {
    #[serde(rename = "SAMLProviderArn")]
    arn: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub(super) fn untag(cx: &Cx<'_>, input: UntagInput) -> Result<(), Error> {
    let keys = untag_context(&input.tag_keys);
    change(
        cx,
        Action::UntagSAMLProvider.iam_action(),
        &input.arn,
        &keys,
        |provider| {
            provider.tags = remove_tags(&provider.tags, &input.tag_keys);
            Ok(())
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListTagsInput {
    #[serde(rename = "SAMLProviderArn")]
    arn: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_provider_tags(
    cx: &Cx<'_>,
    input: ListTagsInput,
) -> Result<ListTagsOutput, Error> {
    cx.service.read(|state| {
        let provider = authorized(
            cx,
            state,
            Action::ListSAMLProviderTags.iam_action(),
            &input.arn,
            &[],
        )?;
        list_tags(
            cx,
            &input.arn,
            &provider.tags,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}

/// Authorizes `action` on the provider `arn`, applies `update` to it and saves it.
fn change(
    cx: &Cx<'_>,
    action: &str,
    arn: &str,
    extra: &[(String, ContextValue)],
    update: impl Fn(&mut SamlProvider) -> Result<(), Error>,
) -> Result<(), Error> {
    cx.service.write(|state| {
        let mut provider = authorized(cx, state, action, arn, extra)?.clone();
        update(&mut provider)?;
        Ok((vec![Mutation::SamlProvider(provider)], ()))
    })
}
