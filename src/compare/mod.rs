//! `/compare`: a side-by-side of two roles, one row per aspect, every cell a
//! verbatim cited quote. Pure: passages in, [`Comparison`] out.
//!
//! The service calls:
//! ```ignore
//! let book = RoleBook::discover(&passages);          // once per index build
//! let c = compare::compare(&passages, &book, "cio", "cto", aspect)?;
//! let names = compare::aspects(&passages, &book);    // autocomplete
//! ```
//! or, to extract once and compare many times, keep an [`Extracted`] (as the
//! service does per index generation) and ask [`CompareIndex::with`] it.

pub mod extract;
pub mod taxonomy;

use crate::error::{Error, Result};
use crate::model::{Comparison, ComparisonRow, Disagreement, Passage, Quote};
use crate::roles::{Role, RoleBook};
use extract::Evidence;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use taxonomy::{ASPECTS, CLAIMS};

/// Quotes shown per role per row.
pub const MAX_QUOTES_PER_CELL: usize = 3;
/// Quotes shown per side of a disagreement.
pub const MAX_QUOTES_PER_SIDE: usize = 3;

/// Compare roles `a` and `b` (any name the book resolves), optionally only the
/// aspects matching `aspect`.
pub fn compare(
    passages: &[Passage],
    book: &RoleBook,
    a: &str,
    b: &str,
    aspect: Option<&str>,
) -> Result<Comparison> {
    CompareIndex::new(passages, book).compare(a, b, aspect)
}

/// Aspects with evidence for any role, most evidence first (for autocomplete).
pub fn aspects(passages: &[Passage], book: &RoleBook) -> Vec<String> {
    CompareIndex::new(passages, book).aspects()
}

/// What a comparison reads from a corpus, extracted once (a scan of every
/// passage: ~0.4 s at 100k passages) and kept beside it.
#[derive(Debug, Clone)]
pub struct Extracted {
    evidence: Vec<Evidence>,
    topics: Vec<extract::TopicClaim>,
}

impl Extracted {
    pub fn new(passages: &[Passage], book: &RoleBook) -> Self {
        Self {
            evidence: extract::extract(passages, book),
            topics: extract::topic_claims(passages, book),
        }
    }
}

/// Comparisons over a corpus and the evidence extracted from it.
pub struct CompareIndex<'a> {
    passages: &'a [Passage],
    book: &'a RoleBook,
    extracted: Cow<'a, Extracted>,
}

impl<'a> CompareIndex<'a> {
    /// Extracts the evidence of `passages` now.
    pub fn new(passages: &'a [Passage], book: &'a RoleBook) -> Self {
        Self {
            passages,
            book,
            extracted: Cow::Owned(Extracted::new(passages, book)),
        }
    }

    /// Over evidence extracted before, from these same passages and book.
    pub fn with(passages: &'a [Passage], book: &'a RoleBook, extracted: &'a Extracted) -> Self {
        Self {
            passages,
            book,
            extracted: Cow::Borrowed(extracted),
        }
    }

    /// All extracted evidence (for diagnostics and tests).
    pub fn evidence(&self) -> &[Evidence] {
        &self.extracted.evidence
    }

    /// Aspects with evidence for any role, most evidence first.
    pub fn aspects(&self) -> Vec<String> {
        let mut counts: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for e in &self.extracted.evidence {
            if let Some(a) = &e.aspect {
                counts
                    .entry(a.to_lowercase())
                    .or_insert_with(|| (0, a.clone()))
                    .0 += 1;
            }
        }
        let mut v: Vec<(usize, String)> = counts.into_values().collect();
        v.sort_by(|x, y| {
            y.0.cmp(&x.0)
                .then_with(|| aspect_order(&x.1).cmp(&aspect_order(&y.1)))
        });
        v.into_iter().map(|(_, a)| a).collect()
    }

