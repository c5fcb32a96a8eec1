//! The answer/no-answer decision: one logistic score over the signals of a
//! ranked candidate pool (how much of the question the best candidate
//! expresses, how close the closest one is in meaning, how much of the
//! question's vocabulary the corpus has at all).
//!
//! The weights were fitted by logistic regression on the tuning halves of the
//! question banks only (`tests/data/bank/*-tune.json`, `scripts/calibrate.py`
//! over `rolefaq eval --json`), never on the sealed halves; the README lists
//! the figures of both halves.

use super::query::{Understood, CONTENT};
use super::verdict::Concepts;
use super::{figures, Lexicon, Scored};
use crate::model::Decision;

/// Weights of the hybrid decision: intercept, coverage, dense, centred dense,
/// known, unknown words (at most [`UNKNOWN_CAP`]). `scripts/calibrate.py
/// hybrid` with COST=1 (2026-12-01): on the tuning halves 3 of 110 answerable
/// questions refused, 6 of 20 unanswerable ones.
const HYBRID: [f32; 6] = [-0.11, 1.22, 1.41, 3.04, -0.05, -0.65];
/// Weights of the lexical decision (no dense signal): intercept, coverage,
/// known, unknown words. `calibrate.py lexical` with COST=1: 2 of 110
/// refused, 4 of 20.
const LEXICAL: [f32; 4] = [2.12, 1.49, -0.19, -0.75];

/// Unknown words count up to this many (a long message's extra words say
/// nothing more).
const UNKNOWN_CAP: usize = 3;

/// The signals of a ranked pool, undecided.
pub fn signals(lex: &Lexicon, u: &Understood, pool: &[Scored]) -> Decision {
    let mut total = 0.0f32;
    let mut known = 0.0f32;
    let mut content_words = 0;
    let mut unknown_words = 0;
    for c in u.concepts.iter().filter(|c| c.role.is_none()) {
        let has = lex.knows_concept(c);
        total += c.weight;
        if has {
            known += c.weight;
        }
        if c.weight >= CONTENT {
            content_words += 1;
            unknown_words += usize::from(!has);
        }
    }
    Decision {
        answered: false,
        score: 0.0,
        coverage: pool.iter().map(|s| s.coverage).fold(0.0, f32::max),
        dense: pool.iter().map(|s| s.dense).fold(0.0, f32::max),
        dense_centred: pool.iter().map(|s| s.dense_centred).fold(0.0, f32::max),
        known: if total > 0.0 { known / total } else { 1.0 },
        content_words,
        unknown_words,
        no_figure: false,
        unknown_name: None,
    }
}

/// A name in the question the corpus never mentions ("Microsoft", "GDPR",
/// "SAFe"), as written: a content word the corpus lacks that is written as a
/// name (a capital not at the start of the question, or two capitals). The
/// corpus cannot say anything about what it never names.
pub fn unknown_name(lex: &Lexicon, u: &Understood) -> Option<String> {
    let mut names: Vec<(String, &str)> = Vec::new();
    for (i, w) in crate::text::words(&u.text).enumerate() {
        let capitals = w.chars().filter(|c| c.is_uppercase()).count();
        let initial = w.chars().next().is_some_and(char::is_uppercase);
        if capitals >= 2 || (initial && i > 0) {
            names.push((w.to_lowercase(), w));
        }
    }
    u.concepts
        .iter()
        .filter(|c| c.role.is_none() && c.weight >= CONTENT && !lex.knows_concept(c))
        .find_map(|c| {
            names
                .iter()
                .find(|(lower, _)| *lower == c.word)
                .map(|(_, written)| written.to_string())
        })
}

/// An answered question that names something the corpus never mentions
/// ([`unknown_name`]) is refused, naming it.
pub fn require_known_names(mut d: Decision, lex: &Lexicon, u: &Understood) -> Decision {
    if d.answered {
        if let Some(name) = unknown_name(lex, u) {
            d.answered = false;
            d.unknown_name = Some(name);
        }
    }
    d
}

