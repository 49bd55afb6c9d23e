//! Core's top-level modules depend on one another without a cycle.
//!
//! The test reads the crate's sources (`src/*.rs` and everything under `src/*/`), notes every
//! path from one top-level module into another (`crate::x`, `use crate::{x, y}`, a `super::`
//! that climbs to the crate root, a name `lib.rs` re-exports), and fails naming the cycle and
//! the files that make it. Comments and string literals are skipped.

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test that reads its own crate's sources fails loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Dependencies allowed although they close a cycle, each with the reason it is still there.
/// Every one must still exist: an exception that no code needs any more is an error, so the
/// list only shrinks.
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// Which modules each module names, with the files that name them.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

#[test]
fn top_level_modules_have_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = module_graph(&src);
    for (from, to, reason) in KNOWN_EXCEPTIONS {
        let removed = graph.get_mut(*from).and_then(|deps| deps.remove(*to));
        assert!(
            removed.is_some(),
            "`{from}` no longer depends on `{to}`: remove the known exception ({reason})"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        let mut message = format!("a cycle among core's modules: {}\n", cycle.join(" → "));
        for pair in cycle.windows(2) {
            let files = &graph[&pair[0]][&pair[1]];
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            message.push_str(&format!(
                "  {} → {}: {}\n",
                pair[0],
                pair[1],
                files.join(", ")
            ));
        }
        panic!("{message}");
    }
}

#[test]
fn the_graph_sees_the_modules_it_should() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    // A sample of dependencies that are certain to stay: if the reader stopped seeing paths,
    // the test above would pass for nothing.
    for (from, to) in [("ops", "service"), ("state", "model"), ("ops", "authz")] {
        assert!(
            graph.get(from).is_some_and(|deps| deps.contains_key(to)),
            "the graph lacks {from} → {to}"
        );
    }
}

/// The first cycle found, as the modules along it with the first repeated at the end.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        graph: &Graph,
        node: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(graph, next, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = visit(graph, node, &mut marks, &mut path) {
            return Some(cycle);
        }
    }
    None
}

/// The graph of `src`'s top-level modules.
fn module_graph(src: &Path) -> Graph {
    let modules: BTreeSet<String> = fs::read_dir(src)
        .expect("src is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_stem()?.to_str()?.to_owned();
            let module = path.is_dir() || path.extension().is_some_and(|e| e == "rs");
            (module && name != "lib" && name != "main").then_some(name)
        })
        .collect();
    let lib = strip(&fs::read_to_string(src.join("lib.rs")).expect("lib.rs is readable"));
    let exports = root_exports(&lib, &modules);
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("under src");
        let mut parts: Vec<String> = relative
            .iter()
            .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
            .collect();
        if parts.last().is_some_and(|last| last == "mod") {
            parts.pop();
        }
        let Some(top) = parts.first().cloned() else {
            continue;
        };
        if !modules.contains(&top) {
            continue;
        }
        let text = strip(&fs::read_to_string(&file).expect("source is readable"));
        let shown = relative.to_string_lossy().into_owned();
        for target in references(&text, &parts, &modules, &exports) {
            if target != top {
                graph
                    .entry(top.clone())
                    .or_default()
                    .entry(target)
                    .or_default()
                    .insert(shown.clone());
            }
        }
        graph.entry(top).or_default();
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("a source folder is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level module behind each name `lib.rs` re-exports (`pub use x::…::Name;`).
fn root_exports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut exports = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, _)) = rest.split_once("::") else {
            continue;
        };
        let module = module.trim();
        if !modules.contains(module) {
            continue;
        }
        let names = rest.rsplit(['{', ':']).next().unwrap_or_default();
        for name in names.split([',', '}']) {
            let name = name.split(" as ").last().unwrap_or(name).trim();
            if !name.is_empty() {
                exports.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    exports
}

/// The top-level modules `text` (a file of module path `file_module`) names.
fn references(
    text: &str,
    file_module: &[String],
    modules: &BTreeSet<String>,
    exports: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let resolve = |name: &str| -> Option<String> {
        if modules.contains(name) {
            Some(name.to_owned())
        } else {
            exports.get(name).cloned()
        }
    };
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    // The module path at each point: the file's, plus the inline `mod x { … }` blocks open.
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        let at_word_start = i == 0 || !is_ident(bytes[i - 1]);
        match bytes[i] {
            b'{' => {
                depth += 1;
                i += 1;
                continue;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                inline.retain(|(open_at, _)| *open_at <= depth);
                i += 1;
                continue;
            }
            _ => {}
        }
        if at_word_start && let Some(after) = rest.strip_prefix("mod ") {
            let name: String = after
                .trim_start()
                .bytes()
                .take_while(|b| is_ident(*b))
                .map(char::from)
                .collect();
            let tail = after.trim_start()[name.len()..].trim_start();
            if tail.starts_with('{') {
                inline.push((depth + 1, name));
            }
        }
        if at_word_start && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            // Where the path starts: the crate root, or the module `super::`s climb to.
            let mut path: Vec<String> = file_module.to_vec();
            path.extend(inline.iter().map(|(_, name)| name.clone()));
            let mut j = i;
            if rest.starts_with("crate::") {
                path.clear();
                j += "crate::".len();
            } else {
                while text[j..].starts_with("super::") {
                    path.pop();
                    j += "super::".len();
                }
            }
            if path.is_empty() {
                for name in first_segments(&text[j..]) {
                    if let Some(module) = resolve(&name) {
                        found.insert(module);
                    }
                }
            } else if let Some(top) = path.first() {
                found.insert(top.clone());
            }
            i = j;
            continue;
        }
        i += 1;
    }
    found
}

