//! The SimulateCustomPolicy input as botocore reads it: members, types and lengths checked
//! before anything is sent, every fault reported at once in botocore's words (members in the
//! model's order, where botocore follows the input's).

use serde_json::{Map, Value};

/// The input's members, in the model's order.
pub(crate) const MEMBERS: [&str; 11] = [
    "PolicyInputList",
    "PermissionsBoundaryPolicyInputList",
    "ActionNames",
    "ResourceArns",
    "ResourcePolicy",
    "ResourceOwner",
    "CallerArn",
    "ContextEntries",
    "ResourceHandlingOption",
    "MaxItems",
    "Marker",
];

const REQUIRED: [&str; 2] = ["PolicyInputList", "ActionNames"];
const ENTRY_MEMBERS: [&str; 3] = ["ContextKeyName", "ContextKeyValues", "ContextKeyType"];

/// The members, typed, borrowed from the JSON input. Values are not yet checked against the
/// service's own constraints.
#[derive(Debug, Default)]
pub(crate) struct Parameters<'a> {
    pub policies: Vec<&'a str>,
    pub boundaries: Vec<&'a str>,
    pub actions: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub resource_policy: Option<&'a str>,
    pub resource_owner: Option<&'a str>,
    pub caller: Option<&'a str>,
    pub entries: Vec<Entry<'a>>,
    pub handling: Option<&'a str>,
    pub max_items: Option<i64>,
    pub marker: Option<&'a str>,
}

/// One member of `ContextEntries`; every field is optional in the model.
#[derive(Debug, Default)]
pub(crate) struct Entry<'a> {
    pub name: Option<&'a str>,
    pub values: Vec<&'a str>,
    pub kind: Option<&'a str>,
}

/// Reads `input`, or lists every fault botocore would report (`Parameter validation failed`).
pub(crate) fn read(input: &Map<String, Value>) -> Result<Parameters<'_>, Vec<String>> {
    let mut faults = Vec::new();
    for key in input.keys() {
        if !MEMBERS.contains(&key.as_str()) {
            faults.push(format!(
                "Unknown parameter in input: \"{key}\", must be one of: {}",
                MEMBERS.join(", ")
            ));
        }
    }
    for name in REQUIRED {
        if !input.contains_key(name) {
            faults.push(format!("Missing required parameter in input: \"{name}\""));
        }
    }
    let mut read = Parameters::default();
    let mut check = Checker {
        faults: &mut faults,
    };
    for (key, value) in MEMBERS
        .iter()
        .filter_map(|&name| Some((name, input.get(name)?)))
    {
        match key {
            "PolicyInputList" => read.policies = check.strings(key, value, 1),
            "PermissionsBoundaryPolicyInputList" => read.boundaries = check.strings(key, value, 1),
            "ActionNames" => read.actions = check.strings(key, value, 3),
            "ResourceArns" => read.resources = check.strings(key, value, 1),
            "ResourcePolicy" => read.resource_policy = check.string(key, value, 1),
            "ResourceOwner" => read.resource_owner = check.string(key, value, 1),
            "CallerArn" => read.caller = check.string(key, value, 1),
            "ContextEntries" => read.entries = check.entries(key, value),
            "ResourceHandlingOption" => read.handling = check.string(key, value, 1),
            "MaxItems" => read.max_items = check.integer(key, value, 1),
            "Marker" => read.marker = check.string(key, value, 1),
            _ => {}
        }
    }
    if faults.is_empty() {
        Ok(read)
    } else {
        Err(faults)
    }
}

struct Checker<'f> {
    faults: &'f mut Vec<String>,
}

