//! Question words the corpus never uses, matched to corpus words by meaning.
//! "cto duties" finds nothing by spelling in a corpus that says
//! "responsibilities"; the model's vector of "duties" lies close to that of
//! "responsibilities", so the corpus word joins the question word as an
//! alternative, weighed like a synonym. Only words with no alternative the
//! corpus knows are looked up: a known word is never diluted.

use super::query::{self, Understood, Vocabulary};
use super::Lexicon;
use crate::index::words::WordVectors;

/// The weight of a word found by meaning, as of a synonym entry.
const NEIGHBOUR_WEIGHT: f32 = 0.6;

/// The concepts to look up by meaning: not a role, a word of letters only of
/// three or more, and no alternative whose stems the corpus all knows.
pub fn unknown_concepts(u: &Understood, lex: &Lexicon) -> Vec<usize> {
    u.concepts
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.role.is_none()
                && c.word.chars().count() >= 3
                && c.word.chars().all(char::is_alphabetic)
                && c.alts
                    .iter()
                    .all(|(s, _)| s.is_empty() || s.iter().any(|s| lex.doc_freq(s) == 0))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Add to concept `i` of `u` the corpus words closest to `vector` (the
/// concept word's embedding): at most `k`, each of cosine at least `min`, no
/// stop word, role name or stem the concept already has.
pub fn add_neighbours(
    u: &mut Understood,
    i: usize,
    vector: &[f32],
    words: &WordVectors,
    roles: &std::collections::HashMap<String, String>,
    k: usize,
    min: f32,
) {
    let Some(c) = u.concepts.get_mut(i) else {
        return;
    };
    let near = words.nearest(vector, k, min, |word, stem| {
        query::is_stop_word(word)
            || roles.contains_key(stem)
            || c.alts.iter().any(|(s, _)| s.len() == 1 && s[0] == stem)
    });
    for (_, stem, _) in near {
        c.alts.push((vec![stem], NEIGHBOUR_WEIGHT));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::tests::passage;
    use std::collections::{BTreeMap, HashMap};

    fn unit(i: usize) -> Vec<f32> {
        let mut v = vec![0.0; 4];
        v[i] = 1.0;
        v
    }

    #[test]
    fn an_unknown_word_gains_the_close_corpus_words_only() {
        let lex = Lexicon::build(&[
            passage("d", 1, "The CTO has responsibilities."),
            passage("d", 2, "Some combine the CIO and CTO roles."),
        ]);
        let words = WordVectors::from_rows(
            vec![
                ("cio".into(), "cio".into()),
                ("combine".into(), "combin".into()),
                ("responsibilities".into(), "respons".into()),
                ("the".into(), "the".into()),
            ],
            &[unit(0), unit(1), unit(0), unit(0)],
        );
        let roles: query::RoleAliases = [("cto", "CTO"), ("cio", "CIO")]
            .into_iter()
            .map(|(a, r)| (a.to_string(), r.to_string()))
            .collect();
        let role_stems: HashMap<String, String> = [("cio".to_string(), "CIO".to_string())].into();
        let understood =
            |q: &str| query::understand(q, false, &BTreeMap::new(), &roles, &lex, false);

        let mut u = understood("cto duties");
        let unknown = unknown_concepts(&u, &lex);
        assert_eq!(unknown.len(), 1);
        assert_eq!(u.concepts[unknown[0]].word, "duties");
        add_neighbours(&mut u, unknown[0], &unit(0), &words, &role_stems, 3, 0.7);
        // not the stop word "the" nor the role "cio", though as close
        let alts = &u.concepts[unknown[0]].alts;
        assert_eq!(alts.len(), 2, "{alts:?}");
        assert_eq!(alts[1], (vec!["respons".to_string()], NEIGHBOUR_WEIGHT));

        // nothing close enough: nothing added
        let mut u = understood("cto duties");
        let halfway: Vec<f32> = vec![0.6, 0.0, 0.0, 0.8];
        add_neighbours(&mut u, unknown[0], &halfway, &words, &role_stems, 3, 0.7);
        assert_eq!(u.concepts[unknown[0]].alts.len(), 1);

        // words the corpus has, and roles, are not looked up
        let u = understood("cto responsibilities");
        assert!(unknown_concepts(&u, &lex).is_empty());
    }
}
