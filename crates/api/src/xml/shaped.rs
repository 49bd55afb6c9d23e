//! A serde `Serializer` that writes a value as the XML of a shape of the model: the core's
//! typed outputs (and JSON values) become AWS's elements without an intermediate form.
//!
//! Structures are written in the model's member order: members come in the order the type
//! declares them, each is written where it comes, and a structure whose members came out of
//! order is put back in order once its last member is written. Absent (`None`, null) members
//! are skipped; null list elements and map values are written empty. A member the shape lacks,
//! or a value its shape cannot hold, is not written and is noted as a departure (debug builds
//! refuse an output with any).

use std::fmt::{self, Write as _};

use serde::ser::{self, Impossible, Serialize};

use super::{URL_ENCODED_SHAPE, escape_into, percent_encode};
use crate::model::{MapShape, Model, Shape, StructureShape};

/// The XML being written, and what was found not to conform.
pub(super) struct Writer<'m> {
    pub model: &'m Model,
    pub xml: String,
    /// Where each member of the structures being written starts: (member index, offset).
    members: Vec<(usize, usize)>,
    pub departures: Vec<String>,
}

impl<'m> Writer<'m> {
    pub fn new(model: &'m Model, capacity: usize) -> Writer<'m> {
        Writer {
            model,
            xml: String::with_capacity(capacity),
            members: Vec::new(),
            departures: Vec::new(),
        }
    }

    /// Writes `value` as the members of structure `shape_name`, with no element around them.
    pub fn members<T: Serialize + ?Sized>(
        &mut self,
        shape_name: &'m str,
        value: &T,
    ) -> Result<(), Failed> {
        value.serialize(Content {
            w: self,
            shape_name,
            element: None,
            skip_none: true,
        })
    }

    pub fn open(&mut self, element: &str) {
        self.xml.push('<');
        self.xml.push_str(element);
        self.xml.push('>');
    }

    pub fn close(&mut self, element: &str) {
        self.xml.push_str("</");
        self.xml.push_str(element);
        self.xml.push('>');
    }

    fn depart(&mut self, shape_name: &str, what: fmt::Arguments<'_>) {
        self.departures.push(format!("{shape_name}: {what}"));
    }
}

/// A custom `Serialize` implementation's own failure.
#[derive(Debug)]
pub(super) struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: fmt::Display>(message: T) -> Failed {
        Failed(message.to_string())
    }
}

/// Serializes one value as shape `shape_name`, inside `<element>` when there is one.
struct Content<'w, 'm> {
    w: &'w mut Writer<'m>,
    shape_name: &'m str,
    element: Option<&'m str>,
    /// Whether an absent value writes nothing (a structure's member) or an empty element (a
    /// list's element, a map's value).
    skip_none: bool,
}

