//! Parameters that break the model's constraints get AWS's `ValidationError` message.

use warden_api::model::Model;
use warden_api::query::decode;

fn message(model: &Model, operation: &str, pairs: &[(&str, &str)]) -> String {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    match decode(model, model.operation(operation).unwrap(), &params) {
        Ok(input) => panic!("{operation} accepted {input}"),
        Err(error) => error.message,
    }
}

fn iam(operation: &str, pairs: &[(&str, &str)]) -> String {
    message(Model::iam(), operation, pairs)
}

fn sts(operation: &str, pairs: &[(&str, &str)]) -> String {
    message(Model::sts(), operation, pairs)
}

#[test]
fn a_missing_required_member_is_null() {
    assert_eq!(
        iam("CreateUser", &[("Action", "CreateUser")]),
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn a_pattern_mismatch_quotes_the_java_pattern() {
    assert_eq!(
        iam("CreateUser", &[("UserName", "bad name")]),
        r"1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
}

#[test]
fn too_long_and_too_short_strings() {
    let long = "a".repeat(65);
    assert_eq!(
        iam("CreateUser", &[("UserName", &long)]),
        format!(
            "1 validation error detected: Value '{long}' at 'userName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        )
    );
    assert_eq!(
        sts(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456"),
                ("RoleSessionName", "ok")
            ]
        ),
        "1 validation error detected: Value 'arn:aws:iam::123456' at 'roleArn' failed to satisfy \
         constraint: Member must have length greater than or equal to 20"
    );
}

#[test]
fn lengths_count_characters_not_bytes() {
    let name = "é".repeat(64);
    assert!(
        decode(
            Model::iam(),
            Model::iam().operation("TagUser").unwrap(),
            &[
                ("UserName".to_owned(), "bob".to_owned()),
                ("Tags.member.1.Key".to_owned(), "k".to_owned()),
                ("Tags.member.1.Value".to_owned(), name.repeat(4)),
            ],
        )
        .is_ok()
    );
}

#[test]
fn an_empty_string_breaks_both_its_pattern_and_its_length() {
    assert_eq!(
        iam("GetUser", &[("UserName", "")]),
        r"2 validation errors detected: Value '' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn an_enum_mismatch_lists_the_values() {
    assert_eq!(
        iam("ListPolicies", &[("Scope", "Everything")]),
        "1 validation error detected: Value 'Everything' at 'scope' failed to satisfy constraint: \
         Member must satisfy enum value set: [All, Local, AWS]"
    );
}

#[test]
fn out_of_range_integers() {
    assert_eq!(
        iam("ListUsers", &[("MaxItems", "0")]),
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        iam("ListUsers", &[("MaxItems", "100000")]),
        "1 validation error detected: Value '100000' at 'maxItems' failed to satisfy constraint: \
         Member must have value less than or equal to 1000"
    );
    assert_eq!(
        sts(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/r"),
                ("RoleSessionName", "s1"),
                ("DurationSeconds", "20"),
            ]
        ),
        "1 validation error detected: Value '20' at 'durationSeconds' failed to satisfy constraint: \
         Member must have value greater than or equal to 900"
    );
}

#[test]
fn values_that_are_not_integers_or_booleans() {
    assert_eq!(
        iam("ListUsers", &[("MaxItems", "ten")]),
        "1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: \
         Member must be an integer"
    );
    assert_eq!(
        iam("ListUsers", &[("MaxItems", "4294967296")]),
        "1 validation error detected: Value '4294967296' at 'maxItems' failed to satisfy \
         constraint: Member must be an integer"
    );
    assert_eq!(
        iam("ListPolicies", &[("OnlyAttached", "yes")]),
        "1 validation error detected: Value 'yes' at 'onlyAttached' failed to satisfy constraint: \
         Member must be a boolean (true or false)"
    );
}

#[test]
fn nested_members_are_named_by_list_position() {
    assert_eq!(
        iam(
            "CreateUser",
            &[
                ("UserName", "bob"),
                ("Tags.member.1.Key", "fine"),
                ("Tags.member.1.Value", "fine"),
                ("Tags.member.7.Key", "bad*key"),
            ]
        ),
        r"2 validation errors detected: Value 'bad*key' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+; Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(
        sts(
            "AssumeRole",
            &[
                ("RoleArn", "arn:aws:iam::123456789012:role/r"),
                ("RoleSessionName", "s1"),
                ("PolicyArns.member.1.arn", "arn:short"),
            ]
        ),
        "1 validation error detected: Value 'arn:short' at 'policyArns.1.member.arn' failed to \
         satisfy constraint: Member must have length greater than or equal to 20"
    );
    assert_eq!(
        iam(
            "SimulateCustomPolicy",
            &[
                ("PolicyInputList.member.1", "{}"),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ContextEntries.member.1.ContextKeyName", "aws:username"),
                ("ContextEntries.member.1.ContextKeyType", "text"),
            ]
        ),
        "1 validation error detected: Value 'text' at 'contextEntries.1.member.contextKeyType' \
         failed to satisfy constraint: Member must satisfy enum value set: [date, numericList, \
         boolean, string, stringList, ip, binary, numeric, booleanList, dateList, binaryList, ipList]"
    );
}

#[test]
fn violations_follow_the_model_order_of_members() {
    let long_path = format!("/{}/", "p".repeat(511));
    assert_eq!(
        iam("CreateUser", &[("Path", &long_path)]),
        format!(
            "2 validation errors detected: Value '{long_path}' at 'path' failed to satisfy \
             constraint: Member must have length less than or equal to 512; Value null at \
             'userName' failed to satisfy constraint: Member must not be null"
        )
    );
}

#[test]
fn sensitive_values_are_not_repeated() {
    let long = "x".repeat(129);
    assert_eq!(
        iam(
            "ChangePassword",
            &[("OldPassword", "old"), ("NewPassword", &long)]
        ),
        "1 validation error detected: Value at 'newPassword' failed to satisfy constraint: \
         Member must have length less than or equal to 128"
    );
}

#[test]
fn list_lengths_come_before_their_elements() {
    let mut pairs: Vec<(String, String)> = vec![("UserName".into(), "bob".into())];
    for i in 1..=51 {
        pairs.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
        pairs.push((format!("Tags.member.{i}.Value"), "v".into()));
    }
    pairs.push(("Tags.member.51.Key".into(), "dup".into()));
    pairs.retain(|(k, v)| !(k == "Tags.member.51.Key" && v == "k51"));
    pairs.push(("Tags.member.52.Value".into(), "v".into()));
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        iam("CreateUser", &borrowed),
        "2 validation errors detected: Value at 'tags' failed to satisfy constraint: Member must \
         have length less than or equal to 50; Value null at 'tags.52.member.key' failed to \
         satisfy constraint: Member must not be null"
    );
    let keys: Vec<String> = (1..=51).map(|i| format!("k{i}")).collect();
    let mut pairs = vec![
        (
            "RoleArn".to_owned(),
            "arn:aws:iam::123456789012:role/r".to_owned(),
        ),
        ("RoleSessionName".to_owned(), "s1".to_owned()),
    ];
    pairs.extend(
        keys.iter()
            .enumerate()
            .map(|(i, k)| (format!("TransitiveTagKeys.member.{}", i + 1), k.clone())),
    );
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        sts("AssumeRole", &borrowed),
        format!(
            "1 validation error detected: Value '[{}]' at 'transitiveTagKeys' failed to satisfy \
             constraint: Member must have length less than or equal to 50",
            keys.join(", ")
        )
    );
}

#[test]
fn a_huge_list_is_decoded_once_and_refused_by_its_length() {
    let count = 25_000;
    let mut params = vec![("UserName".to_owned(), "bob".to_owned())];
    for i in (1..=count).rev() {
        params.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
        params.push((format!("Tags.member.{i}.Value"), "v".to_owned()));
    }
    let error = decode(
        Model::iam(),
        Model::iam().operation("CreateUser").unwrap(),
        &params,
    )
    .unwrap_err();
    assert_eq!(
        error.message,
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must \
         have length less than or equal to 50"
    );
}
