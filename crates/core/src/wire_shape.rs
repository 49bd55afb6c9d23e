//! The shape of an operation's input as its `Deserialize` implementation asks for it: the
//! structure fields it reads, and whether each is a string, a number, a flag, a list or a
//! structure, optional or not.
//!
//! Handlers' inputs are plain serde structures. The decoder hands them what the service model
//! says a request holds, so a field spelt differently from the model's member would silently
//! read nothing. [`shape_of`] reads a type's fields without an instance (it drives the type's
//! `Deserialize` with a deserializer that answers every question with a placeholder and notes
//! the question), and the API crate's tests compare every operation's input with its botocore
//! shape.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// What a type reads, as far as its `Deserialize` implementation shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireShape {
    /// `Option<…>`: the value may be missing.
    pub optional: bool,
    pub ty: WireType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireType {
    String,
    Integer,
    Float,
    Boolean,
    List(Box<WireShape>),
    /// A structure's fields in declaration order (aliases included, as serde lists them).
    Structure(Vec<WireField>),
    /// A map or a flattened structure: its keys are not known in advance.
    Map,
    /// Read with `deserialize_any` or a custom implementation this probe could not follow.
    Opaque,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireField {
    pub name: &'static str,
    pub shape: WireShape,
}

impl WireShape {
    const fn opaque() -> WireShape {
        WireShape {
            optional: false,
            ty: WireType::Opaque,
        }
    }
}

/// How deep a type may nest before the probe stops (a recursive type would never end).
const MAX_DEPTH: usize = 16;

/// The shape `T` reads.
pub fn shape_of<T: DeserializeOwned>() -> WireShape {
    let mut shape = WireShape::opaque();
    // The placeholder values may not satisfy `T` (a parsed name, a non-empty list); what was
    // recorded before that is still the shape.
    let _ = T::deserialize(Probe {
        out: &mut shape,
        depth: 0,
    });
    shape
}

#[derive(Debug)]
struct ProbeError(String);

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ProbeError(msg.to_string())
    }
}

/// Answers every request for a value with a placeholder, recording what was asked into `out`.
struct Probe<'a> {
    out: &'a mut WireShape,
    depth: usize,
}

impl Probe<'_> {
    fn set(&mut self, ty: WireType) {
        self.out.ty = ty;
    }

    fn deeper(&self) -> Result<usize, ProbeError> {
        if self.depth >= MAX_DEPTH {
            return Err(ProbeError("too deep".to_owned()));
        }
        Ok(self.depth + 1)
    }
}

