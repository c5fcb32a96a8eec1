//! The on-disk index: generations of (tantivy index + passages + embeddings +
//! manifest) under `index/`, the `CURRENT` pointer, and atomic rebuilds.
//!
//! Architecture invariant: a generation directory is complete before `CURRENT`
//! names it. A rebuild writes a new generation beside the served one, then
//! replaces `CURRENT` by rename; a failed build never touches `CURRENT`.

pub mod manifest;
mod reuse;
pub mod schema;
pub mod sentences;
pub mod words;

use crate::config::Settings;
use crate::corpus::{self, Corpus};
use crate::error::{io_err, Error, Result};
use crate::model::{IndexReport, Passage, SourceInfo, VectorCounts};
use indicatif::{ProgressBar, ProgressStyle};
use manifest::Manifest;
use schema::Fields;
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

const CURRENT: &str = "CURRENT";
const PASSAGES: &str = "passages.json";
const MANIFEST: &str = "manifest.json";
const EMBEDDINGS: &str = "embeddings.f32";

/// Passages handed to the embedder at a time (it batches them by length).
const EMBED_GROUP: usize = 1024;
const LOCK: &str = ".rebuild.lock";

pub use crate::vector::Embedding;

/// Passage vectors held in memory as 8-bit codes with one scale per row:
/// a quarter of the memory of f32 (39 MB instead of 154 MB for 100k passages
/// of 384 dimensions) and a faster scan. For unit vectors the error of a dot
/// product is about 1e-3, far below the differences ranking relies on. The
/// file on disk keeps the exact f32 values.
#[derive(Debug, Clone, Default)]
pub struct Embeddings {
    pub dim: usize,
    codes: Vec<i8>,
    scales: Vec<f32>,
    centre: Option<Centre>,
}

/// The mean of the rows and each row's dot product with it, for
/// [`Embeddings::centred`].
#[derive(Debug, Clone, Default)]
struct Centre {
    mean: Vec<f32>,
    row_dots: Vec<f32>,
    mean_sq: f32,
}

