//! Answer quality: the shared dev set and our own questions by category
//! (paraphrases, typos, role aliases, unanswerable), lexical ranking.

use crate::common;

use common::Sandbox;
use rolefaq::eval::{evaluate, Judged};
use rolefaq::model::Answer;
use rolefaq::service::{AskOptions, Service};

fn load(name: &str) -> Vec<Judged> {
    let p = common::repo().join("tests/data").join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn service() -> (Sandbox, Service) {
    let sb = Sandbox::new();
    let svc = Service::open(sb.settings()).unwrap();
    (sb, svc)
}

const FIVE: AskOptions = AskOptions { top: 5, offset: 0 };

#[test]
fn dev_set_meets_the_bar() {
    let (_sb, svc) = service();
    let r = evaluate(&load("dev-questions.json"), |q| svc.ask(q, FIVE)).unwrap();
    let misses: Vec<_> = r
        .results
        .iter()
        .filter(|q| !q.correct)
        .map(|q| &q.q)
        .collect();
    assert!(misses.is_empty(), "not in the top 3: {misses:?}");
    assert!(r.s_at_1 >= 0.9, "S@1 {}", r.s_at_1);
}

#[test]
fn own_questions_by_category() {
    let (_sb, svc) = service();
    let qs = load("quality-questions.json");
    let r = evaluate(&qs, |q| svc.ask(q, FIVE)).unwrap();
    let rate = |prefix: &str| {
        let sel: Vec<_> = r
            .results
            .iter()
            .filter(|q| q.id.starts_with(prefix))
            .collect();
        sel.iter().filter(|q| q.correct).count() as f64 / sel.len() as f64
    };
    assert!(
        rate("p") >= 0.85,
        "paraphrases {} {:#?}",
        rate("p"),
        r.results
    );
    assert!(rate("t") >= 0.99, "typos {}", rate("t"));
    assert_eq!(rate("n"), 1.0, "unanswerable questions must get no answer");
}

#[test]
fn typos_are_corrected_against_the_index_vocabulary() {
    let (_sb, svc) = service();
    let explained = svc.explain("who ownes cybersecurty?");
    assert!(explained.contains("corrected cybersecurty"), "{explained}");
    let a = svc.ask("who ownes cybersecurty?", FIVE).unwrap();
    assert!(!a.no_answer);
    assert!(a.results[..3]
        .iter()
        .any(|h| h.text.to_lowercase().contains("security")));
}

#[test]
fn role_aliases_mean_the_same_role() {
    let (_sb, svc) = service();
    let short = svc.ask("what does the CTO do?", FIVE).unwrap();
    let long = svc
        .ask("what does the chief technology officer do?", FIVE)
        .unwrap();
    let lower = svc.ask("what does the cto do?", FIVE).unwrap();
    assert_eq!(short.results[0].passage_id, lower.results[0].passage_id);
    let ids = |a: &rolefaq::model::Answer| {
        a.results
            .iter()
            .map(|h| h.passage_id.clone())
            .collect::<Vec<_>>()
    };
    let overlap = ids(&short)
        .iter()
        .filter(|i| ids(&long).contains(i))
        .count();
    assert!(overlap >= 2, "{:?} vs {:?}", ids(&short), ids(&long));
}

#[test]
fn the_top_three_prefer_distinct_sources_and_no_duplicates() {
    let (_sb, svc) = service();
    for q in [
        "who owns cybersecurity?",
        "Who leads product development?",
        "What is the main goal of the CIO?",
    ] {
        let a = svc.ask(q, FIVE).unwrap();
        let docs: std::collections::HashSet<_> =
            a.results[..3].iter().map(|h| h.doc.clone()).collect();
        assert!(docs.len() >= 2, "{q}: top 3 from one source");
        let texts: std::collections::HashSet<_> =
            a.results.iter().map(|h| h.text.clone()).collect();
        assert_eq!(texts.len(), a.results.len(), "{q}: duplicate passages");
    }
}

#[test]
fn best_sentences_are_verbatim_and_highlighted() {
    let (_sb, svc) = service();
    let a = svc.ask("who sets the technical roadmap?", FIVE).unwrap();
    for h in &a.results {
        if !h.text.starts_with('|') {
            assert!(
                h.text.contains(&h.best),
                "best sentences are a verbatim span"
            );
        }
        for &(s, e) in &h.highlights {
            assert!(e <= h.best.len() && s < e);
        }
    }
    assert!(a.results[0].best.to_lowercase().contains("roadmap"));
    assert!(!a.results[0].highlights.is_empty());
}

/// The second page of three continues the first six results; both returned.
fn second_page_continues_the_first(svc: &Service) -> (Answer, Answer) {
    let all = svc
        .ask("who owns cybersecurity?", AskOptions { top: 6, offset: 0 })
        .unwrap();
    let page2 = svc
        .ask("who owns cybersecurity?", AskOptions { top: 3, offset: 3 })
        .unwrap();
    assert_eq!(page2.results[0].passage_id, all.results[3].passage_id);
    (all, page2)
}

#[test]
fn pagination_continues_the_ranking() {
    let (_sb, svc) = service();
    let (all, page2) = second_page_continues_the_first(&svc);
    assert_eq!(page2.results[0].rank, 4);
    assert_eq!(page2.total, all.total);
}

#[test]
fn who_questions_get_a_role_verdict_with_counts() {
    let (_sb, svc) = service();
    let a = svc.ask("who owns cybersecurity?", FIVE).unwrap();
    let v = a.verdict.expect("a verdict for a who-question");
    assert_eq!(v.shares[0].role, "CIO");
    assert!(v.shares[0].sources >= 2);
    assert!(
        v.summary.starts_with("Mostly the CIO") || v.summary.starts_with("The CIO"),
        "{}",
        v.summary
    );
    // the CTO's product-security share is reported, not hidden
    assert!(v.shares.iter().any(|s| s.role == "CTO"), "{}", v.summary);
    assert!(v.disagreement);
    let a = svc.ask("Who leads product development?", FIVE).unwrap();
    assert_eq!(a.verdict.unwrap().shares[0].role, "CTO");
    // not a who-question: no verdict
    assert!(svc
        .ask("What does CTO stand for?", FIVE)
        .unwrap()
        .verdict
        .is_none());
}

#[test]
fn hybrid_ranking_meets_the_bar_and_pages_consistently() {
    let sb = Sandbox::new();
    let mut settings = sb.settings();
    settings.model.enabled = true;
    settings.model.dir = common::repo().join("models/all-MiniLM-L6-v2");
    assert!(
        settings.model.dir.join("model.safetensors").exists(),
        "run scripts/fetch-model.sh first"
    );
    let svc = Service::open(settings).unwrap();
    assert!(
        svc.hybrid(),
        "passage embeddings stored and the model loaded"
    );
    let dev = evaluate(&load("dev-questions.json"), |q| svc.ask(q, FIVE)).unwrap();
    assert!(dev.results.iter().all(|q| q.correct), "{:#?}", dev.results);
    assert!(dev.s_at_1 >= 0.9, "S@1 {}", dev.s_at_1);
    let own = evaluate(&load("quality-questions.json"), |q| svc.ask(q, FIVE)).unwrap();
    assert!(own.s_at_3 >= 0.95, "own questions S@3 {}", own.s_at_3);
    // a paraphrase with little word overlap still finds the security passages
    let a = svc
        .ask("Who guards the company's data against hackers?", FIVE)
        .unwrap();
    assert!(!a.no_answer);
    assert!(a.results[..3]
        .iter()
        .any(|h| h.text.to_lowercase().contains("secur")));
    // the second page (cached question embedding) continues the first
    second_page_continues_the_first(&svc);
}

#[test]
fn a_role_the_corpus_never_mentions_gets_no_answer() {
    let (_sb, svc) = service();
    let a = svc.ask("who is the CISO?", FIVE).unwrap();
    assert!(a.no_answer);
    assert!(a
        .suggestion
        .unwrap()
        .contains("says nothing about the CISO"));
    // a role it does mention still answers
    assert!(!svc.ask("who is the CTO?", FIVE).unwrap().no_answer);
}

/// A role named only by its title, in any case, which no built-in or corpus
/// role is: refused and named; another spelling of a role the corpus has is
/// that role.
#[test]
fn a_title_the_corpus_never_mentions_gets_no_answer_and_is_named() {
    let (_sb, svc) = service();
    let a = svc
        .ask("how is a chief digital officer different from a cio", FIVE)
        .unwrap();
    assert!(a.no_answer, "{:?}", a.results.first());
    assert!(
        a.suggestion
            .as_deref()
            .is_some_and(|s| s.contains("says nothing about the Chief Digital Officer")),
        "{:?}",
        a.suggestion
    );
    let cto = svc
        .ask("what does a chief technical officer do", FIVE)
        .unwrap();
    assert!(!cto.no_answer, "{:?}", cto.suggestion);
}

/// A stand-in model with three directions: texts about hiring, one made-up
/// question that shares no word with the corpus, and everything else.
struct Directions;

impl rolefaq::index::Embedding for Directions {
    fn name(&self) -> String {
        "directions".into()
    }
    fn dim(&self) -> usize {
        3
    }
    fn embed_batch(&self, texts: &[&str]) -> rolefaq::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                if t.contains("hiring") || t.contains("zorbly") {
                    vec![1.0, 0.0, 0.0]
                } else if t.contains("quuxish") {
                    vec![0.0, 0.0, 1.0]
                } else {
                    vec![0.0, 1.0, 0.0]
                }
            })
            .collect())
    }
}

