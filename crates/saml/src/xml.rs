//! A small XML tree for SAML documents: elements with their prefixes, namespace declarations
//! and attributes as written (canonicalization needs them), and text. Comments are dropped
//! and adjacent text joined, which is what canonicalization without comments sees, so a
//! comment can never split a signed value. Documents with a DTD, entity references beyond
//! XML's five, or processing instructions are refused.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The namespace the `xml` prefix is bound to.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Deeper documents are refused (SAML responses nest about ten levels).
const MAX_DEPTH: usize = 64;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError(pub String);

fn error(message: impl Into<String>) -> XmlError {
    XmlError(message.into())
}

/// A parsed document: its elements in document order (the root first).
#[derive(Debug)]
pub(crate) struct Document {
    elements: Vec<Element>,
}

#[derive(Debug)]
pub(crate) struct Element {
    /// The prefix as written (`""` when there is none).
    pub prefix: String,
    pub local: String,
    /// The namespace the prefix resolves to (`""`: none).
    pub namespace: String,
    /// `xmlns` and `xmlns:p` declarations: (prefix or `""`, namespace or `""`).
    pub declarations: Vec<(String, String)>,
    pub attributes: Vec<Attribute>,
    pub children: Vec<Node>,
    pub parent: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct Attribute {
    pub prefix: String,
    pub local: String,
    pub namespace: String,
    pub value: String,
}

#[derive(Debug)]
pub(crate) enum Node {
    Element(usize),
    Text(String),
}

static EMPTY: Element = Element {
    prefix: String::new(),
    local: String::new(),
    namespace: String::new(),
    declarations: Vec::new(),
    attributes: Vec::new(),
    children: Vec::new(),
    parent: None,
};

impl Element {
    /// The qualified name as written.
    pub fn qname(&self) -> Cow<'_, str> {
        if self.prefix.is_empty() {
            Cow::Borrowed(&self.local)
        } else {
            Cow::Owned(format!("{}:{}", self.prefix, self.local))
        }
    }

    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace == namespace && self.local == local
    }

    /// An attribute without a namespace.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_empty() && a.local == local)
            .map(|a| a.value.as_str())
    }
}

impl Document {
    /// Parses `text`, which must be one well-formed element (after an optional declaration).
    pub fn parse(text: &str) -> Result<Document, XmlError> {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut reader = Reader::from_str(&text);
        let mut document = Document {
            elements: Vec::new(),
        };
        let mut open: Vec<usize> = Vec::new();
        loop {
            let event = reader
                .read_event()
                .map_err(|e| error(format!("not well-formed XML: {e}")))?;
            match event {
                Event::Decl(_) if document.elements.is_empty() => {}
                Event::Start(start) => {
                    let id = document.open(&start, open.last().copied())?;
                    open.push(id);
                    if open.len() > MAX_DEPTH {
                        return Err(error("the document nests too deeply"));
                    }
                }
                Event::Empty(start) => {
                    document.open(&start, open.last().copied())?;
                }
                Event::End(_) => {
                    open.pop();
                }
                Event::Text(text) => document.text(open.last().copied(), &text)?,
                Event::CData(data) => document.text(open.last().copied(), &data)?,
                Event::GeneralRef(reference) => {
                    let character = entity(&reference)?;
                    document.text(open.last().copied(), character.encode_utf8(&mut [0; 4]))?;
                }
                Event::Comment(_) => {}
                Event::Eof => break,
                Event::DocType(_) => return Err(error("documents with a DTD are not accepted")),
                Event::Decl(_) | Event::PI(_) => {
                    return Err(error("processing instructions are not accepted"));
                }
            }
        }
        if document.elements.is_empty() || !open.is_empty() {
            return Err(error("the document is incomplete"));
        }
        Ok(document)
    }

    pub fn root(&self) -> usize {
        0
    }

    pub fn element(&self, id: usize) -> &Element {
        self.elements.get(id).unwrap_or(&EMPTY)
    }

    /// Every element id, in document order.
    pub fn ids(&self) -> std::ops::Range<usize> {
        0..self.elements.len()
    }