impl Embeddings {
    /// An empty set of `dim`-dimensional vectors.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            ..Self::default()
        }
    }

    /// Append one vector (of `dim` values), quantised symmetrically: the
    /// largest magnitude maps to ±127.
    pub fn push(&mut self, row: &[f32]) {
        let start = self.codes.len();
        let scale = crate::vector::quantise_i8(row, &mut self.codes);
        // exactly `dim` codes: extra values dropped, missing ones zero
        self.codes.resize(start + self.dim, 0);
        self.scales.push(scale);
    }

    /// Dot product of row `i` with `query` (cosine for unit vectors).
    pub fn dot(&self, i: usize, query: &[f32]) -> f32 {
        let codes = &self.codes[i * self.dim..(i + 1) * self.dim];
        crate::vector::dot_widened(codes, query) * self.scales[i]
    }

    /// Compute the rows' mean (once all rows are pushed) so that
    /// [`Embeddings::centred`] can take it out.
    pub fn compute_centre(&mut self) {
        let mut sum = vec![0f64; self.dim];
        for (row, scale) in self.codes.chunks_exact(self.dim.max(1)).zip(&self.scales) {
            for (s, &c) in sum.iter_mut().zip(row) {
                *s += f64::from(c) * f64::from(*scale);
            }
        }
        let n = self.len().max(1) as f64;
        let mean: Vec<f32> = sum.into_iter().map(|s| (s / n) as f32).collect();
        let row_dots = (0..self.len()).map(|i| self.dot(i, &mean)).collect();
        let mean_sq = crate::vector::dot(&mean, &mean);
        self.centre = Some(Centre {
            mean,
            row_dots,
            mean_sq,
        });
    }

    /// A question's dot product with the rows' mean (0 before
    /// [`Embeddings::compute_centre`]), the one per-question input of `centred`.
    pub fn query_centre(&self, query: &[f32]) -> f32 {
        self.centre
            .as_ref()
            .map_or(0.0, |c| crate::vector::dot(&c.mean, query))
    }

    /// Cosine of row `i` and the query once the rows' mean is subtracted from
    /// both: the direction every passage shares (what the whole corpus is
    /// about, e.g. "CIO and CTO") stops counting, what sets a passage apart
    /// remains. `dot` is [`Embeddings::dot`] of the pair and `query_mean` is
    /// [`Embeddings::query_centre`]; both vectors are unit length. Without a
    /// centre this is `dot`.
    pub fn centred(&self, i: usize, dot: f32, query_mean: f32) -> f32 {
        let Some(c) = &self.centre else {
            return dot;
        };
        let row_mean = c.row_dots[i];
        // |p - m|² = 1 - 2 p·m + m·m for a unit p; likewise for the question
        let norms = (1.0 - 2.0 * row_mean + c.mean_sq) * (1.0 - 2.0 * query_mean + c.mean_sq);
        if norms <= 1e-12 {
            return 0.0;
        }
        (dot - row_mean - query_mean + c.mean_sq) / norms.sqrt()
    }

    pub fn len(&self) -> usize {
        self.scales.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One complete, opened index generation.
pub struct Generation {
    pub name: String,
    pub dir: PathBuf,
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub passages: Vec<Passage>,
    pub manifest: Manifest,
    pub embeddings: Option<Embeddings>,
    /// Vectors of the sentences of multi-sentence passages (with `embeddings`).
    pub sentences: Option<sentences::SentenceVectors>,
    /// Vectors of the corpus's words, one per stem (with `embeddings`).
    pub words: Option<words::WordVectors>,
}

/// The text a passage's words are counted over: [`indexed_text`] and its
/// section heading (the lexicon's terms, the word vectors' words).
pub fn worded_text(p: &Passage) -> String {
    let mut text = indexed_text(p);
    if let Some(s) = &p.section {
        text.push('\n');
        text.push_str(s);
    }
    text
}

/// Text indexed for a passage: its context (lead-in) and its text.
pub fn indexed_text(p: &Passage) -> String {
    match &p.context {
        Some(c) => format!("{c}\n{}", p.text),
        None => p.text.clone(),
    }
}

/// The generation `CURRENT` names, if any.
pub fn current_name(index_dir: &Path) -> Option<String> {
    let name = fs::read_to_string(index_dir.join(CURRENT)).ok()?;
    let name = name.trim().to_string();
    (!name.is_empty() && !name.contains(['/', '\\']) && name.starts_with("gen-")).then_some(name)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    serde_json::from_str(&text).map_err(|e| Error::Index(format!("{}: {e}", path.display())))
}

/// Open the generation named by `CURRENT`. `Ok(None)` when there is none;
/// an error says why an existing one cannot serve (callers rebuild).
pub fn open_current(index_dir: &Path) -> Result<Option<Generation>> {
    let Some(name) = current_name(index_dir) else {
        return Ok(None);
    };
    open_generation(index_dir, &name).map(Some)
}

fn open_generation(index_dir: &Path, name: &str) -> Result<Generation> {
    let dir = index_dir.join(name);
    let manifest: Manifest = read_json(&dir.join(MANIFEST))?;
    if manifest.schema_version != schema::SCHEMA_VERSION {
        return Err(Error::Index(format!(
            "index generation {name} has schema version {}, this build needs {}",
            manifest.schema_version,
            schema::SCHEMA_VERSION
        )));
    }
    let index = Index::open(ServingDirectory(MmapDirectory::open(&dir)?))?;
    schema::register(&index);
    let fields = schema::fields_of(&index)
        .ok_or_else(|| Error::Index(format!("index generation {name} has an unexpected schema")))?;
    let passages: Vec<Passage> = read_json(&dir.join(PASSAGES))?;
    if passages.len() != manifest.passages {
        return Err(Error::Index(format!(
            "index generation {name} is inconsistent: {} passages stored, manifest says {}",
            passages.len(),
            manifest.passages
        )));
    }
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let searcher = reader.searcher();
    if searcher.num_docs() as usize != passages.len() {
        return Err(Error::Index(format!(
            "index generation {name} has {} documents for {} passages",
            searcher.num_docs(),
            passages.len()
        )));
    }
    let embeddings = match manifest.model {
        Some(_) => Some(read_embeddings(&dir.join(EMBEDDINGS), passages.len())?),
        None => None,
    };
    if let (Some(e), Some(dim)) = (&embeddings, manifest.dim) {
        if e.dim != dim {
            return Err(Error::Index(format!(
                "index generation {name} is inconsistent: its passage vectors have {} \
                 dimensions, its manifest says {dim}",
                e.dim
            )));
        }
    }
    let sentences = match &embeddings {
        Some(e) => sentences::read(&dir, passages.len(), e.dim)?,
        None => None,
    };
    let words = match &embeddings {
        Some(e) => words::read(&dir, e.dim)?,
        None => None,
    };
    Ok(Generation {
        name: name.to_string(),
        dir,
        index,
        reader,
        fields,
        passages,
        manifest,
        embeddings,
        sentences,
        words,
    })
}

/// The directory a published generation is served from. A generation is
/// never written once `CURRENT` can name it, so its readers need none of
/// tantivy's locks (the meta lock keeps a writer's garbage collection off the
/// segment files a reader is opening): this directory takes them without
/// creating a lock file, and refuses every write. A read-only copy of the
/// index (an image layer, a read-only volume, several shards sharing one)
/// serves as it is.
#[derive(Clone, Debug)]
struct ServingDirectory(MmapDirectory);

fn published_is_read_only() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ReadOnlyFilesystem,
        "a published index generation is never written",
    )
}

