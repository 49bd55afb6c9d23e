//! How an operation's parameters reach its handler and its answer leaves it: the core reads a
//! handler's typed input from an [`Input`] and hands its typed output to an [`Output`], so the
//! API crate fills inputs and writes responses straight from its own forms (no JSON in
//! between), and tests and tools speak JSON values through the same calls.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;

/// Where an operation's typed input comes from: the parameters of a request, already checked
/// against the service model by whoever built them.
pub trait Input {
    /// The handler's input, read from these parameters. A failure is a
    /// [`Error::ValidationError`].
    fn read<I: DeserializeOwned>(self) -> Result<I, Error>;
}

/// Where an operation's typed output goes: the response being written.
pub trait Output {
    /// What writing the output produces (the response's text, a JSON value, …).
    type Written;

    /// Writes the handler's output, whose member names are the service model's.
    fn write<O: Serialize>(self, output: &O) -> Result<Self::Written, Error>;
}

/// A JSON object keyed by the model's member names is an input.
impl Input for Value {
    fn read<I: DeserializeOwned>(self) -> Result<I, Error> {
        serde_json::from_value(self)
            .map_err(|e| Error::ValidationError(format!("invalid request: {e}")))
    }
}

/// Collects an output as a JSON value keyed by the model's member names.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToValue;

impl Output for ToValue {
    type Written = Value;

    fn write<O: Serialize>(self, output: &O) -> Result<Value, Error> {
        serde_json::to_value(output)
            .map_err(|e| Error::Internal(format!("encoding a response: {e}")))
    }
}
