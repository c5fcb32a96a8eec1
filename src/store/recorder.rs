//! Writes off the answer path: a bounded queue and one writer thread that owns
//! the store. Nothing here waits on the database; a full queue drops the write
//! with a log line.

use super::{AskerKey, Backend, QuestionRecord, RecordId, Store, StoreError, VoteRecord};
use chrono::{Duration as Days, Utc};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Writes waiting for the writer thread at most; past that they are dropped.
pub const QUEUE: usize = 1024;

/// How often the writer prunes rows older than the retention.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How long after a failed open the writer tries to open the store again.
const REOPEN_AFTER: Duration = Duration::from_secs(60);

/// What opens the backend (in the writer thread, never on the answer path).
pub type OpenStore = Box<dyn FnMut() -> Result<Box<dyn Store>, StoreError> + Send>;

#[derive(Debug, Clone)]
pub struct RecorderOptions {
    /// Rows older than this many days are deleted.
    pub retention_days: u32,
    /// Queue capacity ([`QUEUE`] by default).
    pub queue: usize,
    /// The store file the asker key lives beside.
    pub key_beside: PathBuf,
    /// The key itself, when given ([`super::KEY_ENV`]).
    pub key: Option<String>,
}

enum Op {
    Question(Box<QuestionRecord>, Option<String>),
    Vote(Box<VoteRecord>),
    Flush(SyncSender<()>),
}

/// The handle the service holds: cheap, non-blocking calls.
pub struct Recorder {
    tx: SyncSender<Op>,
    dropped: Arc<AtomicU64>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A fresh record id: 64 bits of SHA-256 over the time, the process and a counter.
fn new_id() -> RecordId {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let digest = Sha256::digest(format!("{nanos}:{}:{n}", std::process::id()));
    RecordId(hex::encode(&digest[..8]))
}

impl Recorder {
    /// A recorder writing to the SQLite file at `path`.
    pub fn sqlite(path: PathBuf, opts: RecorderOptions) -> Self {
        Self::new(Backend::Sqlite(path), opts)
    }

    /// A recorder writing to `backend` (opened in the writer thread).
    pub fn new(backend: Backend, opts: RecorderOptions) -> Self {
        tracing::info!(store = %backend, "recording questions");
        Self::with_store(Box::new(move || backend.open()), opts)
    }

    /// A recorder over any backend.
    pub fn with_store(open: OpenStore, opts: RecorderOptions) -> Self {
        let (tx, rx) = mpsc::sync_channel(opts.queue.max(1));
        let spawned = std::thread::Builder::new()
            .name("rolefaq-store".into())
            .spawn(move || writer(open, opts, rx));
        if let Err(e) = spawned {
            tracing::warn!("the store's writer thread did not start ({e}); nothing is recorded");
        }
        Self {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    fn send(&self, op: Op) -> bool {
        match self.tx.try_send(op) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(dropped = n, "the store is behind: a write was dropped");
                }
                false
            }
            Err(TrySendError::Disconnected(_)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(
                        dropped = n,
                        "the store's writer has stopped: a write was dropped"
                    );
                }
                false
            }
        }
    }

    /// Queue a question; `user` (a raw user id) is hashed in the writer thread
    /// and never written. `None` when the queue is full.
    pub fn record(&self, mut q: QuestionRecord, user: Option<&str>) -> Option<RecordId> {
        let id = new_id();
        q.id = id.clone();
        q.asker = None;
        self.send(Op::Question(Box::new(q), user.map(str::to_string)))
            .then_some(id)
    }

    /// Queue a vote (`voter` raw; hashed in the writer thread). False when dropped.
    pub fn vote(&self, record: RecordId, voter: &str, up: bool, text: Option<String>) -> bool {
        self.send(Op::Vote(Box::new(VoteRecord {
            record,
            voter: voter.to_string(),
            up,
            text,
            voted_at: Utc::now(),
        })))
    }

    /// Wait (at most `timeout`) until every write queued so far is done or
    /// given up. False on timeout or a full queue. For the CLI before it exits
    /// and for tests; never on the answer path.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (done_tx, done_rx) = mpsc::sync_channel(1);
        if self.tx.try_send(Op::Flush(done_tx)).is_err() {
            return false;
        }
        done_rx.recv_timeout(timeout).is_ok()
    }

    /// Writes dropped because the queue was full or the writer had stopped.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Logs a store error, fewer and fewer times as they repeat.
