//! OpenID Connect providers: CreateOpenIDConnectProvider, GetOpenIDConnectProvider,
//! ListOpenIDConnectProviders, DeleteOpenIDConnectProvider, the client ids, the thumbprints
//! and the provider's tags.
//!
//! A provider is named by its issuer URL (`https://`, a host, an optional path; no port,
//! query or fragment, as AWS expects), unique in its account; its ARN is
//! `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`. Loopback issuers served over plain HTTP,
//! with a port, are accepted only when the server allows them (a setting for tests).

mod url;

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::tags::{ListTagsOutput, list_tags, remove_tags, untag_context};
use super::users::account;
use super::{WireTag, merge_tags, tags_from_wire, wire_tags};
use crate::action::Action;
use crate::arn::Arn;
use crate::authz::{Resource, request_tag_keys};
use crate::error::Error;
use crate::model::{OidcProvider, Tag};
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::iso8601;

pub(crate) use url::provider_url;

/// AWS's quotas: providers per account, client ids and thumbprints per provider.
const MAX_PROVIDERS: usize = 100;
const MAX_CLIENT_IDS: usize = 100;
const MAX_THUMBPRINTS: usize = 5;

fn no_such_provider(arn: &str) -> Error {
    Error::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// The URL (without scheme) that `arn` names in the caller's account, if it is an OIDC
/// provider ARN of that account.
fn url_of<'a>(cx: &Cx<'_>, arn: &'a str) -> Result<Option<&'a str>, Error> {
    match Arn::parse(arn) {
        Ok(Arn::OidcProvider { account, url }) => Ok((account == cx.caller.account).then_some(url)),
        _ => Err(Error::InvalidInput(format!("ARN {arn} is not valid."))),
    }
}

impl Resource for OidcProvider {
    fn arn(&self) -> String {
        OidcProvider::arn(self)
    }

    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

/// Looks a provider up after authorizing `action` on its ARN (authorization first). URLs
/// are matched exactly, as ID tokens' issuers are: an ARN in another case names another
/// provider.
fn authorized<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    arn: &str,
    extra: &[(String, ContextValue)],
) -> Result<&'s OidcProvider, Error> {
    let url = url_of(cx, arn)?;
    let provider = url.and_then(|url| account(cx, state).ok()?.oidc_providers.get(url));
    cx.authorize_resolved(state, action, provider, arn, extra)?
        .ok_or_else(|| no_such_provider(arn))
}

fn check_thumbprints(thumbprints: &[String]) -> Result<Vec<String>, Error> {
    if thumbprints.len() > MAX_THUMBPRINTS {
        return Err(Error::InvalidInput(
            "Thumbprint list must contain fewer than 5 entries.".to_owned(),
        ));
    }
    thumbprints
        .iter()
        .map(|t| {
            if t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(t.to_ascii_lowercase())
            } else {
                Err(Error::InvalidInput(format!(
                    "Thumbprint `{t}` is not valid: a thumbprint is the 40 hex digits of a certificate's SHA-1 hash."
                )))
            }
        })
        .collect()
}