impl<'w, 'm> Content<'w, 'm> {
    fn shape(&self) -> Option<&'m Shape> {
        self.w.model.shape(self.shape_name)
    }

    fn open(&mut self) {
        if let Some(element) = self.element {
            self.w.open(element);
        }
    }

    fn close(self) {
        if let Some(element) = self.element {
            self.w.close(element);
        }
    }

    /// A scalar, already as text (numbers and booleans never need escaping).
    fn plain(mut self, text: &str, kind: Scalar) -> Result<(), Failed> {
        self.open();
        match self.shape() {
            Some(shape) if kind.fits(shape) => self.w.xml.push_str(text),
            Some(Shape::String(_) | Shape::Timestamp(_) | Shape::Blob(_))
                if self.shape_name != URL_ENCODED_SHAPE =>
            {
                self.w.xml.push_str(text);
                self.depart_kind(kind);
            }
            Some(Shape::Boolean(_) | Shape::Integer(_) | Shape::Long(_))
            | Some(Shape::Float(_) | Shape::Double(_)) => {
                self.w.xml.push_str(text);
                self.depart_kind(kind);
            }
            _ => self.depart_kind(kind),
        }
        self.close();
        Ok(())
    }

    fn text(mut self, text: &str) -> Result<(), Failed> {
        self.open();
        match self.shape() {
            Some(Shape::String(_)) if self.shape_name == URL_ENCODED_SHAPE => {
                self.w.xml.push_str(&percent_encode(text));
            }
            Some(Shape::String(_) | Shape::Timestamp(_) | Shape::Blob(_)) => {
                escape_into(&mut self.w.xml, text);
            }
            Some(
                Shape::Boolean(_)
                | Shape::Integer(_)
                | Shape::Long(_)
                | Shape::Float(_)
                | Shape::Double(_),
            ) => {
                escape_into(&mut self.w.xml, text);
                self.depart_kind(Scalar::Text);
            }
            _ => self.depart_kind(Scalar::Text),
        }
        self.close();
        Ok(())
    }

    /// What a null writes: nothing for a member, an empty element in a list or map.
    fn none(mut self) -> Result<(), Failed> {
        if !self.skip_none {
            self.open();
            self.close();
        }
        Ok(())
    }

    /// A value the shape cannot hold at all: an empty element, noted.
    fn empty(mut self, what: &str) -> Result<(), Failed> {
        self.open();
        let shape_name = self.shape_name;
        self.w
            .depart(shape_name, format_args!("{shape_name} cannot hold {what}"));
        self.close();
        Ok(())
    }

    fn depart_kind(&mut self, kind: Scalar) {
        let shape_name = self.shape_name;
        if self.shape().is_none() {
            self.w.depart(
                shape_name,
                format_args!("the model has no shape {shape_name}"),
            );
        } else {
            self.w.depart(
                shape_name,
                format_args!("{shape_name} cannot hold {}", kind.name()),
            );
        }
    }

    fn compound(mut self) -> Compound<'w, 'm> {
        self.open();
        let element = self.element;
        let kind = match self.shape() {
            Some(Shape::Structure(structure)) => Kind::Structure {
                shape: structure,
                shape_name: self.shape_name,
                base: self.w.members.len(),
                next: 0,
            },
            Some(Shape::Map(map)) => Kind::Map(map),
            _ => {
                let shape_name = self.shape_name;
                self.w.depart(
                    shape_name,
                    format_args!("{shape_name} cannot hold an object"),
                );
                Kind::Ignored
            }
        };
        Compound {
            w: self.w,
            kind,
            element,
            key: None,
        }
    }

    fn sequence(mut self) -> Sequence<'w, 'm> {
        self.open();
        let element = self.element;
        let shape_name = self.shape_name;
        let list = match self.shape() {
            Some(Shape::List(list)) => {
                if list.flattened {
                    self.w
                        .depart(shape_name, format_args!("flattened lists are not written"));
                }
                Some((
                    list.member.location_name.as_deref().unwrap_or("member"),
                    list.member.shape.as_str(),
                ))
            }
            _ => {
                self.w
                    .depart(shape_name, format_args!("{shape_name} cannot hold a list"));
                None
            }
        };
        Sequence {
            w: self.w,
            list,
            element,
        }
    }
}

/// The kinds of scalars a serializer is handed.
#[derive(Clone, Copy)]
enum Scalar {
    Text,
    Boolean,
    Integer,
    Number,
}

impl Scalar {
    fn fits(self, shape: &Shape) -> bool {
        matches!(
            (self, shape),
            (Scalar::Boolean, Shape::Boolean(_))
                | (Scalar::Integer, Shape::Integer(_) | Shape::Long(_))
                | (
                    Scalar::Integer | Scalar::Number,
                    Shape::Float(_) | Shape::Double(_)
                )
        )
    }

    fn name(self) -> &'static str {
        match self {
            Scalar::Text => "a string",
            Scalar::Boolean => "a boolean",
            Scalar::Integer => "an integer",
            Scalar::Number => "a number",
        }
    }
}

/// Formats an integer without allocating.
fn integer(value: impl fmt::Display, buffer: &mut String) -> &str {
    buffer.clear();
    let _ = write!(buffer, "{value}");
    buffer.as_str()
}

