//! Reading the corpus directory without trusting it: only regular files are
//! read, every read is bounded by `corpus.max_file_bytes`, symbolic links that
//! leave the directory are refused unless allowed, and every entry passed over
//! is named. Each file read or skipped leaves a [`FileStamp`]: what the index
//! was built from, so that opening can tell whether the corpus changed
//! without reading it again.

use super::Format;
use crate::config::CorpusSettings;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, Metadata};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A file modified less than this before it was read may change again with
/// the same modification time (timestamps are coarse); opening re-hashes it.
const RECHECK_WINDOW: Duration = Duration::from_secs(3);

/// Reads of a file that keeps changing before it is skipped.
const READ_ATTEMPTS: usize = 3;

/// The stamp kind of a regular file read (or measured, when over the limit).
const FILE: &str = "file";
/// The stamp kind of a file left out because it kept changing while read.
const CHANGING: &str = "changing";

/// What one corpus entry was when the index was built from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// File name (non-UTF-8 bytes escaped).
    pub name: String,
    /// "file" for a regular file read or measured; otherwise why it was not.
    pub kind: String,
    pub len: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// sha256 of the bytes the build parsed (none when it did not read them).
    pub sha256: Option<String>,
    /// Modified so shortly before it was read that a later write may have
    /// kept its size and modification time: opening re-hashes it.
    #[serde(default)]
    pub recheck: bool,
}

/// One entry of the corpus directory, as the scan found it.
pub(crate) enum Entry {
    /// A regular file (or a link to one inside the corpus) with a supported extension.
    File { path: PathBuf, name: String },
    /// Passed over without being read.
    Skip {
        path: String,
        name: String,
        reason: String,
        /// Recorded in the fingerprint (unsupported file types are not).
        stamp: bool,
    },
}

/// A file's bytes, read once and bounded, with the stamp of what was read.
pub(crate) struct FileBytes {
    pub bytes: Vec<u8>,
    pub stamp: FileStamp,
}

/// A file name for messages and stamps: the name itself, or with its
/// non-UTF-8 bytes escaped (`caf\xE9.txt`).
fn display_name(name: &std::ffi::OsStr) -> (String, bool) {
    match name.to_str() {
        Some(s) => (s.to_string(), true),
        None => {
            let escaped = format!("{name:?}");
            (escaped.trim_matches('"').to_string(), false)
        }
    }
}

fn file_kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        return "directory (subdirectories are not read)";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "not a regular file (a FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "not a regular file (a device)";
        }
        if t.is_socket() {
            return "not a regular file (a socket)";
        }
    }
    "not a regular file"
}

/// The entries of `dir` in a stable order (by file name). Hidden files
/// (`.name`) are passed over silently.
pub(crate) fn scan(dir: &Path, rules: &CorpusSettings) -> Result<Vec<Entry>> {
    let missing = || Error::CorpusMissing(dir.display().to_string());
    let root = dir.canonicalize().map_err(|_| missing())?;
    let mut entries: Vec<(PathBuf, std::ffi::OsString)> = std::fs::read_dir(dir)
        .map_err(|_| missing())?
        .filter_map(|e| e.ok())
        .map(|e| (e.path(), e.file_name()))
        .filter(|(_, n)| !n.as_encoded_bytes().starts_with(b"."))
        .collect();
    entries.sort();
    Ok(entries
        .into_iter()
        .map(|(path, name)| classify(&root, path, &name, rules))
        .collect())
}

