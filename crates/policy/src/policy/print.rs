//! A [`Policy`] back to JSON text: what was parsed, in AWS's element order, on one line.

use crate::json::write_string;

use super::{Effect, Policy, Statement, Version};

pub(super) fn print(policy: &Policy) -> String {
    let mut out = String::from("{");
    match policy.version {
        Version::V2012 => out.push_str("\"Version\":\"2012-10-17\","),
        Version::V2008 => out.push_str("\"Version\":\"2008-10-17\","),
        Version::Absent => {}
    }
    if let Some(id) = &policy.id {
        out.push_str("\"Id\":");
        write_string(&mut out, id);
        out.push(',');
    }
    out.push_str("\"Statement\":");
    if policy.statement_as_array {
        out.push('[');
    }
    for (index, statement) in policy.statements.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        print_statement(&mut out, statement);
    }
    if policy.statement_as_array {
        out.push(']');
    }
    out.push('}');
    out
}

fn print_statement(out: &mut String, statement: &Statement) {
    out.push('{');
    if let Some(sid) = &statement.sid {
        out.push_str("\"Sid\":");
        write_string(out, sid);
        out.push(',');
    }
    out.push_str(match statement.effect {
        Effect::Allow => "\"Effect\":\"Allow\"",
        Effect::Deny => "\"Effect\":\"Deny\"",
    });
    if let Some(principal) = &statement.principal {
        out.push_str(if principal.negated {
            ",\"NotPrincipal\":"
        } else {
            ",\"Principal\":"
        });
        match &principal.written {
            None => out.push_str("\"*\""),
            Some(types) => {
                out.push('{');
                for (index, (kind, values, as_array)) in types.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    write_string(out, kind);
                    out.push(':');
                    print_list(out, values.iter().map(String::as_str), *as_array);
                }
                out.push('}');
            }
        }
    }
    out.push_str(if statement.action.negated {
        ",\"NotAction\":"
    } else {
        ",\"Action\":"
    });
    print_list(
        out,
        statement.action.patterns.iter().map(|p| p.text.as_str()),
        statement.action.as_array,
    );
    if let Some(resource) = &statement.resource {
        out.push_str(if resource.negated {
            ",\"NotResource\":"
        } else {
            ",\"Resource\":"
        });
        print_list(
            out,
            resource.texts.iter().map(String::as_str),
            resource.as_array,
        );
    }
    if !statement.conditions.is_empty() {
        out.push_str(",\"Condition\":{");
        let mut current: Option<&str> = None;
        for condition in &statement.conditions {
            if current != Some(condition.operator.as_str()) {
                if current.is_some() {
                    out.push_str("},");
                }
                write_string(out, &condition.operator);
                out.push_str(":{");
                current = Some(&condition.operator);
            } else {
                out.push(',');
            }
            write_string(out, &condition.key);
            out.push(':');
            print_list(
                out,
                condition.raw_values.iter().map(String::as_str),
                condition.values_as_array,
            );
        }
        out.push_str("}}");
    }
    out.push('}');
}

fn print_list<'a>(out: &mut String, items: impl Iterator<Item = &'a str>, as_array: bool) {
    if as_array {
        out.push('[');
    }
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, item);
    }
    if as_array {
        out.push(']');
    }
}
