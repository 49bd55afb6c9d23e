//! `warden policy simulate` against the real aws CLI: the input skeleton it generates, once
//! filled in, is accepted by both; faults in it read the same; and Warden's output has the
//! members, order and types of the output skeleton it generates.
//!
//! These tests need the aws CLI on PATH (CI installs it) and fail, saying so, without it.

use std::collections::HashSet;
use std::fmt;
use std::process::Command;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use super::{Run, Scratch, warden};

/// Runs the aws CLI with its configuration isolated in `scratch`, fake credentials, one
/// attempt per request, and an endpoint nothing listens on: a request that passes the CLI's
/// own checks fails to connect instead of reaching AWS.
fn aws(scratch: &Scratch, args: &[&str]) -> Run {
    let nowhere = scratch.path().join("no-such-file");
    let output = Command::new("aws")
        .args(args)
        .args([
            "--endpoint-url",
            "http://127.0.0.1:1",
            "--region",
            "us-east-1",
        ])
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_RETRY_MODE", "standard")
        .env("AWS_PAGER", "")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run the aws CLI ({error}): these tests check Warden against it, so it \
                 must be on PATH; install it with `pip install awscli`"
            )
        });
    output.into()
}

fn skeleton(scratch: &Scratch, which: &str) -> String {
    let run = aws(
        scratch,
        &[
            "iam",
            "simulate-custom-policy",
            "--generate-cli-skeleton",
            which,
            "--policy-input-list",
            "{}",
            "--action-names",
            "s3:GetObject",
        ],
    );
    assert_eq!(
        run.status,
        Some(0),
        "aws --generate-cli-skeleton {which}: {}",
        run.stderr
    );
    run.stdout
}

