//! The performance benchmark behind `rolefaq bench`: index build time and
//! throughput, query latency percentiles, queries per second on one and two
//! threads over a shared `Arc<Service>`, peak memory, index size and start-up
//! time, optionally against SQLite FTS5 on the same passages (feature `peer`).
//!
//! Everything runs in one process on a private copy of the index (a temporary
//! directory), so the user's index is never touched. Figures are wall-clock.

pub mod debian;
mod machine;
mod markdown;
mod measure;
#[cfg(feature = "peer")]
pub mod peer;
mod queries;
mod report;
mod run;
#[cfg(test)]
mod tests;

use machine::*;
pub use markdown::*;
pub use measure::*;
pub use queries::*;
pub use report::*;
pub use run::*;

use crate::config::Settings;
use crate::corpus;
use crate::index::{self, Embedding};
use crate::model::Passage;
use crate::search;
use crate::service::{AskOptions, Engine, Service};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Core(#[from] crate::Error),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("queries file {path}: {reason}")]
    Queries { path: String, reason: String },
    #[error("no queries to run (the corpus gave none and no --queries file was given)")]
    NoQueries,
    #[error("benchmark peer (SQLite FTS5): {0}")]
    Peer(String),
    #[error("serving probe process: {0}")]
    Probe(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// How the benchmark runs.
#[derive(Clone)]
pub struct BenchOptions {
    /// Questions to ask: a JSON array (of strings or of `{"q": …}` objects, as
    /// `tests/data/dev-questions.json`) or a text file, one question a line.
    /// Without it, queries are generated from the corpus' passages.
    pub queries: Option<PathBuf>,
    /// Number of generated queries.
    pub generated: usize,
    /// Seed of the query generator.
    pub seed: u64,
    /// Results asked for per question (the peer returns as many).
    pub top: usize,
    /// Latency: at least this many timed questions (whole passes over the list)…
    pub min_samples: usize,
    /// …unless the timed passes take longer than this.
    pub max_latency_time: Duration,
    /// Duration of each queries-per-second run.
    pub throughput_time: Duration,
    /// Thread counts of the queries-per-second runs.
    pub threads: Vec<usize>,
    /// Where the temporary index goes (default: the system temp directory).
    pub work_dir: Option<PathBuf>,
    /// Run the SQLite FTS5 peer (only with the `peer` feature).
    pub peer: bool,
    /// Measures start-up and serving memory in a fresh process (the shell
    /// supplies it: the core does not spawn itself). Without it both are
    /// measured in this process, after the build.
    pub probe: Option<ServeProbeFn>,
}

/// Opens the index in `.0` in a fresh process, asks the questions of the file
/// `.1` (one per line) once, and reports.
pub type ServeProbeFn = Arc<dyn Fn(&Path, &Path) -> Result<ServeProbe, BenchError> + Send + Sync>;

/// What a fresh serving process measured of itself (`rolefaq bench-serve`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServeProbe {
    pub open_ms: f64,
    pub first_answer_ms: f64,
    /// Questions asked after the first (one pass over the file).
    pub asked: usize,
    pub answered: usize,
    /// VmHWM of the serving process at the end.
    pub peak_rss_mb: f64,
    /// Wall time from spawning the process to its exit (measured by the parent).
    #[serde(default)]
    pub process_ms: f64,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            queries: None,
            generated: 200,
            seed: 7,
            top: 10,
            min_samples: 1000,
            max_latency_time: Duration::from_secs(20),
            throughput_time: Duration::from_secs(3),
            threads: vec![1, 2],
            work_dir: None,
            peer: true,
            probe: None,
        }
    }
}
