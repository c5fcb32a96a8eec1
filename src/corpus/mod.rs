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
pub mod extracted;
pub mod files;
pub mod frontmatter;
pub mod pdf;
pub mod split;
pub mod upload;

pub use files::{changed_since, stamps_hash, FileStamp};

use crate::config::CorpusSettings;
use crate::error::Result;
use crate::model::{Dropped, Passage, Skipped};
use blocks::Block;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
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
    /// What each entry was when it was read (or passed over), in name order:
    /// the index records them to tell later whether the corpus changed.
    pub stamps: Vec<FileStamp>,
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

/// The corpus files of `dir` that would be read, in a stable order (by file
/// name): regular files with a supported extension (see [`files`] for what is
/// passed over).
pub fn corpus_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rules = CorpusSettings {
        dir: dir.to_path_buf(),
        ..CorpusSettings::default()
    };
    Ok(files::scan(dir, &rules)?
        .into_iter()
        .filter_map(|e| match e {
            files::Entry::File { path, .. } => Some(path),
            files::Entry::Skip { .. } => None,
        })
        .collect())
}

pub(crate) const UNSUPPORTED: &str = "unsupported file type (use .txt, .md, .html, .pdf or .docx)";

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
            title: {
                let title = html_title.ok_or("HTML file has neither front matter nor a <title>")?;
                frontmatter::check_field("title", &title).map_err(|e| e.to_string())?;
                title
            },
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
/// warning naming them; the rest still load. A copy of a document (the same
/// text under another name) is skipped, naming the one kept; documents that
/// share most of their text are grouped, so the repeated-line rule does not
/// take their common prose for boilerplate.
pub fn load_dir(dir: &Path, rules: &CorpusSettings, max_passage_chars: usize) -> Result<Corpus> {
    let mut corpus = Corpus::default();
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut by_content: HashMap<u64, usize> = HashMap::new();
    let skip = |corpus: &mut Corpus, path: &str, reason: String| {
        tracing::warn!(file = %path, "skipping corpus entry: {reason}");
        corpus.skipped.push(Skipped {
            path: path.to_string(),
            reason,
        });
    };
    for entry in files::scan(dir, rules)? {
        let (path, name) = match entry {
            files::Entry::Skip {
                path,
                name,
                reason,
                stamp,
            } => {
                if stamp {
                    corpus.stamps.push(files::skipped_stamp(&name, &reason));
                }
                skip(&mut corpus, &path, reason);
                continue;
            }
            files::Entry::File { path, name } => (path, name),
        };
        let shown = path.display().to_string();
        let bytes = match files::read_bounded(&path, &name, rules.max_file_bytes) {
            Ok(read) => {
                corpus.stamps.push(read.stamp);
                read.bytes
            }
            Err((reason, stamp)) => {
                corpus.stamps.push(stamp);
                skip(&mut corpus, &shown, reason);
                continue;
            }
        };
        if binary::is_sidecar(&path) {
            // read (and stamped) above for freshness; used with its document
            if !binary::sidecar_has_document(&path) {
                let reason = "metadata sidecar without a .pdf or .docx of the same name";
                skip(&mut corpus, &shown, reason.into());
            }
            continue;
        }
        let format = Format::from_path(&path).filter(|f| f.is_binary());
        if format.is_none() && bytes.contains(&0) {
            skip(
                &mut corpus,
                &shown,
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
        let (doc, blocks) = match outcome {
            Ok(d) => d,
            Err(reason) => {
                skip(&mut corpus, &shown, reason);
                continue;
            }
        };
        if let Some(first) = parsed.iter().find(|p| p.doc.id == doc.id) {
            let reason = format!(
                "duplicate document id '{}' (already loaded from {}; rename one of them)",
                doc.id,
                first.doc.path.display()
            );
            skip(&mut corpus, &shown, reason);
            continue;
        }
        let content = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            blocks.hash(&mut h);
            h.finish()
        };
        if let Some(first) = by_content
            .get(&content)
            .and_then(|&i| parsed.get(i))
            .filter(|p| p.blocks == blocks)
        {
            let reason = format!(
                "duplicate document: the same text as {} (kept); remove one of the copies",
                first.doc.path.display()
            );
            skip(&mut corpus, &shown, reason);
            continue;
        }
        by_content.insert(content, parsed.len());
        parsed.push(Parsed {
            doc,
            blocks,
            hash: match sidecar.as_deref() {
                Some(side) => binary::content_hash(&bytes, side),
                None => sha256_hex(&bytes),
            },
        });
    }
    let docs: Vec<&[Block]> = parsed.iter().map(|p| p.blocks.as_slice()).collect();
    let groups = clean::near_duplicate_groups(&docs);
    for (i, &g) in groups.iter().enumerate() {
        if g != i {
            tracing::warn!(
                doc = %parsed[i].doc.id,
                like = %parsed[g].doc.id,
                "documents share most of their text (a copy?); the lines they share are kept"
            );
        }
    }
    let counts = clean::line_group_counts(groups.iter().copied().zip(docs));
    for p in parsed {
        let infer = matches!(p.doc.format, Format::Text | Format::Pdf);
        let (blocks, dropped) = clean::clean(&p.doc.id, p.blocks, &counts, rules, infer);
        corpus.dropped.extend(dropped);
        let passages = split::passages(&p.doc, &blocks, max_passage_chars);
        if passages.is_empty() {
            skip(
                &mut corpus,
                &p.doc.path.display().to_string(),
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
