//! What the properties run on: a small vocabulary of actions, resources, principals and
//! condition operators, and strategies for policies, requests and whole scenarios.

use super::*;

pub(crate) const ACCOUNT: &str = "111122223333";
pub(crate) const OTHER_ACCOUNT: &str = "444455556666";

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/// Actions that requests ask for, in the cases callers send them.
pub(crate) const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "S3:getobject",
    "s3:ListBucket",
    "iam:ListUsers",
    "IAM:getuser",
];

/// Action patterns that can apply to [`ACTIONS`] (or to nothing).
pub(crate) const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:?etObject",
    "s3:GetObject",
    "S3:GETOBJECT",
    "s3:PutObject",
    "s3:List*",
    "iam:*",
    "iam:List*",
    "iam:GetUser",
    "s?:*",
    "*:Get*",
    "s3:Delete*",
];

/// Action patterns that can never apply to [`ACTIONS`].
pub(crate) const OTHER_SERVICE_ACTIONS: &[&str] = &[
    "ec2:*",
    "ec2:DescribeInstances",
    "EC2:Run?nstances",
    "sqs:Send*",
    "kms:Decrypt",
    "ec?:Describe*",
    "s3x:GetObject",
    "iamx:*",
    "s3-control:Get*",
];

/// Resources that requests name.
pub(crate) const RESOURCES: &[&str] = &[
    "arn:aws:s3:::bucket/key",
    "arn:aws:s3:::bucket/alice/notes.txt",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::other/x:y",
    "arn:aws:iam::111122223333:user/alice",
    "*",
];

