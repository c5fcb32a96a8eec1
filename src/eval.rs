//! Retrieval evaluation: success at 1 and 3, and MRR at 5, over judged questions
//! (`[{"id", "q", "rel": [phrases a correct passage contains]}]`).

use crate::model::Answer;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Judged {
    pub id: String,
    pub q: String,
    /// Phrases a correct passage contains; an empty list means the corpus
    /// should not answer (no_answer expected).
    #[serde(default)]
    pub rel: Vec<String>,
    /// The question's voice in a written bank (terse, context, slang, typo,
    /// buried, compare, decision, unanswerable); reported per kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionResult {
    pub id: String,
    pub q: String,
    /// 1-based rank of the first correct passage within the top 5.
    pub rank: Option<usize>,
    pub no_answer: bool,
    pub correct: bool,
    /// Whether the corpus answers it (judged phrases given).
    pub answerable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The signals the answer/no-answer decision read (for calibration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::model::Decision>,
}

/// Figures over one group of questions (all answerable ones, or one kind).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Group {
    pub questions: usize,
    /// Share of the group whose first correct passage is at rank 1 / within 3.
    /// For unanswerable questions "correct" is a refusal.
    pub s_at_1: f64,
    pub s_at_3: f64,
    /// Share of the group refused ("no answer").
    pub refused: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub questions: usize,
    pub s_at_1: f64,
    pub s_at_3: f64,
    pub mrr_at_5: f64,
    /// The answerable questions alone: S@k, and how many were wrongly refused.
    pub answerable: Group,
    /// The unanswerable questions alone: `refused` is the share rightly refused.
    pub unanswerable: Group,
    /// Per kind, when the questions carry one.
    pub kinds: std::collections::BTreeMap<String, Group>,
    pub results: Vec<QuestionResult>,
}

fn group<'a>(results: impl Iterator<Item = &'a QuestionResult>) -> Group {
    let sel: Vec<&QuestionResult> = results.collect();
    let n = sel.len().max(1) as f64;
    let share =
        |f: &dyn Fn(&QuestionResult) -> bool| sel.iter().filter(|r| f(r)).count() as f64 / n;
    Group {
        questions: sel.len(),
        s_at_1: share(&|r| r.rank.is_some_and(|x| x <= 1)),
        s_at_3: share(&|r| r.rank.is_some_and(|x| x <= 3)),
        refused: share(&|r| r.no_answer),
    }
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Judged phrases, normalised once, and the one test of whether a passage's
/// text holds one of them (case- and space-insensitive).
pub struct JudgedPhrases(Vec<String>);

impl JudgedPhrases {
    pub fn new(rel: &[String]) -> Self {
        Self(rel.iter().map(|r| norm(r)).collect())
    }

    pub fn in_text(&self, text: &str) -> bool {
        let t = norm(text);
        self.0.iter().any(|r| t.contains(r.as_str()))
    }
}

/// Rank of the first result containing one of `rel` (case- and space-insensitive)
/// in its passage or in an item of the list shown with it.
pub fn first_relevant(answer: &Answer, rel: &[String]) -> Option<usize> {
    let rel = JudgedPhrases::new(rel);
    answer
        .results
        .iter()
        .position(|h| rel.in_text(&h.text) || h.items.iter().any(|t| rel.in_text(t)))
        .map(|i| i + 1)
}

/// Score answers to judged questions. `ask` answers one question with ≥ 5 results.
pub fn evaluate<E>(
    questions: &[Judged],
    mut ask: impl FnMut(&str) -> Result<Answer, E>,
) -> Result<Report, E> {
    let mut results = Vec::new();
    for j in questions {
        let a = ask(&j.q)?;
        let rank = first_relevant(&a, &j.rel).filter(|r| *r <= 5);
        let correct = if j.rel.is_empty() {
            a.no_answer
        } else {
            rank.is_some_and(|r| r <= 3)
        };
        results.push(QuestionResult {
            id: j.id.clone(),
            q: j.q.clone(),
            rank: if j.rel.is_empty() {
                a.no_answer.then_some(1)
            } else {
                rank
            },
            no_answer: a.no_answer,
            correct,
            answerable: !j.rel.is_empty(),
            kind: j.kind.clone(),
            decision: a.decision.clone(),
        });
    }
    let n = results.len().max(1) as f64;
    let at = |k: usize| {
        results
            .iter()
            .filter(|r| r.rank.is_some_and(|x| x <= k))
            .count() as f64
            / n
    };
    let mrr = results
        .iter()
        .map(|r| r.rank.map(|x| 1.0 / x as f64).unwrap_or(0.0))
        .sum::<f64>()
        / n;
    let mut kinds = std::collections::BTreeMap::new();
    for k in results.iter().filter_map(|r| r.kind.as_deref()) {
        if !kinds.contains_key(k) {
            let g = group(results.iter().filter(|r| r.kind.as_deref() == Some(k)));
            kinds.insert(k.to_string(), g);
        }
    }
    Ok(Report {
        questions: results.len(),
        s_at_1: at(1),
        s_at_3: at(3),
        mrr_at_5: mrr,
        answerable: group(results.iter().filter(|r| r.answerable)),
        unanswerable: group(results.iter().filter(|r| !r.answerable)),
        kinds,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Hit;

    fn hit(rank: usize, text: &str, items: &[&str]) -> Hit {
        Hit {
            rank,
            score: 1.0,
            doc: "d".into(),
            title: "T".into(),
            section: None,
            location: "¶1".into(),
            text: text.into(),
            best: text.into(),
            context: None,
            items: items.iter().map(|s| s.to_string()).collect(),
            more_items: 0,
            highlights: Vec::new(),
            citation: "T, ¶1".into(),
            url: None,
            passage_id: format!("d#{rank}"),
        }
    }

    #[test]
    fn a_judged_phrase_counts_in_the_passage_or_in_an_item_shown_with_it() {
        let a = Answer {
            query: "q".into(),
            results: vec![
                hit(1, "Nothing judged here.", &[]),
                hit(
                    2,
                    "CIOs commonly handle:",
                    &["Managing  enterprise IT", "Security"],
                ),
            ],
            no_answer: false,
            verdict: None,
            suggestion: None,
            total: 2,
            decision: None,
        };
        assert_eq!(
            first_relevant(&a, &["managing enterprise it".into()]),
            Some(2)
        );
        assert_eq!(first_relevant(&a, &["commonly handle".into()]), Some(2));
        assert_eq!(first_relevant(&a, &["nothing judged".into()]), Some(1));
        assert_eq!(first_relevant(&a, &["absent".into()]), None);
    }
}
