//! Entry points for the fuzz targets in `fuzz/`, which reach the XML tree and the
//! canonicalization that signatures are checked over. Not an API: hidden from the documentation
//! and free to change with the targets.

use crate::c14n::{Method, canonicalize};
use crate::xml::Document;

/// How many elements of a document [`canonical_forms`] canonicalizes one by one.
const MAX_APEXES: usize = 16;

/// A document read by the parser signatures are checked with.
#[derive(Debug)]
pub struct Parsed(Document);

impl Parsed {
    /// Parses `text`, or says why it is refused.
    pub fn parse(text: &str) -> Result<Parsed, String> {
        Document::parse(text).map(Parsed).map_err(|e| e.0)
    }

    /// How many elements the document holds.
    pub fn elements(&self) -> usize {
        self.0.ids().len()
    }

    /// The canonical forms of the first elements of the document (the root first), with
    /// Exclusive XML Canonicalization (`exclusive`, with the InclusiveNamespaces list
    /// `prefixes`, `""` for `#default`) or Canonical XML 1.0; last, when the document has more
    /// than one element, the root's without its last element, as an enveloped signature is
    /// left out.
    pub fn canonical_forms(&self, exclusive: bool, prefixes: &[String]) -> Vec<String> {
        let document = &self.0;
        let method = method(exclusive, prefixes);
        let mut forms: Vec<String> = document
            .ids()
            .take(MAX_APEXES)
            .map(|apex| canonicalize(document, apex, &method, None))
            .collect();
        if let Some(last) = document.ids().last().filter(|last| *last > 0) {
            forms.push(canonicalize(document, document.root(), &method, Some(last)));
        }
        forms
    }

    /// The canonical form of the root element alone, as [`Parsed::canonical_forms`] makes it.
    pub fn canonical_root(&self, exclusive: bool, prefixes: &[String]) -> String {
        canonicalize(&self.0, self.0.root(), &method(exclusive, prefixes), None)
    }
}

fn method(exclusive: bool, prefixes: &[String]) -> Method {
    if exclusive {
        Method::Exclusive {
            prefixes: prefixes.to_vec(),
        }
    } else {
        Method::Inclusive
    }
}
