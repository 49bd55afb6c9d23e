//! Who is asking ([`Principal`]) and the `Principal` / `NotPrincipal` element that names them.

use crate::arn::Arn;

/// The kind of caller, as `aws:PrincipalType` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account's root user.
    Root,
    /// An IAM user with long-term credentials.
    User,
    /// A role session (AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity).
    AssumedRole,
    /// A GetFederationToken session.
    FederatedUser,
    /// An AWS service principal (`ec2.amazonaws.com`).
    Service,
    /// A caller authenticated by an external identity provider, before it has a session
    /// (the caller of AssumeRoleWithWebIdentity / AssumeRoleWithSAML).
    WebIdentity,
    /// An unauthenticated caller.
    Anonymous,
}

impl PrincipalKind {
    /// The value of `aws:PrincipalType`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::Service => "Service",
            PrincipalKind::WebIdentity => "WebIdentityUser",
            PrincipalKind::Anonymous => "Anonymous",
        }
    }

    /// Whether the caller is a session that session policies can restrict.
    pub fn is_session(self) -> bool {
        matches!(
            self,
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
        )
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The caller's account (empty for services and anonymous callers).
    pub account: String,
    /// The caller's own ARN: user, root, session or federated-user ARN; for a service or an
    /// identity-provider caller, its name or provider.
    pub arn: String,
    /// For role sessions, the role's ARN with its path (`aws:PrincipalArn`).
    pub role_arn: Option<String>,
    /// The unique id (`AIDA…` for users, `AROA…` for a session's role).
    pub id: Option<String>,
}

impl Principal {
    /// The root user of `account`.
    pub fn root(account: &str) -> Principal {
        Principal {
            kind: PrincipalKind::Root,
            account: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:root"),
            role_arn: None,
            id: None,
        }
    }

    /// Derives the caller's kind and account from its ARN (`…:root`, `…:user/…`,
    /// `…:assumed-role/…`, `…:federated-user/…`).
    pub fn from_arn(arn: &str) -> Option<Principal> {
        let parsed = Arn::parse(arn)?;
        let kind = match (parsed.service, parsed.resource) {
            ("iam", "root") => PrincipalKind::Root,
            ("iam", resource) if resource.starts_with("user/") => PrincipalKind::User,
            ("sts", resource) if resource.starts_with("assumed-role/") => {
                PrincipalKind::AssumedRole
            }
            ("sts", resource) if resource.starts_with("federated-user/") => {
                PrincipalKind::FederatedUser
            }
            _ => return None,
        };
        let role_arn = (kind == PrincipalKind::AssumedRole).then(|| {
            let role = parsed
                .resource
                .trim_start_matches("assumed-role/")
                .split('/')
                .next()
                .unwrap_or_default();
            format!(
                "arn:{}:iam::{}:role/{role}",
                parsed.partition, parsed.account
            )
        });
        Some(Principal {
            kind,
            account: parsed.account.to_owned(),
            arn: arn.to_owned(),
            role_arn,
            id: None,
        })
    }

    /// A service principal such as `ec2.amazonaws.com`.
    pub fn service(name: &str) -> Principal {
        Principal {
            kind: PrincipalKind::Service,
            account: String::new(),
            arn: name.to_owned(),
            role_arn: None,
            id: None,
        }
    }

    /// A caller vouched for by an identity provider (its ARN or well-known name).
    pub fn web_identity(provider: &str, account: &str) -> Principal {
        Principal {
            kind: PrincipalKind::WebIdentity,
            account: account.to_owned(),
            arn: provider.to_owned(),
            role_arn: None,
            id: None,
        }
    }

    pub fn anonymous() -> Principal {
        Principal {
            kind: PrincipalKind::Anonymous,
            account: String::new(),
            arn: "*".to_owned(),
            role_arn: None,
            id: None,
        }
    }

    /// `aws:PrincipalArn`: the role ARN for role sessions, otherwise the caller's ARN.
    pub fn principal_arn(&self) -> &str {
        self.role_arn.as_deref().unwrap_or(&self.arn)
    }

    /// Whether the caller has identity-based policies at all.
    pub(crate) fn has_identity(&self) -> bool {
        !matches!(
            self.kind,
            PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous
        )
    }
}

/// One value of a `Principal` element, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PrincipalValue {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    Everyone,
    /// An account (`"111122223333"` or `arn:aws:iam::111122223333:root`).
    Account(String),
    /// A user, role, assumed-role session or federated-user ARN.
    Arn(String),
    /// A unique id (`AIDA…`, `AROA…`) that IAM stores in place of a deleted-then-kept ARN.
    UniqueId(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

/// How strongly a matched `Principal` entry grants, per AWS's same-account rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// The account is named: delegation to its identity policies.
    Account,
    /// The role is named: overrides the identity policies' implicit deny only.
    Role,
    /// The caller itself (user, session, federated user, service, provider, everyone):
    /// overrides every implicit deny.
    Direct,
}

impl PrincipalValue {
    /// How this value grants to `caller`, if it names it.
    pub fn grant(&self, caller: &Principal) -> Option<Grant> {
        match self {
            PrincipalValue::Everyone => Some(Grant::Direct),
            PrincipalValue::Account(account) => {
                (caller.has_identity() && caller.account == *account).then_some(Grant::Account)
            }
            PrincipalValue::Arn(arn) => {
                if caller.has_identity() && caller.arn == *arn {
                    Some(Grant::Direct)
                } else if caller.role_arn.as_deref() == Some(arn.as_str()) {
                    Some(Grant::Role)
                } else {
                    None
                }
            }
            PrincipalValue::UniqueId(id) => {
                (caller.id.as_deref() == Some(id.as_str())).then_some(match caller.kind {
                    PrincipalKind::AssumedRole => Grant::Role,
                    _ => Grant::Direct,
                })
            }
            PrincipalValue::Service(service) => (caller.kind == PrincipalKind::Service
                && caller.arn.eq_ignore_ascii_case(service))
            .then_some(Grant::Direct),
            PrincipalValue::Federated(provider) => (caller.kind == PrincipalKind::WebIdentity
                && caller.arn == *provider)
                .then_some(Grant::Direct),
            PrincipalValue::CanonicalUser(_) => None,
        }
    }
}