pub(crate) const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::*/*",
    "arn:aws:s3:::b?cket*",
    "arn:aws:s3:::*",
    "arn:*:s3:::*",
    "arn:aws:s3:::other/*:?",
    "arn:aws:iam::*:user/*",
    "arn:aws:iam::111122223333:user/${aws:username}",
    "arn:aws:s3:::bucket/${aws:username}/*",
    "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'alice'}/*",
];

/// Callers: users in and out of the resource's account, a role session, a federated user and
/// the root user.
pub(crate) const CALLERS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:sts::111122223333:federated-user/fed",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:user/carol",
];

pub(crate) fn principal_elements() -> Vec<Value> {
    vec![
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": ACCOUNT}),
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        json!({"AWS": "arn:aws:iam::111122223333:user/alice"}),
        json!({"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:role/app"]}),
        json!({"AWS": "arn:aws:sts::111122223333:assumed-role/app/s1"}),
        json!({"AWS": "arn:aws:iam::444455556666:user/carol"}),
        json!({"Service": "ec2.amazonaws.com"}),
    ]
}

pub(crate) const STRING_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
];

pub(crate) const STRING_KEYS: &[&str] = &[
    "s3:prefix",
    "aws:TagKeys",
    "AWS:tagkeys",
    "aws:username",
    "aws:PrincipalTag/team",
];

pub(crate) fn string_values() -> Vec<Value> {
    [
        "a",
        "b",
        "prod",
        "Prod",
        "a*",
        "*",
        "é",
        "al?ce",
        "alice",
        "${aws:username}",
        "${aws:PrincipalTag/team, 'x'}",
        "quote\"d",
        "line\nbreak",
    ]
    .into_iter()
    .map(Value::from)
    .chain([json!(10), json!(true)])
    .collect()
}

pub(crate) const NUMERIC_OPERATORS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
];

pub(crate) const DATE_OPERATORS: &[&str] = &[
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateGreaterThanEquals",
];

pub(crate) const ARN_OPERATORS: &[&str] = &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"];

/// Every key a condition reads, for `Null`.
pub(crate) const ALL_KEYS: &[&str] = &[
    "s3:prefix",
    "aws:TagKeys",
    "aws:username",
    "aws:PrincipalTag/team",
    "s3:max-keys",
    "aws:SecureTransport",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:PrincipalArn",
    "aws:SourceArn",
];

/// Strings that exercise the printer's escaping.
pub(crate) const ODD_STRINGS: &[&str] = &[
    "policy-1",
    "é😀",
    "quote\"d",
    "back\\slash",
    "line\nbreak",
    "tab\there",
    "\u{1}control",
    "",
    "\u{7f}\u{2028}",
];

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// One value alone, or one to three in an array.
pub(crate) fn one_or_many<S>(item: S) -> impl Strategy<Value = Value>
where
    S: Strategy,
    S::Value: Into<Value>,
{
    (vec(item, 1..=3), any::<bool>()).prop_map(|(items, as_array)| {
        let mut values: Vec<Value> = items.into_iter().map(Into::into).collect();
        if values.len() == 1 && !as_array {
            values.remove(0)
        } else {
            Value::Array(values)
        }
    })
}

/// An operator name with an optional set qualifier and `IfExists`.
pub(crate) fn qualified(base: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        select(vec!["", "", "ForAllValues:", "ForAnyValue:"]),
        select(base),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(qualifier, operator, if_exists)| {
            let suffix = if if_exists { "IfExists" } else { "" };
            format!("{qualifier}{operator}{suffix}")
        })
}

/// One condition test: (operator, key, values).
pub(crate) fn condition() -> impl Strategy<Value = (String, String, Value)> {
    let strings = (
        qualified(STRING_OPERATORS),
        select(STRING_KEYS),
        one_or_many(select(string_values())),
    );
    let numbers = (
        qualified(NUMERIC_OPERATORS),
        Just("s3:max-keys"),
        one_or_many(select(vec![
            json!(10),
            json!("5"),
            json!(1.5),
            json!("100"),
        ])),
    );
    let bools = (
        qualified(&["Bool"]),
        Just("aws:SecureTransport"),
        one_or_many(select(vec![json!(true), json!("false"), json!("True")])),
    );
    let networks = (
        qualified(&["IpAddress", "NotIpAddress"]),
        Just("aws:SourceIp"),
        one_or_many(select(vec!["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"])),
    );
    let dates = (
        qualified(DATE_OPERATORS),
        Just("aws:CurrentTime"),
        one_or_many(select(vec![
            json!("2025-01-01T00:00:00Z"),
            json!("2025-01-01"),
            json!(1_735_689_600),
        ])),
    );
    let arns = (
        qualified(ARN_OPERATORS),
        select(vec!["aws:PrincipalArn", "aws:SourceArn"]),
        one_or_many(select(vec![
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::*:role/app",
            "arn:aws:sts::111122223333:assumed-role/*",
            "arn:aws:iam::111122223333:user/${aws:username}",
            "arn:aws:s3:::bucket*",
        ])),
    );
    let nulls = (
        Just("Null".to_owned()),
        select(ALL_KEYS),
        one_or_many(select(vec![json!(true), json!("false")])),
    );
    let owned =
        |(operator, key, values): (String, &'static str, Value)| (operator, key.to_owned(), values);
    prop_oneof![
        4 => strings.prop_map(owned),
        1 => numbers.prop_map(owned),
        1 => bools.prop_map(owned),
        1 => networks.prop_map(owned),
        1 => dates.prop_map(owned),
        1 => arns.prop_map(owned),
        1 => nulls.prop_map(owned),
    ]
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Effects {
    Any,
    AllowOnly,
}

/// A valid statement for a policy of `kind`, its actions drawn from `actions`.
pub(crate) fn statement(
    kind: PolicyKind,
    effects: Effects,
    actions: &'static [&'static str],
    not_action: bool,
) -> BoxedStrategy<Value> {
    let effect = match effects {
        Effects::Any => prop_oneof![3 => Just("Allow"), 1 => Just("Deny")].boxed(),
        Effects::AllowOnly => Just("Allow").boxed(),
    };
    (
        effect,
        (
            prop::bool::weighted(if not_action { 0.15 } else { 0.0 }),
            one_or_many(select(actions)),
        ),
        (
            prop::bool::weighted(0.15),
            one_or_many(select(RESOURCE_PATTERNS)),
        ),
        (prop::bool::weighted(0.1), select(principal_elements())),
        vec(condition(), 0..=2),
    )
        .prop_map(
            move |(
                effect,
                (not_action, action),
                (not_resource, resource),
                (not_principal, principal),
                conditions,
            )| {
                let mut statement = Map::new();
                statement.insert("Effect".into(), effect.into());
                if kind.has_principal() {
                    // NotPrincipal is refused in trust policies.
                    let name = if not_principal && kind != PolicyKind::Trust {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    statement.insert(name.into(), principal);
                }
                let name = if not_action { "NotAction" } else { "Action" };
                statement.insert(name.into(), action);
                if kind != PolicyKind::Trust {
                    let name = if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    };
                    statement.insert(name.into(), resource);
                }
                if !conditions.is_empty() {
                    statement.insert("Condition".into(), condition_block(conditions));
                }
                Value::Object(statement)
            },
        )
        .boxed()
}

pub(crate) fn condition_block(conditions: Vec<(String, String, Value)>) -> Value {
    let mut block = Map::new();
    for (operator, key, values) in conditions {
        let keys = block
            .entry(operator)
            .or_insert_with(|| Value::Object(Map::new()));
        keys.as_object_mut().unwrap().insert(key, values);
    }
    Value::Object(block)
}

/// One to `max` policies of one to three statements each.
pub(crate) fn policies(
    kind: PolicyKind,
    effects: Effects,
    max: usize,
) -> impl Strategy<Value = Vec<Vec<Value>>> {
    vec(
        vec(statement(kind, effects, ACTION_PATTERNS, true), 1..=3),
        1..=max,
    )
}

/// Statements that can never apply to a request of [`ACTIONS`].
pub(crate) fn unrelated_policies(
    kind: PolicyKind,
    max: usize,
) -> impl Strategy<Value = Vec<Vec<Value>>> {
    vec(
        vec(
            statement(kind, Effects::Any, OTHER_SERVICE_ACTIONS, false),
            1..=3,
        ),
        0..=max,
    )
}

/// A request: who, what, on which resource, with which context keys.
#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub(crate) caller: String,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) resource_account: String,
    pub(crate) context: Vec<(String, ContextValue)>,
}

pub(crate) fn context() -> impl Strategy<Value = Vec<(String, ContextValue)>> {
    let single = |values: &'static [&'static str]| {
        option::of(select(values).prop_map(|v| ContextValue::Single(v.to_owned())))
    };
    let tags = option::of(
        vec(select(vec!["a", "b", "prod", "Prod", "é"]), 0..=3)
            .prop_map(|v| ContextValue::Multi(v.into_iter().map(str::to_owned).collect())),
    );
    let prefix = prop_oneof![
        2 => single(&["a", "b", "prod", "Prod", "é", "alice", "aXc", "a*"]),
        1 => option::of(
            vec(select(vec!["a", "prod", "x"]), 0..=2)
                .prop_map(|v| ContextValue::Multi(v.into_iter().map(str::to_owned).collect()))
        ),
    ];
    (
        (
            tags,
            prefix,
            single(&["10.1.2.3", "192.0.2.1", "2001:db8::1", "not-an-ip"]),
            single(&["true", "false", "TRUE", "maybe"]),
        ),
        (
            single(&["5", "10", "100", "abc", "1e1"]),
            single(&["2024-06-01T00:00:00Z", "2026-01-01T00:00:00Z", "1735689600"]),
            single(&["x", "alice", "y"]),
            single(&["alice", "bob", "a*"]),
            single(&["arn:aws:s3:::bucket", "arn:aws:s3:::other"]),
        ),
    )
        .prop_map(
            |((tags, prefix, ip, secure), (max_keys, time, team, username, source_arn))| {
                [
                    ("aws:TagKeys", tags),
                    ("s3:prefix", prefix),
                    ("aws:SourceIp", ip),
                    ("AWS:SecureTransport", secure),
                    ("s3:max-keys", max_keys),
                    ("aws:CurrentTime", time),
                    ("aws:PrincipalTag/team", team),
                    ("aws:username", username),
                    ("aws:SourceArn", source_arn),
                ]
                .into_iter()
                .filter_map(|(key, value)| Some((key.to_owned(), value?)))
                .collect()
            },
        )
}

pub(crate) fn request() -> impl Strategy<Value = Req> {
    (
        select(CALLERS),
        select(ACTIONS),
        select(RESOURCES),
        prop_oneof![4 => Just(ACCOUNT), 1 => Just(OTHER_ACCOUNT), 1 => Just("")],
        context(),
    )
        .prop_map(|(caller, action, resource, account, context)| Req {
            caller: caller.to_owned(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            resource_account: account.to_owned(),
            context,
        })
}

/// The policies of every kind that apply to one request, as lists of statements grouped into
/// policies.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    pub(crate) identity: Vec<Vec<Value>>,
    pub(crate) boundary: Option<Vec<Vec<Value>>>,
    pub(crate) session: Option<Vec<Vec<Value>>>,
    pub(crate) resource: Option<Vec<Vec<Value>>>,
    /// Service control policies, one list of policies per level of the organization.
    pub(crate) scp: Vec<Vec<Vec<Value>>>,
    pub(crate) request: Req,
}

pub(crate) fn scenario() -> impl Strategy<Value = Scenario> {
    (
        policies(PolicyKind::Identity, Effects::Any, 3),
        option::of(policies(PolicyKind::Boundary, Effects::Any, 2)),
        option::of(policies(PolicyKind::Session, Effects::Any, 2)),
        option::of(policies(PolicyKind::Resource, Effects::Any, 2)),
        prop_oneof![
            3 => Just(Vec::new()),
            1 => vec(policies(PolicyKind::ServiceControl, Effects::Any, 2), 1..=2),
        ],
        request(),
    )
        .prop_map(
            |(identity, boundary, session, resource, scp, request)| Scenario {
                identity,
                boundary,
                session,
                resource,
                scp,
                request,
            },
        )
}

/// The same statements shuffled and regrouped into one or more policies.
pub(crate) fn regroup(policies: Vec<Vec<Value>>) -> impl Strategy<Value = Vec<Vec<Value>>> {
    let statements: Vec<Value> = policies.into_iter().flatten().collect();
    let count = statements.len();
    (Just(statements).prop_shuffle(), vec(any::<bool>(), count)).prop_map(|(statements, cuts)| {
        let mut groups: Vec<Vec<Value>> = vec![Vec::new()];
        let last = statements.len().saturating_sub(1);
        for (index, statement) in statements.into_iter().enumerate() {
            groups.last_mut().unwrap().push(statement);
            if cuts[index] && index < last {
                groups.push(Vec::new());
            }
        }
        groups
    })
}

pub(crate) fn regroup_optional(
    policies: Option<Vec<Vec<Value>>>,
) -> BoxedStrategy<Option<Vec<Vec<Value>>>> {
    match policies {
        Some(policies) => regroup(policies).prop_map(Some).boxed(),
        None => Just(None).boxed(),
    }
}

/// A scenario and the same scenario with every kind's statements shuffled and regrouped
/// (statements never move between kinds or between organization levels).
pub(crate) fn scenario_and_reordering() -> impl Strategy<Value = (Scenario, Scenario)> {
    scenario().prop_flat_map(|original| {
        let levels: Vec<_> = original.scp.iter().cloned().map(regroup).collect();
        let reordered = (
            regroup(original.identity.clone()),
            regroup_optional(original.boundary.clone()),
            regroup_optional(original.session.clone()),
            regroup_optional(original.resource.clone()),
            levels,
        )
            .prop_map({
                let original = original.clone();
                move |(identity, boundary, session, resource, scp)| Scenario {
                    identity,
                    boundary,
                    session,
                    resource,
                    scp,
                    request: original.request.clone(),
                }
            });
        (Just(original), reordered)
    })
}

pub(crate) const KINDS: &[PolicyKind] = &[
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Boundary,
    PolicyKind::Session,
    PolicyKind::ServiceControl,
    PolicyKind::ResourceControl,
];

/// A whole document of `kind` in any of the forms the grammar allows: with or without
/// `Version` and `Id`, `Statement` as an object or an array, `Sid`s, compact or indented.
pub(crate) fn document_text(kind: PolicyKind) -> impl Strategy<Value = String> {
    (
        select(vec![None, Some("2012-10-17"), Some("2008-10-17")]),
        option::of(select(ODD_STRINGS)),
        vec(
            (
                statement(kind, Effects::Any, ACTION_PATTERNS, true),
                option::of(select(vec!["S", "sid", "X9Y"])),
            ),
            1..=4,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(version, id, statements, as_object, pretty)| {
            let mut document = Map::new();
            if let Some(version) = version {
                document.insert("Version".into(), version.into());
            }
            if let Some(id) = id {
                document.insert("Id".into(), id.into());
            }
            let mut statements: Vec<Value> = statements
                .into_iter()
                .enumerate()
                .map(|(index, (mut statement, sid))| {
                    if let Some(sid) = sid {
                        statement["Sid"] = json!(format!("{sid}{index}"));
                    }
                    statement
                })
                .collect();
            let statement = if statements.len() == 1 && as_object {
                statements.remove(0)
            } else {
                Value::Array(statements)
            };
            document.insert("Statement".into(), statement);
            let document = Value::Object(document);
            if pretty {
                serde_json::to_string_pretty(&document).unwrap()
            } else {
                document.to_string()
            }
        })
}

pub(crate) fn kind_and_document() -> impl Strategy<Value = (PolicyKind, String)> {
    select(KINDS).prop_flat_map(|kind| (Just(kind), document_text(kind)))
}
