//! `/reindex`: who may rebuild, the rebuild in its own lane with progress edits, and
//! where its report goes (the deferred reply while the interaction token lives, else a
//! channel).

use super::failures::{core_failure, user_message};
use super::guard::{self, Caller};
use super::render::{self, Reply};
use super::respond::{defer, finish, post, respond};
use super::responder::Responder;
use super::state::State;
use crate::error::Error;
use serenity::all::{CommandInteraction, Http};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An interaction token is valid this long after the interaction was created.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// A rebuild reports through the channel (not the token) once this much of the token's
/// life is gone, and says up front it will when the last rebuild took this long.
pub const TOKEN_SAFE: Duration = Duration::from_secs(14 * 60);

/// Where a rebuild's report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportRoute {
    /// Edit the deferred response (the token is still valid).
    Edit,
    /// Post in this channel (the token is (nearly) expired).
    Channel(u64),
    /// Neither is possible (a DM whose token expired and no admin channel).
    Lost,
}

/// Discord's epoch (2015-01-01) in Unix milliseconds: snowflakes count from it.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// How long ago Discord created the interaction with snowflake `id` (its token's age),
/// from the timestamp in the id's top 42 bits. An id that claims to be from the future
/// or older than a token's life (a clock off, an id not made by Discord) counts as
/// new: the time since we received it is then all we know.
pub fn interaction_age(id: u64, now: std::time::SystemTime) -> Duration {
    let created = (id >> 22).saturating_add(DISCORD_EPOCH_MS);
    let now_ms = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    match now_ms.checked_sub(created).map(Duration::from_millis) {
        Some(age) if age <= TOKEN_LIFETIME => age,
        _ => Duration::ZERO,
    }
}

/// Where to report a rebuild that ends `age` after its interaction was created.
pub fn report_route(
    age: Duration,
    asked_in: Option<u64>,
    admin_channel: Option<u64>,
) -> ReportRoute {
    if age < TOKEN_SAFE {
        ReportRoute::Edit
    } else if let Some(c) = admin_channel.or(asked_in) {
        ReportRoute::Channel(c)
    } else {
        ReportRoute::Lost
    }
}