struct Complaints(u64);

impl Complaints {
    fn log(&mut self, what: &str, e: &StoreError) {
        self.0 += 1;
        if self.0.is_power_of_two() {
            tracing::warn!(
                failures = self.0,
                "store: {what} failed (the answer went out): {e}"
            );
        }
    }
}

struct Writer {
    open: OpenStore,
    opts: RecorderOptions,
    store: Option<Box<dyn Store>>,
    failed_at: Option<Instant>,
    pruned_at: Option<Instant>,
    key: Option<Option<AskerKey>>,
    complaints: Complaints,
}

impl Writer {
    /// Open the store when it is not (at most every [`REOPEN_AFTER`]) and
    /// prune when due; whether it is open.
    fn ensure_open(&mut self) -> bool {
        if self.store.is_none() && self.failed_at.is_none_or(|t| t.elapsed() >= REOPEN_AFTER) {
            match (self.open)() {
                Ok(s) => {
                    self.store = Some(s);
                    self.failed_at = None;
                }
                Err(e) => {
                    self.complaints.log("opening", &e);
                    self.failed_at = Some(Instant::now());
                }
            }
        }
        let due = self.pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY);
        let retention = i64::from(self.opts.retention_days);
        let Some(store) = self.store.as_mut() else {
            return false;
        };
        if due {
            self.pruned_at = Some(Instant::now());
            match store.prune(Utc::now() - Days::days(retention)) {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "store: questions past the retention deleted"),
                Err(e) => self.complaints.log("pruning", &e),
            }
        }
        true
    }

    fn key(&mut self) -> Option<AskerKey> {
        if self.key.is_none() {
            // The key file's directory exists for a SQLite store; for a
            // server's, it may not yet.
            if self.opts.key.is_none() {
                if let Some(dir) = self
                    .opts
                    .key_beside
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                {
                    let _ = std::fs::create_dir_all(dir);
                }
            }
            let k = AskerKey::load_or_create(&self.opts.key_beside, self.opts.key.as_deref());
            self.key = Some(match k {
                Ok(k) => Some(k),
                Err(e) => {
                    tracing::warn!(
                        "store: no asker key ({e}); askers are not counted and votes are not kept"
                    );
                    None
                }
            });
        }
        self.key.clone().flatten()
    }

    /// A connection the server closed is opened again at the next write.
    fn drop_if_broken(&mut self) {
        if self.store.as_mut().is_some_and(|s| s.is_broken()) {
            tracing::info!("store: the connection was closed; opening a new one");
            self.store = None;
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Question(mut q, user) => {
                if !self.ensure_open() {
                    return;
                }
                q.asker = user.and_then(|u| self.key().map(|k| k.hash(&u)));
                if let Some(s) = self.store.as_mut() {
                    if let Err(e) = s.record_question(&q) {
                        self.complaints.log("recording a question", &e);
                    }
                }
                self.drop_if_broken();
            }
            Op::Vote(mut v) => {
                if !self.ensure_open() {
                    return;
                }
                let Some(key) = self.key() else { return };
                v.voter = key.hash(&v.voter);
                if let Some(s) = self.store.as_mut() {
                    match s.vote(&v) {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::info!(record = %v.record, "store: a vote on an unknown answer was ignored")
                        }
                        Err(e) => self.complaints.log("recording a vote", &e),
                    }
                }
                self.drop_if_broken();
            }
            Op::Flush(done) => {
                let _ = done.try_send(());
            }
        }
    }
}

fn writer(open: OpenStore, opts: RecorderOptions, rx: Receiver<Op>) {
    let mut w = Writer {
        open,
        opts,
        store: None,
        failed_at: None,
        pruned_at: None,
        key: None,
        complaints: Complaints(0),
    };
    // Open (and prune) at once rather than at the first question.
    let _ = w.ensure_open();
    while let Ok(op) = rx.recv() {
        w.apply(op);
    }
}
