//! The IAM and STS operations, one module per AWS concept, and the one `match` that
//! dispatches an [`Action`] to its handler. Every handler authorizes before it looks anything
//! up.

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
mod sts;
mod tags;
mod users;

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::Action;
use crate::error::Error;
use crate::model::{Group, Role, Tag, User};
use crate::service::{Cx, RequestInfo, Service, run};

pub(crate) use access_keys::KEYS_PER_USER;

/// Performs `cx.action`: one arm per operation, and one for every operation not built yet.
pub(crate) fn dispatch(cx: &Cx<'_>, input: Value) -> Result<Value, Error> {
    match cx.action {
        Action::AddClientIDToOpenIDConnectProvider => run(cx, input, oidc_providers::add_client_id),
        Action::AddRoleToInstanceProfile => run(cx, input, instance_profiles::add_role),
        Action::AddUserToGroup => run(cx, input, groups::add_user_to_group),
        Action::AssumeRole => run(cx, input, sts::assume_role),
        Action::AssumeRoleWithSAML => sts::assume_role_with_saml(cx.service, cx.info, input),
        Action::AssumeRoleWithWebIdentity => {
            sts::assume_role_with_web_identity(cx.service, cx.info, input)
        }
        Action::AttachGroupPolicy => run(cx, input, attachments::attach_group_policy),
        Action::AttachRolePolicy => run(cx, input, attachments::attach_role_policy),
        Action::AttachUserPolicy => run(cx, input, attachments::attach_user_policy),
        Action::CreateAccessKey => run(cx, input, access_keys::create_access_key),
        Action::CreateAccountAlias => run(cx, input, account::create_account_alias),
        Action::CreateGroup => run(cx, input, groups::create_group),
        Action::CreateInstanceProfile => run(cx, input, instance_profiles::create_instance_profile),
        Action::CreateOpenIDConnectProvider => run(cx, input, oidc_providers::create),
        Action::CreatePolicy => run(cx, input, policies::create_policy),
        Action::CreatePolicyVersion => run(cx, input, policy_versions::create_policy_version),
        Action::CreateRole => run(cx, input, roles::create_role),
        Action::CreateSAMLProvider => run(cx, input, saml_providers::create),
        Action::CreateUser => run(cx, input, users::create_user),
        Action::CreateVirtualMFADevice => run(cx, input, mfa::create_virtual_mfa_device),
        Action::DeactivateMFADevice => run(cx, input, mfa::deactivate_mfa_device),
        Action::DecodeAuthorizationMessage => run(cx, input, sts::decode_authorization_message),
        Action::DeleteAccessKey => run(cx, input, access_keys::delete_access_key),
        Action::DeleteAccountAlias => run(cx, input, account::delete_account_alias),
        Action::DeleteGroup => run(cx, input, groups::delete_group),
        Action::DeleteGroupPolicy => run(cx, input, inline_policies::delete_policy::<Group>),
        Action::DeleteInstanceProfile => run(cx, input, instance_profiles::delete_instance_profile),
        Action::DeleteOpenIDConnectProvider => run(cx, input, oidc_providers::delete),
        Action::DeletePolicy => run(cx, input, policies::delete_policy),
        Action::DeletePolicyVersion => run(cx, input, policy_versions::delete_policy_version),
        Action::DeleteRole => run(cx, input, roles::delete_role),
        Action::DeleteRolePermissionsBoundary => run(cx, input, boundaries::delete::<Role>),
        Action::DeleteRolePolicy => run(cx, input, inline_policies::delete_policy::<Role>),
        Action::DeleteSAMLProvider => run(cx, input, saml_providers::delete),
        Action::DeleteUser => run(cx, input, users::delete_user),
        Action::DeleteUserPermissionsBoundary => run(cx, input, boundaries::delete::<User>),
        Action::DeleteUserPolicy => run(cx, input, inline_policies::delete_policy::<User>),
        Action::DeleteVirtualMFADevice => run(cx, input, mfa::delete_virtual_mfa_device),
        Action::DetachGroupPolicy => run(cx, input, attachments::detach_group_policy),
        Action::DetachRolePolicy => run(cx, input, attachments::detach_role_policy),
        Action::DetachUserPolicy => run(cx, input, attachments::detach_user_policy),
        Action::EnableMFADevice => run(cx, input, mfa::enable_mfa_device),
        Action::GetAccessKeyInfo => run(cx, input, sts::get_access_key_info),
        Action::GetAccessKeyLastUsed => run(cx, input, access_keys::get_access_key_last_used),
        Action::GetAccountAuthorizationDetails => {
            run(cx, input, account::get_account_authorization_details)
        }
        Action::GetAccountSummary => run(cx, input, account::get_account_summary),
        Action::GetCallerIdentity => run(cx, input, identity::get_caller_identity),
        Action::GetContextKeysForCustomPolicy => {
            run(cx, input, simulate::context_keys_for_custom_policy)
        }
        Action::GetContextKeysForPrincipalPolicy => {
            run(cx, input, simulate::context_keys_for_principal_policy)
        }
        Action::GetFederationToken => run(cx, input, sts::get_federation_token),
        Action::GetGroup => run(cx, input, groups::get_group),
        Action::GetGroupPolicy => run(cx, input, inline_policies::get_policy::<Group>),
        Action::GetInstanceProfile => run(cx, input, instance_profiles::get_instance_profile),
        Action::GetOpenIDConnectProvider => run(cx, input, oidc_providers::get),
        Action::GetPolicy => run(cx, input, policies::get_policy),
        Action::GetPolicyVersion => run(cx, input, policy_versions::get_policy_version),
        Action::GetRole => run(cx, input, roles::get_role),
        Action::GetRolePolicy => run(cx, input, inline_policies::get_policy::<Role>),
        Action::GetSAMLProvider => run(cx, input, saml_providers::get),
        Action::GetSessionToken => run(cx, input, sts::get_session_token),
        Action::GetUser => run(cx, input, users::get_user),
        Action::GetUserPolicy => run(cx, input, inline_policies::get_policy::<User>),
        Action::ListAccessKeys => run(cx, input, access_keys::list_access_keys),
        Action::ListAccountAliases => run(cx, input, account::list_account_aliases),
        Action::ListAttachedGroupPolicies => {
            run(cx, input, attachments::list_attached_group_policies)
        }
        Action::ListAttachedRolePolicies => {
            run(cx, input, attachments::list_attached_role_policies)
        }
        Action::ListAttachedUserPolicies => {
            run(cx, input, attachments::list_attached_user_policies)
        }
        Action::ListEntitiesForPolicy => run(cx, input, policies::list_entities_for_policy),
        Action::ListGroupPolicies => run(cx, input, inline_policies::list_policies::<Group>),
        Action::ListGroups => run(cx, input, groups::list_groups),
        Action::ListGroupsForUser => run(cx, input, groups::list_groups_for_user),
        Action::ListInstanceProfileTags => {
            run(cx, input, instance_profiles::list_instance_profile_tags)
        }
        Action::ListInstanceProfiles => run(cx, input, instance_profiles::list_instance_profiles),
        Action::ListInstanceProfilesForRole => run(
            cx,
            input,
            instance_profiles::list_instance_profiles_for_role,
        ),
        Action::ListMFADevices => run(cx, input, mfa::list_mfa_devices),
        Action::ListOpenIDConnectProviderTags => run(cx, input, oidc_providers::list_provider_tags),
        Action::ListOpenIDConnectProviders => run(cx, input, oidc_providers::list),
        Action::ListPolicies => run(cx, input, policies::list_policies),
        Action::ListPolicyTags => run(cx, input, tags::list_policy_tags),
        Action::ListPolicyVersions => run(cx, input, policy_versions::list_policy_versions),
        Action::ListRolePolicies => run(cx, input, inline_policies::list_policies::<Role>),
        Action::ListRoleTags => run(cx, input, roles::list_role_tags),
        Action::ListRoles => run(cx, input, roles::list_roles),
        Action::ListSAMLProviderTags => run(cx, input, saml_providers::list_provider_tags),
        Action::ListSAMLProviders => run(cx, input, saml_providers::list),
        Action::ListUserPolicies => run(cx, input, inline_policies::list_policies::<User>),
        Action::ListUserTags => run(cx, input, tags::list_user_tags),
        Action::ListUsers => run(cx, input, users::list_users),
        Action::ListVirtualMFADevices => run(cx, input, mfa::list_virtual_mfa_devices),
        Action::PutGroupPolicy => run(cx, input, inline_policies::put_policy::<Group>),
        Action::PutRolePermissionsBoundary => run(cx, input, boundaries::put::<Role>),
        Action::PutRolePolicy => run(cx, input, inline_policies::put_policy::<Role>),
        Action::PutUserPermissionsBoundary => run(cx, input, boundaries::put::<User>),
        Action::PutUserPolicy => run(cx, input, inline_policies::put_policy::<User>),
        Action::RemoveClientIDFromOpenIDConnectProvider => {
            run(cx, input, oidc_providers::remove_client_id)
        }
        Action::RemoveRoleFromInstanceProfile => run(cx, input, instance_profiles::remove_role),
        Action::RemoveUserFromGroup => run(cx, input, groups::remove_user_from_group),
        Action::ResyncMFADevice => run(cx, input, mfa::resync_mfa_device),
        Action::SetDefaultPolicyVersion => {
            run(cx, input, policy_versions::set_default_policy_version)
        }
        Action::SimulateCustomPolicy => run(cx, input, simulate::simulate_custom_policy),
        Action::SimulatePrincipalPolicy => run(cx, input, simulate::simulate_principal_policy),
        Action::TagInstanceProfile => run(cx, input, instance_profiles::tag_instance_profile),
        Action::TagOpenIDConnectProvider => run(cx, input, oidc_providers::tag),
        Action::TagPolicy => run(cx, input, tags::tag_policy),
        Action::TagRole => run(cx, input, roles::tag_role),
        Action::TagSAMLProvider => run(cx, input, saml_providers::tag),
        Action::TagUser => run(cx, input, tags::tag_user),
        Action::UntagInstanceProfile => run(cx, input, instance_profiles::untag_instance_profile),
        Action::UntagOpenIDConnectProvider => run(cx, input, oidc_providers::untag),
        Action::UntagPolicy => run(cx, input, tags::untag_policy),
        Action::UntagRole => run(cx, input, roles::untag_role),
        Action::UntagSAMLProvider => run(cx, input, saml_providers::untag),
        Action::UntagUser => run(cx, input, tags::untag_user),
        Action::UpdateAccessKey => run(cx, input, access_keys::update_access_key),
        Action::UpdateAssumeRolePolicy => run(cx, input, roles::update_assume_role_policy),
        Action::UpdateGroup => run(cx, input, groups::update_group),
        Action::UpdateOpenIDConnectProviderThumbprint => {
            run(cx, input, oidc_providers::update_thumbprints)
        }
        Action::UpdateRole => run(cx, input, roles::update_role),
        Action::UpdateRoleDescription => run(cx, input, roles::update_role_description),
        Action::UpdateSAMLProvider => run(cx, input, saml_providers::update),
        Action::UpdateUser => run(cx, input, users::update_user),
        Action::AcceptDelegationRequest
        | Action::AssociateDelegationRequest
        | Action::AssumeRoot
        | Action::ChangePassword
        | Action::CreateDelegationRequest
        | Action::CreateLoginProfile
        | Action::CreateServiceLinkedRole
        | Action::CreateServiceSpecificCredential
        | Action::DeleteAccountPasswordPolicy
        | Action::DeleteLoginProfile
        | Action::DeleteSSHPublicKey
        | Action::DeleteServerCertificate
        | Action::DeleteServiceLinkedRole
        | Action::DeleteServiceSpecificCredential
        | Action::DeleteSigningCertificate
        | Action::DisableOrganizationsRootCredentialsManagement
        | Action::DisableOrganizationsRootSessions
        | Action::DisableOutboundWebIdentityFederation
        | Action::EnableOrganizationsRootCredentialsManagement
        | Action::EnableOrganizationsRootSessions
        | Action::EnableOutboundWebIdentityFederation
        | Action::GenerateCredentialReport
        | Action::GenerateOrganizationsAccessReport
        | Action::GenerateServiceLastAccessedDetails
        | Action::GetAccountPasswordPolicy
        | Action::GetCredentialReport
        | Action::GetDelegatedAccessToken
        | Action::GetDelegationRequest
        | Action::GetHumanReadableSummary
        | Action::GetLoginProfile
        | Action::GetMFADevice
        | Action::GetOrganizationsAccessReport
        | Action::GetOutboundWebIdentityFederationInfo
        | Action::GetSSHPublicKey
        | Action::GetServerCertificate
        | Action::GetServiceLastAccessedDetails
        | Action::GetServiceLastAccessedDetailsWithEntities
        | Action::GetServiceLinkedRoleDeletionStatus
        | Action::GetWebIdentityToken
        | Action::ListDelegationRequests
        | Action::ListMFADeviceTags
        | Action::ListOrganizationsFeatures
        | Action::ListPoliciesGrantingServiceAccess
        | Action::ListSSHPublicKeys
        | Action::ListServerCertificateTags
        | Action::ListServerCertificates
        | Action::ListServiceSpecificCredentials
        | Action::ListSigningCertificates
        | Action::RejectDelegationRequest
        | Action::ResetServiceSpecificCredential
        | Action::SendDelegationToken
        | Action::SetSecurityTokenServicePreferences
        | Action::TagMFADevice
        | Action::TagServerCertificate
        | Action::UntagMFADevice
        | Action::UntagServerCertificate
        | Action::UpdateAccountPasswordPolicy
        | Action::UpdateDelegationRequest
        | Action::UpdateLoginProfile
        | Action::UpdateSSHPublicKey
        | Action::UpdateServerCertificate
        | Action::UpdateServiceSpecificCredential
        | Action::UpdateSigningCertificate
        | Action::UploadSSHPublicKey
        | Action::UploadServerCertificate
        | Action::UploadSigningCertificate => Err(not_built(cx.action)),
    }
}

/// Performs an STS call that takes no AWS credentials: AssumeRoleWithWebIdentity and
/// AssumeRoleWithSAML, whose caller proves who it is with an identity provider's token or
/// assertion. Who signed such a call, if anyone, plays no part.
pub(crate) fn dispatch_unsigned(
    service: &Service,
    info: &RequestInfo,
    action: Action,
    input: Value,
) -> Result<Value, Error> {
    match action {
        Action::AssumeRoleWithWebIdentity => {
            sts::assume_role_with_web_identity(service, info, input)
        }
        Action::AssumeRoleWithSAML => sts::assume_role_with_saml(service, info, input),
        other => Err(not_built(other)),
    }
}

/// What AWS answers for an action it does not know: the answer to every operation of the
/// models that is not built here.
fn not_built(action: Action) -> Error {
    Error::InvalidAction(format!(
        "The action {} is not valid for this web service.",
        action.name()
    ))
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
    for part in [cx.action.name(), cx.caller.account.as_str()]
        .iter()
        .chain(scope)
    {
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
