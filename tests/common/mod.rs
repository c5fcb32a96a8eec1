//! Shared test helpers: a private copy of the bundled corpus and a fresh index dir.
#![allow(dead_code)]

use rolefaq::config::Settings;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temp dir holding `corpus/` (a copy of the bundled corpus) and `index/`.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        for e in std::fs::read_dir(repo().join("corpus")).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, corpus.join(p.file_name().unwrap())).unwrap();
        }
        Sandbox { dir }
    }

    /// A sandbox whose corpus directory is empty (tests write their own documents).
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("corpus")).unwrap();
        Sandbox { dir }
    }

    pub fn corpus(&self) -> PathBuf {
        self.dir.path().join("corpus")
    }

    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    /// Lexical-only settings pointing at this sandbox.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.corpus.dir = self.corpus();
        s.index.dir = self.index();
        s.model.enabled = false;
        s
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.corpus().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

/// All text of the bundled corpus files, for verbatim checks.
pub fn corpus_text(dir: &Path) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap_or_default());
        all.push('\n');
    }
    all
}

/// The binary in `sb` (lexical ranking, no user config, no token, no store
/// key from the environment), with `--corpus corpus --index index`.
pub fn rolefaq(sb: &Sandbox) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("rolefaq").unwrap();
    c.current_dir(sb.dir.path())
        .env_remove("DISCORD_TOKEN")
        .env_remove("ROLEFAQ_CONFIG")
        .env_remove("ROLEFAQ_STORE_KEY")
        .env_remove("NO_COLOR")
        .env("ROLEFAQ_TEST_MODE", "1")
        .env("XDG_CONFIG_HOME", sb.dir.path().join("no-user-config"))
        .env("ROLEFAQ__MODEL__ENABLED", "false")
        .args(["--corpus", "corpus", "--index", "index"]);
    c
}

/// Run a command that must succeed and print JSON.
pub fn json_of(cmd: &mut assert_cmd::Command) -> serde_json::Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Word-hash vectors that count every text it is asked to embed.
pub struct CountingModel {
    pub texts: std::sync::atomic::AtomicUsize,
}

impl rolefaq::index::Embedding for CountingModel {
    fn name(&self) -> String {
        "counting-hash".into()
    }
    fn dim(&self) -> usize {
        32
    }
    fn embed_batch(&self, texts: &[&str]) -> rolefaq::Result<Vec<Vec<f32>>> {
        self.texts
            .fetch_add(texts.len(), std::sync::atomic::Ordering::SeqCst);
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; 32];
                for w in t.split_whitespace() {
                    let h = w
                        .bytes()
                        .fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
                    v[h % 32] += 1.0;
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                v.into_iter().map(|x| x / n).collect()
            })
            .collect())
    }
}