#[test]
fn a_passage_the_model_finds_very_close_answers_without_shared_words() {
    let sb = Sandbox::new();
    let model: std::sync::Arc<dyn rolefaq::index::Embedding> = std::sync::Arc::new(Directions);
    // The stand-in gives most words one vector, so words matched by meaning
    // would be any words: off, to test the passage vectors alone.
    let mut settings = sb.settings();
    settings.search.meaning_neighbours = 0;
    let svc = Service::open_with(settings, Some(model)).unwrap();
    // No word of the question is in the corpus: no lexical coverage at all,
    // but its vector is that of the hiring passage.
    let a = svc.ask("zorbly flimflam grommets", FIVE).unwrap();
    assert!(!a.no_answer, "{a:?}");
    assert!(
        a.results[0].text.contains("hiring"),
        "{}",
        a.results[0].text
    );
    // Neither words nor vector: still no answer.
    let a = svc.ask("quuxish flimflam grommets", FIVE).unwrap();
    assert!(a.no_answer, "{:?}", a.results.first().map(|h| &h.text));
}

#[test]
fn a_question_with_nothing_to_search_for_is_refused_with_why_even_when_vectors_are_close() {
    let sb = Sandbox::new();
    let model: std::sync::Arc<dyn rolefaq::index::Embedding> = std::sync::Arc::new(Directions);
    let svc = Service::open_with(sb.settings(), Some(model)).unwrap();
    // The stand-in gives these the vector of most passages (cosine 1).
    for (q, why) in [
        ("the of and to", "no word to search for"),
        ("what is it?", "no word to search for"),
        (
            "what is aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?",
            "too long to be words",
        ),
        ("首席信息官负责什么？", "a script the corpus does not use"),
        ("Что делает он?", "a script the corpus does not use"),
    ] {
        let a = svc.ask(q, FIVE).unwrap();
        assert!(a.no_answer && a.results.is_empty(), "{q}: {a:?}");
        let s = a.suggestion.unwrap_or_default();
        assert!(
            s.contains(why) && s.contains("The corpus covers"),
            "{q}: {s}"
        );
    }
    // the explanation says so too, rather than decide over a pool
    let explained = svc.explain_ranking("the of and to", None, 3).unwrap();
    assert!(
        explained.contains("decision: refused before ranking")
            && explained.contains("no word to search for")
            && !explained.contains("decision: answered"),
        "{explained}"
    );
    // a word of the corpus's script among them is searched for
    let a = svc.ask("CTO 是什么", FIVE).unwrap();
    assert!(!a.no_answer, "{a:?}");
}

