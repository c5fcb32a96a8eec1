//! Atomic rebuilds, index faults and answering while rebuilding.

use crate::common;

use common::Sandbox;
use rolefaq::service::{AskOptions, Service};
use rolefaq::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const OPTS: AskOptions = AskOptions { top: 3, offset: 0 };

fn current(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.index().join("CURRENT")).unwrap()
}

#[test]
fn open_builds_a_missing_index_and_reports_freshness() {
    let sb = Sandbox::new();
    let svc = Service::open(sb.settings()).unwrap();
    assert!(sb.index().join("CURRENT").exists());
    let f = svc.freshness();
    assert_eq!(f.documents, 5);
    assert!(f.passages > 50);
    assert!(!f.stale);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sb.index().join(current(&sb)).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["documents"], 5);
    assert_eq!(manifest["corpus_hash"].as_str().unwrap().len(), 64);
    // a changed corpus makes the index stale on the next open
    sb.write(
        "extra.txt",
        b"---\ntitle: Extra\n---\nThe CDO leads the data strategy of the company.\n",
    );
    let svc = Service::open(sb.settings()).unwrap();
    assert!(svc.freshness().stale);
}

#[test]
fn a_failed_build_leaves_the_old_index_serving() {
    let sb = Sandbox::new();
    let svc = Service::open(sb.settings()).unwrap();
    let before = current(&sb);
    // break the corpus completely: nothing loadable
    for e in std::fs::read_dir(sb.corpus()).unwrap() {
        std::fs::write(e.unwrap().path(), b"no front matter").unwrap();
    }
    let err = svc.reindex().unwrap_err();
    assert!(matches!(err, Error::EmptyCorpus(_)), "{err}");
    assert_eq!(current(&sb), before, "CURRENT must not move on failure");
    // no half-built generation left behind
    let leftovers: Vec<_> = std::fs::read_dir(sb.index())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".build-"))
        .collect();
    assert!(leftovers.is_empty());
    // still answering from the old generation, in this process and a new one
    assert!(!svc.ask("who owns cybersecurity?", OPTS).unwrap().no_answer);
    let reopened = Service::open(sb.settings()).unwrap();
    assert!(
        !reopened
            .ask("who owns cybersecurity?", OPTS)
            .unwrap()
            .no_answer
    );
}

#[test]
fn reindex_reports_changes_and_swaps_generations() {
    let sb = Sandbox::new();
    let svc = Service::open(sb.settings()).unwrap();
    let first = current(&sb);
    std::fs::remove_file(sb.corpus().join("cio-vs-cto-sparring-partners.txt")).unwrap();
    sb.write("cdo.txt", b"---\ntitle: The CDO\n---\nThe Chief Data Officer (CDO) owns the data strategy and data quality programs.\n");
    let report = svc.reindex().unwrap();
    assert_eq!(report.added, vec!["cdo"]);
    assert_eq!(report.removed, vec!["cio-vs-cto-sparring-partners"]);
    assert!(report.changed.is_empty());
    assert_ne!(current(&sb), first);
    let a = svc.ask("who owns the data strategy?", OPTS).unwrap();
    assert_eq!(a.results[0].doc, "cdo");
    assert_eq!(svc.sources().len(), 5);
}

