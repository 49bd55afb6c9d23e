//! The request context: the condition keys a request carries, and the request itself.

use crate::principal::Principal;

/// The value of one context key: one value, or a set of values (`aws:TagKeys`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values, one for a single-valued key.
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(value) => std::slice::from_ref(value),
            ContextValue::Multi(values) => values,
        }
    }
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        ContextValue::Single(value.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        ContextValue::Single(value)
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(values: Vec<String>) -> Self {
        ContextValue::Multi(values)
    }
}

/// Condition keys and their values. Key names are case-insensitive, as in AWS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Sorted by lower-cased key, unique.
    entries: Vec<(String, ContextValue)>,
}

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    /// Sets `key` to `value`, replacing any value it had.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        let key = key.to_ascii_lowercase();
        let value = value.into();
        match self.position(&key) {
            Ok(at) => {
                if let Some(entry) = self.entries.get_mut(at) {
                    entry.1 = value;
                }
            }
            Err(at) => self.entries.insert(at, (key, value)),
        }
    }

    /// Sets `key` only if it has no value yet.
    pub fn insert_default(&mut self, key: &str, value: impl Into<ContextValue>) {
        if self.get(key).is_none() {
            self.insert(key, value);
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        let key = key.to_ascii_lowercase();
        self.position(&key).ok().map(|at| self.entries.remove(at).1)
    }

    /// The value of `key`, whatever its case.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.position(&key.to_ascii_lowercase()).ok()
        } else {
            self.position(key).ok()
        }
        .and_then(|at| self.entries.get(at))
        .map(|(_, value)| value)
    }

    /// The value of a lower-cased `key` (no case folding: the engine's keys are pre-folded).
    pub(crate) fn get_folded(&self, key: &str) -> Option<&ContextValue> {
        self.position(key)
            .ok()
            .and_then(|at| self.entries.get(at))
            .map(|(_, value)| value)
    }

    /// The value of a single-valued key, for policy variables.
    pub(crate) fn single_folded(&self, key: &str) -> Option<&str> {
        match self.get_folded(key)? {
            ContextValue::Single(value) => Some(value),
            ContextValue::Multi(_) => None,
        }
    }

    /// Keys (lower-cased) and values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries
            .iter()
            .map(|(key, value)| (key.as_str(), value))
    }

    fn position(&self, folded: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(key, _)| key.as_str().cmp(folded))
    }
}

/// One authorization question: may `principal` perform `action` on `resource`?
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub principal: &'a Principal,
    /// `service:Action`, in any case.
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource type.
    pub resource: &'a str,
    /// The account that owns the resource; decides same- versus cross-account rules.
    pub resource_account: &'a str,
    pub context: &'a Context,
}
