//! The policy simulator through `Service::call`: SimulateCustomPolicy,
//! SimulatePrincipalPolicy and GetContextKeysFor…Policy with inputs as the wire model decodes
//! them, and principal simulations that decide as enforcement decides.

mod common;

use common::Harness;
use serde_json::{Value, json};
use warden_core::{Caller, Error};

const ACCOUNT: &str = "111122223333";

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

/// `(EvalActionName, EvalDecision)` of every result.
fn decisions(response: &Value) -> Vec<(String, String)> {
    results(response)
        .iter()
        .map(|r| {
            let text = |member: &str| r[member].as_str().unwrap_or_default().to_owned();
            (text("EvalActionName"), text("EvalDecision"))
        })
        .collect()
}

fn results(response: &Value) -> &[Value] {
    response["EvaluationResults"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// `(SourcePolicyId, SourcePolicyType)` of a result's matched statements.
fn sources(result: &Value) -> Vec<(String, String)> {
    result["MatchedStatements"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let text = |member: &str| m[member].as_str().unwrap_or_default().to_owned();
            (text("SourcePolicyId"), text("SourcePolicyType"))
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn custom_policies_allow_deny_and_name_the_deciding_statements() {
    let h = Harness::new();
    let allow = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"KeepLogs","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;
    let response = h
        .root_call(
            "SimulateCustomPolicy",
            json!({
                "PolicyInputList": [allow, deny],
                "ActionNames": ["s3:GetObject", "s3:DeleteObject", "ec2:RunInstances"],
            }),
        )
        .unwrap();
    assert_eq!(
        decisions(&response),
        pairs(&[
            ("s3:GetObject", "allowed"),
            ("s3:DeleteObject", "explicitDeny"),
            ("ec2:RunInstances", "implicitDeny"),
        ])
    );
    assert_eq!(response["IsTruncated"], false);
    let results = results(&response);
    assert_eq!(
        results[0]["MatchedStatements"],
        json!([{
            "SourcePolicyId": "PolicyInputList.1",
            "SourcePolicyType": "IAM Policy",
            "StartPosition": {"Line": 4, "Column": 6},
            "EndPosition": {"Line": 8, "Column": 6},
        }])
    );
    assert_eq!(
        results[1]["MatchedStatements"],
        json!([{
            "SourcePolicyId": "PolicyInputList.2",
            "SourcePolicyType": "IAM Policy",
            "StartPosition": {"Line": 1, "Column": 39},
            "EndPosition": {"Line": 1, "Column": 114},
        }])
    );
    assert_eq!(results[2]["MatchedStatements"], json!([]));
    assert_eq!(results[2]["EvalResourceName"], "*");
}

#[test]
fn missing_context_values_and_the_boundary_are_reported() {
    let h = Harness::new();
    let tagged = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","iam:CreateUser"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data"}}}}"#;
    let boundary =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    let input = json!({
        "PolicyInputList": [tagged],
        "PermissionsBoundaryPolicyInputList": [boundary],
        "ActionNames": ["s3:GetObject", "iam:CreateUser"],
        "ContextEntries": [],
    });
    let response = h.root_call("SimulateCustomPolicy", input.clone()).unwrap();
    let results = results(&response);
    assert_eq!(results[0]["EvalDecision"], "implicitDeny");
    assert_eq!(
        results[0]["MissingContextValues"],
        json!(["aws:PrincipalTag/team"])
    );
    assert_eq!(
        results[0]["PermissionsBoundaryDecisionDetail"],
        json!({"AllowedByPermissionsBoundary": true})
    );
    assert_eq!(
        results[1]["PermissionsBoundaryDecisionDetail"],
        json!({"AllowedByPermissionsBoundary": false})
    );

    let mut tagged_input = input;
    tagged_input["ContextEntries"] = json!([{"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["data"], "ContextKeyType": "string"}]);
    let response = h.root_call("SimulateCustomPolicy", tagged_input).unwrap();
    assert_eq!(
        decisions(&response),
        pairs(&[
            ("s3:GetObject", "allowed"),
            ("iam:CreateUser", "implicitDeny")
        ])
    );
    assert_eq!(results_of(&response, 0)["MissingContextValues"], json!([]));
}

fn results_of(response: &Value, index: usize) -> Value {
    results(response).get(index).cloned().unwrap_or_default()
}

#[test]
fn results_are_paged_with_max_items_and_markers() {
    let h = Harness::new();
    let mut input = json!({
        "PolicyInputList": [r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#],
        "ActionNames": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        "MaxItems": 2,
    });
    let first = h.root_call("SimulateCustomPolicy", input.clone()).unwrap();
    assert_eq!(first["IsTruncated"], true);
    assert_eq!(results(&first).len(), 2);
    input["Marker"] = first["Marker"].clone();
    let rest = h.root_call("SimulateCustomPolicy", input).unwrap();
    assert_eq!(rest["IsTruncated"], false);
    assert!(rest.get("Marker").is_none());
    assert_eq!(decisions(&rest), pairs(&[("s3:DeleteObject", "allowed")]));
}

#[test]
fn invalid_simulations_are_invalid_input() {
    let h = Harness::new();
    let error = h
        .root_call(
            "SimulateCustomPolicy",
            json!({"PolicyInputList": ["{}"], "ActionNames": ["s3:GetObject"]}),
        )
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput(m) if m.starts_with("PolicyInputList.1 is not a valid policy")),
        "{error}"
    );
    for arn in [
        "arn:aws:iam::111122223333:policy/Foo",
        "arn:aws:s3:::bucket",
        "alice",
    ] {
        let error = h
            .root_call(
                "SimulatePrincipalPolicy",
                json!({"PolicySourceArn": arn, "ActionNames": ["s3:GetObject"]}),
            )
            .unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{arn}: {error}");
    }
}

/// Creates a customer managed policy and returns its ARN.
fn create_policy(h: &Harness, name: &str, document: &str) -> Result<String, Error> {
    let created = h.root_call(
        "CreatePolicy",
        json!({"PolicyName": name, "PolicyDocument": document}),
    )?;
    let arn = created.pointer("/Policy/Arn").and_then(Value::as_str);
    Ok(arn.unwrap_or_default().to_owned())
}

const READ_SELF: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadSelf","Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys","iam:ListGroupsForUser"],"Resource":"arn:aws:iam::111122223333:user/${aws:username}"}]}"#;
const NO_PEEKING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:GetUser","iam:ListAccessKeys"],"Resource":"arn:aws:iam::111122223333:user/boss"}]}"#;
const BROWSE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetGroup","Resource":"*"},{"Effect":"Deny","Action":"iam:GetGroup","Resource":"arn:aws:iam::111122223333:group/secret"}]}"#;

/// User `ana`: the AWS managed IAMUserChangePassword and an inline Deny of her own, and
/// group `devs` with the customer managed `ReadSelf` and an inline `Browse`.
fn ana(h: &Harness) -> Result<(), Error> {
    for user in ["ana", "boss"] {
        h.root_call("CreateUser", json!({"UserName": user}))?;
    }
    for group in ["devs", "secret"] {
        h.root_call("CreateGroup", json!({"GroupName": group}))?;
    }
    h.root_call(
        "AddUserToGroup",
        json!({"GroupName": "devs", "UserName": "ana"}),
    )?;
    let read_self = create_policy(h, "ReadSelf", READ_SELF)?;
    h.root_call(
        "AttachGroupPolicy",
        json!({"GroupName": "devs", "PolicyArn": read_self}),
    )?;
    h.root_call(
        "PutGroupPolicy",
        json!({"GroupName": "devs", "PolicyName": "Browse", "PolicyDocument": BROWSE}),
    )?;
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "ana", "PolicyArn": "arn:aws:iam::aws:policy/IAMUserChangePassword"}),
    )?;
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "ana", "PolicyName": "NoPeeking", "PolicyDocument": NO_PEEKING}),
    )?;
    Ok(())
}