impl Directory for ServingDirectory {
    fn get_file_handle(
        &self,
        path: &Path,
    ) -> std::result::Result<std::sync::Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }
    fn delete(&self, path: &Path) -> std::result::Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: std::sync::Arc::new(published_is_read_only()),
            filepath: path.to_path_buf(),
        })
    }
    fn exists(&self, path: &Path) -> std::result::Result<bool, OpenReadError> {
        self.0.exists(path)
    }
    fn open_write(&self, path: &Path) -> std::result::Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: std::sync::Arc::new(published_is_read_only()),
            filepath: path.to_path_buf(),
        })
    }
    fn atomic_read(&self, path: &Path) -> std::result::Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }
    fn atomic_write(&self, _path: &Path, _data: &[u8]) -> std::io::Result<()> {
        Err(published_is_read_only())
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn acquire_lock(&self, _lock: &Lock) -> std::result::Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }
    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(callback)
    }
}

/// Whether this process may write in `index_dir` (a rebuild creates, renames
/// and removes entries there): a probe file is created and removed. A
/// directory that does not exist yet is not read-only (the build creates it).
/// `Err(ReadOnlyIndex)` when the directory refuses writes (permissions, a
/// read-only file system, an immutable directory).
pub fn check_writable(index_dir: &Path) -> Result<()> {
    use std::io::ErrorKind;
    match tempfile::Builder::new()
        .prefix(".write-probe-")
        .tempfile_in(index_dir)
    {
        Ok(_probe) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            // the error without the probe's (random) file name
            let reason = e
                .raw_os_error()
                .map(std::io::Error::from_raw_os_error)
                .map_or_else(|| e.kind().to_string(), |os| os.to_string());
            Err(Error::ReadOnlyIndex {
                dir: index_dir.display().to_string(),
                reason,
            })
        }
        Err(e) => Err(Error::Io {
            path: index_dir.display().to_string(),
            source: e,
        }),
    }
}

/// Read `rows` f32 vectors, quantising them one row at a time (the whole
/// f32 file is never in memory).
pub(crate) fn read_embeddings(path: &Path, rows: usize) -> Result<Embeddings> {
    use std::io::Read;
    let len = fs::metadata(path).map_err(io_err(path))?.len() as usize;
    if rows == 0 || len == 0 || !len.is_multiple_of(4 * rows) {
        return Err(Error::Index(format!(
            "{} has the wrong size",
            path.display()
        )));
    }
    let dim = len / 4 / rows;
    let mut file = std::io::BufReader::new(fs::File::open(path).map_err(io_err(path))?);
    let mut bytes = vec![0u8; dim * 4];
    let mut row = vec![0f32; dim];
    let mut out = Embeddings::new(dim);
    for _ in 0..rows {
        file.read_exact(&mut bytes).map_err(io_err(path))?;
        for (x, c) in row.iter_mut().zip(bytes.chunks_exact(4)) {
            *x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        out.push(&row);
    }
    out.compute_centre();
    Ok(out)
}

/// Holds the cross-process rebuild lock while alive.
pub struct RebuildLock(fs::File);

impl Drop for RebuildLock {
    /// Unlock before the file closes: the lock belongs to the open file,
    /// which a process forked meanwhile by another thread shares until it
    /// execs, so closing our descriptor alone would leave the lock held
    /// for that moment (and the next rebuild "in progress").
    fn drop(&mut self) {
        if let Err(e) = self.0.unlock() {
            tracing::warn!("could not release the rebuild lock: {e}");
        }
    }
}

/// Take the rebuild lock of `index_dir`, or `RebuildInProgress` if another
/// process (or thread) holds it, or `ReadOnlyIndex` when nothing can be
/// written there.
pub fn lock_rebuild(index_dir: &Path) -> Result<RebuildLock> {
    fs::create_dir_all(index_dir).map_err(io_err(index_dir))?;
    check_writable(index_dir)?;
    let path = index_dir.join(LOCK);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(RebuildLock(file)),
        Err(fs::TryLockError::WouldBlock) => Err(Error::RebuildInProgress),
        Err(fs::TryLockError::Error(e)) => Err(Error::Io {
            path: path.display().to_string(),
            source: e,
        }),
    }
}

