//! Every operation's input type against its botocore shape: a field the model does not have
//! (a misspelling reads nothing), a field of another type, or a required member the handler
//! never reads fails here. Members a handler does not read are listed, so that ignoring part
//! of a request is a decision written down here, not an accident.

use std::collections::BTreeSet;

use warden_api::model::{Model, Shape};
use warden_core::input_shape;
use warden_core::wire_shape::{WireShape, WireType};
use warden_core::{Action, Api};

/// Compares `wire` (what a handler reads) with the model's shape `shape_name` at `path`.
fn compare(
    model: &Model,
    shape_name: &str,
    wire: &WireShape,
    path: &str,
    problems: &mut Vec<String>,
    unread: &mut BTreeSet<String>,
) {
    let Some(shape) = model.shape(shape_name) else {
        problems.push(format!("{path}: the model has no shape {shape_name}"));
        return;
    };
    match (shape, &wire.ty) {
        (_, WireType::Opaque) => {}
        (Shape::Structure(structure), WireType::Structure(fields)) => {
            let is_member = |name: &str| structure.members.iter().any(|m| m.name == name);
            for field in fields {
                let Some(member) = structure.members.iter().find(|m| m.name == field.name) else {
                    if alias_of_a_member(field.name, &is_member) {
                        continue;
                    }
                    problems.push(format!(
                        "{path}.{}: not a member of {shape_name} (members: {})",
                        field.name,
                        structure
                            .members
                            .iter()
                            .map(|m| m.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    continue;
                };
                let field_path = format!("{path}.{}", field.name);
                compare(
                    model,
                    &member.shape,
                    &field.shape,
                    &field_path,
                    problems,
                    unread,
                );
            }
            for member in &structure.members {
                if fields.iter().any(|f| f.name == member.name) {
                    continue;
                }
                if member.required {
                    problems.push(format!(
                        "{path}.{}: required by the model but never read",
                        member.name
                    ));
                } else {
                    unread.insert(format!("{path}.{}", member.name));
                }
            }
        }
        (Shape::List(list), WireType::List(element)) => {
            compare(
                model,
                &list.member.shape,
                element,
                &format!("{path}[]"),
                problems,
                unread,
            );
        }
        (Shape::Map(_), WireType::Map) => {}
        (Shape::String(_) | Shape::Timestamp(_) | Shape::Blob(_), WireType::String) => {}
        (Shape::Integer(_) | Shape::Long(_), WireType::Integer) => {}
        (Shape::Boolean(_), WireType::Boolean) => {}
        (Shape::Float(_) | Shape::Double(_), WireType::Float | WireType::Integer) => {}
        (shape, ty) => problems.push(format!(
            "{path}: the model's {shape_name} is {} but the handler reads {ty:?}",
            kind(shape)
        )),
    }
}

/// Handlers shared by users, groups and roles (inline policies, boundaries) read the holder's
/// name under each kind's member name, as serde aliases of one field. Such a name, or the
/// field's own, is not a misspelling when another name of its group is the model's member.
const ALIAS_GROUPS: &[&[&str]] = &[
    &["Holder", "UserName", "GroupName", "RoleName"],
    &["Principal", "UserName", "RoleName"],
];

fn alias_of_a_member(name: &str, is_member: &dyn Fn(&str) -> bool) -> bool {
    ALIAS_GROUPS
        .iter()
        .filter(|group| group.contains(&name))
        .any(|group| group.iter().any(|alias| is_member(alias)))
}

fn kind(shape: &Shape) -> &'static str {
    match shape {
        Shape::Structure(_) => "a structure",
        Shape::List(_) => "a list",
        Shape::Map(_) => "a map",
        Shape::String(_) => "a string",
        Shape::Integer(_) | Shape::Long(_) => "an integer",
        Shape::Boolean(_) => "a boolean",
        Shape::Timestamp(_) => "a timestamp",
        Shape::Blob(_) => "a blob",
        Shape::Float(_) | Shape::Double(_) => "a number",
    }
}

/// Members no handler reads. Each entry is a part of a request that is accepted and ignored;
/// keep it empty unless ignoring is what AWS's semantics ask for.
const UNREAD: &[&str] = &[
    // Trusted identity propagation's context assertions (IAM Identity Center), which Warden
    // does not issue: a session is made without them.
    "AssumeRole.ProvidedContexts",
];

#[test]
fn every_handler_reads_its_operation_s_input_as_the_model_names_it() {
    let mut problems = Vec::new();
    let mut unread = BTreeSet::new();
    let mut checked = 0;
    for action in Action::ALL {
        let Some(wire) = input_shape(action) else {
            continue;
        };
        checked += 1;
        let model = match action.api() {
            Api::Iam => Model::iam(),
            Api::Sts => Model::sts(),
        };
        let name = action.name();
        let operation = model.operation(name).expect("every Action is in its model");
        match operation.input.as_deref() {
            Some(input) => compare(model, input, &wire, name, &mut problems, &mut unread),
            None => {
                if let WireType::Structure(fields) = &wire.ty
                    && !fields.is_empty()
                {
                    problems.push(format!("{name}: reads fields but the model has no input"));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} handlers were found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let unexpected: Vec<_> = unread
        .iter()
        .filter(|path| !UNREAD.contains(&path.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "members no handler reads:\n{}",
        unexpected
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
