//! The benchmark itself: build a private index, time questions, measure
//! throughput, memory and start-up, optionally against the FTS5 peer.

use super::*;

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

    // Last, so nothing above is measured on the changed corpus.
    tracing::info!("timing a rebuild after a one-document change");
    let incremental =
        match incremental_rebuild(&settings, &corpus_dir, work.path(), embedder.as_deref()) {
            Ok(i) => Some(i),
            Err(e) => {
                notes.push(format!(
                    "rebuild after a one-document change not measured: {e}"
                ));
                None
            }
        };

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
            incremental,
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
pub(super) fn ratios(ours: &[Throughput], theirs: &[Throughput]) -> Vec<(usize, f64)> {
    ours.iter()
        .filter_map(|o| {
            let t = theirs.iter().find(|t| t.threads == o.threads)?;
            (t.qps > 0.0).then(|| (o.threads, o.qps / t.qps))
        })
        .collect()
}

/// Latency and queries/s of plain BM25 retrieval on the same words the peer
/// searches for (see [`search::bm25_only`]), reading the top passages' texts.
pub(super) fn retrieval_only(
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
pub(super) fn breakdown(
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
            .map(|(i, r)| search::hit(&engine.gen, &engine.lexicon, r.ord, i + 1, r.score, &stems))
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

/// Copy the corpus into `work` (hard links, or copies across file systems),
/// append a paragraph to its first text document and rebuild the index of
/// `settings` (built from the original) from the copy, timed.
fn incremental_rebuild(
    settings: &Settings,
    corpus_dir: &Path,
    work: &Path,
    embedder: Option<&dyn Embedding>,
) -> Result<IncrementalStats, BenchError> {
    let copy = work.join("corpus-changed");
    std::fs::create_dir_all(&copy).map_err(io_err(&copy))?;
    let mut target: Option<PathBuf> = None;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus_dir)
        .map_err(io_err(corpus_dir))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name() else {
            continue;
        };
        let to = copy.join(name);
        let text = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("txt" | "md")
        );
        if text && target.is_none() {
            // written anew below, never through a link to the original
            std::fs::copy(&path, &to).map_err(io_err(&to))?;
            target = Some(to);
        } else if std::fs::hard_link(&path, &to).is_err() {
            std::fs::copy(&path, &to).map_err(io_err(&to))?;
        }
    }
    let Some(target) = target else {
        return Err(BenchError::Io {
            path: corpus_dir.display().to_string(),
            source: std::io::Error::other("no .txt or .md document to change"),
        });
    };
    let mut text = std::fs::read_to_string(&target).map_err(io_err(&target))?;
    text.push_str(
        "\n\nThis paragraph was added by rolefaq bench to time an incremental rebuild. \
         Only the passages and sentences it changes are embedded again.\n",
    );
    std::fs::write(&target, text).map_err(io_err(&target))?;
    let mut changed = settings.clone();
    changed.corpus.dir = copy;
    let _lock = index::lock_rebuild(&changed.index.dir)?;
    let t = Instant::now();
    let r = index::rebuild(&changed, embedder, false)?;
    Ok(IncrementalStats {
        document: target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        rebuild_ms: ms(t.elapsed()),
        vectors: r.vectors,
    })
}
