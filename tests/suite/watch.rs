//! Incremental rebuilds (vectors reused by content) and the corpus watcher:
//! through the core (`Service` + `watch::spawn`) and the `rolefaq watch` binary.

use crate::common;

use common::{CountingModel, Sandbox};
use rolefaq::config::WatchSettings;
use rolefaq::index::Embedding;
use rolefaq::model::WatchEvent;
use rolefaq::service::{AskOptions, Service};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const OPTS: AskOptions = AskOptions { top: 5, offset: 0 };
/// Long enough for a rebuild of a small corpus on a busy two-core machine.
const EVENT_WAIT: Duration = Duration::from_secs(60);

fn current_dir(sb: &Sandbox) -> std::path::PathBuf {
    let name = std::fs::read_to_string(sb.index().join("CURRENT")).unwrap();
    sb.index().join(name.trim())
}

fn indexed_texts(svc: &Service) -> HashSet<String> {
    svc.engine()
        .gen
        .passages
        .iter()
        .map(rolefaq::index::indexed_text)
        .collect()
}

#[test]
fn a_one_document_change_re_embeds_only_that_documents_passages() {
    let sb = Sandbox::new();
    let counter = Arc::new(CountingModel {
        texts: AtomicUsize::new(0),
    });
    let svc =
        Service::open_with(sb.settings(), Some(counter.clone() as Arc<dyn Embedding>)).unwrap();
    assert!(svc.hybrid());
    let before = indexed_texts(&svc);
    let full = counter.texts.swap(0, Ordering::SeqCst);
    assert!(full > 50, "the first build embeds everything ({full})");

    // Nothing changed: nothing embedded, every vector reused.
    let same = svc.reindex().unwrap();
    assert_eq!(counter.texts.swap(0, Ordering::SeqCst), 0);
    assert_eq!(same.vectors.passages_embedded, 0);
    assert_eq!(same.vectors.passages_reused, same.passages);
    assert!(same.vectors.sentences_reused > 0);
    assert_eq!(same.vectors.sentences_embedded, 0);
    assert!(same.vectors.words_reused > 0);
    assert_eq!(same.vectors.words_embedded, 0);

    // One document gains a paragraph.
    let doc = "cio-vs-cto-sparring-partners";
    let path = sb.corpus().join(format!("{doc}.txt"));
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(
        "\n\nEvery quarter the CIO and the CTO review the shared platform roadmap together. \
         They agree which internal systems retire and which product services replace them.\n",
    );
    std::fs::write(&path, text).unwrap();
    let report = svc.reindex().unwrap();
    assert_eq!(report.changed, vec![doc]);
    let new: Vec<_> = svc
        .engine()
        .gen
        .passages
        .iter()
        .filter(|p| !before.contains(&rolefaq::index::indexed_text(p)))
        .cloned()
        .collect();
    assert!(!new.is_empty());
    assert!(new.iter().all(|p| p.doc_id == doc), "{new:?}");
    let doc_passages = svc
        .engine()
        .gen
        .passages
        .iter()
        .filter(|p| p.doc_id == doc)
        .count();
    assert_eq!(report.vectors.passages_embedded, new.len());
    assert!(report.vectors.passages_embedded <= doc_passages);
    assert_eq!(
        report.vectors.passages_reused,
        report.passages - new.len(),
        "every other passage's vector is reused"
    );
    let new_sentences: usize = new
        .iter()
        .map(|p| rolefaq::index::sentences::embedded_sentences(p).len())
        .sum();
    assert!(report.vectors.sentences_embedded <= new_sentences);
    assert!(
        report.vectors.sentences_embedded >= 2,
        "the new paragraph's two sentences"
    );
    // the corpus's words: those the other documents have are reused
    assert!(report.vectors.words_reused > 0, "{:?}", report.vectors);
    let words = svc.engine().gen.words.as_ref().map_or(0, |w| w.len());
    assert_eq!(
        report.vectors.words_embedded + report.vectors.words_reused,
        words
    );
    // what the model was asked: exactly the new passages, sentences and words
    assert_eq!(
        counter.texts.load(Ordering::SeqCst),
        report.vectors.passages_embedded
            + report.vectors.sentences_embedded
            + report.vectors.words_embedded
    );

    // The reused vectors are those a full build writes.
    let fresh = Sandbox::new();
    std::fs::copy(&path, fresh.corpus().join(format!("{doc}.txt"))).unwrap();
    let model = Arc::new(CountingModel {
        texts: AtomicUsize::new(0),
    }) as Arc<dyn Embedding>;
    Service::open_with(fresh.settings(), Some(model)).unwrap();
    for file in ["embeddings.f32", "sentences.f32", "sentences.owners"] {
        assert_eq!(
            std::fs::read(current_dir(&sb).join(file)).unwrap(),
            std::fs::read(current_dir(&fresh).join(file)).unwrap(),
            "{file} of the incremental build differs from a full build's"
        );
    }
}

