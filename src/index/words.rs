//! Word vectors: one vector per stem of the corpus, for its most frequent
//! spelling, so that a question word the corpus never uses ("duties",
//! "merge") can be matched by meaning to corpus words ("responsibilities",
//! "combine"). Stored beside the passage vectors (`words.f32`, exact values,
//! and `words.json`, the word and stem of each row), held in memory as 8-bit
//! codes like them. Optional: an index without the files is served without
//! matching words by meaning.

use super::{Embedding, Embeddings};
use crate::error::{io_err, Error, Result};
use crate::model::Passage;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

pub(crate) const VECTORS: &str = "words.f32";
pub(crate) const LIST: &str = "words.json";

/// Words shorter than this, or longer, get no vector ("it", word salads).
const MIN_CHARS: usize = 3;
const MAX_CHARS: usize = 30;

/// At most this many words get vectors, the most frequent stems first: ~20 MB
/// in memory at 384 dimensions, and a bounded scan per looked-up word however
/// large the corpus.
const MAX_WORDS: usize = 50_000;

/// The corpus's words with their vectors.
#[derive(Debug, Clone, Default)]
pub struct WordVectors {
    pub vectors: Embeddings,
    /// (word as written, lower-case; its stem), one row each.
    words: Vec<(String, String)>,
    /// The rows in the order of their stems, for looking a stem up.
    by_stem: Vec<u32>,
}

/// The words to embed, sorted: for each stem of the passages' text, context
/// and section, its most frequent spelling (lower-case; ties to the first in
/// alphabetical order), letters only; the [`MAX_WORDS`] most frequent stems.
pub fn corpus_words(passages: &[Passage]) -> Vec<(String, String)> {
    most_frequent(passages, MAX_WORDS)
}

fn most_frequent(passages: &[Passage], max: usize) -> Vec<(String, String)> {
    let mut counts: HashMap<(String, String), u32> = HashMap::new();
    for p in passages {
        let text = super::worded_text(p);
        for (stem, r) in super::schema::tokens(&text) {
            let Some(word) = text.get(r) else { continue };
            let n = word.chars().count();
            if !(MIN_CHARS..=MAX_CHARS).contains(&n) || !word.chars().all(char::is_alphabetic) {
                continue;
            }
            *counts.entry((stem, word.to_lowercase())).or_insert(0) += 1;
        }
    }
    // per stem: its best spelling with that spelling's count, and the stem's
    let mut best: HashMap<String, (String, u32, u32)> = HashMap::new();
    for ((stem, word), n) in counts {
        let e = best.entry(stem).or_insert_with(|| (word.clone(), 0, 0));
        e.2 += n;
        if n > e.1 || (n == e.1 && word < e.0) {
            (e.0, e.1) = (word, n);
        }
    }
    let mut ranked: Vec<(u32, String, String)> = best
        .into_iter()
        .map(|(s, (w, _, total))| (total, w, s))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    ranked.truncate(max);
    let mut out: Vec<(String, String)> = ranked.into_iter().map(|(_, w, s)| (w, s)).collect();
    out.sort();
    out
}

impl WordVectors {
    fn new(vectors: Embeddings, words: Vec<(String, String)>) -> Self {
        let mut by_stem: Vec<u32> = (0..words.len() as u32).collect();
        by_stem.sort_by(|&a, &b| words[a as usize].1.cmp(&words[b as usize].1));
        Self {
            vectors,
            words,
            by_stem,
        }
    }

    /// Word vectors from rows in memory, in the order of `words`.
    pub fn from_rows(words: Vec<(String, String)>, rows: &[Vec<f32>]) -> Self {
        let mut vectors = Embeddings::new(rows.first().map_or(0, Vec::len));
        for row in rows {
            vectors.push(row);
        }
        Self::new(vectors, words)
    }

    /// The row of a stem, if the corpus has a word of it.
    pub fn row_of_stem(&self, stem: &str) -> Option<usize> {
        let i = self
            .by_stem
            .binary_search_by(|&r| self.words[r as usize].1.as_str().cmp(stem))
            .ok()?;
        Some(self.by_stem[i] as usize)
    }

    /// The `k` rows closest to `query` with cosine at least `min`, closest
    /// first, as (row, cosine), skipping rows `skip` refuses (given the word
    /// and its stem).
    pub fn nearest(
        &self,
        query: &[f32],
        k: usize,
        min: f32,
        skip: impl Fn(&str, &str) -> bool,
    ) -> Vec<(usize, f32)> {
        if query.len() != self.vectors.dim {
            return Vec::new();
        }
        let mut hits: Vec<(usize, f32)> = (0..self.words.len())
            .map(|i| (i, self.vectors.dot(i, query)))
            .filter(|&(i, c)| c >= min && !skip(&self.words[i].0, &self.words[i].1))
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(k);
        hits
    }

