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
mod passwords;
mod policies;
mod policy_versions;
mod roles;
mod saml_providers;
mod simulate;
pub(crate) mod sts;
mod tags;
mod users;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::Action;
use crate::error::Error;
use crate::model::{EntityPath, Group, Role, Tag, User};
use crate::service::{Caller, Cx, RequestInfo, Service, run};
use crate::state::Keyed;
use crate::wire::{Input, Output, ToValue};

pub(crate) use access_keys::KEYS_PER_USER;

/// The entry points: an action performed for a caller, or one that takes no credentials.
impl Service {
    /// Performs one IAM or STS action for `caller`. `input` holds the request's parameters
    /// as the wire model decoded them (member names as keys); the result uses the same
    /// names for the response.
    pub fn call(
        &self,
        caller: &Caller,
        info: &RequestInfo,
        action: Action,
        input: Value,
    ) -> Result<Value, Error> {
        self.call_with(caller, info, action, input, ToValue)
    }

    /// [`Service::call`] with the handler's input read from `input` and its output written
    /// to `output`, with no JSON value in between.
    pub fn call_with<In: Input, Out: Output>(
        &self,
        caller: &Caller,
        info: &RequestInfo,
        action: Action,
        input: In,
        output: Out,
    ) -> Result<Out::Written, Error> {
        crate::sessions::check_action(caller, action)?;
        let cx = Cx {
            service: self,
            caller,
            info,
            action,
        };
        dispatch(&cx, input, output)
    }

    /// Performs an STS action that takes no AWS credentials (one whose
    /// [`Action::signed`] is false): AssumeRoleWithWebIdentity and AssumeRoleWithSAML, whose
    /// caller proves who it is with an identity provider's token or assertion instead.
    pub fn call_unsigned(
        &self,
        info: &RequestInfo,
        action: Action,
        input: Value,
    ) -> Result<Value, Error> {
        self.call_unsigned_with(info, action, input, ToValue)
    }

    /// [`Service::call_unsigned`] with the input read from `input` and the output written to
    /// `output`.
    pub fn call_unsigned_with<In: Input, Out: Output>(
        &self,
        info: &RequestInfo,
        action: Action,
        input: In,
        output: Out,
    ) -> Result<Out::Written, Error> {
        dispatch_unsigned(self, info, action, input, output)
    }
}

/// Performs `cx.action`, reading its input from `input` and writing its output to `output`.
pub(crate) fn dispatch<In: Input, Out: Output>(
    cx: &Cx<'_>,
    input: In,
    output: Out,
) -> Result<Out::Written, Error> {
    handle(cx.action, Signed { cx, input, output })
}

/// Performs an STS call that takes no AWS credentials: AssumeRoleWithWebIdentity and
/// AssumeRoleWithSAML, whose caller proves who it is with an identity provider's token or
/// assertion. Who signed such a call, if anyone, plays no part.
pub(crate) fn dispatch_unsigned<In: Input, Out: Output>(
    service: &Service,
    info: &RequestInfo,
    action: Action,
    input: In,
    output: Out,
) -> Result<Out::Written, Error> {
    handle(
        action,
        Unsigned {
            service,
            info,
            action,
            input,
            output,
        },
    )
}

/// The input type `action`'s handler reads, as [`crate::wire_shape`] sees it; `None` for an
/// operation not built yet.
pub(crate) fn input_shape(action: Action) -> Option<crate::wire_shape::WireShape> {
    handle(action, Describe)
}

/// What is done with the handler [`handle`] finds for an action: calling it, or describing it.
trait Handling {
    type Output;

