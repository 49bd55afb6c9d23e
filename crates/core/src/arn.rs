//! The ARNs of what Warden names: an account's root user, IAM entities (with their path),
//! OIDC and SAML providers, role sessions and federated users. [`Arn`] builds the exact text
//! AWS uses and reads it back strictly; both directions borrow, so reading never allocates
//! and building allocates one `String` of the right size.
//!
//! This is the entity's own ARN. Matching ARN patterns in policies is the policy engine's.

use std::fmt;

/// The account that owns AWS managed policies (`arn:aws:iam::aws:policy/…`).
pub const AWS_ACCOUNT: &str = "aws";

/// An ARN that names something in Warden, borrowing its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arn<'a> {
    /// `arn:aws:iam::ACCOUNT:root`.
    Root { account: &'a str },
    /// `arn:aws:iam::ACCOUNT:KIND/PATH/NAME`, where `path` is `/` or `/…/`. Only a policy's
    /// account may be [`AWS_ACCOUNT`].
    Entity {
        account: &'a str,
        kind: EntityKind,
        path: &'a str,
        name: &'a str,
    },
    /// `arn:aws:iam::ACCOUNT:oidc-provider/URL`, the issuer URL without its scheme (it may
    /// hold a port and a path).
    OidcProvider { account: &'a str, url: &'a str },
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
    SamlProvider { account: &'a str, name: &'a str },
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (the role's name, without its path).
    AssumedRole {
        account: &'a str,
        role: &'a str,
        session: &'a str,
    },
    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    FederatedUser { account: &'a str, name: &'a str },
}

/// The IAM entities whose ARN carries a path and a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityKind {
    User,
    Group,
    Role,
    Policy,
    InstanceProfile,
    /// A virtual MFA device (its ARN is its serial number).
    Mfa,
}

/// Why a text is not an ARN Warden names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArnError {
    /// Not `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
    Shape,
    /// A partition other than `aws`.
    Partition,
    /// A service other than `iam` and `sts`, or a resource of the other one.
    Service,
    /// A region where IAM and STS ARNs have none.
    Region,
    /// Not 12 digits (nor `aws`, for a policy).
    Account,
    /// A resource type Warden does not name.
    ResourceType,
    /// A path that is not `/` or `/…/` of printable characters.
    Path,
    /// An empty name, or one with a character its kind forbids.
    Name,
}

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArnError::Shape => {
                "not an arn of the form `arn:partition:service:region:account:resource`"
            }
            ArnError::Partition => "partition is not `aws`",
            ArnError::Service => "service is not `iam` or `sts` for this resource",
            ArnError::Region => "iam and sts arns have no region",
            ArnError::Account => "account is not 12 digits",
            ArnError::ResourceType => "unknown resource type",
            ArnError::Path => "path is not `/` or `/…/`",
            ArnError::Name => "name is empty or holds a forbidden character",
        })
    }
}

impl std::error::Error for ArnError {}

impl EntityKind {
    /// The resource type as ARNs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::Policy => "policy",
            EntityKind::InstanceProfile => "instance-profile",
            EntityKind::Mfa => "mfa",
        }
    }

    /// `arn:aws:iam::ACCOUNT:KIND/`: what a List action of the kind is authorized on, and
    /// how every ARN of the kind in the account begins. Not an ARN itself (it has no name).
    pub fn arn_prefix(self, account: &str) -> String {
        Arn::entity(account, self, "/", "").build()
    }

    pub(crate) fn from_type(text: &str) -> Option<EntityKind> {
        Some(match text {
            "user" => EntityKind::User,
            "group" => EntityKind::Group,
            "role" => EntityKind::Role,
            "policy" => EntityKind::Policy,
            "instance-profile" => EntityKind::InstanceProfile,
            "mfa" => EntityKind::Mfa,
            _ => return None,
        })
    }
}

