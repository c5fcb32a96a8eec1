//! `rolefaq serve --http ADDR`: Discord's outgoing interactions over HTTP (the
//! application's "Interactions Endpoint URL", `https://HOST/interactions` behind a TLS
//! proxy) instead of the gateway, with the same handlers and renderer.
//!
//! * [`Endpoint::start`]: the REST clients (token, loopback guard), the application id
//!   (`GET /oauth2/applications/@me`), the commands registered as over the gateway,
//!   the listener bound;
//! * [`Endpoint::serve`]: HTTP/1.1 connections (at most [`MAX_CONNECTIONS`], headers
//!   within [`HEADER_TIMEOUT`], each connection at most [`CONNECTION_LIFETIME`]) and at
//!   most [`MAX_IN_FLIGHT`] requests at a time, until `shutdown`;
//! * `request`: one request (its checks, PING, the handlers' initial response as the
//!   body); `verify`: the Ed25519 signature check (pure).
//!
//! There is no gateway connection in this mode: @mentions and DMs are not answered.

pub mod request;
pub mod verify;

use super::state::{spawn_page_sweeper, State};
use super::{commands, rest_clients, Core, Rest};
use crate::config::Settings;
use anyhow::Context as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Open connections at most (further ones wait to be accepted).
pub const MAX_CONNECTIONS: usize = 256;
/// Requests handled at a time at most; more are answered 503.
pub const MAX_IN_FLIGHT: usize = 64;
/// How long a connection may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection may stay open (keep-alive included).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(300);

/// The HTTP endpoint, bound and ready to serve.
pub struct Endpoint {
    listener: TcpListener,
    shared: Arc<request::Shared>,
    local_addr: SocketAddr,
}

impl Endpoint {
    /// Check the settings, set up the REST clients and the handlers' state, register
    /// the commands and bind `discord.http_listen`.
    pub async fn start(settings: &Settings, core: Arc<dyn Core>) -> anyhow::Result<Self> {
        let d = &settings.discord;
        d.check_http_keys().map_err(anyhow::Error::msg)?;
        let key = verify::PublicKey::from_hex(&d.public_key)?;
        let Rest { http, ihttp, .. } = rest_clients(settings)?;
        let http = Arc::new(http);
        let limit = Duration::from_secs(d.http_timeout_secs);
        let app = tokio::time::timeout(limit, http.get_current_application_info())
            .await
            .map_err(|_| anyhow::anyhow!("timed out"))
            .and_then(|r| r.map_err(|e| anyhow::anyhow!("{e}")))
            .context(
                "GET /oauth2/applications/@me failed: the application id is needed to register \
                 the commands and to answer interactions",
            )?;
        http.set_application_id(app.id);
        ihttp.set_application_id(app.id);
        if let Some(rx) = core.subscribe_rebuilds() {
            super::watch_reports::spawn(rx, Arc::clone(&http), d.admin_channel_id, limit);
        }
        let state = Arc::new(State::new(core, d.clone(), ihttp));
        spawn_page_sweeper(&state);
        let reindex_in_dms = !d.admin_user_ids.is_empty();
        match tokio::time::timeout(
            limit,
            commands::register(&http, &d.guild_ids, reindex_in_dms),
        )
        .await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "registering slash commands failed"),
            Err(_) => tracing::error!("registering slash commands timed out"),
        }
        if d.answer_mentions {
            tracing::warn!(
                "HTTP interactions: no gateway connection, so @mentions and DMs are not \
                 answered (discord.answer_mentions has no effect in this mode)"
            );
        }
        let addr: SocketAddr = d
            .http_listen
            .trim()
            .parse()
            .context("discord.http_listen must be an address such as 127.0.0.1:8080")?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (discord.http_listen)"))?;
        let local_addr = listener.local_addr().context("the listener's address")?;
        tracing::info!(%local_addr, path = request::PATH, "serving Discord interactions over HTTP");
        Ok(Self {
            listener,
            shared: Arc::new(request::Shared {
                state,
                http,
                key,
                in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
                seen: std::sync::Mutex::new(super::pages::Bounded::new(
                    request::REMEMBERED_IDS,
                    2 * verify::MAX_SKEW,
                )),
            }),
            local_addr,
        })
    }

    /// The address it listens on (`discord.http_listen`, its port chosen when 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serve until `shutdown` resolves, then wait (up to 10 s) for requests in flight.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let router = request::router(Arc::clone(&self.shared));
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                p = Arc::clone(&connections).acquire_owned() => p.context("connection slots closed")?,
                () = &mut shutdown => break,
            };
            let stream = tokio::select! {
                r = self.listener.accept() => match r {
                    Ok((stream, _peer)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, do not spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = TowerToHyperService::new(router.clone());
            tokio::spawn(async move {
                let _permit = permit;
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(request::MAX_BODY + 16 * 1024)
                    .serve_connection(TokioIo::new(stream), service);
                match tokio::time::timeout(CONNECTION_LIFETIME, conn).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::debug!(error = %e, "an HTTP connection ended"),
                    Err(_) => tracing::debug!("an HTTP connection reached its lifetime"),
                }
            });
        }
        tracing::info!("stopping the HTTP endpoint");
        let all = u32::try_from(MAX_IN_FLIGHT).unwrap_or(u32::MAX);
        if tokio::time::timeout(
            Duration::from_secs(10),
            self.shared.in_flight.acquire_many(all),
        )
        .await
        .is_err()
        {
            tracing::warn!("requests still in flight after 10 s");
        }
        Ok(())
    }
}