#[test]
fn questions_keep_being_answered_during_reindex_and_rebuilds_do_not_overlap() {
    let sb = Sandbox::new();
    let svc = Arc::new(Service::open(sb.settings()).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let askers: Vec<_> = (0..2)
        .map(|_| {
            let (svc, stop, answered, failed) =
                (svc.clone(), stop.clone(), answered.clone(), failed.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match svc.ask("who sets the technical roadmap?", OPTS) {
                        Ok(a) if !a.no_answer => answered.fetch_add(1, Ordering::SeqCst),
                        _ => failed.fetch_add(1, Ordering::SeqCst),
                    };
                }
            })
        })
        .collect();
    let mut in_progress = 0;
    for _ in 0..3 {
        let (a, b) = (svc.clone(), svc.clone());
        let ta = std::thread::spawn(move || a.reindex());
        let tb = std::thread::spawn(move || b.reindex());
        for r in [ta.join().unwrap(), tb.join().unwrap()] {
            match r {
                Ok(_) => {}
                Err(Error::RebuildInProgress) => in_progress += 1,
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    for t in askers {
        t.join().unwrap();
    }
    eprintln!(
        "answered {} questions during 6 concurrent rebuild attempts ({} refused as in progress), {} failed",
        answered.load(Ordering::SeqCst),
        in_progress,
        failed.load(Ordering::SeqCst)
    );
    assert_eq!(failed.load(Ordering::SeqCst), 0);
    assert!(answered.load(Ordering::SeqCst) > 0);
    assert!(
        in_progress <= 3,
        "each round has at least one rebuild that runs"
    );
    // deterministic: while the rebuild lock is held elsewhere, a rebuild is refused
    let held = rolefaq::index::lock_rebuild(&sb.index()).unwrap();
    assert!(matches!(svc.reindex(), Err(Error::RebuildInProgress)));
    drop(held);
    assert!(svc.reindex().is_ok());
    // only the current and one previous generation are kept
    let gens = std::fs::read_dir(sb.index())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert!(gens <= 2, "{gens} generations kept");
    // a build directory left by a killed process is cleaned up by the next rebuild
    std::fs::create_dir_all(sb.index().join(".build-crashed")).unwrap();
    svc.reindex().unwrap();
    assert!(!sb.index().join(".build-crashed").exists());
}

#[test]
fn a_damaged_index_is_detected_and_rebuilt() {
    let sb = Sandbox::new();
    drop(Service::open(sb.settings()).unwrap());
    let gen = sb.index().join(current(&sb));
    // truncated passages file
    std::fs::write(gen.join("passages.json"), b"[{\"id\":").unwrap();
    let svc = Service::open(sb.settings()).unwrap();
    assert!(!svc.ask("who owns cybersecurity?", OPTS).unwrap().no_answer);
    // older schema version
    let gen = sb.index().join(current(&sb));
    let m = std::fs::read_to_string(gen.join("manifest.json")).unwrap();
    std::fs::write(
        gen.join("manifest.json"),
        m.replace("\"schema_version\": 1", "\"schema_version\": 0"),
    )
    .unwrap();
    let svc = Service::open(sb.settings()).unwrap();
    assert_ne!(sb.index().join(current(&sb)), gen);
    assert!(!svc.ask("who owns cybersecurity?", OPTS).unwrap().no_answer);
    // index directory deleted
    std::fs::remove_dir_all(sb.index()).unwrap();
    let svc = Service::open(sb.settings()).unwrap();
    assert!(!svc.ask("who owns cybersecurity?", OPTS).unwrap().no_answer);
}

#[test]
fn a_failed_serving_probe_costs_its_figures_not_the_benchmark() {
    use rolefaq::bench::{self, BenchError, BenchOptions};
    let sb = Sandbox::new();
    let probe: bench::ServeProbeFn =
        Arc::new(|_, _| Err(BenchError::Probe("No such file or directory".into())));
    let opts = BenchOptions {
        queries: Some(common::repo().join("tests/data/dev-questions.json")),
        min_samples: 15,
        max_latency_time: std::time::Duration::from_secs(5),
        throughput_time: std::time::Duration::from_millis(100),
        threads: vec![1],
        peer: false,
        probe: Some(probe),
        ..BenchOptions::default()
    };
    let report = bench::run(&sb.settings(), None, &opts).expect("bench runs to the end");
    assert_eq!(report.memory.serving_measured, "in process");
    assert!(report.memory.serving_peak_mb > 0.0);
    assert!(report.startup.process_ms.is_none());
    assert!(
        report.notes.iter().any(|n| n.contains("No such file")),
        "{:?}",
        report.notes
    );
    assert!(report.latency.samples >= 15);
}

/// A stand-in model for the open/rebuild rules: word-hash vectors, any name and size.
struct HashModel {
    name: &'static str,
    dim: usize,
}

impl rolefaq::index::Embedding for HashModel {
    fn name(&self) -> String {
        self.name.to_string()
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn embed_batch(&self, texts: &[&str]) -> rolefaq::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; self.dim];
                for w in t.split_whitespace() {
                    let h = w
                        .bytes()
                        .fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
                    v[h % self.dim] += 1.0;
                }
                v
            })
            .collect())
    }
}

