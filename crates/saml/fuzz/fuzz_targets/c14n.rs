//! Fuzz target for the XML tree and canonicalization that SAML signatures are checked over:
//! any bytes (invalid UTF-8 replaced) as a document, and as identity provider metadata.
//!
//! A document that parses has canonical forms (inclusive, exclusive, exclusive with an
//! InclusiveNamespaces list, of its first elements and of the root without its last element)
//! that are well-formed documents themselves, computed the same way twice, and canonical
//! already: canonicalizing a canonical form again changes nothing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_saml::Metadata;
use warden_saml::fuzzing::Parsed;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Metadata::parse(&text);
    let Ok(document) = Parsed::parse(&text) else {
        return;
    };
    let prefixes = ["".to_owned(), "saml".to_owned(), "ds".to_owned()];
    for (exclusive, prefixes) in [(false, &[][..]), (true, &[][..]), (true, &prefixes[..])] {
        let forms = document.canonical_forms(exclusive, prefixes);
        assert_eq!(
            forms,
            document.canonical_forms(exclusive, prefixes),
            "canonicalization is not deterministic"
        );
        for form in forms {
            let reparsed = match Parsed::parse(&form) {
                Ok(reparsed) => reparsed,
                Err(error) => panic!("a canonical form does not parse: {error}\n{form}"),
            };
            assert_eq!(
                reparsed.canonical_root(exclusive, prefixes),
                form,
                "canonicalizing a canonical form changed it (exclusive: {exclusive}, prefixes: {prefixes:?})"
            );
        }
    }
});