#[test]
fn plural_role_names_are_the_role() {
    let (_sb, svc) = service();
    let engine = svc.engine();
    // "CTOs" keeps its s through the stemmer, unlike "CIOs"
    let u = svc.understand(&engine, "what opportunities open for CTOs and CIOs?");
    let mut roles = u.roles.clone();
    roles.sort();
    assert_eq!(roles, ["CIO", "CTO"], "{:?}", u.concepts);
    assert!(u
        .concepts
        .iter()
        .all(|c| c.word != "ctos" || c.role.is_some()));
    let a = svc.ask("what do CTOs lead?", FIVE).unwrap();
    assert!(!a.no_answer);
}

/// A sandbox's settings on `corpus` (the sandbox's copy of the seed corpus
/// when `None`), with the bundled model's directory (not enabled).
fn sandbox_on(corpus: Option<&str>) -> (Sandbox, rolefaq::config::Settings) {
    let sb = Sandbox::new();
    let mut settings = sb.settings();
    if let Some(dir) = corpus {
        settings.corpus.dir = common::repo().join(dir);
    }
    settings.model.dir = common::repo().join("models/all-MiniLM-L6-v2");
    (sb, settings)
}

fn hybrid_service(corpus: Option<&str>) -> (Sandbox, Service) {
    hybrid_service_with(corpus, |_| {})
}

