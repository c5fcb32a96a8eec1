//! Cleaning: web-page debris is not an answer.
//!
//! General, configurable rules (see `[corpus]` in config.toml), never a list of
//! known sentences. Every dropped line is reported with the rule that dropped it.
//! Plain-text documents also get their headings recognised here: a short line
//! without closing punctuation that is followed by content.

use super::blocks::Block;
use crate::config::CorpusSettings;
use crate::model::Dropped;
use std::collections::{HashMap, HashSet};

/// Words of a paragraph, the way the rules count them.
fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

fn ends_sentence(s: &str) -> bool {
    let t = s.trim_end_matches(['"', '”', '’', '\'', ')', ']', '*']);
    t.ends_with(['.', '!', '?', ':', ';'])
}

fn is_ellipsis(s: &str) -> bool {
    let t = s.trim_end();
    t.ends_with("...") || t.ends_with('…')
}

/// A line that reads as a title: short, no sentence punctuation at the end
/// (a question mark is allowed: FAQ headings are questions).
fn heading_like(s: &str) -> bool {
    let words = word_count(s);
    let t = s.trim_end();
    (1..=12).contains(&words) && !is_ellipsis(t) && !t.ends_with(['.', ',', ';', ':', '!'])
}

/// Normalised form of a line for cross-document comparison.
pub fn normalise(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn all_caps(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 4 && letters.iter().all(|c| c.is_uppercase())
}

fn first_person_quote(s: &str) -> bool {
    let t = s.trim_start();
    if !t.starts_with(['"', '“']) {
        return false;
    }
    let lower = format!(
        " {} ",
        t.to_lowercase()
            .replace(['"', '“', '”', ',', '.', ':'], " ")
    );
    [" we ", " i ", " our ", " my ", " us "]
        .iter()
        .any(|w| lower.contains(w))
}

/// Counts, for each normalised paragraph, how many documents contain it.
pub fn line_document_counts<'a>(docs: impl Iterator<Item = &'a [Block]>) -> HashMap<String, usize> {
    line_group_counts(docs.enumerate())
}

/// Counts, for each normalised paragraph, how many groups of documents (see
/// [`near_duplicate_groups`]) contain it: `docs` gives each document's group.
pub fn line_group_counts<'a>(
    docs: impl Iterator<Item = (usize, &'a [Block])>,
) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut seen = HashSet::new();
    for (group, blocks) in docs {
        for b in blocks {
            if let Block::Paragraph(t) | Block::Heading(t) = b {
                let n = normalise(t);
                if seen.insert((group, n.clone())) {
                    *counts.entry(n).or_default() += 1;
                }
            }
        }
    }
    counts
}

/// Lines found in more documents than this are boilerplate, not evidence that
/// two documents are copies of each other.
const NEAR_DUPLICATE_MAX_SHARING: usize = 8;

