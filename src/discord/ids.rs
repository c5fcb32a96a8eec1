//! The custom ids of the bot's buttons and modals: their formats, the buttons of an
//! answer that carry them, and parsing a clicked id back into what it asks for.

use super::render::{Button, ButtonKind};
use crate::store::RecordId;

pub(super) const MORE_PREFIX: &str = "rf:more:";
pub(super) const SHARE_PREFIX: &str = "rf:share:";
pub(super) const SOURCES_PREFIX: &str = "rf:src:";
pub(super) const DELETE_PREFIX: &str = "rf:del:";
/// 👍 / 👎 on a recorded answer: `fb:up:{record id}` / `fb:down:{record id}`.
pub(super) const VOTE_UP_PREFIX: &str = "fb:up:";
pub(super) const VOTE_DOWN_PREFIX: &str = "fb:down:";
/// The 👎 modal (`fb:why:{record id}`) and its text input.
pub(super) const WHY_PREFIX: &str = "fb:why:";
pub(super) const WHY_INPUT: &str = "fb:why:text";

/// Custom id of a `/sources` page button; `owner` (the user who asked for the list)
/// is the only one whose clicks page that message.
pub fn sources_button_id(page: usize, owner: Option<u64>) -> String {
    match owner {
        Some(u) => format!("{SOURCES_PREFIX}{page}:{u}"),
        None => format!("{SOURCES_PREFIX}{page}"),
    }
}

/// The "Delete" button of a public answer: only `asker` (or a moderator with Manage
/// Messages) can use it.
pub fn delete_button(asker: u64) -> Button {
    Button {
        custom_id: format!("{DELETE_PREFIX}{asker}"),
        label: "Delete".into(),
        kind: ButtonKind::Secondary,
        disabled: false,
    }
}

/// The buttons of an answer. "More results" names the page it shows
/// (`rf:more:{key}:{page}`), so clicking it twice shows that page twice; a private
/// answer has "Share" (disabled once used), a public one "Delete" (for `asker`); a
/// recorded answer (`record`) has 👍 / 👎.
pub(super) fn buttons_for(
    key: Option<&str>,
    next: Option<usize>,
    private: bool,
    shared: bool,
    asker: u64,
    record: Option<&RecordId>,
) -> Vec<Button> {
    let mut b = Vec::new();
    if let (Some(key), Some(page)) = (key, next) {
        b.push(Button {
            custom_id: format!("{MORE_PREFIX}{key}:{page}"),
            label: "More results".into(),
            kind: ButtonKind::Primary,
            disabled: false,
        });
    }
    match (private, key) {
        (true, Some(key)) => b.push(Button {
            custom_id: format!("{SHARE_PREFIX}{key}"),
            label: if shared { "Shared" } else { "Share" }.into(),
            kind: ButtonKind::Success,
            disabled: shared,
        }),
        (true, None) => {}
        (false, _) => b.push(delete_button(asker)),
    }
    if let Some(id) = record {
        b.push(Button {
            custom_id: format!("{VOTE_UP_PREFIX}{id}"),
            label: "👍".into(),
            kind: ButtonKind::Secondary,
            disabled: false,
        });
        b.push(Button {
            custom_id: format!("{VOTE_DOWN_PREFIX}{id}"),
            label: "👎".into(),
            kind: ButtonKind::Secondary,
            disabled: false,
        });
    }
    b
}

/// What a button's custom id asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction<'a> {
    /// Show page `page` (0-based) of the answer stored under `key`.
    More {
        key: &'a str,
        page: usize,
    },
    Share {
        key: &'a str,
    },
    /// A `/sources` page; `owner` pages that message, anyone else gets a copy.
    Sources {
        page: usize,
        owner: Option<u64>,
    },
    /// Delete a public answer (its asker or a moderator).
    Delete {
        asker: u64,
    },
    /// 👍 (`up`) or 👎 on the recorded answer `record`.
    Vote {
        record: RecordId,
        up: bool,
    },
}

