//! The awsQuery request decoder: an operation's form parameters (`Tags.member.1.Key=…`)
//! become a JSON object of its input, keyed by the model's member names and checked against
//! the model's constraints, with AWS's `ValidationError` message when they are not met.

mod constraints;

use std::fmt;

use serde_json::{Map, Value};

use crate::model::{ListShape, MapShape, Model, Operation, Shape, StructureShape};
use constraints::Violations;

/// Parameters that break the operation's constraints, in AWS's words:
/// `1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member
/// must not be null`. Sent as HTTP 400, code `ValidationError`, type `Sender`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Decodes the awsQuery parameters of a request for `operation` (name/value pairs, already
/// percent-decoded; `Action`, `Version` and unknown names are ignored) into a JSON object of
/// its input: `{"UserName": "bob", "Tags": [{"Key": "k", "Value": "v"}], "MaxItems": 100}`.
///
/// Lists come as `Name.member.N` (in index order, gaps closed; `Name=` is an empty list), maps
/// as `Name.entry.N.key`/`.value`, structures as `Name.Member`. Integers become JSON numbers,
/// booleans JSON booleans; strings, timestamps (ISO 8601) and blobs (base64) stay strings.
pub fn decode(
    model: &Model,
    operation: &Operation,
    params: &[(String, String)],
) -> Result<Value, ValidationError> {
    let mut decoder = Decoder {
        model,
        params: Params::new(params),
        violations: Violations::default(),
    };
    let input = match operation
        .input
        .as_deref()
        .and_then(|name| model.shape(name))
    {
        Some(Shape::Structure(input)) => decoder.structure(input, "", ""),
        _ => Map::new(),
    };
    match decoder.violations.into_message() {
        None => Ok(Value::Object(input)),
        Some(message) => Err(ValidationError { message }),
    }
}

struct Decoder<'a> {
    model: &'a Model,
    params: Params<'a>,
    violations: Violations,
}

/// The parameters sorted by name (stably, so the first of repeated names stays first): the
/// parameters under a prefix are then a contiguous run found by binary search, and decoding
/// costs about the number of parameters times the nesting depth, whatever their number.
struct Params<'a> {
    sorted: Vec<(&'a str, &'a str)>,
}

impl<'a> Params<'a> {
    fn new(params: &'a [(String, String)]) -> Params<'a> {
        let mut sorted: Vec<(&str, &str)> = params
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        Params { sorted }
    }

    /// The parameters whose names start with `prefix`.
    fn under<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = &'s (&'a str, &'a str)> {
        let start = self.sorted.partition_point(|(name, _)| *name < prefix);
        let run = self.sorted.get(start..).unwrap_or_default();
        run.iter()
            .take_while(move |(name, _)| name.starts_with(prefix))
    }

    /// The value of the first parameter named exactly `key`.
    fn get(&self, key: &str) -> Option<&'a str> {
        self.under(key)
            .find(|(name, _)| *name == key)
            .map(|(_, value)| *value)
    }
}

