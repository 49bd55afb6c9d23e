//! The names and paths of IAM entities. A name is unique in its account whatever its case, so
//! an [`EntityName`] is folded once, when it is made, and compares by its folded form; it
//! still shows as it was spelled. An [`EntityPath`] can only be made valid.
//!
//! Both store as the plain string they hold, as they always have.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The name of a user, group, role, managed policy or instance profile: the spelling its
/// creator chose, and the folded form IAM's uniqueness rule and list order go by.
///
/// Equality, hashing and order are those of the folded form; [`EntityName::as_str`] (and
/// `Deref`) give the spelling, which is what ARNs, policies and answers use.
#[derive(Clone)]
pub struct EntityName {
    text: Box<str>,
    /// The folded form when it differs from `text` (most names are held once).
    folded: Option<Box<str>>,
}

impl EntityName {
    pub fn new(text: &str) -> EntityName {
        let folded = fold(text);
        EntityName {
            folded: (folded != text).then(|| folded.into_boxed_str()),
            text: text.into(),
        }
    }

    /// The name as its creator spelled it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The form names are compared and ordered by.
    pub fn folded(&self) -> &str {
        self.folded.as_deref().unwrap_or(&self.text)
    }
}

/// How names are folded for comparison: the store's name index holds this form too.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// The longest name folded on the stack by [`with_folded`] (IAM's names are at most 128).
const STACK_FOLD: usize = 128;

/// Calls `f` with [`fold`]`(name)`, folded on the stack when `name` is ASCII (IAM's names
/// are): a lookup by name then allocates nothing.
pub fn with_folded<R>(name: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buffer = [0u8; STACK_FOLD];
    if name.is_ascii()
        && let Some(folded) = buffer.get_mut(..name.len())
    {
        folded.copy_from_slice(name.as_bytes());
        folded.make_ascii_lowercase();
        if let Ok(folded) = std::str::from_utf8(folded) {
            return f(folded);
        }
    }
    f(&fold(name))
}

impl Deref for EntityName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl AsRef<str> for EntityName {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl PartialEq for EntityName {
    fn eq(&self, other: &EntityName) -> bool {
        self.folded() == other.folded()
    }
}

impl Eq for EntityName {}

impl Hash for EntityName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.folded().hash(state);
    }
}

impl PartialOrd for EntityName {
    fn partial_cmp(&self, other: &EntityName) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EntityName {
    fn cmp(&self, other: &EntityName) -> Ordering {
        self.folded().cmp(other.folded())
    }
}

impl fmt::Display for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for EntityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

impl Serialize for EntityName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for EntityName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(EntityName::new(&text))
    }
}

/// The path of an IAM entity: `/`, or `/a/b/` in printable ASCII without an empty segment,
/// at most 512 characters. Made only by a constructor that checks it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EntityPath(Cow<'static, str>);

const ROOT: &str = "/";

impl EntityPath {
    /// `/`, the path of entities created without one.
    pub fn root() -> EntityPath {
        EntityPath(Cow::Borrowed(ROOT))
    }

    /// A user's, group's, role's, instance profile's or MFA device's path, or AWS's
    /// ValidationError.
    pub fn new(path: &str) -> Result<EntityPath, Error> {
        let valid = path.starts_with('/')
            && path.ends_with('/')
            && path.len() <= 512
            && !path.contains("//")
            && path.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if !valid {
            return Err(Error::ValidationError(format!(
                "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters: `{path}`."
            )));
        }
        Ok(EntityPath::valid(path))
    }

    /// A managed policy's path, whose segments are of `[A-Za-z0-9.,+@=_-]` only, or AWS's
    /// ValidationError for it.
    pub fn for_policy(path: &str) -> Result<EntityPath, Error> {
        let segment = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".,+@=_-".contains(&b))
        };
        let valid = path == ROOT
            || (path.len() <= 512
                && path
                    .strip_prefix('/')
                    .and_then(|p| p.strip_suffix('/'))
                    .is_some_and(|inner| inner.split('/').all(segment)));
        if !valid {
            return Err(Error::ValidationError(format!(
                "1 validation error detected: Value '{path}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/"
            )));
        }
        Ok(EntityPath::valid(path))
    }

    /// A path already checked; the root path costs no allocation.
    fn valid(path: &str) -> EntityPath {
        if path == ROOT {
            EntityPath::root()
        } else {
            EntityPath(Cow::Owned(path.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for EntityPath {
    fn default() -> Self {
        EntityPath::root()
    }
}

impl Deref for EntityPath {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EntityPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EntityPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for EntityPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EntityPath {
    /// Paths were checked when they were written, by the rule of their kind; a stored path
    /// that no longer reads as an entity path is a damaged record.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        EntityPath::new(&text)
            .map_err(|_| serde::de::Error::custom(format!("invalid entity path `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_folded_and_show_as_spelled() {
        let a = EntityName::new("Alice");
        let b = EntityName::new("ALICE");
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "Alice");
        assert_eq!(a.folded(), "alice");
        assert_eq!(a.to_string(), "Alice");
        assert!(EntityName::new("bob") > a);
        assert!(EntityName::new("Bob") > EntityName::new("alice"));
        let lower = EntityName::new("carol");
        assert!(lower.folded.is_none(), "a folded name is held once");
    }

    #[test]
    fn names_fold_the_same_on_the_stack_and_off_it() {
        let long = "N".repeat(STACK_FOLD + 1);
        let longest = "N".repeat(STACK_FOLD);
        for name in [
            "",
            "alice",
            "Alice-Smith_2+=,.@",
            "ÉCOLE",
            "İstanbul",
            &long,
            &longest,
        ] {
            assert_eq!(with_folded(name, str::to_owned), fold(name), "{name}");
        }
    }

    #[test]
    fn names_and_paths_store_as_plain_strings() -> Result<(), serde_json::Error> {
        let name = EntityName::new("Alice");
        assert_eq!(serde_json::to_string(&name)?, r#""Alice""#);
        let back: EntityName = serde_json::from_str(r#""Alice""#)?;
        assert_eq!(back.as_str(), "Alice");
        assert_eq!(back.folded(), "alice");
        let path: EntityPath = serde_json::from_str(r#""/a/b/""#)?;
        assert_eq!(serde_json::to_string(&path)?, r#""/a/b/""#);
        assert!(serde_json::from_str::<EntityPath>(r#""a/b""#).is_err());
        Ok(())
    }

    #[test]
    fn paths_are_checked_with_aws_words() {
        assert_eq!(EntityPath::new("/").ok(), Some(EntityPath::root()));
        assert_eq!(EntityPath::new("/a b/").ok(), None);
        assert!(EntityPath::new("/a/b/").is_ok());
        let Err(Error::ValidationError(message)) = EntityPath::new("/a//b/") else {
            unreachable!("an empty segment is refused");
        };
        assert_eq!(
            message,
            "The specified value for path is invalid. It must begin and end with / and contain \
             only alphanumeric characters and/or / characters: `/a//b/`."
        );
        assert!(EntityPath::for_policy("/service-role/").is_ok());
        assert!(EntityPath::for_policy("/a b/").is_err());
        assert!(EntityPath::for_policy("/a:b/").is_err());
        assert!(EntityPath::new(&format!("/{}/", "a".repeat(511))).is_err());
    }
}