fn progress(len: u64, what: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Build a new generation from the corpus and make it current. The caller must
/// hold the rebuild lock. On any error the served generation is untouched.
pub fn rebuild(
    settings: &Settings,
    embedder: Option<&dyn Embedding>,
    show_progress: bool,
) -> Result<IndexReport> {
    build_and_publish(settings, embedder, show_progress, false, |_, _| Ok(()))
        .map(|(report, ())| report)
}

/// As [`rebuild`], but the new generation, opened from its final directory, is
/// first given to `accept` (which builds what serves it); only when that
/// succeeds does `CURRENT` name it. When `accept` fails, the generation is
/// removed and `CURRENT` is untouched.
pub fn rebuild_accepted<T>(
    settings: &Settings,
    embedder: Option<&dyn Embedding>,
    show_progress: bool,
    accept: impl FnOnce(Generation) -> Result<T>,
) -> Result<(IndexReport, T)> {
    build_and_publish(settings, embedder, show_progress, false, |dir, name| {
        open_generation(dir, name).and_then(accept)
    })
}

/// As [`rebuild_accepted`] for a rebuild nobody asked for (the corpus
/// watcher): a corpus file the current generation loaded but this build
/// would skip (a file half written, or broken) fails the build with
/// [`Error::BrokenFiles`] instead of dropping its document, so what serves
/// keeps it until the file is fixed.
pub fn rebuild_watched<T>(
    settings: &Settings,
    embedder: Option<&dyn Embedding>,
    accept: impl FnOnce(Generation) -> Result<T>,
) -> Result<(IndexReport, T)> {
    build_and_publish(settings, embedder, false, true, |dir, name| {
        open_generation(dir, name).and_then(accept)
    })
}

/// Files that the generation of `previous` loaded and `corpus` skips (a
/// file broken or half written since). Files new to the corpus that do not
/// load are not among them: nothing that serves is lost by leaving them out.
fn newly_skipped(previous: &Manifest, corpus: &Corpus) -> Vec<String> {
    if previous.skipped.len() != previous.skipped_files {
        // a manifest from before skipped paths were kept: nothing to compare
        return Vec::new();
    }
    let known: std::collections::HashSet<&str> =
        previous.files.iter().map(|f| f.name.as_str()).collect();
    corpus
        .skipped
        .iter()
        .map(|s| s.path.clone())
        .filter(|p| !previous.skipped.contains(p))
        .filter(|p| {
            Path::new(p)
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| known.contains(n))
        })
        .collect()
}