fn classify(root: &Path, path: PathBuf, name: &std::ffi::OsStr, rules: &CorpusSettings) -> Entry {
    let (name, utf8) = display_name(name);
    let skip = |reason: String, stamp: bool| Entry::Skip {
        path: if utf8 {
            path.display().to_string()
        } else {
            path.with_file_name(&name).display().to_string()
        },
        name: name.clone(),
        reason,
        stamp,
    };
    if !utf8 {
        return skip("file name is not valid UTF-8; rename the file".into(), true);
    }
    // a PDF/DOCX metadata sidecar is read (and stamped) like a document
    if Format::from_path(&path).is_none() && !super::binary::is_sidecar(&path) {
        return skip(super::UNSUPPORTED.into(), false);
    }
    let link = match std::fs::symlink_metadata(&path) {
        Ok(m) => m.file_type().is_symlink(),
        Err(e) => return skip(format!("unreadable: {e}"), true),
    };
    if link {
        match path.canonicalize() {
            Ok(target) if !target.starts_with(root) && !rules.allow_symlinks_outside => {
                return skip(
                    format!(
                        "symbolic link to {}, outside the corpus directory \
                         (set corpus.allow_symlinks_outside = true to follow it)",
                        target.display()
                    ),
                    true,
                );
            }
            Ok(_) => {}
            Err(e) => return skip(format!("unreadable: dangling symbolic link ({e})"), true),
        }
    }
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Entry::File { path, name },
        Ok(m) => skip(file_kind(&m).into(), true),
        Err(e) => skip(format!("unreadable: {e}"), true),
    }
}

fn mtime_ns(m: &Metadata) -> i64 {
    match m.modified() {
        Ok(t) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        },
        Err(_) => 0,
    }
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A stamp of a file that was not read (over the size limit, or changing).
fn measured(name: &str, kind: &str, m: &Metadata) -> FileStamp {
    FileStamp {
        name: name.to_string(),
        kind: kind.to_string(),
        len: m.len(),
        mtime_ns: mtime_ns(m),
        sha256: None,
        recheck: false,
    }
}

/// The stamp of an entry passed over without being read.
pub(crate) fn skipped_stamp(name: &str, reason: &str) -> FileStamp {
    FileStamp {
        name: name.to_string(),
        kind: reason.to_string(),
        len: 0,
        mtime_ns: 0,
        sha256: None,
        recheck: false,
    }
}

fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    // A FIFO swapped in after the scan must not block the open.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    opts.open(path)
}

fn over_limit(len: u64, max: u64) -> String {
    format!("file is {len} bytes, over corpus.max_file_bytes ({max})")
}