    fn resolve(&self, given: &str) -> Result<&'a Role> {
        self.book.resolve(given).ok_or_else(|| Error::UnknownRole {
            given: given.trim().to_string(),
            known: self.book.known_list(),
        })
    }

    /// See [`compare`].
    pub fn compare(&self, a: &str, b: &str, aspect: Option<&str>) -> Result<Comparison> {
        let ra = self.resolve(a)?;
        let rb = self.resolve(b)?;
        if ra.key == rb.key {
            return Err(Error::BadQuestion(format!(
                "'{}' and '{}' are the same role ({}); name two different roles to compare",
                a.trim(),
                b.trim(),
                ra.display()
            )));
        }
        let roles = [ra, rb];
        // A role the corpus never mentions would be an empty column: say so.
        if let Some(r) = roles.iter().find(|r| self.book.mention_count(&r.key) == 0) {
            let covered: Vec<&str> = self
                .book
                .known()
                .into_iter()
                .filter(|k| self.book.mention_count(&k.key) > 0)
                .map(|k| k.short.as_str())
                .collect();
            // BadQuestion: the shells show it as it is (Discord adds "rephrase").
            return Err(Error::BadQuestion(format!(
                "the corpus says nothing about the {}, so there is nothing to compare; \
                 roles it covers: {}.",
                r.short,
                covered.join(", ")
            )));
        }
        let mut rows = self.rows(roles);
        self.attach_disagreements(roles, &mut rows);
        if let Some(wanted) = aspect {
            rows = filter_rows(rows, wanted)?;
        }
        Ok(Comparison {
            roles: [ra.short.clone(), rb.short.clone()],
            rows,
        })
    }

    fn quote(&self, e: &Evidence) -> Quote {
        let p = &self.passages[e.passage];
        Quote {
            text: e.text.clone(),
            doc: p.doc_id.clone(),
            citation: p.citation(),
            passage_id: p.id.clone(),
        }
    }

    /// One row per aspect with evidence for either role: rows with evidence for
    /// both first, then by amount of evidence, then taxonomy order.
    fn rows(&self, roles: [&Role; 2]) -> Vec<ComparisonRow> {
        // aspect key → (display name, evidence per role)
        let mut by_aspect: BTreeMap<String, (String, [Vec<&Evidence>; 2])> = BTreeMap::new();
        for e in &self.extracted.evidence {
            let Some(side) = roles.iter().position(|r| r.key == e.role) else {
                continue;
            };
            let Some(a) = &e.aspect else { continue };
            by_aspect
                .entry(a.to_lowercase())
                .or_insert_with(|| (a.clone(), [Vec::new(), Vec::new()]))
                .1[side]
                .push(e);
        }
        let mut rows: Vec<(bool, usize, String, ComparisonRow)> = by_aspect
            .into_values()
            .map(|(name, sides)| {
                let both = sides.iter().all(|s| !s.is_empty());
                let count = sides[0].len() + sides[1].len();
                let mut cells = BTreeMap::new();
                for (side, evs) in sides.iter().enumerate() {
                    let picked = pick(evs, MAX_QUOTES_PER_CELL, self.passages);
                    cells.insert(
                        roles[side].short.clone(),
                        picked.into_iter().map(|e| self.quote(e)).collect(),
                    );
                }
                (
                    both,
                    count,
                    name.clone(),
                    ComparisonRow {
                        aspect: name,
                        cells,
                        disagreement: None,
                    },
                )
            })
            .collect();
        rows.sort_by(|x, y| {
            y.0.cmp(&x.0)
                .then(y.1.cmp(&x.1))
                .then_with(|| aspect_order(&x.2).cmp(&aspect_order(&y.2)))
        });
        rows.into_iter().map(|r| r.3).collect()
    }

    /// Claims that some documents put on one role and other documents on the other.
    /// A document that puts a claim on both roles takes no side.
    fn attach_disagreements(&self, roles: [&Role; 2], rows: &mut Vec<ComparisonRow>) {
        for (ci, claim) in CLAIMS.iter().enumerate() {
            // Per side: document → evidence making the claim about that role.
            let mut sides: [BTreeMap<&str, Vec<&Evidence>>; 2] = [BTreeMap::new(), BTreeMap::new()];
            for e in &self.extracted.evidence {
                let Some(side) = roles.iter().position(|r| r.key == e.role) else {
                    continue;
                };
                if e.claims.contains(&ci) {
                    let doc = self.passages[e.passage].doc_id.as_str();
                    sides[side].entry(doc).or_default().push(e);
                }
            }
            // Documents taking a side: quoted evidence, or a passage about only that
            // role making the claim (this counts against the other side only).
            let mut topic: [BTreeSet<&str>; 2] = [
                sides[0].keys().copied().collect(),
                sides[1].keys().copied().collect(),
            ];
            for t in self.extracted.topics.iter().filter(|t| t.claim == ci) {
                if let Some(side) = roles.iter().position(|r| r.key == t.role) {
                    topic[side].insert(self.passages[t.passage].doc_id.as_str());
                }
            }
            let only: [Vec<&str>; 2] = [
                sides[0]
                    .keys()
                    .copied()
                    .filter(|d| !topic[1].contains(d))
                    .collect(),
                sides[1]
                    .keys()
                    .copied()
                    .filter(|d| !topic[0].contains(d))
                    .collect(),
            ];
            if only[0].is_empty() || only[1].is_empty() {
                continue;
            }
            let mut quotes: BTreeMap<String, Vec<Quote>> = BTreeMap::new();
            for side in 0..2 {
                // One quote per document, the most reliable and shortest.
                let per_doc: Vec<&Evidence> = only[side]
                    .iter()
                    .filter_map(|d| {
                        let mut evs = sides[side].get(d)?.clone();
                        evs.sort_by_key(|e| (e.source, e.text.len()));
                        evs.first().copied()
                    })
                    .collect();
                let picked = pick(&per_doc, MAX_QUOTES_PER_SIDE, self.passages);
                quotes.insert(
                    roles[side].short.clone(),
                    picked.into_iter().map(|e| self.quote(e)).collect(),
                );
            }
            let titles = |docs: &[&str]| -> String {
                docs.iter()
                    .map(|d| {
                        self.passages
                            .iter()
                            .find(|p| p.doc_id == *d)
                            .map_or_else(|| d.to_string(), |p| p.doc_title.clone())
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let n = |k: usize| {
                if k == 1 {
                    "1 source".to_string()
                } else {
                    format!("{k} sources")
                }
            };
            // Majority side first.
            let (first, second) = if only[0].len() >= only[1].len() {
                (0, 1)
            } else {
                (1, 0)
            };
            let summary = format!(
                // The shells lead with "sources disagree"; the summary does not repeat it.
                "On {}: {} ({}) put it on the {}, {} ({}) on the {}.",
                claim.name,
                n(only[first].len()),
                titles(&only[first]),
                roles[first].short,
                n(only[second].len()),
                titles(&only[second]),
                roles[second].short,
            );
            let row = match rows
                .iter()
                .position(|r| r.aspect.eq_ignore_ascii_case(claim.aspect))
            {
                Some(i) => i,
                None => {
                    rows.push(ComparisonRow {
                        aspect: claim.aspect.to_string(),
                        cells: roles
                            .iter()
                            .map(|r| {
                                (
                                    r.short.clone(),
                                    quotes.get(&r.short).cloned().unwrap_or_default(),
                                )
                            })
                            .collect(),
                        disagreement: None,
                    });
                    rows.len() - 1
                }
            };
            let d = rows[row].disagreement.get_or_insert_with(|| Disagreement {
                summary: String::new(),
                sides: BTreeMap::new(),
            });
            if !d.summary.is_empty() {
                d.summary.push(' ');
            }
            d.summary.push_str(&summary);
            for (role, qs) in quotes {
                let side = d.sides.entry(role).or_default();
                for q in qs {
                    if !side
                        .iter()
                        .any(|x| x.passage_id == q.passage_id && x.text == q.text)
                    {
                        side.push(q);
                    }
                }
            }
        }
    }
}

/// Position of an aspect in the taxonomy (custom aspects after).
fn aspect_order(name: &str) -> usize {
    ASPECTS
        .iter()
        .position(|a| a.name.eq_ignore_ascii_case(name))
        .unwrap_or(ASPECTS.len())
}

/// Lower-case alphanumerics, for duplicate detection.
fn fingerprint(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Up to `max` quotes: most reliable source kinds and shortest first, distinct
/// documents first, no duplicates (a quote inside another counts as a duplicate).
fn pick<'e>(evs: &[&'e Evidence], max: usize, passages: &[Passage]) -> Vec<&'e Evidence> {
    let mut sorted: Vec<&Evidence> = evs.to_vec();
    sorted.sort_by_key(|e| (e.source, e.text.len(), e.passage));
    let mut picked: Vec<&Evidence> = Vec::new();
    let mut prints: Vec<String> = Vec::new();
    for distinct_docs in [true, false] {
        for e in &sorted {
            if picked.len() >= max {
                break;
            }
            let fp = fingerprint(&e.text);
            if prints
                .iter()
                .any(|p| p.contains(&fp) || fp.contains(p.as_str()))
            {
                continue;
            }
            let doc = &passages[e.passage].doc_id;
            if distinct_docs && picked.iter().any(|x| &passages[x.passage].doc_id == doc) {
                continue;
            }
            prints.push(fp);
            picked.push(e);
        }
    }
    // Most reliable kinds first; the sort is stable, so shorter first within a kind
    // among the distinct-document picks.
    picked.sort_by_key(|e| e.source);
    picked
}

