//! Why a policy document was rejected, in AWS's MalformedPolicyDocument vocabulary, and where.

use std::fmt;

use crate::json::Position;

/// A policy document that cannot be used, and the place that makes it so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    message: String,
    statement: Option<usize>,
    sid: Option<String>,
    element: Option<&'static str>,
    position: Option<Position>,
}

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        PolicyError {
            message: message.into(),
            statement: None,
            sid: None,
            element: None,
            position: None,
        }
    }

    pub(crate) fn at(mut self, position: Position) -> Self {
        self.position.get_or_insert(position);
        self
    }

    pub(crate) fn in_element(mut self, element: &'static str) -> Self {
        self.element.get_or_insert(element);
        self
    }

    pub(crate) fn in_statement(mut self, index: usize, sid: Option<&str>) -> Self {
        self.statement.get_or_insert(index);
        if self.sid.is_none() {
            self.sid = sid.map(str::to_owned);
        }
        self
    }

    /// The message AWS's MalformedPolicyDocument error would carry, with what is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 0-based index of the statement at fault.
    pub fn statement(&self) -> Option<usize> {
        self.statement
    }

    /// The element at fault (`Action`, `Condition`, …).
    pub fn element(&self) -> Option<&'static str> {
        self.element
    }

    /// Where in the text the fault is.
    pub fn position(&self) -> Option<Position> {
        self.position
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let mut places = Vec::new();
        if let Some(index) = self.statement {
            match &self.sid {
                Some(sid) => places.push(format!("Statement[{index}] (Sid `{sid}`)")),
                None => places.push(format!("Statement[{index}]")),
            }
        }
        if let Some(element) = self.element {
            places.push(format!("element {element}"));
        }
        if let Some(position) = self.position {
            places.push(position.to_string());
        }
        if !places.is_empty() {
            write!(f, " (at {})", places.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}
