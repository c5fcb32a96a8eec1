//! How much each word the question is about carries its meaning. Framing
//! words of the asking clause ("main", "deal", "directly", "differ") are as
//! rare in the corpus as its topic words ("stakeholders", "customers",
//! "security"), so IDF alone weighs them alike, and a passage that happens to
//! say "main" or "directly" outranks the one about stakeholders or customers.
//! With the model, the corpus's vector of each such word is compared with the
//! question's own vector: the topic words lie close to it (cosine ~0.3–0.6),
//! the framing words far (~0–0.2). Each content word's coverage weight is
//! scaled by its cosine relative to the closest one, never below
//! [`FLOOR`]. Roles, phrases, words the corpus has no vector for, and the
//! framing around the asking clause (already weighed down by
//! [`super::focus`]) keep their weight. The coverage so weighted ranks, and is
//! the coverage the answer/no-answer decision reads; its share of known words
//! and its count of content words read the words unscaled. Hybrid mode only.

use super::query::Understood;
use crate::index::words::WordVectors;

/// The least share of its weight a content word keeps.
pub const FLOOR: f32 = 0.3;

/// Per concept of `u`, the factor of its coverage weight (1 where it is
/// not scaled); all 1 when no content word has a vector close to the question.
pub fn emphasis(u: &Understood, words: &WordVectors, question: &[f32]) -> Vec<f32> {
    let cosines: Vec<Option<f32>> = u
        .concepts
        .iter()
        .map(|c| {
            if c.role.is_some() || c.weight < super::query::CONTENT {
                return None;
            }
            match c.alts.first().map(|(stems, _)| stems.as_slice()) {
                Some([stem]) => words
                    .row_of_stem(stem)
                    .map(|row| words.cosine(row, question).max(0.0)),
                _ => None,
            }
        })
        .collect();
    let closest = cosines.iter().flatten().copied().fold(0.0f32, f32::max);
    cosines
        .into_iter()
        .map(|c| match c {
            Some(c) if closest > 0.0 => (c / closest).max(FLOOR),
            _ => 1.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::Concept;

    fn concept(word: &str, role: bool, weight: f32) -> Concept {
        Concept {
            word: word.into(),
            alts: vec![(vec![word.into()], 1.0)],
            role: role.then(|| word.to_uppercase()),
            weight,
        }
    }

    fn understood(concepts: Vec<Concept>) -> Understood {
        Understood {
            concepts,
            ..Understood::default()
        }
    }

    /// Unit vectors in 3 dimensions: "stakehold" along the question,
    /// "main" mostly across it, "boss" (framing) and "cio" (a role) anywhere.
    fn words() -> WordVectors {
        let rows = vec![
            vec![0.0, 1.0, 0.0],
            vec![0.0, 0.0, 1.0],
            vec![0.2, 0.98, 0.0],
            vec![0.9, 0.0, 0.436],
        ];
        let words = vec![
            ("boss".into(), "boss".into()),
            ("cio".into(), "cio".into()),
            ("main".into(), "main".into()),
            ("stakeholders".into(), "stakehold".into()),
        ];
        WordVectors::from_rows(words, &rows)
    }

    #[test]
    fn topic_words_keep_their_weight_and_framing_words_of_the_question_lose_most_of_it() {
        let u = understood(vec![
            concept("boss", false, 0.3),
            concept("cio", true, 1.0),
            concept("main", false, 1.0),
            concept("stakehold", false, 1.0),
            concept("unheard", false, 1.0),
        ]);
        let e = emphasis(&u, &words(), &[1.0, 0.0, 0.0]);
        assert_eq!(e.len(), 5);
        assert_eq!(e[0], 1.0, "framing around the question is left to focus");
        assert_eq!(e[1], 1.0, "roles are not scaled");
        assert!(
            (e[2] - FLOOR).abs() < 1e-6,
            "cosine 0.2 of the closest's 0.9: {e:?}"
        );
        assert!(
            (e[3] - 1.0).abs() < 1e-6,
            "the closest word keeps it all: {e:?}"
        );
        assert_eq!(e[4], 1.0, "no vector, no scaling");
    }

    #[test]
    fn a_word_far_from_the_question_keeps_the_floor_and_no_close_word_scales_nothing() {
        let u = understood(vec![
            concept("main", false, 1.0),
            concept("stakehold", false, 1.0),
        ]);
        let e = emphasis(&u, &words(), &[0.0, 0.0, 1.0]);
        assert_eq!(e[0], FLOOR, "{e:?}");
        assert_eq!(e[1], 1.0, "{e:?}");
        assert_eq!(emphasis(&u, &words(), &[0.0, -1.0, 0.0]), vec![1.0, 1.0]);
    }
}