/// Build a generation, let `accept` see it under its final name, then move `CURRENT`.
fn build_and_publish<T>(
    settings: &Settings,
    embedder: Option<&dyn Embedding>,
    show_progress: bool,
    keep_broken_out: bool,
    accept: impl FnOnce(&Path, &str) -> Result<T>,
) -> Result<(IndexReport, T)> {
    let started = Instant::now();
    let index_dir = &settings.index.dir;
    let corpus_dir = &settings.corpus.dir;
    let corpus = corpus::load_dir(
        corpus_dir,
        &settings.corpus,
        settings.index.max_passage_chars,
    )?;
    if corpus.documents.is_empty() {
        return Err(Error::EmptyCorpus(corpus_dir.display().to_string()));
    }
    let previous_name = current_name(index_dir);
    let previous: Option<Manifest> = previous_name
        .as_ref()
        .and_then(|n| read_json::<Manifest>(&index_dir.join(n).join(MANIFEST)).ok());
    if keep_broken_out {
        if let Some(prev) = &previous {
            let broken = newly_skipped(prev, &corpus);
            if !broken.is_empty() {
                return Err(Error::BrokenFiles(broken.join(", ")));
            }
        }
    }
    fs::create_dir_all(index_dir).map_err(io_err(index_dir))?;
    let tmp = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(index_dir)
        .map_err(io_err(index_dir))?;
    let vectors = write_generation(
        tmp.path(),
        &corpus,
        settings,
        embedder,
        previous_name.as_deref(),
        show_progress,
    )?;
    let embedded = vectors.is_some();

    let built_at = now_rfc3339();
    let manifest = Manifest {
        schema_version: schema::SCHEMA_VERSION,
        // what was parsed, not a second read of the files
        corpus_hash: corpus::stamps_hash(&corpus.stamps),
        files: corpus.stamps.clone(),
        documents: corpus.documents.len(),
        passages: corpus.passages.len(),
        built_at: built_at.clone(),
        build_ms: started.elapsed().as_millis() as u64,
        doc_hashes: corpus.hashes.clone(),
        sources: sources_of(&corpus),
        model: embedded.then(|| embedder.map(|e| e.name())).flatten(),
        dim: embedded.then(|| embedder.map(|e| e.dim())).flatten(),
        dropped_lines: corpus.dropped.len(),
        skipped_files: corpus.skipped.len(),
        skipped: corpus.skipped.iter().map(|s| s.path.clone()).collect(),
    };
    write_file(
        &tmp.path().join(MANIFEST),
        serde_json::to_vec_pretty(&manifest)
            .unwrap_or_default()
            .as_slice(),
    )?;

    // Publish: the generation directory gets its final name, then CURRENT moves.
    let name = format!(
        "gen-{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%3f"),
        std::process::id() & 0xffff
    );
    let final_dir = index_dir.join(&name);
    let tmp_path = tmp.keep();
    fs::rename(&tmp_path, &final_dir).map_err(io_err(&final_dir))?;
    let accepted = match accept(index_dir, &name) {
        Ok(a) => a,
        Err(e) => {
            if let Err(rm) = fs::remove_dir_all(&final_dir) {
                tracing::warn!(generation = %name, "could not remove a refused generation: {rm}");
            }
            return Err(e);
        }
    };
    let pointer_tmp = index_dir.join(".CURRENT.tmp");
    write_file(&pointer_tmp, name.as_bytes())?;
    fs::rename(&pointer_tmp, index_dir.join(CURRENT)).map_err(io_err(index_dir))?;
    prune(index_dir, &name);

    let (added, removed, changed) = diff(previous.as_ref(), &corpus);
    let report = IndexReport {
        documents: manifest.documents,
        passages: manifest.passages,
        added,
        removed,
        changed,
        skipped: corpus.skipped,
        dropped: corpus.dropped,
        elapsed_ms: started.elapsed().as_millis() as u64,
        built_at,
        embeddings: manifest.model.is_some(),
        vectors: vectors.unwrap_or_default(),
    };
    tracing::info!(
        added = report.added.len(),
        removed = report.removed.len(),
        changed = report.changed.len(),
        passages_embedded = report.vectors.passages_embedded,
        passages_reused = report.vectors.passages_reused,
        sentences_embedded = report.vectors.sentences_embedded,
        sentences_reused = report.vectors.sentences_reused,
        elapsed_ms = report.elapsed_ms,
        generation = %name,
        "index rebuilt"
    );
    Ok((report, accepted))
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = fs::File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

fn sources_of(corpus: &Corpus) -> Vec<SourceInfo> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in &corpus.passages {
        *counts.entry(p.doc_id.as_str()).or_default() += 1;
    }
    corpus
        .documents
        .iter()
        .map(|d| SourceInfo {
            id: d.id.clone(),
            title: d.title.clone(),
            url: d.url.clone(),
            passages: counts.get(d.id.as_str()).copied().unwrap_or(0),
        })
        .collect()
}

