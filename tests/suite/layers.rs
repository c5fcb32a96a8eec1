//! The dependency direction of ARCHITECTURE.md, checked against the code: each
//! module of `src/` imports only modules on lower layers of the documented
//! order (its "Layers" list), every module is on one layer, and every file of
//! `src/` is named in the code map.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Layer of each module, from the numbered list between `<!-- layers -->` and
/// `<!-- /layers -->` in ARCHITECTURE.md (first line: layer 1, the lowest).
fn documented_layers(doc: &str) -> BTreeMap<String, usize> {
    let start = doc
        .find("<!-- layers -->")
        .expect("ARCHITECTURE.md has a layers list");
    let end = doc
        .find("<!-- /layers -->")
        .expect("the layers list is closed");
    let mut layers = BTreeMap::new();
    let mut n = 0;
    for line in doc[start..end].lines() {
        let t = line.trim_start();
        let numbered = t
            .split_once(". ")
            .is_some_and(|(k, _)| k.parse::<usize>().is_ok());
        if !numbered {
            continue;
        }
        n += 1;
        // the module names: the backticked words before the first dash
        let names = t.split(" — ").next().unwrap_or("");
        for (i, part) in names.split('`').enumerate() {
            if i % 2 == 1 {
                assert!(
                    layers.insert(part.to_string(), n).is_none(),
                    "`{part}` is on two layers"
                );
            }
        }
    }
    layers
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/index/schema.rs` → `index`).
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Names re-exported at the crate root (`crate::Result` is `error`'s).
fn root_reexport(name: &str) -> Option<&'static str> {
    match name {
        "Error" | "Result" => Some("error"),
        _ => None,
    }
}

/// Every top-level module a piece of code names through `crate::…`, in `use`
/// lines (groups included: `use crate::{a::X, b}`) and in paths inside code.
/// Comment lines are left out.
fn crate_imports(code: &str) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `mycrate::` is another crate
        }
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut item, mut items) = (0, String::new(), Vec::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ => {}
                }
                item.push(c);
            }
            items.push(item);
            for it in items {
                let name = ident(it.trim_start_matches(|c: char| c == ',' || c.is_whitespace()));
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out.into_iter()
        .map(|n| root_reexport(&n).map_or(n, String::from))
        .collect()
}

#[test]
fn the_import_scanner_sees_use_lines_groups_and_paths() {
    let code = "use crate::config::Settings;\nuse crate::{model::{Hit, Passage}, text};\n\
                // use crate::discord::x;\nfn f() -> crate::Result<()> { crate::vector::dot(&[], &[]); }\n\
                use mycrate::service;\n";
    let got: Vec<String> = crate_imports(code).into_iter().collect();
    assert_eq!(got, ["config", "error", "model", "text", "vector"]);
}

#[test]
fn no_module_imports_one_on_its_own_or_a_higher_layer() {
    let doc = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let layers = documented_layers(&doc);
    assert!(layers.len() >= 10, "layers read: {layers:?}");
    let src = repo().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut modules = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let module = module_of(rel);
        if module == "lib" || module == "main" {
            continue; // the crate root and the binary sit above every layer
        }
        modules.insert(module.clone());
        let Some(&own) = layers.get(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is on no documented layer",
                rel.display()
            ));
            continue;
        };
        let code = std::fs::read_to_string(f).unwrap();
        for used in crate_imports(&code) {
            if used == module {
                continue;
            }
            match layers.get(&used) {
                Some(&l) if l < own => {}
                Some(&l) => wrong.push(format!(
                    "{}: `{module}` (layer {own}) imports `{used}` (layer {l})",
                    rel.display()
                )),
                None => wrong.push(format!(
                    "{}: imports `{used}`, which is on no documented layer",
                    rel.display()
                )),
            }
        }
    }
    for documented in layers.keys() {
        if !modules.contains(documented) {
            wrong.push(format!(
                "ARCHITECTURE.md names `{documented}`, which src/ does not have"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_code_map_names_every_file_of_src() {
    let doc = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).unwrap();
    let map_start = doc.find("## Code map").expect("a code map");
    let map = &doc[map_start..];
    let map = &map[..map[3..].find("\n## ").map_or(map.len(), |i| i + 3)];
    let src = repo().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut missing = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let named = if rel.components().count() == 1 {
            map.contains(&format!("`{stem}.rs`")) || map.contains(&format!("`{stem}/`"))
        } else if stem == "mod" {
            map.contains(&format!("`{}/`", module_of(rel)))
        } else {
            // a submodule: `name` or `name.rs` on its module's line
            let module = module_of(rel);
            map.lines()
                .find(|l| l.starts_with(&format!("| `{module}/`")))
                .is_some_and(|l| {
                    l.contains(&format!("`{stem}`")) || l.contains(&format!("`{stem}.rs`"))
                })
        };
        if !named {
            missing.push(rel.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "files the code map does not name: {missing:?}"
    );
}
