//! Wire-protocol tests of warden-api: awsQuery decoding and validation with AWS's messages,
//! XML encoding, and both checked against botocore's own serializer and parser (python3 with
//! botocore must be installed), plus the check that the embedded API models are up to date.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod wire {
    mod botocore;
    mod decode;
    mod encode;
    mod regen;
    mod validation;
}
