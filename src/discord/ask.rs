//! Asking a question: the cooldown, one page of an answer (clamped to its last page),
//! the first page recorded and given its buttons (their state stored).

use super::commands;
use super::failures::{core_failure, user_message};
use super::ids::buttons_for;
use super::render::{self, PageInfo, Reply};
use super::state::{PageState, State};
use crate::service::AskOptions;
use crate::store::EntryPoint;
use std::time::Instant;

/// The ephemeral "wait N s" refusal when the user is still cooling down.
pub(super) fn cooldown_refusal(st: &State, user_id: u64) -> Option<Reply> {
    st.cooldown
        .check(user_id, Instant::now())
        .err()
        .map(|wait| {
            render::refusal(&format!(
                "You are asking a bit fast — please wait {} s and try again.",
                wait.as_millis().div_ceil(1000).max(1)
            ))
        })
}

/// The first page of the answer to `question`, with its buttons (state stored).
pub(super) async fn first_page(
    st: &State,
    question: &str,
    asker: u64,
    private: bool,
    entry: EntryPoint,
    guild_id: Option<u64>,
) -> Result<Reply, String> {
    let page = ask_page(st, question, 0).await?;
    // Only the first page is recorded; `record` never blocks (it queues the write).
    let record = st.core.record(
        question,
        &page.answer,
        entry,
        guild_id,
        Some(&asker.to_string()),
    );
    Ok(with_buttons(
        st,
        page.reply,
        page.next,
        private,
        PageState {
            question: question.to_string(),
            user_id: asker,
            total: page.total,
            private,
            shown: Reply::default(),
            shared: false,
            record,
        },
    ))
}

/// A question from a message, cut to what `/ask` accepts.
pub(super) fn capped(text: &str) -> String {
    text.chars()
        .take(usize::from(commands::QUESTION_MAX))
        .collect()
}

/// One page of an answer as shown.
pub(super) struct Page {
    pub(super) reply: Reply,
    /// The page index a "More results" button would show (None on the last page).
    pub(super) next: Option<usize>,
    /// Results of the answer (the pages it has).
    pub(super) total: usize,
    /// The answer itself (what the first page records).
    pub(super) answer: crate::model::Answer,
}

/// The offset of the page that shows `offset`, clamped to the last page of `total`
/// results (`page_size` each): a page past the end is never asked for.
pub fn clamp_offset(offset: usize, total: usize, page_size: usize) -> usize {
    let step = page_size.max(1);
    let last = total.saturating_sub(1) / step * step;
    (offset / step * step).min(last)
}

/// One page of an answer, at `offset` or, when the answer has fewer results than that
/// (the index changed since it was first asked), at its last page.
pub(super) async fn ask_page(st: &State, question: &str, offset: usize) -> Result<Page, String> {
    let top = st.settings.page_size.max(1);
    let mut offset = offset;
    loop {
        let q = question.to_string();
        let res = st
            .search(move |c| {
                c.ask(&q, AskOptions { top, offset })
                    .map(|a| (a, c.freshness()))
            })
            .await;
        let (answer, fresh) = match res {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                tracing::info!(error = %e, "question refused by the core");
                return Err(user_message(&e));
            }
            Err(e) => return Err(core_failure("ask", &e)),
        };
        let clamped = clamp_offset(offset, answer.total, top);
        if answer.results.is_empty() && !answer.no_answer && clamped < offset {
            offset = clamped;
            continue;
        }
        let page = PageInfo {
            offset,
            page_size: top,
        };
        return Ok(Page {
            reply: render::answer(&answer, &fresh, page),
            next: render::has_more(&answer, page).then_some(offset / top + 1),
            total: answer.total,
            answer,
        });
    }
}

/// Attach "More results" (to page `next`) / "Share" / "Delete" buttons, storing the
/// page state the first two point to.
pub(super) fn with_buttons(
    st: &State,
    reply: Reply,
    next: Option<usize>,
    private: bool,
    mut ps: PageState,
) -> Reply {
    let asker = ps.user_id;
    let record = ps.record.clone();
    let key = if next.is_some() || private {
        ps.shown = reply.clone();
        Some(st.store(ps))
    } else {
        None
    };
    Reply {
        buttons: buttons_for(key.as_deref(), next, private, false, asker, record.as_ref()),
        ..reply
    }
    .fitted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped_to_the_last_page() {
        // 7 results, 3 a page: offsets 0, 3, 6.
        assert_eq!(clamp_offset(0, 7, 3), 0);
        assert_eq!(clamp_offset(3, 7, 3), 3);
        assert_eq!(clamp_offset(6, 7, 3), 6);
        assert_eq!(clamp_offset(9, 7, 3), 6, "past the end: the last page");
        assert_eq!(clamp_offset(usize::MAX, 7, 3), 6);
        assert_eq!(clamp_offset(4, 7, 3), 3, "inside a page: that page");
        assert_eq!(clamp_offset(6, 6, 3), 3, "exactly full pages");
        assert_eq!(clamp_offset(3, 0, 3), 0, "no results");
        assert_eq!(clamp_offset(5, 7, 0), 5, "page size 0 counts as 1");
    }
}