impl Decoder<'_> {
    /// The members of a structure whose parameters start with `prefix` (empty at the top);
    /// `path` is the structure's place in AWS's messages (`tags.1.member`).
    fn structure(
        &mut self,
        shape: &StructureShape,
        prefix: &str,
        path: &str,
    ) -> Map<String, Value> {
        let mut object = Map::new();
        for member in &shape.members {
            let key = join(
                prefix,
                member.location_name.as_deref().unwrap_or(&member.name),
            );
            let member_path = join(path, &lower_camel(&member.name));
            match self.value(&member.shape, member.flattened, &key, &member_path) {
                Some(value) => {
                    object.insert(member.name.clone(), value);
                }
                None if member.required => self.violations.null(&member_path),
                None => {}
            }
        }
        object
    }

    /// The value of shape `shape_name` serialized at `key`, or `None` when it is absent.
    fn value(&mut self, shape_name: &str, flattened: bool, key: &str, path: &str) -> Option<Value> {
        match self.model.shape(shape_name)? {
            Shape::Structure(structure) => {
                let present = self.params.under(&format!("{key}.")).next().is_some();
                present.then(|| Value::Object(self.structure(structure, key, path)))
            }
            Shape::List(list) => self.list(list, flattened || list.flattened, key, path),
            Shape::Map(map) => self.map(map, flattened || map.flattened, key, path),
            scalar => {
                let raw = self.params.get(key)?;
                Some(self.violations.scalar(scalar, raw, path))
            }
        }
    }

    fn list(&mut self, list: &ListShape, flattened: bool, key: &str, path: &str) -> Option<Value> {
        let element_name = list.member.location_name.as_deref();
        let elements_at = match (flattened, element_name) {
            (true, None) => key.to_owned(),
            (true, Some(name)) => replace_last_segment(key, name),
            (false, name) => format!("{key}.{}", name.unwrap_or("member")),
        };
        let indices = self.indices(&elements_at);
        if indices.is_empty() && self.params.get(key) != Some("") {
            return None;
        }
        let mark = self.violations.mark();
        let mut elements = Vec::with_capacity(indices.len());
        for index in indices {
            let element_path = format!("{path}.{}.member", elements.len() + 1);
            let element_key = format!("{elements_at}.{index}");
            let member = &list.member;
            if let Some(element) =
                self.value(&member.shape, member.flattened, &element_key, &element_path)
            {
                elements.push(element);
            }
        }
        self.violations
            .list_length(self.model, list, &elements, path, mark);
        Some(Value::Array(elements))
    }

    fn map(&mut self, map: &MapShape, flattened: bool, key: &str, path: &str) -> Option<Value> {
        let entries_at = if flattened {
            key.to_owned()
        } else {
            format!("{key}.entry")
        };
        let indices = self.indices(&entries_at);
        if indices.is_empty() && self.params.get(key) != Some("") {
            return None;
        }
        let key_name = map.key.location_name.as_deref().unwrap_or("key");
        let value_name = map.value.location_name.as_deref().unwrap_or("value");
        let mark = self.violations.mark();
        let mut object = Map::new();
        for (position, index) in indices.into_iter().enumerate() {
            let entry_path = format!("{path}.{}", position + 1);
            let key_path = format!("{entry_path}.key");
            let entry_key = self.value(
                &map.key.shape,
                false,
                &format!("{entries_at}.{index}.{key_name}"),
                &key_path,
            );
            let entry_value = self.value(
                &map.value.shape,
                map.value.flattened,
                &format!("{entries_at}.{index}.{value_name}"),
                &format!("{entry_path}.value"),
            );
            match (entry_key, entry_value) {
                (Some(Value::String(k)), Some(v)) => {
                    object.insert(k, v);
                }
                (None, _) => self.violations.null(&key_path),
                (Some(_), None) => self.violations.null(&format!("{entry_path}.value")),
                (Some(_), Some(_)) => {}
            }
        }
        self.violations.map_length(map, object.len(), path, mark);
        Some(Value::Object(object))
    }

    /// The element indices N of the parameters named `{prefix}.N` or `{prefix}.N.…`, in
    /// ascending order. Indices start at 1; a name whose N is not a plain positive decimal
    /// number is not an element (and, like every unknown name, is ignored).
    fn indices(&self, prefix: &str) -> Vec<u32> {
        let prefix = format!("{prefix}.");
        let mut indices: Vec<u32> = self
            .params
            .under(&prefix)
            .filter_map(|(name, _)| name.strip_prefix(prefix.as_str()))
            .filter_map(|rest| {
                let digits = rest.split('.').next().unwrap_or(rest);
                let canonical =
                    !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit());
                canonical.then(|| digits.parse().ok()).flatten()
            })
            .collect();
        indices.sort_unstable();
        indices.dedup();
        indices
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A flattened list whose element has its own name replaces the list's name with it.
fn replace_last_segment(key: &str, name: &str) -> String {
    match key.rsplit_once('.') {
        Some((parent, _)) => format!("{parent}.{name}"),
        None => name.to_owned(),
    }
}

/// AWS names members in messages with a lower-case first letter (`UserName` → `userName`).
fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
