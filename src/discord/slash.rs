//! Application commands: the slash commands (`/ask`, `/compare`, `/sources`, `/help`,
//! `/gaps`; `/reindex` in `reindex`), the "Ask rolefaq" message command, and
//! autocomplete of their options.

use super::ask::{capped, cooldown_refusal, first_page};
use super::commands;
use super::failures::{core_failure, user_message};
use super::guard::{self, Caller};
use super::reindex::reindex;
use super::render;
use super::respond::{answer_or_defer, respond};
use super::responder::Responder;
use super::sources::on_sources;
use super::state::State;
use crate::store::EntryPoint;
use serenity::all::{
    CommandDataOptionValue, CommandInteraction, CommandType, CreateAutocompleteResponse,
    CreateInteractionResponse, Http, Permissions, ResolvedTarget,
};
use std::sync::Arc;

pub(super) fn caller_of(cmd: &CommandInteraction) -> Caller {
    Caller {
        user_id: cmd.user.id.get(),
        guild_id: cmd.guild_id.map(|g| g.get()),
        role_ids: cmd
            .member
            .as_ref()
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
        administrator: cmd
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.contains(Permissions::ADMINISTRATOR)),
    }
}

fn opt_str<'a>(cmd: &'a CommandInteraction, name: &str) -> Option<&'a str> {
    cmd.data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            CommandDataOptionValue::String(s) => Some(s.as_str()),
            CommandDataOptionValue::Autocomplete { value, .. } => Some(value.as_str()),
            _ => None,
        })
}

fn opt_int(cmd: &CommandInteraction, name: &str) -> Option<i64> {
    cmd.data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.value.as_i64())
}

fn opt_bool(cmd: &CommandInteraction, name: &str) -> Option<bool> {
    cmd.data
        .options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.value.as_bool())
}

/// The text of the message a message command was used on.
fn target_text(cmd: &CommandInteraction) -> Option<String> {
    match cmd.data.target() {
        Some(ResolvedTarget::Message(m)) => {
            let mut t = m.content.trim().to_string();
            if t.is_empty() {
                // A message of embeds only (another bot's answer): their text.
                t = m
                    .embeds
                    .iter()
                    .flat_map(|e| [e.title.as_deref(), e.description.as_deref()])
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim()
                    .to_string();
            }
            Some(t)
        }
        _ => None,
    }
}

/// A question from a command (`/ask`, the message command): the asker's
/// cooldown, then the first page, answered at once when fast, else deferred.
async fn answer_question(
    st: &State,
    r: &Responder,
    cmd: &CommandInteraction,
    asker: u64,
    question: &str,
    private: bool,
    entry: EntryPoint,
) -> anyhow::Result<()> {
    if let Some(refusal) = cooldown_refusal(st, asker) {
        return respond(st, r, &refusal).await;
    }
    let guild = cmd.guild_id.map(|g| g.get());
    answer_or_defer(
        st,
        r,
        cmd,
        private,
        first_page(st, question, asker, private, entry, guild),
    )
    .await
}

