//! Question words the corpus never uses, matched to corpus words by meaning.
//! "cto duties" finds nothing by spelling in a corpus that says
//! "responsibilities"; the model's vector of "duties" lies close to that of
//! "responsibilities", so the corpus word joins the question word as an
//! alternative, weighed like a synonym. Only words with no alternative the
//! corpus knows are looked up: a known word is never diluted. A word close in
//! meaning may be close for a sense the question does not use ("lights" and
//! "LED", "biggest" and "large"), so each must also be somewhat close to the
//! question as a whole.

use super::query::{self, Understood};
use super::Lexicon;
use crate::index::words::WordVectors;

/// The weight of a word found by meaning, as of a synonym entry.
const NEIGHBOUR_WEIGHT: f32 = 0.6;

/// Question words looked up by meaning at most: each costs an embedding, and a
/// long message of made-up words must not cost one per word.
pub const MAX_LOOKUPS: usize = 8;

/// The concepts to look up by meaning, in question order: not a role, a word
/// of letters only of three or more, and no alternative whose stems the
/// corpus all knows. At most `max`: the weightiest, and of equal weight the
/// later ones (a message that opens with context ends with its question).
pub fn unknown_concepts(u: &Understood, lex: &Lexicon, max: usize) -> Vec<usize> {
    let mut found: Vec<usize> = u
        .concepts
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.role.is_none()
                && c.word.chars().count() >= 3
                && c.word.chars().all(char::is_alphabetic)
                && !lex.knows_concept(c)
        })
        .map(|(i, _)| i)
        .collect();
    if found.len() > max {
        found.sort_by(|&a, &b| {
            u.concepts[b]
                .weight
                .total_cmp(&u.concepts[a].weight)
                .then(b.cmp(&a))
        });
        found.truncate(max);
        found.sort_unstable();
    }
    found
}

/// How words are matched by meaning (`[search]` settings).
#[derive(Debug, Clone, Copy)]
pub struct MeaningParams {
    /// At most this many corpus words per question word.
    pub neighbours: usize,
    /// The least cosine of a corpus word's vector with the question word's.
    pub similarity: f32,
    /// The least cosine of a corpus word's vector with the whole question's.
    pub context: f32,
}

/// Add to concept `i` of `u` the corpus words closest to `word` (the concept
/// word's embedding): of the `p.neighbours` nearest of cosine at least
/// `p.similarity` (no stop word, role name or stem the concept already has),
/// those of cosine at least `p.context` with `question`, the embedding of the
/// whole question (when known).
pub fn add_neighbours(
    u: &mut Understood,
    i: usize,
    word: &[f32],
    question: Option<&[f32]>,
    words: &WordVectors,
    roles: &std::collections::HashMap<String, String>,
    p: MeaningParams,
) {
    let Some(c) = u.concepts.get_mut(i) else {
        return;
    };
    let near = words.nearest(word, p.neighbours, p.similarity, |word, stem| {
        query::is_stop_word(word)
            || roles.contains_key(stem)
            || c.alts.iter().any(|(s, _)| s.len() == 1 && s[0] == stem)
    });
    let mut found = Vec::new();
    for (row, _) in near {
        if question.is_some_and(|q| words.cosine(row, q) < p.context) {
            continue;
        }
        if let Some((written, stem)) = words.word(row) {
            c.alts.push((vec![stem.to_string()], NEIGHBOUR_WEIGHT));
            found.push((c.word.clone(), written.to_string()));
        }
    }
    u.meanings.extend(found);
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
        let unknown = unknown_concepts(&u, &lex, MAX_LOOKUPS);
        assert_eq!(unknown.len(), 1);
        assert_eq!(u.concepts[unknown[0]].word, "duties");
        let p = MeaningParams {
            neighbours: 3,
            similarity: 0.7,
            context: 0.15,
        };
        add_neighbours(&mut u, unknown[0], &unit(0), None, &words, &role_stems, p);
        // not the stop word "the" nor the role "cio", though as close
        let alts = &u.concepts[unknown[0]].alts;
        assert_eq!(alts.len(), 2, "{alts:?}");
        assert_eq!(alts[1], (vec!["respons".to_string()], NEIGHBOUR_WEIGHT));
        assert_eq!(
            u.meanings,
            vec![("duties".to_string(), "responsibilities".to_string())]
        );

        // nothing close enough: nothing added
        let mut u = understood("cto duties");
        let halfway: Vec<f32> = vec![0.6, 0.0, 0.0, 0.8];
        add_neighbours(&mut u, unknown[0], &halfway, None, &words, &role_stems, p);
        assert_eq!(u.concepts[unknown[0]].alts.len(), 1);

        // close to the word but not to the question: not added
        let mut u = understood("cto duties");
        let question = unit(3);
        add_neighbours(
            &mut u,
            unknown[0],
            &unit(0),
            Some(&question),
            &words,
            &role_stems,
            p,
        );
        assert_eq!(u.concepts[unknown[0]].alts.len(), 1);
        let question = vec![0.8, 0.0, 0.0, 0.6];
        add_neighbours(
            &mut u,
            unknown[0],
            &unit(0),
            Some(&question),
            &words,
            &role_stems,
            p,
        );
        assert_eq!(u.concepts[unknown[0]].alts.len(), 2);

        // words the corpus has, and roles, are not looked up
        let u = understood("cto responsibilities");
        assert!(unknown_concepts(&u, &lex, MAX_LOOKUPS).is_empty());
    }

    #[test]
    fn at_most_the_weightiest_and_latest_unknown_words_are_looked_up() {
        let lex = Lexicon::build(&[passage("d", 1, "The CTO has responsibilities.")]);
        let roles: query::RoleAliases = [("cto".to_string(), "CTO".to_string())].into();
        let mut u = query::understand(
            "zorbs quiffle glamp snerd cto",
            false,
            &BTreeMap::new(),
            &roles,
            &lex,
            false,
        );
        let words = |ix: &[usize], u: &Understood| -> Vec<String> {
            ix.iter().map(|&i| u.concepts[i].word.clone()).collect()
        };
        let all = unknown_concepts(&u, &lex, MAX_LOOKUPS);
        assert_eq!(words(&all, &u), ["zorbs", "quiffle", "glamp", "snerd"]);
        // two of four: the last two, in question order
        assert_eq!(
            words(&unknown_concepts(&u, &lex, 2), &u),
            ["glamp", "snerd"]
        );
        // a weightier word is kept before later ones
        let first = all[0];
        u.concepts[first].weight = 2.0;
        assert_eq!(
            words(&unknown_concepts(&u, &lex, 2), &u),
            ["zorbs", "snerd"]
        );
        assert!(unknown_concepts(&u, &lex, 0).is_empty());
    }
}
