//! A Deny on an entity's ARN holds however a request spells the entity's name. IAM finds
//! users, groups, roles, managed policies, instance profiles and MFA devices by name
//! case-insensitively while policies match ARNs case-sensitively, so an operation must
//! authorize the entity's own ARN (stored name and path), not the request's spelling.
//!
//! Every operation that takes a name or an ARN (found in the IAM service model, so a new one
//! cannot be left out) is called with a case variant by a user allowed everything except what
//! is denied on the entities' own ARNs.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers, like the tests that call them, fail loudly"
)]

mod common;

use std::collections::BTreeSet;

use common::Harness;
use serde_json::{Value, json};
use warden_core::{Caller, Error};

const ACCOUNT: &str = "111122223333";
const METADATA: &str = include_str!("../../saml/src/testdata/metadata.xml");

fn arn(resource: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{resource}")
}

fn document(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn allow_s3() -> String {
    document(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]))
}

fn trust() -> String {
    document(
        json!([{"Effect": "Allow", "Principal": {"AWS": arn("root")}, "Action": "sts:AssumeRole"}]),
    )
}

/// The entities' own ARNs, as created.
fn user() -> String {
    arn("user/team/Alice")
}
fn group() -> String {
    arn("group/team/Admins")
}
fn role() -> String {
    arn("role/team/Deployer")
}
fn policy() -> String {
    arn("policy/team/Protected")
}
fn profile() -> String {
    arn("instance-profile/team/WebServer")
}
fn device() -> String {
    arn("mfa/team/Alice-Phone")
}
fn oidc_provider() -> String {
    arn("oidc-provider/issuer.example.com/Tenant")
}
fn saml_provider() -> String {
    arn("saml-provider/Okta-Prod")
}

/// The same entities as requests spell them here: the names upper-cased.
const USER: &str = "ALICE";
const GROUP: &str = "ADMINS";
const ROLE: &str = "DEPLOYER";
const PROFILE: &str = "WEBSERVER";
fn policy_variant() -> String {
    arn("policy/team/PROTECTED")
}
fn device_variant() -> String {
    arn("mfa/team/ALICE-PHONE")
}

/// A service holding one entity of each kind, with mixed-case names under `/team/`, and
/// mallory: allowed everything, denied everything on those entities' ARNs.
fn world() -> (Harness, Caller) {
    let h = Harness::new();
    let root = |action: &str, input: Value| {
        h.root_call(action, input)
            .unwrap_or_else(|e| panic!("{action}: {e}"));
    };
    root("CreateUser", json!({"UserName": "Alice", "Path": "/team/"}));
    root(
        "CreateGroup",
        json!({"GroupName": "Admins", "Path": "/team/"}),
    );
    for name in ["Deployer", "Other"] {
        root(
            "CreateRole",
            json!({"RoleName": name, "Path": "/team/", "AssumeRolePolicyDocument": trust()}),
        );
    }
    root(
        "CreatePolicy",
        json!({"PolicyName": "Protected", "Path": "/team/", "PolicyDocument": allow_s3()}),
    );
    root(
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "WebServer", "Path": "/team/"}),
    );
    root(
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": "Alice-Phone", "Path": "/team/"}),
    );
    root(
        "CreateOpenIDConnectProvider",
        json!({"Url": "https://issuer.example.com/Tenant", "ClientIDList": ["app"]}),
    );
    root(
        "CreateSAMLProvider",
        json!({"Name": "Okta-Prod", "SAMLMetadataDocument": METADATA}),
    );
    root("CreateUser", json!({"UserName": "mallory"}));
    let protected = [
        user(),
        group(),
        role(),
        policy(),
        profile(),
        device(),
        oidc_provider(),
        saml_provider(),
    ];
    let statements = json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": protected},
    ]);
    root(
        "PutUserPolicy",
        json!({"UserName": "mallory", "PolicyName": "all-but", "PolicyDocument": document(statements)}),
    );
    let mallory = h.user("mallory");
    (h, mallory)
}

