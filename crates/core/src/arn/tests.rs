//! Round trips of every kind of ARN, and the texts that are not one.

use proptest::prelude::*;

use super::{Arn, ArnError, EntityKind};

const ACCOUNT: &str = "123456789012";

#[test]
fn builds_the_text_aws_uses() {
    let cases = [
        (
            Arn::Root { account: ACCOUNT },
            "arn:aws:iam::123456789012:root",
        ),
        (
            Arn::user(ACCOUNT, "/", "alice"),
            "arn:aws:iam::123456789012:user/alice",
        ),
        (
            Arn::role(ACCOUNT, "/service-role/", "r"),
            "arn:aws:iam::123456789012:role/service-role/r",
        ),
        (
            Arn::policy("aws", "/job-function/", "ViewOnlyAccess"),
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
        ),
        (
            Arn::entity(ACCOUNT, EntityKind::InstanceProfile, "/a/b/", "p"),
            "arn:aws:iam::123456789012:instance-profile/a/b/p",
        ),
        (
            Arn::entity(ACCOUNT, EntityKind::Mfa, "/", "phone"),
            "arn:aws:iam::123456789012:mfa/phone",
        ),
        (
            Arn::OidcProvider {
                account: ACCOUNT,
                url: "127.0.0.1:8080/realms/x",
            },
            "arn:aws:iam::123456789012:oidc-provider/127.0.0.1:8080/realms/x",
        ),
        (
            Arn::SamlProvider {
                account: ACCOUNT,
                name: "okta",
            },
            "arn:aws:iam::123456789012:saml-provider/okta",
        ),
        (
            Arn::AssumedRole {
                account: ACCOUNT,
                role: "r",
                session: "s@x",
            },
            "arn:aws:sts::123456789012:assumed-role/r/s@x",
        ),
        (
            Arn::FederatedUser {
                account: ACCOUNT,
                name: "bob",
            },
            "arn:aws:sts::123456789012:federated-user/bob",
        ),
    ];
    for (arn, text) in cases {
        assert_eq!(arn.build(), text);
        assert_eq!(arn.to_string(), text);
        assert_eq!(arn.build().capacity(), text.len());
        assert_eq!(Arn::parse(text), Ok(arn), "{text}");
    }
}

#[test]
fn a_kind_prefix_is_the_arn_without_a_name() {
    assert_eq!(
        EntityKind::User.arn_prefix(ACCOUNT),
        "arn:aws:iam::123456789012:user/"
    );
    assert_eq!(
        EntityKind::Policy.arn_prefix("aws"),
        "arn:aws:iam::aws:policy/"
    );
    assert_eq!(
        Arn::parse("arn:aws:iam::123456789012:user/"),
        Err(ArnError::Name)
    );
}

