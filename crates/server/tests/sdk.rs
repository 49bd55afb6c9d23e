//! End-to-end tests with the AWS SDK for Rust (`aws-sdk-iam`, `aws-sdk-sts`, `aws-config`):
//! each test starts the built `warden serve` on a free loopback port with a data folder of its
//! own, drives it with stock SDK clients, and stops it with SIGTERM.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

#[path = "sdk/access.rs"]
mod access;
#[path = "sdk/policies.rs"]
mod policies;
#[path = "sdk/server.rs"]
mod server;
#[path = "sdk/users.rs"]
mod users;

use std::fmt::Debug;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::SdkError;
use aws_sdk_iam::primitives::DateTime;
use serde_json::Value;

/// The message AWS gives for a SigV4 signature that does not match.
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
    signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
    service documentation for details.";

/// The message AWS gives for an unknown or inactive access key.
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// The service error a call failed with, and the HTTP status that came with it. Fails the
/// test if the call succeeded or failed any other way (connection, timeout, unparsable
/// response).
fn failure<T: Debug, E: Debug>(result: Result<T, SdkError<E, HttpResponse>>) -> (E, u16) {
    match result {
        Ok(output) => panic!("expected an error, got {output:?}"),
        Err(SdkError::ServiceError(context)) => {
            let status = context.raw().status().as_u16();
            (context.into_err(), status)
        }
        Err(other) => panic!("expected a service error, got {other:?}"),
    }
}

/// A policy document with these statements.
fn policy(statements: Value) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// An identity policy allowing `actions` on every resource.
fn allow(actions: &[&str]) -> String {
    policy(serde_json::json!([{"Effect": "Allow", "Action": actions, "Resource": "*"}]))
}

/// Decodes RFC 3986 percent-encoding, as AWS applies it to policy documents in responses.
fn percent_decode(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Parses a policy document that came back URL-encoded, failing if it was sent as plain JSON.
fn decoded_document(encoded: &str) -> Value {
    assert!(
        encoded.starts_with("%7B"),
        "policy documents come back URL-encoded, got {encoded}"
    );
    serde_json::from_str(&percent_decode(encoded)).unwrap()
}

/// Fails unless `time` is within five minutes of now.
fn assert_recent(time: Option<&DateTime>) {
    let time = time.expect("a timestamp");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (time.secs() - now).abs() < 300,
        "{time} is not close to now ({now})"
    );
}
