//! The corpus: source documents on disk → cleaned, citable passages.
//!
//! Pure over strings except for [`load_dir`], which reads the directory. One file
//! per document; the document id is the file stem. `.txt` and `.md` files start
//! with a front-matter block (see [`frontmatter`]); `.html` files take their
//! title from `<title>` when they have no front matter; `.pdf` and `.docx` files
//! are read by [`binary`] (metadata from a `NAME.meta.toml` sidecar or the
//! document's properties).

pub mod binary;
pub mod blocks;
pub mod clean;
pub mod docx;
pub mod frontmatter;
pub mod pdf;
pub mod split;

use crate::config::CorpusSettings;
use crate::error::{io_err, Error, Result};
use crate::model::{Dropped, Passage, Skipped};
use blocks::Block;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
    Pdf,
    Docx,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Format::Text),
            "md" | "markdown" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            "docx" => Some(Format::Docx),
            _ => None,
        }
    }

    /// Read from bytes by [`binary`], not as UTF-8 text.
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Pdf | Format::Docx)
    }
}

/// A source document's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub author: Option<String>,
    pub published: Option<String>,
    pub path: PathBuf,
    pub format: Format,
}

/// A loaded corpus: documents, their passages, and what was left out.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub documents: Vec<Document>,
    pub passages: Vec<Passage>,
    /// Per-document content hash (id → hex sha256), for change reports.
    pub hashes: Vec<(String, String)>,
    pub skipped: Vec<Skipped>,
    pub dropped: Vec<Dropped>,
}