impl<'a> Arn<'a> {
    pub fn root(account: &'a str) -> Arn<'a> {
        Arn::Root { account }
    }

    pub fn user(account: &'a str, path: &'a str, name: &'a str) -> Arn<'a> {
        Arn::entity(account, EntityKind::User, path, name)
    }

    pub fn group(account: &'a str, path: &'a str, name: &'a str) -> Arn<'a> {
        Arn::entity(account, EntityKind::Group, path, name)
    }

    pub fn role(account: &'a str, path: &'a str, name: &'a str) -> Arn<'a> {
        Arn::entity(account, EntityKind::Role, path, name)
    }

    pub fn policy(account: &'a str, path: &'a str, name: &'a str) -> Arn<'a> {
        Arn::entity(account, EntityKind::Policy, path, name)
    }

    pub fn entity(account: &'a str, kind: EntityKind, path: &'a str, name: &'a str) -> Arn<'a> {
        Arn::Entity {
            account,
            kind,
            path,
            name,
        }
    }

    /// Reads `text` strictly: partition `aws`, service `iam` (`sts` for sessions and
    /// federated users), no region, a 12-digit account (or `aws` for a policy), a known
    /// resource type, a valid path and a name.
    pub fn parse(text: &'a str) -> Result<Arn<'a>, ArnError> {
        let rest = text.strip_prefix("arn:").ok_or(ArnError::Shape)?;
        let (partition, rest) = rest.split_once(':').ok_or(ArnError::Shape)?;
        let (service, rest) = rest.split_once(':').ok_or(ArnError::Shape)?;
        let (region, rest) = rest.split_once(':').ok_or(ArnError::Shape)?;
        let (account, resource) = rest.split_once(':').ok_or(ArnError::Shape)?;
        if partition != "aws" {
            return Err(ArnError::Partition);
        }
        if !region.is_empty() {
            return Err(ArnError::Region);
        }
        let arn = match service {
            "iam" => parse_iam(account, resource)?,
            "sts" => parse_sts(account, resource)?,
            _ => return Err(ArnError::Service),
        };
        let aws_allowed = matches!(
            arn,
            Arn::Entity {
                kind: EntityKind::Policy,
                ..
            }
        );
        if !(is_account_id(account) || aws_allowed && account == AWS_ACCOUNT) {
            return Err(ArnError::Account);
        }
        Ok(arn)
    }

    pub fn account(&self) -> &'a str {
        match *self {
            Arn::Root { account }
            | Arn::Entity { account, .. }
            | Arn::OidcProvider { account, .. }
            | Arn::SamlProvider { account, .. }
            | Arn::AssumedRole { account, .. }
            | Arn::FederatedUser { account, .. } => account,
        }
    }

    /// The ARN's text in one allocation of its exact length.
    pub fn build(&self) -> String {
        let pieces = self.pieces();
        let mut text = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
        for piece in pieces {
            text.push_str(piece);
        }
        text
    }

    /// The text's pieces in order (unused ones empty), so building and displaying share one
    /// spelling.
    fn pieces(&self) -> [&'a str; 8] {
        let (service, resource): (&str, [&'a str; 4]) = match *self {
            Arn::Root { .. } => ("iam", ["root", "", "", ""]),
            Arn::Entity {
                kind, path, name, ..
            } => ("iam", [kind.as_str(), path, name, ""]),
            Arn::OidcProvider { url, .. } => ("iam", ["oidc-provider/", url, "", ""]),
            Arn::SamlProvider { name, .. } => ("iam", ["saml-provider/", name, "", ""]),
            Arn::AssumedRole { role, session, .. } => {
                ("sts", ["assumed-role/", role, "/", session])
            }
            Arn::FederatedUser { name, .. } => ("sts", ["federated-user/", name, "", ""]),
        };
        let [r0, r1, r2, r3] = resource;
        let prefix = if service == "iam" {
            "arn:aws:iam::"
        } else {
            "arn:aws:sts::"
        };
        [prefix, self.account(), ":", r0, r1, r2, r3, ""]
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces()
            .iter()
            .try_for_each(|piece| f.write_str(piece))
    }
}

/// Whether `text` is an AWS account id: 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

fn parse_iam<'a>(account: &'a str, resource: &'a str) -> Result<Arn<'a>, ArnError> {
    if resource == "root" {
        return Ok(Arn::Root { account });
    }
    let Some(slash) = resource.find('/') else {
        return Err(match resource {
            "assumed-role" | "federated-user" => ArnError::Service,
            _ if EntityKind::from_type(resource).is_some() => ArnError::Path,
            _ => ArnError::ResourceType,
        });
    };
    let (kind, qualified) = resource.split_at(slash);
    match kind {
        "oidc-provider" => {
            let url = qualified.get(1..).unwrap_or_default();
            if url.is_empty() {
                return Err(ArnError::Name);
            }
            Ok(Arn::OidcProvider { account, url })
        }
        "saml-provider" => Ok(Arn::SamlProvider {
            account,
            name: name(qualified.get(1..).unwrap_or_default())?,
        }),
        "assumed-role" | "federated-user" => Err(ArnError::Service),
        _ => {
            let kind = EntityKind::from_type(kind).ok_or(ArnError::ResourceType)?;
            // `qualified` starts with '/', so the last slash splits it into path and name.
            let last = qualified.rfind('/').unwrap_or_default();
            let (path, name_text) = qualified.split_at(last + 1);
            if !is_path(path) {
                return Err(ArnError::Path);
            }
            Ok(Arn::Entity {
                account,
                kind,
                path,
                name: name(name_text)?,
            })
        }
    }
}

fn parse_sts<'a>(account: &'a str, resource: &'a str) -> Result<Arn<'a>, ArnError> {
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        let (role, session) = rest.split_once('/').ok_or(ArnError::Name)?;
        return Ok(Arn::AssumedRole {
            account,
            role: name(role)?,
            session: name(session)?,
        });
    }
    if let Some(rest) = resource.strip_prefix("federated-user/") {
        return Ok(Arn::FederatedUser {
            account,
            name: name(rest)?,
        });
    }
    let kind = resource.split_once('/').map_or(resource, |(kind, _)| kind);
    if kind == "root" || EntityKind::from_type(kind).is_some() || kind.ends_with("-provider") {
        Err(ArnError::Service)
    } else {
        Err(ArnError::ResourceType)
    }
}

/// AWS's path rule: `/`, or `/` and printable ASCII characters and `/`.
fn is_path(path: &str) -> bool {
    path == "/"
        || path.len() > 2
            && path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// A name of any kind Warden names: not empty, without `/` (which ends a path) or `:` (which
/// none of IAM's and STS's name patterns allow).
fn name(text: &str) -> Result<&str, ArnError> {
    if text.is_empty() || text.contains(['/', ':']) {
        Err(ArnError::Name)
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests;