fn hybrid_service_with(
    corpus: Option<&str>,
    change: impl FnOnce(&mut rolefaq::config::Settings),
) -> (Sandbox, Service) {
    let (sb, mut settings) = sandbox_on(corpus);
    change(&mut settings);
    settings.model.enabled = true;
    let svc = Service::open(settings).unwrap();
    assert!(
        svc.hybrid(),
        "passage embeddings stored and the model loaded"
    );
    (sb, svc)
}

/// In a question about two roles and a topic, the role names do not score
/// the lexical match: a passage that repeats "CIO" and "Chief Information
/// Officer" while touching the topic once does not outrank the one about it.
#[test]
fn naming_both_roles_over_and_over_does_not_win_a_comparison() {
    let sb = Sandbox::empty();
    sb.write(
        "roles.txt",
        b"---\ntitle: Two technology executives\n---\n\
         The CIO (Chief Information Officer) and the CTO (Chief Technology Officer) lead \
         technology. The CIO and the CTO share a seat at the table, and a company that \
         hires a CIO and a CTO gives the CIO inward work and the CTO outward work, \
         security among it.\n\
         On security the CIO protects internal systems and staff accounts, while the CTO \
         builds security into the product and its architecture.\n\
         Budgets are set once a year by the finance team.\n",
    );
    let svc = Service::open(sb.settings()).unwrap();
    let a = svc.ask("cio vs cto on security", FIVE).unwrap();
    assert!(!a.no_answer, "{a:?}");
    assert!(
        a.results[0].text.starts_with("On security"),
        "{:?}",
        a.results.iter().map(|h| &h.text).collect::<Vec<_>>()
    );
}

/// `--no-model` on `corpus` (the seed corpus when `None`), with the model's
/// word list as the dictionary, as `rolefaq --no-model` has it.
fn lexical_service(corpus: Option<&str>) -> (Sandbox, Service) {
    let (sb, settings) = sandbox_on(corpus);
    let svc = Service::open(settings).unwrap();
    assert!(!svc.hybrid());
    (sb, svc)
}