const IDENTITY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::reports/*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
const BOUNDARY: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
const BUCKET: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::reports/*"}}"#;

/// A value for every member of the input skeleton; a member this test does not know fails
/// it, so that a new member of the API is noticed.
fn fill(key: &str, placeholder: &Value) -> Value {
    match key {
        "PolicyInputList" => json!([IDENTITY]),
        "PermissionsBoundaryPolicyInputList" => json!([BOUNDARY]),
        "ActionNames" => json!(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
        "ResourceArns" => json!(["arn:aws:s3:::reports/2024.csv"]),
        "ResourcePolicy" => json!(BUCKET),
        "ResourceOwner" => json!("arn:aws:iam::444455556666:root"),
        "CallerArn" => json!("arn:aws:iam::111122223333:user/alice"),
        "ContextEntries" => {
            let entry = &placeholder[0];
            let members: HashSet<&str> = entry
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                members,
                HashSet::from(["ContextKeyName", "ContextKeyValues", "ContextKeyType"])
            );
            json!([{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.10"], "ContextKeyType": "ip"}])
        }
        "ResourceHandlingOption" => json!("EC2-VPC-EBS"),
        "MaxItems" => json!(2),
        "Marker" => json!("1"),
        other => {
            panic!("the aws CLI's input skeleton has a member this test does not fill: {other}")
        }
    }
}

#[test]
fn a_filled_in_input_skeleton_is_accepted_by_the_aws_cli_and_by_warden() {
    let scratch = Scratch::new();
    let Value::Object(placeholders) = serde_json::from_str(&skeleton(&scratch, "input")).unwrap()
    else {
        panic!("the input skeleton is not an object");
    };
    let mut input = Map::new();
    for (key, placeholder) in &placeholders {
        let value = fill(key, placeholder);
        assert_eq!(
            kind(&value),
            kind(placeholder),
            "{key} is filled with the skeleton's type"
        );
        input.insert(key.clone(), value);
    }
    let file = scratch.file("input.json", &Value::Object(input.clone()).to_string());
    let parameter = format!("file://{file}");

    // The aws CLI checks it against the model, then tries to send it.
    let run = aws(
        &scratch,
        &[
            "iam",
            "simulate-custom-policy",
            "--cli-input-json",
            &parameter,
        ],
    );
    assert!(
        !run.stderr.contains("Parameter validation failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Could not connect to the endpoint URL"),
        "{}",
        run.stderr
    );

    let run = warden(&["policy", "simulate", "--cli-input-json", &parameter]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let page: Value = serde_json::from_str(&run.stdout).unwrap();
    // The Marker "1" starts after the first action; two are left and MaxItems is 2.
    assert_eq!(page["IsTruncated"], false);
    let results = page["EvaluationResults"].as_array().unwrap();
    let decisions: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["EvalActionName"].as_str().unwrap(),
                r["EvalDecision"].as_str().unwrap(),
            )
        })
        .collect();
    // Cross-account: PutObject is allowed on both sides, DeleteObject only by the bucket.
    assert_eq!(
        decisions,
        [
            ("s3:PutObject", "allowed"),
            ("s3:DeleteObject", "implicitDeny")
        ]
    );
    assert_eq!(
        results[1]["EvalDecisionDetails"],
        json!({"IAM Policy": "implicitDeny", "Resource Policy": "allowed", "Permissions Boundary Policy": "allowed"})
    );

    input.remove("Marker");
    let file = scratch.file("first-page.json", &Value::Object(input).to_string());
    let run = warden(&[
        "policy",
        "simulate",
        "--cli-input-json",
        &format!("file://{file}"),
    ]);
    let first: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (&first["IsTruncated"], &first["Marker"]),
        (&json!(true), &json!("2"))
    );
    assert_eq!(first["EvaluationResults"][0]["EvalDecision"], "allowed");
}

#[test]
fn parameter_faults_read_as_the_aws_cli_words_them() {
    let scratch = Scratch::new();
    let input = json!({
        "PolicyInputList": [""],
        "ActionNames": ["ab", 7],
        "Colour": "blue",
        "MaxItems": 0,
        "ContextEntries": [{"ContextKeyName": "k", "Extra": true}],
    });
    let file = scratch.file("bad.json", &input.to_string());
    let parameter = format!("file://{file}");
    let theirs = aws(
        &scratch,
        &[
            "iam",
            "simulate-custom-policy",
            "--cli-input-json",
            &parameter,
        ],
    );
    let ours = warden(&["policy", "simulate", "--cli-input-json", &parameter]);
    assert_eq!(ours.status, Some(252));
    let faults = |stderr: &str| -> HashSet<String> {
        let (_, listed) = stderr
            .split_once("Parameter validation failed:\n")
            .unwrap_or_else(|| panic!("no parameter faults in: {stderr}"));
        listed
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let theirs = faults(&theirs.stderr);
    assert_eq!(theirs.len(), 7, "{theirs:#?}");
    assert_eq!(faults(&ours.stderr), theirs);
}

#[test]
fn the_output_has_the_members_order_and_types_of_the_aws_output_skeleton() {
    let scratch = Scratch::new();
    let shape: Ordered = serde_json::from_str(&skeleton(&scratch, "output")).unwrap();
    let input = json!({
        "PolicyInputList": [IDENTITY],
        "PermissionsBoundaryPolicyInputList": [BOUNDARY],
        "ActionNames": ["s3:PutObject", "s3:DeleteObject"],
        "ResourceArns": ["arn:aws:s3:::reports/2024.csv", "arn:aws:s3:::reports/2025.csv"],
        "ResourcePolicy": BUCKET,
        "ResourceOwner": "arn:aws:iam::444455556666:root",
        "CallerArn": "arn:aws:iam::111122223333:user/alice",
        "MaxItems": 1,
    });
    let run = warden(&["policy", "simulate", "--cli-input-json", &input.to_string()]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let printed: Ordered = serde_json::from_str(&run.stdout).unwrap();
    // Every optional member appears, so the whole shape is checked.
    for member in [
        "\"Marker\"",
        "\"ResourceSpecificResults\"",
        "\"EvalDecisionDetails\"",
        "\"PermissionsBoundaryDecisionDetail\"",
        "\"MissingContextValues\": [\n",
    ] {
        assert!(run.stdout.contains(member), "{member} in {}", run.stdout);
    }
    conforms(&printed, &shape, "response");
}

/// JSON that keeps the order of object members, to compare with the aws CLI's order.
#[derive(Debug)]
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Scalar(Value),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        deserializer.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(json!(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(json!(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(json!(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(json!(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(json!(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Ordered, E> {
        Ok(Ordered::Scalar(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Ordered::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry()? {
            members.push(member);
        }
        Ok(Ordered::Object(members))
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `printed` fits `shape`: members the shape has, in the shape's order; items and
/// scalars of the shape's types. A shape object of one member `KeyName` is a map.
fn conforms(printed: &Ordered, shape: &Ordered, at: &str) {
    match (printed, shape) {
        (Ordered::Object(members), Ordered::Object(allowed)) => {
            if let [(key, value_shape)] = allowed.as_slice()
                && key == "KeyName"
            {
                for (name, value) in members {
                    conforms(value, value_shape, &format!("{at}.{name}"));
                }
                return;
            }
            let mut last = None;
            for (name, value) in members {
                let place = allowed.iter().position(|(key, _)| key == name);
                let Some(place) = place else {
                    panic!("{at} has {name}, which the aws CLI's output does not");
                };
                assert!(
                    last < Some(place),
                    "{at}.{name} is out of the aws CLI's order"
                );
                last = Some(place);
                conforms(value, &allowed[place].1, &format!("{at}.{name}"));
            }
        }
        (Ordered::Array(items), Ordered::Array(item_shapes)) => {
            for (i, item) in items.iter().enumerate() {
                conforms(item, &item_shapes[0], &format!("{at}[{i}]"));
            }
        }
        (Ordered::Scalar(value), Ordered::Scalar(expected)) => {
            assert_eq!(kind(value), kind(expected), "{at} is {value}");
        }
        _ => panic!("{at} is not shaped as in the aws CLI's output: {printed:?}"),
    }
}
