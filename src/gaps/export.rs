//! `rolefaq gaps --export FILE.csv`: one row a recorded question of the
//! period, for a spreadsheet.

use crate::store::{stamp_of, StoredQuestion};
use serde::{Deserialize, Serialize};

/// A row of the export (the header is these names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRow {
    pub asked_at: String,
    pub question: String,
    pub answered: bool,
    /// Unanswered or voted down (what `gaps` groups).
    pub missed: bool,
    pub entry_point: String,
    pub guild_id: String,
    /// Keyed hash of the asker (empty when unknown).
    pub asker: String,
    pub votes_up: usize,
    pub votes_down: usize,
    /// The down-voters' texts, separated by " | ".
    pub comments: String,
    /// Offered passage ids with their scores, best first ("id:0.812 id2:0.640").
    pub passages: String,
}

/// Text a spreadsheet would run as a formula ("=HYPERLINK(…)", "+1", "@x")
/// is prefixed with an apostrophe, which spreadsheets show as text: the
/// questions are anyone's words.
pub fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

impl ExportRow {
    pub fn of(q: &StoredQuestion) -> Self {
        let r = &q.record;
        Self {
            asked_at: stamp_of(r.asked_at),
            question: cell(&r.question),
            answered: r.answered,
            missed: super::missed(q),
            entry_point: r.entry_point.as_str().to_string(),
            guild_id: r.guild_id.map(|g| g.to_string()).unwrap_or_default(),
            asker: r.asker.clone().unwrap_or_default(),
            votes_up: q.ups(),
            votes_down: q.downs(),
            comments: q
                .votes
                .iter()
                .filter(|v| !v.up)
                .filter_map(|v| v.text.as_deref())
                .map(cell)
                .collect::<Vec<_>>()
                .join(" | "),
            passages: r
                .passages
                .iter()
                .map(|p| format!("{}:{:.3}", p.id, p.score))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// Write the questions as CSV (a header, then one row each).
pub fn write_csv<W: std::io::Write>(w: W, questions: &[StoredQuestion]) -> Result<(), csv::Error> {
    let mut out = csv::Writer::from_writer(w);
    for q in questions {
        out.serialize(ExportRow::of(q))?;
    }
    out.flush()?;
    Ok(())
}
