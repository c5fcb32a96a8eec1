//! What the corpus misses: the recorded questions that were not answered or
//! were voted down, grouped by meaning, with the answer rate and votes of the
//! period (`rolefaq gaps`, `/gaps`); `chart` draws the answer rate per week,
//! `export` writes the questions as CSV.

pub mod chart;
pub mod export;

use crate::model::{GapGroup, GapsReport, OfferedPassage, WeekRate};
use crate::search::query;
use crate::store::StoredQuestion;
use crate::vector::{cosine, Embedding};
use chrono::{DateTime, Datelike, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Two questions mean the same when the cosine of their vectors (mean-pooled
/// all-MiniLM-L6-v2) is at least this. Measured on the kind of question asked
/// here (`tests/suite/gaps.rs`, `paraphrases_pass_the_threshold_and_other_questions_do_not`):
/// five paraphrase pairs score 0.74–0.94; different questions about the same
/// roles 0.07–0.44, and 0.705 for "does the CTO report to the CEO?" against
/// "what does the CTO do?", the closest; 0.72 keeps that apart. One
/// paraphrase pair (choosing a cloud vendor) scores 0.68 and stays split:
/// a split group costs a second line in the report, a wrong merge hides a gap.
pub const SAME_MEANING_COSINE: f32 = 0.72;

/// Without a model: the share of content words two questions have in common
/// (Jaccard of their stems) from which they are grouped. A paraphrase keeps
/// its topic words ("quantum computing strategy") and changes the framing,
/// which the stop words mostly take out; 0.4 groups a three-of-five overlap.
pub const SAME_WORDS_JACCARD: f32 = 0.4;

/// Example wordings and offered passages kept per group.
const EXAMPLES: usize = 5;
const PASSAGES: usize = 3;

/// Whether a question is a gap: not answered, or voted down more than up.
pub fn missed(q: &StoredQuestion) -> bool {
    !q.record.answered || (q.downs() > 0 && q.downs() >= q.ups())
}

/// The report of `questions` (those of the period), grouping by embedding
/// when `embedder` is given (and embeds every question), else by shared
/// words. `citation` names a passage id when the serving index holds it.
pub fn report(
    questions: &[StoredQuestion],
    days: u32,
    since: DateTime<Utc>,
    embedder: Option<&dyn Embedding>,
    citation: &dyn Fn(&str) -> Option<String>,
) -> GapsReport {
    let answered = questions.iter().filter(|q| q.record.answered).count();
    let misses: Vec<&StoredQuestion> = questions.iter().filter(|q| missed(q)).collect();
    let texts: Vec<&str> = misses.iter().map(|q| q.record.question.as_str()).collect();
    let vectors = embedder.and_then(|e| match e.embed_batch(&texts) {
        Ok(v) if v.len() == texts.len() => Some(v),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!("gaps: questions not embedded ({err}); grouping by shared words");
            None
        }
    });
    let (grouping, clusters) = match &vectors {
        Some(v) => ("embedding", group_by_vectors(v, SAME_MEANING_COSINE)),
        None => {
            let words: Vec<HashSet<String>> = texts
                .iter()
                .map(|t| query::content_stems(t).into_iter().collect())
                .collect();
            ("words", group_by_words(&words, SAME_WORDS_JACCARD))
        }
    };
    let mut groups: Vec<GapGroup> = clusters
        .iter()
        .map(|members| summarise(members.iter().map(|&i| misses[i]), citation))
        .collect();
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.askers.cmp(&a.askers))
            .then(a.questions.cmp(&b.questions))
    });
    GapsReport {
        days,
        since: crate::store::stamp_of(since),
        questions: questions.len(),
        answered,
        answer_rate: rate(answered, questions.len()),
        votes_up: questions.iter().map(StoredQuestion::ups).sum(),
        votes_down: questions.iter().map(StoredQuestion::downs).sum(),
        grouping: grouping.to_string(),
        groups,
        weeks: weeks(questions),
    }
}

fn rate(part: usize, whole: usize) -> f32 {
    if whole == 0 {
        0.0
    } else {
        part as f32 / whole as f32
    }
}