pub(super) async fn on_command(
    st: &State,
    http: &Arc<Http>,
    r: &Responder,
    cmd: &CommandInteraction,
) -> anyhow::Result<()> {
    let caller = caller_of(cmd);
    tracing::debug!(command = %cmd.data.name, user = caller.user_id, "command");
    if cmd.data.kind == CommandType::Message {
        if cmd.data.name != commands::ASK_MESSAGE {
            return respond(
                st,
                r,
                &render::refusal("I don't know that command. Try /help."),
            )
            .await;
        }
        let question = capped(&target_text(cmd).unwrap_or_default());
        if question.trim().is_empty() {
            return respond(
                st,
                r,
                &render::refusal("That message has no text to ask about. Use /ask instead."),
            )
            .await;
        }
        return answer_question(
            st,
            r,
            cmd,
            caller.user_id,
            &question,
            false,
            EntryPoint::ContextMenu,
        )
        .await;
    }
    match cmd.data.name.as_str() {
        commands::ASK => {
            let question = opt_str(cmd, "question").unwrap_or("").trim().to_string();
            let private = opt_bool(cmd, "private").unwrap_or(false);
            if question.is_empty() {
                return respond(
                    st,
                    r,
                    &render::refusal(
                        "Please type a question, e.g. `/ask question: who owns cybersecurity?`",
                    ),
                )
                .await;
            }
            answer_question(
                st,
                r,
                cmd,
                caller.user_id,
                &question,
                private,
                EntryPoint::Slash,
            )
            .await
        }
        commands::COMPARE => {
            let a = opt_str(cmd, "role_a").unwrap_or("").trim().to_string();
            let b = opt_str(cmd, "role_b").unwrap_or("").trim().to_string();
            let aspect = opt_str(cmd, "aspect")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from);
            if a.is_empty() || b.is_empty() {
                return respond(
                    st,
                    r,
                    &render::refusal("Give two roles, e.g. `/compare role_a: CIO role_b: CTO`."),
                )
                .await;
            }
            if let Some(refusal) = cooldown_refusal(st, caller.user_id) {
                return respond(st, r, &refusal).await;
            }
            let work = async {
                let res = st
                    .search(move |c| {
                        c.compare(&a, &b, aspect.as_deref())
                            .map(|cmp| (cmp, c.freshness()))
                    })
                    .await;
                match res {
                    Ok(Ok((cmp, fresh))) => {
                        let mut r = render::comparison(&cmp, &fresh);
                        r.buttons.push(render::delete_button(caller.user_id));
                        Ok(r.fitted())
                    }
                    Ok(Err(e)) => {
                        tracing::info!(error = %e, "compare refused");
                        Err(user_message(&e))
                    }
                    Err(e) => Err(core_failure("compare", &e)),
                }
            };
            answer_or_defer(st, r, cmd, false, work).await
        }
        commands::REINDEX => reindex(st, http, r, cmd, &caller).await,
        commands::GAPS => gaps(st, r, cmd, &caller).await,
        commands::SOURCES => on_sources(st, http, r, cmd, &caller).await,
        commands::HELP => {
            respond(
                st,
                r,
                &render::help(st.settings.page_size, st.settings.cooldown_secs),
            )
            .await
        }
        other => {
            tracing::warn!(command = other, "unknown command");
            respond(
                st,
                r,
                &render::refusal("I don't know that command (it may be outdated). Try /help."),
            )
            .await
        }
    }
}

/// `/gaps [days]`: who may rebuild the index may see what it misses (the same
/// policy); the report is read and grouped on the blocking pool and shown ephemerally.
async fn gaps(
    st: &State,
    r: &Responder,
    cmd: &CommandInteraction,
    caller: &Caller,
) -> anyhow::Result<()> {
    if let Err(why) = guard::may_reindex(caller, &st.policy()) {
        tracing::info!(user = caller.user_id, guild = ?caller.guild_id, %why, "gaps refused");
        return respond(st, r, &render::refusal(&why.to_string())).await;
    }
    let days = u32::try_from(opt_int(cmd, "days").unwrap_or(30).clamp(1, 3650)).unwrap_or(30);
    let work = async move {
        match st.light(move |c| c.gaps(days)).await {
            Ok(Ok(report)) => Ok(render::gaps(&report)),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "gaps failed");
                Err(user_message(&e))
            }
            Err(e) => Err(core_failure("gaps", &e)),
        }
    };
    answer_or_defer(st, r, cmd, true, work).await
}

pub(super) async fn on_autocomplete(
    st: &State,
    r: &Responder,
    cmd: &CommandInteraction,
) -> anyhow::Result<()> {
    let Some(focused) = cmd.data.autocomplete() else {
        return Ok(());
    };
    let typed = focused.value.to_string();
    let which = focused.name.to_string();
    // Light lane: autocomplete cannot be deferred, so it never waits for a search slot.
    let list = st
        .light(move |c| match which.as_str() {
            "role_a" | "role_b" => c.known_roles(),
            "aspect" => c.known_aspects(),
            "id" => c.sources().into_iter().map(|s| s.id).collect(),
            _ => Vec::new(),
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "autocomplete failed in the core");
            Vec::new()
        });
    let mut resp = CreateAutocompleteResponse::new();
    for choice in render::choices(&list, &typed) {
        resp = resp.add_string_choice(choice.clone(), choice);
    }
    r.send(
        st,
        "the autocomplete response",
        CreateInteractionResponse::Autocomplete(resp),
    )
    .await
}
