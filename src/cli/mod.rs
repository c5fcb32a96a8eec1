//! The command-line shell: argument definitions and dispatch to the core.

pub mod render;

use crate::bench;
use crate::config::{Overrides, Settings};
use crate::eval;
use crate::service::{AskOptions, Service};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Configuration: the first of --config PATH, $ROLEFAQ_CONFIG, ./config.toml and
$XDG_CONFIG_HOME/rolefaq/config.toml (else ~/.config/rolefaq/config.toml) is read;
relative paths in it are relative to the file. ROLEFAQ__SECTION__KEY variables
override the file, the flags override both. Logs go to stderr (ROLEFAQ_LOG=info
for more); colour only on a terminal and never with NO_COLOR set.";

#[derive(Debug, Parser)]
#[command(
    name = "rolefaq",
    version,
    about = "Answers questions about technology-leadership roles from a cited corpus",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Config file; without it $ROLEFAQ_CONFIG, ./config.toml, then
    /// ~/.config/rolefaq/config.toml are tried (see below).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Corpus directory (overrides corpus.dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Index directory (overrides index.dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub index: Option<PathBuf>,
    /// Embedding model directory (overrides model.dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Lexical ranking only, even when a model is configured.
    #[arg(long, global = true)]
    pub no_model: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question with ranked, cited passages.
    Ask {
        /// The question, in quotes ("who owns cybersecurity?"); at most
        /// search.max_query_chars characters are used (1000 as shipped).
        question: String,
        /// Results per page (default: search.top, 3 as shipped; at most
        /// search.max_top, 25 as shipped).
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Which page of results to show, from 1 (each page holds --top results).
        #[arg(long, value_name = "N", default_value_t = 1)]
        page: usize,
        /// Print one JSON object on stdout (errors too, as {"error": …}).
        #[arg(long)]
        json: bool,
        /// Show whole passages instead of the best sentences.
        #[arg(long)]
        full: bool,
        /// Print how the question was understood and why each candidate ranked
        /// where it did (to stderr).
        #[arg(long)]
        explain: bool,
        /// Record the question in the store as the bot does (entry point
        /// "cli", no asker), so `rolefaq gaps` sees it; prints its record id
        /// (stderr, or "record_id" with --json). Nothing when store.enabled is false.
        #[arg(long)]
        record: bool,
    },
    /// What the corpus misses: recorded questions that were not answered or
    /// were voted down, grouped by meaning (largest group first), with the
    /// answer rate and the votes of the period.
    Gaps {
        /// The period: the last N days (1–3650).
        #[arg(long, value_name = "N", default_value_t = 30)]
        days: u32,
        /// Print the report as one JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Also write every recorded question of the period as CSV (a
        /// spreadsheet), one row each.
        #[arg(long, value_name = "FILE.csv")]
        export: Option<PathBuf>,
        /// Also draw the answer rate per week as a PNG bar chart.
        #[arg(long, value_name = "FILE.png")]
        chart: Option<PathBuf>,
    },
    /// Vote on a recorded answer as a Discord user would (for trying the
    /// feedback loop without Discord; the voter is "cli:$USER").
    #[command(hide = true)]
    Vote {
        /// The record id `ask --record` printed.
        record: String,
        /// A 👎 (default: 👍).
        #[arg(long)]
        down: bool,
        /// What you were looking for.
        #[arg(long)]
        text: Option<String>,
    },
    /// Compare two roles side by side, with citations.
    Compare {
        /// The first role: a short name (cio), a title (Chief Information
        /// Officer) or any alias the corpus uses.
        role_a: String,
        /// The second role, spelled as the first.
        role_b: String,
        /// Only rows matching this aspect (e.g. security).
        #[arg(long)]
        aspect: Option<String>,
        /// Print one JSON object on stdout (errors too, as {"error": …}).
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the index from the corpus (atomically).
    Index {
        /// List every line dropped as web-page debris.
        #[arg(long, short)]
        verbose: bool,
        /// Print the build report as one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate retrieval on judged questions: S@1, S@3, MRR@5.
    ///
    /// Each question's line starts with its mark: `@K` the first right answer
    /// is at rank K; `none` rolefaq answered "no answer" (right for a question
    /// with "rel": []); `miss` no right answer in the top 5.
    Eval {
        /// Judged questions: a JSON array of {"id", "q", "rel": [phrases]}; a
        /// result is right when it contains one of the phrases; "rel": [] means
        /// no passage is right (the question is unanswerable).
        file: PathBuf,
        /// Print the report as one JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Rank every question as if the answer decision had let it through,
        /// to measure the ranking apart from the decision.
        #[arg(long)]
        ungated: bool,
        /// Rank with a baseline instead of rolefaq's method: `bm25` is plain
        /// BM25 over the question's words (never refuses).
        #[arg(long, value_name = "NAME", value_parser = ["bm25"])]
        baseline: Option<String>,
        /// Print, per question (to stderr), how it was understood and each
        /// candidate's score, coverage and dense similarity, `*` marking
        /// passages that hold a judged phrase, and judged passages not ranked.
        #[arg(long)]
        explain: bool,
        /// Only these question ids (repeatable; default: every question).
        #[arg(long, value_name = "ID")]
        only: Vec<String>,
        /// Also write, for each answerable question, its whole ranked pool to
        /// FILE (JSON lines: each candidate's score parts and whether it holds
        /// a judged phrase), the input of `scripts/fit-ranking.py`.
        #[arg(long, value_name = "FILE")]
        features: Option<PathBuf>,
    },
    /// List the documents of the index, or add or remove one (then rebuild).
    Sources {
        /// Print the documents (or the change) as JSON on stdout.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        action: Option<SourcesAction>,
    },
    /// Run the Discord bot (token from DISCORD_TOKEN); while it runs, corpus
    /// changes are picked up by incremental rebuilds unless watch.enabled = false.
    Serve {
        /// Serve Discord's interactions over HTTP on ADDR (e.g. 127.0.0.1:8080, behind
        /// a TLS proxy: the application's Interactions Endpoint URL, path
        /// /interactions) instead of the gateway; needs discord.public_key. No
        /// @mentions or DMs in this mode. Overrides discord.http_listen.
        #[arg(long, value_name = "ADDR")]
        http: Option<String>,
    },
    /// Watch the corpus and rebuild the index incrementally whenever it
    /// changes (after writes settle, watch.settle_ms), printing each rebuild's
    /// report; until Ctrl-C. A rebuild that fails keeps the previous index.
    Watch {
        /// Print each rebuild as one JSON object per line ({"reason", "report", "error"}).
        #[arg(long)]
        json: bool,
    },
    /// Measure index build, query latency and throughput, memory and start-up
    /// on the corpus (--corpus DIR), in a temporary index. See docs/benchmarks.md.
    Bench {
        /// Questions: a JSON array (strings or {"q": …}) or one per line.
        /// Default: keyword queries generated from the corpus (seeded).
        #[arg(long, value_name = "FILE")]
        queries: Option<PathBuf>,
        /// Number of generated queries (without --queries).
        #[arg(long, default_value_t = 200)]
        generated: usize,
        /// Seed of the query generator.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Results per question (at most search.max_top).
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Seconds of each queries-per-second run (above 0, at most 600).
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// At least this many timed questions for the latency percentiles.
        #[arg(long, default_value_t = 1000)]
        samples: usize,
        /// Directory for the temporary index (default: the system temp dir).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Skip the SQLite FTS5 peer (built only with --features peer).
        #[arg(long)]
        no_peer: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// The benchmark's serving probe: open the index, ask each question of
    /// FILE (one per line) once, print start-up times and peak RSS as JSON.
    #[command(hide = true)]
    BenchServe {
        /// Questions, one per line.
        #[arg(long, value_name = "FILE")]
        queries: PathBuf,
        /// Results per question.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Write a benchmark corpus (one file per package) from apt description
    /// lists (Translation-en or Packages text; "-" for stdin).
    #[command(hide = true)]
    BenchCorpus {
        /// Output directory.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// At most this many documents, spread over the list.
        #[arg(long)]
        limit: Option<usize>,
        /// Description lists to read ("-" for stdin).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
}

/// `rolefaq sources add|remove`.
#[derive(Debug, Subcommand)]
pub enum SourcesAction {
    /// Copy FILE into the corpus under a safe name (md, txt, html, pdf, docx; a
    /// Markdown or text file without front matter gets a title from its first
    /// heading or name), after checking that it loads, then rebuild.
    Add {
        /// The document to add.
        file: PathBuf,
        /// Replace the document of the same id (the old file is kept in
        /// the corpus's .removed/ directory).
        #[arg(long)]
        replace: bool,
    },
    /// Move the document ID (as `rolefaq sources` lists it) into the corpus's
    /// .removed/ directory, then rebuild.
    Remove {
        /// The document id.
        id: String,
    },
}

/// Read a file to add, refusing one larger than `max` before reading it whole.
fn read_upload(path: &std::path::Path, max: u64) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let meta = f
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a regular file", path.display());
    }
    if meta.len() > max {
        bail!(
            "{} is {} bytes; documents may be at most {max} bytes (corpus.max_file_bytes)",
            path.display(),
            meta.len()
        );
    }
    let mut bytes = Vec::new();
    f.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
}

impl Command {
    /// Whether the command was asked for JSON output.
    fn json(&self) -> bool {
        match self {
            Command::Ask { json, .. }
            | Command::Compare { json, .. }
            | Command::Index { json, .. }
            | Command::Eval { json, .. }
            | Command::Sources { json, .. }
            | Command::Gaps { json, .. }
            | Command::Bench { json, .. } => *json,
            Command::Watch { json } => *json,
            Command::Vote { .. }
            | Command::Serve { .. }
            | Command::BenchServe { .. }
            | Command::BenchCorpus { .. } => false,
        }
    }
}

/// The largest `--page` accepted (past the results it is refused anyway; this
/// keeps the offset arithmetic far from overflow).
const MAX_PAGE: usize = 1_000_000;

/// Settings from defaults, the config file, the environment and the flags.
pub fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let overrides = Overrides {
        corpus_dir: cli.corpus.clone(),
        index_dir: cli.index.clone(),
        model_dir: cli.model.clone(),
        no_model: cli.no_model,
    };
    Settings::load_located(cli.config.as_deref(), &overrides).context("loading configuration")
}

fn open(settings: Settings) -> anyhow::Result<Service> {
    let corpus = settings.corpus.dir.display().to_string();
    let index = settings.index.dir.display().to_string();
    if crate::index::current_name(&settings.index.dir).is_none() {
        eprintln!("note: no index in {index} yet; building it from {corpus}");
    }
    let svc = Service::open(settings)
        .with_context(|| format!("opening the index {index} (corpus {corpus})"))?;
    if svc.freshness().stale {
        match crate::index::check_writable(&svc.settings().index.dir) {
            Ok(()) => eprintln!(
                "note: the corpus changed since the index was built; run `rolefaq index` to rebuild it"
            ),
            Err(e) => eprintln!("note: the corpus changed since the index was built, but {e}"),
        }
    }
    Ok(svc)
}

/// Write to stdout; a reader that went away (`rolefaq ask … | head`) is not an error.
fn out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    out(&format!("{}\n", serde_json::to_string_pretty(v)?))
}

