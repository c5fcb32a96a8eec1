//! Adding and removing corpus files from a shell (`/sources add|remove`): a safe
//! file name, validation through the same loader the index uses, an atomic write,
//! and removal into `.removed/` inside the corpus directory (the loader passes over
//! dot-directories), so a mistaken removal can be undone by moving the file back.

use super::{corpus_files, load_dir, Format};
use crate::config::CorpusSettings;
use crate::error::SourceError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The extensions a document may be added with.
pub const UPLOAD_EXTENSIONS: &[&str] = &["md", "txt", "html", "pdf", "docx"];

/// Where removed documents are kept, inside the corpus directory.
pub const REMOVED_DIR: &str = ".removed";

/// Longest file stem kept, in characters.
const MAX_STEM_CHARS: usize = 80;

/// A document written into the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    /// The document id (the file stem).
    pub id: String,
    pub path: PathBuf,
    /// Passages the document gives on its own.
    pub passages: usize,
    /// Files of the same id that it replaced (now in `.removed/`).
    pub replaced: Vec<PathBuf>,
    /// A Markdown or text file had no front matter: a title was given from its
    /// first heading or its name.
    pub titled: Option<String>,
}

/// A document taken out of the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub id: String,
    /// Where each of its files went (a PDF's or DOCX's sidecar goes with it).
    pub kept: Vec<(PathBuf, PathBuf)>,
}

/// A file name safe to write into the corpus: the last path component of `name`,
/// letters, digits, `-`, `_` and `.` only (other characters become `-`), no
/// leading dot, a supported extension in lower case. Any script is kept as long as
/// it is alphanumeric.
pub fn safe_name(name: &str) -> Result<String, SourceError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let (stem, ext) = match base.rsplit_once('.') {
        Some((s, e)) => (s, e.to_ascii_lowercase()),
        None => (base, String::new()),
    };
    let ext = match ext.as_str() {
        "markdown" => "md".to_string(),
        "htm" => "html".to_string(),
        "text" => "txt".to_string(),
        _ => ext,
    };
    if !UPLOAD_EXTENSIONS.contains(&ext.as_str()) {
        return Err(SourceError::Unsupported(base.to_string()));
    }
    let mut clean = String::new();
    for c in stem.chars() {
        let keep = c.is_alphanumeric() || c == '-' || c == '_' || c == '.';
        let c = if keep { c } else { '-' };
        if c == '-' && clean.ends_with('-') {
            continue;
        }
        clean.push(c);
    }
    let clean: String = clean
        .trim_matches(|c| c == '-' || c == '.' || c == '_')
        .chars()
        .take(MAX_STEM_CHARS)
        .collect();
    if clean.is_empty() {
        return Err(SourceError::BadName(base.to_string()));
    }
    Ok(format!("{clean}.{ext}"))
}