/// Documents added, removed and changed since the previous generation.
fn diff(previous: Option<&Manifest>, corpus: &Corpus) -> (Vec<String>, Vec<String>, Vec<String>) {
    let old: HashMap<&str, &str> = previous
        .map(|m| {
            m.doc_hashes
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let new: HashMap<&str, &str> = corpus
        .hashes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut added: Vec<String> = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let mut removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    let mut changed: Vec<String> = new
        .iter()
        .filter(|(k, h)| old.get(*k).is_some_and(|o| o != *h))
        .map(|(k, _)| k.to_string())
        .collect();
    added.sort();
    removed.sort();
    changed.sort();
    (added, removed, changed)
}

/// Tantivy index, passages and embeddings into `dir`. Vectors of texts the
/// generation `previous` already embedded with the same model are copied from
/// it; the others are embedded. Returns how many of each when embeddings were
/// written, `None` without a model.
fn write_generation(
    dir: &Path,
    corpus: &Corpus,
    settings: &Settings,
    embedder: Option<&dyn Embedding>,
    previous: Option<&str>,
    show_progress: bool,
) -> Result<Option<VectorCounts>> {
    let (schema, f) = schema::build_schema();
    let index = Index::create_in_dir(dir, schema)?;
    schema::register(&index);
    let mut writer: IndexWriter =
        index.writer_with_num_threads(1, settings.index.writer_memory_bytes)?;
    let bar = progress(corpus.passages.len() as u64, "indexing", show_progress);
    for (ord, p) in corpus.passages.iter().enumerate() {
        let mut d: TantivyDocument = doc!(
            f.id => p.id.as_str(),
            f.doc_id => p.doc_id.as_str(),
            f.ord => ord as u64,
            f.body => indexed_text(p),
            f.title => p.doc_title.as_str(),
        );
        if let Some(s) = &p.section {
            d.add_text(f.section, s);
        }
        writer.add_document(d)?;
        bar.inc(1);
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    bar.finish_and_clear();
    write_file(
        &dir.join(PASSAGES),
        &serde_json::to_vec(&corpus.passages).map_err(|e| Error::Index(e.to_string()))?,
    )?;
    let Some(embedder) = embedder else {
        return Ok(None);
    };
    let mut cache = reuse::VectorCache::from_previous(
        &settings.index.dir,
        previous,
        embedder,
        &[sentences::previous, words::previous],
    );
    let bar = progress(corpus.passages.len() as u64, "embedding", show_progress);
    let texts: Vec<String> = corpus.passages.iter().map(indexed_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Large groups: the embedder sorts each group by length before cutting it
    // into padded batches, so the more passages it sees, the less it pads.
    let (data, passages) = cache.vectors(&refs, embedder, EMBED_GROUP, |n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    write_file(&dir.join(EMBEDDINGS), &data)?;
    let sentences = sentences::write(dir, &corpus.passages, embedder, &mut cache, EMBED_GROUP)?;
    let words = words::write(dir, &corpus.passages, embedder, &mut cache, EMBED_GROUP)?;
    tracing::debug!(
        sentences = sentences.embedded + sentences.reused,
        words = words.embedded + words.reused,
        "sentence and word vectors written"
    );
    Ok(Some(VectorCounts {
        passages_embedded: passages.embedded,
        passages_reused: passages.reused,
        sentences_embedded: sentences.embedded,
        sentences_reused: sentences.reused,
        words_embedded: words.embedded,
        words_reused: words.reused,
    }))
}

/// Remove generations other than the current one and the one before it, and
/// leftovers of failed builds. Readers that still hold an old generation keep
/// their open files (Unix semantics); errors are only logged.
fn prune(index_dir: &Path, current: &str) {
    let Ok(entries) = fs::read_dir(index_dir) else {
        return;
    };
    let mut gens: Vec<String> = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("gen-") && name != current {
            gens.push(name);
        } else if name.starts_with(".build-") {
            // left by a process killed mid-build: we hold the rebuild lock, so
            // no other build is writing it
            if let Err(err) = fs::remove_dir_all(e.path()) {
                tracing::warn!(dir = %name, "could not remove a stale build directory: {err}");
            }
        }
    }
    gens.sort();
    // keep the newest previous generation
    gens.pop();
    for g in gens {
        if let Err(e) = fs::remove_dir_all(index_dir.join(&g)) {
            tracing::warn!(generation = %g, "could not remove old index generation: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rebuild_lock_is_free_once_dropped_though_its_file_is_still_open_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let lock = super::lock_rebuild(dir.path()).unwrap();
        assert!(matches!(
            super::lock_rebuild(dir.path()),
            Err(crate::Error::RebuildInProgress)
        ));
        // what a process forked at this moment holds: the same open file
        let shared = lock.0.try_clone().unwrap();
        drop(lock);
        let again = super::lock_rebuild(dir.path());
        assert!(again.is_ok(), "{:?}", again.err());
        drop(shared);
    }

    use super::*;

    #[test]
    fn centred_similarity_is_the_cosine_after_taking_out_the_mean() {
        let mut rng = fastrand::Rng::with_seed(11);
        let dim = 24;
        let unit = |v: Vec<f32>| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
        };
        // rows sharing one strong direction, as passages of one topic do
        let rows: Vec<Vec<f32>> = (0..40)
            .map(|_| {
                unit(
                    (0..dim)
                        .map(|d| if d == 0 { 3.0 } else { rng.f32() - 0.5 })
                        .collect(),
                )
            })
            .collect();
        let mut e = Embeddings::new(dim);
        for r in &rows {
            e.push(r);
        }
        let q = unit(
            (0..dim)
                .map(|d| if d == 0 { 3.0 } else { rng.f32() - 0.5 })
                .collect(),
        );
        // without a centre: the plain dot product
        assert_eq!(e.centred(3, e.dot(3, &q), e.query_centre(&q)), e.dot(3, &q));
        e.compute_centre();
        // reference: mean and cosines in f64 from the quantised rows
        let decoded: Vec<Vec<f64>> = (0..rows.len())
            .map(|i| {
                let codes = &e.codes[i * dim..(i + 1) * dim];
                codes
                    .iter()
                    .map(|&c| f64::from(c) * f64::from(e.scales[i]))
                    .collect()
            })
            .collect();
        let mean: Vec<f64> = (0..dim)
            .map(|d| decoded.iter().map(|r| r[d]).sum::<f64>() / rows.len() as f64)
            .collect();
        let qm = e.query_centre(&q);
        let mut plain_spread = (f32::MAX, f32::MIN);
        let mut centred_spread = (f32::MAX, f32::MIN);
        for (i, row) in decoded.iter().enumerate() {
            let a: Vec<f64> = row.iter().zip(&mean).map(|(x, m)| x - m).collect();
            let b: Vec<f64> = q
                .iter()
                .zip(&mean)
                .map(|(&x, m)| f64::from(x) - m)
                .collect();
            let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
            let want = dot / (norm(&a) * norm(&b));
            let got = e.centred(i, e.dot(i, &q), qm);
            assert!(
                (f64::from(got) - want).abs() < 0.02,
                "row {i}: {got} vs {want}"
            );
            let plain = e.dot(i, &q);
            plain_spread = (plain_spread.0.min(plain), plain_spread.1.max(plain));
            centred_spread = (centred_spread.0.min(got), centred_spread.1.max(got));
        }
        // the shared direction made every plain cosine alike; centred ones differ
        assert!(centred_spread.1 - centred_spread.0 > 3.0 * (plain_spread.1 - plain_spread.0));
    }

    fn unit(rng: &mut fastrand::Rng, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim).map(|_| rng.f32() * 2.0 - 1.0).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn quantised_dot_products_stay_within_a_thousandth() {
        let mut rng = fastrand::Rng::with_seed(7);
        let dim = 384;
        let rows: Vec<Vec<f32>> = (0..200).map(|_| unit(&mut rng, dim)).collect();
        let mut e = Embeddings::new(dim);
        for r in &rows {
            e.push(r);
        }
        assert_eq!(e.len(), rows.len());
        let mut worst = 0f32;
        for _ in 0..20 {
            let q = unit(&mut rng, dim);
            for (i, r) in rows.iter().enumerate() {
                let exact: f32 = r.iter().zip(&q).map(|(a, b)| a * b).sum();
                worst = worst.max((e.dot(i, &q) - exact).abs());
            }
        }
        assert!(worst < 1e-3, "worst dot error {worst}");
        // a row with itself stays ~1
        assert!((e.dot(0, &rows[0]) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn zero_short_and_odd_rows_quantise_without_nan() {
        let mut e = Embeddings::new(4);
        e.push(&[0.0; 4]);
        e.push(&[1.0, -1.0]); // short: padded with zeros
        e.push(&[f32::NAN, 1.0, 0.0, 0.0]);
        assert_eq!(e.len(), 3);
        assert_eq!(e.dot(0, &[1.0; 4]), 0.0);
        assert!((e.dot(1, &[1.0, 0.0, 0.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(e.dot(2, &[0.0, 1.0, 0.0, 0.0]).is_finite());
    }
}