/// What enforcement decided: `allowed`, or the kind of denial its message names.
fn enforced(result: Result<Value, Error>) -> String {
    match result {
        Ok(_) => "allowed".to_owned(),
        Err(Error::AccessDenied(message)) if message.contains("explicit deny") => {
            "explicitDeny".to_owned()
        }
        Err(Error::AccessDenied(_)) => "implicitDeny".to_owned(),
        Err(other) => format!("not an authorization error: {other}"),
    }
}

fn simulate_principal(
    h: &Harness,
    source: &str,
    action: &str,
    resource: &str,
) -> Result<Value, Error> {
    let response = h.root_call(
        "SimulatePrincipalPolicy",
        json!({"PolicySourceArn": source, "ActionNames": [action], "ResourceArns": [resource]}),
    )?;
    Ok(results_of(&response, 0))
}

#[test]
fn a_principal_simulation_decides_as_enforcement_does() {
    let h = Harness::new();
    ana(&h).unwrap();
    let caller = h.user("ana");
    let group_arn = |name: &str| format!("arn:aws:iam::{ACCOUNT}:group/{name}");
    let cases: [(&str, Value, String); 8] = [
        ("GetUser", json!({"UserName": "ana"}), user_arn("ana")),
        ("GetUser", json!({"UserName": "boss"}), user_arn("boss")),
        (
            "ListAccessKeys",
            json!({"UserName": "ana"}),
            user_arn("ana"),
        ),
        (
            "ListAccessKeys",
            json!({"UserName": "boss"}),
            user_arn("boss"),
        ),
        (
            "ListGroupsForUser",
            json!({"UserName": "boss"}),
            user_arn("boss"),
        ),
        ("GetGroup", json!({"GroupName": "devs"}), group_arn("devs")),
        (
            "GetGroup",
            json!({"GroupName": "secret"}),
            group_arn("secret"),
        ),
        (
            "CreateUser",
            json!({"UserName": "newbie"}),
            user_arn("newbie"),
        ),
    ];
    let mut seen = Vec::new();
    for (operation, input, resource) in cases {
        let real = enforced(h.call(&caller, operation, input));
        let simulated =
            simulate_principal(&h, &user_arn("ana"), &format!("iam:{operation}"), &resource)
                .unwrap();
        assert_eq!(
            simulated["EvalDecision"], real,
            "{operation} on {resource}: {simulated}"
        );
        seen.push(real);
    }
    for outcome in ["allowed", "explicitDeny", "implicitDeny"] {
        assert!(
            seen.iter().any(|s| s == outcome),
            "{outcome} was never tested"
        );
    }
}

