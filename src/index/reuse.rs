//! Incremental rebuilds: the vectors of the previous generation, keyed by a
//! hash of the model's name and the embedded text, so that a rebuild embeds
//! only passages and sentences whose text is new. Every document is still
//! parsed, cleaned and split (cheap, and the repeated-line rule is
//! corpus-wide: one document's change can change another's cleaning); what
//! is reused is the expensive part, the model's output, by content.

use super::{Embedding, EMBEDDINGS, MANIFEST, PASSAGES};
use crate::error::{io_err, Error, Result};
use crate::model::Passage;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

type Key = [u8; 32];

/// Reads the vectors a generation keeps beside its passage vectors (its
/// sentences', its words'): each with the text it was embedded from, given
/// the generation's directory, its passages and the vectors' dimension.
pub(crate) type Previous = fn(&Path, &[Passage], usize) -> Result<Vec<(String, Vec<f32>)>>;

/// Vectors known by content: those of the previous generation, and those
/// embedded by this build as it goes.
#[derive(Default)]
pub(crate) struct VectorCache {
    model: String,
    dim: usize,
    known: HashMap<Key, Vec<f32>>,
}

/// Where a batch of vectors came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub embedded: usize,
    pub reused: usize,
}

impl VectorCache {
    /// An empty cache for `embedder` (a full build).
    pub fn empty(embedder: &dyn Embedding) -> Self {
        Self {
            model: embedder.name(),
            dim: embedder.dim(),
            known: HashMap::new(),
        }
    }

    /// The vectors of generation `name` in `index_dir` when they come from
    /// `embedder`'s model with its dimension; an empty cache otherwise, or
    /// when anything of that generation cannot be read (logged: the build
    /// then embeds everything, which is slower but as correct).
    /// The vectors `others` read are reused as well.
    pub fn from_previous(
        index_dir: &Path,
        name: Option<&str>,
        embedder: &dyn Embedding,
        others: &[Previous],
    ) -> Self {
        let mut cache = Self::empty(embedder);
        let Some(name) = name else {
            return cache;
        };
        if let Err(e) = cache.load(&index_dir.join(name), others) {
            tracing::warn!(generation = %name, "previous vectors not reused: {e}");
            cache.known.clear();
        }
        cache
    }

    fn load(&mut self, dir: &Path, others: &[Previous]) -> Result<()> {
        let manifest: super::Manifest = super::read_json(&dir.join(MANIFEST))?;
        if manifest.model.as_deref() != Some(self.model.as_str())
            || manifest.dim.is_some_and(|d| d != self.dim)
        {
            return Ok(());
        }
        let passages: Vec<Passage> = super::read_json(&dir.join(PASSAGES))?;
        let rows = read_rows(&dir.join(EMBEDDINGS), passages.len(), self.dim)?;
        for (p, v) in passages.iter().zip(rows) {
            self.known.insert(self.key(&super::indexed_text(p)), v);
        }
        for read in others {
            for (text, v) in read(dir, &passages, self.dim)? {
                self.known.insert(self.key(&text), v);
            }
        }
        Ok(())
    }

    fn key(&self, text: &str) -> Key {
        let mut h = Sha256::new();
        h.update(self.model.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.finalize().into()
    }

    /// The vectors of `texts`, in order, as little-endian f32 bytes: known
    /// ones reused, the others embedded `group` at a time (each distinct
    /// text once) and remembered.
    pub fn vectors(
        &mut self,
        texts: &[&str],
        embedder: &dyn Embedding,
        group: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<(Vec<u8>, Counts)> {
        let keys: Vec<Key> = texts.iter().map(|t| self.key(t)).collect();
        let mut counts = Counts::default();
        let mut missing: Vec<(Key, &str)> = Vec::new();
        let mut queued: std::collections::HashSet<Key> = std::collections::HashSet::new();
        for (k, t) in keys.iter().zip(texts) {
            if self.known.contains_key(k) {
                counts.reused += 1;
                progress(1);
            } else {
                counts.embedded += 1;
                if queued.insert(*k) {
                    missing.push((*k, t));
                }
            }
        }
        for chunk in missing.chunks(group.max(1)) {
            let batch: Vec<&str> = chunk.iter().map(|(_, t)| *t).collect();
            let out = embedder.embed_batch(&batch)?;
            if out.len() != batch.len() {
                return Err(Error::Model(format!(
                    "{} embeddings for {} texts",
                    out.len(),
                    batch.len()
                )));
            }
            for ((k, _), v) in chunk.iter().zip(out) {
                if v.len() != self.dim {
                    return Err(Error::Model(format!(
                        "embedding of size {} (expected {})",
                        v.len(),
                        self.dim
                    )));
                }
                self.known.insert(*k, v);
            }
            progress(chunk.len());
        }
        let mut data = Vec::with_capacity(texts.len() * self.dim * 4);
        for k in &keys {
            let v = self
                .known
                .get(k)
                .ok_or_else(|| Error::Index("a vector went missing while building".into()))?;
            data.extend(v.iter().flat_map(|x| x.to_le_bytes()));
        }
        Ok((data, counts))
    }
}

/// `rows` exact f32 vectors of `dim` values from `path`.
pub(crate) fn read_rows(path: &Path, rows: usize, dim: usize) -> Result<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    if bytes.len() != rows * dim * 4 {
        return Err(Error::Index(format!(
            "{} has {} bytes, not {rows} rows of {dim}",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(dim.max(1) * 4)
        .map(|row| {
            row.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
        .collect())
}
