//! One kind of IAM entity in one account: found by name whatever its case, or by unique id,
//! and listed in IAM's case-insensitive name order.
//!
//! Each entity is held once, behind an `Arc` that both indexes share, and neither index keeps
//! a copy of a name or an id: the name index orders entities by their own folded name, the id
//! index hashes their own unique id. That keeps a large account's users small in memory.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Bound;
use std::sync::Arc;

use crate::model::names::with_folded;
use crate::model::{EntityName, EntityPath, Group, InstanceProfile, ManagedPolicy, Role, User};

/// An entity an account holds by unique name: a user, group, role, managed policy or
/// instance profile.
pub trait Entity {
    fn name(&self) -> &EntityName;
    fn unique_id(&self) -> &str;
    fn path(&self) -> &EntityPath;
}

/// The entities of one kind in one account.
#[derive(Debug)]
pub struct Table<E> {
    by_name: BTreeSet<ByName<E>>,
    by_id: HashSet<ById<E>>,
}

impl<E> Default for Table<E> {
    fn default() -> Self {
        Table {
            by_name: BTreeSet::new(),
            by_id: HashSet::new(),
        }
    }
}

impl<E: Entity + Clone> Table<E> {
    /// The entity named `name`, in any case.
    pub fn get(&self, name: &str) -> Option<&E> {
        with_folded(name, |folded| self.get_folded(folded))
    }

    /// The entity whose folded name is `folded`.
    pub fn get_folded(&self, folded: &str) -> Option<&E> {
        self.by_name.get(folded).map(|e| &*e.0)
    }

    /// The entity with the unique id `id`.
    pub fn by_id(&self, id: &str) -> Option<&E> {
        self.by_id.get(id).map(|e| &*e.0)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Every entity, in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &E> + '_ {
        self.by_name.iter().map(|e| &*e.0)
    }

    /// Every entity with its folded name (the key lists are paged and sorted by), in name
    /// order.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = (&str, &E)> + '_ {
        self.by_name.iter().map(|e| (e.0.name().folded(), &*e.0))
    }

    /// Inserts `entity`, or replaces the entity of its unique id (under its new name, if it
    /// was renamed). Returns the entity it replaced.
    pub fn put(&mut self, entity: E) -> Option<E> {
        let previous = self.remove(entity.unique_id());
        let entity = Arc::new(entity);
        // A name is held by one id: another entity of the same name (which the store's name
        // index rules out) would be replaced rather than left unreachable by id.
        if let Some(held) = self.by_name.take(entity.name().folded()) {
            self.by_id.remove(held.0.unique_id());
        }
        self.by_id.insert(ById(Arc::clone(&entity)));
        self.by_name.insert(ByName(entity));
        previous
    }

    /// Removes the entity with the unique id `id`, and returns it.
    pub fn remove(&mut self, id: &str) -> Option<E> {
        let held = self.by_id.take(id)?;
        self.by_name.remove(held.0.name().folded());
        Some(Arc::try_unwrap(held.0).unwrap_or_else(|shared| (*shared).clone()))
    }

    /// Changes the entity with the unique id `id`, if there is one (a rename included).
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut E)) {
        if let Some(mut entity) = self.remove(id) {
            change(&mut entity);
            self.put(entity);
        }
    }
}

/// A collection listed in key order, from any key on: what a list seeks its marker in.
pub trait Keyed<V> {
    /// The entries from the one keyed `start` (or the next after it), in key order.
    fn seek<'a>(&'a self, start: &str) -> impl Iterator<Item = (&'a str, &'a V)> + use<'a, Self, V>
    where
        V: 'a;
}

impl<V> Keyed<V> for BTreeMap<String, V> {
    fn seek<'a>(&'a self, start: &str) -> impl Iterator<Item = (&'a str, &'a V)> + use<'a, V>
    where
        V: 'a,
    {
        self.range::<str, _>((Bound::Included(start), Bound::Unbounded))
            .map(|(key, value)| (key.as_str(), value))
    }
}

/// Keyed by folded name.
impl<E: Entity> Keyed<E> for Table<E> {
    fn seek<'a>(&'a self, start: &str) -> impl Iterator<Item = (&'a str, &'a E)> + use<'a, E>
    where
        E: 'a,
    {
        self.by_name
            .range::<str, _>((Bound::Included(start), Bound::Unbounded))
            .map(|e| (e.0.name().folded(), &*e.0))
    }
}

/// An entity as the name index holds it: ordered, and found, by its folded name.
#[derive(Debug)]
struct ByName<E>(Arc<E>);

impl<E: Entity> Borrow<str> for ByName<E> {
    fn borrow(&self) -> &str {
        self.0.name().folded()
    }
}

impl<E: Entity> PartialEq for ByName<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0.name().folded() == other.0.name().folded()
    }
}

impl<E: Entity> Eq for ByName<E> {}