    /// An operation of an authenticated caller.
    fn handler<I: DeserializeOwned, O: Serialize>(
        self,
        op: fn(&Cx<'_>, I) -> Result<O, Error>,
    ) -> Self::Output;

    /// An operation whose caller needs no AWS credentials.
    fn unsigned<I: DeserializeOwned, O: Serialize>(
        self,
        op: fn(&Service, &RequestInfo, I) -> Result<O, Error>,
    ) -> Self::Output;

    fn not_built(self, action: Action) -> Self::Output;
}

/// One arm per operation, and one for every operation not built yet.
fn handle<H: Handling>(action: Action, handling: H) -> H::Output {
    match action {
        Action::AddClientIDToOpenIDConnectProvider => {
            handling.handler(oidc_providers::add_client_id)
        }
        Action::AddRoleToInstanceProfile => handling.handler(instance_profiles::add_role),
        Action::AddUserToGroup => handling.handler(groups::add_user_to_group),
        Action::AssumeRole => handling.handler(sts::assume_role),
        Action::AssumeRoleWithSAML => handling.unsigned(sts::assume_role_with_saml),
        Action::AssumeRoleWithWebIdentity => handling.unsigned(sts::assume_role_with_web_identity),
        Action::AttachGroupPolicy => handling.handler(attachments::attach_group_policy),
        Action::AttachRolePolicy => handling.handler(attachments::attach_role_policy),
        Action::AttachUserPolicy => handling.handler(attachments::attach_user_policy),
        Action::CreateAccessKey => handling.handler(access_keys::create_access_key),
        Action::CreateAccountAlias => handling.handler(account::create_account_alias),
        Action::CreateGroup => handling.handler(groups::create_group),
        Action::CreateInstanceProfile => {
            handling.handler(instance_profiles::create_instance_profile)
        }
        Action::ChangePassword => handling.handler(passwords::change_password),
        Action::CreateLoginProfile => handling.handler(passwords::create_login_profile),
        Action::DeleteAccountPasswordPolicy => {
            handling.handler(passwords::delete_account_password_policy)
        }
        Action::DeleteLoginProfile => handling.handler(passwords::delete_login_profile),
        Action::GetAccountPasswordPolicy => {
            handling.handler(passwords::get_account_password_policy)
        }
        Action::GetLoginProfile => handling.handler(passwords::get_login_profile),
        Action::UpdateAccountPasswordPolicy => {
            handling.handler(passwords::update_account_password_policy)
        }
        Action::UpdateLoginProfile => handling.handler(passwords::update_login_profile),
        Action::CreateOpenIDConnectProvider => handling.handler(oidc_providers::create),
        Action::CreatePolicy => handling.handler(policies::create_policy),
        Action::CreatePolicyVersion => handling.handler(policy_versions::create_policy_version),
        Action::CreateRole => handling.handler(roles::create_role),
        Action::CreateSAMLProvider => handling.handler(saml_providers::create),
        Action::CreateUser => handling.handler(users::create_user),
        Action::CreateVirtualMFADevice => handling.handler(mfa::create_virtual_mfa_device),
        Action::DeactivateMFADevice => handling.handler(mfa::deactivate_mfa_device),
        Action::DecodeAuthorizationMessage => handling.handler(sts::decode_authorization_message),
        Action::DeleteAccessKey => handling.handler(access_keys::delete_access_key),
        Action::DeleteAccountAlias => handling.handler(account::delete_account_alias),
        Action::DeleteGroup => handling.handler(groups::delete_group),
        Action::DeleteGroupPolicy => handling.handler(inline_policies::delete_policy::<Group>),
        Action::DeleteInstanceProfile => {
            handling.handler(instance_profiles::delete_instance_profile)
        }
        Action::DeleteOpenIDConnectProvider => handling.handler(oidc_providers::delete),
        Action::DeletePolicy => handling.handler(policies::delete_policy),
        Action::DeletePolicyVersion => handling.handler(policy_versions::delete_policy_version),
        Action::DeleteRole => handling.handler(roles::delete_role),
        Action::DeleteRolePermissionsBoundary => handling.handler(boundaries::delete::<Role>),
        Action::DeleteRolePolicy => handling.handler(inline_policies::delete_policy::<Role>),
        Action::DeleteSAMLProvider => handling.handler(saml_providers::delete),
        Action::DeleteUser => handling.handler(users::delete_user),
        Action::DeleteUserPermissionsBoundary => handling.handler(boundaries::delete::<User>),
        Action::DeleteUserPolicy => handling.handler(inline_policies::delete_policy::<User>),
        Action::DeleteVirtualMFADevice => handling.handler(mfa::delete_virtual_mfa_device),
        Action::DetachGroupPolicy => handling.handler(attachments::detach_group_policy),
        Action::DetachRolePolicy => handling.handler(attachments::detach_role_policy),
        Action::DetachUserPolicy => handling.handler(attachments::detach_user_policy),
        Action::EnableMFADevice => handling.handler(mfa::enable_mfa_device),
        Action::GetMFADevice => handling.handler(mfa::get_mfa_device),
        Action::GetAccessKeyInfo => handling.handler(sts::get_access_key_info),
        Action::GetAccessKeyLastUsed => handling.handler(access_keys::get_access_key_last_used),
        Action::GetAccountAuthorizationDetails => {
            handling.handler(account::get_account_authorization_details)
        }
        Action::GetAccountSummary => handling.handler(account::get_account_summary),
        Action::GetCallerIdentity => handling.handler(identity::get_caller_identity),
        Action::GetContextKeysForCustomPolicy => {
            handling.handler(simulate::context_keys_for_custom_policy)
        }
        Action::GetContextKeysForPrincipalPolicy => {
            handling.handler(simulate::context_keys_for_principal_policy)
        }
        Action::GetFederationToken => handling.handler(sts::get_federation_token),
        Action::GetGroup => handling.handler(groups::get_group),
        Action::GetGroupPolicy => handling.handler(inline_policies::get_policy::<Group>),
        Action::GetInstanceProfile => handling.handler(instance_profiles::get_instance_profile),
        Action::GetOpenIDConnectProvider => handling.handler(oidc_providers::get),
        Action::GetPolicy => handling.handler(policies::get_policy),
        Action::GetPolicyVersion => handling.handler(policy_versions::get_policy_version),
        Action::GetRole => handling.handler(roles::get_role),
        Action::GetRolePolicy => handling.handler(inline_policies::get_policy::<Role>),
        Action::GetSAMLProvider => handling.handler(saml_providers::get),
        Action::GetSessionToken => handling.handler(sts::get_session_token),
        Action::GetUser => handling.handler(users::get_user),
        Action::GetUserPolicy => handling.handler(inline_policies::get_policy::<User>),
        Action::ListAccessKeys => handling.handler(access_keys::list_access_keys),
        Action::ListAccountAliases => handling.handler(account::list_account_aliases),
        Action::ListAttachedGroupPolicies => {
            handling.handler(attachments::list_attached_group_policies)
        }
        Action::ListAttachedRolePolicies => {
            handling.handler(attachments::list_attached_role_policies)
        }
        Action::ListAttachedUserPolicies => {
            handling.handler(attachments::list_attached_user_policies)
        }
        Action::ListEntitiesForPolicy => handling.handler(policies::list_entities_for_policy),
        Action::ListGroupPolicies => handling.handler(inline_policies::list_policies::<Group>),
        Action::ListGroups => handling.handler(groups::list_groups),
        Action::ListGroupsForUser => handling.handler(groups::list_groups_for_user),
        Action::ListInstanceProfileTags => {
            handling.handler(instance_profiles::list_instance_profile_tags)
        }
        Action::ListInstanceProfiles => handling.handler(instance_profiles::list_instance_profiles),
        Action::ListInstanceProfilesForRole => {
            handling.handler(instance_profiles::list_instance_profiles_for_role)
        }
        Action::ListMFADevices => handling.handler(mfa::list_mfa_devices),
        Action::ListMFADeviceTags => handling.handler(mfa::list_mfa_device_tags),
        Action::ListOpenIDConnectProviderTags => {
            handling.handler(oidc_providers::list_provider_tags)
        }
        Action::ListOpenIDConnectProviders => handling.handler(oidc_providers::list),
        Action::ListPolicies => handling.handler(policies::list_policies),
        Action::ListPolicyTags => handling.handler(tags::list_policy_tags),
        Action::ListPolicyVersions => handling.handler(policy_versions::list_policy_versions),
        Action::ListRolePolicies => handling.handler(inline_policies::list_policies::<Role>),
        Action::ListRoleTags => handling.handler(roles::list_role_tags),
        Action::ListRoles => handling.handler(roles::list_roles),
        Action::ListSAMLProviderTags => handling.handler(saml_providers::list_provider_tags),
        Action::ListSAMLProviders => handling.handler(saml_providers::list),
        Action::ListUserPolicies => handling.handler(inline_policies::list_policies::<User>),
        Action::ListUserTags => handling.handler(tags::list_user_tags),
        Action::ListUsers => handling.handler(users::list_users),
        Action::ListVirtualMFADevices => handling.handler(mfa::list_virtual_mfa_devices),
        Action::PutGroupPolicy => handling.handler(inline_policies::put_policy::<Group>),
        Action::PutRolePermissionsBoundary => handling.handler(boundaries::put::<Role>),
        Action::PutRolePolicy => handling.handler(inline_policies::put_policy::<Role>),
        Action::PutUserPermissionsBoundary => handling.handler(boundaries::put::<User>),
        Action::PutUserPolicy => handling.handler(inline_policies::put_policy::<User>),
        Action::RemoveClientIDFromOpenIDConnectProvider => {
            handling.handler(oidc_providers::remove_client_id)
        }
        Action::RemoveRoleFromInstanceProfile => handling.handler(instance_profiles::remove_role),
        Action::RemoveUserFromGroup => handling.handler(groups::remove_user_from_group),
        Action::ResyncMFADevice => handling.handler(mfa::resync_mfa_device),
        Action::SetDefaultPolicyVersion => {
            handling.handler(policy_versions::set_default_policy_version)
        }
        Action::SimulateCustomPolicy => handling.handler(simulate::simulate_custom_policy),
        Action::SimulatePrincipalPolicy => handling.handler(simulate::simulate_principal_policy),
        Action::TagMFADevice => handling.handler(mfa::tag_mfa_device),
        Action::TagInstanceProfile => handling.handler(instance_profiles::tag_instance_profile),
        Action::TagOpenIDConnectProvider => handling.handler(oidc_providers::tag),
        Action::TagPolicy => handling.handler(tags::tag_policy),
        Action::TagRole => handling.handler(roles::tag_role),
        Action::TagSAMLProvider => handling.handler(saml_providers::tag),
        Action::TagUser => handling.handler(tags::tag_user),
        Action::UntagMFADevice => handling.handler(mfa::untag_mfa_device),
        Action::UntagInstanceProfile => handling.handler(instance_profiles::untag_instance_profile),
        Action::UntagOpenIDConnectProvider => handling.handler(oidc_providers::untag),
        Action::UntagPolicy => handling.handler(tags::untag_policy),
        Action::UntagRole => handling.handler(roles::untag_role),
        Action::UntagSAMLProvider => handling.handler(saml_providers::untag),
        Action::UntagUser => handling.handler(tags::untag_user),
        Action::UpdateAccessKey => handling.handler(access_keys::update_access_key),
        Action::UpdateAssumeRolePolicy => handling.handler(roles::update_assume_role_policy),
        Action::UpdateGroup => handling.handler(groups::update_group),
        Action::UpdateOpenIDConnectProviderThumbprint => {
            handling.handler(oidc_providers::update_thumbprints)
        }
        Action::UpdateRole => handling.handler(roles::update_role),
        Action::UpdateRoleDescription => handling.handler(roles::update_role_description),
        Action::UpdateSAMLProvider => handling.handler(saml_providers::update),
        Action::UpdateUser => handling.handler(users::update_user),
        Action::AcceptDelegationRequest
        | Action::AssociateDelegationRequest
        | Action::AssumeRoot
        | Action::CreateDelegationRequest
        | Action::CreateServiceLinkedRole
        | Action::CreateServiceSpecificCredential
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
        | Action::GetCredentialReport
        | Action::GetDelegatedAccessToken
        | Action::GetDelegationRequest
        | Action::GetHumanReadableSummary
        | Action::GetOrganizationsAccessReport
        | Action::GetOutboundWebIdentityFederationInfo
        | Action::GetSSHPublicKey
        | Action::GetServerCertificate
        | Action::GetServiceLastAccessedDetails
        | Action::GetServiceLastAccessedDetailsWithEntities
        | Action::GetServiceLinkedRoleDeletionStatus
        | Action::GetWebIdentityToken
        | Action::ListDelegationRequests
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
        | Action::TagServerCertificate
        | Action::UntagServerCertificate
        | Action::UpdateDelegationRequest
        | Action::UpdateSSHPublicKey
        | Action::UpdateServerCertificate
        | Action::UpdateServiceSpecificCredential
        | Action::UpdateSigningCertificate
        | Action::UploadSSHPublicKey
        | Action::UploadServerCertificate
        | Action::UploadSigningCertificate => handling.not_built(action),
    }
}

/// A signed call: the handler runs for the authenticated caller.
struct Signed<'c, 'a, In, Out> {
    cx: &'c Cx<'a>,
    input: In,
    output: Out,
}

impl<In: Input, Out: Output> Handling for Signed<'_, '_, In, Out> {
    type Output = Result<Out::Written, Error>;

