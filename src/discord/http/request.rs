//! One request to the HTTP endpoint: method and path (404/405), busy (503), content
//! type (415), size (413), read time (408), signature (401), then PING → PONG or the
//! interaction handed to the same handlers as the gateway's, whose initial response is
//! the body of the answer (see [`crate::discord::responder`]).

use super::verify::{self, PublicKey};
use crate::discord::compat::fill_interaction_defaults;
use crate::discord::events::dispatch;
use crate::discord::pages::Bounded;
use crate::discord::responder::{self, Handover, Kind, Transport};
use crate::discord::state::State;
use axum::body::{Body, Bytes};
use axum::extract::State as Extract;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use serenity::all::{Http, Interaction};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{oneshot, Semaphore};
use tokio::time::Instant;

/// The path Discord posts to (the Interactions Endpoint URL is `https://HOST/interactions`).
pub const PATH: &str = "/interactions";
/// Largest body accepted (Discord's interactions are a few KiB).
pub const MAX_BODY: usize = 64 * 1024;
/// How long reading a body may take once its headers are in.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long after a request arrived its initial response must be ready; then the
/// endpoint answers with a deferral (Discord waits 3 s).
pub const INITIAL_DEADLINE: Duration = Duration::from_millis(2500);
/// Interaction ids remembered to refuse a replayed request (a signature stays valid
/// for [`verify::MAX_SKEW`]; Discord never sends an interaction twice).
pub const REMEMBERED_IDS: usize = 100_000;

/// What every request shares.
pub(super) struct Shared {
    pub(super) state: Arc<State>,
    pub(super) http: Arc<Http>,
    pub(super) key: PublicKey,
    pub(super) in_flight: Arc<Semaphore>,
    /// Interaction ids seen within the signatures' validity.
    pub(super) seen: Mutex<Bounded<()>>,
}

impl Shared {
    /// False when `id` was already received (a replay of a signed request).
    fn first_time(&self, id: &str) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get_mut(id, now).is_some() {
            return false;
        }
        seen.insert(id.to_string(), (), now);
        true
    }
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(PATH, post(interaction))
        .fallback(|| async { plain(StatusCode::NOT_FOUND, "not found") })
        .with_state(shared)
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, format!("{text}\n")).into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn interaction(
    Extract(sh): Extract<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(_permit) = Arc::clone(&sh.in_flight).try_acquire_owned() else {
        tracing::warn!("HTTP interaction refused: too many requests in flight");
        return plain(StatusCode::SERVICE_UNAVAILABLE, "busy");
    };
    if !is_json(&headers) {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        );
    }
    let declared = header_str(&headers, header::CONTENT_LENGTH.as_str())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
    }
    let bytes = match tokio::time::timeout(READ_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await
    {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.to_string().contains("length limit"))
                || e.to_string().contains("length limit");
            return if too_large {
                plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large")
            } else {
                plain(StatusCode::BAD_REQUEST, "cannot read the body")
            };
        }
        Err(_) => return plain(StatusCode::REQUEST_TIMEOUT, "body too slow"),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if let Err(why) = verify::check(
        &sh.key,
        header_str(&headers, "x-signature-ed25519"),
        header_str(&headers, "x-signature-timestamp"),
        &bytes,
        now,
    ) {
        // Never the body: only why and how long it was.
        tracing::info!(%why, bytes = bytes.len(), "HTTP interaction refused");
        return plain(StatusCode::UNAUTHORIZED, "invalid request signature");
    }
    let mut value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(kind = ?e.classify(), line = e.line(), column = e.column(), "a signed HTTP interaction is not JSON");
            return plain(StatusCode::BAD_REQUEST, "not JSON");
        }
    };
    match value.get("type").and_then(Value::as_u64) {
        Some(1) => return json_body(br#"{"type":1}"#.to_vec(), None),
        Some(2..=5) => {}
        other => {
            tracing::info!(?other, "HTTP interaction of an unknown type");
            return plain(StatusCode::BAD_REQUEST, "unknown interaction type");
        }
    }
    let id = value.get("id").and_then(Value::as_str).unwrap_or_default();
    if !sh.first_time(id) {
        tracing::info!("HTTP interaction refused: its id was already received (a replay)");
        return plain(StatusCode::CONFLICT, "interaction already received");
    }
    let filled = fill_interaction_defaults(&mut value);
    let interaction: Interaction = match serde_json::from_value(value) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(kind = ?e.classify(), ?filled, "a signed HTTP interaction could not be parsed");
            return plain(StatusCode::BAD_REQUEST, "cannot parse the interaction");
        }
    };
    let Some(kind) = Kind::of(&interaction) else {
        return plain(StatusCode::BAD_REQUEST, "unknown interaction type");
    };
    let (tx, rx) = oneshot::channel();
    let deadline = Instant::now() + INITIAL_DEADLINE;
    let (st, http) = (Arc::clone(&sh.state), Arc::clone(&sh.http));
    tokio::spawn(async move {
        dispatch(&st, &http, interaction, Transport::Body { tx, deadline }).await;
    });
    let (body, written) = initial(rx, deadline, kind).await;
    json_body(body, written)
}

/// The initial response: the handler's if it comes by `deadline`, else the fallback
/// deferral; an error message when the handler ended without one.
async fn initial(
    mut rx: oneshot::Receiver<Handover>,
    deadline: Instant,
    kind: Kind,
) -> (Vec<u8>, Option<oneshot::Sender<()>>) {
    match tokio::time::timeout_at(deadline, &mut rx).await {
        Ok(Ok(h)) => (h.body, Some(h.written)),
        Ok(Err(_)) => {
            tracing::warn!(?kind, "the handler ended without an initial response");
            (responder::failed(kind), None)
        }
        Err(_) => {
            // Closed first, so a response sent from now on takes the late path.
            rx.close();
            match rx.try_recv() {
                Ok(h) => (h.body, Some(h.written)),
                Err(_) => {
                    tracing::debug!(?kind, "no initial response by the deadline: deferred");
                    (responder::fallback(kind), None)
                }
            }
        }
    }
}

fn json_body(body: Vec<u8>, written: Option<oneshot::Sender<()>>) -> Response {
    let mut r = Response::new(Body::new(Signalled {
        data: Some(Bytes::from(body)),
        written,
    }));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A one-chunk body that fires `written` once the chunk has been taken to be sent
/// (dropping it, when the connection goes first, tells the waiting handler too).
struct Signalled {
    data: Option<Bytes>,
    written: Option<oneshot::Sender<()>>,
}

impl http_body::Body for Signalled {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        if let Some(d) = self.data.take() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(d))));
        }
        if let Some(w) = self.written.take() {
            let _ = w.send(());
        }
        Poll::Ready(None)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let n = self.data.as_ref().map_or(0, |d| d.len() as u64);
        http_body::SizeHint::with_exact(n)
    }
}