impl Checker<'_> {
    fn string<'a>(&mut self, path: &str, value: &'a Value, min: usize) -> Option<&'a str> {
        let Value::String(text) = value else {
            self.wrong_type(path, value, "<class 'str'>");
            return None;
        };
        let length = text.chars().count();
        if length < min {
            self.faults.push(format!(
                "Invalid length for parameter {path}, value: {length}, valid min length: {min}"
            ));
        }
        Some(text)
    }

    fn strings<'a>(&mut self, path: &str, value: &'a Value, min: usize) -> Vec<&'a str> {
        let Some(items) = self.list(path, value) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.string(&format!("{path}[{i}]"), item, min))
            .collect()
    }

    fn integer(&mut self, path: &str, value: &Value, min: i64) -> Option<i64> {
        let Some(number) = value.as_i64() else {
            self.wrong_type(path, value, "<class 'int'>");
            return None;
        };
        if number < min {
            self.faults.push(format!(
                "Invalid value for parameter {path}, value: {number}, valid min value: {min}"
            ));
        }
        Some(number)
    }

    fn entries<'a>(&mut self, path: &str, value: &'a Value) -> Vec<Entry<'a>> {
        let Some(items) = self.list(path, value) else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{path}[{i}]");
            let Value::Object(members) = item else {
                self.wrong_type(&path, item, "<class 'dict'>");
                continue;
            };
            for key in members.keys() {
                if !ENTRY_MEMBERS.contains(&key.as_str()) {
                    self.faults.push(format!(
                        "Unknown parameter in {path}: \"{key}\", must be one of: {}",
                        ENTRY_MEMBERS.join(", ")
                    ));
                }
            }
            let member = |key: &str| (format!("{path}.{key}"), members.get(key));
            let mut entry = Entry::default();
            if let (path, Some(value)) = member("ContextKeyName") {
                entry.name = self.string(&path, value, 5);
            }
            if let (path, Some(value)) = member("ContextKeyValues") {
                entry.values = self.strings(&path, value, 0);
            }
            if let (path, Some(value)) = member("ContextKeyType") {
                entry.kind = self.string(&path, value, 0);
            }
            entries.push(entry);
        }
        entries
    }

    fn list<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a Vec<Value>> {
        match value {
            Value::Array(items) => Some(items),
            _ => {
                self.wrong_type(path, value, "<class 'list'>, <class 'tuple'>");
                None
            }
        }
    }

    fn wrong_type(&mut self, path: &str, value: &Value, valid: &str) {
        self.faults.push(format!(
            "Invalid type for parameter {path}, value: {}, type: {}, valid types: {valid}",
            python_text(value),
            python_type(value)
        ));
    }
}

/// A value as Python's `str()` shows it, which is what botocore quotes.
fn python_text(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_i64() || n.is_u64() => "<class 'int'>",
        Value::Number(_) => "<class 'float'>",
        Value::String(_) => "<class 'str'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(json: &str) -> Vec<String> {
        let Value::Object(input) = serde_json::from_str(json).unwrap() else {
            panic!("not an object");
        };
        read(&input).unwrap_err()
    }

    #[test]
    fn reports_every_fault_as_botocore_does() {
        let faults = faults(
            r#"{"Foo": 1, "PolicyInputList": "x", "MaxItems": 0, "CallerArn": null,
                "ContextEntries": [{"ContextKeyName": "a", "Bar": 2}, 5]}"#,
        );
        assert_eq!(
            faults,
            [
                format!(
                    "Unknown parameter in input: \"Foo\", must be one of: {}",
                    MEMBERS.join(", ")
                ),
                "Missing required parameter in input: \"ActionNames\"".to_owned(),
                "Invalid type for parameter PolicyInputList, value: x, type: <class 'str'>, valid types: <class 'list'>, <class 'tuple'>".to_owned(),
                "Invalid type for parameter CallerArn, value: None, type: <class 'NoneType'>, valid types: <class 'str'>".to_owned(),
                "Unknown parameter in ContextEntries[0]: \"Bar\", must be one of: ContextKeyName, ContextKeyValues, ContextKeyType".to_owned(),
                "Invalid length for parameter ContextEntries[0].ContextKeyName, value: 1, valid min length: 5".to_owned(),
                "Invalid type for parameter ContextEntries[1], value: 5, type: <class 'int'>, valid types: <class 'dict'>".to_owned(),
                "Invalid value for parameter MaxItems, value: 0, valid min value: 1".to_owned(),
            ]
        );
    }

    #[test]
    fn list_members_are_checked_one_by_one() {
        let faults =
            faults(r#"{"PolicyInputList": [""], "ActionNames": ["ab", 5], "MaxItems": 1.5}"#);
        assert_eq!(
            faults,
            [
                "Invalid length for parameter PolicyInputList[0], value: 0, valid min length: 1",
                "Invalid length for parameter ActionNames[0], value: 2, valid min length: 3",
                "Invalid type for parameter ActionNames[1], value: 5, type: <class 'int'>, valid types: <class 'str'>",
                "Invalid type for parameter MaxItems, value: 1.5, type: <class 'float'>, valid types: <class 'int'>",
            ]
        );
    }
}