impl<'w, 'm> ser::Serializer for Content<'w, 'm> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Sequence<'w, 'm>;
    type SerializeTuple = Sequence<'w, 'm>;
    type SerializeTupleStruct = Sequence<'w, 'm>;
    type SerializeTupleVariant = Impossible<(), Failed>;
    type SerializeMap = Compound<'w, 'm>;
    type SerializeStruct = Compound<'w, 'm>;
    type SerializeStructVariant = Impossible<(), Failed>;

    fn serialize_bool(self, v: bool) -> Result<(), Failed> {
        self.plain(if v { "true" } else { "false" }, Scalar::Boolean)
    }

    fn serialize_i8(self, v: i8) -> Result<(), Failed> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), Failed> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), Failed> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), Failed> {
        let mut buffer = String::new();
        self.plain(integer(v, &mut buffer), Scalar::Integer)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Failed> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), Failed> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), Failed> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), Failed> {
        let mut buffer = String::new();
        self.plain(integer(v, &mut buffer), Scalar::Integer)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Failed> {
        self.serialize_f64(f64::from(v))
    }

    /// As a JSON number would be written; NaN and infinities are null.
    fn serialize_f64(self, v: f64) -> Result<(), Failed> {
        match serde_json::Number::from_f64(v) {
            Some(number) => self.plain(&number.to_string(), Scalar::Number),
            None => self.none(),
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Failed> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Failed> {
        self.text(v)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Failed> {
        self.empty("bytes")
    }

    fn serialize_none(self) -> Result<(), Failed> {
        self.none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Failed> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Failed> {
        self.none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Failed> {
        self.none()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Failed> {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Failed> {
        self.empty("an enum variant with data")
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Sequence<'w, 'm>, Failed> {
        Ok(self.sequence())
    }

    fn serialize_tuple(self, _: usize) -> Result<Sequence<'w, 'm>, Failed> {
        Ok(self.sequence())
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Sequence<'w, 'm>, Failed> {
        Ok(self.sequence())
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Failed> {
        Err(ser::Error::custom(format_args!(
            "{name}: enum variants with data are not written"
        )))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w, 'm>, Failed> {
        Ok(self.compound())
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'w, 'm>, Failed> {
        Ok(self.compound())
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Failed> {
        Err(ser::Error::custom(format_args!(
            "{name}: enum variants with data are not written"
        )))
    }
}

/// A list's elements: `<member>…</member>` each (or the element name the model gives).
pub(super) struct Sequence<'w, 'm> {
    w: &'w mut Writer<'m>,
    /// The element name and shape of the list's elements; `None` when the shape is no list.
    list: Option<(&'m str, &'m str)>,
    element: Option<&'m str>,
}

impl Sequence<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let Some((element, shape_name)) = self.list else {
            return Ok(());
        };
        value.serialize(Content {
            w: self.w,
            shape_name,
            element: Some(element),
            skip_none: false,
        })
    }

    fn finish(self) -> Result<(), Failed> {
        if let Some(element) = self.element {
            self.w.close(element);
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Sequence<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.element(value)
    }

    fn end(self) -> Result<(), Failed> {
        self.finish()
    }
}

impl ser::SerializeTuple for Sequence<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.element(value)
    }

    fn end(self) -> Result<(), Failed> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Sequence<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.element(value)
    }

    fn end(self) -> Result<(), Failed> {
        self.finish()
    }
}

/// A structure's members or a map's entries, from a Rust struct or map.
pub(super) struct Compound<'w, 'm> {
    w: &'w mut Writer<'m>,
    kind: Kind<'m>,
    element: Option<&'m str>,
    /// A map's key waiting for its value.
    key: Option<String>,
}

enum Kind<'m> {
    Structure {
        shape: &'m StructureShape,
        shape_name: &'m str,
        /// Where this structure's members start in the writer's member list.
        base: usize,
        /// The member index after the last one written: where the next is looked for first.
        next: usize,
    },
    Map(&'m MapShape),
    /// The value of a shape that holds no structure or map: dropped.
    Ignored,
}

impl Compound<'_, '_> {
    /// The member called `name`, or the entry whose key is `name`.
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Failed> {
        let w = &mut *self.w;
        match &mut self.kind {
            Kind::Structure {
                shape,
                shape_name,
                next,
                ..
            } => {
                let members = &shape.members;
                let found = match members.get(*next) {
                    Some(member) if member.name == name => Some(*next),
                    _ => members.iter().position(|member| member.name == name),
                };
                let Some((index, member)) =
                    found.and_then(|index| Some((index, members.get(index)?)))
                else {
                    w.depart(
                        shape_name,
                        format_args!("{name}: not a member of {shape_name}"),
                    );
                    return Ok(());
                };
                if member.flattened {
                    w.depart(
                        shape_name,
                        format_args!("{name}: flattened members are not written"),
                    );
                }
                *next = index + 1;
                w.members.push((index, w.xml.len()));
                value.serialize(Content {
                    w,
                    shape_name: &member.shape,
                    element: Some(member.location_name.as_deref().unwrap_or(&member.name)),
                    skip_none: true,
                })
            }
            Kind::Map(map) => {
                let key_element = map.key.location_name.as_deref().unwrap_or("key");
                w.open("entry");
                w.open(key_element);
                escape_into(&mut w.xml, name);
                w.close(key_element);
                value.serialize(Content {
                    w: &mut *w,
                    shape_name: &map.value.shape,
                    element: Some(map.value.location_name.as_deref().unwrap_or("value")),
                    skip_none: false,
                })?;
                w.close("entry");
                Ok(())
            }
            Kind::Ignored => Ok(()),
        }
    }

    fn finish(self) -> Result<(), Failed> {
        if let Kind::Structure { base, .. } = self.kind {
            in_model_order(self.w, base);
        }
        if let Some(element) = self.element {
            self.w.close(element);
        }
        Ok(())
    }
}

/// Puts the members written since `base` in the model's order, when they came in another.
fn in_model_order(w: &mut Writer<'_>, base: usize) {
    let written = w.members.get(base..).unwrap_or_default();
    if written.windows(2).all(|pair| match pair {
        [a, b] => a.0 <= b.0,
        _ => true,
    }) {
        w.members.truncate(base);
        return;
    }
    let end = w.xml.len();
    let mut spans: Vec<(usize, usize, usize)> = written
        .iter()
        .enumerate()
        .map(|(i, &(index, start))| {
            let stop = written.get(i + 1).map_or(end, |next| next.1);
            (index, start, stop)
        })
        .collect();
    spans.sort_by_key(|span| span.0);
    let from = written.first().map_or(end, |first| first.1);
    let mut ordered = String::with_capacity(end - from);
    for (_, start, stop) in spans {
        ordered.push_str(w.xml.get(start..stop).unwrap_or_default());
    }
    w.xml.truncate(from);
    w.xml.push_str(&ordered);
    w.members.truncate(base);
}

/// A map key: a string.
struct Key<'k>(&'k mut Option<String>);

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Impossible<(), Failed>;
    type SerializeTuple = Impossible<(), Failed>;
    type SerializeTupleStruct = Impossible<(), Failed>;
    type SerializeTupleVariant = Impossible<(), Failed>;
    type SerializeMap = Impossible<(), Failed>;
    type SerializeStruct = Impossible<(), Failed>;
    type SerializeStructVariant = Impossible<(), Failed>;

    fn serialize_str(self, v: &str) -> Result<(), Failed> {
        *self.0 = Some(v.to_owned());
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Failed> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        value.serialize(self)
    }

    fn serialize_bool(self, _: bool) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Failed> {
        self.serialize_str(&v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_f64(self, _: f64) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_char(self, v: char) -> Result<(), Failed> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Failed> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Failed> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Failed> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Failed> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Failed> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Failed> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Failed> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Failed> {
        Err(not_a_key())
    }
}

fn not_a_key() -> Failed {
    Failed("a map key must be a string".to_owned())
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        key.serialize(Key(&mut self.key))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let name = self.key.take().unwrap_or_default();
        self.field(&name, value)
    }

    fn end(self) -> Result<(), Failed> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.field(name, value)
    }

    fn end(self) -> Result<(), Failed> {
        self.finish()
    }
}
