//! A real-text benchmark corpus from Debian's package descriptions.
//!
//! Input: the text of apt's `Translation-en` lists (or `Packages` lists /
//! `apt-cache dumpavail`, whose stanzas carry `Description:`): stanzas separated
//! by blank lines, with a `Package:` field and a `Description[-en]:` field whose
//! first line is the short description and whose continuation lines (starting
//! with a space) are the long description; a line ` .` separates paragraphs.
//!
//! Output: one corpus file per package, `---\ntitle: <package> — <short>\n---\n<long>`.

use crate::error::{io_err, Result};
use std::collections::HashSet;
use std::path::Path;

/// One package's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDoc {
    pub package: String,
    pub short: String,
    /// Paragraphs of the long description; a paragraph's lines are kept as
    /// written (minus the one-space indent), so lists and wrapped text survive.
    pub paragraphs: Vec<String>,
}

impl PackageDoc {
    /// The corpus file text: front matter and body.
    pub fn to_corpus_file(&self) -> String {
        let short = self.short.replace(['\r', '\n'], " ");
        let mut out = format!("---\ntitle: {} — {}\n---\n", self.package, short.trim());
        out.push_str(&self.paragraphs.join("\n\n"));
        out.push('\n');
        out
    }

    /// A file name that is safe on any file system: `<package>.txt`.
    pub fn file_name(&self) -> String {
        let safe: String = self
            .package
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{safe}.txt")
    }
}

/// Parse the stanzas of apt list text. Packages without a long description are
/// left out; a package seen twice keeps its first description.
pub fn parse(text: &str) -> Vec<PackageDoc> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for stanza in text.split("\n\n") {
        let Some(doc) = parse_stanza(stanza) else {
            continue;
        };
        if doc.paragraphs.is_empty() || !seen.insert(doc.package.clone()) {
            continue;
        }
        out.push(doc);
    }
    out
}

fn parse_stanza(stanza: &str) -> Option<PackageDoc> {
    let mut package = None;
    let mut short = None;
    let mut long: Vec<&str> = Vec::new();
    let mut in_description = false;
    for line in stanza.lines() {
        if let Some(cont) = line.strip_prefix(' ') {
            if in_description {
                long.push(cont);
            }
            continue;
        }
        in_description = false;
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "Package" => package = Some(value.trim().to_string()),
            "Description" | "Description-en" => {
                short = Some(value.trim().to_string());
                in_description = true;
            }
            _ => {}
        }
    }
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in long {
        if line.trim() == "." {
            if !current.is_empty() {
                paragraphs.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line.trim_end());
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join("\n"));
    }
    Some(PackageDoc {
        package: package.filter(|p| !p.is_empty())?,
        short: short?,
        paragraphs,
    })
}

/// Up to `limit` of `docs`, spread evenly over the (alphabetical) list so a
/// small corpus is not all `lib…` packages. Deterministic.
pub fn sample(docs: Vec<PackageDoc>, limit: Option<usize>) -> Vec<PackageDoc> {
    let total = docs.len();
    match limit {
        Some(n) if n < total => {
            let picks: HashSet<usize> = (0..n).map(|i| i * total / n).collect();
            docs.into_iter()
                .enumerate()
                .filter(|(i, _)| picks.contains(i))
                .map(|(_, d)| d)
                .collect()
        }
        _ => docs,
    }
}

/// Write one corpus file per document into `out` (created when missing).
/// Returns the number of files and bytes written.
pub fn write_corpus(out: &Path, docs: &[PackageDoc]) -> Result<(usize, u64)> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let mut bytes = 0u64;
    for d in docs {
        let path = out.join(d.file_name());
        let text = d.to_corpus_file();
        bytes += text.len() as u64;
        std::fs::write(&path, text).map_err(io_err(&path))?;
    }
    Ok((docs.len(), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Package: 0ad-data
Description-md5: 26581e685027d5ae84824362a4ba59ee
Description-en: Real-time strategy game of ancient warfare (data files)
 0 A.D. (pronounced \"zero ey-dee\") is a free, open-source, cross-platform
 real-time strategy (RTS) game of ancient warfare.
 .
 This package contains the main data files required by 0 A.D.

Package: nolong
Description-en: only a short description

Package: lister
Version: 1.0
Description: Tool with features
 Features:
  * one
  * two
 .
 Last words.
Homepage: https://example.org

Package: 0ad-data
Description-en: duplicate entry
 ignored
";

    #[test]
    fn parses_stanzas_paragraphs_and_lists() {
        let docs = parse(SAMPLE);
        assert_eq!(docs.len(), 2, "{docs:?}");
        assert_eq!(docs[0].package, "0ad-data");
        assert_eq!(
            docs[0].short,
            "Real-time strategy game of ancient warfare (data files)"
        );
        assert_eq!(docs[0].paragraphs.len(), 2);
        assert!(docs[0].paragraphs[0].ends_with("game of ancient warfare."));
        assert_eq!(
            docs[0].paragraphs[1],
            "This package contains the main data files required by 0 A.D."
        );
        assert_eq!(docs[1].package, "lister");
        assert_eq!(docs[1].paragraphs[0], "Features:\n * one\n * two");
        assert_eq!(docs[1].paragraphs[1], "Last words.");
    }

    #[test]
    fn corpus_file_has_front_matter_and_loads() {
        let docs = parse(SAMPLE);
        let text = docs[0].to_corpus_file();
        assert!(text.starts_with(
            "---\ntitle: 0ad-data — Real-time strategy game of ancient warfare (data files)\n---\n"
        ));
        let (doc, blocks) =
            crate::corpus::parse_document(Path::new("0ad-data.txt"), &text).expect("parses");
        assert_eq!(doc.id, "0ad-data");
        assert_eq!(blocks.len(), 2, "{blocks:?}");
    }

    #[test]
    fn sample_is_spread_and_deterministic() {
        let docs: Vec<PackageDoc> = (0..10)
            .map(|i| PackageDoc {
                package: format!("p{i}"),
                short: "s".into(),
                paragraphs: vec!["x".into()],
            })
            .collect();
        let s = sample(docs.clone(), Some(3));
        let names: Vec<&str> = s.iter().map(|d| d.package.as_str()).collect();
        assert_eq!(names, ["p0", "p3", "p6"]);
        assert_eq!(sample(docs, None).len(), 10);
    }
}
