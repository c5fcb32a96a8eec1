//! The figures `rolefaq bench` reports (serde: `--json` prints them as they are).

use super::*;

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
    /// A rebuild after one document changed (on a copy of the corpus), beside
    /// the full build above; `None` when it could not be measured (see notes).
    #[serde(default)]
    pub incremental: Option<IncrementalStats>,
}

/// The rebuild after a one-document change: a paragraph appended to one text
/// document of a hard-linked copy of the corpus, then `index::rebuild` over
/// the full build's generation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncrementalStats {
    /// The document changed.
    pub document: String,
    pub rebuild_ms: f64,
    pub vectors: crate::model::VectorCounts,
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
