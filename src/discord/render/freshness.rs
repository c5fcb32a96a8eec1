//! How fresh the serving index is, as an embed footer and timestamp.

use super::markup::plural;
use crate::model::Freshness;

/// Footer text describing the serving index. Its build time is the embed's
/// `timestamp` ([`built_stamp`]), which Discord shows in each reader's locale; a time
/// that is not RFC 3339 (it never should be) stays in the text.
pub fn freshness_footer(f: &Freshness) -> String {
    let mut s = format!(
        "{} document{} · {} passage{} indexed",
        f.documents,
        plural(f.documents),
        f.passages,
        plural(f.passages)
    );
    if built_stamp(f).is_none() {
        s = format!("Index built {} · {s}", f.built_at);
    }
    if f.stale {
        s.push_str(" · corpus changed since (an admin can /reindex)");
    }
    s
}

/// The index's build time as an embed timestamp, when it is a valid RFC 3339 time.
pub fn built_stamp(f: &Freshness) -> Option<String> {
    serenity::model::Timestamp::parse(f.built_at.trim())
        .ok()
        .map(|t| t.to_string())
}
