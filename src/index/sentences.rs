//! Sentence vectors: one vector per sentence of every passage that has more
//! than one, so that a single fact inside a long paragraph is found by its own
//! meaning, not by the paragraph's average. Stored beside the passage vectors
//! (`sentences.f32`, exact values, and `sentences.owners`, the passage ord of
//! each row as little-endian u32), held in memory as 8-bit codes like them.
//! Optional: an index without the files is served with passage vectors alone.

use super::{Embedding, Embeddings};
use crate::error::{io_err, Error, Result};
use crate::model::{Passage, PassageKind};
use std::fs;
use std::path::Path;

pub(crate) const VECTORS: &str = "sentences.f32";
pub(crate) const OWNERS: &str = "sentences.owners";

/// The sentence vectors of the generation in `dir`, each with its sentence
/// (none when it has no sentence files): what a rebuild may reuse. Rows are
/// in passage order and, within a passage, in the order of
/// [`embedded_sentences`]; a passage whose count differs is passed over.
pub(crate) fn previous(
    dir: &Path,
    passages: &[Passage],
    dim: usize,
) -> Result<Vec<(String, Vec<f32>)>> {
    let (vectors, owners) = (dir.join(VECTORS), dir.join(OWNERS));
    if !vectors.exists() || !owners.exists() {
        return Ok(Vec::new());
    }
    let bytes = fs::read(&owners).map_err(io_err(&owners))?;
    let owner: Vec<usize> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let rows = super::reuse::read_rows(&vectors, owner.len(), dim)?;
    let mut out = Vec::new();
    let mut start = 0;
    while start < owner.len() {
        let ord = owner[start];
        let end = start + owner[start..].iter().take_while(|&&o| o == ord).count();
        if let Some(p) = passages.get(ord) {
            let sents = embedded_sentences(p);
            if sents.len() == end - start {
                out.extend(
                    sents
                        .into_iter()
                        .map(str::to_string)
                        .zip(rows[start..end].iter().cloned()),
                );
            }
        }
        start = end;
    }
    Ok(out)
}

/// Sentences shorter than this many words are not embedded on their own
/// ("Yes.", "In short:"): their vectors say little.
const MIN_WORDS: usize = 4;

/// Sentence vectors and the passage each belongs to.
#[derive(Debug, Clone, Default)]
pub struct SentenceVectors {
    pub vectors: Embeddings,
    owner: Vec<u32>,
}

/// The sentences of a passage that get vectors of their own: those of at
/// least [`MIN_WORDS`] words in a paragraph of two or more such sentences
/// (list items and table rows are short; their passage vector is theirs).
pub fn embedded_sentences(p: &Passage) -> Vec<&str> {
    if p.kind != PassageKind::Paragraph {
        return Vec::new();
    }
    let sents: Vec<&str> = crate::corpus::split::sentences(&p.text)
        .into_iter()
        .map(str::trim)
        .filter(|s| s.split_whitespace().count() >= MIN_WORDS)
        .collect();
    if sents.len() < 2 {
        Vec::new()
    } else {
        sents
    }
}

impl SentenceVectors {
    /// The best cosine of a sentence of each passage with `query`, as
    /// (passage ord, plain cosine, centred cosine); passages without
    /// sentence vectors are absent; ascending by ord (the owners are sorted).
    pub fn best(&self, query: &[f32]) -> Vec<(usize, f32, f32)> {
        let mean = self.vectors.query_centre(query);
        let mut out: Vec<(usize, f32, f32)> = Vec::new();
        for (row, &ord) in self.owner.iter().enumerate() {
            let d = self.vectors.dot(row, query);
            let c = self.vectors.centred(row, d, mean);
            match out.last_mut() {
                Some(last) if last.0 == ord as usize => {
                    last.1 = last.1.max(d);
                    last.2 = last.2.max(c);
                }
                _ => out.push((ord as usize, d, c)),
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.owner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }
}

/// The vectors of the sentences of `passages` (reused from `cache` by their
/// text, the rest embedded) into both files in `dir`.
pub(crate) fn write(
    dir: &Path,
    passages: &[Passage],
    embedder: &dyn Embedding,
    cache: &mut super::reuse::VectorCache,
    group: usize,
) -> Result<super::reuse::Counts> {
    let mut rows: Vec<(u32, &str)> = Vec::new();
    for (ord, p) in passages.iter().enumerate() {
        rows.extend(embedded_sentences(p).into_iter().map(|s| (ord as u32, s)));
    }
    let texts: Vec<&str> = rows.iter().map(|(_, s)| *s).collect();
    let (data, counts) = cache.vectors(&texts, embedder, group, |_| {})?;
    let owners: Vec<u8> = rows.iter().flat_map(|(o, _)| o.to_le_bytes()).collect();
    super::write_file(&dir.join(VECTORS), &data)?;
    super::write_file(&dir.join(OWNERS), &owners)?;
    Ok(counts)
}

/// Read the sentence vectors of a generation; `None` when it has none (an
/// index from before they existed), an error when they are inconsistent.
pub(crate) fn read(dir: &Path, passages: usize, dim: usize) -> Result<Option<SentenceVectors>> {
    let (vectors, owners) = (dir.join(VECTORS), dir.join(OWNERS));
    if !vectors.exists() || !owners.exists() {
        return Ok(None);
    }
    let bytes = fs::read(&owners).map_err(io_err(&owners))?;
    let owner: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let sorted = owner.windows(2).all(|w| w[0] <= w[1]);
    if bytes.len() % 4 != 0 || !sorted || owner.iter().any(|&o| o as usize >= passages) {
        return Err(Error::Index(format!(
            "{} is inconsistent",
            owners.display()
        )));
    }
    if owner.is_empty() {
        return Ok(Some(SentenceVectors {
            vectors: Embeddings::new(dim),
            owner,
        }));
    }
    let vectors = super::read_embeddings(&vectors, owner.len())?;
    if vectors.dim != dim {
        return Err(Error::Index(format!(
            "sentence vectors have {} dimensions, passage vectors {dim}",
            vectors.dim
        )));
    }
    Ok(Some(SentenceVectors { vectors, owner }))
}
