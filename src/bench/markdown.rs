//! The Markdown table `rolefaq bench` prints.

use super::*;

pub(super) fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} kB", b / 1e3)
    }
}

pub(super) fn us_ms(us: f64) -> String {
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
            "rebuild after a one-document change".into(),
            match &r.build.incremental {
                Some(i) => format!(
                    "{:.0} ms ({}; {} passages and {} sentences embedded, {} and {} reused)",
                    i.rebuild_ms,
                    i.document,
                    i.vectors.passages_embedded,
                    i.vectors.sentences_embedded,
                    i.vectors.passages_reused,
                    i.vectors.sentences_reused
                ),
                None => "not measured (see notes)".into(),
            },
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