/// `eval --features FILE`: one JSON line per answerable question, its whole
/// ranked pool in rank order with each candidate's score parts.
fn write_features(
    svc: &Service,
    questions: &[eval::Judged],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let mut lines = String::new();
    for q in questions.iter().filter(|q| !q.rel.is_empty()) {
        let phrases = eval::JudgedPhrases::new(&q.rel);
        let (content_words, pool) = svc
            .judged_pool(&q.q, &|text| phrases.in_text(text))
            .with_context(|| format!("ranking question {}", q.id))?;
        let pool: Vec<_> = pool
            .iter()
            .map(|(c, judged)| {
                serde_json::json!({
                    "score": c.score,
                    "bm25": c.bm25,
                    "coverage": c.coverage,
                    "dense": c.dense,
                    "dense_centred": c.dense_centred,
                    "factor": c.factor,
                    "judged": judged,
                })
            })
            .collect();
        let line = serde_json::json!({"id": q.id, "content_words": content_words, "pool": pool});
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    std::fs::write(path, lines).with_context(|| format!("writing {}", path.display()))
}

/// `ask --json`: the answer with the page shown and notes on the question.
#[derive(serde::Serialize)]
struct AskJson<'a> {
    #[serde(flatten)]
    answer: &'a crate::model::Answer,
    page: usize,
    notes: &'a [String],
    /// With `--record`: the id votes refer to (absent when nothing was recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    record_id: Option<&'a crate::store::RecordId>,
}

