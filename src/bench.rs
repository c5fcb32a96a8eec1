//! The performance benchmark behind `rolefaq bench`: index build time and
//! throughput, query latency percentiles, queries per second on one and two
//! threads over a shared `Arc<Service>`, peak memory, index size and start-up
//! time, optionally against SQLite FTS5 on the same passages (feature `peer`).
//!
//! Everything runs in one process on a private copy of the index (a temporary
//! directory), so the user's index is never touched. Figures are wall-clock.

pub mod debian;
#[cfg(feature = "peer")]
pub mod peer;

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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_mb: u64,
    /// /proc/loadavg (1, 5, 15 min) at the start and at the end of the run:
    /// other work on the machine skews the figures.
    pub load_start: String,
    pub load_end: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorpusStats {
    pub dir: String,
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
    pub passages: usize,
    /// Bytes of passage text indexed (text + context + section + title).
    pub passage_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildStats {
    /// Loading, cleaning and splitting the corpus alone (measured separately).
    pub load_ms: f64,
    /// `index::rebuild` as a whole: load + clean + split + tantivy + passages.json
    /// (+ embeddings when a model is configured).
    pub build_ms: f64,
    /// Corpus file bytes per second of `build_ms`.
    pub mb_per_s: f64,
    pub passages_per_s: f64,
    /// Size on disk of the generation directory.
    pub index_bytes: u64,
    pub embeddings: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartupStats {
    /// "fresh process" (probe) or "in process".
    pub measured: String,
    /// Spawn to exit of the probe process (open, first answer, one pass, exit).
    pub process_ms: Option<f64>,
    /// `Service::open` of the built index (opening, corpus fingerprint, lexicon).
    pub open_ms: f64,
    /// The first `ask` after opening.
    pub first_answer_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub samples: usize,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// The slowest questions by their median time (µs), slowest first: with few
    /// distinct questions the p99 is the slowest question's own time.
    #[serde(default)]
    pub slowest: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Throughput {
    pub threads: usize,
    pub queries: usize,
    pub seconds: f64,
    pub qps: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Memory {
    /// VmHWM at the end of the build (the process' peak so far).
    pub build_peak_mb: f64,
    /// VmRSS once the build's data was dropped (allocator-retained memory included).
    pub after_build_mb: f64,
    /// Peak RSS of serving: of a fresh process that opens the index and asks
    /// every question once (with a probe), else VmHWM of this process after
    /// resetting the mark post-build (allocator-retained build memory included).
    pub serving_peak_mb: f64,
    /// "fresh process" or "in process".
    pub serving_measured: String,
}

/// Mean time per question of each step of `Service::ask`, reproduced outside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Breakdown {
    pub understand_us: f64,
    pub embed_us: f64,
    pub rank_us: f64,
    pub hits_us: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryStats {
    pub source: String,
    pub count: usize,
    /// Questions that got at least one result.
    pub answered: usize,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetrievalReport {
    pub latency: Latency,
    pub throughput: Vec<Throughput>,
    /// Its queries/s over the peer's, per thread count.
    pub qps_ratio: Vec<(usize, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerReport {
    pub engine: String,
    pub build_ms: f64,
    pub index_bytes: u64,
    pub answered: usize,
    pub latency: Latency,
    pub throughput: Vec<Throughput>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub version: String,
    pub date: String,
    pub machine: Machine,
    /// "lexical" or "hybrid" (dense model active).
    pub mode: String,
    pub corpus: CorpusStats,
    pub build: BuildStats,
    pub startup: StartupStats,
    pub queries: QueryStats,
    /// Latency over the questions, repeated questions answered from the
    /// question-embedding cache as when paging.
    pub latency: Latency,
    /// Hybrid only: latency with the question-embedding cache emptied before
    /// every question, so each is embedded anew (a new user question).
    #[serde(default)]
    pub latency_new_question: Option<Latency>,
    pub throughput: Vec<Throughput>,
    pub memory: Memory,
    pub breakdown: Breakdown,
    pub peer: Option<PeerReport>,
    /// Our queries/s over the peer's, per thread count.
    pub qps_ratio: Vec<(usize, f64)>,
    /// Like for like with the peer: plain BM25 retrieval in our index (the
    /// peer's words OR-ed, top N, passage texts read), no query understanding,
    /// reranking or snippets.
    #[serde(default)]
    pub retrieval: Option<RetrievalReport>,
    pub notes: Vec<String>,
}

/// Nearest-rank percentile (`p` in 0..=100) of ascending `sorted` values; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Latency summary of per-question durations.
pub fn latency_of(durations: &[Duration]) -> Latency {
    let mut us: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    let mean = if us.is_empty() {
        0.0
    } else {
        us.iter().sum::<f64>() / us.len() as f64
    };
    Latency {
        samples: us.len(),
        mean_us: mean,
        p50_us: percentile(&us, 50.0),
        p90_us: percentile(&us, 90.0),
        p99_us: percentile(&us, 99.0),
        max_us: us.last().copied().unwrap_or(0.0),
        slowest: Vec::new(),
    }
}

/// Time `ask` over `queries` in whole passes until `min_samples` were taken or
/// `max_time` has passed (at least one pass).
pub fn measure_latency<F: FnMut(&str)>(
    queries: &[String],
    min_samples: usize,
    max_time: Duration,
    mut ask: F,
) -> Latency {
    let started = Instant::now();
    let mut samples = Vec::with_capacity(min_samples.max(queries.len()));
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    loop {
        for (q, own) in queries.iter().zip(per_query.iter_mut()) {
            let t = Instant::now();
            ask(q);
            let took = t.elapsed();
            samples.push(took);
            own.push(took);
        }
        if queries.is_empty() || samples.len() >= min_samples || started.elapsed() >= max_time {
            break;
        }
    }
    let mut latency = latency_of(&samples);
    let mut medians: Vec<(String, f64)> = queries
        .iter()
        .zip(&per_query)
        .map(|(q, own)| (q.clone(), latency_of(own).p50_us))
        .collect();
    medians.sort_by(|a, b| b.1.total_cmp(&a.1));
    medians.truncate(SLOWEST_REPORTED);
    latency.slowest = medians;
    latency
}

/// How many of the slowest questions a latency report names.
const SLOWEST_REPORTED: usize = 5;

/// Queries per second of `threads` threads each asking in turn (starting at
/// different questions) for `time`. `make` gives each thread its asker.
pub fn measure_throughput<F, A>(
    queries: &[String],
    threads: usize,
    time: Duration,
    make: F,
) -> Throughput
where
    F: Fn() -> A + Sync,
    A: FnMut(&str),
{
    let started = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let make = &make;
                s.spawn(move || {
                    let mut ask = make();
                    let mut n = 0usize;
                    let mut i = t * queries.len() / threads.max(1);
                    let deadline = Instant::now() + time;
                    while !queries.is_empty() && Instant::now() < deadline {
                        ask(&queries[i % queries.len()]);
                        i += 1;
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    Throughput {
        threads,
        queries: total,
        seconds,
        qps: if seconds > 0.0 {
            total as f64 / seconds
        } else {
            0.0
        },
    }
}

/// Words that make poor generated queries (and are dropped from FTS5 queries).
const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "by", "with",
    "from", "about", "as", "into", "than", "then", "so", "if", "is", "are", "was", "were", "be",
    "been", "am", "do", "does", "did", "have", "has", "had", "who", "whom", "what", "which",
    "when", "where", "why", "how", "this", "that", "these", "those", "it", "its", "they", "them",
    "their", "there", "he", "she", "his", "her", "i", "me", "my", "we", "us", "our", "you", "your",
    "can", "could", "should", "would", "will", "shall", "may", "might", "must", "not", "no", "yes",
    "any", "some", "all", "both", "each", "other", "such", "very", "also", "more", "most", "only",
    "into", "used", "uses", "using", "use", "provides", "package", "contains", "which", "based",
    "other", "well", "many", "like", "within",
];

pub(crate) fn is_stop(word: &str) -> bool {
    STOP.contains(&word)
}

/// The distinct content words of a question, lower-cased, in order: what the
/// peer searches for, and what our plain BM25 retrieval searches for too.
pub(crate) fn content_words(question: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in question.split(|c: char| !c.is_alphanumeric()) {
        let w = w.to_lowercase();
        if !w.is_empty() && !is_stop(&w) && !words.contains(&w) {
            words.push(w);
        }
    }
    words
}

/// splitmix64: a tiny, stable PRNG (the generated queries must not change
/// between releases of a dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `n` keyword queries of 2–4 content words each, sampled with `seed` from
/// random passages (words kept in their order in the passage). Deterministic.
pub fn generate_queries(passages: &[Passage], n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    let mut attempts = 0;
    while out.len() < n && attempts < n * 20 && !passages.is_empty() {
        attempts += 1;
        let p = &passages[rng.below(passages.len())];
        let mut words: Vec<String> = Vec::new();
        for w in p.text.split(|c: char| !c.is_alphanumeric()) {
            let w = w.to_lowercase();
            if w.chars().count() >= 4
                && w.chars().all(|c| c.is_alphabetic())
                && !is_stop(&w)
                && !words.contains(&w)
            {
                words.push(w);
            }
        }
        if words.len() < 2 {
            continue;
        }
        let k = (2 + rng.below(3)).min(words.len());
        let mut picks: Vec<usize> = Vec::with_capacity(k);
        while picks.len() < k {
            let i = rng.below(words.len());
            if !picks.contains(&i) {
                picks.push(i);
            }
        }
        picks.sort_unstable();
        let q: Vec<&str> = picks.iter().map(|&i| words[i].as_str()).collect();
        out.push(q.join(" "));
    }
    out
}

/// Questions from a file: a JSON array of strings or of objects with `q`, or
/// one question per line (blank lines and `#` comments skipped).
pub fn load_queries(path: &Path) -> Result<Vec<String>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let bad = |reason: String| BenchError::Queries {
        path: path.display().to_string(),
        reason,
    };
    let qs: Vec<String> = if text.trim_start().starts_with('[') {
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        v.iter()
            .map(|e| match e {
                serde_json::Value::String(s) => Some(s.clone()),
                other => other.get("q").and_then(|q| q.as_str()).map(String::from),
            })
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| bad("entries must be strings or objects with a \"q\" string".into()))?
    } else {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect()
    };
    if qs.is_empty() {
        return Err(bad("no questions".into()));
    }
    Ok(qs)
}

fn proc_status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn mb(kb: Option<u64>) -> f64 {
    kb.map(|k| k as f64 / 1024.0).unwrap_or(0.0)
}

/// Reset the peak-RSS mark (Linux: write 5 to /proc/self/clear_refs).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Bytes of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let memory_mb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0);
    Machine {
        load_start: String::new(),
        load_end: String::new(),
        cpu,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        memory_mb,
    }
}

fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Run the whole benchmark on `settings.corpus.dir`. `settings.index.dir` is
/// ignored: the index is built in a temporary directory and removed after.
pub fn run(
    settings: &Settings,
    embedder: Option<Arc<dyn Embedding>>,
    opts: &BenchOptions,
) -> Result<BenchReport, BenchError> {
    let mut notes = Vec::new();
    let load_start = load_avg();
    let corpus_dir = settings.corpus.dir.clone();
    let files = corpus::corpus_files(&corpus_dir)?;
    let bytes: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();

    let work = match &opts.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(io_err(d))?;
            tempfile::Builder::new()
                .prefix("rolefaq-bench-")
                .tempdir_in(d)
        }
        None => tempfile::Builder::new().prefix("rolefaq-bench-").tempdir(),
    }
    .map_err(io_err(
        opts.work_dir.as_deref().unwrap_or(Path::new("temp dir")),
    ))?;
    let mut settings = settings.clone();
    settings.index.dir = work.path().join("index");

    // Load alone (also warms the page cache for the build and the peer).
    tracing::info!(corpus = %corpus_dir.display(), "loading corpus");
    let t = Instant::now();
    let loaded = corpus::load_dir(
        &corpus_dir,
        &settings.corpus,
        settings.index.max_passage_chars,
    )?;
    let load = t.elapsed();
    let passages = loaded.passages;
    let documents = loaded.documents.len();
    let passage_bytes: u64 = passages
        .iter()
        .map(|p| {
            (index::indexed_text(p).len()
                + p.section.as_deref().map_or(0, str::len)
                + p.doc_title.len()) as u64
        })
        .sum();

    tracing::info!(passages = passages.len(), "building index");
    let build_report = {
        let _lock = index::lock_rebuild(&settings.index.dir)?;
        let t = Instant::now();
        let r = index::rebuild(&settings, embedder.as_deref(), false)?;
        (r, t.elapsed())
    };
    let (report, build) = build_report;
    let build_peak_mb = mb(proc_status_kb("VmHWM"));
    let index_bytes = index::current_name(&settings.index.dir)
        .map(|n| dir_size(&settings.index.dir.join(n)))
        .unwrap_or(0);

    // Queries before opening, so their memory is not counted as serving memory.
    let (queries, source) = match &opts.queries {
        Some(p) => (load_queries(p)?, p.display().to_string()),
        None => (
            generate_queries(&passages, opts.generated, opts.seed),
            format!(
                "generated: {} queries of 2–4 words, seed {}",
                opts.generated, opts.seed
            ),
        ),
    };
    if queries.is_empty() {
        return Err(BenchError::NoQueries);
    }
    #[cfg(feature = "peer")]
    let peer_passages = passages.clone();
    drop(passages);
    let after_build_mb = mb(proc_status_kb("VmRSS"));

    // Start-up and serving memory in a fresh process, when the shell can spawn one.
    let probe = match &opts.probe {
        Some(probe) => {
            let qfile = work.path().join("queries.txt");
            let text: Vec<String> = queries
                .iter()
                .map(|q| q.replace(['\n', '\r'], " "))
                .collect();
            std::fs::write(&qfile, text.join("\n")).map_err(io_err(&qfile))?;
            tracing::info!("probing start-up and memory in a fresh process");
            let t = Instant::now();
            // A failed probe costs its figures, not the whole (possibly hour-long) run.
            match probe(&settings.index.dir, &qfile) {
                Ok(mut p) => {
                    p.process_ms = ms(t.elapsed());
                    Some(p)
                }
                Err(e) => {
                    tracing::warn!("{e}; measuring start-up and memory in this process");
                    notes.push(format!(
                        "{e}: start-up and serving memory measured in process"
                    ));
                    None
                }
            }
        }
        None => None,
    };
    let peak_was_reset = reset_peak();
    if probe.is_none() && !peak_was_reset {
        notes.push("could not reset the peak-RSS mark: serving peak includes the build".into());
    }

    // Open in this process (timed too, as the in-process start-up).
    tracing::info!("opening service");
    let t = Instant::now();
    let svc = Arc::new(Service::open_with(settings.clone(), embedder.clone())?);
    let open = t.elapsed();
    let ask_opts = AskOptions {
        top: opts.top,
        offset: 0,
    };
    let t = Instant::now();
    let _ = svc.ask(&queries[0], ask_opts);
    let first = t.elapsed();
    let mode = if svc.hybrid() { "hybrid" } else { "lexical" };

    // Warm-up pass, counting answered questions.
    let answered = queries
        .iter()
        .filter(|q| svc.ask(q, ask_opts).is_ok_and(|a| !a.no_answer))
        .count();

    tracing::info!(queries = queries.len(), "measuring latency");
    let latency = measure_latency(&queries, opts.min_samples, opts.max_latency_time, |q| {
        let _ = svc.ask(q, ask_opts);
    });
    let latency_new_question = svc.hybrid().then(|| {
        tracing::info!("measuring latency of new questions");
        measure_latency(&queries, opts.min_samples, opts.max_latency_time, |q| {
            // emptying a cache of one entry is well under a microsecond
            svc.forget_question_vectors();
            let _ = svc.ask(q, ask_opts);
        })
    });
    let mut throughput = Vec::new();
    for &n in &opts.threads {
        tracing::info!(threads = n, "measuring throughput");
        throughput.push(measure_throughput(
            &queries,
            n,
            opts.throughput_time,
            || {
                let svc = Arc::clone(&svc);
                move |q: &str| {
                    let _ = svc.ask(q, ask_opts);
                }
            },
        ));
    }
    let breakdown = breakdown(&svc, embedder.as_deref(), &queries, opts.top);
    let serving_peak_mb = mb(proc_status_kb("VmHWM"));
    let retrieval = opts.peer.then(|| retrieval_only(&svc, &queries, opts));
    drop(svc);

    #[cfg(feature = "peer")]
    let peer = if opts.peer {
        tracing::info!("running the SQLite FTS5 peer");
        Some(peer::run(&peer_passages, &queries, work.path(), opts)?)
    } else {
        None
    };
    #[cfg(not(feature = "peer"))]
    let peer: Option<PeerReport> = {
        if opts.peer {
            notes.push("SQLite FTS5 peer not built in (build with --features peer)".into());
        }
        None
    };
    let qps_ratio = peer
        .as_ref()
        .map(|p| ratios(&throughput, &p.throughput))
        .unwrap_or_default();
    let retrieval = retrieval.map(|(latency, throughput)| RetrievalReport {
        qps_ratio: peer
            .as_ref()
            .map(|p| ratios(&throughput, &p.throughput))
            .unwrap_or_default(),
        latency,
        throughput,
    });
    if mode == "lexical" && embedder.is_some() {
        notes.push("a model was given but the index has no embeddings: lexical only".into());
    }

    let build_s = build.as_secs_f64().max(1e-9);
    Ok(BenchReport {
        version: env!("CARGO_PKG_VERSION").into(),
        date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        machine: Machine {
            load_start,
            load_end: load_avg(),
            ..machine()
        },
        mode: mode.into(),
        corpus: CorpusStats {
            dir: corpus_dir.display().to_string(),
            files: files.len(),
            bytes,
            documents,
            passages: report.passages,
            passage_bytes,
        },
        build: BuildStats {
            load_ms: ms(load),
            build_ms: ms(build),
            mb_per_s: bytes as f64 / 1e6 / build_s,
            passages_per_s: report.passages as f64 / build_s,
            index_bytes,
            embeddings: report.embeddings,
        },
        startup: match &probe {
            Some(p) => StartupStats {
                measured: "fresh process".into(),
                process_ms: Some(p.process_ms),
                open_ms: p.open_ms,
                first_answer_ms: p.first_answer_ms,
                total_ms: p.open_ms + p.first_answer_ms,
            },
            None => StartupStats {
                measured: "in process".into(),
                process_ms: None,
                open_ms: ms(open),
                first_answer_ms: ms(first),
                total_ms: ms(open + first),
            },
        },
        queries: QueryStats {
            source,
            count: queries.len(),
            answered,
            examples: queries.iter().take(5).cloned().collect(),
        },
        latency,
        latency_new_question,
        throughput,
        memory: Memory {
            build_peak_mb,
            after_build_mb,
            serving_peak_mb: probe.as_ref().map_or(serving_peak_mb, |p| p.peak_rss_mb),
            serving_measured: if probe.is_some() {
                "fresh process".into()
            } else {
                "in process".into()
            },
        },
        breakdown,
        peer,
        qps_ratio,
        retrieval,
        notes,
    })
}

/// The probe's side (`rolefaq bench-serve`): open the index of `settings`, ask
/// the first question, then every question once; report times and peak RSS.
pub fn serve_probe(
    settings: Settings,
    embedder: Option<Arc<dyn Embedding>>,
    queries: &[String],
    top: usize,
) -> Result<ServeProbe, BenchError> {
    let t = Instant::now();
    let svc = Service::open_with(settings, embedder)?;
    let open = t.elapsed();
    let opts = AskOptions { top, offset: 0 };
    let t = Instant::now();
    if let Some(q) = queries.first() {
        let _ = svc.ask(q, opts);
    }
    let first = t.elapsed();
    let answered = queries
        .iter()
        .filter(|q| svc.ask(q, opts).is_ok_and(|a| !a.no_answer))
        .count();
    Ok(ServeProbe {
        open_ms: ms(open),
        first_answer_ms: ms(first),
        asked: queries.len(),
        answered,
        peak_rss_mb: mb(proc_status_kb("VmHWM")),
        process_ms: 0.0,
    })
}

/// Our queries/s over theirs, for each thread count both measured.
fn ratios(ours: &[Throughput], theirs: &[Throughput]) -> Vec<(usize, f64)> {
    ours.iter()
        .filter_map(|o| {
            let t = theirs.iter().find(|t| t.threads == o.threads)?;
            (t.qps > 0.0).then(|| (o.threads, o.qps / t.qps))
        })
        .collect()
}

/// Latency and queries/s of plain BM25 retrieval on the same words the peer
/// searches for (see [`search::bm25_only`]), reading the top passages' texts.
fn retrieval_only(
    svc: &Arc<Service>,
    queries: &[String],
    opts: &BenchOptions,
) -> (Latency, Vec<Throughput>) {
    let words: Vec<String> = queries.iter().map(|q| content_words(q).join(" ")).collect();
    let top = opts.top;
    let one = move |engine: &Engine, w: &str| {
        let hits = search::bm25_only(&engine.gen, w, top).unwrap_or_default();
        for (ord, _) in hits {
            std::hint::black_box(&engine.gen.passages[ord].text);
        }
    };
    let engine = svc.engine();
    let latency = measure_latency(&words, opts.min_samples, opts.max_latency_time, |w| {
        one(&engine, w)
    });
    let throughput = opts
        .threads
        .iter()
        .map(|&n| {
            measure_throughput(&words, n, opts.throughput_time, || {
                let engine = svc.engine();
                move |w: &str| one(&engine, w)
            })
        })
        .collect();
    (latency, throughput)
}

/// Mean time of each step of `Service::ask`, reproduced step by step with the
/// same public functions (one pass over the queries).
fn breakdown(
    svc: &Service,
    embedder: Option<&dyn Embedding>,
    queries: &[String],
    top: usize,
) -> Breakdown {
    let engine = svc.engine();
    let (mut und, mut emb, mut rank, mut hits) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    for q in queries {
        let t = Instant::now();
        let u = svc.understand(&engine, q);
        und += t.elapsed();
        let t = Instant::now();
        let qv = match embedder {
            Some(e) if engine.gen.embeddings.is_some() => e.embed_query(&u.text).ok(),
            _ => None,
        };
        emb += t.elapsed();
        let t = Instant::now();
        let ranked = svc.rank(&engine, &u, qv.as_deref()).unwrap_or_default();
        rank += t.elapsed();
        let t = Instant::now();
        let stems = search::query_stems(&u);
        let out: Vec<_> = ranked
            .iter()
            .take(top)
            .enumerate()
            .map(|(i, r)| search::to_hit(&engine.gen.passages[r.ord], i + 1, r.score, &stems))
            .collect();
        std::hint::black_box(out);
        hits += t.elapsed();
    }
    let n = queries.len().max(1) as f64;
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
    Breakdown {
        understand_us: us(und),
        embed_us: us(emb),
        rank_us: us(rank),
        hits_us: us(hits),
    }
}

fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} kB", b / 1e3)
    }
}

fn us_ms(us: f64) -> String {
    format!("{:.3} ms", us / 1e3)
}

/// A Markdown table of one report.
pub fn to_markdown(r: &BenchReport) -> String {
    let mut rows: Vec<(String, String)> = vec![
        ("corpus".into(), r.corpus.dir.clone()),
        (
            "documents / passages".into(),
            format!("{} / {}", r.corpus.documents, r.corpus.passages),
        ),
        ("corpus size".into(), human_bytes(r.corpus.bytes)),
        ("mode".into(), r.mode.clone()),
        (
            "corpus load (load+clean+split)".into(),
            format!("{:.0} ms", r.build.load_ms),
        ),
        (
            "index build (incl. load)".into(),
            format!(
                "{:.0} ms — {:.2} MB/s, {:.0} passages/s",
                r.build.build_ms, r.build.mb_per_s, r.build.passages_per_s
            ),
        ),
        (
            "index size on disk".into(),
            human_bytes(r.build.index_bytes),
        ),
        (
            format!("start-up, open + first answer ({})", r.startup.measured),
            format!(
                "{:.1} ms ({:.1} + {:.1}){}",
                r.startup.total_ms,
                r.startup.open_ms,
                r.startup.first_answer_ms,
                r.startup
                    .process_ms
                    .map(|p| format!("; whole probe process {p:.0} ms"))
                    .unwrap_or_default()
            ),
        ),
        (
            "queries".into(),
            format!(
                "{} ({} answered) — {}",
                r.queries.count, r.queries.answered, r.queries.source
            ),
        ),
        (
            format!("{} latency p50 / p99 / max", r.mode),
            format!(
                "{} / {} / {} ({} samples)",
                us_ms(r.latency.p50_us),
                us_ms(r.latency.p99_us),
                us_ms(r.latency.max_us),
                r.latency.samples
            ),
        ),
        (
            "hybrid latency, new questions p50 / p99 / max".into(),
            r.latency_new_question
                .as_ref()
                .map(|l| {
                    format!(
                        "{} / {} / {} ({} samples; the question embedded every time)",
                        us_ms(l.p50_us),
                        us_ms(l.p99_us),
                        us_ms(l.max_us),
                        l.samples
                    )
                })
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "slowest questions (median)".into(),
            r.latency
                .slowest
                .iter()
                .take(3)
                .map(|(q, us)| format!("{} “{q}”", us_ms(*us)))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ];
    for t in &r.throughput {
        rows.push((
            format!("queries/s, {} thread(s)", t.threads),
            format!("{:.0}", t.qps),
        ));
    }
    rows.push((
        "ask breakdown (mean)".into(),
        format!(
            "understand {:.0} µs, embed {:.0} µs, rank {:.0} µs, hits {:.0} µs",
            r.breakdown.understand_us,
            r.breakdown.embed_us,
            r.breakdown.rank_us,
            r.breakdown.hits_us
        ),
    ));
    rows.push((
        "peak RSS build (bench process)".into(),
        format!(
            "{:.0} MB (after build {:.0} MB)",
            r.memory.build_peak_mb, r.memory.after_build_mb
        ),
    ));
    rows.push((
        format!("peak RSS serving ({})", r.memory.serving_measured),
        format!("{:.0} MB", r.memory.serving_peak_mb),
    ));
    rows.push((
        "load average start → end".into(),
        format!("{} → {}", r.machine.load_start, r.machine.load_end),
    ));
    if let Some(p) = &r.peer {
        rows.push(("peer".into(), p.engine.clone()));
        rows.push((
            "peer build / size".into(),
            format!("{:.0} ms / {}", p.build_ms, human_bytes(p.index_bytes)),
        ));
        rows.push((
            "peer latency p50 / p99".into(),
            format!(
                "{} / {} ({} answered)",
                us_ms(p.latency.p50_us),
                us_ms(p.latency.p99_us),
                p.answered
            ),
        ));
        for t in &p.throughput {
            rows.push((
                format!("peer queries/s, {} thread(s)", t.threads),
                format!("{:.0}", t.qps),
            ));
        }
        for (threads, ratio) in &r.qps_ratio {
            rows.push((
                format!("ours (whole ask) / peer queries/s, {threads} thread(s)"),
                format!("{ratio:.2}×"),
            ));
        }
        if let Some(rt) = &r.retrieval {
            rows.push((
                "our BM25 retrieval alone p50 / p99".into(),
                format!(
                    "{} / {}",
                    us_ms(rt.latency.p50_us),
                    us_ms(rt.latency.p99_us)
                ),
            ));
            for t in &rt.throughput {
                let ratio = rt
                    .qps_ratio
                    .iter()
                    .find(|(n, _)| *n == t.threads)
                    .map(|(_, r)| format!(" ({r:.2}× the peer)"))
                    .unwrap_or_default();
                rows.push((
                    format!(
                        "our BM25 retrieval alone queries/s, {} thread(s)",
                        t.threads
                    ),
                    format!("{:.0}{ratio}", t.qps),
                ));
            }
        }
    }
    let mut out = String::from("| metric | value |\n|---|---|\n");
    for (k, v) in rows {
        out.push_str(&format!("| {k} | {} |\n", v.replace('|', "\\|")));
    }
    for n in &r.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        let small = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&small, 50.0), 2.0);
        assert_eq!(percentile(&small, 99.0), 4.0);
    }

    #[test]
    fn latency_summary() {
        let d: Vec<Duration> = [3u64, 1, 2, 4]
            .iter()
            .map(|&m| Duration::from_millis(m))
            .collect();
        let l = latency_of(&d);
        assert_eq!(l.samples, 4);
        assert!((l.mean_us - 2500.0).abs() < 1e-6);
        assert!((l.p50_us - 2000.0).abs() < 1e-6);
        assert!((l.max_us - 4000.0).abs() < 1e-6);
    }

    fn passage(text: &str) -> Passage {
        Passage {
            id: "d#1".into(),
            doc_id: "d".into(),
            doc_title: "D".into(),
            section: None,
            paragraph: 1,
            part: 1,
            kind: crate::model::PassageKind::Paragraph,
            text: text.into(),
            context: None,
            table: None,
            url: None,
            page: None,
        }
    }

    #[test]
    fn generated_queries_are_deterministic_content_words() {
        let ps = vec![
            passage("The quick brown foxes jump over lazy sleeping dogs in 2024."),
            passage("Compression library for archives with streaming support."),
        ];
        let a = generate_queries(&ps, 20, 1);
        assert_eq!(a, generate_queries(&ps, 20, 1));
        assert_eq!(a.len(), 20);
        for q in &a {
            let words: Vec<&str> = q.split(' ').collect();
            assert!((2..=4).contains(&words.len()), "{q}");
            assert!(words.iter().all(|w| w.len() >= 4 && !is_stop(w)), "{q}");
        }
        assert!(generate_queries(&[passage("a b")], 5, 1).is_empty());
    }

    #[test]
    fn queries_from_json_and_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let j = dir.path().join("q.json");
        std::fs::write(&j, r#"[{"id":"1","q":"who owns x?"},"plain"]"#).expect("write");
        assert_eq!(load_queries(&j).expect("json"), ["who owns x?", "plain"]);
        let t = dir.path().join("q.txt");
        std::fs::write(&t, "# c\nfirst\n\n second \n").expect("write");
        assert_eq!(load_queries(&t).expect("lines"), ["first", "second"]);
        std::fs::write(&j, "[1]").expect("write");
        assert!(load_queries(&j).is_err());
    }
}
