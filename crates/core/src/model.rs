//! The entities Warden keeps: accounts, users, groups, roles, managed policies, access keys,
//! instance profiles. They serialize to the records a [`crate::store::Store`] persists.

pub mod id;
pub mod names;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use warden_policy::{Policy, PolicyKind};

use crate::arn::Arn;
use crate::secret::Secret;
use crate::time::Timestamp;

pub use id::{AccountId, UniqueId};
pub use names::{EntityName, EntityPath};

/// A policy document kept with its text (as the client sent it) and its compiled form.
/// Serialized as the text; deserializing parses it again.
#[derive(Clone, Debug)]
pub struct Document {
    pub text: String,
    pub policy: Arc<Policy>,
}

impl Document {
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Document, warden_policy::PolicyError> {
        Ok(Document {
            text: text.to_owned(),
            policy: Arc::new(Policy::parse(text, kind)?),
        })
    }
}

impl Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Stored<'a> {
            kind: &'a str,
            text: &'a str,
        }
        let kind = match self.policy.kind() {
            PolicyKind::Trust => "trust",
            _ => "identity",
        };
        Stored {
            kind,
            text: &self.text,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            kind: String,
            text: String,
        }
        let stored = Stored::deserialize(deserializer)?;
        let kind = if stored.kind == "trust" {
            PolicyKind::Trust
        } else {
            PolicyKind::Identity
        };
        Document::parse(&stored.text, kind).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An inline policy embedded in a user, group or role.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: Document,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub created: Timestamp,
    #[serde(default)]
    pub alias: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: UniqueId,
    pub account: AccountId,
    pub name: EntityName,
    pub path: EntityPath,
    pub created: Timestamp,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub inline: Vec<InlinePolicy>,
    /// Attached managed policies, by ARN.
    #[serde(default)]
    pub attached: Vec<String>,
    /// Groups, by unique id.
    #[serde(default)]
    pub groups: Vec<UniqueId>,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub password_last_used: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Group {
    pub id: UniqueId,
    pub account: AccountId,
    pub name: EntityName,
    pub path: EntityPath,
    pub created: Timestamp,
    #[serde(default)]
    pub inline: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoleLastUsed {
    pub date: Timestamp,
    pub region: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Role {
    pub id: UniqueId,
    pub account: AccountId,
    pub name: EntityName,
    pub path: EntityPath,
    pub created: Timestamp,
    /// The trust policy as written (what GetRole shows).
    pub trust: Document,
    /// The trust policy as evaluated: the users and roles it names bound to their unique ids
    /// when it was saved, so a principal deleted and recreated under the same name does not
    /// regain the trust. `None` for roles saved before principals were bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_trust: Option<Document>,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: i64,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub inline: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub last_used: Option<RoleLastUsed>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub id: String,
    pub document: Document,
    pub created: Timestamp,
}

/// A managed policy: customer managed (in an account) or AWS managed (account `aws`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub id: UniqueId,
    /// The owning account's id, or [`crate::arn::AWS_ACCOUNT`] for an AWS managed policy.
    pub account: String,
    pub name: EntityName,
    pub path: EntityPath,
    pub created: Timestamp,
    pub updated: Timestamp,
    #[serde(default)]
    pub description: Option<String>,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets.
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    pub fn default_document(&self) -> Option<&Document> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| &v.document)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyLastUsed {
    pub date: Timestamp,
    pub service: String,
    pub region: String,
}

/// A long-term access key. The secret is held in memory for signature checks and sealed
/// under the master key in storage.
#[derive(Clone, Debug)]
pub struct AccessKey {
    pub id: String,
    pub account: AccountId,
    /// The owning user's unique id; `None` for the root user.
    pub user: Option<UniqueId>,
    pub status: KeyStatus,
    pub created: Timestamp,
    pub secret: Secret,
    pub last_used: Option<KeyLastUsed>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub id: UniqueId,
    pub account: AccountId,
    pub name: EntityName,
    pub path: EntityPath,
    pub created: Timestamp,
    /// Roles, by unique id (at most one).
    #[serde(default)]
    pub roles: Vec<UniqueId>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An IAM OpenID Connect provider: an issuer whose ID tokens AssumeRoleWithWebIdentity accepts
/// for the roles that trust it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OidcProvider {
    pub account: AccountId,
    /// The issuer URL without its scheme (`host/path`), as the ARN and the condition keys
    /// name it.
    pub url: String,
    /// Whether the issuer is a loopback address served over plain HTTP (only when the
    /// server allows it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub http: bool,
    pub created: Timestamp,
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// SHA-1 thumbprints (40 lower-case hex digits) of certificates trusted for the issuer.
    #[serde(default)]
    pub thumbprints: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl OidcProvider {
    pub fn arn(&self) -> String {
        Arn::OidcProvider {
            account: &self.account,
            url: &self.url,
        }
        .build()
    }

    /// The issuer as tokens name it in `iss`: the URL with its scheme.
    pub fn issuer(&self) -> String {
        let scheme = if self.http { "http" } else { "https" };
        format!("{scheme}://{}", self.url)
    }
}

/// An IAM SAML provider: an identity provider whose signed responses AssumeRoleWithSAML
/// accepts for the roles that trust it, described by its metadata document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SamlProvider {
    pub account: AccountId,
    pub name: String,
    /// The id AWS shows as `SAMLProviderUUID`.
    pub uuid: String,
    pub created: Timestamp,
    /// The metadata's `validUntil`, else 100 years after the provider was created or updated.
    pub valid_until: Timestamp,
    /// The metadata document as given, parsed again when read back.
    pub metadata: warden_saml::Metadata,
    /// `AssertionEncryptionMode` (`Allowed`); encrypted assertions are not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_mode: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl SamlProvider {
    pub fn arn(&self) -> String {
        Arn::SamlProvider {
            account: &self.account,
            name: &self.name,
        }
        .build()
    }
}

/// ARN helpers for IAM entities.
/// A virtual MFA device: its TOTP seed (base32 text) and the user it is enabled for.
#[derive(Clone, Debug)]
pub struct MfaDevice {
    /// `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`.
    pub serial: String,
    pub account: AccountId,
    pub name: String,
    pub path: String,
    pub created: Timestamp,
    pub seed: Secret,
    /// The unique id of the user it is enabled for ([`MfaDevice::ROOT`] for the account's
    /// root user), and when it was enabled.
    pub user: Option<UniqueId>,
    pub enabled: Option<Timestamp>,
    pub tags: Vec<Tag>,
}

impl MfaDevice {
    /// What `user` holds for a device enabled for the account's root user. An IAM user's
    /// unique id (`AIDA…`, upper case) is never this, so one field names either owner and
    /// the stored record keeps its format.
    pub const ROOT: &'static str = "root";

    /// Whether the device is enabled for the account's root user.
    pub fn is_root(&self) -> bool {
        self.user.as_deref() == Some(Self::ROOT)
    }
}

/// What a virtual MFA device's codes have done: the last time step whose code was accepted
/// (so a code is accepted once) and the wrong codes given in a row (so codes cannot be
/// guessed). Kept by serial number beside the device, not in it: it changes on every code
/// checked, and rewriting the device would seal its seed again each time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaCodeUse {
    pub serial: String,
    pub account: AccountId,
    /// The latest step accepted: codes of this step and earlier ones are refused.
    pub last_step: Option<i64>,
    /// Wrong codes in a row since the last accepted one or the last lockout.
    pub failures: u32,
    /// No code is accepted before this time.
    pub locked_until: Option<Timestamp>,
}