/// How long the CLI waits for its record to be written before it exits.
const RECORD_FLUSH: std::time::Duration = std::time::Duration::from_secs(3);

/// The dense model for the benchmark when it is enabled and present.
fn bench_embedder(
    settings: &Settings,
) -> anyhow::Result<Option<std::sync::Arc<dyn crate::index::Embedding>>> {
    Ok(crate::embed::load_configured(&settings.model)
        .map(|e| e as std::sync::Arc<dyn crate::index::Embedding>))
}

/// The bench's serving probe: this binary, with the same configuration, run as
/// `bench-serve` on the bench's private index.
fn probe_command(
    config: &Option<PathBuf>,
    model: &Option<PathBuf>,
    no_model: bool,
    settings: &Settings,
) -> bench::ServeProbeFn {
    let (config, model, corpus) = (config.clone(), model.clone(), settings.corpus.dir.clone());
    // Resolved now: once a long benchmark is under way, a rebuild may replace
    // the binary, and /proc/self/exe then names a deleted file.
    let exe = std::env::current_exe();
    std::sync::Arc::new(move |index: &std::path::Path, queries: &std::path::Path| {
        let fail = |m: String| bench::BenchError::Probe(m);
        let exe = exe.as_ref().map_err(|e| fail(e.to_string()))?;
        let mut cmd = std::process::Command::new(exe);
        if let Some(c) = &config {
            cmd.arg("--config").arg(c);
        }
        if let Some(m) = &model {
            cmd.arg("--model").arg(m);
        }
        if no_model {
            cmd.arg("--no-model");
        }
        cmd.arg("--corpus")
            .arg(&corpus)
            .arg("--index")
            .arg(index)
            .arg("bench-serve")
            .arg("--queries")
            .arg(queries)
            .stdin(std::process::Stdio::null());
        let out = cmd.output().map_err(|e| fail(e.to_string()))?;
        if !out.status.success() {
            return Err(fail(format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| fail(format!("bad report: {e}")))
    })
}

/// `rolefaq serve` with the corpus watcher beside the bot: each watched
/// rebuild is logged (the bot can report them through
/// `Service::subscribe_rebuilds`).
fn serve_watched(settings: Settings) -> anyhow::Result<()> {
    if settings.discord.token.is_empty() {
        bail!(
            "no Discord bot token: set DISCORD_TOKEN (or ROLEFAQ__DISCORD__TOKEN) in the \
             environment (see docs/discord.md)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let s = settings.clone();
        let service = tokio::task::spawn_blocking(move || Service::open(s))
            .await
            .context("opening the index panicked")?
            .context("cannot open the index")?;
        let service = std::sync::Arc::new(service);
        let watcher = crate::watch::spawn(service.clone(), &settings.watch, |ev| {
            if let Some(e) = &ev.error {
                tracing::warn!(reason = %ev.reason, "corpus rebuild failed, previous index serving: {e}");
            }
        })
        .context("cannot watch the corpus")?;
        let served = crate::discord::run(settings, service, crate::discord::shutdown_signal()).await;
        tokio::task::spawn_blocking(move || watcher.stop())
            .await
            .context("stopping the corpus watcher panicked")?;
        served
    })
}

/// `rolefaq watch`: open (or build) the index, then rebuild on every corpus
/// change until SIGINT/SIGTERM, printing each rebuild.
fn watch(settings: Settings, json: bool) -> anyhow::Result<()> {
    let service =
        std::sync::Arc::new(Service::open(settings.clone()).context("cannot open the index")?);
    let f = service.freshness();
    eprintln!(
        "Watching {} ({} documents, {} passages); Ctrl-C stops.",
        settings.corpus.dir.display(),
        f.documents,
        f.passages
    );
    let watcher = crate::watch::spawn(service, &settings.watch, move |ev| {
        let text = if json {
            serde_json::to_string(ev)
                .map(|j| format!("{j}\n"))
                .unwrap_or_default()
        } else {
            match (&ev.report, &ev.error) {
                (Some(r), _) => format!(
                    "Corpus changed ({}).\n{}",
                    ev.reason,
                    render::index_report(r, false)
                ),
                (None, Some(e)) => format!(
                    "Corpus changed ({}). Rebuild failed, the previous index keeps serving: {e}\n",
                    ev.reason
                ),
                (None, None) => String::new(),
            }
        };
        if let Err(e) = out(&text) {
            tracing::warn!("cannot print a rebuild report: {e:#}");
        }
    })
    .context("cannot watch the corpus")?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(crate::discord::shutdown_signal());
    watcher.stop();
    Ok(())
}

/// Run one command. With `--json` a failure is also printed on stdout as
/// `{"error": "…"}`, so a caller parsing stdout always gets JSON.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.command.json();
    let result = run_command(cli);
    if let (Err(e), true) = (&result, json) {
        let _ = out(&format!(
            "{}\n",
            serde_json::json!({ "error": format!("{e:#}") })
        ));
    }
    result
}

fn run_command(cli: Cli) -> anyhow::Result<()> {
    let settings = settings(&cli)?;
    match cli.command {
        Command::Ask {
            question,
            top,
            page,
            json,
            full,
            explain,
            record,
        } => {
            let max_top = settings.search.max_top;
            let top = top.unwrap_or(settings.search.top);
            if top == 0 || top > max_top {
                bail!("--top must be between 1 and {max_top} (search.max_top); use --page N for further results");
            }
            if page == 0 || page > MAX_PAGE {
                bail!("--page counts from 1 (at most {MAX_PAGE})");
            }
            let offset = (page - 1).saturating_mul(top);
            let max_chars = settings.search.max_query_chars;
            let (_, truncated) = crate::search::query::sanitize(&question, max_chars);
            let mut notes = Vec::new();
            if truncated {
                notes.push(format!(
                    "the question is longer than {max_chars} characters (search.max_query_chars); \
                     only its first {max_chars} were used"
                ));
            }
            let svc = open(settings)?;
            if explain {
                eprint!("{}", svc.explain_ranking(&question, None, offset + top)?);
            }
            let answer = svc.ask(&question, AskOptions { top, offset })?;
            if offset > 0 && answer.results.is_empty() && answer.total > 0 {
                bail!(
                    "--page {page} is past the last page: {} results make {} pages of {top}",
                    answer.total,
                    answer.total.div_ceil(top)
                );
            }
            let record_id = if record {
                let id = svc.record(
                    &question,
                    &answer,
                    crate::store::EntryPoint::Cli,
                    None,
                    None,
                );
                if !svc.flush_records(RECORD_FLUSH) {
                    tracing::warn!("the question store did not confirm the write in time");
                }
                if id.is_none() && svc.settings().store.enabled {
                    eprintln!("note: the question was not recorded (see the log)");
                }
                id
            } else {
                None
            };
            if let (Some(id), false) = (&record_id, json) {
                eprintln!("recorded as {id}");
            }
            if json {
                print_json(&AskJson {
                    answer: &answer,
                    page,
                    notes: &notes,
                    record_id: record_id.as_ref(),
                })?;
            } else {
                for n in &notes {
                    eprintln!("note: {n}");
                }
                let color = crate::logging::color_allowed(std::io::stdout().is_terminal());
                let paging = render::Paging { page, top, max_top };
                out(&render::answer(&answer, full, color, paging))?;
            }
        }
        Command::Compare {
            role_a,
            role_b,
            aspect,
            json,
        } => {
            let svc = open(settings)?;
            let c = svc.compare(&role_a, &role_b, aspect.as_deref())?;
            if json {
                print_json(&c)?;
            } else {
                out(&render::comparison(&c, 110))?;
            }
        }
        Command::Index { verbose, json } => {
            let progress = std::io::stderr().is_terminal() && !json;
            let _lock = crate::index::lock_rebuild(&settings.index.dir)?;
            let embedder = crate::embed::load_configured(&settings.model);
            let embedder = embedder
                .as_deref()
                .map(|e| e as &dyn crate::index::Embedding);
            // The new generation becomes current only once an engine serves it.
            let (report, _) = crate::index::rebuild_accepted(
                &settings,
                embedder,
                progress,
                crate::service::Engine::build,
            )
            .context("rebuilding the index (the previous index, if any, is still in place)")?;
            if json {
                print_json(&report)?;
            } else {
                out(&render::index_report(&report, verbose))?;
            }
        }
        Command::Eval {
            file,
            json,
            ungated,
            baseline,
            explain,
            only,
            features,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut questions: Vec<eval::Judged> = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", file.display()))?;
            if !only.is_empty() {
                questions.retain(|q| only.contains(&q.id));
                if questions.is_empty() {
                    bail!(
                        "none of the ids {} is in {}",
                        only.join(", "),
                        file.display()
                    );
                }
            }
            let svc = open(settings)?;
            if explain {
                for q in &questions {
                    eprintln!("\n===== {} {}", q.id, q.q);
                    let phrases = eval::JudgedPhrases::new(&q.rel);
                    let judged = |text: &str| phrases.in_text(text);
                    eprint!("{}", svc.explain_ranking(&q.q, Some(&judged), 5)?);
                }
            }
            if let Some(path) = &features {
                write_features(&svc, &questions, path)?;
            }
            let five = AskOptions { top: 5, offset: 0 };
            let report = eval::evaluate(&questions, |q| {
                if baseline.is_some() {
                    svc.ask_bm25(q, five)
                } else if ungated {
                    svc.ask_ungated(q, five)
                } else {
                    svc.ask(q, five)
                }
            })?;
            if json {
                print_json(&report)?;
            } else {
                out(&render::eval_report(&report))?;
            }
        }
        Command::Sources {
            json,
            action: Some(action),
        } => {
            let svc = open(settings)?;
            let change = match action {
                SourcesAction::Add { file, replace } => {
                    let name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let bytes = read_upload(&file, svc.settings().corpus.max_file_bytes)?;
                    svc.add_source(&name, &bytes, replace)
                        .with_context(|| format!("adding {}", file.display()))?
                }
                SourcesAction::Remove { id } => svc
                    .remove_source(&id)
                    .with_context(|| format!("removing {id}"))?,
            };
            if json {
                print_json(&change)?;
            } else {
                out(&render::source_change(&change))?;
            }
        }
        Command::Sources { json, action: None } => {
            let svc = open(settings)?;
            let sources = svc.sources();
            if json {
                print_json(&sources)?;
            } else {
                let lines: String = sources
                    .iter()
                    .map(|s| format!("{:<36} {:>4} passages  {}\n", s.id, s.passages, s.title))
                    .collect();
                out(&lines)?;
            }
        }
        Command::Gaps {
            days,
            json,
            export,
            chart,
        } => {
            if !(1..=3650).contains(&days) {
                bail!("--days must be between 1 and 3650");
            }
            let svc = open(settings)?;
            let questions = svc
                .recorded(days)
                .with_context(|| format!("reading the question store ({})", svc.store_backend()))?;
            let report = svc.gaps_of(&questions, days);
            if let Some(path) = &export {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                crate::gaps::export::write_csv(std::io::BufWriter::new(file), &questions)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {} questions to {}", questions.len(), path.display());
            }
            if let Some(path) = &chart {
                let png = crate::gaps::chart::answer_rate_png(&report.weeks)?;
                std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
                eprintln!(
                    "wrote the answer rate of {} weeks to {}",
                    report.weeks.len(),
                    path.display()
                );
            }
            if json {
                print_json(&report)?;
            } else {
                out(&render::gaps(&report))?;
            }
        }
        Command::Vote { record, down, text } => {
            let Some(id) = crate::store::RecordId::parse(&record) else {
                bail!("'{record}' is not a record id (16 hex digits, as `ask --record` prints)");
            };
            if !settings.store.enabled {
                bail!("recording is off (store.enabled = false): nothing to vote on");
            }
            let svc = open(settings)?;
            let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            let queued = svc.vote(&id, &format!("cli:{user}"), !down, text.as_deref());
            if !queued || !svc.flush_records(RECORD_FLUSH) {
                bail!("the vote was not written (see the log)");
            }
        }
        Command::Serve { http } => {
            let mut settings = settings;
            if let Some(addr) = http {
                settings.discord.http_listen = addr;
            }
            settings
                .discord
                .check_http_keys()
                .map_err(anyhow::Error::msg)?;
            if settings.watch.enabled {
                serve_watched(settings)?
            } else {
                crate::discord::serve_blocking(settings)?
            }
        }
        Command::Watch { json } => watch(settings, json)?,
        Command::Bench {
            queries,
            generated,
            seed,
            top,
            seconds,
            samples,
            work_dir,
            no_peer,
            json,
        } => {
            if top == 0 || top > settings.search.max_top {
                bail!("--top must be between 1 and {}", settings.search.max_top);
            }
            if !(seconds > 0.0 && seconds <= 600.0) {
                bail!("--seconds must be between 0 and 600");
            }
            let probe = probe_command(&cli.config, &cli.model, cli.no_model, &settings);
            let opts = bench::BenchOptions {
                queries,
                generated,
                seed,
                top,
                min_samples: samples,
                throughput_time: std::time::Duration::from_secs_f64(seconds),
                work_dir,
                peer: !no_peer,
                probe: Some(probe),
                ..Default::default()
            };
            let corpus = settings.corpus.dir.display().to_string();
            let embedder = bench_embedder(&settings)?;
            let report = bench::run(&settings, embedder, &opts)
                .with_context(|| format!("benchmarking on the corpus {corpus}"))?;
            if json {
                print_json(&report)?;
            } else {
                out(&bench::to_markdown(&report))?;
            }
        }
        Command::BenchServe { queries, top } => {
            let text = std::fs::read_to_string(&queries)
                .with_context(|| format!("reading {}", queries.display()))?;
            let qs: Vec<String> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from)
                .collect();
            let embedder = bench_embedder(&settings)?;
            let report = bench::serve_probe(settings, embedder, &qs, top)?;
            out(&format!("{}\n", serde_json::to_string(&report)?))?;
        }
        Command::BenchCorpus { out, limit, inputs } => {
            let mut text = String::new();
            for input in &inputs {
                if input.as_os_str() == "-" {
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                        .context("reading stdin")?;
                } else {
                    text.push_str(
                        &std::fs::read_to_string(input)
                            .with_context(|| format!("reading {}", input.display()))?,
                    );
                }
                text.push_str("\n\n");
            }
            let docs = bench::debian::sample(bench::debian::parse(&text), limit);
            let (files, bytes) = bench::debian::write_corpus(&out, &docs)
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {files} documents ({bytes} bytes) to {}",
                out.display()
            );
        }
    }
    Ok(())
}
