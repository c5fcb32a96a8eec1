//! The corpus watcher: notices changes to the corpus directory (file events
//! through `notify`, and a scan every `watch.poll_secs` for file systems
//! whose events never arrive), waits until writes settle (`watch.settle_ms`
//! with no event and no change of any entry's size or modification time),
//! then rebuilds incrementally through [`Service::reindex_watched`], which
//! swaps the new generation in while questions are answered.
//!
//! A rebuild that fails (a file that broke, an empty corpus, a full disk)
//! leaves the serving generation as it was; it is logged, announced to the
//! service's subscribers ([`Service::subscribe_rebuilds`]) and given to the
//! caller's callback, and not tried again until the corpus changes once more.

use crate::config::WatchSettings;
use crate::error::{Error, Result};
use crate::model::WatchEvent;
use crate::service::Service;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

/// At most this many settle windows are waited for a corpus that keeps
/// changing; then the rebuild runs anyway (a file still being written is
/// left out by the build and picked up by the next one).
const MAX_SETTLE_ROUNDS: usize = 100;

enum Signal {
    Changed,
    Stop,
}

/// A running watcher; dropping it (or [`Watcher::stop`]) stops it and waits
/// for a rebuild in progress to end.
pub struct Watcher {
    tx: mpsc::Sender<Signal>,
    thread: Option<JoinHandle<()>>,
    /// Kept alive for its events; `None` when only polling.
    _events: Option<notify::RecommendedWatcher>,
}

impl Watcher {
    /// Whether file events arrive (otherwise only the periodic scan notices changes).
    pub fn has_events(&self) -> bool {
        self._events.is_some()
    }

    /// Stop watching and wait for the watcher's thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.tx.send(Signal::Stop);
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("the corpus watcher panicked");
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Watch the corpus of `service` in a thread of its own, calling `on_event`
/// after every rebuild it starts. File events are used when the platform
/// gives them (logged otherwise); with `poll_secs = 0` and no events the
/// watcher would never notice anything, which is an error.
pub fn spawn(
    service: Arc<Service>,
    opts: &WatchSettings,
    mut on_event: impl FnMut(&WatchEvent) + Send + 'static,
) -> Result<Watcher> {
    let dir = service.settings().corpus.dir.clone();
    let (tx, rx) = mpsc::channel();
    let events = file_events(&dir, tx.clone());
    let poll = (opts.poll_secs > 0).then(|| Duration::from_secs(opts.poll_secs));
    if events.is_none() && poll.is_none() {
        return Err(Error::Index(format!(
            "cannot watch {}: no file events and watch.poll_secs = 0",
            dir.display()
        )));
    }
    let settle = Duration::from_millis(opts.settle_ms);
    tracing::info!(
        corpus = %dir.display(),
        events = events.is_some(),
        poll_secs = opts.poll_secs,
        settle_ms = opts.settle_ms,
        "watching the corpus"
    );
    let thread = std::thread::Builder::new()
        .name("rolefaq-watch".into())
        .spawn(move || watch_loop(&service, &dir, &rx, poll, settle, &mut on_event))
        .map_err(|e| Error::Io {
            path: "corpus watcher thread".into(),
            source: e,
        })?;
    Ok(Watcher {
        tx,
        thread: Some(thread),
        _events: events,
    })
}

/// A `notify` watcher sending [`Signal::Changed`] for every event that is not
/// a mere read; `None` (logged) when the platform or file system has none.
fn file_events(dir: &Path, tx: mpsc::Sender<Signal>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    let handler = move |res: notify::Result<notify::Event>| match res {
        Ok(ev) if ev.kind.is_access() => {}
        Ok(_) => {
            let _ = tx.send(Signal::Changed);
        }
        Err(e) => tracing::debug!("file event error: {e}"),
    };
    let mut w = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("no file events ({e}); scanning the corpus periodically");
            return None;
        }
    };
    match w.watch(dir, notify::RecursiveMode::NonRecursive) {
        Ok(()) => Some(w),
        Err(e) => {
            tracing::warn!(corpus = %dir.display(), "no file events ({e}); scanning the corpus periodically");
            None
        }
    }
}

/// What the corpus directory looks like: each entry's name, size and
/// modification time (hidden entries left out, as the corpus scan does).
type Snapshot = Vec<(std::ffi::OsString, u64, Option<SystemTime>)>;

fn snapshot(dir: &Path) -> Snapshot {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Snapshot = entries
        .flatten()
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .map(|e| {
            let m = std::fs::metadata(e.path()).ok();
            (
                e.file_name(),
                m.as_ref().map_or(0, |m| m.len()),
                m.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    out.sort();
    out
}

/// Wait until `settle` passes with no event and no change of the snapshot.
/// `false` when told to stop.
fn settle_down(rx: &mpsc::Receiver<Signal>, dir: &Path, settle: Duration) -> bool {
    let mut last = snapshot(dir);
    for _ in 0..MAX_SETTLE_ROUNDS {
        match rx.recv_timeout(settle) {
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return false,
            Ok(Signal::Changed) => {}
            Err(RecvTimeoutError::Timeout) => {
                let now = snapshot(dir);
                if now == last {
                    return true;
                }
                last = now;
            }
        }
    }
    tracing::warn!("the corpus keeps changing; rebuilding anyway");
    true
}

fn watch_loop(
    service: &Service,
    dir: &Path,
    rx: &mpsc::Receiver<Signal>,
    poll: Option<Duration>,
    settle: Duration,
    on_event: &mut dyn FnMut(&WatchEvent),
) {
    // The corpus as it was when a rebuild last failed: not tried again until it changes.
    let mut failed_at: Option<Snapshot> = None;
    let mut retry = false;
    loop {
        let wait = if retry { Some(settle) } else { poll };
        let got = match wait {
            Some(w) => rx.recv_timeout(w),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match got {
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Signal::Changed) | Err(RecvTimeoutError::Timeout) => {}
        }
        retry = false;
        if !settle_down(rx, dir, settle) {
            return;
        }
        let reason = match service.corpus_changed() {
            Ok(None) => continue,
            Ok(Some(why)) => why,
            Err(e) => e.to_string(),
        };
        let snap = snapshot(dir);
        if failed_at.as_ref() == Some(&snap) {
            continue;
        }
        tracing::info!("the corpus changed ({reason}); rebuilding");
        let event = match service.reindex_watched() {
            Ok(report) => {
                failed_at = None;
                tracing::info!(
                    documents = report.documents,
                    passages = report.passages,
                    elapsed_ms = report.elapsed_ms,
                    "watched rebuild: new generation serving"
                );
                WatchEvent {
                    reason,
                    report: Some(report),
                    error: None,
                }
            }
            Err(Error::RebuildInProgress) => {
                tracing::info!("another rebuild is running; trying again once it has ended");
                retry = true;
                continue;
            }
            Err(e) => {
                failed_at = Some(snap);
                tracing::warn!(
                    "watched rebuild failed, the previous generation keeps serving: {e}"
                );
                WatchEvent {
                    reason,
                    report: None,
                    error: Some(e.to_string()),
                }
            }
        };
        service.announce_rebuild(event.clone());
        on_event(&event);
    }
}
