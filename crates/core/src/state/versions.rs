//! The version of every stored record a state knows, by kind and id. There is one entry per
//! record, so an entry is kept small: ids as short as IAM's unique ids and access key ids are
//! held inline, with no allocation, and finding one allocates nothing either.

use std::collections::HashMap;

use crate::store::Kind;

#[derive(Debug, Default)]
pub(super) struct Versions(HashMap<Key, u64>);

impl Versions {
    pub(super) fn get(&self, kind: Kind, id: &str) -> Option<u64> {
        self.0.get(&Key::new(kind, id)).copied()
    }

    pub(super) fn set(&mut self, kind: Kind, id: &str, version: Option<u64>) {
        match version {
            Some(version) => self.0.insert(Key::new(kind, id), version),
            None => self.0.remove(&Key::new(kind, id)),
        };
    }
}

/// The longest id held inline: IAM's unique ids (21 characters) and access key ids (20).
const INLINE: usize = 21;

/// A record's kind and id. Made only by [`Key::new`], so an id has one form and keys compare
/// and hash by their content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Inline {
        kind: Kind,
        len: u8,
        bytes: [u8; INLINE],
    },
    Boxed(Kind, Box<str>),
}

impl Key {
    fn new(kind: Kind, id: &str) -> Key {
        let mut bytes = [0; INLINE];
        match (bytes.get_mut(..id.len()), u8::try_from(id.len())) {
            (Some(inline), Ok(len)) => {
                inline.copy_from_slice(id.as_bytes());
                Key::Inline { kind, len, bytes }
            }
            _ => Key::Boxed(kind, id.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_versions_by_kind_and_id_of_any_length() {
        let mut versions = Versions::default();
        let long = "arn:aws:iam::123456789012:saml-provider/Example";
        let ids = ["", "AIDAEXAMPLE0000000001", "AIDAEXAMPLE00000000012", long];
        for (n, id) in (1..).zip(ids) {
            versions.set(Kind::User, id, Some(n));
        }
        for (n, id) in (1..).zip(ids) {
            assert_eq!(versions.get(Kind::User, id), Some(n), "{id}");
            assert_eq!(versions.get(Kind::Role, id), None, "{id}");
        }
        assert_eq!(versions.get(Kind::User, "AIDAEXAMPLE000000000"), None);
        versions.set(Kind::User, long, None);
        versions.set(Kind::User, "AIDAEXAMPLE0000000001", None);
        assert_eq!(versions.get(Kind::User, long), None);
        assert_eq!(versions.get(Kind::User, "AIDAEXAMPLE0000000001"), None);
        assert_eq!(versions.get(Kind::User, "AIDAEXAMPLE00000000012"), Some(3));
        assert_eq!(std::mem::size_of::<Key>(), 24);
    }
}