/// A file read and parsed, before cleaning.
struct Parsed {
    doc: Document,
    blocks: Vec<Block>,
    hash: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The corpus files of `dir` in a stable order (by file name).
pub fn corpus_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|_| Error::CorpusMissing(dir.display().to_string()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .filter(|p| !p.is_dir())
        .collect();
    files.sort();
    Ok(files)
}

/// A fingerprint of the corpus directory: names, sizes and contents of its files.
/// Equal fingerprints mean an index built from one serves the other.
pub fn fingerprint(dir: &Path) -> Result<String> {
    let mut h = Sha256::new();
    for path in corpus_files(dir)? {
        if Format::from_path(&path).is_none() && !binary::is_sidecar(&path) {
            continue;
        }
        h.update(
            path.file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        h.update([0]);
        match std::fs::read(&path) {
            Ok(bytes) => h.update(Sha256::digest(&bytes)),
            Err(_) => h.update(b"unreadable"),
        }
    }
    Ok(hex::encode(h.finalize()))
}

const UNSUPPORTED: &str = "unsupported file type (use .txt, .md, .html, .pdf or .docx)";

/// Parse one file's text. Pure: the caller reads the file.
pub fn parse_document(
    path: &Path,
    text: &str,
) -> std::result::Result<(Document, Vec<Block>), String> {
    let format = Format::from_path(path).ok_or(UNSUPPORTED)?;
    if format.is_binary() {
        return Err("a PDF or DOCX file is read from bytes (corpus::binary::parse)".into());
    }
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.trim().is_empty())
        .ok_or("file name has no usable stem")?
        .to_string();
    let (fm, body) = match (frontmatter::split(text), format) {
        (Ok((fm, body)), _) => (Some(fm), body),
        (Err(frontmatter::FrontMatterError::Missing), Format::Html) => (None, text),
        (Err(e), _) => return Err(e.to_string()),
    };
    let (blocks, html_title) = match format {
        Format::Text => (blocks::parse_text(body), None),
        Format::Markdown => (blocks::parse_markdown(body), None),
        Format::Html => blocks::parse_html(body),
        Format::Pdf | Format::Docx => (Vec::new(), None),
    };
    let fm = match fm {
        Some(fm) => fm,
        None => frontmatter::FrontMatter {
            title: html_title.ok_or("HTML file has neither front matter nor a <title>")?,
            ..Default::default()
        },
    };
    Ok((
        Document {
            id,
            title: fm.title,
            url: fm.url,
            author: fm.author,
            published: fm.published,
            path: path.to_path_buf(),
            format,
        },
        blocks,
    ))
}

/// Load, clean and split every document of `dir`. Bad files are skipped with a
/// warning naming them; the rest still load.
pub fn load_dir(dir: &Path, rules: &CorpusSettings, max_passage_chars: usize) -> Result<Corpus> {
    let mut corpus = Corpus::default();
    let mut parsed: Vec<Parsed> = Vec::new();
    let skip = |corpus: &mut Corpus, path: &Path, reason: String| {
        tracing::warn!(file = %path.display(), "skipping corpus file: {reason}");
        corpus.skipped.push(Skipped {
            path: path.display().to_string(),
            reason,
        });
    };
    for path in corpus_files(dir)? {
        if binary::is_sidecar(&path) {
            if !binary::sidecar_has_document(&path) {
                let reason = "metadata sidecar without a .pdf or .docx of the same name";
                skip(&mut corpus, &path, reason.into());
            }
            continue;
        }
        if Format::from_path(&path).is_none() {
            skip(&mut corpus, &path, UNSUPPORTED.into());
            continue;
        }
        let meta = std::fs::metadata(&path).map_err(io_err(&path));
        match meta {
            Ok(m) if m.len() > rules.max_file_bytes => {
                skip(
                    &mut corpus,
                    &path,
                    format!(
                        "file is {} bytes, over corpus.max_file_bytes ({})",
                        m.len(),
                        rules.max_file_bytes
                    ),
                );
                continue;
            }
            Err(e) => {
                skip(&mut corpus, &path, format!("unreadable: {e}"));
                continue;
            }
            _ => {}
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                skip(&mut corpus, &path, format!("unreadable: {e}"));
                continue;
            }
        };
        let format = Format::from_path(&path).filter(|f| f.is_binary());
        if format.is_none() && bytes.contains(&0) {
            skip(
                &mut corpus,
                &path,
                "binary file (contains NUL bytes)".into(),
            );
            continue;
        }
        let mut sidecar = None;
        let outcome = match format {
            Some(f) => binary::read_sidecar(&path)
                .and_then(|side| {
                    sidecar = side;
                    binary::parse(&path, f, &bytes, sidecar.as_deref())
                })
                .map_err(|e| e.to_string()),
            None => std::str::from_utf8(&bytes)
                .map_err(|_| "not valid UTF-8".to_string())
                .and_then(|text| parse_document(&path, text)),
        };
        match outcome {
            Ok((doc, blocks)) => {
                if let Some(first) = parsed.iter().find(|p| p.doc.id == doc.id) {
                    let reason = format!(
                        "duplicate document id '{}' (already loaded from {}; rename one of them)",
                        doc.id,
                        first.doc.path.display()
                    );
                    skip(&mut corpus, &path, reason);
                    continue;
                }
                parsed.push(Parsed {
                    doc,
                    blocks,
                    hash: match sidecar.as_deref() {
                        Some(side) => binary::content_hash(&bytes, side),
                        None => sha256_hex(&bytes),
                    },
                });
            }
            Err(reason) => skip(&mut corpus, &path, reason),
        }
    }
    let counts = clean::line_document_counts(parsed.iter().map(|p| p.blocks.as_slice()));
    for p in parsed {
        let infer = matches!(p.doc.format, Format::Text | Format::Pdf);
        let (blocks, dropped) = clean::clean(&p.doc.id, p.blocks, &counts, rules, infer);
        corpus.dropped.extend(dropped);
        let passages = split::passages(&p.doc, &blocks, max_passage_chars);
        if passages.is_empty() {
            skip(
                &mut corpus,
                &p.doc.path,
                "no content left after cleaning".into(),
            );
            continue;
        }
        corpus.passages.extend(passages);
        corpus.hashes.push((p.doc.id.clone(), p.hash));
        corpus.documents.push(p.doc);
    }
    Ok(corpus)
}
