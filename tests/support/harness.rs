//! Starts the bot (real `Service` over a temp copy of the repo's corpus) against a
//! [`FakeDiscord`], with `ROLEFAQ_TEST_MODE=1`.

use super::fake_discord::{FakeDiscord, ADMIN_ROLE_ID, GUILD_ID};
use rolefaq::config::{Secret, Settings};
use rolefaq::discord::Core;
use rolefaq::service::Service;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const TOKEN: &str = "MTEST.fake-token.do-not-log-9f3c1e";
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Harness {
    pub fake: FakeDiscord,
    /// The real service when started with [`Harness::start`].
    pub service: Option<Arc<Service>>,
    pub settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<anyhow::Result<()>>,
    pub _tmp: tempfile::TempDir,
}

pub fn set_test_mode() {
    // Set before any thread reads the environment; every test does this first.
    std::env::set_var("ROLEFAQ_TEST_MODE", "1");
    // `ROLEFAQ_TEST_LOG=rolefaq=debug` prints the bot's logs with a failing test's output.
    if let Ok(filter) = std::env::var("ROLEFAQ_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    if let Ok(rd) = std::fs::read_dir(from) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                copy_dir(&p, &to.join(e.file_name()));
            } else {
                std::fs::copy(&p, to.join(e.file_name())).unwrap();
            }
        }
    }
}

/// Settings over a temp copy of `CARGO_MANIFEST_DIR/corpus` and a temp index.
pub fn test_settings(tmp: &Path, api_base: &str) -> Settings {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    copy_dir(&corpus, &tmp.join("corpus"));
    let mut s = Settings::default();
    s.corpus.dir = tmp.join("corpus");
    s.index.dir = tmp.join("index");
    s.model.enabled = false;
    s.discord.api_base = api_base.to_string();
    s.discord.token = Secret::new(TOKEN);
    s.discord.guild_ids = vec![GUILD_ID];
    s.discord.admin_role_ids = vec![ADMIN_ROLE_ID];
    s.discord.home_guild_ids = vec![GUILD_ID];
    s.discord.cooldown_secs = 0;
    s.discord.page_size = 2;
    s
}

pub async fn open_service(settings: &Settings) -> Arc<Service> {
    let s = settings.clone();
    Arc::new(
        tokio::task::spawn_blocking(move || Service::open(s))
            .await
            .unwrap()
            .expect("open the service over the test corpus"),
    )
}

/// Test mode, a fake Discord, a temp copy of the corpus with its settings adjusted by
/// `cfg`, and the real service over them.
pub async fn prepare(
    cfg: impl FnOnce(&mut Settings),
) -> (FakeDiscord, tempfile::TempDir, Settings, Arc<Service>) {
    set_test_mode();
    let fake = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = test_settings(tmp.path(), &fake.api_base());
    cfg(&mut settings);
    let service = open_service(&settings).await;
    (fake, tmp, settings, service)
}

/// A core over the real service whose searches, rebuilds and source lists take
/// longer, as on a loaded machine with a large corpus.
pub struct SlowCore {
    pub inner: Arc<Service>,
    pub ask: Duration,
    pub rebuild: Duration,
    pub sources: Duration,
}

impl Core for SlowCore {
    fn ask(
        &self,
        q: &str,
        o: rolefaq::service::AskOptions,
    ) -> rolefaq::Result<rolefaq::model::Answer> {
        std::thread::sleep(self.ask);
        self.inner.ask(q, o)
    }
    fn compare(
        &self,
        a: &str,
        b: &str,
        aspect: Option<&str>,
    ) -> rolefaq::Result<rolefaq::model::Comparison> {
        std::thread::sleep(self.ask);
        self.inner.compare(a, b, aspect)
    }
    fn reindex(&self) -> rolefaq::Result<rolefaq::model::IndexReport> {
        std::thread::sleep(self.rebuild);
        self.inner.reindex()
    }
    fn sources(&self) -> Vec<rolefaq::model::SourceInfo> {
        std::thread::sleep(self.sources);
        self.inner.sources()
    }
    fn freshness(&self) -> rolefaq::model::Freshness {
        self.inner.freshness()
    }
    fn known_roles(&self) -> Vec<String> {
        self.inner.known_roles()
    }
    fn known_aspects(&self) -> Vec<String> {
        self.inner.known_aspects()
    }
}

impl Harness {
    /// Real service, settings adjusted by `cfg`.
    pub async fn start(cfg: impl FnOnce(&mut Settings)) -> Self {
        Self::start_wrapped(cfg, |service| service).await
    }

    /// Real service, settings adjusted by `cfg`, the bot given the core `wrap` makes of
    /// the service (e.g. a slower one).
    pub async fn start_wrapped(
        cfg: impl FnOnce(&mut Settings),
        wrap: impl FnOnce(Arc<Service>) -> Arc<dyn Core>,
    ) -> Self {
        let (fake, tmp, settings, service) = prepare(cfg).await;
        let core = wrap(service.clone());
        let mut h = Self::start_with(fake, settings, core, tmp).await;
        h.service = Some(service);
        h
    }

    pub async fn start_with(
        fake: FakeDiscord,
        settings: Settings,
        core: Arc<dyn Core>,
        tmp: tempfile::TempDir,
    ) -> Self {
        let (tx, rx) = oneshot::channel::<()>();
        let s = settings.clone();
        let task = tokio::spawn(async move {
            rolefaq::discord::run_with_core(s, core, async {
                let _ = rx.await;
            })
            .await
        });
        let mut task = task;
        tokio::select! {
            r = fake.wait_ready(WAIT) => r.unwrap(),
            r = &mut task => panic!("the bot stopped before READY: {r:?}; requests: {:?}", fake.requests()),
        }
        // Commands are registered on READY; wait for it so tests start from a settled bot.
        fake.wait_for(1, WAIT, |r| {
            r.method == "PUT" && r.path.ends_with("/commands")
        })
        .await
        .unwrap();
        Self {
            fake,
            service: None,
            settings,
            stop: Some(tx),
            task,
            _tmp: tmp,
        }
    }

    /// Stop the bot and check it shut down cleanly and never made a request the fake
    /// (like Discord) refused.
    pub async fn stop(self) {
        let errors = self.fake.errors();
        assert!(
            errors.is_empty(),
            "requests Discord would refuse: {errors:#?}"
        );
        self.stop_ignoring_errors().await;
    }

    /// [`Self::stop`] for a test that itself made requests the fake refused.
    pub async fn stop_ignoring_errors(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let res = tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("bot did not stop in time")
            .expect("bot task panicked");
        res.expect("bot returned an error");
    }
}

impl Harness {
    pub fn service(&self) -> Arc<Service> {
        Arc::clone(
            self.service
                .as_ref()
                .expect("started with the real service"),
        )
    }
}

/// `rolefaq --no-model serve` over the repo's corpus, an index in `dir` (also the
/// working directory), test mode, pointed at `fake` with the test token. The caller
/// sets stdio and any further environment.
pub fn serve_command(fake: &FakeDiscord, dir: &Path) -> Command {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolefaq"));
    cmd.current_dir(dir)
        .arg("--corpus")
        .arg(repo.join("corpus"))
        .arg("--index")
        .arg(dir.join("index"))
        .args(["--no-model", "serve"])
        .env("ROLEFAQ_TEST_MODE", "1")
        .env("ROLEFAQ__DISCORD__API_BASE", fake.api_base())
        .env("ROLEFAQ__DISCORD__GUILD_IDS", GUILD_ID.to_string())
        .env("DISCORD_TOKEN", TOKEN);
    cmd
}

/// A child process killed (and reaped) on every path out of a test.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