#[test]
fn a_principal_simulation_names_each_policy_by_its_source() {
    let h = Harness::new();
    ana(&h).unwrap();
    let ana_arn = user_arn("ana");
    let cases = [
        ("iam:GetUser", ana_arn.clone(), ("ReadSelf", "user-managed")),
        ("iam:GetUser", user_arn("boss"), ("NoPeeking", "user")),
        (
            "iam:GetGroup",
            format!("arn:aws:iam::{ACCOUNT}:group/secret"),
            ("Browse", "group"),
        ),
        (
            "iam:ChangePassword",
            ana_arn.clone(),
            ("IAMUserChangePassword", "aws-managed"),
        ),
    ];
    for (action, resource, source) in cases {
        let result = simulate_principal(&h, &ana_arn, action, &resource).unwrap();
        assert_eq!(sources(&result), pairs(&[source]), "{action} on {resource}");
    }
    let result = simulate_principal(&h, &ana_arn, "iam:GetUser", &ana_arn).unwrap();
    assert_eq!(
        result["MatchedStatements"][0]["StartPosition"],
        json!({"Line": 1, "Column": 39})
    );
    assert_eq!(result["EvalDecisionDetails"], json!({}));
    assert_eq!(
        result["ResourceSpecificResults"][0]["EvalResourceDecision"],
        "allowed"
    );
}