/// Groups of documents that share most of their text (copies under another
/// name or title, republished versions): `group[i]` is the smallest index of
/// document `i`'s group. Two documents are grouped when the paragraphs they
/// share hold more than half of the words of the smaller one. The
/// repeated-line rule counts a group once, so it never takes the prose two
/// copies share for boilerplate.
pub fn near_duplicate_groups(docs: &[&[Block]]) -> Vec<usize> {
    let mut words = vec![0usize; docs.len()];
    let mut holders: HashMap<String, (usize, Vec<usize>)> = HashMap::new();
    for (i, blocks) in docs.iter().enumerate() {
        let mut seen = HashSet::new();
        for b in blocks.iter() {
            if let Block::Paragraph(t) | Block::Heading(t) = b {
                let n = normalise(t);
                if seen.insert(n.clone()) {
                    let w = word_count(t);
                    words[i] += w;
                    let e = holders.entry(n).or_insert_with(|| (w, Vec::new()));
                    e.1.push(i);
                }
            }
        }
    }
    let mut shared: HashMap<(usize, usize), usize> = HashMap::new();
    for (w, ds) in holders.values() {
        if ds.len() < 2 || ds.len() > NEAR_DUPLICATE_MAX_SHARING {
            continue;
        }
        for (k, &a) in ds.iter().enumerate() {
            for &b in &ds[k + 1..] {
                *shared.entry((a, b)).or_default() += w;
            }
        }
    }
    let mut group: Vec<usize> = (0..docs.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    let mut pairs: Vec<_> = shared.into_iter().collect();
    pairs.sort_unstable();
    for ((a, b), w) in pairs {
        if 2 * w > words[a].min(words[b]) {
            let (ra, rb) = (root(&mut group, a), root(&mut group, b));
            group[ra.max(rb)] = ra.min(rb);
        }
    }
    (0..docs.len()).map(|i| root(&mut group, i)).collect()
}

/// Apply the cleaning rules to one document's blocks. `infer_headings` is set
/// for plain text, where headings are not marked up.
pub fn clean(
    doc_id: &str,
    blocks: Vec<Block>,
    doc_counts: &HashMap<String, usize>,
    rules: &CorpusSettings,
    infer_headings: bool,
) -> (Vec<Block>, Vec<Dropped>) {
    let mut verdict: Vec<Option<&'static str>> = vec![None; blocks.len()];
    let text_of = |b: &Block| match b {
        Block::Paragraph(t) | Block::Heading(t) => Some(t.clone()),
        _ => None,
    };
    let lower_phrases = |v: &[String]| v.iter().map(|p| p.to_lowercase()).collect::<Vec<_>>();
    let cta = lower_phrases(&rules.cta_phrases);
    let bio = lower_phrases(&rules.bio_markers);
    let promo = lower_phrases(&rules.promo_phrases);

    // The preamble: short non-sentences before the first body paragraph
    // (breadcrumbs, repeated titles, bylines, dates).
    let first_body = blocks.iter().position(|b| match b {
        Block::Paragraph(t) => word_count(t) >= 8 && ends_sentence(t),
        _ => true,
    });
    let mut seen_in_doc = HashSet::new();
    for (i, b) in blocks.iter().enumerate() {
        let Some(t) = text_of(b) else { continue };
        let lower = t.to_lowercase();
        let words = word_count(&t);
        let norm = normalise(&t);
        let repeated_here = !seen_in_doc.insert(norm.clone());
        let rule = if first_body.is_some_and(|f| i < f) && words < 8 && !ends_sentence(&t) {
            Some("preamble")
        } else if rules.drop_ellipsis_teasers && is_ellipsis(&t) {
            Some("ellipsis-teaser")
        } else if matches!(b, Block::Paragraph(_)) && words >= 12 && !ends_sentence(&t) {
            Some("truncated-teaser")
        } else if words >= rules.min_words
            && (repeated_here
                || (rules.repeated_line_min_docs > 0
                    && doc_counts.get(&norm).copied().unwrap_or(0) >= rules.repeated_line_min_docs))
        {
            Some("repeated-line")
        } else if words <= rules.cta_max_words
            && (cta.iter().any(|p| lower.contains(p.as_str())) || all_caps(&t))
        {
            Some("call-to-action")
        } else if bio.iter().any(|m| lower.starts_with(m.as_str()))
            || bio.iter().filter(|m| lower.contains(m.as_str())).count() >= 2
        {
            Some("author-bio")
        } else if promo.iter().any(|p| lower.contains(p.as_str())) {
            Some("promo")
        } else if first_person_quote(&t) {
            Some("testimonial")
        } else {
            None
        };
        verdict[i] = rule;
        // A title-like line right before a teaser or a bio belongs to it
        // (the card title, the author's job title).
        if matches!(
            rule,
            Some("ellipsis-teaser" | "author-bio" | "truncated-teaser")
        ) {
            if let Some(p) = (0..i)
                .rev()
                .find(|&p| verdict[p].is_none() || verdict[p] == rule)
            {
                if verdict[p].is_none() {
                    if let Some(pt) = text_of(&blocks[p]) {
                        if heading_like(&pt) {
                            verdict[p] = Some(match rule {
                                Some("author-bio") => "author-bio",
                                _ => "teaser-title",
                            });
                        }
                    }
                }
            }
        }
    }

    // Headings in plain text; short leftovers that head nothing are fragments.
    let kept: Vec<usize> = (0..blocks.len())
        .filter(|&i| verdict[i].is_none())
        .collect();
    let mut out = Vec::with_capacity(kept.len());
    let mut dropped = Vec::new();
    for (k, &i) in kept.iter().enumerate() {
        let next_is_content = kept
            .get(k + 1)
            .is_some_and(|&n| !matches!(&blocks[n], Block::Paragraph(t) if heading_like(t) && word_count(t) < rules.min_words));
        match &blocks[i] {
            Block::Paragraph(t) if infer_headings && heading_like(t) => {
                if next_is_content {
                    out.push(Block::Heading(t.clone()));
                } else {
                    verdict[i] = Some("fragment");
                }
            }
            Block::Paragraph(t) if word_count(t) < rules.min_words => verdict[i] = Some("fragment"),
            // a marked-up heading at the very end heads nothing
            Block::Heading(_) if k + 1 == kept.len() => verdict[i] = Some("fragment"),
            b => out.push(b.clone()),
        }
    }
    for (i, b) in blocks.iter().enumerate() {
        if let (Some(rule), Some(t)) = (verdict[i], text_of(b)) {
            dropped.push(Dropped {
                doc: doc_id.to_string(),
                rule: rule.to_string(),
                line: t,
            });
        }
    }
    (out, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(s: &str) -> Block {
        Block::Paragraph(s.to_string())
    }

    fn run(blocks: Vec<Block>) -> (Vec<Block>, Vec<Dropped>) {
        let counts = line_document_counts(std::iter::once(blocks.as_slice()));
        clean("d", blocks, &counts, &CorpusSettings::default(), true)
    }

    const BODY: &str =
        "The CIO is responsible for the internal information systems of the organization.";

    #[test]
    fn drops_teasers_with_their_titles() {
        let (out, dropped) = run(vec![
            para(BODY),
            para("Some Related Article Title Here"),
            para("Learn what this related article is about and how it can help your team..."),
            para(BODY.replace("CIO", "CTO").as_str()),
        ]);
        assert_eq!(out.len(), 2);
        let rules: Vec<&str> = dropped.iter().map(|d| d.rule.as_str()).collect();
        assert_eq!(rules, vec!["teaser-title", "ellipsis-teaser"]);
    }

    #[test]
    fn drops_truncated_cta_bio_promo_testimonial_and_preamble() {
        let (out, dropped) = run(vec![
            para("Blog"),
            para("Jane Q Writer"),
            para(BODY),
            para("The CIO focuses on operations while the CTO drives innovation. Learn the full breakdown of"),
            para("TALK TO A CTO"),
            para("Senior Technology Architect"),
            para("Seasoned executive dedicated to bridging strategy and delivery."),
            para("This is a core use case for Acme's adoption solution, which helps employees."),
            para("\"We had problems with our tools until we found Acme.\""),
            para("Conclusion"),
            para("Both roles matter and must work together for the organization to succeed."),
        ]);
        let rules: Vec<&str> = dropped.iter().map(|d| d.rule.as_str()).collect();
        assert_eq!(
            rules,
            vec![
                "preamble",
                "preamble",
                "truncated-teaser",
                "call-to-action",
                "author-bio",
                "author-bio",
                "promo",
                "testimonial"
            ]
        );
        assert_eq!(out[0], para(BODY));
        assert_eq!(out[1], Block::Heading("Conclusion".into()));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn drops_lines_repeated_across_documents() {
        let a = vec![
            para(BODY),
            para("Subscribe to our newsletter for weekly leadership tips today."),
        ];
        let b = vec![
            para("Another document body sentence that is unique to it."),
            para("Subscribe to our newsletter for weekly leadership tips today."),
        ];
        let counts = line_document_counts([a.as_slice(), b.as_slice()].into_iter());
        let (out, dropped) = clean("a", a, &counts, &CorpusSettings::default(), true);
        assert_eq!(out, vec![para(BODY)]);
        assert_eq!(dropped[0].rule, "repeated-line");
    }

    #[test]
    fn rules_can_be_switched_off() {
        let rules = CorpusSettings {
            drop_ellipsis_teasers: false,
            ..CorpusSettings::default()
        };
        let blocks = vec![para(BODY), para("An ellipsis line that goes on and on...")];
        let counts = line_document_counts(std::iter::once(blocks.as_slice()));
        let (out, _) = clean("d", blocks, &counts, &rules, true);
        assert_eq!(out.len(), 2);
    }
}