/// What a call with a case variant must come to.
#[derive(Debug)]
enum Expect {
    /// AccessDenied for `iam:OPERATION` on this resource, as AWS's message names it.
    Denied(String),
    /// AccessDenied for another action on this resource.
    DeniedFor(&'static str, String),
    /// A create: authorized on the name asked for, which is taken case-insensitively.
    Taken,
    /// OpenID Connect provider URLs and SAML provider names are matched exactly (as token
    /// issuers are), so a variant of their ARN names no provider and acts on nothing.
    NoProvider,
    /// SAML provider names are case-sensitive: the variant is a new provider's name.
    Created,
    /// The ARN only names the simulated caller: nothing is looked up for authorization.
    Allowed,
}

struct Case {
    operation: &'static str,
    input: Value,
    expect: Expect,
}

fn case(operation: &'static str, input: Value, expect: Expect) -> Case {
    Case {
        operation,
        input,
        expect,
    }
}

fn denied(resource: String) -> Expect {
    Expect::Denied(resource)
}

fn tags() -> Value {
    json!([{"Key": "team", "Value": "red"}])
}

fn cases() -> Vec<Case> {
    let policy_variant = policy_variant();
    let device_variant = device_variant();
    let shown_policy = format!("policy {}", policy());
    let oidc = arn("oidc-provider/issuer.example.com/TENANT");
    let saml = arn("saml-provider/OKTA-PROD");
    let codes = json!({"UserName": USER, "SerialNumber": device_variant,
                       "AuthenticationCode1": "123456", "AuthenticationCode2": "234567"});
    let mut cases = vec![
        // Users.
        case(
            "CreateUser",
            json!({"UserName": USER, "Path": "/team/"}),
            Expect::Taken,
        ),
        case("GetUser", json!({"UserName": USER}), denied(user())),
        case(
            "UpdateUser",
            json!({"UserName": USER, "NewUserName": "Alicia"}),
            denied(user()),
        ),
        case("DeleteUser", json!({"UserName": USER}), denied(user())),
        case(
            "TagUser",
            json!({"UserName": USER, "Tags": tags()}),
            denied(user()),
        ),
        case(
            "UntagUser",
            json!({"UserName": USER, "TagKeys": ["team"]}),
            denied(user()),
        ),
        case("ListUserTags", json!({"UserName": USER}), denied(user())),
        case(
            "ListGroupsForUser",
            json!({"UserName": USER}),
            denied(user()),
        ),
        case(
            "CreateLoginProfile",
            json!({"UserName": USER, "Password": "Passw0rd!case"}),
            denied(user()),
        ),
        case("GetLoginProfile", json!({"UserName": USER}), denied(user())),
        case(
            "UpdateLoginProfile",
            json!({"UserName": USER, "PasswordResetRequired": true}),
            denied(user()),
        ),
        case(
            "DeleteLoginProfile",
            json!({"UserName": USER}),
            denied(user()),
        ),
        case("CreateAccessKey", json!({"UserName": USER}), denied(user())),
        case("ListAccessKeys", json!({"UserName": USER}), denied(user())),
        case(
            "UpdateAccessKey",
            json!({"UserName": USER, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Inactive"}),
            denied(user()),
        ),
        case(
            "DeleteAccessKey",
            json!({"UserName": USER, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}),
            denied(user()),
        ),
        case(
            "AttachUserPolicy",
            json!({"UserName": USER, "PolicyArn": policy_variant}),
            denied(user()),
        ),
        case(
            "DetachUserPolicy",
            json!({"UserName": USER, "PolicyArn": policy_variant}),
            denied(user()),
        ),
        case(
            "ListAttachedUserPolicies",
            json!({"UserName": USER}),
            denied(user()),
        ),
        case(
            "PutUserPolicy",
            json!({"UserName": USER, "PolicyName": "Inline", "PolicyDocument": allow_s3()}),
            denied(user()),
        ),
        case(
            "GetUserPolicy",
            json!({"UserName": USER, "PolicyName": "Inline"}),
            denied(user()),
        ),
        case(
            "DeleteUserPolicy",
            json!({"UserName": USER, "PolicyName": "Inline"}),
            denied(user()),
        ),
        case(
            "ListUserPolicies",
            json!({"UserName": USER}),
            denied(user()),
        ),
        case(
            "PutUserPermissionsBoundary",
            json!({"UserName": USER, "PermissionsBoundary": policy_variant}),
            denied(user()),
        ),
        case(
            "DeleteUserPermissionsBoundary",
            json!({"UserName": USER}),
            denied(user()),
        ),
        case("EnableMFADevice", codes.clone(), denied(user())),
        case("ResyncMFADevice", codes, denied(user())),
        case(
            "DeactivateMFADevice",
            json!({"UserName": USER, "SerialNumber": device_variant}),
            denied(user()),
        ),
        case("ListMFADevices", json!({"UserName": USER}), denied(user())),
        case(
            "GetMFADevice",
            json!({"UserName": USER, "SerialNumber": device_variant}),
            denied(user()),
        ),
        case(
            "SimulateCustomPolicy",
            json!({"PolicyInputList": [allow_s3()], "ActionNames": ["s3:GetObject"],
                   "CallerArn": arn("user/team/ALICE")}),
            Expect::Allowed,
        ),
        // Groups.
        case(
            "CreateGroup",
            json!({"GroupName": GROUP, "Path": "/team/"}),
            Expect::Taken,
        ),
        case("GetGroup", json!({"GroupName": GROUP}), denied(group())),
        case(
            "UpdateGroup",
            json!({"GroupName": GROUP, "NewGroupName": "Operators"}),
            denied(group()),
        ),
        case("DeleteGroup", json!({"GroupName": GROUP}), denied(group())),
        case(
            "AddUserToGroup",
            json!({"GroupName": GROUP, "UserName": USER}),
            denied(group()),
        ),
        case(
            "RemoveUserFromGroup",
            json!({"GroupName": GROUP, "UserName": USER}),
            denied(group()),
        ),
        case(
            "AttachGroupPolicy",
            json!({"GroupName": GROUP, "PolicyArn": policy_variant}),
            denied(group()),
        ),
        case(
            "DetachGroupPolicy",
            json!({"GroupName": GROUP, "PolicyArn": policy_variant}),
            denied(group()),
        ),
        case(
            "ListAttachedGroupPolicies",
            json!({"GroupName": GROUP}),
            denied(group()),
        ),
        case(
            "PutGroupPolicy",
            json!({"GroupName": GROUP, "PolicyName": "Inline", "PolicyDocument": allow_s3()}),
            denied(group()),
        ),
        case(
            "GetGroupPolicy",
            json!({"GroupName": GROUP, "PolicyName": "Inline"}),
            denied(group()),
        ),
        case(
            "DeleteGroupPolicy",
            json!({"GroupName": GROUP, "PolicyName": "Inline"}),
            denied(group()),
        ),
        case(
            "ListGroupPolicies",
            json!({"GroupName": GROUP}),
            denied(group()),
        ),
        // Roles.
        case(
            "CreateRole",
            json!({"RoleName": ROLE, "Path": "/team/", "AssumeRolePolicyDocument": trust()}),
            Expect::Taken,
        ),
        case("GetRole", json!({"RoleName": ROLE}), denied(role())),
        case(
            "UpdateRole",
            json!({"RoleName": ROLE, "Description": "d"}),
            denied(role()),
        ),
        case(
            "UpdateRoleDescription",
            json!({"RoleName": ROLE, "Description": "d"}),
            denied(role()),
        ),
        case(
            "UpdateAssumeRolePolicy",
            json!({"RoleName": ROLE, "PolicyDocument": trust()}),
            denied(role()),
        ),
        case("DeleteRole", json!({"RoleName": ROLE}), denied(role())),
        case(
            "TagRole",
            json!({"RoleName": ROLE, "Tags": tags()}),
            denied(role()),
        ),
        case(
            "UntagRole",
            json!({"RoleName": ROLE, "TagKeys": ["team"]}),
            denied(role()),
        ),
        case("ListRoleTags", json!({"RoleName": ROLE}), denied(role())),
        case(
            "AttachRolePolicy",
            json!({"RoleName": ROLE, "PolicyArn": policy_variant}),
            denied(role()),
        ),
        case(
            "DetachRolePolicy",
            json!({"RoleName": ROLE, "PolicyArn": policy_variant}),
            denied(role()),
        ),
        case(
            "ListAttachedRolePolicies",
            json!({"RoleName": ROLE}),
            denied(role()),
        ),
        case(
            "PutRolePolicy",
            json!({"RoleName": ROLE, "PolicyName": "Inline", "PolicyDocument": allow_s3()}),
            denied(role()),
        ),
        case(
            "GetRolePolicy",
            json!({"RoleName": ROLE, "PolicyName": "Inline"}),
            denied(role()),
        ),
        case(
            "DeleteRolePolicy",
            json!({"RoleName": ROLE, "PolicyName": "Inline"}),
            denied(role()),
        ),
        case(
            "ListRolePolicies",
            json!({"RoleName": ROLE}),
            denied(role()),
        ),
        case(
            "PutRolePermissionsBoundary",
            json!({"RoleName": ROLE, "PermissionsBoundary": policy_variant}),
            denied(role()),
        ),
        case(
            "DeleteRolePermissionsBoundary",
            json!({"RoleName": ROLE}),
            denied(role()),
        ),
        case(
            "ListInstanceProfilesForRole",
            json!({"RoleName": ROLE}),
            denied(role()),
        ),
        // Putting a role in an instance profile passes the role.
        case(
            "AddRoleToInstanceProfile",
            json!({"InstanceProfileName": PROFILE, "RoleName": ROLE}),
            Expect::DeniedFor("iam:PassRole", role()),
        ),
        // Managed policies.
        case(
            "CreatePolicy",
            json!({"PolicyName": "PROTECTED", "Path": "/team/", "PolicyDocument": allow_s3()}),
            Expect::Taken,
        ),
        case(
            "GetPolicy",
            json!({"PolicyArn": policy_variant}),
            denied(shown_policy.clone()),
        ),
        case(
            "DeletePolicy",
            json!({"PolicyArn": policy_variant}),
            denied(shown_policy.clone()),
        ),
        case(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": policy_variant}),
            denied(shown_policy.clone()),
        ),
        case(
            "TagPolicy",
            json!({"PolicyArn": policy_variant, "Tags": tags()}),
            denied(shown_policy.clone()),
        ),
        case(
            "UntagPolicy",
            json!({"PolicyArn": policy_variant, "TagKeys": ["team"]}),
            denied(shown_policy.clone()),
        ),
        case(
            "ListPolicyTags",
            json!({"PolicyArn": policy_variant}),
            denied(shown_policy.clone()),
        ),
        case(
            "CreatePolicyVersion",
            json!({"PolicyArn": policy_variant, "PolicyDocument": allow_s3(), "SetAsDefault": true}),
            denied(shown_policy.clone()),
        ),
        case(
            "GetPolicyVersion",
            json!({"PolicyArn": policy_variant, "VersionId": "v1"}),
            denied(shown_policy.clone()),
        ),
        case(
            "ListPolicyVersions",
            json!({"PolicyArn": policy_variant}),
            denied(shown_policy.clone()),
        ),
        case(
            "DeletePolicyVersion",
            json!({"PolicyArn": policy_variant, "VersionId": "v1"}),
            denied(shown_policy.clone()),
        ),
        case(
            "SetDefaultPolicyVersion",
            json!({"PolicyArn": policy_variant, "VersionId": "v1"}),
            denied(shown_policy),
        ),
        // Instance profiles.
        case(
            "CreateInstanceProfile",
            json!({"InstanceProfileName": PROFILE, "Path": "/team/"}),
            Expect::Taken,
        ),
        case(
            "GetInstanceProfile",
            json!({"InstanceProfileName": PROFILE}),
            denied(profile()),
        ),
        case(
            "DeleteInstanceProfile",
            json!({"InstanceProfileName": PROFILE}),
            denied(profile()),
        ),
        case(
            "AddRoleToInstanceProfile",
            json!({"InstanceProfileName": PROFILE, "RoleName": "Other"}),
            denied(profile()),
        ),
        case(
            "RemoveRoleFromInstanceProfile",
            json!({"InstanceProfileName": PROFILE, "RoleName": ROLE}),
            denied(profile()),
        ),
        case(
            "TagInstanceProfile",
            json!({"InstanceProfileName": PROFILE, "Tags": tags()}),
            denied(profile()),
        ),
        case(
            "UntagInstanceProfile",
            json!({"InstanceProfileName": PROFILE, "TagKeys": ["team"]}),
            denied(profile()),
        ),
        case(
            "ListInstanceProfileTags",
            json!({"InstanceProfileName": PROFILE}),
            denied(profile()),
        ),
        // Virtual MFA devices: the serial number is the device's ARN.
        case(
            "CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": "ALICE-PHONE", "Path": "/team/"}),
            Expect::Taken,
        ),
        case(
            "DeleteVirtualMFADevice",
            json!({"SerialNumber": device_variant}),
            denied(device()),
        ),
        case(
            "TagMFADevice",
            json!({"SerialNumber": device_variant, "Tags": [{"Key": "team", "Value": "x"}]}),
            denied(device()),
        ),
        case(
            "UntagMFADevice",
            json!({"SerialNumber": device_variant, "TagKeys": ["team"]}),
            denied(device()),
        ),
        case(
            "ListMFADeviceTags",
            json!({"SerialNumber": device_variant}),
            denied(device()),
        ),
        // OpenID Connect providers.
        case(
            "GetOpenIDConnectProvider",
            json!({"OpenIDConnectProviderArn": oidc}),
            Expect::NoProvider,
        ),
        case(
            "DeleteOpenIDConnectProvider",
            json!({"OpenIDConnectProviderArn": oidc}),
            Expect::NoProvider,
        ),
        case(
            "AddClientIDToOpenIDConnectProvider",
            json!({"OpenIDConnectProviderArn": oidc, "ClientID": "other"}),
            Expect::NoProvider,
        ),
        case(
            "RemoveClientIDFromOpenIDConnectProvider",
            json!({"OpenIDConnectProviderArn": oidc, "ClientID": "app"}),
            Expect::NoProvider,
        ),
        case(
            "UpdateOpenIDConnectProviderThumbprint",
            json!({"OpenIDConnectProviderArn": oidc, "ThumbprintList": ["ab".repeat(20)]}),
            Expect::NoProvider,
        ),
        case(
            "TagOpenIDConnectProvider",
            json!({"OpenIDConnectProviderArn": oidc, "Tags": tags()}),
            Expect::NoProvider,
        ),
        case(
            "UntagOpenIDConnectProvider",
            json!({"OpenIDConnectProviderArn": oidc, "TagKeys": ["team"]}),
            Expect::NoProvider,
        ),
        case(
            "ListOpenIDConnectProviderTags",
            json!({"OpenIDConnectProviderArn": oidc}),
            Expect::NoProvider,
        ),
        // SAML providers.
        case(
            "CreateSAMLProvider",
            json!({"Name": "OKTA-PROD", "SAMLMetadataDocument": METADATA}),
            Expect::Created,
        ),
        case(
            "GetSAMLProvider",
            json!({"SAMLProviderArn": saml}),
            Expect::NoProvider,
        ),
        case(
            "UpdateSAMLProvider",
            json!({"SAMLProviderArn": saml, "SAMLMetadataDocument": METADATA}),
            Expect::NoProvider,
        ),
        case(
            "DeleteSAMLProvider",
            json!({"SAMLProviderArn": saml}),
            Expect::NoProvider,
        ),
        case(
            "TagSAMLProvider",
            json!({"SAMLProviderArn": saml, "Tags": tags()}),
            Expect::NoProvider,
        ),
        case(
            "UntagSAMLProvider",
            json!({"SAMLProviderArn": saml, "TagKeys": ["team"]}),
            Expect::NoProvider,
        ),
        case(
            "ListSAMLProviderTags",
            json!({"SAMLProviderArn": saml}),
            Expect::NoProvider,
        ),
    ];
    // The simulator reads a user's, group's or role's policies.
    for (kind, canonical) in [
        ("user/team/ALICE", user()),
        ("group/team/ADMINS", group()),
        ("role/team/DEPLOYER", role()),
    ] {
        cases.push(case(
            "SimulatePrincipalPolicy",
            json!({"PolicySourceArn": arn(kind), "ActionNames": ["s3:GetObject"]}),
            denied(canonical.clone()),
        ));
        cases.push(case(
            "GetContextKeysForPrincipalPolicy",
            json!({"PolicySourceArn": arn(kind)}),
            denied(canonical),
        ));
    }
    cases
}

/// Why `result` is not what `expect` says for `operation`, if it is not.
fn mismatch(
    mallory: &str,
    operation: &str,
    expect: &Expect,
    result: &Result<Value, Error>,
) -> Option<String> {
    let denial = |action: &str, resource: &str| {
        format!(
            "User: {mallory} is not authorized to perform: {action} on resource: {resource} with an explicit deny in an identity-based policy"
        )
    };
    let ok = match (expect, result) {
        (Expect::Denied(resource), Err(Error::AccessDenied(message))) => {
            *message == denial(&format!("iam:{operation}"), resource)
        }
        (Expect::DeniedFor(action, resource), Err(Error::AccessDenied(message))) => {
            *message == denial(action, resource)
        }
        (Expect::Taken, Err(Error::EntityAlreadyExists(_)))
        | (Expect::NoProvider, Err(Error::NoSuchEntity(_)))
        | (Expect::Created | Expect::Allowed, Ok(_)) => true,
        _ => false,
    };
    (!ok).then(|| format!("{operation}: expected {expect:?}, got {result:?}"))
}

#[test]
fn a_deny_on_an_entitys_arn_holds_for_every_spelling_of_its_name() {
    let mallory_arn = arn("user/mallory");
    let mut failures = Vec::new();
    for Case {
        operation,
        input,
        expect,
    } in cases()
    {
        // A world of its own for each call, so that no call changes what the next one sees.
        let (h, mallory) = world();
        let result = h.call(&mallory, operation, input);
        failures.extend(mismatch(&mallory_arn, operation, &expect, &result));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// AssumeRole matches role ARNs exactly: a variant names no role, so no trust policy allows
/// it, whatever the caller's own policies say.
#[test]
fn assume_role_with_a_case_variant_of_the_role_arn_is_refused() {
    let (h, mallory) = world();
    let variant = arn("role/team/DEPLOYER");
    let result = h.call(
        &mallory,
        "AssumeRole",
        json!({"RoleArn": variant, "RoleSessionName": "session"}),
    );
    let Err(Error::AccessDenied(message)) = result else {
        panic!("expected AccessDenied, got {result:?}")
    };
    assert!(
        message.contains(&format!("sts:AssumeRole on resource: {variant}")),
        "{message}"
    );
}

/// A member of an operation's input that names an entity: a name or an ARN.
fn names_something(member: &str) -> bool {
    member.ends_with("Name") || member.ends_with("Arn") || member == "SerialNumber"
}

#[test]
fn every_operation_taking_a_name_or_an_arn_has_a_case() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/model/iam.json");
    let model: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "nobody"}))
        .unwrap();
    let nobody = h.user("nobody");
    let mut taking = BTreeSet::new();
    for (operation, definition) in model["operations"].as_object().unwrap() {
        let Some(input) = definition["input"].as_str() else {
            continue;
        };
        let members = model["shapes"][input]["members"].as_array().unwrap();
        if !members
            .iter()
            .any(|m| names_something(m["name"].as_str().unwrap()))
        {
            continue;
        }
        // Operations Warden does not have answer InvalidAction; the others, called by a user
        // with no permissions, refuse or reject the empty input.
        match h.call(&nobody, operation, json!({})) {
            Err(Error::InvalidAction(_)) => {}
            _ => {
                taking.insert(operation.clone());
            }
        }
    }
    assert!(
        taking.contains("TagPolicy") && taking.contains("DeleteVirtualMFADevice"),
        "{taking:?}"
    );
    let covered: BTreeSet<String> = cases().iter().map(|c| c.operation.to_owned()).collect();
    let missing: Vec<&String> = taking.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations taking a name or an ARN without a case-variant case: {missing:?}"
    );
}