/// The least a tuning half must keep: hybrid S@3, the most answerable
/// questions refused in each mode, the least unanswerable ones refused.
struct Floor {
    s_at_3: f64,
    refused_hybrid: f64,
    refused_lexical: f64,
    unanswerable_refused: f64,
}

/// A tuning half of the written banks (never a sealed `-test` half) keeps its
/// measured level, answers almost every answerable question, and the lexical
/// mode never falls below plain BM25 on the same questions.
fn keeps_its_level(bank: &str, corpus: Option<&str>, floor: Floor) {
    let qs = load(bank);
    let (_sb, svc) = hybrid_service(corpus);
    let hybrid = evaluate(&qs, |q| svc.ask(q, FIVE)).unwrap();
    assert!(
        hybrid.answerable.s_at_3 >= floor.s_at_3,
        "{bank} {:?}",
        hybrid.answerable
    );
    assert!(
        hybrid.answerable.refused <= floor.refused_hybrid,
        "{bank} {:?}",
        hybrid.answerable
    );
    assert!(
        hybrid.unanswerable.refused >= floor.unanswerable_refused,
        "{bank} {:?}",
        hybrid.unanswerable
    );
    let (_sb, lex) = lexical_service(corpus);
    let lexical = evaluate(&qs, |q| lex.ask(q, FIVE)).unwrap();
    let bm25 = evaluate(&qs, |q| lex.ask_bm25(q, FIVE)).unwrap();
    assert!(
        lexical.answerable.s_at_3 >= bm25.answerable.s_at_3
            && lexical.answerable.s_at_1 >= bm25.answerable.s_at_1,
        "{bank}: lexical {:?} below plain BM25 {:?}",
        lexical.answerable,
        bm25.answerable
    );
    assert!(
        lexical.answerable.refused <= floor.refused_lexical,
        "{bank} {:?}",
        lexical.answerable
    );
}

#[test]
fn the_tuning_half_of_the_bank_keeps_its_level_in_both_modes() {
    keeps_its_level(
        "bank/seed-tune.json",
        None,
        Floor {
            s_at_3: 0.70,
            refused_hybrid: 0.05,
            refused_lexical: 0.06,
            unanswerable_refused: 0.6,
        },
    );
}

#[test]
fn the_second_banks_seed_tuning_half_keeps_its_level_in_both_modes() {
    keeps_its_level(
        "bank/seed2-tune.json",
        None,
        Floor {
            s_at_3: 0.68,
            refused_hybrid: 0.05,
            refused_lexical: 0.08,
            unanswerable_refused: 0.7,
        },
    );
}

/// (The first bank's roles tuning half is not held to plain BM25: lexical
/// mode is below it there at rank 1, as the README says.)
#[test]
fn the_second_banks_roles_tuning_half_keeps_its_level_in_both_modes() {
    keeps_its_level(
        "bank/roles2-tune.json",
        Some("tests/data/roles-corpus"),
        Floor {
            s_at_3: 0.85,
            refused_hybrid: 0.08,
            refused_lexical: 0.08,
            unanswerable_refused: 0.4,
        },
    );
}

/// The second corpus (CFO, COO, CISO, CDO, CPO): nothing is tied to CIO/CTO.
#[test]
fn a_corpus_about_other_roles_is_answered_about_its_roles() {
    let (_sb, svc) = hybrid_service(Some("tests/data/roles-corpus"));
    let qs = load("bank/roles-tune.json");
    let r = evaluate(&qs, |q| svc.ask(q, FIVE)).unwrap();
    assert!(r.answerable.s_at_3 >= 0.6, "{:?}", r.answerable);
    let roles = svc.known_roles();
    for role in ["CFO", "COO", "CISO"] {
        assert!(roles.iter().any(|r| r == role), "{role} not in {roles:?}");
    }
}

