//! The corpus watcher's rebuilds, reported where `/reindex` reports: a message in
//! `discord.admin_channel_id` for every automatic rebuild, successful or failed (a
//! failed one leaves the previous index serving). Without an admin channel they are
//! only logged.

use super::render;
use super::respond::no_mentions;
use crate::model::WatchEvent;
use serenity::all::{ChannelId, Http};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{error::RecvError, Receiver};

/// Report each event of `rx` in `channel` until the service goes away. A report
/// that fails or takes longer than `timeout` is logged and the next one goes on.
pub fn spawn(
    mut rx: Receiver<WatchEvent>,
    http: Arc<Http>,
    channel: Option<u64>,
    timeout: Duration,
) {
    tokio::spawn(async move {
        loop {
            let event = match rx.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "watcher reports fell behind; some were not posted"
                    );
                    continue;
                }
                Err(RecvError::Closed) => break,
            };
            let Some(channel) = channel else {
                tracing::info!(
                    reason = %event.reason,
                    failed = event.error.is_some(),
                    "automatic rebuild (no discord.admin_channel_id to report it in)"
                );
                continue;
            };
            let message = render::watch_event(&event)
                .to_message()
                .allowed_mentions(no_mentions());
            let sent = tokio::time::timeout(
                timeout,
                ChannelId::new(channel).send_message(&http, message),
            )
            .await;
            match sent {
                Ok(Ok(_)) => tracing::info!(channel, "automatic rebuild reported"),
                Ok(Err(e)) => {
                    tracing::warn!(channel, error = %e, "reporting an automatic rebuild failed")
                }
                Err(_) => tracing::warn!(channel, "reporting an automatic rebuild timed out"),
            }
        }
    });
}