pub(super) async fn reindex(
    st: &State,
    http: &Arc<Http>,
    r: &Responder,
    cmd: &CommandInteraction,
    caller: &Caller,
) -> anyhow::Result<()> {
    // The token's clock started when Discord created the interaction.
    let token_age = interaction_age(cmd.id.get(), std::time::SystemTime::now());
    let started = Instant::now();
    let grant = match guard::may_reindex(caller, &st.policy()) {
        Ok(g) => g,
        Err(why) => {
            tracing::info!(user = caller.user_id, guild = ?caller.guild_id, %why, "reindex refused");
            return respond(st, r, &render::refusal(&why.to_string())).await;
        }
    };
    // Busy until the rebuild itself ends, not until its report is sent: an
    // admin who sees "Index rebuilt" may start the next one at once.
    let Some(busy) = st.claim_rebuild() else {
        tracing::info!(user = caller.user_id, "reindex refused: one is running");
        return respond(
            st,
            r,
            &render::refusal(&user_message(&Error::RebuildInProgress)),
        )
        .await;
    };
    // The admin asked for a rebuild: a deferral that fails or stalls (it is
    // abandoned after http_timeout_secs) does not cancel it.
    if let Err(e) = defer(st, r, true).await {
        tracing::warn!(error = %e, "reindex: the deferral failed; rebuilding anyway");
    }
    let asked_in = cmd.guild_id.map(|_| cmd.channel_id.get());
    let admin_channel = st.settings.admin_channel_id;
    let last = Duration::from_millis(st.last_rebuild_ms.load(Ordering::SeqCst));
    let report_elsewhere = admin_channel.or(asked_in);
    if token_age + started.elapsed() + last >= TOKEN_SAFE {
        // Say up front that the answer will come through the channel.
        let where_ = report_elsewhere.map_or_else(
            || "I may not be able to report the result here".to_string(),
            |c| format!("the result will be posted in <#{c}>"),
        );
        let note = render::notice(
            "Rebuilding the index",
            &format!(
                "This rebuild may end after Discord stops letting me edit this reply \
                 (15 minutes after the command; the last rebuild took {} s), so {where_}.",
                last.as_secs()
            ),
        );
        if let Err(e) = st
            .within(
                "the long-rebuild notice",
                cmd.edit_response(&st.ihttp, note.to_edit()),
            )
            .await
        {
            tracing::warn!(error = %e, "reindex: the notice failed");
        }
    }
    if let Some(c) = admin_channel {
        let start = render::notice(
            "Rebuild started",
            &format!(
                "<@{}> started a rebuild of the index ({}).",
                caller.user_id,
                match grant {
                    guard::ReindexGrant::AdminUser => "a configured admin",
                    guard::ReindexGrant::AdminRole => "an admin role",
                    guard::ReindexGrant::HomeServer => "in a home server",
                }
            ),
        );
        if let Err(e) = post(st, http, c, &start).await {
            tracing::warn!(error = %e, "reindex: the admin channel notice failed");
        }
    }
    tracing::info!(user = caller.user_id, ?grant, "reindex started");
    let rebuild = st.light(|c| c.reindex());
    tokio::pin!(rebuild);
    let every = Duration::from_secs(st.settings.reindex_progress_secs);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let res = loop {
        tokio::select! {
            res = &mut rebuild => break res,
            _ = tick.tick() => {
                // Progress in the reply while its token lives.
                if token_age + started.elapsed() < TOKEN_SAFE {
                    let note = render::notice(
                        "Rebuilding the index",
                        &format!("Still rebuilding: {} s so far.", started.elapsed().as_secs()),
                    );
                    if let Err(e) = st
                        .within("the progress edit", cmd.edit_response(&st.ihttp, note.to_edit()))
                        .await
                    {
                        tracing::debug!(error = %e, "reindex: a progress edit failed");
                    }
                }
            }
        }
    };
    let took = started.elapsed();
    if matches!(res, Ok(Ok(_))) {
        st.last_rebuild_ms.store(
            u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }
    drop(busy);
    let outcome = match res {
        Ok(Ok(report)) => {
            tracing::info!(
                documents = report.documents,
                passages = report.passages,
                ms = report.elapsed_ms,
                "reindex done"
            );
            Ok(render::index_report(&report))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "reindex failed");
            Err(user_message(&e))
        }
        Err(e) => Err(core_failure("reindex", &e)),
    };
    let as_reply = |o: &Result<Reply, String>| match o {
        Ok(r) => r.clone(),
        Err(m) => render::refusal(m),
    };
    if let Some(c) = admin_channel {
        if let Err(e) = post(st, http, c, &as_reply(&outcome)).await {
            tracing::warn!(error = %e, "reindex: the admin channel report failed");
        }
    }
    match report_route(token_age + took, asked_in, admin_channel) {
        ReportRoute::Edit => finish(st, cmd, true, outcome).await,
        ReportRoute::Channel(c) if Some(c) == admin_channel => Ok(()),
        ReportRoute::Channel(c) => {
            let mut r = as_reply(&outcome);
            r.ephemeral = false;
            r.content = Some(format!("Rebuild requested by <@{}>:", caller.user_id));
            post(st, http, c, &r.fitted()).await
        }
        ReportRoute::Lost => {
            tracing::warn!("reindex: the token expired and there is no channel to report in");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rebuild_reports_in_a_channel_once_the_token_is_nearly_expired() {
        let soon = Duration::from_secs(30);
        assert_eq!(report_route(soon, Some(1), Some(2)), ReportRoute::Edit);
        let late = TOKEN_SAFE;
        assert_eq!(
            report_route(late, Some(1), Some(2)),
            ReportRoute::Channel(2)
        );
        assert_eq!(report_route(late, Some(1), None), ReportRoute::Channel(1));
        assert_eq!(report_route(late, None, None), ReportRoute::Lost);
        assert!(TOKEN_SAFE < TOKEN_LIFETIME);
    }

    #[test]
    fn an_interactions_age_comes_from_its_snowflake_when_plausible() {
        let now = std::time::UNIX_EPOCH + Duration::from_millis(DISCORD_EPOCH_MS + 10_000_000);
        let at = |ms_ago: u64| ((10_000_000 - ms_ago) << 22) | 77;
        assert_eq!(interaction_age(at(0), now), Duration::ZERO);
        assert_eq!(interaction_age(at(60_000), now), Duration::from_secs(60));
        assert_eq!(
            interaction_age(at(14 * 60_000), now),
            Duration::from_secs(14 * 60)
        );
        // Older than a token lives, or from the future: not trusted.
        assert_eq!(interaction_age(at(16 * 60_000), now), Duration::ZERO);
        assert_eq!(interaction_age(u64::MAX, now), Duration::ZERO);
        assert_eq!(interaction_age(1, now), Duration::ZERO);
    }
}
