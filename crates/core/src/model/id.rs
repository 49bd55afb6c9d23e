//! The ids of accounts and entities. An [`AccountId`] is twelve digits, checked once when it
//! is made (from a request, a policy, a stored record), so code holding one never checks it
//! again and cannot take a name or an ARN for it. A [`UniqueId`] is the id AWS gives a user,
//! group, role, managed policy or instance profile (`AIDA…`, `AGPA…`, …), which stays the same
//! while the entity's name may change; it is a type of its own so it is not confused with a
//! name or an access key id.
//!
//! Both store as the plain string they hold, as they always have.

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// A 12-digit AWS account id, held inline (it is `Copy` and allocates nothing).
///
/// Equality, order and hashing are those of its text, so maps keyed by it can be searched
/// with a `&str`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccountId([u8; 12]);

impl AccountId {
    /// `text` when it is exactly twelve ASCII digits.
    pub fn parse(text: &str) -> Option<AccountId> {
        let digits: [u8; 12] = text.as_bytes().try_into().ok()?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then_some(AccountId(digits))
    }

    /// Whether `text` is a 12-digit account id.
    pub fn is_valid(text: &str) -> bool {
        AccountId::parse(text).is_some()
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever held, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// `000000000000`, so that records with defaults (session claims) can be built field by
/// field; every such site sets the account.
impl Default for AccountId {
    fn default() -> AccountId {
        AccountId([b'0'; 12])
    }
}

impl Deref for AccountId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for AccountId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for AccountId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Hash for AccountId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for AccountId {
    fn partial_cmp(&self, other: &AccountId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AccountId {
    fn cmp(&self, other: &AccountId) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialEq<str> for AccountId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AccountId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for AccountId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<AccountId> for str {
    fn eq(&self, other: &AccountId) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<AccountId> for &str {
    fn eq(&self, other: &AccountId) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<AccountId> for String {
    fn eq(&self, other: &AccountId) -> bool {
        self == other.as_str()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        AccountId::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a 12-digit account id"))
        })
    }
}

/// The unique id of an IAM user, group, role, managed policy or instance profile, such as
/// `AIDAJQABLZS4A3QDU576Q`. Made by [`crate::ids::unique_id`]; read back from stored records
/// as they are (older records are not checked again).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UniqueId(Box<str>);

impl UniqueId {
    /// An id taken as it is: from a stored record, a built-in policy or a sealed token,
    /// which Warden made itself.
    pub fn new(text: &str) -> UniqueId {
        UniqueId(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for UniqueId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for UniqueId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for UniqueId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for UniqueId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for UniqueId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for UniqueId {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<UniqueId> for str {
    fn eq(&self, other: &UniqueId) -> bool {
        self == &*other.0
    }
}

impl PartialEq<UniqueId> for &str {
    fn eq(&self, other: &UniqueId) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<UniqueId> for String {
    fn eq(&self, other: &UniqueId) -> bool {
        self == &*other.0
    }
}

impl fmt::Display for UniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for UniqueId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UniqueId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(UniqueId::new(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_id_is_twelve_digits() {
        let id = AccountId::parse("123456789012").unwrap();
        assert_eq!(id.as_str(), "123456789012");
        assert_eq!(id.to_string(), "123456789012");
        assert_eq!(format!("{id:?}"), "\"123456789012\"");
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            "aws",
            "１２３４５６７８９０",
            "123456789012 ",
        ] {
            assert_eq!(AccountId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_account_id_stores_as_its_text_and_is_checked_when_read() {
        let id = AccountId::parse("000000000001").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"000000000001\"");
        assert_eq!(serde_json::from_str::<AccountId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<AccountId>("\"aws\"").is_err());
        assert!(serde_json::from_str::<AccountId>("12").is_err());
    }

    #[test]
    fn account_ids_order_and_hash_as_their_text() {
        use std::collections::{BTreeMap, HashMap};
        let a = AccountId::parse("111111111111").unwrap();
        let b = AccountId::parse("222222222222").unwrap();
        assert!(a < b);
        let tree = BTreeMap::from([(b, 2), (a, 1)]);
        assert_eq!(tree.get("111111111111"), Some(&1));
        let hash = HashMap::from([(a, 1)]);
        assert_eq!(hash.get("111111111111"), Some(&1));
        assert_eq!(a, "111111111111");
        assert_eq!("111111111111", a);
    }

    #[test]
    fn a_record_holding_ids_stores_as_it_did_with_strings() {
        use crate::model::{EntityName, EntityPath, User};
        let user = User {
            id: UniqueId::new("AIDAEXAMPLE0000000001"),
            account: AccountId::parse("111122223333").unwrap(),
            name: EntityName::new("Alice"),
            path: EntityPath::root(),
            created: 1,
            tags: Vec::new(),
            inline: Vec::new(),
            attached: Vec::new(),
            groups: vec![UniqueId::new("AGPAEXAMPLE0000000001")],
            boundary: None,
            password_last_used: None,
        };
        let json = serde_json::to_string(&user).unwrap();
        assert_eq!(
            json,
            r#"{"id":"AIDAEXAMPLE0000000001","account":"111122223333","name":"Alice","path":"/","created":1,"tags":[],"inline":[],"attached":[],"groups":["AGPAEXAMPLE0000000001"],"boundary":null,"password_last_used":null}"#
        );
        let back: User = serde_json::from_str(&json).unwrap();
        assert_eq!((back.id, back.account), (user.id, user.account));
    }

    #[test]
    fn a_unique_id_stores_as_its_text() {
        let id = UniqueId::new("AIDAJQABLZS4A3QDU576Q");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"AIDAJQABLZS4A3QDU576Q\"");
        assert_eq!(serde_json::from_str::<UniqueId>(&json).unwrap(), id);
        assert_eq!(format!("{id}"), "AIDAJQABLZS4A3QDU576Q");
    }
}