    fn handler<I: DeserializeOwned, O: Serialize>(
        self,
        op: fn(&Cx<'_>, I) -> Result<O, Error>,
    ) -> Self::Output {
        run(self.cx, self.input, self.output, op)
    }

    fn unsigned<I: DeserializeOwned, O: Serialize>(
        self,
        op: fn(&Service, &RequestInfo, I) -> Result<O, Error>,
    ) -> Self::Output {
        let input = self.input.read()?;
        self.output
            .write(&op(self.cx.service, self.cx.info, input)?)
    }

    fn not_built(self, action: Action) -> Self::Output {
        Err(not_built(action))
    }
}

/// A call without AWS credentials: only the operations that take none run.
struct Unsigned<'s, In, Out> {
    service: &'s Service,
    info: &'s RequestInfo,
    action: Action,
    input: In,
    output: Out,
}

impl<In: Input, Out: Output> Handling for Unsigned<'_, In, Out> {
    type Output = Result<Out::Written, Error>;

    fn handler<I: DeserializeOwned, O: Serialize>(
        self,
        _: fn(&Cx<'_>, I) -> Result<O, Error>,
    ) -> Self::Output {
        Err(not_built(self.action))
    }

    fn unsigned<I: DeserializeOwned, O: Serialize>(
        self,
        op: fn(&Service, &RequestInfo, I) -> Result<O, Error>,
    ) -> Self::Output {
        let input = self.input.read()?;
        self.output.write(&op(self.service, self.info, input)?)
    }

    fn not_built(self, action: Action) -> Self::Output {
        Err(not_built(action))
    }
}

/// Reads the handler's input type instead of running it.
struct Describe;

impl Handling for Describe {
    type Output = Option<crate::wire_shape::WireShape>;