    /// The element children of `id`.
    pub fn children(&self, id: usize) -> impl Iterator<Item = usize> + '_ {
        self.element(id).children.iter().filter_map(|n| match n {
            Node::Element(child) => Some(*child),
            Node::Text(_) => None,
        })
    }

    /// The element children of `id` named `namespace`/`local`.
    pub fn named<'d>(
        &'d self,
        id: usize,
        namespace: &'d str,
        local: &'d str,
    ) -> impl Iterator<Item = usize> + 'd {
        self.children(id)
            .filter(move |c| self.element(*c).is(namespace, local))
    }

    /// The only child of `id` named `namespace`/`local`; `None` if there are none or several.
    pub fn only(&self, id: usize, namespace: &str, local: &str) -> Option<usize> {
        let mut named = self.named(id, namespace, local);
        let first = named.next()?;
        named.next().is_none().then_some(first)
    }

    /// The text directly inside `id`.
    pub fn text_of(&self, id: usize) -> String {
        self.element(id)
            .children
            .iter()
            .filter_map(|n| match n {
                Node::Text(text) => Some(text.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// The namespaces in scope at `id`, nearest declaration first, without undeclared
    /// defaults and without the `xml` prefix.
    pub fn in_scope(&self, id: usize) -> Vec<(&str, &str)> {
        let mut scope: Vec<(&str, &str)> = Vec::new();
        let mut current = Some(id);
        while let Some(at) = current {
            let element = self.element(at);
            for (prefix, uri) in &element.declarations {
                if !scope.iter().any(|(p, _)| p == prefix) {
                    scope.push((prefix, uri));
                }
            }
            current = element.parent;
        }
        scope.retain(|(_, uri)| !uri.is_empty());
        scope
    }

    fn resolve(
        &self,
        parent: Option<usize>,
        own: &[(String, String)],
        prefix: &str,
    ) -> Option<String> {
        if prefix == "xml" {
            return Some(XML_NS.to_owned());
        }
        if let Some((_, uri)) = own.iter().find(|(p, _)| p == prefix) {
            return Some(uri.clone());
        }
        let found = parent.and_then(|p| {
            self.in_scope(p)
                .into_iter()
                .find(|(p, _)| *p == prefix)
                .map(|(_, uri)| uri.to_owned())
        });
        match found {
            Some(uri) => Some(uri),
            None if prefix.is_empty() => Some(String::new()),
            None => None,
        }
    }

    fn open(&mut self, start: &BytesStart<'_>, parent: Option<usize>) -> Result<usize, XmlError> {
        if parent.is_none() && !self.elements.is_empty() {
            return Err(error("the document has more than one root element"));
        }
        let name = start.name().as_ref().to_owned();
        let name = name.as_str();
        let (prefix, local) = split(name);
        let mut declarations = Vec::new();
        let mut raw = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| error(format!("not well-formed XML: {e}")))?;
            let key = attribute.key.as_ref().to_owned();
            let value = attribute_value(&attribute.value)?;
            match key.strip_prefix("xmlns") {
                Some("") => declarations.push((String::new(), value)),
                Some(rest) if rest.starts_with(':') => {
                    let prefix = rest.get(1..).unwrap_or_default();
                    if value.is_empty() || prefix.is_empty() {
                        return Err(error(format!("the namespace declaration `{key}` is empty")));
                    }
                    declarations.push((prefix.to_owned(), value));
                }
                _ => raw.push((key, value)),
            }
        }
        let namespace = self
            .resolve(parent, &declarations, prefix)
            .ok_or_else(|| error(format!("the prefix of `{name}` is not declared")))?;
        let mut attributes: Vec<Attribute> = Vec::with_capacity(raw.len());
        for (key, value) in &raw {
            let (prefix, local) = split(key);
            let namespace = if prefix.is_empty() {
                String::new()
            } else {
                self.resolve(parent, &declarations, prefix)
                    .ok_or_else(|| error(format!("the prefix of `{key}` is not declared")))?
            };
            if attributes
                .iter()
                .any(|a| a.namespace == namespace && a.local == local)
            {
                return Err(error(format!("the attribute `{key}` appears twice")));
            }
            attributes.push(Attribute {
                prefix: prefix.to_owned(),
                local: local.to_owned(),
                namespace,
                value: value.clone(),
            });
        }
        let id = self.elements.len();
        self.elements.push(Element {
            prefix: prefix.to_owned(),
            local: local.to_owned(),
            namespace,
            declarations,
            attributes,
            children: Vec::new(),
            parent,
        });
        if let Some(parent) = parent.and_then(|p| self.elements.get_mut(p)) {
            parent.children.push(Node::Element(id));
        }
        Ok(id)
    }

    fn text(&mut self, parent: Option<usize>, text: &str) -> Result<(), XmlError> {
        let Some(parent) = parent.and_then(|p| self.elements.get_mut(p)) else {
            return if text.chars().all(|c| c.is_ascii_whitespace()) {
                Ok(())
            } else {
                Err(error("text outside the root element"))
            };
        };
        match parent.children.last_mut() {
            Some(Node::Text(previous)) => previous.push_str(text),
            _ => parent.children.push(Node::Text(text.to_owned())),
        }
        Ok(())
    }
}

fn split(name: &str) -> (&str, &str) {
    name.split_once(':').unwrap_or(("", name))
}

/// The character an entity or character reference (`amp`, `#38`, `#x26`) stands for.
fn entity(name: &str) -> Result<char, XmlError> {
    let code = match name {
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "amp" => return Ok('&'),
        "quot" => return Ok('"'),
        "apos" => return Ok('\''),
        _ => match name.strip_prefix("#x") {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => name.strip_prefix('#').and_then(|d| d.parse::<u32>().ok()),
        },
    };
    code.and_then(char::from_u32)
        .filter(|c| *c != '\0')
        .ok_or_else(|| error(format!("the reference `&{name};` is not accepted")))
}

/// An attribute's value as XML defines it: literal whitespace becomes a space, then
/// references are replaced.
fn attribute_value(raw: &str) -> Result<String, XmlError> {
    let mut value = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find(['&', '<', '\t', '\n']) {
        value.push_str(rest.get(..at).unwrap_or_default());
        let tail = rest.get(at..).unwrap_or_default();
        if tail.starts_with('<') {
            return Err(error("`<` in an attribute value"));
        }
        if let Some(after) = tail.strip_prefix('&') {
            let end = after
                .find(';')
                .ok_or_else(|| error("an unterminated reference in an attribute value"))?;
            value.push(entity(after.get(..end).unwrap_or_default())?);
            rest = after.get(end + 1..).unwrap_or_default();
        } else {
            value.push(' ');
            rest = tail.get(1..).unwrap_or_default();
        }
    }
    value.push_str(rest);
    Ok(value)
}