/// Rows whose aspect matches what the user typed: by name first ("security",
/// "reporting"), then by taxonomy keyword ("kpi", "cybersecurity").
fn filter_rows(rows: Vec<ComparisonRow>, wanted: &str) -> Result<Vec<ComparisonRow>> {
    let w = wanted.trim().to_lowercase();
    let unknown = |rows: &[ComparisonRow]| Error::UnknownAspect {
        given: wanted.trim().to_string(),
        known: rows
            .iter()
            .map(|r| r.aspect.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    if w.is_empty() {
        return Err(unknown(&rows));
    }
    let by_name = |r: &ComparisonRow| {
        let a = r.aspect.to_lowercase();
        a.contains(&w) || w.contains(&a)
    };
    let wanted_words = taxonomy::words(&w);
    let by_keyword = |r: &ComparisonRow| {
        ASPECTS
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(&r.aspect))
            .is_some_and(|a| {
                a.keywords
                    .iter()
                    .any(|k| taxonomy::keyword_in(k, &wanted_words))
            })
    };
    let named = rows.iter().any(by_name);
    let keyed = rows.iter().any(by_keyword);
    if !named && !keyed {
        return Err(unknown(&rows));
    }
    Ok(rows
        .into_iter()
        .filter(|r| if named { by_name(r) } else { by_keyword(r) })
        .collect())
}

#[cfg(test)]
mod tests;
