//! The decoder's form of an operation's input, and the serde `Deserializer` that fills a
//! handler's typed input from it: strings stay where the request holds them (a parameter's
//! place), members are named by the model, and nothing is copied until the typed input takes
//! its own strings.

use serde::de::value::{BorrowedStrDeserializer, Error};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::FormParams;

/// A decoded value, checked against its shape.
#[derive(Debug)]
pub(super) enum Node<'m> {
    /// A string, timestamp or blob: the value of the request's parameter at this place.
    Text(usize),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    List(Vec<Node<'m>>),
    /// Entries whose keys are `Text`, each key once.
    Map(Vec<(usize, Node<'m>)>),
    /// The members present, in the model's order, by their model names.
    Structure(Vec<(&'m str, Node<'m>)>),
}

/// Reads `node`, whose texts are values of `params`, as any serde type.
pub(super) struct NodeDeserializer<'a, 'm> {
    pub params: &'a FormParams,
    pub node: &'a Node<'m>,
}

impl<'a> NodeDeserializer<'a, '_> {
    fn text(&self, index: usize) -> Result<&'a str, Error> {
        self.params
            .get(index)
            .map(|(_, value)| value)
            .ok_or_else(|| de::Error::custom("a parameter is missing"))
    }
}

impl<'a, 'm: 'a> de::Deserializer<'a> for NodeDeserializer<'a, 'm> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(index) => visitor.visit_borrowed_str(self.text(*index)?),
            Node::Integer(value) => match u64::try_from(*value) {
                Ok(unsigned) => visitor.visit_u64(unsigned),
                Err(_) => visitor.visit_i64(*value),
            },
            Node::Float(value) => visitor.visit_f64(*value),
            Node::Boolean(value) => visitor.visit_bool(*value),
            Node::List(elements) => visitor.visit_seq(Elements {
                params: self.params,
                elements: elements.iter(),
            }),
            Node::Map(entries) => visitor.visit_map(Entries {
                params: self.params,
                entries: entries.iter(),
                value: None,
            }),
            Node::Structure(members) => visitor.visit_map(Members {
                params: self.params,
                members: members.iter(),
                value: None,
            }),
        }
    }

    /// A node is always a value: absent members have none.
    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// An enumeration's value is its variant's name.
    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(index) => {
                visitor.visit_enum(BorrowedStrDeserializer::<Error>::new(self.text(*index)?))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

struct Elements<'a, 'm> {
    params: &'a FormParams,
    elements: std::slice::Iter<'a, Node<'m>>,
}

impl<'a, 'm: 'a> de::SeqAccess<'a> for Elements<'a, 'm> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.elements
            .next()
            .map(|node| {
                seed.deserialize(NodeDeserializer {
                    params: self.params,
                    node,
                })
            })
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.elements.len())
    }
}

struct Entries<'a, 'm> {
    params: &'a FormParams,
    entries: std::slice::Iter<'a, (usize, Node<'m>)>,
    value: Option<&'a Node<'m>>,
}

impl<'a, 'm: 'a> de::MapAccess<'a> for Entries<'a, 'm> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key = self
            .params
            .get(*key)
            .map(|(_, text)| text)
            .ok_or_else(|| de::Error::custom("a parameter is missing"))?;
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a map value without its key"))?;
        seed.deserialize(NodeDeserializer {
            params: self.params,
            node,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Members<'a, 'm> {
    params: &'a FormParams,
    members: std::slice::Iter<'a, (&'m str, Node<'m>)>,
    value: Option<&'a Node<'m>>,
}

impl<'a, 'm: 'a> de::MapAccess<'a> for Members<'a, 'm> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((name, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let name: &'a str = name;
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let node = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a member value without its name"))?;
        seed.deserialize(NodeDeserializer {
            params: self.params,
            node,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}