/// Greedy clustering in order: each vector joins the group whose centroid is
/// closest when that cosine reaches `threshold`, else starts a group.
pub fn group_by_vectors(vectors: &[Vec<f32>], threshold: f32) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Vec<usize>, Vec<f32>)> = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        let best = groups
            .iter()
            .enumerate()
            .map(|(g, (_, sum))| (g, cosine(sum, v)))
            .filter(|(_, c)| *c >= threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((g, _)) => {
                let (members, sum) = &mut groups[g];
                members.push(i);
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
            }
            None => groups.push((vec![i], v.clone())),
        }
    }
    groups.into_iter().map(|(m, _)| m).collect()
}

/// Jaccard similarity of two word sets (0 when both are empty).
pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f32 / union as f32
}

/// Greedy clustering in order by shared words: a question joins the group
/// holding its most similar member when that Jaccard reaches `threshold`.
/// Questions without content words stay alone.
pub fn group_by_words(words: &[HashSet<String>], threshold: f32) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let best = groups
            .iter()
            .enumerate()
            .map(|(g, members)| {
                let s = members
                    .iter()
                    .map(|&m| jaccard(&words[m], w))
                    .fold(0.0f32, f32::max);
                (g, s)
            })
            .filter(|(_, s)| *s >= threshold && !w.is_empty())
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((g, _)) => groups[g].push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

fn summarise<'a>(
    members: impl Iterator<Item = &'a StoredQuestion>,
    citation: &dyn Fn(&str) -> Option<String>,
) -> GapGroup {
    let mut count = 0;
    let mut askers = HashSet::new();
    let mut wordings: HashMap<&str, usize> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    let mut unanswered = 0;
    let mut down_votes = 0;
    let mut comments = Vec::new();
    // passage → (answers offering it, its best score)
    let mut offered: BTreeMap<&str, (usize, f32)> = BTreeMap::new();
    for q in members {
        count += 1;
        if let Some(a) = &q.record.asker {
            askers.insert(a.as_str());
        }
        let n = wordings.entry(q.record.question.as_str()).or_insert(0);
        if *n == 0 {
            order.push(q.record.question.as_str());
        }
        *n += 1;
        if !q.record.answered {
            unanswered += 1;
        }
        for v in q.votes.iter().filter(|v| !v.up) {
            down_votes += 1;
            if let Some(t) = v.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                comments.push(t.to_string());
            }
        }
        for p in &q.record.passages {
            let e = offered.entry(p.id.as_str()).or_insert((0, f32::MIN));
            e.0 += 1;
            e.1 = e.1.max(p.score);
        }
    }
    // Most frequent first; among equals, the first asked.
    order.sort_by_key(|w| std::cmp::Reverse(wordings.get(w).copied().unwrap_or(0)));
    // Most often offered first; among equals, the best scored.
    let mut offered: Vec<(&str, (usize, f32))> = offered.into_iter().collect();
    offered.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(b.1 .1.total_cmp(&a.1 .1)));
    let passages: Vec<OfferedPassage> = offered
        .into_iter()
        .take(PASSAGES)
        .map(|(id, (times, _))| OfferedPassage {
            id: id.to_string(),
            citation: citation(id),
            times,
        })
        .collect();
    GapGroup {
        count,
        askers: askers.len(),
        questions: order.into_iter().take(EXAMPLES).map(String::from).collect(),
        unanswered,
        down_votes,
        comments,
        passages,
    }
}

/// Questions and answers per ISO week ("2026-W48"), oldest first.
pub fn weeks(questions: &[StoredQuestion]) -> Vec<WeekRate> {
    let mut by_week: BTreeMap<(i32, u32), (usize, usize)> = BTreeMap::new();
    for q in questions {
        let w = q.record.asked_at.iso_week();
        let e = by_week.entry((w.year(), w.week())).or_insert((0, 0));
        e.0 += 1;
        if q.record.answered {
            e.1 += 1;
        }
    }
    by_week
        .into_iter()
        .map(|((y, w), (n, a))| WeekRate {
            week: format!("{y}-W{w:02}"),
            questions: n,
            answered: a,
            rate: rate(a, n),
        })
        .collect()
}