impl<E: Entity> PartialOrd for ByName<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E: Entity> Ord for ByName<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.name().folded().cmp(other.0.name().folded())
    }
}

/// An entity as the id index holds it: hashed, and found, by its unique id.
#[derive(Debug)]
struct ById<E>(Arc<E>);

impl<E: Entity> Borrow<str> for ById<E> {
    fn borrow(&self) -> &str {
        self.0.unique_id()
    }
}

impl<E: Entity> PartialEq for ById<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0.unique_id() == other.0.unique_id()
    }
}

impl<E: Entity> Eq for ById<E> {}

impl<E: Entity> Hash for ById<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that lookups by `&str` find it.
        self.0.unique_id().hash(state);
    }
}

macro_rules! entity {
    ($($kind:ty),*) => {$(
        impl Entity for $kind {
            fn name(&self) -> &EntityName {
                &self.name
            }
            fn unique_id(&self) -> &str {
                &self.id
            }
            fn path(&self) -> &EntityPath {
                &self.path
            }
        }
    )*};
}

entity!(User, Group, Role, ManagedPolicy, InstanceProfile);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, UniqueId};

    fn group(id: &str, name: &str) -> Group {
        Group {
            id: UniqueId::new(id),
            account: AccountId::parse("123456789012").unwrap(),
            name: EntityName::new(name),
            path: EntityPath::root(),
            created: 0,
            inline: Vec::new(),
            attached: Vec::new(),
        }
    }

    fn names(table: &Table<Group>) -> Vec<&str> {
        table.iter().map(|g| g.name.as_str()).collect()
    }

    #[test]
    fn finds_by_name_in_any_case_and_by_id() {
        let mut table = Table::default();
        table.put(group("AGPA1", "Admins"));
        assert_eq!(table.get("admins").map(|g| g.id.as_str()), Some("AGPA1"));
        assert_eq!(table.get("ADMINS").map(|g| g.id.as_str()), Some("AGPA1"));
        assert_eq!(
            table.get_folded("admins").map(|g| g.id.as_str()),
            Some("AGPA1")
        );
        assert_eq!(
            table.by_id("AGPA1").map(|g| g.name.as_str()),
            Some("Admins")
        );
        assert!(table.get("Admin").is_none());
        assert!(table.by_id("agpa1").is_none(), "unique ids are exact");
    }

    #[test]
    fn lists_in_case_insensitive_name_order() {
        let mut table = Table::default();
        for (id, name) in [
            ("1", "beta"),
            ("2", "Alpha"),
            ("3", "Gamma"),
            ("4", "delta"),
        ] {
            table.put(group(id, name));
        }
        assert_eq!(names(&table), ["Alpha", "beta", "delta", "Gamma"]);
        let from: Vec<&str> = table.seek("c").map(|(key, _)| key).collect();
        assert_eq!(from, ["delta", "gamma"]);
        assert_eq!(table.len(), 4);
    }

    #[test]
    fn a_rename_moves_the_entity_and_keeps_the_id_index() {
        let mut table = Table::default();
        table.put(group("AGPA1", "Admins"));
        table.put(group("AGPA2", "Devs"));
        let previous = table.put(group("AGPA1", "Operators"));
        assert_eq!(
            previous.map(|g| g.name.as_str().to_owned()).as_deref(),
            Some("Admins")
        );
        assert!(table.get("admins").is_none());
        assert_eq!(table.get("operators").map(|g| g.id.as_str()), Some("AGPA1"));
        assert_eq!(
            table.by_id("AGPA1").map(|g| g.name.as_str()),
            Some("Operators")
        );
        assert_eq!(names(&table), ["Devs", "Operators"]);
        // A change of case only is a rename too.
        table.put(group("AGPA2", "DEVS"));
        assert_eq!(table.get("devs").map(|g| g.name.as_str()), Some("DEVS"));
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn removes_by_id_from_both_indexes() {
        let mut table = Table::default();
        table.put(group("AGPA1", "Admins"));
        assert!(table.remove("AGPA2").is_none());
        assert_eq!(
            table.remove("AGPA1").map(|g| g.id),
            Some(UniqueId::new("AGPA1"))
        );
        assert!(table.get("admins").is_none());
        assert!(table.by_id("AGPA1").is_none());
        assert!(table.is_empty());
        // The name is free again, for another id.
        table.put(group("AGPA3", "admins"));
        assert_eq!(table.get("Admins").map(|g| g.id.as_str()), Some("AGPA3"));
    }

    #[test]
    fn updates_in_place() {
        let mut table = Table::default();
        table.put(group("AGPA1", "Admins"));
        table.update("AGPA1", |g| g.attached.push("arn".to_owned()));
        table.update("AGPA9", |g| g.attached.push("arn".to_owned()));
        assert_eq!(table.by_id("AGPA1").map(|g| g.attached.len()), Some(1));
        assert_eq!(table.len(), 1);
    }
}