    fn handler<I: DeserializeOwned, O: Serialize>(
        self,
        _: fn(&Cx<'_>, I) -> Result<O, Error>,
    ) -> Self::Output {
        Some(crate::wire_shape::shape_of::<I>())
    }

    fn unsigned<I: DeserializeOwned, O: Serialize>(
        self,
        _: fn(&Service, &RequestInfo, I) -> Result<O, Error>,
    ) -> Self::Output {
        Some(crate::wire_shape::shape_of::<I>())
    }

    fn not_built(self, _: Action) -> Self::Output {
        None
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

/// Pages the entries of a name-keyed map or table that `keep` accepts, seeking straight to the
/// marker instead of walking the entries before it.
pub(crate) fn paginate_map<'m, V: 'm>(
    cx: &Cx<'_>,
    scope: &[&str],
    map: &'m impl Keyed<V>,
    keep: impl Fn(&V) -> bool,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<Page<&'m V>, Error> {
    let purpose = marker_purpose(cx, scope);
    let start = match marker {
        Some(marker) => open_marker(cx, &purpose, marker)?,
        None => String::new(),
    };
    let entries = map.seek(&start).filter(|(_, value)| keep(value));
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

/// Validates an entity path: `/` or `/a/b/`, printable ASCII (see [`EntityPath`]).
pub(crate) fn check_path(path: &str) -> Result<(), Error> {
    EntityPath::new(path).map(drop)
}