fn model(name: &'static str, dim: usize) -> Option<Arc<dyn rolefaq::index::Embedding>> {
    Some(Arc::new(HashModel { name, dim }))
}

#[test]
fn vectors_are_kept_without_a_model_and_rebuilt_only_for_another_model() {
    let sb = Sandbox::new();
    let svc = Service::open_with(sb.settings(), model("hash-a", 16)).unwrap();
    assert!(svc.hybrid());
    let hybrid = current(&sb);

    // Without a model: the same generation, ranked lexically, vectors untouched.
    let svc = Service::open_with(sb.settings(), None).unwrap();
    assert_eq!(current(&sb), hybrid, "a lexical open must not rebuild");
    assert!(!svc.hybrid());
    assert!(svc.engine().gen.embeddings.is_some());
    let a = svc.ask("who owns cybersecurity?", OPTS).unwrap();
    assert!(!a.results.is_empty());

    // The same model again: still the same generation, hybrid.
    let svc = Service::open_with(sb.settings(), model("hash-a", 16)).unwrap();
    assert_eq!(current(&sb), hybrid);
    assert!(svc.hybrid());

    // Another model of the same size, then the same name with another size: rebuilt.
    let svc = Service::open_with(sb.settings(), model("hash-b", 16)).unwrap();
    let other = current(&sb);
    assert_ne!(other, hybrid, "another model's vectors must be rebuilt");
    assert_eq!(svc.engine().gen.manifest.model.as_deref(), Some("hash-b"));
    let svc = Service::open_with(sb.settings(), model("hash-b", 24)).unwrap();
    assert_ne!(
        current(&sb),
        other,
        "vectors of another size must be rebuilt"
    );
    assert_eq!(
        svc.engine().gen.embeddings.as_ref().map(|e| e.dim),
        Some(24)
    );
    assert!(svc.hybrid());

    // A lexical index opened with a model is rebuilt with vectors.
    let lexical_sb = Sandbox::new();
    Service::open_with(lexical_sb.settings(), None).unwrap();
    let lexical = current(&lexical_sb);
    let svc = Service::open_with(lexical_sb.settings(), model("hash-a", 16)).unwrap();
    assert_ne!(current(&lexical_sb), lexical);
    assert!(svc.hybrid());
}

