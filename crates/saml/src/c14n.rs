//! XML canonicalization of one element and what it contains, as XML signatures use it:
//! Canonical XML 1.0 (inclusive) and Exclusive XML Canonicalization 1.0, both without
//! comments, optionally leaving out one descendant (the enveloped signature).

use super::xml::{Attribute, Document, Node, XML_NS};

/// How namespace declarations are carried into the canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Method {
    /// `http://www.w3.org/TR/2001/REC-xml-c14n-20010315`: every namespace in scope.
    Inclusive,
    /// `http://www.w3.org/2001/10/xml-exc-c14n#`: the namespaces an element uses, and those of
    /// the InclusiveNamespaces prefix list (`""` for `#default`).
    Exclusive { prefixes: Vec<String> },
}

/// The canonical form of `apex` and its content, without `omit` (and what `omit` contains).
pub(crate) fn canonicalize(
    document: &Document,
    apex: usize,
    method: &Method,
    omit: Option<usize>,
) -> String {
    let mut out = String::new();
    let rendered = vec![(String::new(), String::new())];
    let mut inherited = Vec::new();
    if *method == Method::Inclusive {
        inherited = inherited_xml_attributes(document, apex);
    }
    let walk = Walk {
        document,
        method,
        omit,
    };
    walk.element(apex, &rendered, &inherited, &mut out);
    out
}

struct Walk<'a> {
    document: &'a Document,
    method: &'a Method,
    omit: Option<usize>,
}

impl Walk<'_> {
    fn element(
        &self,
        id: usize,
        rendered: &[(String, String)],
        extra: &[&Attribute],
        out: &mut String,
    ) {
        if Some(id) == self.omit {
            return;
        }
        let element = self.document.element(id);
        let scope = self.document.in_scope(id);
        let wanted: Vec<&str> = match self.method {
            Method::Inclusive => {
                let mut all: Vec<&str> = scope.iter().map(|(p, _)| *p).collect();
                all.push("");
                all
            }
            Method::Exclusive { prefixes } => {
                let mut used: Vec<&str> = vec![element.prefix.as_str()];
                used.extend(
                    element
                        .attributes
                        .iter()
                        .filter(|a| !a.prefix.is_empty())
                        .map(|a| a.prefix.as_str()),
                );
                used.extend(prefixes.iter().map(String::as_str));
                used
            }
        };
        let mut declarations: Vec<(&str, &str)> = Vec::new();
        for prefix in wanted {
            if prefix == "xml" || declarations.iter().any(|(p, _)| *p == prefix) {
                continue;
            }
            let uri = scope
                .iter()
                .find(|(p, _)| *p == prefix)
                .map_or("", |(_, u)| *u);
            let current = rendered
                .iter()
                .find(|(p, _)| p == prefix)
                .map_or("", |(_, u)| u.as_str());
            let in_scope = !uri.is_empty() || prefix.is_empty();
            if in_scope && uri != current {
                declarations.push((prefix, uri));
            }
        }
        declarations.sort_by(|a, b| a.0.cmp(b.0));
        let mut attributes: Vec<&Attribute> = element.attributes.iter().collect();
        for attribute in extra {
            if !attributes
                .iter()
                .any(|a| a.namespace == attribute.namespace && a.local == attribute.local)
            {
                attributes.push(attribute);
            }
        }
        attributes.sort_by(|a, b| (&a.namespace, &a.local).cmp(&(&b.namespace, &b.local)));

        let name = element.qname();
        out.push('<');
        out.push_str(&name);
        for (prefix, uri) in &declarations {
            if prefix.is_empty() {
                out.push_str(" xmlns=\"");
            } else {
                out.push_str(" xmlns:");
                out.push_str(prefix);
                out.push_str("=\"");
            }
            escape_attribute(uri, out);
            out.push('"');
        }
        for attribute in attributes {
            out.push(' ');
            if !attribute.prefix.is_empty() {
                out.push_str(&attribute.prefix);
                out.push(':');
            }
            out.push_str(&attribute.local);
            out.push_str("=\"");
            escape_attribute(&attribute.value, out);
            out.push('"');
        }
        out.push('>');

        let mut inner: Vec<(String, String)> = rendered.to_vec();
        for (prefix, uri) in &declarations {
            inner.retain(|(p, _)| p != prefix);
            inner.push(((*prefix).to_owned(), (*uri).to_owned()));
        }
        for child in &element.children {
            match child {
                Node::Text(text) => escape_text(text, out),
                Node::Element(child) => self.element(*child, &inner, &[], out),
            }
        }
        out.push_str("</");
        out.push_str(&name);
        out.push('>');
    }
}

/// Canonical XML 1.0 carries the `xml:` attributes of the apex's ancestors onto the apex.
fn inherited_xml_attributes(document: &Document, apex: usize) -> Vec<&Attribute> {
    let mut found: Vec<&Attribute> = Vec::new();
    let mut current = document.element(apex).parent;
    while let Some(at) = current {
        let element = document.element(at);
        for attribute in element.attributes.iter().filter(|a| a.namespace == XML_NS) {
            if !found.iter().any(|f| f.local == attribute.local) {
                found.push(attribute);
            }
        }
        current = element.parent;
    }
    found
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exclusive(xml: &str, apex_local: &str) -> String {
        let document = Document::parse(xml).unwrap();
        let apex = document
            .ids()
            .find(|i| document.element(*i).local == apex_local)
            .unwrap();
        canonicalize(
            &document,
            apex,
            &Method::Exclusive {
                prefixes: Vec::new(),
            },
            None,
        )
    }

    #[test]
    fn exclusive_renders_only_used_namespaces() {
        let xml = r#"<r:Root xmlns:r="urn:r" xmlns:u="urn:unused" xmlns="urn:d"><a:A xmlns:a="urn:a" b="2" a:c="1"><B/></a:A></r:Root>"#;
        assert_eq!(
            exclusive(xml, "A"),
            r#"<a:A xmlns:a="urn:a" b="2" a:c="1"><B xmlns="urn:d"></B></a:A>"#
        );
    }

    #[test]
    fn inclusive_renders_every_namespace_in_scope_and_xml_attributes() {
        let xml = r#"<Root xmlns="urn:d" xmlns:z="urn:z" xml:lang="en"><A z:k="v &amp; &#x9;w"  b='x"y'>t&lt;&#13;</A></Root>"#;
        let document = Document::parse(xml).unwrap();
        let apex = document
            .ids()
            .find(|i| document.element(*i).local == "A")
            .unwrap();
        assert_eq!(
            canonicalize(&document, apex, &Method::Inclusive, None),
            "<A xmlns=\"urn:d\" xmlns:z=\"urn:z\" b=\"x&quot;y\" xml:lang=\"en\" z:k=\"v &amp; &#x9;w\">t&lt;&#xD;</A>"
        );
    }

    #[test]
    fn an_undeclared_default_namespace_is_rendered_empty() {
        let xml = r#"<Root xmlns="urn:d"><A xmlns=""><B/></A></Root>"#;
        assert_eq!(
            exclusive(xml, "Root"),
            r#"<Root xmlns="urn:d"><A xmlns=""><B></B></A></Root>"#
        );
    }

    #[test]
    fn comments_are_left_out_and_text_joined() {
        let xml = "<A>user@example.com<!---->.evil.com\r\n</A>";
        let document = Document::parse(xml).unwrap();
        assert_eq!(document.text_of(0), "user@example.com.evil.com\n");
        assert_eq!(exclusive(xml, "A"), "<A>user@example.com.evil.com\n</A>");
    }
}