#[test]
fn vectors_of_another_model_are_not_reused() {
    let sb = Sandbox::new();
    let a = Arc::new(CountingModel {
        texts: AtomicUsize::new(0),
    });
    Service::open_with(sb.settings(), Some(a as Arc<dyn Embedding>)).unwrap();
    struct Renamed(CountingModel);
    impl Embedding for Renamed {
        fn name(&self) -> String {
            "another-model".into()
        }
        fn dim(&self) -> usize {
            self.0.dim()
        }
        fn embed_batch(&self, texts: &[&str]) -> rolefaq::Result<Vec<Vec<f32>>> {
            self.0.embed_batch(texts)
        }
    }
    let b = Arc::new(Renamed(CountingModel {
        texts: AtomicUsize::new(0),
    }));
    let svc = Service::open_with(sb.settings(), Some(b.clone() as Arc<dyn Embedding>)).unwrap();
    let report = svc.reindex().unwrap();
    assert_eq!(
        report.vectors.passages_embedded, 0,
        "its own vectors, reused"
    );
    // the open rebuilt for model b and embedded everything itself
    assert!(b.0.texts.load(Ordering::SeqCst) >= svc.engine().gen.passages.len());
}

fn doc(title: &str, body: &str) -> Vec<u8> {
    format!("---\ntitle: {title}\n---\n{body}\n").into_bytes()
}

fn quick() -> WatchSettings {
    WatchSettings {
        enabled: true,
        settle_ms: 150,
        poll_secs: 2,
    }
}

fn next(rx: &mpsc::Receiver<WatchEvent>) -> WatchEvent {
    rx.recv_timeout(EVENT_WAIT)
        .expect("a rebuild within the wait")
}

fn cites(svc: &Service, q: &str, doc: &str) -> bool {
    svc.ask(q, OPTS)
        .unwrap()
        .results
        .iter()
        .any(|h| h.doc == doc)
}

/// Two documents about roles, so every rebuild has something to serve.
fn small_corpus() -> Sandbox {
    let sb = Sandbox::empty();
    sb.write(
        "cio.txt",
        &doc(
            "The CIO",
            "The Chief Information Officer (CIO) runs internal systems and the help desk.",
        ),
    );
    sb.write(
        "cto.txt",
        &doc(
            "The CTO",
            "The Chief Technology Officer (CTO) leads product engineering and architecture.",
        ),
    );
    sb
}

#[test]
fn the_watcher_picks_up_added_changed_and_deleted_files_while_serving() {
    let sb = small_corpus();
    let svc = Arc::new(Service::open(sb.settings()).unwrap());
    let subscribed = svc.subscribe_rebuilds();
    let (tx, rx) = mpsc::channel();
    let watcher = rolefaq::watch::spawn(svc.clone(), &quick(), move |ev| {
        let _ = tx.send(ev.clone());
    })
    .unwrap();
    let q = "who owns the data strategy and data quality?";
    assert!(!cites(&svc, q, "cdo"));

    sb.write(
        "cdo.txt",
        &doc(
            "The CDO",
            "The Chief Data Officer (CDO) owns the data strategy and data quality programs.",
        ),
    );
    let ev = next(&rx);
    let report = ev
        .report
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", ev.error));
    assert_eq!(report.added, vec!["cdo"]);
    assert!(cites(&svc, q, "cdo"), "answers from the added file");

    sb.write(
        "cdo.txt",
        &doc(
            "The CDO",
            "The Chief Data Officer (CDO) owns the data strategy, data quality and data governance.",
        ),
    );
    let ev = next(&rx);
    let report = ev
        .report
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", ev.error));
    assert_eq!(report.changed, vec!["cdo"]);
    let a = svc.ask("who owns data governance?", OPTS).unwrap();
    assert!(
        a.results
            .iter()
            .any(|h| h.doc == "cdo" && h.text.contains("data governance")),
        "answers from the changed file: {a:?}"
    );

    std::fs::remove_file(sb.corpus().join("cdo.txt")).unwrap();
    let ev = next(&rx);
    let report = ev
        .report
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", ev.error));
    assert_eq!(report.removed, vec!["cdo"]);
    assert!(
        !cites(&svc, q, "cdo"),
        "the deleted file is no longer cited"
    );
    assert_eq!(svc.freshness().documents, 2);
    assert!(!svc.freshness().stale);

    // Every rebuild was announced to subscribers too.
    let mut subscribed = subscribed;
    let mut seen = 0;
    while subscribed.try_recv().is_ok() {
        seen += 1;
    }
    assert_eq!(seen, 3);
    watcher.stop();
}

