//! Documents that are not text: PDF (its text layer, see [`super::pdf`]) and DOCX
//! (see [`super::docx`]), to the same blocks as the text formats.
//!
//! Metadata comes, key by key, from a sidecar `NAME.meta.toml` beside the file
//! (`title`, `url`, `author`, `published`), then from the document's own properties
//! (PDF Info dictionary, DOCX `docProps/core.xml`), then — for the title alone —
//! from the document's first heading, and last from the file stem; a title that
//! came from a heading or the stem is said in a log line.

use super::blocks::Block;
pub use super::extracted::{Extracted, FormatError};
use super::frontmatter::FrontMatter;
use super::{Document, Format};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Largest sidecar file read.
const MAX_SIDECAR_BYTES: u64 = 64 * 1024;

/// The sidecar's keys; unknown keys are an error, as in front matter.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    title: Option<String>,
    #[serde(alias = "source")]
    url: Option<String>,
    author: Option<String>,
    #[serde(alias = "date")]
    published: Option<toml::Value>,
}

/// `NAME.meta.toml` for `NAME.pdf` / `NAME.docx`.
pub fn sidecar_path(path: &Path) -> Option<PathBuf> {
    let stem = path.file_stem()?.to_str()?;
    Some(path.with_file_name(format!("{stem}.meta.toml")))
}

/// Is `path` a metadata sidecar (`*.meta.toml`)?
pub fn is_sidecar(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".meta.toml"))
}

/// Does the sidecar at `path` belong to a PDF or DOCX file beside it?
pub fn sidecar_has_document(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some(stem) = name.get(..name.len().saturating_sub(".meta.toml".len())) else {
        return false;
    };
    ["pdf", "PDF", "docx", "DOCX"]
        .iter()
        .any(|ext| path.with_file_name(format!("{stem}.{ext}")).is_file())
}

/// The sidecar's text, if there is one: a regular file (not a symlink) of at
/// most 64 KiB.
pub fn read_sidecar(path: &Path) -> Result<Option<String>, FormatError> {
    let Some(side) = sidecar_path(path) else {
        return Ok(None);
    };
    let bad = |detail: String| FormatError::Sidecar {
        file: side.display().to_string(),
        detail,
    };
    let meta = match std::fs::symlink_metadata(&side) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(e.to_string())),
    };
    if !meta.file_type().is_file() {
        return Err(bad("not a regular file".into()));
    }
    if meta.len() > MAX_SIDECAR_BYTES {
        return Err(bad(format!("over {MAX_SIDECAR_BYTES} bytes")));
    }
    let bytes = std::fs::read(&side).map_err(|e| bad(e.to_string()))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| bad("not valid UTF-8".into()))
}

fn parse_sidecar(path: &Path, text: &str) -> Result<FrontMatter, FormatError> {
    let file = sidecar_path(path)
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let s: Sidecar = toml::from_str(text).map_err(|e| FormatError::Sidecar {
        file,
        detail: e.message().to_string(),
    })?;
    let some = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    Ok(FrontMatter {
        title: some(s.title).unwrap_or_default(),
        url: some(s.url),
        author: some(s.author),
        // a bare TOML date (published = 2025-05-01) or a string
        published: some(s.published.map(|v| match v {
            toml::Value::String(s) => s,
            other => other.to_string(),
        })),
    })
}

/// The content hash of a document with a sidecar: its bytes and the sidecar's
/// (a changed sidecar is a changed document).
pub fn content_hash(bytes: &[u8], sidecar: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(bytes);
    h.update([0]);
    h.update(sidecar.as_bytes());
    hex::encode(h.finalize())
}

/// A property title that says nothing ("Untitled", "Microsoft Word - x.docx", a file name).
fn useful_title(t: &str) -> Option<String> {
    let t = t.trim();
    let t = t.strip_prefix("Microsoft Word - ").unwrap_or(t).trim();
    let lower = t.to_lowercase();
    let junk = lower.is_empty()
        || lower == "untitled"
        || lower.starts_with("untitled ")
        || [".doc", ".docx", ".pdf", ".odt", ".tex", ".dvi"]
            .iter()
            .any(|ext| lower.ends_with(ext));
    (!junk).then(|| super::blocks::collapse(t))
}

/// Parse a PDF or DOCX file's bytes (already read) with its sidecar's text, if any.
/// Pure: the caller reads both files.
pub fn parse(
    path: &Path,
    format: Format,
    bytes: &[u8],
    sidecar: Option<&str>,
) -> Result<(Document, Vec<Block>), FormatError> {
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| FormatError::corrupt("file", "file name has no usable stem"))?
        .to_string();
    let side = sidecar
        .map(|t| parse_sidecar(path, t))
        .transpose()?
        .unwrap_or_default();
    let ex = match format {
        Format::Pdf => super::pdf::extract(bytes)?,
        Format::Docx => super::docx::extract(bytes)?,
        _ => return Err(FormatError::corrupt("file", "not a PDF or DOCX file")),
    };
    let title = if !side.title.is_empty() {
        side.title
    } else if let Some(t) = ex.title.as_deref().and_then(useful_title) {
        t
    } else if let Some(h) = ex.blocks.iter().find_map(|b| match b {
        Block::Heading(h) if !h.trim().is_empty() => Some(h.clone()),
        _ => None,
    }) {
        tracing::info!(file = %path.display(), title = %h, "no title in the document's properties or a sidecar; using its first heading");
        h
    } else {
        let t = id.replace(['-', '_'], " ");
        tracing::info!(file = %path.display(), title = %t, "no title in the document's properties, a sidecar or a heading; using the file name");
        t
    };
    Ok((
        Document {
            id,
            title,
            url: side.url,
            author: side.author.or(ex.author),
            published: side.published.or(ex.published),
            path: path.to_path_buf(),
            format,
        },
        ex.blocks,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_keys_and_typos() {
        let fm = parse_sidecar(
            Path::new("c/x.pdf"),
            "title = \"T\"\nurl = \"https://x.test/\"\npublished = 2025-05-01\n",
        )
        .unwrap();
        assert_eq!(fm.title, "T");
        assert_eq!(fm.url.as_deref(), Some("https://x.test/"));
        assert_eq!(fm.published.as_deref(), Some("2025-05-01"));
        let err = parse_sidecar(Path::new("c/x.pdf"), "titel = \"T\"\n").unwrap_err();
        assert!(err.to_string().contains("x.meta.toml"), "{err}");
        assert!(err.to_string().contains("titel"), "{err}");
    }

    #[test]
    fn junk_property_titles_are_ignored() {
        assert_eq!(useful_title("Untitled"), None);
        assert_eq!(useful_title("draft3.docx"), None);
        assert_eq!(
            useful_title("Microsoft Word - The CIO Role").as_deref(),
            Some("The CIO Role")
        );
        assert!(is_sidecar(Path::new("a/b.Meta.toml")));
        assert!(!is_sidecar(Path::new("a/b.toml")));
        assert_eq!(
            sidecar_path(Path::new("a/b.pdf")).unwrap(),
            Path::new("a/b.meta.toml")
        );
    }
}