/// A message that opens with who asks and why is answered from its question.
#[test]
fn the_question_inside_a_message_is_what_is_answered() {
    let (_sb, svc) = service();
    let plain = svc
        .ask("who makes sure employees adopt new tools?", FIVE)
        .unwrap();
    let framed = svc
        .ask(
            "long story, I run a logistics warehouse team and we just rolled out a new scanner app. \
             who makes sure employees adopt new tools?",
            FIVE,
        )
        .unwrap();
    assert!(!framed.no_answer);
    assert_eq!(framed.results[0].passage_id, plain.results[0].passage_id);
}

/// Real words the corpus lacks are not "corrected" into other corpus words;
/// typos still are, against words as written.
#[test]
fn real_words_are_not_corrected_and_typos_are() {
    let (_sb, svc) = hybrid_service(None);
    let explained = svc.explain("what cto traits matter");
    assert!(!explained.contains("corrected traits"), "{explained}");
    let explained = svc.explain("who handles software lisences and secuirty");
    assert!(
        explained.contains("corrected lisences → licenses"),
        "{explained}"
    );
    assert!(
        explained.contains("corrected secuirty → security"),
        "{explained}"
    );
}

/// A question word the corpus never uses is also searched as the corpus words
/// closest to it in meaning (the real model, the index's word vectors): the
/// seed corpus says "responsibilities", never "duties". Words the corpus
/// knows, jargon nothing is close to, and `search.meaning_neighbours = 0`
/// gain nothing.
/// A question asking for a figure (how much, many, long, often) is answered
/// only by a passage that gives one; the same topic asked without a figure
/// is answered by what the corpus says of it.
#[test]
fn a_question_asking_for_a_figure_the_corpus_never_gives_is_refused_saying_so() {
    let sb = Sandbox::empty();
    sb.write(
        "security.txt",
        b"---\ntitle: Security leadership\n---\n\
         The CISO owns the security budget and the security program of the company.\n\n\
         The CISO briefs the board on security risk quarterly, and the audit committee \
         every month.\n\n\
         The CIO runs internal systems and the helpdesk.\n\n\
         The CISO may brief the board.\n",
    );
    let svc = Service::open(sb.settings()).unwrap();
    let a = svc
        .ask("how much security budget does the CISO own?", FIVE)
        .unwrap();
    assert!(a.no_answer, "{:?}", a.results);
    assert!(
        a.decision.as_ref().is_some_and(|d| d.no_figure),
        "{:?}",
        a.decision
    );
    let why = a.suggestion.unwrap_or_default();
    assert!(why.contains("asks for a figure"), "{why}");
    let explained = svc
        .explain_ranking("how much security budget does the CISO own?", None, 3)
        .unwrap();
    assert!(
        explained.contains("decision: refused") && explained.contains("asks for a figure"),
        "{explained}"
    );
    // and says what the figure had to be stated about
    let asked = explained
        .lines()
        .find(|l| l.contains("figure asked: Amount"))
        .unwrap_or_default();
    assert!(
        asked.contains("budget") && !asked.contains("much"),
        "{explained}"
    );
    // the same topic, no figure asked: answered
    let a = svc
        .ask("what security budget does the CISO own?", FIVE)
        .unwrap();
    assert!(!a.no_answer);
    let explained = svc
        .explain_ranking("what security budget does the CISO own?", None, 3)
        .unwrap();
    assert!(explained.contains("decision: answered"), "{explained}");
    assert!(
        a.results[0].text.contains("security budget"),
        "{:?}",
        a.results
    );
    // a figure the corpus gives: answered with it
    let a = svc
        .ask("how often does the CISO brief the board?", FIVE)
        .unwrap();
    assert!(!a.no_answer, "{:?}", a.decision);
    assert!(a.results[0].text.contains("quarterly"), "{:?}", a.results);
    // the explanation lists the candidates in the answer's order
    let explained = svc
        .explain_ranking("how often does the CISO brief the board?", None, 3)
        .unwrap();
    let first = explained
        .lines()
        .find(|l| l.trim_start().starts_with("1 score="))
        .unwrap_or_default();
    let shown = a.results[0].text.chars().take(60).collect::<String>();
    assert!(first.contains(&shown), "{first} / {shown}");
}

