//! The command-line shell: argument definitions and dispatch to the core.

pub mod render;

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
    },
    /// List the documents of the index.
    Sources {
        #[arg(long)]
        json: bool,
    },
    /// Run the Discord bot (token from DISCORD_TOKEN).
    Serve,
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
        eprintln!(
            "note: the corpus changed since the index was built; run `rolefaq index` to rebuild it"
        );
    }
    Ok(svc)
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
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
            let svc_settings = settings.clone();
            let progress = std::io::stderr().is_terminal() && !json;
            let _lock = crate::index::lock_rebuild(&svc_settings.index.dir)?;
            let embedder = crate::embed::load_configured(&svc_settings.model);
            let embedder = embedder
                .as_deref()
                .map(|e| e as &dyn crate::index::Embedding);
            let report = crate::index::rebuild(&svc_settings, embedder, progress)
                .context("rebuilding the index (the previous index, if any, is still in place)")?;
            if json {
                print_json(&report)?;
            } else {
                print!("{}", render::index_report(&report, verbose));
            }
        }
        Command::Eval { file, json } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let questions: Vec<eval::Judged> = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", file.display()))?;
            let svc = open(settings)?;
            let report =
                eval::evaluate(&questions, |q| svc.ask(q, AskOptions { top: 5, offset: 0 }))?;
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
    }
    Ok(())
}