    /// The word (lower-case, as written) and stem of row `row`.
    pub fn word(&self, row: usize) -> Option<(&str, &str)> {
        self.words.get(row).map(|(w, s)| (w.as_str(), s.as_str()))
    }

    /// The cosine of row `row` with `query` (0 for no such row).
    pub fn cosine(&self, row: usize, query: &[f32]) -> f32 {
        if row < self.len() && query.len() == self.vectors.dim {
            self.vectors.dot(row, query)
        } else {
            0.0
        }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// The vectors of the corpus's words (reused from `cache` by their text, the
/// rest embedded) into both files in `dir`.
pub(crate) fn write(
    dir: &Path,
    passages: &[Passage],
    embedder: &dyn Embedding,
    cache: &mut super::reuse::VectorCache,
    group: usize,
) -> Result<super::reuse::Counts> {
    let words = corpus_words(passages);
    let texts: Vec<&str> = words.iter().map(|(w, _)| w.as_str()).collect();
    let (data, counts) = cache.vectors(&texts, embedder, group, |_| {})?;
    let list = serde_json::to_vec(&words).map_err(|e| Error::Index(e.to_string()))?;
    super::write_file(&dir.join(VECTORS), &data)?;
    super::write_file(&dir.join(LIST), &list)?;
    Ok(counts)
}

/// The word vectors of the generation in `dir`, each with its word: what a
/// rebuild may reuse. They only add to what is reused, so a bad word file
/// costs its words alone (logged), never the generation's other vectors.
pub(crate) fn previous(
    dir: &Path,
    _passages: &[crate::model::Passage],
    dim: usize,
) -> Result<Vec<(String, Vec<f32>)>> {
    let read = || -> Result<Vec<(String, Vec<f32>)>> {
        let Some(words) = read_list(dir)? else {
            return Ok(Vec::new());
        };
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let rows = super::reuse::read_rows(&dir.join(VECTORS), words.len(), dim)?;
        Ok(words.into_iter().map(|(w, _)| w).zip(rows).collect())
    };
    Ok(read().unwrap_or_else(|e| {
        tracing::warn!(dir = %dir.display(), "previous word vectors not reused: {e}");
        Vec::new()
    }))
}

/// The word list of a generation, when it has one.
pub(crate) fn read_list(dir: &Path) -> Result<Option<Vec<(String, String)>>> {
    let path = dir.join(LIST);
    if !path.exists() || !dir.join(VECTORS).exists() {
        return Ok(None);
    }
    let bytes = fs::read(&path).map_err(io_err(&path))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| Error::Index(format!("{} is inconsistent: {e}", path.display())))
}

/// Read the word vectors of a generation; `None` when it has none (an index
/// from before they existed), an error when they are inconsistent.
pub(crate) fn read(dir: &Path, dim: usize) -> Result<Option<WordVectors>> {
    let Some(words) = read_list(dir)? else {
        return Ok(None);
    };
    if words.is_empty() {
        return Ok(Some(WordVectors::new(Embeddings::new(dim), words)));
    }
    let vectors = super::read_embeddings(&dir.join(VECTORS), words.len())?;
    if vectors.dim != dim {
        return Err(Error::Index(format!(
            "word vectors have {} dimensions, passage vectors {dim}",
            vectors.dim
        )));
    }
    Ok(Some(WordVectors::new(vectors, words)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::tests::passage;

    #[test]
    fn one_spelling_per_stem_letters_only() {
        let words = corpus_words(&[
            passage(
                "d",
                1,
                "Responsibilities and responsibility: the responsibilities of a CIO.",
            ),
            passage("d", 2, "x2 42 it résumé Responsibilities"),
        ]);
        let resp: Vec<_> = words
            .iter()
            .filter(|(_, s)| s.starts_with("respons"))
            .collect();
        assert_eq!(resp.len(), 1, "{words:?}");
        assert_eq!(resp[0].0, "responsibilities");
        assert!(words.iter().any(|(w, _)| w == "résumé"));
        assert!(words.iter().all(|(w, _)| w.chars().count() >= MIN_CHARS));
        assert!(!words
            .iter()
            .any(|(w, _)| w == "x2" || w == "42" || w == "it"));
        assert!(words.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn only_the_most_frequent_stems_when_there_are_too_many() {
        let passages = [passage("d", 1, "alpha alpha alpha beta beta gamma delta")];
        let words = most_frequent(&passages, 2);
        assert_eq!(
            words,
            vec![
                ("alpha".to_string(), "alpha".to_string()),
                ("beta".to_string(), "beta".to_string())
            ]
        );
        assert_eq!(most_frequent(&passages, 10).len(), 4);
    }
}