/// A question about something the corpus never names ("GDPR") is refused
/// naming it; the same question about what it does name is answered.
#[test]
fn a_name_the_corpus_never_mentions_is_refused_saying_which() {
    let sb = Sandbox::empty();
    sb.write(
        "security.txt",
        b"---\ntitle: Security leadership\n---\n\
         The CISO owns the security program and its SOC 2 audits.\n\n\
         The CIO runs internal systems and the helpdesk.\n",
    );
    let svc = Service::open(sb.settings()).unwrap();
    let a = svc.ask("does the CISO own GDPR audits?", FIVE).unwrap();
    assert!(a.no_answer, "{:?}", a.results);
    assert_eq!(
        a.decision.as_ref().and_then(|d| d.unknown_name.as_deref()),
        Some("GDPR")
    );
    let why = a.suggestion.unwrap_or_default();
    assert!(why.contains("names \u{201c}GDPR\u{201d}"), "{why}");
    let a = svc.ask("does the CISO own SOC audits?", FIVE).unwrap();
    assert!(!a.no_answer, "{:?}", a.decision);
    assert!(a.results[0].text.contains("SOC 2"), "{:?}", a.results);
}

/// With the model, a framing word of the asking clause ("main") weighs less
/// than the topic it frames ("stakeholders"), and a passage about the topic
/// comes first; without it, nothing is scaled.
#[test]
fn a_framing_word_of_the_question_weighs_less_than_its_topic_with_the_model() {
    let q = "cio vs cto: who are their main stakeholders";
    let (_sb, svc) = hybrid_service(None);
    let why = svc.explain(q);
    assert!(why.contains("main (weight 1, emphasis 0."), "{why}");
    assert!(why.contains("stakeholders (weight 1): "), "{why}");
    let a = svc.ask(q, FIVE).unwrap();
    assert!(
        a.results[0].text.to_lowercase().contains("stakeholders"),
        "{:#?}",
        a.results
    );
    let (_sb, lex) = lexical_service(None);
    let why = lex.explain(q);
    assert!(!why.contains("emphasis"), "{why}");
}

/// Looking a word up by meaning costs an embedding: none for a question the
/// bot refuses before ranking, at most `MAX_LOOKUPS` for a long message of
/// words the corpus lacks, and none for a word looked up before.
#[test]
fn words_are_looked_up_by_meaning_only_for_questions_it_ranks_and_a_few_at_a_time() {
    use rolefaq::search::meaning::MAX_LOOKUPS;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let sb = Sandbox::new();
    let model = std::sync::Arc::new(common::CountingModel {
        texts: AtomicUsize::new(0),
    });
    let svc = Service::open_with(
        sb.settings(),
        Some(model.clone() as std::sync::Arc<dyn rolefaq::index::Embedding>),
    )
    .unwrap();
    assert!(
        svc.engine().gen.words.is_some(),
        "the index has word vectors"
    );
    model.texts.store(0, Ordering::SeqCst);
    let embedded = || model.texts.swap(0, Ordering::SeqCst);

    // refused before ranking: a script the corpus does not use, a role it never names
    for q in ["ИТ-директор зорбификация", "does the CISO zorbify quiffles"] {
        let a = svc.ask(q, FIVE).unwrap();
        assert!(a.no_answer, "{q}");
        assert_eq!(embedded(), 0, "{q}: nothing embedded");
    }

    // thirty made-up words: the question, and at most MAX_LOOKUPS of its words
    let made_up: Vec<String> = (0..30)
        .map(|i| format!("zorb{}quiff", "x".repeat(i)))
        .collect();
    let long = format!("who owns {}", made_up.join(" "));
    svc.ask(&long, FIVE).unwrap();
    let first = embedded();
    assert!(
        (2..=1 + MAX_LOOKUPS).contains(&first),
        "{first} texts embedded for one question"
    );
    // the same words in a new question: only the question is embedded
    svc.ask(&format!("{long} budget"), FIVE).unwrap();
    assert_eq!(embedded(), 1, "the words' vectors were kept");
}