#[test]
fn the_caller_brings_its_keys_and_context_entries_win() {
    let h = Harness::new();
    ana(&h).unwrap();
    let simulate = |extra: Value| {
        let mut input = json!({
            "PolicySourceArn": user_arn("ana"),
            "ActionNames": ["iam:ListGroupsForUser"],
            "ResourceArns": [user_arn("boss")],
        });
        if let (Value::Object(input), Value::Object(extra)) = (&mut input, extra) {
            input.extend(extra);
        }
        let response = h.root_call("SimulatePrincipalPolicy", input).unwrap();
        results_of(&response, 0)["EvalDecision"].clone()
    };
    // As ana, ReadSelf covers only ana.
    assert_eq!(simulate(json!({})), "implicitDeny");
    // As boss with ana's policies, it covers boss.
    assert_eq!(simulate(json!({"CallerArn": user_arn("boss")})), "allowed");
    let username = json!({"ContextEntries": [{"ContextKeyName": "aws:username", "ContextKeyValues": ["boss"], "ContextKeyType": "string"}]});
    assert_eq!(simulate(username), "allowed");
}

#[test]
fn the_principals_boundary_applies_unless_the_input_gives_one() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "cy"}))
        .unwrap();
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "cy", "PolicyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}),
    )
    .unwrap();
    let ceiling = create_policy(
        &h,
        "Ceiling",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}"#,
    )
    .unwrap();
    h.root_call(
        "PutUserPermissionsBoundary",
        json!({"UserName": "cy", "PermissionsBoundary": ceiling}),
    )
    .unwrap();
    let input = json!({
        "PolicySourceArn": user_arn("cy"),
        "ActionNames": ["iam:GetUser", "iam:CreateUser", "iam:DeleteUser"],
    });
    let response = h
        .root_call("SimulatePrincipalPolicy", input.clone())
        .unwrap();
    assert_eq!(
        decisions(&response),
        pairs(&[
            ("iam:GetUser", "allowed"),
            ("iam:CreateUser", "implicitDeny"),
            ("iam:DeleteUser", "explicitDeny"),
        ])
    );
    let allowed_by_boundary: Vec<&Value> = results(&response)
        .iter()
        .map(|r| &r["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"])
        .collect();
    assert_eq!(
        allowed_by_boundary,
        [&json!(true), &json!(false), &json!(false)]
    );
    assert_eq!(
        sources(&results_of(&response, 0)),
        pairs(&[("IAMFullAccess", "aws-managed")])
    );
    assert_eq!(
        sources(&results_of(&response, 2)),
        pairs(&[("Ceiling", "Permissions Boundary Policy")])
    );

    let mut replaced = input;
    replaced["PermissionsBoundaryPolicyInputList"] = json!([
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#
    ]);
    let response = h.root_call("SimulatePrincipalPolicy", replaced).unwrap();
    assert_eq!(
        decisions(&response),
        pairs(&[
            ("iam:GetUser", "allowed"),
            ("iam:CreateUser", "allowed"),
            ("iam:DeleteUser", "allowed"),
        ])
    );
}

