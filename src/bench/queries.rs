//! The benchmark's questions: a file of them, or keyword queries generated
//! from the corpus with a seeded generator.

use super::*;

/// Words that make poor generated queries (and are dropped from FTS5 queries).
pub(super) const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "by", "with",
    "from", "about", "as", "into", "than", "then", "so", "if", "is", "are", "was", "were", "be",
    "been", "am", "do", "does", "did", "have", "has", "had", "who", "whom", "what", "which",
    "when", "where", "why", "how", "this", "that", "these", "those", "it", "its", "they", "them",
    "their", "there", "he", "she", "his", "her", "i", "me", "my", "we", "us", "our", "you", "your",
    "can", "could", "should", "would", "will", "shall", "may", "might", "must", "not", "no", "yes",
    "any", "some", "all", "both", "each", "other", "such", "very", "also", "more", "most", "only",
    "into", "used", "uses", "using", "use", "provides", "package", "contains", "which", "based",
    "other", "well", "many", "like", "within",
];

pub(crate) fn is_stop(word: &str) -> bool {
    STOP.contains(&word)
}

/// The distinct content words of a question, lower-cased, in order: what the
/// peer searches for, and what our plain BM25 retrieval searches for too.
pub(crate) fn content_words(question: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in crate::text::words(question) {
        let w = w.to_lowercase();
        if !is_stop(&w) && !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

/// splitmix64: a tiny, stable PRNG (the generated queries must not change
/// between releases of a dependency).
pub(super) struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `n` keyword queries of 2–4 content words each, sampled with `seed` from
/// random passages (words kept in their order in the passage). Deterministic.
pub fn generate_queries(passages: &[Passage], n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    let mut attempts = 0;
    while out.len() < n && attempts < n * 20 && !passages.is_empty() {
        attempts += 1;
        let p = &passages[rng.below(passages.len())];
        let mut words: Vec<String> = Vec::new();
        for w in crate::text::words(&p.text) {
            let w = w.to_lowercase();
            if w.chars().count() >= 4
                && w.chars().all(|c| c.is_alphabetic())
                && !is_stop(&w)
                && !words.contains(&w)
            {
                words.push(w);
            }
        }
        if words.len() < 2 {
            continue;
        }
        let k = (2 + rng.below(3)).min(words.len());
        let mut picks: Vec<usize> = Vec::with_capacity(k);
        while picks.len() < k {
            let i = rng.below(words.len());
            if !picks.contains(&i) {
                picks.push(i);
            }
        }
        picks.sort_unstable();
        let q: Vec<&str> = picks.iter().map(|&i| words[i].as_str()).collect();
        out.push(q.join(" "));
    }
    out
}

/// Questions from a file: a JSON array of strings or of objects with `q`, or
/// one question per line (blank lines and `#` comments skipped).
pub fn load_queries(path: &Path) -> Result<Vec<String>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let bad = |reason: String| BenchError::Queries {
        path: path.display().to_string(),
        reason,
    };
    let qs: Vec<String> = if text.trim_start().starts_with('[') {
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        v.iter()
            .map(|e| match e {
                serde_json::Value::String(s) => Some(s.clone()),
                other => other.get("q").and_then(|q| q.as_str()).map(String::from),
            })
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| bad("entries must be strings or objects with a \"q\" string".into()))?
    } else {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect()
    };
    if qs.is_empty() {
        return Err(bad("no questions".into()));
    }
    Ok(qs)
}