/// Decide whether the pool answers the question; `hybrid` when the dense
/// signal is real (a model and passage vectors).
pub fn decide(mut d: Decision, u: &Understood, pool: &[Scored], hybrid: bool) -> Decision {
    let role_only = !u.concepts.is_empty() && u.concepts.iter().all(|c| c.role.is_some());
    let unknown = d.unknown_words.min(UNKNOWN_CAP) as f32;
    d.score = if pool.is_empty() {
        f32::NEG_INFINITY
    } else if role_only {
        // "what is a CTO?": any passage about the role answers
        1.0
    } else if hybrid {
        let w = HYBRID;
        w[0] + w[1] * d.coverage
            + w[2] * d.dense
            + w[3] * d.dense_centred
            + w[4] * d.known
            + w[5] * unknown
    } else {
        let w = LEXICAL;
        w[0] + w[1] * d.coverage + w[2] * d.known + w[3] * unknown
    };
    d.answered = d.score >= 0.0;
    d
}

/// The candidates of which one must state the figure a question asks for.
pub const FIGURE_WINDOW: usize = 3;

/// An answered question that asks for a figure ([`figure_asked`]) is
/// refused when none of the first [`FIGURE_WINDOW`] candidate `texts` (in
/// rank order) states one ([`figures::states`]) in a sentence about what the
/// question asks the figure of: a sentence that expresses one of its content
/// concepts other than the figure's own words ([`figures::framing`]; "how
/// much does a fractional CISO cost per month" asks about being fractional
/// and cost, and "the first three months" of a new CISO does not answer it).
/// Any figure counts when the question names nothing else.
pub fn require_figure<'a>(
    mut d: Decision,
    u: &Understood,
    texts: impl IntoIterator<Item = &'a str>,
) -> Decision {
    let Some(figure) = figure_asked(u).filter(|_| d.answered) else {
        return d;
    };
    let subject = figure_subject(u);
    let stated = texts
        .into_iter()
        .take(FIGURE_WINDOW)
        .any(|t| states_figure_of(figure, &subject, t));
    if !stated {
        d.answered = false;
        d.no_figure = true;
    }
    d
}

/// The figure the question asks for ([`figures::asked`]), unless it asks
/// "who": "who decides how long records are kept" asks for a role, and its
/// answer names one rather than states a duration.
pub fn figure_asked(u: &Understood) -> Option<figures::Figure> {
    figures::asked(&u.text).filter(|_| !u.asks_who)
}

/// What a figure question asks the figure of: its content concepts other
/// than the figure's own words ([`figures::framing`]).
pub fn figure_subject(u: &Understood) -> Concepts {
    super::content_concepts_but(u, figures::framing)
}

/// Whether a sentence of `text` states a figure of kind `figure` and
/// expresses one of `subject` (any figure when `subject` is empty).
pub fn states_figure_of(figure: figures::Figure, subject: &Concepts, text: &str) -> bool {
    crate::corpus::split::sentences(text).into_iter().any(|s| {
        figures::states(figure, s)
            && (subject.is_empty() || super::verdict::matched(s, subject) > 0)
    })
}

/// Candidates that can answer a figure question come first: among the first
/// [`FIGURE_LIFT`] of `ranked`, those whose text ([`states_figure_of`])
/// states the figure asked for, in their order, then the others. A passage
/// without the figure does not answer "how often", however close it is.
pub fn figures_first<'a, T>(u: &Understood, ranked: &mut [T], text: impl Fn(&T) -> &'a str) {
    let Some(figure) = figure_asked(u) else {
        return;
    };
    let subject = figure_subject(u);
    let n = ranked.len().min(FIGURE_LIFT);
    // a stable sort on one flag keeps the rank order within each group (the
    // flag read once per candidate)
    ranked[..n].sort_by_cached_key(|c| !states_figure_of(figure, &subject, text(c)));
}

/// How far down the ranking a candidate stating the asked figure is lifted from.
pub const FIGURE_LIFT: usize = 10;

