//! The awsQuery request decoder: an operation's form parameters (`Tags.member.1.Key=…`)
//! become a JSON object of its input, keyed by the model's member names and checked against
//! the model's constraints, with AWS's `ValidationError` message when they are not met.

mod constraints;
mod form;
mod node;
mod path;

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use warden_core::wire::Input;

use crate::model::{ListShape, MapShape, Model, Operation, Shape, StructureShape};
use constraints::Violations;
pub use form::FormParams;
use node::{Node, NodeDeserializer};
use path::{EntryPart, Path};

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
/// The edge reads handlers' inputs straight from [`parse`]'s result instead; this is the same
/// decoding seen as JSON.
pub fn decode(
    model: &Model,
    operation: &Operation,
    params: &[(String, String)],
) -> Result<Value, ValidationError> {
    let params = FormParams::from_pairs(params.to_vec());
    let root = tree(model, operation, &params)?;
    Value::deserialize(NodeDeserializer {
        params: &params,
        node: &root,
    })
    .map_err(|e| ValidationError {
        message: format!("invalid request: {e}"),
    })
}

/// Decodes and checks the parameters of a request for `operation` as [`decode`] does, keeping
/// them: the result is the [`Input`] the core fills the handler's typed input from, with no
/// JSON in between.
pub fn parse<'m>(
    model: &'m Model,
    operation: &Operation,
    params: FormParams,
) -> Result<Parameters<'m>, ValidationError> {
    let root = tree(model, operation, &params)?;
    Ok(Parameters { params, root })
}

/// A request's parameters, checked against its operation's input shape and arranged as that
/// shape: what [`parse`] returns.
#[derive(Debug)]
pub struct Parameters<'m> {
    params: FormParams,
    root: Node<'m>,
}

impl Input for Parameters<'_> {
    fn read<I: DeserializeOwned>(self) -> Result<I, warden_core::Error> {
        I::deserialize(NodeDeserializer {
            params: &self.params,
            node: &self.root,
        })
        .map_err(|e| warden_core::Error::ValidationError(format!("invalid request: {e}")))
    }
}

/// The input structure of `operation` read from `params`, or every violation of its
/// constraints in AWS's words.
fn tree<'m>(
    model: &'m Model,
    operation: &Operation,
    params: &FormParams,
) -> Result<Node<'m>, ValidationError> {
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
        Some(Shape::Structure(input)) => decoder.structure(input, "", &Path::Input),
        _ => Vec::new(),
    };
    match decoder.violations.into_message() {
        None => Ok(Node::Structure(input)),
        Some(message) => Err(ValidationError { message }),
    }
}

struct Decoder<'a, 'm> {
    model: &'m Model,
    params: Params<'a>,
    violations: Violations,
}

/// The parameters sorted by name (stably, so the first of repeated names stays first): the
/// parameters under a prefix are then a contiguous run found by binary search, and decoding
/// costs about the number of parameters times the nesting depth, whatever their number.
struct Params<'a> {
    /// Name, value, and the parameter's place in the request.
    sorted: Vec<(&'a str, &'a str, usize)>,
}

impl<'a> Params<'a> {
    fn new(params: &'a FormParams) -> Params<'a> {
        let mut sorted: Vec<(&str, &str, usize)> = params
            .iter()
            .enumerate()
            .map(|(index, (name, value))| (name, value, index))
            .collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        Params { sorted }
    }

    /// The parameters whose names start with `prefix`.
    fn under<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = &'s (&'a str, &'a str, usize)> {
        let start = self.sorted.partition_point(|(name, _, _)| *name < prefix);
        let run = self.sorted.get(start..).unwrap_or_default();
        run.iter()
            .take_while(move |(name, _, _)| name.starts_with(prefix))
    }

    /// The value of the first parameter named exactly `key`, and its place.
    fn get(&self, key: &str) -> Option<(&'a str, usize)> {
        self.under(key)
            .find(|(name, _, _)| *name == key)
            .map(|(_, value, index)| (*value, *index))
    }
}

