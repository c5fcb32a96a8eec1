//! Plain data shared by the core and both shells (CLI, Discord).
//!
//! Everything here is serde-serialisable and free of I/O: the shells render
//! these values, they never reach into the index themselves.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of block of the source document a passage came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassageKind {
    Paragraph,
    ListItem,
    TableRow,
}

/// One row of a Markdown table: the header cells and this row's cells, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    pub headers: Vec<String>,
    pub cells: Vec<String>,
}

/// A citable unit of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Stable id: `{doc_id}#{paragraph}` or `{doc_id}#{paragraph}.{part}`; with a
    /// page, `{doc_id}#p{page}.{paragraph}` or `{doc_id}#p{page}.{paragraph}.{part}`.
    pub id: String,
    pub doc_id: String,
    pub doc_title: String,
    /// Nearest heading above the passage, if the document has headings.
    pub section: Option<String>,
    /// 1-based number of the block (paragraph, list, table) in the cleaned document
    /// (on its page, when `page` is set).
    pub paragraph: u32,
    /// 1-based part within the block when a long block was split, or the item/row number.
    pub part: u32,
    pub kind: PassageKind,
    /// The quotable text. For paragraphs and list items this is verbatim from the
    /// document; for table rows it is the header-labelled row
    /// ("Primary focus — CIO: … — CTO: …") built from verbatim cells.
    pub text: String,
    /// Lead-in sentence of a list, kept as context for its items.
    pub context: Option<String>,
    /// Set for table rows: the header and the row's cells, verbatim.
    pub table: Option<TableRow>,
    pub url: Option<String>,
    /// 1-based page of the source file (PDF); `paragraph` then counts blocks on
    /// that page. Absent for formats without pages, and then not serialised, so
    /// passages of text formats keep the form older indexes have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl Passage {
    /// Human location within the document: "¶3", "¶3.2"; with a page, "p. 2, ¶3".
    pub fn location(&self) -> String {
        let para = if self.part > 1
            || matches!(self.kind, PassageKind::ListItem | PassageKind::TableRow)
        {
            format!("¶{}.{}", self.paragraph, self.part)
        } else {
            format!("¶{}", self.paragraph)
        };
        match self.page {
            Some(page) => format!("p. {page}, {para}"),
            None => para,
        }
    }

    /// "Title › Section, ¶3" — what a reader needs to find the passage.
    pub fn citation(&self) -> String {
        match &self.section {
            Some(s) => format!("{} › {}, {}", self.doc_title, s, self.location()),
            None => format!("{}, {}", self.doc_title, self.location()),
        }
    }
}

/// One ranked result of a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub rank: usize,
    pub score: f32,
    pub doc: String,
    pub title: String,
    pub section: Option<String>,
    pub location: String,
    /// The whole passage, verbatim.
    pub text: String,
    /// The best one or two sentences of the passage, verbatim.
    pub best: String,
    /// For a list item, the sentence that leads in to its list, verbatim
    /// ("CIOs commonly handle responsibilities such as:"): shown before the
    /// item, which says little on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// For a list's lead-in, the items of its list or the rows of its table,
    /// verbatim and in order (at most [`LIST_SHOWN`]): the lead-in is shown
    /// with them, as the answer it introduces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// How many further items the list has beyond `items`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_items: usize,
    /// Byte ranges in `best` of matched query terms, for emphasis.
    pub highlights: Vec<(usize, usize)>,
    pub citation: String,
    pub url: Option<String>,
    pub passage_id: String,
}

/// Items of a lead-in's list shown with it at most.
pub const LIST_SHOWN: usize = 12;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How many of the top passages assign a responsibility to one role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleShare {
    pub role: String,
    pub sources: usize,
    /// Ranks (1-based) of the hits that support this role.
    pub ranks: Vec<usize>,
}

/// "Mostly the CIO (3 sources); the CTO … (1 source)".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub summary: String,
    pub shares: Vec<RoleShare>,
    pub disagreement: bool,
}

/// The answer to a question: ranked verbatim passages, or an honest "no answer".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub query: String,
    pub results: Vec<Hit>,
    pub no_answer: bool,
    /// Set for "who …" questions when the top passages name a role.
    pub verdict: Option<Verdict>,
    /// For no-answer replies: what the corpus does cover.
    pub suggestion: Option<String>,
    /// Total results available beyond this page (for "More results").
    pub total: usize,
    /// Why the question was answered or refused (`ask --explain`, `--json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// What the answer/no-answer decision read, and what it decided.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub answered: bool,
    /// The decision's score: answered when it is at least 0 (a log-odds).
    pub score: f32,
    /// Best IDF-weighted share of the question's concepts a candidate expresses
    /// (framing words count little).
    pub coverage: f32,
    /// Best cosine similarity of a candidate passage (or one of its
    /// sentences) to the question; 0 without the model.
    pub dense: f32,
    /// The best cosine after taking out the corpus's mean direction.
    #[serde(default)]
    pub dense_centred: f32,
    /// Share (by weight) of the question's content words the corpus contains.
    pub known: f32,
    /// Content words of the question (roles and framing not counted).
    pub content_words: usize,
    /// Of those, the words the corpus does not contain (after typo correction).
    #[serde(default)]
    pub unknown_words: usize,
    /// The question asks for a figure (how much, many, long, often, what year, an
    /// average) and none of the first candidates states one about what it asks:
    /// refused for that.
    #[serde(default)]
    pub no_figure: bool,
    /// A name in the question the corpus never mentions (as written): refused for that.
    #[serde(default)]
    pub unknown_name: Option<String>,
}

