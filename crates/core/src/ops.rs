//! The IAM and STS operations, one module per AWS concept, and the table that routes an
//! action name to its handler. Every handler authorizes before it looks anything up.

pub(crate) mod access_keys;
mod account;
mod attachments;
mod boundaries;
mod groups;
mod identity;
mod inline_policies;
mod instance_profiles;
pub(crate) mod mfa;
mod oidc_providers;
mod policies;
mod policy_versions;
mod roles;
mod saml_providers;
mod simulate;
pub(crate) mod sts;
mod tags;
mod users;

use std::collections::BTreeMap;
use std::ops::{Bound, ControlFlow};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::model::Tag;
use crate::service::Cx;

pub(crate) use access_keys::KEYS_PER_USER;

/// What a module's router does with an action: handles it, or hands the input on.
pub(crate) type Routed = ControlFlow<Result<Value, Error>, Value>;

/// Routes `action` to its handler.
pub(crate) fn dispatch(cx: &Cx<'_>, action: &str, input: Value) -> Result<Value, Error> {
    let routers: &[fn(&Cx<'_>, &str, Value) -> Routed] = &[
        users::route,
        boundaries::route,
        access_keys::route,
        mfa::route,
        identity::route,
        sts::route,
        groups::route,
        inline_policies::route,
        policies::route,
        policy_versions::route,
        attachments::route,
        roles::route,
        instance_profiles::route,
        oidc_providers::route,
        saml_providers::route,
        tags::route,
        account::route,
        simulate::route,
    ];
    let mut input = input;
    for route in routers {
        match route(cx, action, input) {
            ControlFlow::Break(result) => return result,
            ControlFlow::Continue(unhandled) => input = unhandled,
        }
    }
    Err(Error::InvalidAction(format!(
        "The action {action} is not valid for this web service."
    )))
}

/// A tag as the wire model names its members.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireTag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

impl From<&Tag> for WireTag {
    fn from(tag: &Tag) -> Self {
        WireTag {
            key: tag.key.clone(),
            value: tag.value.clone(),
        }
    }
}

pub(crate) fn wire_tags(tags: &[Tag]) -> Vec<WireTag> {
    tags.iter().map(WireTag::from).collect()
}

/// Checks a set of tags as IAM does (at most 50, keys unique case-insensitively, no `aws:`
/// prefix) and converts them.
pub(crate) fn tags_from_wire(tags: &[WireTag]) -> Result<Vec<Tag>, Error> {
    if tags.len() > 50 {
        return Err(Error::LimitExceeded(
            "Cannot exceed quota for TagsPerResource: 50".to_owned(),
        ));
    }
    let mut out: Vec<Tag> = Vec::with_capacity(tags.len());
    for tag in tags {
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(Error::InvalidInput(format!(
                "User-defined tag keys can't start with 'aws:'. Tag key `{}` is reserved.",
                tag.key
            )));
        }
        if out.iter().any(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
            return Err(Error::InvalidInput(format!(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive: `{}`.",
                tag.key
            )));
        }
        out.push(Tag {
            key: tag.key.clone(),
            value: tag.value.clone(),
        });
    }
    Ok(out)
}

/// Merges `new` into `existing` (TagUser and friends): same keys are overwritten.
pub(crate) fn merge_tags(existing: &[Tag], new: Vec<Tag>) -> Result<Vec<Tag>, Error> {
    let mut merged: Vec<Tag> = existing
        .iter()
        .filter(|t| !new.iter().any(|n| n.key.eq_ignore_ascii_case(&t.key)))
        .cloned()
        .collect();
    merged.extend(new);
    if merged.len() > 50 {
        return Err(Error::LimitExceeded(
            "Cannot exceed quota for TagsPerResource: 50".to_owned(),
        ));
    }
    Ok(merged)
}

/// One page of a list, and the marker of the next page when there is one.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub marker: Option<String>,
}

impl<T> Page<T> {
    pub fn is_truncated(&self) -> bool {
        self.marker.is_some()
    }
}

