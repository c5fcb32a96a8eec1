//! The state of answers' buttons kept in the store, read and written at once
//! (a click needs its page now, so not through the [`super::Recorder`]'s
//! queue): a connection of its own, opened at the first call, dropped after
//! an error and opened again at the next call, but not within
//! [`RETRY_AFTER`] of a failed open, so a store that is down fails clicks
//! at once instead of making each wait for a connect timeout. States past
//! their time-to-live read as missing and are deleted as new ones are written.
//!
//! Every call blocks: from async code, call it in `spawn_blocking`.

use super::{Backend, Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long after a failed open calls fail without trying again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Expired states and claims are deleted at most this often (on a write).
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub struct ButtonStates {
    backend: Backend,
    ttl: Duration,
    conn: Mutex<Conn>,
}

#[derive(Default)]
struct Conn {
    store: Option<Box<dyn Store>>,
    failed_at: Option<Instant>,
    pruned_at: Option<Instant>,
}

impl ButtonStates {
    /// States on `backend`, each living `ttl` after it was last written.
    pub fn new(backend: Backend, ttl: Duration) -> Self {
        Self {
            backend,
            ttl,
            conn: Mutex::new(Conn::default()),
        }
    }

    fn ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX)
    }

    /// Run `f` on the connection, opening it when needed.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut dyn Store, &mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let conn = &mut *guard;
        let mut store = match conn.store.take() {
            Some(s) => s,
            None => {
                if let Some(at) = conn.failed_at.filter(|t| t.elapsed() < RETRY_AFTER) {
                    return Err(StoreError::Open {
                        path: self.backend.to_string(),
                        message: format!(
                            "unavailable (the last try failed {} s ago; the next in {} s)",
                            at.elapsed().as_secs(),
                            RETRY_AFTER.saturating_sub(at.elapsed()).as_secs()
                        ),
                    });
                }
                match self.backend.open() {
                    Ok(s) => {
                        conn.failed_at = None;
                        s
                    }
                    Err(e) => {
                        conn.failed_at = Some(Instant::now());
                        return Err(e);
                    }
                }
            }
        };
        let result = f(store.as_mut(), conn);
        // A refused key or state says nothing about the connection; any other
        // error may be a broken one: open a new one next time.
        if matches!(result, Ok(_) | Err(StoreError::BadState(_))) {
            conn.store = Some(store);
        }
        result
    }

    /// Drop the connection on a plain thread of its own: the PostgreSQL
    /// client owns a runtime, which must not be dropped where the last
    /// `Service` may go (inside an async task).
    fn close(&mut self) {
        let conn = self.conn.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = conn.store.take() {
            let slot = std::sync::Arc::new(Mutex::new(Some(store)));
            let theirs = slot.clone();
            let spawned = std::thread::Builder::new()
                .name("rolefaq-store-close".into())
                .spawn(move || drop(theirs.lock().ok().and_then(|mut s| s.take())));
            if let Err(e) = spawned {
                // Leaked rather than dropped here.
                tracing::warn!("store: the button state connection is not closed ({e})");
                if let Some(store) = slot.lock().ok().and_then(|mut s| s.take()) {
                    std::mem::forget(store);
                }
            }
        }
    }

    /// Keep `json` under `key` (replacing it), and delete expired states
    /// and claims when that is due.
    pub fn save(&self, key: &str, json: &str) -> Result<(), StoreError> {
        super::check_state(key, json)?;
        let now = Utc::now();
        let cutoff = now - self.ttl();
        self.with(|store, conn| {
            store.put_state(key, json, now)?;
            if conn.pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                conn.pruned_at = Some(Instant::now());
                match store.prune_states(cutoff) {
                    Ok(n) if n > 0 => {
                        tracing::debug!(deleted = n, "store: expired button states deleted")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("store: expired button states not deleted: {e}"),
                }
            }
            Ok(())
        })
    }

    /// The state under `key` and when it was written; `None` when there is
    /// none or it has expired.
    pub fn load(&self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        super::check_state(key, "")?;
        let cutoff = Utc::now() - self.ttl();
        let state = self.with(|store, _| store.get_state(key))?;
        Ok(state.filter(|(_, at)| *at >= cutoff))
    }

    /// True for the first caller with `key` in every process sharing the store.
    pub fn claim_once(&self, key: &str) -> Result<bool, StoreError> {
        super::check_state(key, "")?;
        self.with(|store, _| store.claim_once(key, Utc::now()))
    }
}

impl Drop for ButtonStates {
    fn drop(&mut self) {
        self.close();
    }
}