/// The first segment of the path that starts `text`, or of each path of a `{…}` group.
fn first_segments(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.bytes()
            .take_while(|b| is_ident(*b))
            .map(char::from)
            .collect()
    };
    let Some(group) = text.strip_prefix('{') else {
        return vec![ident(text)];
    };
    let mut names = Vec::new();
    let mut depth = 0usize;
    let mut item_start = true;
    for (k, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if c.is_whitespace() => {}
            _ if item_start => {
                item_start = false;
                names.push(ident(&group[k..]));
            }
            _ => {}
        }
    }
    names
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `source` without comments, string literals and character literals (each replaced by a
/// space), so that only code is read.
fn strip(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
            continue;
        }
        let ident_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if (c == 'r' || c == 'b') && !ident_before {
            // Raw strings: r"…", r#"…"#, br#"…"#.
            let mut j = i + 1;
            if c == 'b' && chars.get(j) == Some(&'r') {
                j += 1;
            }
            if c == 'r' || j > i + 1 {
                let hashes = chars[j..].iter().take_while(|h| **h == '#').count();
                if chars.get(j + hashes) == Some(&'"') {
                    let mut k = j + hashes + 1;
                    loop {
                        if k >= chars.len() {
                            break;
                        }
                        if chars[k] == '"'
                            && chars[k + 1..]
                                .iter()
                                .take(hashes)
                                .filter(|h| **h == '#')
                                .count()
                                == hashes
                        {
                            k += 1 + hashes;
                            break;
                        }
                        k += 1;
                    }
                    out.push(' ');
                    i = k;
                    continue;
                }
            }
        }
        if c == '"' {
            let mut k = i + 1;
            while k < chars.len() && chars[k] != '"' {
                k += if chars[k] == '\\' { 2 } else { 1 };
            }
            out.push(' ');
            i = k + 1;
            continue;
        }
        if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), not a lifetime ('a).
            if next == Some('\\') {
                let mut k = i + 2;
                while k < chars.len() && chars[k] != '\'' {
                    k += 1;
                }
                out.push(' ');
                i = k + 1;
                continue;
            }
            if chars.get(i + 2) == Some(&'\'') {
                out.push(' ');
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod finder {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> Graph {
        let mut graph = Graph::new();
        for (from, to) in edges {
            graph
                .entry((*from).to_owned())
                .or_default()
                .entry((*to).to_owned())
                .or_default()
                .insert(format!("{from}.rs"));
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    }

    #[test]
    fn finds_a_cycle_and_names_it_in_order() {
        let g = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
        assert_eq!(
            find_cycle(&g),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
    }

    #[test]
    fn finds_a_cycle_reached_from_outside_it() {
        let g = graph(&[("a", "b"), ("b", "c"), ("c", "b")]);
        assert_eq!(
            find_cycle(&g),
            Some(vec!["b".into(), "c".into(), "b".into()])
        );
    }

    #[test]
    fn a_diamond_is_no_cycle() {
        let g = graph(&[("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]);
        assert_eq!(find_cycle(&g), None);
    }

    #[test]
    fn a_cycle_in_sources_is_found() {
        let src = std::env::temp_dir().join(format!("warden-module-graph-{}", std::process::id()));
        let files = [
            ("lib.rs", "mod a;\nmod b;\nmod c;\npub use c::Thing;\n"),
            ("a.rs", "//! A.\nuse crate::b::B;\n"),
            ("b.rs", "mod inner;\npub struct B;\n"),
            (
                "b/inner.rs",
                "fn f() -> crate::Thing { super::super::c::make() }\n",
            ),
            (
                "c.rs",
                "pub struct Thing;\npub fn make() -> Thing { Thing }\n",
            ),
        ];
        for (path, text) in files {
            let path = src.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let acyclic = module_graph(&src);
        assert_eq!(find_cycle(&acyclic), None);
        assert!(acyclic["b"].contains_key("c"));
        fs::write(
            src.join("c.rs"),
            "pub struct Thing;\nfn f(_: crate::a::A) {}\n",
        )
        .unwrap();
        let cyclic = module_graph(&src);
        fs::remove_dir_all(&src).unwrap();
        assert_eq!(
            find_cycle(&cyclic),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
    }

    #[test]
    fn reads_paths_groups_and_super() {
        let modules: BTreeSet<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|m| (*m).to_owned())
            .collect();
        let exports = BTreeMap::from([("Thing".to_owned(), "e".to_owned())]);
        let text = strip(
            "use crate::a::X;\n\
             use crate::{b::Y, c};\n\
             // crate::d is only mentioned\n\
             fn f() { let s = \"crate::d\"; crate::Thing::new(); }\n\
             mod tests { use super::*; }\n",
        );
        let file = vec!["a".to_owned(), "inner".to_owned()];
        let found = references(&text, &file, &modules, &exports);
        let expected: BTreeSet<String> = ["a", "b", "c", "e"]
            .iter()
            .map(|m| (*m).to_owned())
            .collect();
        assert_eq!(found, expected);
        // From a top-level file, `super::` outside an inline module is the crate root.
        let top = vec!["b".to_owned()];
        let found = references(&strip("use super::d::Z;"), &top, &modules, &exports);
        assert!(found.contains("d"));
        let found = references(
            &strip("mod tests { use super::*; }"),
            &top,
            &modules,
            &exports,
        );
        assert_eq!(found, BTreeSet::from(["b".to_owned()]));
    }
}