#[test]
fn groups_and_roles_are_simulated_with_their_own_policies() {
    let h = Harness::new();
    ana(&h).unwrap();
    let devs = format!("arn:aws:iam::{ACCOUNT}:group/devs");
    let response = h
        .root_call(
            "SimulatePrincipalPolicy",
            json!({"PolicySourceArn": devs, "ActionNames": ["iam:GetGroup", "iam:ChangePassword"]}),
        )
        .unwrap();
    assert_eq!(
        decisions(&response),
        pairs(&[
            ("iam:GetGroup", "allowed"),
            ("iam:ChangePassword", "implicitDeny")
        ])
    );

    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    h.root_call(
        "CreateRole",
        json!({"RoleName": "builder", "Path": "/ci/", "AssumeRolePolicyDocument": trust}),
    )
    .unwrap();
    h.root_call(
        "PutRolePolicy",
        json!({"RoleName": "builder", "PolicyName": "Artifacts", "PolicyDocument": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}"#}),
    )
    .unwrap();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/ci/builder");
    let response = h
        .root_call(
            "SimulatePrincipalPolicy",
            json!({"PolicySourceArn": role, "ActionNames": ["s3:PutObject", "s3:GetObject"]}),
        )
        .unwrap();
    assert_eq!(
        decisions(&response),
        pairs(&[
            ("s3:PutObject", "allowed"),
            ("s3:GetObject", "implicitDeny")
        ])
    );
    assert_eq!(
        sources(&results_of(&response, 0)),
        pairs(&[("Artifacts", "role")])
    );

    // A resource policy needs a caller, which a role does not provide.
    let error = h
        .root_call(
            "SimulatePrincipalPolicy",
            json!({"PolicySourceArn": role, "ActionNames": ["s3:PutObject"], "ResourcePolicy": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#}),
        )
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error}");
}

#[test]
fn a_missing_principal_is_no_such_entity() {
    let h = Harness::new();
    ana(&h).unwrap();
    let missing = [
        user_arn("ghost"),
        format!("arn:aws:iam::{ACCOUNT}:user/elsewhere/ana"),
        format!("arn:aws:iam::{ACCOUNT}:role/ghost"),
        "arn:aws:iam::444455556666:user/ana".to_owned(),
    ];
    for arn in missing {
        for action in [
            "SimulatePrincipalPolicy",
            "GetContextKeysForPrincipalPolicy",
        ] {
            let error = h
                .root_call(
                    action,
                    json!({"PolicySourceArn": arn, "ActionNames": ["s3:GetObject"]}),
                )
                .unwrap_err();
            assert!(
                matches!(error, Error::NoSuchEntity(_)),
                "{action} {arn}: {error}"
            );
        }
    }
}

fn put_user_policy(h: &Harness, user: &str, document: &str) -> Result<Value, Error> {
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": user, "PolicyName": "Simulate", "PolicyDocument": document}),
    )
}

#[test]
fn callers_need_the_simulate_permissions() {
    let h = Harness::new();
    ana(&h).unwrap();
    h.root_call("CreateUser", json!({"UserName": "dee"}))
        .unwrap();
    let dee: Caller = h.user("dee");
    let custom = json!({"PolicyInputList": [READ_SELF], "ActionNames": ["iam:GetUser"]});
    let principal =
        |name: &str| json!({"PolicySourceArn": user_arn(name), "ActionNames": ["iam:GetUser"]});
    let denied = |result: Result<Value, Error>| matches!(result, Err(Error::AccessDenied(_)));

    assert!(denied(h.call(&dee, "SimulateCustomPolicy", custom.clone())));
    assert!(denied(h.call(
        &dee,
        "GetContextKeysForCustomPolicy",
        json!({"PolicyInputList": [READ_SELF]})
    )));
    assert!(denied(h.call(
        &dee,
        "SimulatePrincipalPolicy",
        principal("ana")
    )));
    // Denied before anything is looked up: a missing user is not revealed.
    assert!(denied(h.call(
        &dee,
        "SimulatePrincipalPolicy",
        principal("ghost")
    )));
    assert!(denied(h.call(
        &dee,
        "GetContextKeysForPrincipalPolicy",
        principal("ana")
    )));

    put_user_policy(
        &h,
        "dee",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:SimulateCustomPolicy","Resource":"*"},{"Effect":"Allow","Action":["iam:SimulatePrincipalPolicy","iam:GetContextKeysForPrincipalPolicy"],"Resource":"arn:aws:iam::111122223333:user/ana"}]}"#,
    )
    .unwrap();
    assert!(h.call(&dee, "SimulateCustomPolicy", custom).is_ok());
    assert!(
        h.call(&dee, "SimulatePrincipalPolicy", principal("ana"))
            .is_ok()
    );
    assert!(
        h.call(&dee, "GetContextKeysForPrincipalPolicy", principal("ana"))
            .is_ok()
    );
    assert!(denied(h.call(
        &dee,
        "SimulatePrincipalPolicy",
        principal("boss")
    )));
    let error = h
        .call(&dee, "SimulatePrincipalPolicy", principal("boss"))
        .unwrap_err();
    assert_eq!(
        error.message(),
        "User: arn:aws:iam::111122223333:user/dee is not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::111122223333:user/boss because no identity-based policy allows the iam:SimulatePrincipalPolicy action"
    );
}

#[test]
fn context_keys_of_custom_and_principal_policies() {
    let h = Harness::new();
    ana(&h).unwrap();
    let dated = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#;
    let response = h
        .root_call(
            "GetContextKeysForCustomPolicy",
            json!({"PolicyInputList": [dated, READ_SELF]}),
        )
        .unwrap();
    assert_eq!(
        response,
        json!({"ContextKeyNames": ["aws:CurrentTime", "aws:SourceIp", "aws:username"]})
    );

    let response = h
        .root_call(
            "GetContextKeysForPrincipalPolicy",
            json!({"PolicySourceArn": user_arn("ana"), "PolicyInputList": [dated]}),
        )
        .unwrap();
    assert_eq!(
        response,
        json!({"ContextKeyNames": ["aws:username", "aws:CurrentTime", "aws:SourceIp"]})
    );
    let response = h
        .root_call(
            "GetContextKeysForPrincipalPolicy",
            json!({"PolicySourceArn": user_arn("boss")}),
        )
        .unwrap();
    assert_eq!(response, json!({"ContextKeyNames": []}));

    let error = h
        .root_call(
            "GetContextKeysForCustomPolicy",
            json!({"PolicyInputList": ["not a policy"]}),
        )
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error}");
}