#[test]
fn a_broken_file_while_watching_keeps_the_old_generation_serving() {
    let sb = small_corpus();
    let svc = Arc::new(Service::open(sb.settings()).unwrap());
    let (tx, rx) = mpsc::channel();
    let watcher = rolefaq::watch::spawn(svc.clone(), &quick(), move |ev| {
        let _ = tx.send(ev.clone());
    })
    .unwrap();
    let serving = svc.engine().gen.name.clone();
    let current = std::fs::read_to_string(sb.index().join("CURRENT")).unwrap();

    // cto.txt loses its front matter: it could not be loaded any more
    sb.write("cto.txt", b"The CTO leads produ");
    let ev = next(&rx);
    assert!(ev.report.is_none());
    let err = ev.error.expect("the rebuild fails");
    assert!(err.contains("cto.txt"), "{err}");
    assert_eq!(svc.engine().gen.name, serving, "the old generation serves");
    assert_eq!(
        std::fs::read_to_string(sb.index().join("CURRENT")).unwrap(),
        current
    );
    assert!(cites(&svc, "who leads product engineering?", "cto"));
    assert!(svc.freshness().stale);
    // not retried while nothing changes (the poll comes round within 2 s)
    assert!(rx.recv_timeout(Duration::from_secs(3)).is_err());

    // fixed: the next rebuild serves it
    sb.write(
        "cto.txt",
        &doc(
            "The CTO",
            "The Chief Technology Officer (CTO) leads product engineering and platform architecture.",
        ),
    );
    let ev = next(&rx);
    let report = ev.report.expect("the fixed file rebuilds");
    assert_eq!(report.changed, vec!["cto"]);
    assert_ne!(svc.engine().gen.name, serving);
    assert!(!svc.freshness().stale);

    // a new file that does not load costs nothing that serves: skipped, rebuilt
    sb.write("notes.txt", b"just notes, no front matter");
    let ev = next(&rx);
    let report = ev.report.unwrap_or_else(|| panic!("{:?}", ev.error));
    assert!(report.skipped.iter().any(|s| s.path.ends_with("notes.txt")));
    assert_eq!(report.documents, 2);
    watcher.stop();
}

/// Kills the child on drop, so a failing test leaves no process behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn rolefaq_watch_prints_each_rebuild() {
    use std::io::BufRead;
    let sb = small_corpus();
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_rolefaq"))
            .current_dir(sb.dir.path())
            .env_remove("DISCORD_TOKEN")
            .env_remove("ROLEFAQ_CONFIG")
            .env("XDG_CONFIG_HOME", sb.dir.path().join("no-user-config"))
            .env("ROLEFAQ__MODEL__ENABLED", "false")
            .env("ROLEFAQ__WATCH__SETTLE_MS", "150")
            .env("ROLEFAQ__WATCH__POLL_SECS", "1")
            .args(["--corpus", "corpus", "--index", "index", "watch", "--json"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // wait for the index to exist, so the new file is a change to it
    let deadline = std::time::Instant::now() + EVENT_WAIT;
    while !sb.index().join("CURRENT").exists() {
        assert!(std::time::Instant::now() < deadline, "no index built");
        std::thread::sleep(Duration::from_millis(50));
    }
    // the watcher starts after the index is open; give it a moment
    std::thread::sleep(Duration::from_millis(500));
    sb.write(
        "cdo.txt",
        &doc(
            "The CDO",
            "The Chief Data Officer (CDO) owns the data strategy.",
        ),
    );
    let line = rx.recv_timeout(EVENT_WAIT).expect("a rebuild report");
    let ev: WatchEvent = serde_json::from_str(&line).unwrap();
    let report = ev.report.expect("rebuilt");
    assert_eq!(report.added, vec!["cdo"]);
    assert_eq!(report.documents, 3);
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "still watching after a rebuild"
    );
}

