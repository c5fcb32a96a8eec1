//! Reports for admins: a rebuild's (`/reindex`) and what the corpus misses (`/gaps`).

use super::markup::truncate;
use super::reply::{Embed, Field, Reply, COLOR_OK};
use crate::model::IndexReport;

/// How many groups `/gaps` shows (each one embed field).
pub const GAPS_GROUPS: usize = 10;

/// `/gaps`: the period's totals and its top missed groups (count, askers, a few
/// wordings and what down-voters looked for), within Discord's limits (`fitted`).
pub fn gaps(r: &crate::model::GapsReport) -> Reply {
    let mut d = format!(
        "{} questions in the last {} days, {} answered ({:.0} %); 👍 {} · 👎 {}.",
        r.questions,
        r.days,
        r.answered,
        r.answer_rate * 100.0,
        r.votes_up,
        r.votes_down
    );
    if r.groups.is_empty() {
        d.push_str("\nNothing missed in this period.");
    } else {
        d.push_str(&format!(
            "\nMissed (unanswered or voted down), most asked first ({} groups):",
            r.groups.len()
        ));
    }
    let fields = r
        .groups
        .iter()
        .take(GAPS_GROUPS)
        .map(|g| {
            let mut v: Vec<String> = g
                .questions
                .iter()
                .take(3)
                .map(|q| format!("• {}", truncate(q, 200)))
                .collect();
            for c in g.comments.iter().take(2) {
                v.push(format!("looking for: {}", truncate(c, 200)));
            }
            Field {
                name: format!(
                    "{} questions · {} askers · {} unanswered · {} 👎",
                    g.count, g.askers, g.unanswered, g.down_votes
                ),
                value: v.join("\n"),
                inline: false,
            }
        })
        .collect();
    Reply {
        embeds: vec![Embed {
            title: Some(format!("What the corpus misses — last {} days", r.days)),
            description: Some(d),
            fields,
            ..Default::default()
        }],
        ephemeral: true,
        ..Default::default()
    }
    .fitted()
}

/// `/reindex` result.
pub fn index_report(r: &IndexReport) -> Reply {
    let list = |v: &[String]| -> String {
        if v.is_empty() {
            "none".into()
        } else {
            let shown: Vec<String> = v
                .iter()
                .take(15)
                .map(|s| format!("`{}`", s.replace('`', "'")))
                .collect();
            let mut s = shown.join(", ");
            if v.len() > 15 {
                s.push_str(&format!(" and {} more", v.len() - 15));
            }
            s
        }
    };
    let d = format!(
        "**Documents:** {} · **Passages:** {} · **Time:** {:.1} s\n\
         Embeddings: {}\nBuilt at {}",
        r.documents,
        r.passages,
        r.elapsed_ms as f64 / 1000.0,
        if r.embeddings { "yes" } else { "no" },
        r.built_at
    );
    let mut fields = vec![
        Field {
            name: format!("Added ({})", r.added.len()),
            value: list(&r.added),
            inline: false,
        },
        Field {
            name: format!("Removed ({})", r.removed.len()),
            value: list(&r.removed),
            inline: false,
        },
        Field {
            name: format!("Changed ({})", r.changed.len()),
            value: list(&r.changed),
            inline: false,
        },
    ];
    if !r.skipped.is_empty() {
        let v: Vec<String> = r
            .skipped
            .iter()
            .take(10)
            .map(|s| format!("`{}`: {}", s.path.replace('`', "'"), s.reason))
            .collect();
        fields.push(Field {
            name: format!("Skipped files ({})", r.skipped.len()),
            value: v.join("\n"),
            inline: false,
        });
    }
    Reply {
        embeds: vec![Embed {
            title: Some("Index rebuilt".into()),
            description: Some(d),
            fields,
            footer: None,
            timestamp: None,
            color: Some(COLOR_OK),
        }],
        ..Default::default()
    }
    .fitted()
}