/// Read a regular file whole, at most `max` bytes, and stamp what was read.
/// The handle is checked again after opening (a file swapped for a FIFO or a
/// device after the scan is refused), and the read is repeated when the file
/// changed while it was read. `Err` is the reason it was skipped and the
/// stamp to record for it.
pub(crate) fn read_bounded(
    path: &Path,
    name: &str,
    max: u64,
) -> std::result::Result<FileBytes, (String, FileStamp)> {
    let unreadable = |e: std::io::Error| {
        let reason = format!("unreadable: {e}");
        let stamp = skipped_stamp(name, &reason);
        (reason, stamp)
    };
    let mut file = open_nonblocking(path).map_err(unreadable)?;
    for _ in 0..READ_ATTEMPTS {
        let before = file.metadata().map_err(unreadable)?;
        if !before.is_file() {
            let reason = file_kind(&before).to_string();
            return Err((reason.clone(), skipped_stamp(name, &reason)));
        }
        if before.len() > max {
            return Err((over_limit(before.len(), max), measured(name, FILE, &before)));
        }
        let seen_at = now_ns();
        file.rewind().map_err(unreadable)?;
        let mut bytes = Vec::new();
        (&mut file)
            .take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if bytes.len() as u64 > max {
            return Err((
                format!("file grew over corpus.max_file_bytes ({max}) while it was read"),
                measured(name, FILE, &before),
            ));
        }
        let after = file.metadata().map_err(unreadable)?;
        let (t0, t1) = (mtime_ns(&before), mtime_ns(&after));
        if before.len() == after.len() && t0 == t1 && bytes.len() as u64 == after.len() {
            let recheck = t0 > seen_at.saturating_sub(RECHECK_WINDOW.as_nanos() as i64);
            let stamp = FileStamp {
                name: name.to_string(),
                kind: FILE.into(),
                len: after.len(),
                mtime_ns: t0,
                sha256: Some(super::sha256_hex(&bytes)),
                recheck,
            };
            return Ok(FileBytes { bytes, stamp });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let m = file.metadata().map_err(unreadable)?;
    Err((
        format!("file kept changing while it was read ({READ_ATTEMPTS} attempts); it is left out of this build"),
        measured(name, CHANGING, &m),
    ))
}

/// The fingerprint of a set of stamps (recorded in the manifest).
pub fn stamps_hash(stamps: &[FileStamp]) -> String {
    let mut h = Sha256::new();
    for s in stamps {
        for part in [s.name.as_bytes(), s.kind.as_bytes()] {
            h.update(part);
            h.update([0]);
        }
        h.update(s.len.to_le_bytes());
        h.update(s.mtime_ns.to_le_bytes());
        h.update(s.sha256.as_deref().unwrap_or("-").as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Why the corpus in `rules.dir` no longer matches the `built` stamps, or
/// `None` when it does. Cheap: a file is read only when its size and
/// modification time match and it was modified just before the build read it
/// (then its bytes are hashed, at most `max_file_bytes`); nothing over the
/// limit is ever read.
pub fn changed_since(rules: &CorpusSettings, built: &[FileStamp]) -> Result<Option<String>> {
    let mut now: Vec<FileStamp> = Vec::new();
    for entry in scan(&rules.dir, rules)? {
        match entry {
            Entry::Skip {
                name,
                reason,
                stamp: true,
                ..
            } => now.push(skipped_stamp(&name, &reason)),
            Entry::Skip { .. } => {}
            Entry::File { path, name } => {
                let Some(old) = built.iter().find(|s| s.name == name) else {
                    return Ok(Some(format!("{name} is new")));
                };
                let m = match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(_) => return Ok(Some(format!("{name} is unreadable"))),
                };
                if old.kind == CHANGING {
                    // it may have settled since, but the index lacks it
                    return Ok(Some(format!("{name} was left out while it changed")));
                }
                if old.len != m.len() || old.mtime_ns != mtime_ns(&m) {
                    return Ok(Some(format!("{name} was modified")));
                }
                let mut stamp = old.clone();
                if old.recheck && old.sha256.is_some() {
                    stamp.sha256 = read_bounded(&path, &name, rules.max_file_bytes)
                        .ok()
                        .and_then(|r| r.stamp.sha256);
                }
                now.push(stamp);
            }
        }
    }
    if now.len() != built.len() {
        return Ok(Some("files were removed or replaced".into()));
    }
    for (a, b) in now.iter().zip(built) {
        if a != b {
            return Ok(Some(format!("{} changed", b.name)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus_with(text: &str) -> (tempfile::TempDir, CorpusSettings, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt");
        std::fs::write(&path, text).expect("write");
        let rules = CorpusSettings {
            dir: dir.path().to_path_buf(),
            ..CorpusSettings::default()
        };
        (dir, rules, path)
    }

    #[test]
    fn a_file_left_out_while_it_changed_is_stale_even_once_it_settles() {
        let (_dir, rules, path) = corpus_with("---\ntitle: A\n---\nSome text here.\n");
        let m = std::fs::metadata(&path).expect("metadata");
        // what read_bounded records when the file kept changing: its last size
        // and time, which the settled file still has
        let left_out = vec![measured("a.txt", CHANGING, &m)];
        let why = changed_since(&rules, &left_out).expect("scan");
        assert!(why.is_some_and(|w| w.contains("left out")));
    }

    #[test]
    fn stamps_match_until_the_bytes_change_even_with_the_same_size_and_time() {
        let (_dir, rules, path) = corpus_with("---\ntitle: A\n---\nSome text here.\n");
        let read = read_bounded(&path, "a.txt", rules.max_file_bytes)
            .map_err(|(r, _)| r)
            .expect("read");
        assert!(read.stamp.recheck, "just written: re-hashed at open");
        let built = vec![read.stamp];
        assert_eq!(changed_since(&rules, &built).expect("scan"), None);
        // same length, same modification time, other bytes
        let m = std::fs::metadata(&path).expect("metadata");
        std::fs::write(&path, "---\ntitle: B\n---\nSome text here.\n").expect("write");
        let f = File::options().write(true).open(&path).expect("open");
        f.set_modified(m.modified().expect("mtime"))
            .expect("set mtime");
        assert!(changed_since(&rules, &built).expect("scan").is_some());
    }
}
