//! Fuzz target for the awsQuery decoder, which reads every request's parameters before
//! anything else does: the bytes after the first as a form body, read as the edge reads it,
//! decoded for the operation its `Action` names in the IAM or STS model, or, when it names
//! none, for the operation the first byte picks (so every operation is reached without
//! guessing its name).
//!
//! The edge's form reader gives what `form_urlencoded` gives. Decoding is deterministic,
//! gives a JSON object, and depends on each parameter's first value only, not on the order
//! of the parameters.

#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use warden_api::model::{Model, Operation};
use warden_api::query::{FormParams, decode};

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let form = FormParams::parse("", Bytes::copy_from_slice(body));
    let params: Vec<(String, String)> = form
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let reference: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    assert_eq!(params, reference, "the form reader differs from form_urlencoded");
    let named = params
        .iter()
        .find(|(name, _)| name == "Action")
        .and_then(|(_, action)| operation(action));
    let Some((model, operation)) = named.or_else(|| picked(usize::from(*pick))) else {
        return;
    };
    let decoded = decode(model, operation, &params);
    assert_eq!(
        decoded,
        decode(model, operation, &params),
        "decoding is not deterministic"
    );
    if let Ok(input) = &decoded {
        assert!(
            input.is_object(),
            "the input of {} is {input}",
            operation.name
        );
    }
    // Each name once, with its first value, in the reverse order.
    let mut firsts: Vec<(String, String)> = Vec::new();
    for (name, value) in &params {
        if !firsts.iter().any(|(seen, _)| seen == name) {
            firsts.push((name.clone(), value.clone()));
        }
    }
    firsts.reverse();
    assert_eq!(
        decoded,
        decode(model, operation, &firsts),
        "repeated names or the order of the parameters changed the input of {}",
        operation.name
    );
});

fn operation(action: &str) -> Option<(&'static Model, &'static Operation)> {
    [Model::iam(), Model::sts()]
        .into_iter()
        .find_map(|model| Some((model, model.operation(action)?)))
}

fn picked(index: usize) -> Option<(&'static Model, &'static Operation)> {
    let all: Vec<(&'static Model, &'static Operation)> = [Model::iam(), Model::sts()]
        .into_iter()
        .flat_map(|model| model.operations().map(move |operation| (model, operation)))
        .collect();
    all.get(index % all.len().max(1)).copied()
}