const ALLOW_EVERYTHING: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

/// `n` distinct S3 action names.
fn actions(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("s3:Action{i}")).collect()
}

/// `n` distinct bucket ARNs.
fn buckets(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("arn:aws:s3:::bucket{i}")).collect()
}

/// A policy of `n` statements, each one action pattern and one resource pattern: three tests
/// per statement for one evaluation.
fn statements(n: usize) -> String {
    let statement = r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket*"}"#;
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; n].join(",")
    )
}

/// AWS's ValidationError for a list longer than `max`.
fn too_long(member: &str, max: usize) -> Error {
    Error::ValidationError(format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
    ))
}

fn with_members(base: Value, extra: Value) -> Value {
    let mut input = base;
    if let (Value::Object(base), Value::Object(extra)) = (&mut input, extra) {
        base.extend(extra);
    }
    input
}

#[test]
fn simulations_beyond_warden_bounds_are_refused_in_aws_words() {
    let h = Harness::new();
    let simulate = |extra: Value| {
        let input = with_members(json!({"PolicyInputList": [ALLOW_EVERYTHING]}), extra);
        h.root_call("SimulateCustomPolicy", input)
    };
    assert_eq!(
        simulate(json!({"ActionNames": actions(10_001)})).unwrap_err(),
        too_long("actionNames", 10_000)
    );
    // 101 actions × 100 resources: with 101 actions, 99 resources fit in 10,000 evaluations.
    assert_eq!(
        simulate(json!({"ActionNames": actions(101), "ResourceArns": buckets(100)})).unwrap_err(),
        too_long("resourceArns", 99)
    );
    let at_the_bound =
        simulate(json!({"ActionNames": actions(100), "ResourceArns": buckets(100), "MaxItems": 1}))
            .unwrap();
    assert_eq!(at_the_bound["IsTruncated"], true);

    let entry = |i: usize, values: usize| {
        json!({
            "ContextKeyName": format!("aws:PrincipalTag/k{i}"),
            "ContextKeyValues": vec!["v"; values],
            "ContextKeyType": "stringList",
        })
    };
    let entries: Vec<Value> = (0..101).map(|i| entry(i, 1)).collect();
    assert_eq!(
        simulate(json!({"ActionNames": ["s3:GetObject"], "ContextEntries": entries})).unwrap_err(),
        too_long("contextEntries", 100)
    );
    let entries = vec![entry(0, 100), entry(1, 101)];
    assert_eq!(
        simulate(json!({"ActionNames": ["s3:GetObject"], "ContextEntries": entries})).unwrap_err(),
        too_long("contextEntries.2.member.contextKeyValues", 100)
    );

    // One action on its resources may make at most 50,000 policy tests: 50 statements of
    // three tests each on 333 resources fit (49,950), on 334 they do not (50,100).
    let fifty = statements(50);
    let action_on = |resources: usize| {
        h.root_call(
            "SimulateCustomPolicy",
            json!({
                "PolicyInputList": [fifty],
                "ActionNames": ["s3:GetObject"],
                "ResourceArns": buckets(resources),
            }),
        )
    };
    assert_eq!(results(&action_on(333).unwrap()).len(), 1);
    assert_eq!(
        action_on(334).unwrap_err(),
        Error::LimitExceeded("Cannot exceed quota for TestsPerSimulatedAction: 50000".to_owned())
    );

    // SimulatePrincipalPolicy reads its members by the same rules.
    h.root_call("CreateUser", json!({"UserName": "big"}))
        .unwrap();
    let error = h
        .root_call(
            "SimulatePrincipalPolicy",
            json!({"PolicySourceArn": user_arn("big"), "ActionNames": actions(10_001)}),
        )
        .unwrap_err();
    assert_eq!(error, too_long("actionNames", 10_000));
}