/// A SAML assertion that AssumeRoleWithSAML accepted, remembered until the time it would be
/// refused as expired, so it is accepted once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedAssertion {
    /// Hex SHA-256 of the issuer and the assertion's `ID` (bounded, whatever the ID's length).
    pub id: String,
    /// The account of the SAML provider it was accepted through.
    pub account: AccountId,
    /// When it is refused as expired anyway, and may be forgotten.
    pub expires: Timestamp,
}

/// A console password: an IAM user's login profile, or the root user's password. Only the
/// argon2id hash is kept (a PHC string, itself sealed under the master key at rest), with the
/// hashes of the passwords before it for the policy's reuse prevention.
#[derive(Clone, Debug)]
pub struct LoginProfile {
    pub account: AccountId,
    /// The user's unique id; `None` for the account's root user.
    pub user: Option<UniqueId>,
    pub created: Timestamp,
    /// The argon2id hash of the current password.
    pub hash: Secret,
    /// Whether the password must be changed at the next sign-in.
    pub reset_required: bool,
    /// When the current password was set (the start of its maximum age).
    pub changed: Timestamp,
    /// The hashes of earlier passwords, the latest first, at most
    /// [`crate::passwords::HISTORY_KEPT`].
    pub history: Vec<Secret>,
}

impl LoginProfile {
    /// The id of its record: the user's unique id, or the account id for the root user.
    pub fn record_id(&self) -> &str {
        self.user.as_deref().unwrap_or(self.account.as_str())
    }
}

/// An account's password policy (UpdateAccountPasswordPolicy), every setting as AWS has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub account: AccountId,
    pub minimum_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    /// Days a password is valid; `None`: passwords never expire.
    #[serde(default)]
    pub max_age_days: Option<u32>,
    /// How many of the latest passwords may not be used again.
    #[serde(default)]
    pub reuse_prevention: Option<u32>,
    /// Whether an expired password can only be reset by an administrator.
    #[serde(default)]
    pub hard_expiry: bool,
}