/// Why one of the rules above ([`require_known_names`], [`require_figure`])
/// refused the question, in the words the asker is told; `None` when none did.
pub fn rule_refusal(d: &Decision) -> Option<String> {
    match (&d.unknown_name, d.no_figure) {
        (Some(name), _) => Some(format!(
            "The question names \u{201c}{name}\u{201d}, which the corpus never mentions."
        )),
        (None, true) => Some(
            "The question asks for a figure (how much, how many, how long, how often, what year or an average), and the passages closest to it give none about what it asks."
                .to_string(),
        ),
        (None, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::Concept;

    fn understood(concepts: Vec<Concept>) -> Understood {
        Understood {
            text: String::new(),
            concepts,
            roles: Vec::new(),
            asks_who: false,
            asks_definition: false,
            corrections: Vec::new(),
            meanings: Vec::new(),
            search_text: String::new(),
            truncated: false,
        }
    }

    fn concept(word: &str, role: Option<&str>) -> Concept {
        Concept {
            word: word.into(),
            alts: vec![(vec![word.into()], 1.0)],
            role: role.map(String::from),
            weight: 1.0,
        }
    }

    fn scored(coverage: f32, dense: f32) -> Scored {
        Scored {
            ord: 0,
            score: 1.0,
            coverage,
            dense,
            dense_centred: dense,
            bm25: 0.0,
            factor: 1.0,
        }
    }

    fn signals(coverage: f32, dense: f32, known: f32, unknown: usize) -> Decision {
        Decision {
            coverage,
            dense,
            dense_centred: dense,
            known,
            content_words: 2,
            unknown_words: unknown,
            ..Decision::default()
        }
    }

    #[test]
    fn a_name_the_corpus_never_mentions_is_refused_a_known_one_is_not() {
        let lex = Lexicon::build(&[crate::roles::tests::passage(
            "d",
            1,
            "The CTO follows TOGAF and owns the security budget.",
        )]);
        let mut u = understood(vec![
            concept("cto", Some("CTO")),
            concept("gdpr", None),
            concept("togaf", None),
            concept("budget", None),
        ]);
        let answered = Decision {
            answered: true,
            ..Decision::default()
        };
        u.text = "Does the CTO own GDPR and TOGAF budget?".into();
        let d = require_known_names(answered.clone(), &lex, &u);
        assert!(!d.answered);
        assert_eq!(d.unknown_name.as_deref(), Some("GDPR"));
        // written in lower case it is no name; a known name passes
        u.text = "does the cto own gdpr and TOGAF budget?".into();
        assert!(require_known_names(answered.clone(), &lex, &u).answered);
        // the first word of a question is capitalised anyway
        u.text = "Gdpr and the CTO budget?".into();
        assert_eq!(unknown_name(&lex, &u), None);
        // framing words are not what the question asks about
        u.concepts[1].weight = 0.3;
        u.text = "At GDPR Inc, who owns the budget?".into();
        assert_eq!(unknown_name(&lex, &u), None);
    }

    #[test]
    fn a_figure_must_be_stated_about_what_the_question_asks_it_of() {
        let mut u = understood(vec![
            concept("budget", None),
            concept("ciso", Some("CISO")),
            concept("month", None),
        ]);
        u.text = "how much budget does a CISO get per month".into();
        let answered = Decision {
            answered: true,
            ..Decision::default()
        };
        let ask = |u: &Understood, texts: &[&str]| {
            require_figure(answered.clone(), u, texts.iter().copied())
        };
        // a figure about something else (the unit is no subject), and the
        // subject without a figure
        let d = ask(
            &u,
            &[
                "A new CISO spends the first three months listening.",
                "The CISO owns a budget of its own.",
            ],
        );
        assert!(!d.answered && d.no_figure);
        // the figure and the subject in one sentence
        assert!(ask(&u, &["It listens. The CISO budget is 40,000 dollars."]).answered);
        // in different sentences of one passage they are not one statement
        assert!(!ask(&u, &["The CISO has a budget. It stays three months."]).answered);
        // only the first candidates count
        let far = ["a", "b", "c", "The budget is 40,000 dollars."];
        assert!(!ask(&u, &far).answered);
        // a question naming nothing but the figure takes any figure
        u.concepts.retain(|c| c.word != "budget");
        u.text = "how many months does a CISO get".into();
        assert!(ask(&u, &["A new CISO spends the first three months listening."]).answered);
        // a question that asks for no figure is left alone
        u.text = "what does a CISO do".into();
        assert!(ask(&u, &["The CISO listens."]).answered);
    }

    #[test]
    fn candidates_stating_the_figure_asked_for_come_first_in_their_order() {
        let mut u = understood(vec![concept("board", None)]);
        u.text = "how often does the CISO brief the board".into();
        let texts = [
            "The CISO has access to the board.",
            "The CISO briefs the board quarterly.",
            "The board meets every month.",
            "Metrics are reported.",
        ];
        let mut ranked: Vec<usize> = (0..texts.len()).collect();
        figures_first(&u, &mut ranked, |&i| texts[i]);
        assert_eq!(ranked, [1, 2, 0, 3]);
        // beyond the lift window nothing moves up
        let many: Vec<&str> = (0..FIGURE_LIFT)
            .map(|_| "The board listens.")
            .chain(["The board meets quarterly."])
            .collect();
        let mut ranked: Vec<usize> = (0..many.len()).collect();
        figures_first(&u, &mut ranked, |&i| many[i]);
        assert_eq!(ranked, (0..many.len()).collect::<Vec<_>>());
        // nor does a "who" question with a figure inside: it asks for a role
        u.text = "who decides how often the CISO briefs the board".into();
        u.asks_who = true;
        let mut ranked: Vec<usize> = (0..texts.len()).collect();
        figures_first(&u, &mut ranked, |&i| texts[i]);
        assert_eq!(ranked, [0, 1, 2, 3]);
        let answered = Decision {
            answered: true,
            ..Decision::default()
        };
        assert!(require_figure(answered, &u, texts[..1].iter().copied()).answered);
        // a question asking for no figure keeps its order
        u.text = "who briefs the board".into();
        let mut ranked: Vec<usize> = (0..texts.len()).collect();
        figures_first(&u, &mut ranked, |&i| texts[i]);
        assert_eq!(ranked, [0, 1, 2, 3]);
    }

    #[test]
    fn an_empty_pool_is_refused_and_a_role_alone_is_answered() {
        let u = understood(vec![concept("budget", None)]);
        assert!(!decide(signals(1.0, 1.0, 1.0, 0), &u, &[], true).answered);
        let role = understood(vec![concept("cto", Some("CTO"))]);
        assert!(decide(signals(0.0, 0.0, 0.0, 0), &role, &[scored(0.0, 0.0)], false).answered);
    }

    #[test]
    fn more_evidence_never_lowers_the_score() {
        let u = understood(vec![concept("budget", None)]);
        let pool = [scored(0.5, 0.5)];
        for hybrid in [true, false] {
            let low = decide(signals(0.2, 0.3, 0.5, 2), &u, &pool, hybrid).score;
            let more_cover = decide(signals(0.9, 0.3, 0.5, 2), &u, &pool, hybrid).score;
            let fewer_unknown = decide(signals(0.2, 0.3, 0.5, 0), &u, &pool, hybrid).score;
            assert!(more_cover > low && fewer_unknown > low, "{hybrid}");
        }
        let closer = decide(signals(0.2, 0.8, 0.5, 2), &u, &pool, true).score;
        assert!(closer > decide(signals(0.2, 0.3, 0.5, 2), &u, &pool, true).score);
        // a full match is answered, nothing in common is refused
        assert!(decide(signals(1.0, 0.7, 1.0, 0), &u, &pool, true).answered);
        assert!(!decide(signals(0.0, 0.1, 0.0, 3), &u, &pool, true).answered);
        assert!(!decide(signals(0.0, 0.0, 0.0, 3), &u, &pool, false).answered);
    }
}
