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

#[derive(Debug, Parser)]
#[command(
    name = "rolefaq",
    version,
    about = "Answers questions about technology-leadership roles from a cited corpus"
)]
pub struct Cli {
    /// Config file (default: ./config.toml when present).
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
        question: String,
        /// Number of results.
        #[arg(long)]
        top: Option<usize>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Show whole passages instead of the best sentences.
        #[arg(long)]
        full: bool,
        /// Print how the question was understood (to stderr).
        #[arg(long)]
        explain: bool,
    },
    /// Compare two roles side by side, with citations.
    Compare {
        role_a: String,
        role_b: String,
        /// Only rows matching this aspect (e.g. security).
        #[arg(long)]
        aspect: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the index from the corpus (atomically).
    Index {
        /// List every line dropped as web-page debris.
        #[arg(long, short)]
        verbose: bool,
        #[arg(long)]
        json: bool,
    },
    /// Evaluate retrieval on judged questions: S@1, S@3, MRR@5.
    Eval {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Rank every question as if the answer decision had let it through,
        /// to measure the ranking apart from the decision.
        #[arg(long)]
        ungated: bool,
    },
    /// List the documents of the index.
    Sources {
        #[arg(long)]
        json: bool,
    },
    /// Run the Discord bot (token from DISCORD_TOKEN).
    Serve,
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
        /// Results per question.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Seconds of each queries-per-second run.
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
        #[arg(long, value_name = "FILE")]
        queries: PathBuf,
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
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
}

/// Settings from defaults, the config file, the environment and the flags.
pub fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let (path, required) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("config.toml"), false),
    };
    let overrides = Overrides {
        corpus_dir: cli.corpus.clone(),
        index_dir: cli.index.clone(),
        model_dir: cli.model.clone(),
        no_model: cli.no_model,
    };
    Settings::load(Some(&path), required, &overrides).context("loading configuration")
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

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

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

/// Run one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = settings(&cli)?;
    match cli.command {
        Command::Ask {
            question,
            top,
            json,
            full,
            explain,
        } => {
            let top = top.unwrap_or(settings.search.top);
            if top == 0 || top > settings.search.max_top {
                bail!("--top must be between 1 and {}", settings.search.max_top);
            }
            let svc = open(settings)?;
            if explain {
                eprint!("{}", svc.explain(&question));
            }
            let answer = svc.ask(&question, AskOptions { top, offset: 0 })?;
            if json {
                print_json(&answer)?;
            } else {
                print!(
                    "{}",
                    render::answer(&answer, full, std::io::stdout().is_terminal())
                );
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
                print!("{}", render::comparison(&c, 110));
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
                print!("{}", render::index_report(&report, verbose));
            }
        }
        Command::Eval {
            file,
            json,
            ungated,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let questions: Vec<eval::Judged> = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", file.display()))?;
            let svc = open(settings)?;
            let five = AskOptions { top: 5, offset: 0 };
            let report = eval::evaluate(&questions, |q| {
                if ungated {
                    svc.ask_ungated(q, five)
                } else {
                    svc.ask(q, five)
                }
            })?;
            if json {
                print_json(&report)?;
            } else {
                print!("{}", render::eval_report(&report));
            }
        }
        Command::Sources { json } => {
            let svc = open(settings)?;
            let sources = svc.sources();
            if json {
                print_json(&sources)?;
            } else {
                for s in sources {
                    println!("{:<36} {:>4} passages  {}", s.id, s.passages, s.title);
                }
            }
        }
        Command::Serve => crate::discord::serve_blocking(settings)?,
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
                print!("{}", bench::to_markdown(&report));
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
            println!("{}", serde_json::to_string(&report)?);
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