/// The `/ask` answer's embed text (description and fields, not the title,
/// which repeats the question), from the initial response or the edit, from
/// `rolefaq serve` behind the fake Discord, asked as a new user each time
/// (the cooldown is per user).
async fn ask_served(
    fake: &crate::support::fake_discord::FakeDiscord,
    user: u64,
    question: &str,
) -> String {
    use crate::support::harness::WAIT;
    let i = fake.command(
        "ask",
        &[("question", 3, serde_json::json!(question))],
        user,
        &[],
        0,
    );
    fake.dispatch(&i);
    // A fast answer is the initial response; a slow one is deferred, then edited in.
    let mut reqs = fake.wait_for_interaction(&i, 1, WAIT).await.unwrap();
    if reqs.iter().all(|r| r.embeds().is_empty()) {
        reqs = fake.wait_for_interaction(&i, 2, WAIT).await.unwrap();
    }
    reqs.iter()
        .filter(|r| r.is_callback() || r.is_edit_original())
        .find_map(|r| r.embeds().into_iter().next())
        .map(|e| {
            // without the bold of highlighted words
            format!("{} {}", e["description"], e["fields"]).replace("**", "")
        })
        .unwrap_or_default()
}

/// Ask until the served answer satisfies `ok` (the watcher rebuilds in the
/// background), or fail after [`EVENT_WAIT`].
async fn ask_until(
    fake: &crate::support::fake_discord::FakeDiscord,
    user: &mut u64,
    question: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = std::time::Instant::now() + EVENT_WAIT;
    loop {
        *user += 1;
        let text = ask_served(fake, *user, question).await;
        if ok(&text) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve never answered as expected; last answer: {text}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_from_added_changed_and_deleted_files_without_a_restart() {
    use crate::support::fake_discord::{FakeDiscord, GUILD_ID};
    use crate::support::harness::{set_test_mode, TOKEN, WAIT};
    set_test_mode();
    let sb = small_corpus();
    let fake = FakeDiscord::start().await;
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_rolefaq"))
            .current_dir(sb.dir.path())
            .args([
                "--corpus",
                "corpus",
                "--index",
                "index",
                "--no-model",
                "serve",
            ])
            .env_remove("ROLEFAQ_CONFIG")
            .env("XDG_CONFIG_HOME", sb.dir.path().join("no-user-config"))
            .env("ROLEFAQ_TEST_MODE", "1")
            .env("ROLEFAQ__DISCORD__API_BASE", fake.api_base())
            .env("ROLEFAQ__DISCORD__GUILD_IDS", GUILD_ID.to_string())
            .env("ROLEFAQ__WATCH__SETTLE_MS", "150")
            .env("ROLEFAQ__WATCH__POLL_SECS", "1")
            .env("DISCORD_TOKEN", TOKEN)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    if let Err(e) = fake.wait_ready(WAIT).await {
        use std::io::Read;
        let _ = child.0.kill();
        let _ = child.0.wait();
        let mut err = String::new();
        if let Some(mut s) = child.0.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        panic!("{e}; rolefaq said: {err}");
    }
    let mut user = 5000;
    let q = "who owns quantum ledger stewardship?";
    let before = ask_served(&fake, user, q).await;
    assert!(!before.contains("quantum ledger"), "{before}");

    sb.write(
        "cdo.txt",
        &doc(
            "The CDO",
            "The Chief Data Officer (CDO) owns quantum ledger stewardship for the company.",
        ),
    );
    ask_until(&fake, &mut user, q, |t| {
        t.contains("quantum ledger stewardship")
    })
    .await;

    sb.write(
        "cdo.txt",
        &doc(
            "The CDO",
            "The Chief Data Officer (CDO) owns orbital archive curation for the company.",
        ),
    );
    let q2 = "who owns orbital archive curation?";
    ask_until(&fake, &mut user, q2, |t| {
        t.contains("orbital archive curation")
    })
    .await;

    std::fs::remove_file(sb.corpus().join("cdo.txt")).unwrap();
    ask_until(&fake, &mut user, q2, |t| !t.contains("orbital archive")).await;
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the same process served throughout"
    );
}
