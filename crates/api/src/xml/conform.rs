//! Whether an operation's output, as the core hands it over, is what the model describes.
//!
//! The encoder writes the members the model names and skips anything else, so an output
//! member spelt differently from the model's would silently vanish from the response. Debug
//! builds (every test suite, the end-to-end one included) check each output and refuse one
//! that does not conform.

use serde_json::Value;

use crate::model::{Model, Shape};

/// Where `value`, written as shape `shape_name`, departs from the model: members the shape
/// does not have and values of another type, each named by its path.
pub(crate) fn departures(model: &Model, shape_name: &str, value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(model, shape_name, value, shape_name, &mut found);
    found
}

fn walk(model: &Model, shape_name: &str, value: &Value, path: &str, found: &mut Vec<String>) {
    if value.is_null() {
        return;
    }
    let Some(shape) = model.shape(shape_name) else {
        found.push(format!("{path}: the model has no shape {shape_name}"));
        return;
    };
    match (shape, value) {
        (Shape::Structure(structure), Value::Object(object)) => {
            for (name, member_value) in object {
                match structure.members.iter().find(|m| m.name == *name) {
                    Some(member) => walk(
                        model,
                        &member.shape,
                        member_value,
                        &format!("{path}.{name}"),
                        found,
                    ),
                    None => found.push(format!("{path}.{name}: not a member of {shape_name}")),
                }
            }
        }
        (Shape::List(list), Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                walk(
                    model,
                    &list.member.shape,
                    item,
                    &format!("{path}[{index}]"),
                    found,
                );
            }
        }
        (Shape::Map(map), Value::Object(entries)) => {
            for (key, item) in entries {
                walk(
                    model,
                    &map.value.shape,
                    item,
                    &format!("{path}.{key}"),
                    found,
                );
            }
        }
        (Shape::String(_) | Shape::Timestamp(_) | Shape::Blob(_), Value::String(_))
        | (Shape::Boolean(_), Value::Bool(_)) => {}
        (Shape::Integer(_) | Shape::Long(_), Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        (Shape::Float(_) | Shape::Double(_), Value::Number(_)) => {}
        (_, value) => found.push(format!("{path}: {shape_name} cannot hold {value}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The departures, sorted (serde_json keeps objects in insertion order when another crate
    /// of the build asks it to).
    fn user(value: Value) -> Vec<String> {
        let mut found = departures(Model::iam(), "GetUserResponse", &value);
        found.sort();
        found
    }

    #[test]
    fn a_conforming_output_has_no_departures() {
        let output = json!({"User": {
            "Path": "/", "UserName": "lee", "UserId": "AIDAEXAMPLE",
            "Arn": "arn:aws:iam::111122223333:user/lee", "CreateDate": "2026-01-01T00:00:00Z",
            "Tags": [{"Key": "team", "Value": "blue"}],
            "PermissionsBoundary": null,
        }});
        assert_eq!(user(output), Vec::<String>::new());
    }

    #[test]
    fn a_misspelt_member_and_a_wrong_type_are_named() {
        let output = json!({"User": {
            "Path": "/", "Username": "lee", "UserId": 7,
            "Tags": [{"Key": "team", "Valu": "blue"}],
        }});
        assert_eq!(
            user(output),
            [
                "GetUserResponse.User.Tags[0].Valu: not a member of Tag",
                "GetUserResponse.User.UserId: idType cannot hold 7",
                "GetUserResponse.User.Username: not a member of User",
            ]
        );
    }
}