fn check_client_ids(ids: &[String]) -> Result<Vec<String>, Error> {
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    if unique.len() > MAX_CLIENT_IDS {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    Ok(unique)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    url: String,
    #[serde(rename = "ClientIDList", default)]
    client_id_list: Vec<String>,
    #[serde(default)]
    thumbprint_list: Vec<String>,
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateOutput {
    #[serde(rename = "OpenIDConnectProviderArn")]
    arn: String,
    tags: Vec<WireTag>,
}

/// CreateOpenIDConnectProvider. Without a ThumbprintList (optional, as on AWS since 2024)
/// the issuer must be trusted through the system's root certificates.
pub(super) fn create(cx: &Cx<'_>, input: CreateInput) -> Result<CreateOutput, Error> {
    let tags = tags_from_wire(&input.tags)?;
    let written = input
        .url
        .split_once("://")
        .map_or(input.url.as_str(), |(_, rest)| rest);
    let arn = Arn::OidcProvider {
        account: &cx.caller.account,
        url: written,
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
            Action::CreateOpenIDConnectProvider.iam_action(),
            &arn,
            &[],
            &keys,
        )?;
        let (url, http) = provider_url(&input.url, cx.service.issuers.allows_loopback_http())?;
        let thumbprints = check_thumbprints(&input.thumbprint_list)?;
        let client_ids = check_client_ids(&input.client_id_list)?;
        let existing = &account(cx, state)?.oidc_providers;
        if existing.contains_key(&url) {
            return Err(Error::EntityAlreadyExists(format!(
                "Provider with url {} already exists.",
                input.url
            )));
        }
        if existing.len() >= MAX_PROVIDERS {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}"
            )));
        }
        let provider = OidcProvider {
            account: cx.caller.account,
            url,
            http,
            created: cx.service.now(),
            client_ids,
            thumbprints,
            tags: tags.clone(),
        };
        let output = CreateOutput {
            arn: provider.arn(),
            tags: wire_tags(&provider.tags),
        };
        Ok((vec![Mutation::OidcProvider(provider)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArnInput {
    #[serde(rename = "OpenIDConnectProviderArn")]
    arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetOutput {
    url: String,
    #[serde(rename = "ClientIDList")]
    client_id_list: Vec<String>,
    thumbprint_list: Vec<String>,
    create_date: String,
    tags: Vec<WireTag>,
}

/// GetOpenIDConnectProvider. As on AWS, the URL is shown without its scheme.
pub(super) fn get(cx: &Cx<'_>, input: ArnInput) -> Result<GetOutput, Error> {
    cx.service.read(|state| {
        let provider = authorized(
            cx,
            state,
            Action::GetOpenIDConnectProvider.iam_action(),
            &input.arn,
            &[],
        )?;
        let mut tags = provider.tags.clone();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(GetOutput {
            url: provider.url.clone(),
            client_id_list: provider.client_ids.clone(),
            thumbprint_list: provider.thumbprints.clone(),
            create_date: iso8601(provider.created),
            tags: wire_tags(&tags),
        })
    })
}

#[derive(Deserialize)]
pub(super) struct ListInput {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListOutput {
    #[serde(rename = "OpenIDConnectProviderList")]
    providers: Vec<ListEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListEntry {
    arn: String,
}

pub(super) fn list(cx: &Cx<'_>, _input: ListInput) -> Result<ListOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::ListOpenIDConnectProviders.iam_action(),
            "*",
            &[],
            &[],
        )?;
        let providers = account(cx, state)?
            .oidc_providers
            .values()
            .map(|p| ListEntry { arn: p.arn() })
            .collect();
        Ok(ListOutput { providers })
    })
}

pub(super) fn delete(cx: &Cx<'_>, input: ArnInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let provider = authorized(
            cx,
            state,
            Action::DeleteOpenIDConnectProvider.iam_action(),
            &input.arn,
            &[],
        )?;
        let mutation = Mutation::DeleteOidcProvider {
            account: provider.account,
            url: provider.url.clone(),
        };
        Ok((vec![mutation], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ClientIdInput {
    #[serde(rename = "OpenIDConnectProviderArn")]
    arn: String,
    #[serde(rename = "ClientID")]
    client_id: String,
}

/// AddClientIDToOpenIDConnectProvider: a client id already there changes nothing.
pub(super) fn add_client_id(cx: &Cx<'_>, input: ClientIdInput) -> Result<(), Error> {
    let action = Action::AddClientIDToOpenIDConnectProvider.iam_action();
    change(cx, action, &input.arn, &[], |provider| {
        let mut ids = provider.client_ids.clone();
        ids.push(input.client_id.clone());
        provider.client_ids = check_client_ids(&ids)?;
        Ok(())
    })
}

/// RemoveClientIDFromOpenIDConnectProvider: removing an absent client id is no error.
pub(super) fn remove_client_id(cx: &Cx<'_>, input: ClientIdInput) -> Result<(), Error> {
    let action = Action::RemoveClientIDFromOpenIDConnectProvider.iam_action();
    change(cx, action, &input.arn, &[], |provider| {
        provider.client_ids.retain(|id| *id != input.client_id);
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ThumbprintInput {
    #[serde(rename = "OpenIDConnectProviderArn")]
    arn: String,
    #[serde(default)]
    thumbprint_list: Vec<String>,
}

/// UpdateOpenIDConnectProviderThumbprint: replaces the whole list.
pub(super) fn update_thumbprints(cx: &Cx<'_>, input: ThumbprintInput) -> Result<(), Error> {
    let thumbprints = check_thumbprints(&input.thumbprint_list)?;
    let action = Action::UpdateOpenIDConnectProviderThumbprint.iam_action();
    change(cx, action, &input.arn, &[], |provider| {
        provider.thumbprints = thumbprints.clone();
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagInput {
    #[serde(rename = "OpenIDConnectProviderArn")]
    arn: String,
    #[serde(default)]
    tags: Vec<WireTag>,
}

pub(super) fn tag(cx: &Cx<'_>, input: TagInput) -> Result<(), Error> {
    let tags = tags_from_wire(&input.tags)?;
    let keys = request_tag_keys(&tags);
    change(
        cx,
        Action::TagOpenIDConnectProvider.iam_action(),
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
    #[serde(rename = "OpenIDConnectProviderArn")]
    arn: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub(super) fn untag(cx: &Cx<'_>, input: UntagInput) -> Result<(), Error> {
    let keys = untag_context(&input.tag_keys);
    change(
        cx,
        Action::UntagOpenIDConnectProvider.iam_action(),
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
    #[serde(rename = "OpenIDConnectProviderArn")]
    arn: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_provider_tags(
    cx: &Cx<'_>,
    input: ListTagsInput,
) -> Result<ListTagsOutput, Error> {
    cx.service.read(|state| {
        let action = Action::ListOpenIDConnectProviderTags.iam_action();
        let provider = authorized(cx, state, action, &input.arn, &[])?;
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
    update: impl Fn(&mut OidcProvider) -> Result<(), Error>,
) -> Result<(), Error> {
    cx.service.write(|state| {
        let mut provider = authorized(cx, state, action, arn, extra)?.clone();
        update(&mut provider)?;
        Ok((vec![Mutation::OidcProvider(provider)], ()))
    })
}