/// Context keys that carry a policy's ARN carry its own ARN, and a boundary is kept as the
/// policy's own ARN, whatever case the request spells the policy's name in.
#[test]
fn policy_arn_keys_and_boundaries_are_the_policys_own_arn() {
    let (h, _) = world();
    let statements = json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:AttachUserPolicy", "Resource": "*",
         "Condition": {"ArnEquals": {"iam:PolicyARN": policy()}}},
        {"Effect": "Deny", "Action": "iam:PutUserPermissionsBoundary", "Resource": "*",
         "Condition": {"ArnEquals": {"iam:PermissionsBoundary": policy()}}},
    ]);
    h.root_call("CreateUser", json!({"UserName": "eve"}))
        .unwrap();
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "eve", "PolicyName": "p", "PolicyDocument": document(statements)}),
    )
    .unwrap();
    let eve = h.user("eve");
    let denial = |action: &str| {
        format!(
            "User: {} is not authorized to perform: {action} on resource: {} with an explicit deny in an identity-based policy",
            arn("user/eve"),
            user()
        )
    };
    let attach = h.call(
        &eve,
        "AttachUserPolicy",
        json!({"UserName": "Alice", "PolicyArn": policy_variant()}),
    );
    assert_eq!(
        attach,
        Err(Error::AccessDenied(denial("iam:AttachUserPolicy")))
    );
    let bound = h.call(
        &eve,
        "PutUserPermissionsBoundary",
        json!({"UserName": "Alice", "PermissionsBoundary": policy_variant()}),
    );
    assert_eq!(
        bound,
        Err(Error::AccessDenied(denial(
            "iam:PutUserPermissionsBoundary"
        )))
    );

    // Boundaries are kept as the policy's own ARN.
    h.call(
        &eve,
        "CreateUser",
        json!({"UserName": "Bob", "PermissionsBoundary": policy_variant()}),
    )
    .unwrap();
    h.root_call(
        "PutUserPermissionsBoundary",
        json!({"UserName": "Alice", "PermissionsBoundary": policy_variant()}),
    )
    .unwrap();
    for name in ["Bob", "Alice"] {
        let got = h.root_call("GetUser", json!({"UserName": name})).unwrap();
        assert_eq!(
            got["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
            policy(),
            "{name}"
        );
    }
}