/// Parse a custom id this bot made; None for anything else (or an older format).
pub fn parse_custom_id(id: &str) -> Option<ButtonAction<'_>> {
    for (prefix, up) in [(VOTE_UP_PREFIX, true), (VOTE_DOWN_PREFIX, false)] {
        if let Some(rest) = id.strip_prefix(prefix) {
            return RecordId::parse(rest).map(|record| ButtonAction::Vote { record, up });
        }
    }
    if let Some(rest) = id.strip_prefix(SOURCES_PREFIX) {
        let (page, owner) = match rest.split_once(':') {
            Some((p, o)) => (p, Some(o.parse().ok()?)),
            None => (rest, None),
        };
        return page
            .parse()
            .ok()
            .map(|page| ButtonAction::Sources { page, owner });
    }
    if let Some(asker) = id.strip_prefix(DELETE_PREFIX) {
        return asker
            .parse()
            .ok()
            .map(|asker| ButtonAction::Delete { asker });
    }
    if let Some(rest) = id.strip_prefix(MORE_PREFIX) {
        let (key, page) = rest.split_once(':')?;
        return Some(ButtonAction::More {
            key,
            page: page.parse().ok()?,
        });
    }
    id.strip_prefix(SHARE_PREFIX)
        .map(|key| ButtonAction::Share { key })
}

/// The record a modal's custom id names (`fb:why:{record id}`).
pub fn parse_modal_id(id: &str) -> Option<RecordId> {
    id.strip_prefix(WHY_PREFIX).and_then(RecordId::parse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::render;

    #[test]
    fn more_results_ids_name_their_page() {
        let b = buttons_for(Some("ab12"), Some(4), true, false, 7, None);
        assert_eq!(b[0].custom_id, "rf:more:ab12:4");
        assert_eq!(
            parse_custom_id(&b[0].custom_id),
            Some(ButtonAction::More {
                key: "ab12",
                page: 4
            })
        );
        assert_eq!(
            parse_custom_id(&b[1].custom_id),
            Some(ButtonAction::Share { key: "ab12" })
        );
        assert_eq!(
            parse_custom_id("rf:src:2"),
            Some(ButtonAction::Sources {
                page: 2,
                owner: None
            })
        );
        assert_eq!(
            parse_custom_id(&render::sources_button_id(3, Some(55))),
            Some(ButtonAction::Sources {
                page: 3,
                owner: Some(55)
            })
        );
        assert_eq!(parse_custom_id("rf:src:3:x"), None);
        // A public answer: Delete for its asker, no Share.
        let public = buttons_for(None, None, false, false, 7, None);
        assert_eq!(public.len(), 1);
        assert_eq!(
            parse_custom_id(&public[0].custom_id),
            Some(ButtonAction::Delete { asker: 7 })
        );
        // Shared once: the Share button is disabled.
        let shared = buttons_for(Some("k"), None, true, true, 7, None);
        assert!(shared[0].disabled && shared[0].label == "Shared");
        // The old "next page" id carried no page: not guessed at.
        assert_eq!(parse_custom_id("rf:more:ab12"), None);
        assert_eq!(parse_custom_id("rf:more:ab12:x"), None);
        assert_eq!(parse_custom_id("other"), None);
        assert!(buttons_for(None, None, true, false, 1, None).is_empty());
    }

    #[test]
    fn a_recorded_answer_has_vote_buttons_naming_its_record() {
        let id = RecordId::parse("00ff00ff00ff00ff").unwrap();
        let b = buttons_for(None, None, false, false, 7, Some(&id));
        let ids: Vec<_> = b.iter().map(|b| b.custom_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "rf:del:7",
                "fb:up:00ff00ff00ff00ff",
                "fb:down:00ff00ff00ff00ff"
            ]
        );
        assert_eq!(
            parse_custom_id(ids[2]),
            Some(ButtonAction::Vote {
                record: id.clone(),
                up: false
            })
        );
        assert_eq!(
            parse_custom_id(ids[1]),
            Some(ButtonAction::Vote {
                record: id,
                up: true
            })
        );
        assert_eq!(parse_custom_id("fb:up:nothex"), None);
        assert_eq!(
            parse_modal_id("fb:why:00FF00FF00FF00FF"),
            RecordId::parse("00ff00ff00ff00ff")
        );
        assert_eq!(parse_modal_id("fb:why:short"), None);
        // More + Share + 👍 + 👎 fit one action row.
        let id = RecordId::parse("0123456789abcdef").unwrap();
        assert!(buttons_for(Some("k"), Some(1), true, false, 7, Some(&id)).len() <= 5);
    }
}