impl<'m> Decoder<'_, 'm> {
    /// The members of a structure whose parameters start with `prefix` (empty at the top);
    /// `path` is the structure's place in AWS's messages (`tags.1.member`).
    fn structure(
        &mut self,
        shape: &'m StructureShape,
        prefix: &str,
        path: &Path<'_>,
    ) -> Vec<(&'m str, Node<'m>)> {
        let mut members = Vec::new();
        for member in &shape.members {
            let key = join(
                prefix,
                member.location_name.as_deref().unwrap_or(&member.name),
            );
            let member_path = Path::Member(path, &member.name);
            match self.value(&member.shape, member.flattened, &key, &member_path) {
                Some(value) => members.push((member.name.as_str(), value)),
                None if member.required => self.violations.null(&member_path),
                None => {}
            }
        }
        members
    }

    /// The value of shape `shape_name` serialized at `key`, or `None` when it is absent.
    fn value(
        &mut self,
        shape_name: &str,
        flattened: bool,
        key: &str,
        path: &Path<'_>,
    ) -> Option<Node<'m>> {
        match self.model.shape(shape_name)? {
            Shape::Structure(structure) => {
                let present = self.params.under(&format!("{key}.")).next().is_some();
                present.then(|| Node::Structure(self.structure(structure, key, path)))
            }
            Shape::List(list) => self.list(list, flattened || list.flattened, key, path),
            Shape::Map(map) => self.map(map, flattened || map.flattened, key, path),
            scalar => {
                let (raw, index) = self.params.get(key)?;
                Some(self.violations.scalar(scalar, raw, index, path))
            }
        }
    }

    fn list(
        &mut self,
        list: &ListShape,
        flattened: bool,
        key: &str,
        path: &Path<'_>,
    ) -> Option<Node<'m>> {
        let element_name = list.member.location_name.as_deref();
        let elements_at = match (flattened, element_name) {
            (true, None) => key.to_owned(),
            (true, Some(name)) => replace_last_segment(key, name),
            (false, name) => format!("{key}.{}", name.unwrap_or("member")),
        };
        let indices = self.indices(&elements_at);
        if indices.is_empty() && self.params.get(key).map(|(value, _)| value) != Some("") {
            return None;
        }
        let mark = self.violations.mark();
        let mut elements = Vec::with_capacity(indices.len());
        for index in indices {
            let element_path = Path::Element(path, elements.len() + 1);
            let element_key = format!("{elements_at}.{index}");
            let member = &list.member;
            if let Some(element) =
                self.value(&member.shape, member.flattened, &element_key, &element_path)
            {
                elements.push(element);
            }
        }
        let shown = list_shown(self.model, list, &elements, &self.params);
        self.violations.list_length(
            list,
            elements.len(),
            shown.as_ref().map(|s| s as _),
            path,
            mark,
        );
        Some(Node::List(elements))
    }

    fn map(
        &mut self,
        map: &MapShape,
        flattened: bool,
        key: &str,
        path: &Path<'_>,
    ) -> Option<Node<'m>> {
        let entries_at = if flattened {
            key.to_owned()
        } else {
            format!("{key}.entry")
        };
        let indices = self.indices(&entries_at);
        if indices.is_empty() && self.params.get(key).map(|(value, _)| value) != Some("") {
            return None;
        }
        let key_name = map.key.location_name.as_deref().unwrap_or("key");
        let value_name = map.value.location_name.as_deref().unwrap_or("value");
        let mark = self.violations.mark();
        let mut entries: Vec<(usize, Node<'m>)> = Vec::new();
        for (position, index) in indices.into_iter().enumerate() {
            let key_path = Path::Entry(path, position + 1, EntryPart::Key);
            let value_path = Path::Entry(path, position + 1, EntryPart::Value);
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
                &value_path,
            );
            match (entry_key, entry_value) {
                (Some(Node::Text(k)), Some(v)) => {
                    // A key given twice keeps its last value, as one map entry.
                    let text = self.params.text(k);
                    match entries
                        .iter_mut()
                        .find(|(seen, _)| self.params.text(*seen) == text)
                    {
                        Some(entry) => entry.1 = v,
                        None => entries.push((k, v)),
                    }
                }
                (None, _) => self.violations.null(&key_path),
                (Some(_), None) => self.violations.null(&value_path),
                (Some(_), Some(_)) => {}
            }
        }
        self.violations.map_length(map, entries.len(), path, mark);
        Some(Node::Map(entries))
    }

    /// The element indices N of the parameters named `{prefix}.N` or `{prefix}.N.…`, in
    /// ascending order. Indices start at 1; a name whose N is not a plain positive decimal
    /// number is not an element (and, like every unknown name, is ignored).
    fn indices(&self, prefix: &str) -> Vec<u32> {
        let prefix = format!("{prefix}.");
        let mut indices: Vec<u32> = self
            .params
            .under(&prefix)
            .filter_map(|(name, _, _)| name.strip_prefix(prefix.as_str()))
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

impl<'a> Params<'a> {
    /// The value of the parameter at `index` of the request.
    fn text(&self, index: usize) -> &'a str {
        self.sorted
            .iter()
            .find(|(_, _, at)| *at == index)
            .map_or("", |(_, value, _)| *value)
    }
}

/// A list's elements as AWS shows them (quoted) in a length violation (`[a, b]`), when they are
/// scalars and not sensitive.
fn list_shown(
    model: &Model,
    list: &ListShape,
    elements: &[Node<'_>],
    params: &Params<'_>,
) -> Option<String> {
    let element_sensitive = match model.shape(&list.member.shape) {
        Some(Shape::String(string)) => string.sensitive,
        Some(Shape::Blob(blob)) => blob.sensitive,
        _ => false,
    };
    if element_sensitive {
        return None;
    }
    let scalars: Option<Vec<String>> = elements
        .iter()
        .map(|element| match element {
            Node::Text(index) => Some(params.text(*index).to_owned()),
            Node::Integer(n) => Some(n.to_string()),
            Node::Float(f) => serde_json::Number::from_f64(*f).map(|n| n.to_string()),
            Node::Boolean(b) => Some(b.to_string()),
            Node::List(_) | Node::Map(_) | Node::Structure(_) => None,
        })
        .collect();
    scalars.map(|s| format!("[{}]", s.join(", ")))
}

/// A member's parameter name under `prefix`; at the top, the member's own name as it is.
fn join<'n>(prefix: &str, name: &'n str) -> Cow<'n, str> {
    if prefix.is_empty() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{prefix}.{name}"))
    }
}

/// A flattened list whose element has its own name replaces the list's name with it.
fn replace_last_segment(key: &str, name: &str) -> String {
    match key.rsplit_once('.') {
        Some((parent, _)) => format!("{parent}.{name}"),
        None => name.to_owned(),
    }
}