/// A policy ARN whose name is in another case names that very policy: what is counted, listed
/// and detached is the policy itself.
#[test]
fn a_case_variant_of_a_policy_arn_acts_on_that_policy() {
    let (h, _) = world();
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "Alice", "PolicyArn": policy_variant()}),
    )
    .unwrap();
    let attached = h
        .root_call("ListAttachedUserPolicies", json!({"UserName": "Alice"}))
        .unwrap();
    assert_eq!(
        attached["AttachedPolicies"],
        json!([{"PolicyName": "Protected", "PolicyArn": policy()}])
    );
    let got = h
        .root_call("GetPolicy", json!({"PolicyArn": policy_variant()}))
        .unwrap();
    assert_eq!(got["Policy"]["Arn"], policy());
    assert_eq!(got["Policy"]["AttachmentCount"], 1);
    let entities = h
        .root_call(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": policy_variant()}),
        )
        .unwrap();
    assert_eq!(entities["PolicyUsers"][0]["UserName"], "Alice");
    let delete = h
        .root_call("DeletePolicy", json!({"PolicyArn": policy_variant()}))
        .unwrap_err();
    assert!(matches!(delete, Error::DeleteConflict(_)), "{delete}");
    h.root_call(
        "DetachUserPolicy",
        json!({"UserName": "Alice", "PolicyArn": policy_variant()}),
    )
    .unwrap();
    let attached = h
        .root_call("ListAttachedUserPolicies", json!({"UserName": "Alice"}))
        .unwrap();
    assert_eq!(attached["AttachedPolicies"], json!([]));
}

/// The path is part of a policy's ARN: one given with another path names no policy, so it
/// is authorized as given and acts on nothing.
#[test]
fn a_policy_arn_with_another_path_names_no_policy() {
    let (h, mallory) = world();
    for path in [
        "policy/Protected",
        "policy/TEAM/Protected",
        "policy/team/sub/Protected",
    ] {
        let result = h.call(
            &mallory,
            "TagPolicy",
            json!({"PolicyArn": arn(path), "Tags": tags()}),
        );
        assert_eq!(
            result,
            Err(Error::NoSuchEntity(format!(
                "Policy {} was not found.",
                arn(path)
            )))
        );
    }
    let tags = h
        .root_call("ListPolicyTags", json!({"PolicyArn": policy()}))
        .unwrap();
    assert_eq!(tags["Tags"], json!([]));
}