#[test]
fn the_manifest_records_the_vector_size_and_older_manifests_without_it_still_open() {
    let sb = Sandbox::new();
    let manifest_path = |sb: &Sandbox| sb.index().join(current(sb)).join("manifest.json");
    let read = |sb: &Sandbox| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(manifest_path(sb)).unwrap()).unwrap()
    };
    let svc = Service::open_with(sb.settings(), model("hash-a", 16)).unwrap();
    assert_eq!(svc.engine().gen.manifest.dim, Some(16));
    assert_eq!(read(&sb)["dim"], 16);
    assert_eq!(read(&sb)["model"], "hash-a");
    drop(svc);

    // A manifest written before the size was recorded: unknown, and the index serves as it is.
    let hybrid = current(&sb);
    let mut old = read(&sb);
    old.as_object_mut().unwrap().remove("dim");
    std::fs::write(manifest_path(&sb), serde_json::to_vec_pretty(&old).unwrap()).unwrap();
    let svc = Service::open_with(sb.settings(), model("hash-a", 16)).unwrap();
    assert_eq!(
        current(&sb),
        hybrid,
        "an old manifest must not force a rebuild"
    );
    assert_eq!(svc.engine().gen.manifest.dim, None);
    assert!(svc.hybrid());
    drop(svc);

    // A manifest whose size disagrees with the stored vectors: a damaged index, rebuilt.
    let mut wrong = old;
    wrong["dim"] = serde_json::json!(32);
    std::fs::write(
        manifest_path(&sb),
        serde_json::to_vec_pretty(&wrong).unwrap(),
    )
    .unwrap();
    let svc = Service::open_with(sb.settings(), model("hash-a", 16)).unwrap();
    assert_ne!(current(&sb), hybrid, "a size mismatch must be rebuilt");
    assert_eq!(svc.engine().gen.manifest.dim, Some(16));

    // Without vectors the manifest has no size at all.
    let lexical = Sandbox::new();
    Service::open_with(lexical.settings(), None).unwrap();
    assert!(read(&lexical).get("dim").is_none());
}

/// Makes a directory tree unwritable for this process, and undoes it on drop.
///
/// What is simulated: a read-only deployment of the index (an image layer, a
/// read-only volume). The tests run as root here, and root ignores permission
/// bits, so `chmod -R a-w` alone changes nothing for it; a read-only mount
/// needs privileges a test should not use. Root cannot write into an
/// *immutable* directory (`chattr +i`, EPERM), so that is used when the
/// permission bits are not enough. The guard checks that a write really fails
/// before the test relies on it, and fails the test when neither works.
struct ReadOnly {
    dir: std::path::PathBuf,
    immutable: bool,
}

impl ReadOnly {
    fn new(dir: &std::path::Path) -> Self {
        let run = |cmd: &str, args: &[&str]| {
            std::process::Command::new(cmd)
                .args(args)
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success())
        };
        let writable = || {
            let probe = dir.join(".write-probe");
            let ok = std::fs::write(&probe, b"x").is_ok();
            let _ = std::fs::remove_file(&probe);
            ok
        };
        assert!(run("chmod", &["-R", "a-w"]));
        let mut guard = ReadOnly {
            dir: dir.to_path_buf(),
            immutable: false,
        };
        if writable() {
            guard.immutable = run("chattr", &["-R", "+i"]);
        }
        assert!(
            !writable(),
            "cannot make {} read-only here (neither permission bits nor chattr +i hold)",
            dir.display()
        );
        guard
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.immutable {
            let _ = std::process::Command::new("chattr")
                .args(["-R", "-i"])
                .arg(&self.dir)
                .status();
        }
        let _ = std::process::Command::new("chmod")
            .args(["-R", "u+w"])
            .arg(&self.dir)
            .status();
    }
}

fn tree(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_read_only_index_is_served_never_rebuilt_and_reindex_says_why() {
    let sb = Sandbox::new();
    drop(Service::open(sb.settings()).unwrap());
    let before = current(&sb);
    let files = tree(&sb.index());
    // the corpus changed since the build: stale, but it cannot be rebuilt here
    sb.write(
        "extra.txt",
        b"---\ntitle: Extra\n---\nThe CDO leads the data strategy of the company.\n",
    );
    let ro = ReadOnly::new(&sb.index());
    let svc = Service::open(sb.settings()).expect("a read-only index is served");
    assert!(!svc.ask("who owns cybersecurity?", OPTS).unwrap().no_answer);
    assert!(svc.freshness().stale);
    let err = svc.reindex().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("read-only") && msg.contains(&sb.index().display().to_string()),
        "{msg}"
    );
    // a configured model whose vectors the index lacks: served lexically, not rebuilt
    let svc = Service::open_with(sb.settings(), model("hash-a", 16))
        .expect("a read-only index is served whatever the model");
    assert!(!svc.hybrid());
    assert!(!svc.ask("who owns cybersecurity?", OPTS).unwrap().no_answer);
    drop(ro);
    assert_eq!(current(&sb), before);
    assert_eq!(tree(&sb.index()), files, "nothing was written to the index");
}

