//! `/help`.

use super::reply::{Embed, Field, Reply, COLOR_ANSWER};

/// `/help`.
pub fn help(page_size: usize, cooldown_secs: u64) -> Reply {
    let fields = vec![
        Field {
            name: "/ask question [private]".into(),
            value: format!(
                "Answers from the corpus with the {page_size} best passages, each cited \
                 (document, section, paragraph). \"More results\" pages on; with \
                 `private: true` only you see the answer, and \"Share\" posts it."
            ),
            inline: false,
        },
        Field {
            name: "/compare role_a role_b [aspect]".into(),
            value: "Side-by-side quotes about two roles (e.g. CIO and CTO), one row per \
                    aspect, with a warning where sources disagree."
                .into(),
            inline: false,
        },
        Field {
            name: "/sources list · add · remove".into(),
            value: "The documents the answers come from (`list`); admins can add an attached \
                    document or remove one (`add`, `remove`), and the index is rebuilt."
                .into(),
            inline: false,
        },
        Field {
            name: "Ask rolefaq, @mention, DM".into(),
            value: "Right-click a message › Apps › **Ask rolefaq** to ask its text, or \
                    mention me (or send me a DM) with a question. Public answers have a \
                    **Delete** button for the asker; \"Share\" posts a private answer once."
                .into(),
            inline: false,
        },
        Field {
            name: "/reindex (admins)".into(),
            value: "Rebuild the index from the corpus and report what changed.".into(),
            inline: false,
        },
        Field {
            name: "/gaps [days] (admins)".into(),
            value: "The questions the corpus missed (unanswered or voted down), grouped by \
                    meaning, with what the down-voters were looking for."
                .into(),
            inline: false,
        },
        Field {
            name: "Feedback and privacy".into(),
            value: "Questions are recorded (with the answer's passages and your 👍/👎, \
                    never your user id in clear: only a keyed hash) to show the corpus \
                    owners what is missed (/gaps). The bot's admins \
                    switch recording off with `[store] enabled = false` in its config."
                .into(),
            inline: false,
        },
    ];
    let mut d = String::from(
        "I answer questions about technology-leadership roles (CIO, CTO, …) with \
         verbatim passages from a curated corpus — never invented text.",
    );
    if cooldown_secs > 0 {
        d.push_str(&format!(
            "\nPlease wait {cooldown_secs} s between questions."
        ));
    }
    Reply {
        embeds: vec![Embed {
            title: Some("rolefaq — help".into()),
            description: Some(d),
            fields,
            footer: None,
            timestamp: None,
            color: Some(COLOR_ANSWER),
            image: None,
        }],
        ephemeral: true,
        ..Default::default()
    }
    .fitted()
}
