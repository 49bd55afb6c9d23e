//! A member's place as AWS names it in validation messages (`tags.1.member`), kept as a chain
//! of borrowed steps and written out only when a message needs it.

use std::fmt;

/// The place of a value in the input: the input itself, a member of a structure, an element
/// of a list, or the key or value of a map's entry.
#[derive(Clone, Copy)]
pub(super) enum Path<'p> {
    Input,
    /// The member of that name (written with a lower-case first letter, as AWS does).
    Member(&'p Path<'p>, &'p str),
    /// The list element at this position, from 1 (`….N.member`).
    Element(&'p Path<'p>, usize),
    /// The key or value of the map entry at this position, from 1 (`….N.key`).
    Entry(&'p Path<'p>, usize, EntryPart),
}

#[derive(Clone, Copy)]
pub(super) enum EntryPart {
    Key,
    Value,
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Input => Ok(()),
            Path::Member(parent, name) => {
                if !matches!(parent, Path::Input) {
                    write!(f, "{parent}.")?;
                }
                let mut chars = name.chars();
                if let Some(first) = chars.next() {
                    for lower in first.to_lowercase() {
                        write!(f, "{lower}")?;
                    }
                    f.write_str(chars.as_str())?;
                }
                Ok(())
            }
            Path::Element(parent, position) => write!(f, "{parent}.{position}.member"),
            Path::Entry(parent, position, EntryPart::Key) => write!(f, "{parent}.{position}.key"),
            Path::Entry(parent, position, EntryPart::Value) => {
                write!(f, "{parent}.{position}.value")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_as_aws_writes_them() {
        let tags = Path::Member(&Path::Input, "Tags");
        let element = Path::Element(&tags, 2);
        assert_eq!(
            Path::Member(&element, "Key").to_string(),
            "tags.2.member.key"
        );
        let context = Path::Member(&Path::Input, "PrincipalTags");
        assert_eq!(
            Path::Entry(&context, 1, EntryPart::Value).to_string(),
            "principalTags.1.value"
        );
        assert_eq!(
            Path::Member(&Path::Input, "UserName").to_string(),
            "userName"
        );
    }
}