/// Bytes this thread has read through read(2) and friends (`rchar`).
fn bytes_read_by_this_thread() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn opening_never_reads_a_file_over_max_file_bytes() {
    let sb = Sandbox::new();
    let mut settings = sb.settings();
    settings.corpus.max_file_bytes = 1 << 20;
    // a sparse 512 MB file: costs no disk, but reading it costs 512 MB
    {
        use std::io::Write;
        let mut f = std::fs::File::create(sb.corpus().join("huge.txt")).unwrap();
        f.write_all(b"---\ntitle: Huge\n---\nThe CIO owns the servers.\n")
            .unwrap();
        f.set_len(512 << 20).unwrap();
    }
    drop(Service::open(settings.clone()).unwrap());
    let before = bytes_read_by_this_thread();
    let started = std::time::Instant::now();
    let svc = Service::open(settings).unwrap();
    let read = bytes_read_by_this_thread() - before;
    eprintln!(
        "open with a sparse 512 MB file: {read} bytes read, {} ms",
        started.elapsed().as_millis()
    );
    assert!(read < 64 << 20, "opening read {read} bytes");
    assert!(!svc.freshness().stale);
}

#[test]
fn an_index_built_while_a_file_is_rewritten_never_claims_fresh_for_other_text() {
    let sb = Sandbox::new();
    // a smaller corpus keeps each round short
    for e in std::fs::read_dir(sb.corpus()).unwrap().flatten() {
        if !e
            .file_name()
            .to_string_lossy()
            .starts_with("cio-vs-cto-key")
        {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let mut text = String::from("---\ntitle: Racing\n---\n");
    for i in 0..1500 {
        text.push_str(&format!(
            "Paragraph {i}: the CIO owns item number {i} of the operations plan today.\n\n"
        ));
    }
    let path = sb.corpus().join("racing.txt");
    std::fs::write(&path, &text).unwrap();
    let settings = sb.settings();
    drop(Service::open(settings.clone()).unwrap());
    let racing = |passages: &[rolefaq::model::Passage]| -> Vec<String> {
        passages
            .iter()
            .filter(|p| p.doc_id == "racing")
            .map(|p| p.text.clone())
            .collect()
    };
    let mut lies = 0;
    let mut truncated = 0;
    let rounds = 16;
    for _ in 0..rounds {
        // rewrite the same text over and over, slowly: a reader sees it whole
        // or cut short
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (stop, path, text) = (stop.clone(), path.clone(), text.clone());
            std::thread::spawn(move || {
                use std::io::Write;
                while !stop.load(Ordering::SeqCst) {
                    let mut f = std::fs::File::create(&path).unwrap();
                    for chunk in text.as_bytes().chunks(text.len() / 16 + 1) {
                        f.write_all(chunk).unwrap();
                        f.flush().unwrap();
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    drop(f);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            })
        };
        let built = rolefaq::index::rebuild(&settings, None, false);
        stop.store(true, Ordering::SeqCst);
        writer.join().unwrap();
        built.unwrap();
        // the file now holds the whole text again
        let svc = Service::open(settings.clone()).unwrap();
        let indexed = racing(&svc.engine().gen.passages);
        let on_disk = racing(
            &rolefaq::corpus::load_dir(&sb.corpus(), &settings.corpus, 900)
                .unwrap()
                .passages,
        );
        if indexed != on_disk {
            truncated += 1;
            if !svc.freshness().stale {
                lies += 1;
            }
        }
    }
    eprintln!("{truncated} of {rounds} builds indexed other text than the file's; {lies} claimed to be fresh");
    assert_eq!(
        lies, 0,
        "{lies} of {rounds} builds claimed to be fresh for other text"
    );
}