macro_rules! integers {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, ProbeError> {
            self.set(WireType::Integer);
            visitor.visit_u8(1)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(mut self, _: V) -> Result<V::Value, ProbeError> {
        self.set(WireType::Opaque);
        Err(ProbeError("untyped".to_owned()))
    }

    fn deserialize_bool<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, ProbeError> {
        self.set(WireType::Boolean);
        visitor.visit_bool(false)
    }

    integers!(
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, ProbeError> {
        self.set(WireType::Float);
        visitor.visit_f64(1.0)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, ProbeError> {
        self.set(WireType::String);
        visitor.visit_str("x")
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        let depth = self.depth;
        let out = self.out;
        let result = visitor.visit_some(Probe {
            out: &mut *out,
            depth,
        });
        out.optional = true;
        result
    }

    fn deserialize_unit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, ProbeError> {
        self.set(WireType::Opaque);
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        let depth = self.deeper()?;
        let mut element = WireShape::opaque();
        let result = visitor.visit_seq(OneElement {
            out: Some(&mut element),
            depth,
        });
        self.out.ty = WireType::List(Box::new(element));
        result
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        mut self,
        _: usize,
        _: V,
    ) -> Result<V::Value, ProbeError> {
        self.set(WireType::Opaque);
        Err(ProbeError("tuple".to_owned()))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(mut self, _: V) -> Result<V::Value, ProbeError> {
        self.set(WireType::Map);
        Err(ProbeError("map".to_owned()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        let depth = self.deeper()?;
        let mut access = Fields {
            fields: fields
                .iter()
                .map(|name| WireField {
                    name,
                    shape: WireShape::opaque(),
                })
                .collect(),
            next: 0,
            depth,
        };
        let result = visitor.visit_map(&mut access);
        self.out.ty = WireType::Structure(access.fields);
        result
    }

    fn deserialize_enum<V: Visitor<'de>>(
        mut self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.set(WireType::String);
        let first = variants
            .first()
            .ok_or_else(|| ProbeError("an enum without variants".to_owned()))?;
        visitor.visit_enum((*first).into_deserializer())
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_unit()
    }
}

/// A sequence of one placeholder element.
struct OneElement<'a> {
    out: Option<&'a mut WireShape>,
    depth: usize,
}

impl<'de> de::SeqAccess<'de> for OneElement<'_> {
    type Error = ProbeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ProbeError> {
        match self.out.take() {
            Some(out) => seed
                .deserialize(Probe {
                    out,
                    depth: self.depth,
                })
                .map(Some),
            None => Ok(None),
        }
    }
}

/// A structure's fields, each given once with a placeholder value.
struct Fields {
    fields: Vec<WireField>,
    next: usize,
    depth: usize,
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        let Some(field) = self.fields.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(field.name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ProbeError> {
        let index = self.next;
        self.next += 1;
        let field = self
            .fields
            .get_mut(index)
            .ok_or_else(|| ProbeError("a value without a key".to_owned()))?;
        seed.deserialize(Probe {
            out: &mut field.shape,
            depth: self.depth,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Tag {
        key: String,
        #[serde(default)]
        value: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    enum Status {
        Active,
        Inactive,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Input {
        user_name: String,
        path: Option<String>,
        max_items: Option<i64>,
        #[serde(default)]
        tags: Vec<Tag>,
        status: Status,
        #[serde(rename = "ClientIDList")]
        client_ids: Option<Vec<String>>,
        flag: bool,
    }

    fn shape(optional: bool, ty: WireType) -> WireShape {
        WireShape { optional, ty }
    }

    fn field(name: &'static str, shape: WireShape) -> WireField {
        WireField { name, shape }
    }

    #[test]
    fn reads_names_types_and_optionality_of_every_field() {
        let tag = shape(
            false,
            WireType::Structure(vec![
                field("Key", shape(false, WireType::String)),
                field("Value", shape(false, WireType::String)),
            ]),
        );
        let expected = shape(
            false,
            WireType::Structure(vec![
                field("UserName", shape(false, WireType::String)),
                field("Path", shape(true, WireType::String)),
                field("MaxItems", shape(true, WireType::Integer)),
                field("Tags", shape(false, WireType::List(Box::new(tag)))),
                field("Status", shape(false, WireType::String)),
                field(
                    "ClientIDList",
                    shape(
                        true,
                        WireType::List(Box::new(shape(false, WireType::String))),
                    ),
                ),
                field("Flag", shape(false, WireType::Boolean)),
            ]),
        );
        assert_eq!(shape_of::<Input>(), expected);
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Refuses {
        first: Parsed,
        second: String,
    }

    /// A type whose `Deserialize` refuses the placeholder.
    struct Parsed;

    impl<'de> Deserialize<'de> for Parsed {
        fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Parsed, D::Error> {
            let text = String::deserialize(deserializer)?;
            Err(de::Error::custom(format!("not a value: {text}")))
        }
    }

    #[test]
    fn a_refused_placeholder_still_leaves_every_field_name() {
        let WireType::Structure(fields) = shape_of::<Refuses>().ty else {
            panic!("not a structure");
        };
        let names: Vec<_> = fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["first", "second"]);
        assert_eq!(fields[0].shape.ty, WireType::String);
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Flattened {
        #[serde(flatten)]
        inner: Tag,
    }

    #[test]
    fn a_flattened_structure_is_a_map() {
        assert_eq!(shape_of::<Flattened>().ty, WireType::Map);
    }
}
