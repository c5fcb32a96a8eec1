//! Reports for admins: a rebuild's (`/reindex`) and what the corpus misses (`/gaps`).

use super::markup::{escape_markdown, truncate};
use super::reply::{Embed, Field, File, Reply, COLOR_OK};
use crate::model::{IndexReport, SourceChange, WatchEvent};

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
    // the answer rate per week reads better as a picture (none without questions)
    let chart = (!r.weeks.is_empty())
        .then(|| crate::gaps::chart::answer_rate_png(&r.weeks).ok())
        .flatten()
        .map(|bytes| File {
            name: GAPS_CHART.into(),
            bytes,
        });
    Reply {
        embeds: vec![Embed {
            title: Some(format!("What the corpus misses — last {} days", r.days)),
            description: Some(d),
            fields,
            image: chart.as_ref().map(|f| format!("attachment://{}", f.name)),
            ..Default::default()
        }],
        ephemeral: true,
        files: chart.into_iter().collect(),
        ..Default::default()
    }
    .fitted()
}

/// The file name of `/gaps`'s chart of the answer rate per week.
pub const GAPS_CHART: &str = "answer-rate.png";

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
            image: None,
        }],
        ..Default::default()
    }
    .fitted()
}

/// `/sources add|remove`: what changed in the corpus, then the rebuild's report.
pub fn source_change(c: &SourceChange) -> Reply {
    let code = |s: &str| format!("`{}`", s.replace('`', "'"));
    let mut d = match c.action.as_str() {
        "added" => format!(
            "Added {} ({} passages on its own).",
            code(&c.id),
            c.passages
        ),
        _ => format!("Removed {}.", code(&c.id)),
    };
    if let Some(t) = &c.titled {
        d.push_str(&format!(
            "\nIt had no front matter: titled “{}”.",
            escape_markdown(t)
        ));
    }
    if !c.kept.is_empty() {
        // file names only: the server's paths are not the reader's business
        let kept: Vec<String> = c
            .kept
            .iter()
            .take(5)
            .map(|k| {
                let name = std::path::Path::new(k)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                code(&name)
            })
            .collect();
        d.push_str(&format!(
            "\nKept in the corpus's `.removed` folder (move back to restore): {}",
            kept.join(", ")
        ));
    }
    if let Some(r) = &c.skipped_reason {
        d.push_str(&format!("\n**The rebuild skipped the new file:** {r}"));
    }
    let mut reply = match (&c.rebuild, &c.rebuild_error) {
        (Some(report), _) => index_report(report),
        (None, e) => super::notices::notice(
            "Corpus changed",
            &e.as_deref().map_or_else(String::new, |e| {
                format!("Not rebuilt yet ({e}); the next rebuild takes the change in.")
            }),
        ),
    };
    if let Some(e) = reply.embeds.first_mut() {
        e.title = Some(match c.action.as_str() {
            "added" => "Document added".into(),
            _ => "Document removed".into(),
        });
        let rest = e.description.take().unwrap_or_default();
        e.description = Some(if rest.is_empty() {
            d
        } else {
            format!("{d}\n\n{rest}")
        });
    }
    reply.ephemeral = true;
    reply.fitted()
}

/// A rebuild of the corpus watcher, for the admin channel.
pub fn watch_event(e: &WatchEvent) -> Reply {
    match (&e.report, &e.error) {
        (_, Some(err)) => {
            let mut r = super::notices::refusal(&format!(
                "The corpus changed ({}), but the rebuild failed: {err}\n\
                 The previous index keeps serving.",
                e.reason
            ));
            r.ephemeral = false;
            if let Some(emb) = r.embeds.first_mut() {
                emb.title = Some("Automatic rebuild failed".into());
            }
            r.fitted()
        }
        (Some(report), None) => {
            let mut r = index_report(report);
            if let Some(emb) = r.embeds.first_mut() {
                emb.title = Some("Index rebuilt automatically".into());
                let d = emb.description.take().unwrap_or_default();
                emb.description = Some(format!("The corpus changed ({}).\n{d}", e.reason));
            }
            r.fitted()
        }
        (None, None) => super::notices::notice("Corpus watcher", &e.reason),
    }
}
