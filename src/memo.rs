//! Embeddings of recently seen texts, kept so that a text asked again (a
//! question paged through, a word looked up by meaning in every question that
//! uses it) is not embedded again. Bounded: the least recently used text is
//! forgotten first. Stands on the [`Embedding`] trait only.

use crate::vector::Embedding;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;

/// A bounded map from text to its embedding.
pub struct VectorMemo {
    vectors: Mutex<LruCache<String, Vec<f32>>>,
}

impl VectorMemo {
    /// A memo of at most `capacity` texts (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            vectors: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The embedding of one question-like text (`None` when the model fails).
    pub fn vector(&self, e: &dyn Embedding, text: &str) -> Option<Vec<f32>> {
        self.vectors(e, &[text]).pop().flatten()
    }

    /// The embeddings of `texts`, in their order: those not remembered are
    /// embedded together, in one call to [`Embedding::embed_queries`]. Each
    /// is `None` when the model failed for it.
    pub fn vectors(&self, e: &dyn Embedding, texts: &[&str]) -> Vec<Option<Vec<f32>>> {
        let mut out: Vec<Option<Vec<f32>>> = match self.vectors.lock() {
            Ok(mut memo) => texts.iter().map(|t| memo.get(*t).cloned()).collect(),
            Err(_) => vec![None; texts.len()],
        };
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        if missing.is_empty() {
            return out;
        }
        let asked: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
        let Ok(embedded) = e.embed_queries(&asked) else {
            return out;
        };
        let mut memo = self.vectors.lock().ok();
        for (&i, v) in missing.iter().zip(embedded) {
            if let Some(memo) = memo.as_mut() {
                memo.put(texts[i].to_string(), v.clone());
            }
            out[i] = Some(v);
        }
        out
    }

    /// Forget every embedding (benchmarks time new questions with it).
    pub fn clear(&self) {
        if let Ok(mut memo) = self.vectors.lock() {
            memo.clear();
        }
    }

    /// How many texts are remembered.
    pub fn len(&self) -> usize {
        self.vectors.lock().map_or(0, |m| m.len())
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the texts it embeds and the calls made; "fail" fails a call.
    #[derive(Default)]
    struct Counting {
        texts: AtomicUsize,
        calls: AtomicUsize,
    }

    impl Embedding for Counting {
        fn name(&self) -> String {
            "counting".into()
        }
        fn dim(&self) -> usize {
            1
        }
        fn embed_batch(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if texts.contains(&"fail") {
                return Err(crate::Error::Model("asked to fail".into()));
            }
            self.texts.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts.iter().map(|t| vec![t.len() as f32]).collect())
        }
        // one call for many, as the real model's
        fn embed_queries(&self, texts: &[&str]) -> crate::Result<Vec<Vec<f32>>> {
            self.embed_batch(texts)
        }
    }

    #[test]
    fn texts_not_remembered_are_embedded_together_once() {
        let e = Counting::default();
        let memo = VectorMemo::new(8);
        let v = memo.vectors(&e, &["ab", "abcd", "abc"]);
        assert_eq!(v, vec![Some(vec![2.0]), Some(vec![4.0]), Some(vec![3.0])]);
        assert_eq!(e.calls.load(Ordering::SeqCst), 1);
        // asked again, with one new text: only that one is embedded
        let v = memo.vectors(&e, &["abc", "x", "ab"]);
        assert_eq!(v, vec![Some(vec![3.0]), Some(vec![1.0]), Some(vec![2.0])]);
        assert_eq!(e.texts.load(Ordering::SeqCst), 4);
        assert_eq!(e.calls.load(Ordering::SeqCst), 2);
        // all remembered: the model is not called
        assert_eq!(memo.vector(&e, "abcd"), Some(vec![4.0]));
        assert_eq!(e.calls.load(Ordering::SeqCst), 2);
        assert_eq!(memo.len(), 4);
    }

    #[test]
    fn the_least_recently_used_text_is_forgotten_first() {
        let e = Counting::default();
        let memo = VectorMemo::new(2);
        memo.vector(&e, "a");
        memo.vector(&e, "bb");
        memo.vector(&e, "a"); // "a" used last: "bb" goes next
        memo.vector(&e, "ccc");
        assert_eq!(memo.len(), 2);
        assert_eq!(e.texts.load(Ordering::SeqCst), 3);
        memo.vector(&e, "a");
        assert_eq!(e.texts.load(Ordering::SeqCst), 3, "\"a\" was forgotten");
        memo.vector(&e, "bb");
        assert_eq!(e.texts.load(Ordering::SeqCst), 4, "\"bb\" was remembered");
        memo.clear();
        assert!(memo.is_empty());
    }

    #[test]
    fn a_failing_model_gives_no_vectors_and_remembers_nothing() {
        let e = Counting::default();
        let memo = VectorMemo::new(4);
        assert_eq!(memo.vectors(&e, &["ok", "fail"]), vec![None, None]);
        assert!(memo.is_empty());
        // a zero capacity still makes a working memo of one
        let one = VectorMemo::new(0);
        assert_eq!(one.vector(&e, "ok"), Some(vec![2.0]));
        assert_eq!(one.len(), 1);
    }
}
