//! Fuzz target for the policy parser: any bytes (invalid UTF-8 replaced) as a policy of every
//! kind. A document that parses must print to text that parses back to an equal policy, and
//! deciding fixed requests against it must neither panic nor make `evaluate` and `explain`
//! disagree.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use warden_policy::{
    Context, ContextValue, Policies, Policy, PolicyKind, PolicySet, Principal, Request,
};

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Boundary,
    PolicyKind::Session,
    PolicyKind::ServiceControl,
    PolicyKind::ResourceControl,
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for kind in KINDS {
        let Ok(policy) = Policy::parse(&text, kind) else {
            continue;
        };
        let printed = policy.to_json();
        let reparsed = match Policy::parse(&printed, kind) {
            Ok(reparsed) => reparsed,
            Err(error) => panic!("the printed {kind:?} policy does not parse: {error}\n{printed}"),
        };
        assert_eq!(reparsed, policy, "{kind:?} policy printed as {printed}");
        assert_eq!(reparsed.to_json(), printed, "printing is not stable");
        let _ = policy.context_keys();
        decide(kind, policy);
    }
});

/// The callers and context the fixed requests use.
struct Fixture {
    callers: Vec<Principal>,
    context: Context,
    allow_all: PolicySet,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let callers = [
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:sts::111122223333:assumed-role/app/s1",
            "arn:aws:iam::444455556666:root",
        ]
        .into_iter()
        .filter_map(Principal::from_arn)
        .chain([Principal::anonymous(), Principal::service("ec2.amazonaws.com")])
        .collect();
        let mut context = Context::new();
        let multi = |values: &[&str]| {
            ContextValue::Multi(values.iter().map(|v| (*v).to_owned()).collect())
        };
        context.insert("aws:TagKeys", multi(&["team", "", "é"]));
        context.insert("aws:PrincipalOrgPaths", multi(&[]));
        context.insert("s3:prefix", "home/alice/");
        context.insert("aws:username", "alice");
        context.insert("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice");
        context.insert("aws:PrincipalTag/team", "*");
        context.insert("aws:SourceIp", "192.0.2.7");
        context.insert("aws:CurrentTime", "2025-06-01T12:00:00Z");
        context.insert("aws:EpochTime", "1748779200");
        context.insert("aws:SecureTransport", "true");
        context.insert("s3:max-keys", "10");
        context.insert("aws:MultiFactorAuthAge", "-1.5e3");
        context.insert("s3:x-amz-server-side-encryption-customer-key-md5", "aGVsbG8=");
        let allow_all = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            PolicyKind::Identity,
        )
        .map(|policy| PolicySet::from_policies([("allow-all", Arc::new(policy))]))
        .unwrap_or_default();
        Fixture {
            callers,
            context,
            allow_all,
        }
    })
}

/// Puts `policy` where its kind applies and decides a few fixed requests.
fn decide(kind: PolicyKind, policy: Policy) {
    let fixture = fixture();
    let set = PolicySet::from_policies([("fuzzed", Arc::new(policy))]);
    let levels = std::slice::from_ref(&set);
    let mut policies = Policies {
        identity: Some(&fixture.allow_all),
        ..Policies::default()
    };
    match kind {
        PolicyKind::Identity => policies.identity = Some(&set),
        PolicyKind::Boundary => policies.boundary = Some(&set),
        PolicyKind::Session => policies.session = Some(&set),
        PolicyKind::Resource => policies.resource = Some(&set),
        PolicyKind::Trust => {
            policies.resource = Some(&set);
            policies.trust = true;
        }
        PolicyKind::ServiceControl => policies.service_control = levels,
        PolicyKind::ResourceControl => policies.resource_control = levels,
    }
    for caller in &fixture.callers {
        for (action, resource) in [
            ("s3:GetObject", "arn:aws:s3:::bucket/home/alice/notes.txt"),
            ("IAM:ListUsers", "*"),
        ] {
            let request = Request {
                principal: caller,
                action,
                resource,
                resource_account: "111122223333",
                context: &fixture.context,
            };
            let decision = policies.evaluate(&request);
            let explanation = policies.explain(&request);
            assert_eq!(
                (decision.outcome, decision.reason),
                (explanation.outcome, explanation.reason),
                "evaluate and explain disagree"
            );
        }
    }
}