/// A title for a Markdown or text file without front matter: its first Markdown
/// heading, else its file stem with dashes and underscores as spaces.
fn default_title(stem: &str, text: &str, markdown: bool) -> String {
    let heading = markdown
        .then(|| {
            text.lines()
                .map(str::trim)
                .find_map(|l| {
                    l.strip_prefix('#')
                        .map(|h| h.trim_start_matches('#').trim())
                })
                .filter(|h| !h.is_empty())
        })
        .flatten();
    let title = heading.map(str::to_string).unwrap_or_else(|| {
        stem.replace(['-', '_'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    });
    title
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// The bytes as they will be written: a Markdown or text file without front
/// matter gets one naming its title (the loader requires a title).
fn with_front_matter(name: &str, bytes: &[u8]) -> (Vec<u8>, Option<String>) {
    let format = Format::from_path(Path::new(name));
    let markdown = format == Some(Format::Markdown);
    if !(markdown || format == Some(Format::Text)) {
        return (bytes.to_vec(), None);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (bytes.to_vec(), None);
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim_start().starts_with("---") {
        return (bytes.to_vec(), None);
    }
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let title = default_title(stem, body, markdown);
    let quoted = title.replace('"', "'");
    let out = format!("---\ntitle: \"{quoted}\"\n---\n{body}");
    (out.into_bytes(), Some(title))
}

fn io(dir: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io {
        dir: dir.display().to_string(),
        source,
    }
}

/// The corpus files whose document id is `id` (the file stem), with their
/// PDF/DOCX sidecars.
fn files_of(dir: &Path, id: &str) -> Result<Vec<PathBuf>, SourceError> {
    let files = corpus_files(dir).map_err(|e| SourceError::Invalid {
        name: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut out: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| p.file_stem().and_then(|s| s.to_str()) == Some(id))
        .collect();
    let sidecars: Vec<PathBuf> = out
        .iter()
        .filter(|p| Format::from_path(p).is_some_and(Format::is_binary))
        .map(|p| p.with_file_name(format!("{id}.meta.toml")))
        .filter(|s| s.is_file())
        .collect();
    out.extend(sidecars);
    out.dedup();
    Ok(out)
}

/// Move `files` into `dir/.removed/`, each under its name and the time.
fn keep_aside(dir: &Path, files: &[PathBuf]) -> Result<Vec<(PathBuf, PathBuf)>, SourceError> {
    let aside = dir.join(REMOVED_DIR);
    std::fs::create_dir_all(&aside).map_err(io(dir))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let mut moved = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let to = aside.join(format!("{name}.{stamp}"));
        std::fs::rename(f, &to).map_err(io(dir))?;
        moved.push((f.clone(), to));
    }
    Ok(moved)
}

/// Validate `bytes` as the corpus document `name` and write it into `dir`
/// atomically (a temporary file in `dir`, then one rename). An existing document
/// of the same id is refused unless `replace`, when its files go to `.removed/`.
/// The loader's `max_file_bytes` caps the size.
pub fn add(
    dir: &Path,
    rules: &CorpusSettings,
    max_passage_chars: usize,
    name: &str,
    bytes: &[u8],
    replace: bool,
) -> Result<Added, SourceError> {
    let name = safe_name(name)?;
    let max = rules.max_file_bytes;
    if bytes.is_empty() {
        return Err(SourceError::Empty(name));
    }
    if bytes.len() as u64 > max {
        return Err(SourceError::TooLarge {
            name,
            size: bytes.len() as u64,
            max,
        });
    }
    let (bytes, titled) = with_front_matter(&name, bytes);
    // the same loader the index uses, on the file alone
    let scratch = tempfile::tempdir().map_err(io(dir))?;
    std::fs::write(scratch.path().join(&name), &bytes).map_err(io(scratch.path()))?;
    let alone = load_dir(scratch.path(), rules, max_passage_chars);
    let passages = match alone {
        Ok(c) if !c.passages.is_empty() => c.passages.len(),
        Ok(c) => {
            let reason = c
                .skipped
                .first()
                .map(|s| s.reason.clone())
                .unwrap_or_else(|| "no text the loader keeps".into());
            return Err(SourceError::Invalid { name, reason });
        }
        Err(e) => {
            return Err(SourceError::Invalid {
                name,
                reason: e.to_string(),
            })
        }
    };
    let id = name
        .rsplit_once('.')
        .map_or(name.as_str(), |(s, _)| s)
        .to_string();
    if !dir.is_dir() {
        return Err(SourceError::Io {
            dir: dir.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
        });
    }
    let existing = files_of(dir, &id)?;
    if !existing.is_empty() && !replace {
        return Err(SourceError::Exists(id));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    tmp.write_all(&bytes).map_err(io(dir))?;
    tmp.as_file().sync_all().map_err(io(dir))?;
    let replaced = keep_aside(dir, &existing)?;
    let path = dir.join(&name);
    tmp.persist(&path).map_err(|e| io(dir)(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // the rename is durable once the directory is synced; best effort
        let _ = d.sync_all();
    }
    Ok(Added {
        id,
        path,
        passages,
        replaced: replaced.into_iter().map(|(from, _)| from).collect(),
        titled,
    })
}

/// Take the document `id` out of `dir` (into `.removed/`).
pub fn remove(dir: &Path, id: &str) -> Result<Removed, SourceError> {
    let id = id.trim();
    if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\']) {
        return Err(SourceError::UnknownId(id.to_string()));
    }
    let files = files_of(dir, id)?;
    if files.is_empty() {
        return Err(SourceError::UnknownId(id.to_string()));
    }
    Ok(Removed {
        id: id.to_string(),
        kept: keep_aside(dir, &files)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("CFO guide.MD").unwrap(), "CFO-guide.md");
        assert_eq!(safe_name("../../etc/passwd.txt").unwrap(), "passwd.txt");
        assert_eq!(
            safe_name("C:\\docs\\Rôles été.docx").unwrap(),
            "Rôles-été.docx"
        );
        assert_eq!(safe_name("notes.markdown").unwrap(), "notes.md");
        assert_eq!(safe_name(".hidden.md").unwrap(), "hidden.md");
        assert_eq!(safe_name("职位说明.pdf").unwrap(), "职位说明.pdf");
        assert!(matches!(
            safe_name("x.exe"),
            Err(SourceError::Unsupported(_))
        ));
        assert!(matches!(
            safe_name("noext"),
            Err(SourceError::Unsupported(_))
        ));
        assert!(matches!(safe_name("???.md"), Err(SourceError::BadName(_))));
        assert!(matches!(safe_name("..md"), Err(SourceError::BadName(_))));
        let long = format!("{}.txt", "a".repeat(500));
        assert_eq!(
            safe_name(&long).unwrap().chars().count(),
            MAX_STEM_CHARS + 4
        );
    }

    #[test]
    fn front_matter_is_added_only_when_missing() {
        let (b, t) = with_front_matter("x.md", b"# The CFO role\n\nThe CFO owns the budget.");
        assert_eq!(t.as_deref(), Some("The CFO role"));
        assert!(std::str::from_utf8(&b)
            .unwrap()
            .starts_with("---\ntitle: \"The CFO role\"\n---\n"));
        let (_, t) = with_front_matter("cfo_notes.txt", b"The CFO owns the budget.");
        assert_eq!(t.as_deref(), Some("cfo notes"));
        let given = b"---\ntitle: T\n---\nbody text here";
        let (b, t) = with_front_matter("x.md", given);
        assert_eq!((b.as_slice(), t), (&given[..], None));
        let (b, t) = with_front_matter("x.pdf", b"%PDF-1.4");
        assert_eq!((b.as_slice(), t), (&b"%PDF-1.4"[..], None));
    }
}