/// A verbatim quote with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub text: String,
    pub doc: String,
    pub citation: String,
    pub passage_id: String,
}

/// Sources that put the same responsibility on different roles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub summary: String,
    /// Role → quotes assigning the responsibility to that role.
    pub sides: BTreeMap<String, Vec<Quote>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    pub aspect: String,
    /// Role (canonical short name, e.g. "CIO") → quotes about that role.
    pub cells: BTreeMap<String, Vec<Quote>>,
    pub disagreement: Option<Disagreement>,
}

/// A side-by-side of two roles, one row per aspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub roles: [String; 2],
    pub rows: Vec<ComparisonRow>,
}

/// A document of the corpus as listed by `/sources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub passages: usize,
}

/// A document added to or removed from the corpus (`/sources add|remove`,
/// `rolefaq sources add|remove`), and the rebuild that followed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceChange {
    /// "added" or "removed".
    pub action: String,
    pub id: String,
    /// The file written (added) or the files moved aside (removed), relative to
    /// nothing: as the corpus directory names them.
    pub files: Vec<String>,
    /// Where removed or replaced files were kept (`.removed/` in the corpus).
    pub kept: Vec<String>,
    /// Passages the added document gives on its own.
    pub passages: usize,
    /// The title given to a Markdown or text file that had no front matter.
    pub titled: Option<String>,
    /// The rebuild that followed, when it ran.
    pub rebuild: Option<IndexReport>,
    /// Why the rebuild did not run or failed (the change is on disk: the next
    /// rebuild, or the corpus watcher, picks it up).
    pub rebuild_error: Option<String>,
    /// The rebuild skipped the added file (e.g. a copy of another document).
    pub skipped_reason: Option<String>,
}

/// A file the loader skipped, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// A line the cleaner dropped, and the rule that dropped it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    pub doc: String,
    pub rule: String,
    pub line: String,
}

/// What a rebuild of the index did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexReport {
    pub documents: usize,
    pub passages: usize,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    pub skipped: Vec<Skipped>,
    pub dropped: Vec<Dropped>,
    pub elapsed_ms: u64,
    pub built_at: String,
    pub embeddings: bool,
    /// Vectors computed by this build and those taken over from the previous
    /// generation (same text, same model).
    #[serde(default)]
    pub vectors: VectorCounts,
}

/// How many passage, sentence and word vectors a rebuild embedded and reused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorCounts {
    pub passages_embedded: usize,
    pub passages_reused: usize,
    pub sentences_embedded: usize,
    pub sentences_reused: usize,
    #[serde(default)]
    pub words_embedded: usize,
    #[serde(default)]
    pub words_reused: usize,
}

/// How fresh the serving index is (Discord footer, `rolefaq ask` warnings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Freshness {
    pub built_at: String,
    pub documents: usize,
    pub passages: usize,
    /// True when the corpus on disk no longer matches the index.
    pub stale: bool,
}

/// What `rolefaq gaps` and `/gaps` report over a period: how often questions
/// were answered, the votes, and the missed questions (unanswered or voted
/// down) grouped by meaning, largest group first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapsReport {
    /// The period: the last `days` days, from `since` (RFC 3339, UTC).
    pub days: u32,
    pub since: String,
    /// Questions recorded in the period.
    pub questions: usize,
    pub answered: usize,
    /// `answered / questions` (0 without questions).
    pub answer_rate: f32,
    pub votes_up: usize,
    pub votes_down: usize,
    /// How the groups were formed: "embedding" (cosine of the questions'
    /// vectors) or "words" (shared content words).
    pub grouping: String,
    pub groups: Vec<GapGroup>,
    /// Answer rate per ISO week, oldest first.
    pub weeks: Vec<WeekRate>,
}

/// Missed questions that mean the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapGroup {
    /// Questions in the group.
    pub count: usize,
    /// Distinct askers (by keyed hash; questions without one are not counted).
    pub askers: usize,
    /// A few wordings, most frequent first, each once.
    pub questions: Vec<String>,
    /// Of `count`, how many were not answered.
    pub unanswered: usize,
    /// 👎 votes on the group's answers.
    pub down_votes: usize,
    /// What the down-voters said they were looking for.
    pub comments: Vec<String>,
    /// The passages that were offered, most often first.
    pub passages: Vec<OfferedPassage>,
}

/// A passage an answer offered, as the gaps report names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferedPassage {
    pub id: String,
    /// "Title › Section, ¶3" when the serving index still holds the passage.
    pub citation: Option<String>,
    /// Answers in the group that offered it.
    pub times: usize,
}

/// Questions and answers of one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekRate {
    /// "2026-W48".
    pub week: String,
    pub questions: usize,
    pub answered: usize,
    pub rate: f32,
}

/// One rebuild of the corpus watcher: why it ran and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchEvent {
    /// What changed ("a.md was modified").
    pub reason: String,
    /// The rebuild's report when it succeeded.
    pub report: Option<IndexReport>,
    /// Why it failed (the previous generation keeps serving).
    pub error: Option<String>,
}
