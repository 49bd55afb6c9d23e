//! `warden policy validate`: verdicts per file, errors with their places, exit status.

use super::{Scratch, warden, warden_with_stdin};

const GOOD: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}
  ]
}"#;

/// The second statement's action has no service prefix: line 4, column 52 is where its
/// value starts.
const BAD_ACTION: &str = r#"{
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    {"Sid": "Broken", "Effect": "Allow", "Action": "s3GetObject", "Resource": "*"}
  ]
}"#;

const BUCKET_POLICY: &str = r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}}"#;

#[test]
fn a_good_document_is_ok() {
    let scratch = Scratch::new();
    let file = scratch.file("good.json", GOOD);
    let run = warden(&["policy", "validate", &file]);
    assert_eq!(run.stdout, format!("{file}: ok\n"));
    assert_eq!(run.status, Some(0));
}

#[test]
fn an_error_names_its_statement_sid_element_line_and_column() {
    let scratch = Scratch::new();
    let good = scratch.file("good.json", GOOD);
    let bad = scratch.file("bad.json", BAD_ACTION);
    let run = warden(&["policy", "validate", &good, &bad]);
    assert_eq!(run.status, Some(1));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(lines[0], format!("{good}: ok"));
    assert_eq!(lines[1], format!("{bad}: ERROR"));
    let error = lines[2];
    assert!(error.starts_with("  error: "), "{error}");
    assert!(error.contains("`s3GetObject`"), "{error}");
    assert!(
        error.ends_with("(at Statement[1] (Sid `Broken`), element Action, line 4, column 52)"),
        "{error}"
    );
}

#[test]
fn the_kind_decides_the_rules() {
    let scratch = Scratch::new();
    let bucket = scratch.file("bucket.json", BUCKET_POLICY);
    let run = warden(&["policy", "validate", "--kind", "resource", &bucket]);
    assert_eq!(
        (run.status, run.stdout.as_str()),
        (Some(0), format!("{bucket}: ok\n").as_str())
    );

    // Identity policies may not name a principal; resource-side ones must.
    let run = warden(&["policy", "validate", &bucket]);
    assert_eq!(run.status, Some(1));
    assert!(run.stdout.contains("Principal"), "{}", run.stdout);
    let good = scratch.file("good.json", GOOD);
    for kind in ["resource", "rcp"] {
        let run = warden(&["policy", "validate", "--kind", kind, &good]);
        assert_eq!(run.status, Some(1), "{kind}: {}", run.stdout);
        assert!(
            run.stdout.starts_with(&format!("{good}: ERROR\n  error: ")),
            "{}",
            run.stdout
        );
    }
    for kind in ["identity", "boundary", "session", "scp"] {
        let run = warden(&["policy", "validate", "--kind", kind, &good]);
        assert_eq!(run.status, Some(0), "{kind}: {}", run.stdout);
    }
}

#[test]
fn an_oversized_document_is_an_error_for_its_kind() {
    // 30 statements of 85 characters each (whitespace aside) are over the 2,048 of a trust
    // policy; 20 are within it.
    let statement = r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#;
    let trust = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        vec![statement; 30].join(", ")
    );
    let scratch = Scratch::new();
    let file = scratch.file("trust.json", &trust);
    let run = warden(&["policy", "validate", "--kind", "trust", &file]);
    assert_eq!(run.status, Some(1));
    let size = trust.chars().filter(|c| !c.is_whitespace()).count();
    assert_eq!(
        run.stdout,
        format!(
            "{file}: ERROR\n  error: Cannot exceed quota for PolicySize: 2048 (the document has {size} characters, whitespace excluded)\n"
        )
    );

    let small = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        vec![statement; 20].join(", ")
    );
    let file = scratch.file("small.json", &small);
    let run = warden(&["policy", "validate", "--kind", "trust", &file]);
    assert_eq!(run.status, Some(0), "{}", run.stdout);
}

#[test]
fn a_dash_reads_standard_input() {
    let run = warden_with_stdin(&["policy", "validate", "-"], GOOD);
    assert_eq!(
        (run.status, run.stdout.as_str()),
        (Some(0), "<stdin>: ok\n")
    );
    let run = warden_with_stdin(&["policy", "validate", "-"], "{\"Statement\": [}");
    assert_eq!(run.status, Some(1));
    assert!(
        run.stdout.starts_with("<stdin>: ERROR\n  error: "),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("line 1, column 16"), "{}", run.stdout);
}

#[test]
fn an_unreadable_file_is_an_error_and_the_others_are_still_checked() {
    let scratch = Scratch::new();
    let missing = scratch.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let good = scratch.file("good.json", GOOD);
    let run = warden(&["policy", "validate", missing, &good]);
    assert_eq!(run.status, Some(1));
    assert!(
        run.stdout
            .starts_with(&format!("{missing}: ERROR\n  error: cannot read it: ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with(&format!("{good}: ok\n")),
        "{}",
        run.stdout
    );
}

#[test]
fn usage_errors_exit_with_two() {
    assert_eq!(warden(&["policy", "validate"]).status, Some(2));
    assert_eq!(
        warden(&["policy", "validate", "--kind", "group", "x.json"]).status,
        Some(2)
    );
}