#[test]
fn words_the_corpus_lacks_are_searched_by_their_meaning() {
    let alts = |svc: &Service, q: &str, word: &str| -> Vec<(Vec<String>, f32)> {
        let engine = svc.engine();
        let u = svc.understand(&engine, q);
        let c = u.concepts.iter().find(|c| c.word == word);
        c.map(|c| c.alts.clone()).unwrap_or_default()
    };
    let (_sb, svc) = hybrid_service(None);
    let words = svc.engine().gen.words.as_ref().map_or(0, |w| w.len());
    assert!(words > 100, "{words} word vectors in the index");
    let duties = alts(&svc, "cto duties", "duties");
    assert!(
        duties.iter().any(|(s, w)| s == &["respons"] && *w < 1.0),
        "{duties:?}"
    );
    assert!(duties.len() <= 4, "{duties:?}");
    let why = svc.explain("cto duties");
    assert!(
        why.contains("by meaning duties → responsibilities"),
        "{why}"
    );
    assert_eq!(
        alts(&svc, "cto responsibilities", "responsibilities").len(),
        1
    );
    assert_eq!(alts(&svc, "is togaf worth it for a cio", "togaf").len(), 1);
    let a = svc.ask("cto duties", FIVE).unwrap();
    assert!(!a.no_answer);
    assert!(
        a.results
            .iter()
            .take(3)
            .any(|h| h.text.to_lowercase().contains("responsib")),
        "{:#?}",
        a.results
    );
    let (_sb, off) = hybrid_service_with(None, |s| s.search.meaning_neighbours = 0);
    assert_eq!(alts(&off, "cto duties", "duties").len(), 1);
}

/// Every written bank, both halves: each answerable question has a judged
/// phrase inside one passage of its corpus as the index splits and cleans it
/// (else no ranking could ever be judged right on it; a phrase from a line the
/// cleaning drops, an author's bio or a vendor's pitch, may stand beside one),
/// unanswerable ones have none, and ids are unique. A data check: it reads no
/// answer.
#[test]
fn every_answerable_bank_question_has_a_judged_phrase_inside_a_passage() {
    use rolefaq::config::CorpusSettings;
    use rolefaq::eval::JudgedPhrases;
    let dir = common::repo().join("tests/data/bank");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let load = |dir: &str| {
        rolefaq::corpus::load_dir(&common::repo().join(dir), &CorpusSettings::default(), 900)
            .unwrap()
    };
    let (seed, roles) = (load("corpus"), load("tests/data/roles-corpus"));
    let mut ids = std::collections::HashSet::new();
    let mut unreachable = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let qs: Vec<Judged> = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!qs.is_empty(), "{name}");
        let corpus = if name.starts_with("roles") {
            &roles
        } else {
            &seed
        };
        for q in &qs {
            assert!(ids.insert(q.id.clone()), "{name}: id {} twice", q.id);
            let unanswerable = q.kind.as_deref() == Some("unanswerable");
            assert_eq!(q.rel.is_empty(), unanswerable, "{name} {}", q.id);
            let judged = JudgedPhrases::new(&q.rel);
            if !unanswerable && !corpus.passages.iter().any(|p| judged.in_text(&p.text)) {
                unreachable.push(format!("{name} {}", q.id));
            }
        }
    }
    assert!(
        unreachable.is_empty(),
        "no judged phrase in any passage: {unreachable:?}"
    );
}