#[test]
fn refuses_what_is_not_an_arn_warden_names() {
    let cases = [
        ("", ArnError::Shape),
        ("arn:aws:iam::123456789012", ArnError::Shape),
        ("aws:iam::123456789012:root", ArnError::Shape),
        ("arn:aws-cn:iam::123456789012:root", ArnError::Partition),
        ("arn:aws:s3:::bucket", ArnError::Service),
        ("arn:aws:iam:us-east-1:123456789012:root", ArnError::Region),
        ("arn:aws:iam::12345678901:root", ArnError::Account),
        ("arn:aws:iam::1234567890123:user/a", ArnError::Account),
        ("arn:aws:iam::12345678901x:user/a", ArnError::Account),
        ("arn:aws:iam::aws:user/a", ArnError::Account),
        ("arn:aws:iam::aws:root", ArnError::Account),
        ("arn:aws:iam:::user/a", ArnError::Account),
        ("arn:aws:iam::123456789012:widget/a", ArnError::ResourceType),
        ("arn:aws:iam::123456789012:user", ArnError::Path),
        ("arn:aws:iam::123456789012:user/", ArnError::Name),
        ("arn:aws:iam::123456789012:user/a/", ArnError::Name),
        ("arn:aws:iam::123456789012:user//a", ArnError::Path),
        ("arn:aws:iam::123456789012:user/a b/c", ArnError::Path),
        ("arn:aws:iam::123456789012:user/a:b", ArnError::Name),
        ("arn:aws:iam::123456789012:policy/p:1", ArnError::Name),
        ("arn:aws:iam::123456789012:saml-provider/", ArnError::Name),
        (
            "arn:aws:iam::123456789012:saml-provider/a/b",
            ArnError::Name,
        ),
        ("arn:aws:iam::123456789012:oidc-provider/", ArnError::Name),
        (
            "arn:aws:iam::123456789012:assumed-role/r/s",
            ArnError::Service,
        ),
        ("arn:aws:sts::123456789012:user/a", ArnError::Service),
        ("arn:aws:sts::123456789012:root", ArnError::Service),
        ("arn:aws:sts::123456789012:assumed-role/r", ArnError::Name),
        ("arn:aws:sts::123456789012:assumed-role/r/", ArnError::Name),
        (
            "arn:aws:sts::123456789012:assumed-role/r/s/t",
            ArnError::Name,
        ),
        ("arn:aws:sts::123456789012:federated-user/", ArnError::Name),
        (
            "arn:aws:sts::123456789012:federated-user/a:b",
            ArnError::Name,
        ),
        ("arn:aws:sts::aws:federated-user/a", ArnError::Account),
    ];
    for (text, error) in cases {
        assert_eq!(Arn::parse(text), Err(error), "{text}");
    }
}

/// A name as IAM's name patterns allow (`[\w+=,.@-]+`).
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_+=,.@-]{1,16}"
}

/// `/` or `/…/`, of printable ASCII characters (colons and inner slashes included).
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_owned()),
        "[!-~]{1,12}".prop_map(|p| format!("/{p}/"))
    ]
}

fn kind() -> impl Strategy<Value = EntityKind> {
    prop_oneof![
        Just(EntityKind::User),
        Just(EntityKind::Group),
        Just(EntityKind::Role),
        Just(EntityKind::Policy),
        Just(EntityKind::InstanceProfile),
        Just(EntityKind::Mfa),
    ]
}

/// The text of a valid ARN of every shape.
fn valid_text() -> impl Strategy<Value = String> {
    let account = "[0-9]{12}";
    prop_oneof![
        account.prop_map(|a| format!("arn:aws:iam::{a}:root")),
        (account, kind(), path(), name())
            .prop_map(|(a, k, p, n)| format!("arn:aws:iam::{a}:{}{p}{n}", k.as_str())),
        (path(), name()).prop_map(|(p, n)| format!("arn:aws:iam::aws:policy{p}{n}")),
        (account, "[a-z0-9.-]{1,12}(:[0-9]{1,5})?(/[a-z0-9/]{0,8})?")
            .prop_map(|(a, u)| format!("arn:aws:iam::{a}:oidc-provider/{u}")),
        (account, name()).prop_map(|(a, n)| format!("arn:aws:iam::{a}:saml-provider/{n}")),
        (account, name(), name())
            .prop_map(|(a, r, s)| format!("arn:aws:sts::{a}:assumed-role/{r}/{s}")),
        (account, name()).prop_map(|(a, n)| format!("arn:aws:sts::{a}:federated-user/{n}")),
    ]
}

proptest! {
    #[test]
    fn every_valid_text_reads_back_as_written(text in valid_text()) {
        let arn = Arn::parse(&text);
        prop_assert!(arn.is_ok(), "{text}: {arn:?}");
        if let Ok(arn) = arn {
            prop_assert_eq!(arn.build(), text);
        }
    }

    #[test]
    fn every_built_arn_reads_back_as_itself(
        account in "[0-9]{12}", kind in kind(), path in path(), name in name(),
    ) {
        let arn = Arn::entity(&account, kind, &path, &name);
        let text = arn.build();
        prop_assert_eq!(Arn::parse(&text), Ok(arn));
    }

    #[test]
    fn any_text_is_read_without_panicking(text in "arn:[a-z:/0-9]{0,40}") {
        if let Ok(arn) = Arn::parse(&text) {
            prop_assert_eq!(arn.build(), text);
        }
    }
}
