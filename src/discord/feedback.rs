//! 👍 / 👎 on a recorded answer and the 👎 modal asking what the voter looked for.

use super::ids::{parse_modal_id, WHY_INPUT, WHY_PREFIX};
use super::render::{self, Reply};
use super::state::State;
use crate::store::RecordId;
use serenity::all::{
    ActionRowComponent, ComponentInteraction, CreateActionRow, CreateInputText,
    CreateInteractionResponse, CreateModal, InputTextStyle, ModalInteraction,
};

/// The label of the 👎 modal's text input.
pub const WHY_LABEL: &str = "What were you looking for?";

fn thanks(kept: bool) -> Reply {
    Reply::ephemeral_text(if kept {
        "Thanks for your feedback! (You can change your vote at any time.)"
    } else {
        "Thanks! (Feedback is not being recorded right now.)"
    })
}

/// 👍 / 👎: the vote is recorded at the click (one per person and answer; a later
/// click replaces it). 👍 thanks the voter privately; 👎 opens a modal (type 9) asking
/// what they were looking for: its submission replaces the down vote with one carrying
/// that text, and dismissing it keeps the plain down vote. `vote` never blocks (it
/// queues the write).
pub(super) async fn on_vote_click(
    st: &State,
    c: &ComponentInteraction,
    record: &RecordId,
    up: bool,
) -> anyhow::Result<()> {
    let user = c.user.id.get().to_string();
    let kept = st.core.vote(record, &user, up, None);
    let response = if up || !kept {
        CreateInteractionResponse::Message(thanks(kept).to_response_message())
    } else {
        CreateInteractionResponse::Modal(why_modal(record))
    };
    st.within(
        "the vote's response",
        c.create_response(&st.ihttp, response),
    )
    .await
}

/// The 👎 modal: one optional paragraph input of at most `store::MAX_VOTE_TEXT` chars.
fn why_modal(record: &RecordId) -> CreateModal {
    let max = u16::try_from(crate::store::MAX_VOTE_TEXT)
        .unwrap_or(4000)
        .min(4000);
    CreateModal::new(format!("{WHY_PREFIX}{record}"), "Not helpful?").components(vec![
        CreateActionRow::InputText(
            CreateInputText::new(InputTextStyle::Paragraph, WHY_LABEL, WHY_INPUT)
                .max_length(max)
                .required(false),
        ),
    ])
}

/// MODAL_SUBMIT of the 👎 modal: the down vote with what the voter looked for.
pub(super) async fn on_modal_submit(st: &State, m: &ModalInteraction) -> anyhow::Result<()> {
    let reply = match parse_modal_id(&m.data.custom_id) {
        Some(record) => {
            let text: String = m
                .data
                .components
                .iter()
                .flat_map(|row| &row.components)
                .filter_map(|c| match c {
                    ActionRowComponent::InputText(t) if t.custom_id == WHY_INPUT => t.value.clone(),
                    _ => None,
                })
                .collect();
            let user = m.user.id.get().to_string();
            let text = Some(text.as_str()).filter(|t| !t.trim().is_empty());
            thanks(st.core.vote(&record, &user, false, text))
        }
        None => render::refusal("This form is no longer supported. Use /help."),
    };
    st.within(
        "the modal's response",
        m.create_response(
            &st.ihttp,
            CreateInteractionResponse::Message(reply.to_response_message()),
        ),
    )
    .await
}