#[test]
fn a_page_evaluates_its_own_actions_only() {
    use warden_core::simulator::Request;

    // 100 actions on 100 resources: 10,000 evaluations in all, 100 per action.
    let mut input = json!({
        "PolicyInputList": [ALLOW_EVERYTHING],
        "ActionNames": actions(100),
        "ResourceArns": buckets(100),
        "MaxItems": 1,
    });
    let first = Request::custom(&input).unwrap().respond().unwrap();
    assert_eq!(
        first.evaluations(),
        100,
        "the first page evaluates its one action"
    );
    let first = serde_json::to_value(&first).unwrap();
    assert_eq!(first["IsTruncated"], true);
    assert_eq!(first["Marker"], "1");
    assert_eq!(decisions(&first), pairs(&[("s3:Action0", "allowed")]));

    input["Marker"] = json!("99");
    let last = Request::custom(&input).unwrap().respond().unwrap();
    assert_eq!(
        last.evaluations(),
        100,
        "the last page evaluates its one action"
    );
    let last = serde_json::to_value(&last).unwrap();
    assert_eq!(last["IsTruncated"], false);
    assert_eq!(decisions(&last), pairs(&[("s3:Action99", "allowed")]));
}

#[test]
fn pages_hold_the_actions_that_fit_and_together_answer_every_action() {
    let h = Harness::new();
    // 100 statements of three tests on 20 resources: 6,000 tests per action, so a page holds
    // 8 actions (48,000 tests) although MaxItems asks for 100.
    let mut input = json!({
        "PolicyInputList": [statements(100)],
        "ActionNames": actions(30),
        "ResourceArns": buckets(20),
    });
    let mut pages = Vec::new();
    let mut answered = Vec::new();
    loop {
        let page = h.root_call("SimulateCustomPolicy", input.clone()).unwrap();
        pages.push(results(&page).len());
        answered.extend(decisions(&page));
        if page["IsTruncated"] == false {
            assert!(page.get("Marker").is_none());
            break;
        }
        input["Marker"] = page["Marker"].clone();
    }
    assert_eq!(pages, [8, 8, 8, 6]);
    let expected: Vec<(String, String)> = actions(30)
        .into_iter()
        .map(|action| (action, "allowed".to_owned()))
        .collect();
    assert_eq!(answered, expected);
}