/// A statement's `Principal` or `NotPrincipal` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrincipalBlock {
    pub negated: bool,
    /// As written: `None` for `"*"`, otherwise (type, values, written as array).
    pub written: Option<Vec<(String, Vec<String>, bool)>>,
    pub values: Vec<PrincipalValue>,
}

impl PrincipalBlock {
    /// The strongest grant any value gives `caller`.
    pub fn grant(&self, caller: &Principal) -> Option<Grant> {
        self.values
            .iter()
            .filter_map(|value| value.grant(caller))
            .max()
    }

    /// For `NotPrincipal`: whether the list names every identity the caller is evaluated
    /// as. A user is also its account; a role session is also its role and its account, so
    /// excluding a session takes its session ARN, its role and its account (AWS's rule).
    pub fn covers(&self, caller: &Principal) -> bool {
        let named = |test: &dyn Fn(&PrincipalValue) -> bool| {
            self.values
                .iter()
                .any(|v| *v == PrincipalValue::Everyone || test(v))
        };
        let own_arn =
            |v: &PrincipalValue| matches!(v, PrincipalValue::Arn(arn) if *arn == caller.arn);
        let own_id = |v: &PrincipalValue| matches!(v, PrincipalValue::UniqueId(id) if Some(id.as_str()) == caller.id.as_deref());
        let account =
            || named(&|v| matches!(v, PrincipalValue::Account(a) if *a == caller.account));
        match caller.kind {
            PrincipalKind::Root => account(),
            PrincipalKind::User => named(&|v| own_arn(v) || own_id(v)) && account(),
            PrincipalKind::AssumedRole => {
                let role = |v: &PrincipalValue| {
                    matches!(v, PrincipalValue::Arn(arn) if Some(arn.as_str()) == caller.role_arn.as_deref())
                        || own_id(v)
                };
                named(&own_arn) && named(&role) && account()
            }
            PrincipalKind::FederatedUser => named(&own_arn) && account(),
            PrincipalKind::Service => named(
                &|v| matches!(v, PrincipalValue::Service(s) if s.eq_ignore_ascii_case(&caller.arn)),
            ),
            PrincipalKind::WebIdentity => {
                named(&|v| matches!(v, PrincipalValue::Federated(p) if *p == caller.arn))
            }
            PrincipalKind::Anonymous => named(&|_| false),
        }
    }
}

/// Parses one value of the `AWS` principal type.
pub(crate) fn aws_value(text: &str) -> Option<PrincipalValue> {
    if text == "*" {
        return Some(PrincipalValue::Everyone);
    }
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(PrincipalValue::Account(text.to_owned()));
    }
    if let Some(arn) = Arn::parse(text) {
        let known_partition = crate::arn::PARTITIONS.contains(&arn.partition);
        let account_ok = arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit());
        if !known_partition || !account_ok || !arn.region.is_empty() || text.contains(['*', '?']) {
            return None;
        }
        return match (arn.service, arn.resource) {
            ("iam", "root") => Some(PrincipalValue::Account(arn.account.to_owned())),
            ("iam", resource) if resource.starts_with("user/") || resource.starts_with("role/") => {
                Some(PrincipalValue::Arn(text.to_owned()))
            }
            ("sts", resource)
                if resource.starts_with("assumed-role/")
                    || resource.starts_with("federated-user/") =>
            {
                Some(PrincipalValue::Arn(text.to_owned()))
            }
            _ => None,
        };
    }
    let unique_id = text.len() >= 16
        && text.len() <= 128
        && text.starts_with('A')
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    unique_id.then(|| PrincipalValue::UniqueId(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_match_their_role_and_their_own_arn() {
        let mut session =
            Principal::from_arn("arn:aws:sts::111122223333:assumed-role/app/s1").unwrap();
        session.role_arn = Some("arn:aws:iam::111122223333:role/team/app".to_owned());
        let role = aws_value("arn:aws:iam::111122223333:role/team/app").unwrap();
        let own = aws_value("arn:aws:sts::111122223333:assumed-role/app/s1").unwrap();
        let other = aws_value("arn:aws:sts::111122223333:assumed-role/app/s2").unwrap();
        let account = aws_value("111122223333").unwrap();
        assert_eq!(role.grant(&session), Some(Grant::Role));
        assert_eq!(own.grant(&session), Some(Grant::Direct));
        assert_eq!(other.grant(&session), None);
        assert_eq!(account.grant(&session), Some(Grant::Account));
    }

    #[test]
    fn principal_values_are_validated() {
        assert_eq!(
            aws_value("arn:aws:iam::111122223333:root"),
            Some(PrincipalValue::Account("111122223333".to_owned()))
        );
        assert!(aws_value("arn:aws:iam::111122223333:user/*").is_none());
        assert!(aws_value("arn:aws:s3:::bucket").is_none());
        assert!(aws_value("bob").is_none());
        assert!(aws_value("AIDAJQABLZS4A3QDU576Q").is_some());
    }
}
