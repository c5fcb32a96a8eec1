//! `/sources list|add|remove`: the documents answers come from, for everyone; adding
//! an attached document or removing one, for admins (`guard::may_change_corpus`),
//! each followed by a rebuild in the rebuild lane. The attachment is downloaded from
//! Discord's attachment hosts only (`attachments`); the result is shown to the admin
//! and, when `discord.admin_channel_id` is set, posted there as `/reindex` reports are.

use super::attachments::{self, DownloadError};
use super::failures::{core_failure, user_message};
use super::guard::{self, Caller};
use super::render::{self, Reply};
use super::respond::{defer, finish, post, respond};
use super::responder::Responder;
use super::state::State;
use crate::error::{Error, SourceError};
use serenity::all::{CommandDataOption, CommandDataOptionValue, CommandInteraction, Http};
use std::sync::Arc;
use std::time::Duration;

/// The subcommands' names.
pub const LIST: &str = "list";
pub const ADD: &str = "add";
pub const REMOVE: &str = "remove";

/// What a `/sources` interaction asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcesRequest {
    List,
    Add {
        url: String,
        filename: String,
        /// The size Discord reports (checked again while downloading).
        size: u64,
        replace: bool,
    },
    Remove {
        id: String,
    },
    /// A subcommand this version does not know, or `add` without its file.
    Malformed,
}

fn sub_options(cmd: &CommandInteraction) -> Option<(&str, &[CommandDataOption])> {
    cmd.data.options.first().and_then(|o| match &o.value {
        CommandDataOptionValue::SubCommand(opts) => Some((o.name.as_str(), opts.as_slice())),
        _ => None,
    })
}

/// Read the subcommand and its options. A bare `/sources` (a registration from an
/// older version) lists.
pub fn request_of(cmd: &CommandInteraction) -> SourcesRequest {
    let Some((name, opts)) = sub_options(cmd) else {
        return SourcesRequest::List;
    };
    let find = |n: &str| opts.iter().find(|o| o.name == n).map(|o| &o.value);
    match name {
        LIST => SourcesRequest::List,
        ADD => {
            let Some(CommandDataOptionValue::Attachment(id)) = find("file") else {
                return SourcesRequest::Malformed;
            };
            let Some(a) = cmd.data.resolved.attachments.get(id) else {
                return SourcesRequest::Malformed;
            };
            SourcesRequest::Add {
                url: a.url.clone(),
                filename: a.filename.clone(),
                size: u64::from(a.size),
                replace: matches!(find("replace"), Some(CommandDataOptionValue::Boolean(true))),
            }
        }
        REMOVE => match find("id") {
            Some(CommandDataOptionValue::String(id)) => SourcesRequest::Remove { id: id.clone() },
            _ => SourcesRequest::Malformed,
        },
        _ => SourcesRequest::Malformed,
    }
}

pub(super) async fn on_sources(
    st: &State,
    http: &Arc<Http>,
    r: &Responder,
    cmd: &CommandInteraction,
    caller: &Caller,
) -> anyhow::Result<()> {
    let request = request_of(cmd);
    if request == SourcesRequest::List {
        let res = st.light(|c| (c.sources(), c.freshness())).await;
        let reply = match res {
            Ok((list, fresh)) => render::sources(&list, &fresh, 0, Some(caller.user_id)),
            Err(e) => render::refusal(&core_failure("sources", &e)),
        };
        return respond(st, r, &reply).await;
    }
    if request == SourcesRequest::Malformed {
        return respond(
            st,
            r,
            &render::refusal(
                "I could not read that command (it may be outdated). Try /sources list, \
                 /sources add with a file, or /sources remove with a document id.",
            ),
        )
        .await;
    }
    let grant = match guard::may_change_corpus(caller, &st.policy()) {
        Ok(g) => g,
        Err(why) => {
            tracing::info!(user = caller.user_id, guild = ?caller.guild_id, %why, "sources change refused");
            return respond(st, r, &render::refusal(&why.to_string())).await;
        }
    };
    let max = st.settings.max_upload_bytes;
    if let SourcesRequest::Add { size, .. } = &request {
        if *size > max {
            let why = DownloadError::TooLarge { size: *size, max };
            return respond(st, r, &render::refusal(&format!("{why}."))).await;
        }
    }
    // One change of the shared index at a time, as /reindex.
    let Some(busy) = st.claim_rebuild() else {
        let busy = user_message(&Error::RebuildInProgress);
        return respond(st, r, &render::refusal(&busy)).await;
    };
    defer(st, r, true).await?;
    tracing::info!(
        user = caller.user_id,
        ?grant,
        ?request,
        "sources change started"
    );
    let outcome = change(st, request, max).await;
    drop(busy);
    if let (Ok(reply), Some(channel)) = (&outcome, st.settings.admin_channel_id) {
        let mut r = reply.clone();
        r.ephemeral = false;
        r.content = Some(format!("Corpus changed by <@{}>:", caller.user_id));
        if let Err(e) = post(st, http, channel, &r.fitted()).await {
            tracing::warn!(error = %e, "sources: the admin channel report failed");
        }
    }
    finish(st, cmd, true, outcome).await
}

/// Download (for `add`) and change the corpus in the rebuild lane.
async fn change(st: &State, request: SourcesRequest, max: u64) -> Result<Reply, String> {
    let res = match request {
        SourcesRequest::Add {
            url,
            filename,
            replace,
            ..
        } => {
            let url = attachments::allowed_url(&url, guard::test_mode()).map_err(|e| {
                tracing::warn!(error = %e, "sources add: attachment URL refused");
                format!("{e}.")
            })?;
            // a large file on a slow link needs longer than one REST call
            let timeout = Duration::from_secs(st.settings.http_timeout_secs.max(30));
            let bytes = attachments::download(url, max, timeout)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "sources add: download failed");
                    format!("{e}.")
                })?;
            st.light(move |c| c.add_source(&filename, &bytes, replace))
                .await
        }
        SourcesRequest::Remove { id } => st.light(move |c| c.remove_source(&id)).await,
        SourcesRequest::List | SourcesRequest::Malformed => {
            return Err("nothing to change".into());
        }
    };
    match res {
        Ok(Ok(change)) => {
            tracing::info!(action = %change.action, id = %change.id, "sources change done");
            Ok(render::source_change(&change))
        }
        Ok(Err(e)) => {
            if matches!(e, Error::Source(SourceError::Io { .. })) {
                tracing::error!(error = %e, "sources change failed");
            } else {
                tracing::info!(error = %e, "sources change refused");
            }
            Err(user_message(&e))
        }
        Err(e) => Err(core_failure("sources", &e)),
    }
}