/// Pages `items` (already in list order, each with a unique sort key). The marker of the next
/// page is the key of its first item, sealed for this listing (see [`seal_marker`]).
/// `scope` is whatever besides the action and the caller's account names the listing (the
/// path prefix, the user whose keys are listed, …).
pub(crate) fn paginate<K: AsRef<str>, T>(
    cx: &Cx<'_>,
    scope: &[&str],
    items: impl IntoIterator<Item = (K, T)>,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<Page<T>, Error> {
    let purpose = marker_purpose(cx, scope);
    let start = match marker {
        Some(marker) => Some(open_marker(cx, &purpose, marker)?),
        None => None,
    };
    page_from(cx, &purpose, items, start.as_deref(), max_items)
}

/// Pages the entries of a name-keyed map that `keep` accepts, seeking straight to the
/// marker instead of walking the entries before it.
pub(crate) fn paginate_map<'m, V>(
    cx: &Cx<'_>,
    scope: &[&str],
    map: &'m BTreeMap<String, V>,
    keep: impl Fn(&V) -> bool,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<Page<&'m V>, Error> {
    let purpose = marker_purpose(cx, scope);
    let start = match marker {
        Some(marker) => open_marker(cx, &purpose, marker)?,
        None => String::new(),
    };
    let entries = map
        .range::<str, _>((Bound::Included(start.as_str()), Bound::Unbounded))
        .filter(|(_, value)| keep(value));
    page_from(cx, &purpose, entries, None, max_items)
}

/// The page of `items` from the first whose key is `start` or after it.
fn page_from<K: AsRef<str>, T>(
    cx: &Cx<'_>,
    purpose: &str,
    items: impl IntoIterator<Item = (K, T)>,
    start: Option<&str>,
    max_items: Option<i64>,
) -> Result<Page<T>, Error> {
    let max = usize::try_from(max_items.unwrap_or(100).clamp(1, 1000)).unwrap_or(100);
    let mut page = Vec::new();
    let mut next = None;
    for (key, item) in items {
        let key = key.as_ref();
        if start.is_some_and(|start| key < start) {
            continue;
        }
        if page.len() == max {
            next = Some(seal_marker(cx, purpose, key)?);
            break;
        }
        page.push(item);
    }
    Ok(Page {
        items: page,
        marker: next,
    })
}

/// What a list marker is bound to: the action, the caller's account and the listing's scope,
/// each length-prefixed so that no two listings share a purpose.
fn marker_purpose(cx: &Cx<'_>, scope: &[&str]) -> String {
    let mut purpose = String::from("warden list marker v1");
    for part in [cx.action, cx.caller.account.as_str()].iter().chain(scope) {
        purpose.push_str(&format!("\n{}:{part}", part.len()));
    }
    purpose
}

/// A marker: the next page's first key sealed with AES-256-GCM under the session token key
/// (derived from the master key) with `purpose` as associated data. Clients can neither read
/// nor make one, and it opens only for the listing that issued it.
fn seal_marker(cx: &Cx<'_>, purpose: &str, key: &str) -> Result<String, Error> {
    cx.service
        .tokens
        .seal_message(cx.service.random(), purpose, key.as_bytes())
}

/// The key a marker holds, if this listing issued it; anything else is AWS's `Invalid Marker.`
fn open_marker(cx: &Cx<'_>, purpose: &str, marker: &str) -> Result<String, Error> {
    cx.service
        .tokens
        .open_message(purpose, marker)
        .and_then(|key| String::from_utf8(key).ok())
        .ok_or_else(|| Error::InvalidInput("Invalid Marker.".to_owned()))
}

/// Whether an entity path falls under `prefix` (ListUsers' PathPrefix).
pub(crate) fn under_prefix(path: &str, prefix: Option<&str>) -> bool {
    prefix.is_none_or(|p| path.starts_with(p))
}

/// Validates an entity path: `/` or `/a/b/`, printable ASCII.
pub(crate) fn check_path(path: &str) -> Result<(), Error> {
    let valid = path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && !path.contains("//")
        && path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if valid {
        Ok(())
    } else {
        Err(Error::ValidationError(format!(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: `{path}`."
        )))
    }
}
