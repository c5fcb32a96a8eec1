//! The question and feedback store: migrations, votes, retention, the keyed
//! hash, recording off, and that no store failure reaches an answer.

use crate::common;

use chrono::{Duration, Utc};
use common::Sandbox;
use rolefaq::service::{AskOptions, Service};
use rolefaq::store::{
    AskerKey, EntryPoint, OpenStore, QuestionRecord, RecordId, Recorder, RecorderOptions,
    SqliteStore, Store, StoreError, StoredQuestion, VoteRecord, MIGRATIONS, SCHEMA_VERSION,
};
use std::sync::mpsc;
use std::time::{Duration as Wait, Instant};

fn question(id: &str, q: &str, at: chrono::DateTime<Utc>) -> QuestionRecord {
    QuestionRecord {
        id: RecordId(id.into()),
        asked_at: at,
        question: q.into(),
        answered: false,
        passages: Vec::new(),
        entry_point: EntryPoint::Mention,
        guild_id: None,
        asker: None,
    }
}

fn vote(id: &str, voter: &str, up: bool, text: Option<&str>) -> VoteRecord {
    VoteRecord {
        record: RecordId(id.into()),
        voter: voter.into(),
        up,
        text: text.map(String::from),
        voted_at: Utc::now(),
    }
}

fn versions(path: &std::path::Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut st = conn
        .prepare("SELECT version FROM schema_version ORDER BY version")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|v| v.unwrap())
        .collect()
}

#[test]
fn migrations_build_the_current_schema_from_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
    assert_eq!(versions(&path), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    drop(store);
    // Opening again applies nothing twice.
    SqliteStore::open(&path).unwrap();
    assert_eq!(versions(&path), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_version_1_database_is_migrated_to_the_current_keeping_its_questions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute(
            "INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00.000Z')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO questions (id, asked_at, question, answered, entry_point, passages)
             VALUES ('00000000000000b1', ?1, 'who owns the data?', 0, 'slash', '[{\"id\":\"d#1\",\"score\":0.25}]')",
            [Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)],
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
    assert_eq!(versions(&path), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    assert!(store
        .vote(&vote(
            "00000000000000b1",
            "h",
            false,
            Some("the data owner")
        ))
        .unwrap());
    let qs = store
        .questions_since(Utc::now() - Duration::days(1))
        .unwrap();
    assert_eq!(qs.len(), 1);
    assert_eq!(qs[0].record.question, "who owns the data?");
    assert_eq!(qs[0].record.passages[0].id, "d#1");
    assert_eq!(qs[0].record.entry_point, EntryPoint::Slash);
    assert_eq!(qs[0].votes[0].text.as_deref(), Some("the data owner"));
}

#[test]
fn a_database_of_a_newer_schema_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.sqlite");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO schema_version VALUES (99, 'later')", [])
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
}

#[test]
fn one_vote_per_person_and_answer_and_it_can_be_changed() {
    let mut store = SqliteStore::in_memory().unwrap();
    let now = Utc::now();
    store
        .record_question(&question("00000000000000c1", "q", now))
        .unwrap();
    assert!(store
        .vote(&vote("00000000000000c1", "alice", true, None))
        .unwrap());
    assert!(store
        .vote(&vote("00000000000000c1", "alice", false, Some("the owner")))
        .unwrap());
    assert!(store
        .vote(&vote("00000000000000c1", "bob", true, None))
        .unwrap());
    assert!(
        !store
            .vote(&vote("00000000000000ff", "bob", true, None))
            .unwrap(),
        "a vote on an unknown answer is ignored"
    );
    let qs = store.questions_since(now - Duration::days(1)).unwrap();
    assert_eq!(qs[0].votes.len(), 2);
    assert_eq!((qs[0].ups(), qs[0].downs()), (1, 1));
    let alice = qs[0].votes.iter().find(|v| v.voter == "alice").unwrap();
    assert_eq!(
        (alice.up, alice.text.as_deref()),
        (false, Some("the owner"))
    );
}

#[test]
fn prune_deletes_questions_and_their_votes_older_than_the_cutoff() {
    let mut store = SqliteStore::in_memory().unwrap();
    let now = Utc::now();
    store
        .record_question(&question(
            "00000000000000d1",
            "old",
            now - Duration::days(100),
        ))
        .unwrap();
    store
        .record_question(&question(
            "00000000000000d2",
            "new",
            now - Duration::days(2),
        ))
        .unwrap();
    store
        .vote(&vote("00000000000000d1", "a", false, None))
        .unwrap();
    assert_eq!(store.prune(now - Duration::days(90)).unwrap(), 1);
    let all = store.questions_since(now - Duration::days(1000)).unwrap();
    let left: Vec<&str> = all.iter().map(|q| q.record.question.as_str()).collect();
    assert_eq!(left, vec!["new"]);
    assert!(!store
        .vote(&vote("00000000000000d1", "a", true, None))
        .unwrap());
}

fn sandbox_settings(sb: &Sandbox) -> rolefaq::config::Settings {
    let mut s = sb.settings();
    s.store.path = Some(sb.dir.path().join("store").join("q.sqlite"));
    s
}

fn answered(svc: &Service) -> rolefaq::model::Answer {
    let a = svc
        .ask("who owns cybersecurity?", AskOptions { top: 3, offset: 0 })
        .unwrap();
    assert!(!a.no_answer);
    a
}

#[test]
fn retention_deletes_old_rows_when_the_recorder_starts_and_when_reading() {
    let sb = Sandbox::new();
    let mut settings = sandbox_settings(&sb);
    settings.store.retention_days = 30;
    let path = settings.store_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let mut store = SqliteStore::open(&path).unwrap();
        store
            .record_question(&question(
                "00000000000000e1",
                "old",
                Utc::now() - Duration::days(31),
            ))
            .unwrap();
        store
            .record_question(&question(
                "00000000000000e2",
                "recent",
                Utc::now() - Duration::days(29),
            ))
            .unwrap();
    }
    let svc = Service::open(settings).unwrap();
    let a = answered(&svc);
    svc.record(
        "who owns cybersecurity?",
        &a,
        EntryPoint::Slash,
        Some(7),
        Some("123"),
    )
    .expect("recorded");
    assert!(svc.flush_records(Wait::from_secs(10)));
    let mut store = SqliteStore::open(&path).unwrap();
    let left: Vec<String> = store
        .questions_since(Utc::now() - Duration::days(3650))
        .unwrap()
        .into_iter()
        .map(|q| q.record.question)
        .collect();
    assert_eq!(left, vec!["recent", "who owns cybersecurity?"]);
    // `recorded` (what `gaps` reads) prunes too, and reads only its period.
    store
        .record_question(&question(
            "00000000000000e3",
            "old again",
            Utc::now() - Duration::days(40),
        ))
        .unwrap();
    let read = svc.recorded(3650).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(svc.recorded(1).unwrap().len(), 1);
}

#[test]
fn user_ids_are_written_only_as_keyed_hashes() {
    let sb = Sandbox::new();
    let settings = sandbox_settings(&sb);
    let path = settings.store_path();
    let svc = Service::open(settings).unwrap();
    let a = answered(&svc);
    let user = "987654321012345678";
    let id = svc
        .record(
            "who owns cybersecurity?",
            &a,
            EntryPoint::ContextMenu,
            Some(55),
            Some(user),
        )
        .unwrap();
    svc.record(
        "who owns cybersecurity?",
        &a,
        EntryPoint::Mention,
        Some(55),
        Some(user),
    )
    .unwrap();
    assert!(svc.vote(&id, user, false, Some("more on\u{200b} the SOC")));
    assert!(svc.flush_records(Wait::from_secs(10)));
    let qs: Vec<StoredQuestion> = svc.recorded(1).unwrap();
    assert_eq!(qs.len(), 2);
    let hash = qs[0].record.asker.clone().expect("an asker hash");
    assert_eq!(
        qs[1].record.asker.as_deref(),
        Some(hash.as_str()),
        "same person, same hash"
    );
    assert_ne!(hash, user);
    assert_eq!(qs[0].record.guild_id, Some(55));
    assert_eq!(qs[0].record.entry_point, EntryPoint::ContextMenu);
    assert_eq!(qs[0].record.passages.len(), a.results.len());
    assert_eq!(qs[0].record.passages[0].id, a.results[0].passage_id);
    assert_eq!(
        qs[0].votes[0].voter, hash,
        "the voter is hashed the same way"
    );
    assert_eq!(
        qs[0].votes[0].text.as_deref(),
        Some("more on the SOC"),
        "sanitised"
    );
    // The id is in none of the files (the writer may be removing its WAL
    // files as it closes: a file gone meanwhile is skipped).
    drop(svc);
    let mut read = 0;
    for f in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        let Ok(bytes) = std::fs::read(f.unwrap().path()) else {
            continue;
        };
        read += 1;
        assert!(!bytes.windows(user.len()).any(|w| w == user.as_bytes()));
    }
    assert!(read >= 2, "the database and its key were read");
    // The key file is private, and another key gives another hash.
    let key_path = AskerKey::path_for(&path);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let key = AskerKey::load_or_create(&path, None).unwrap();
    assert_eq!(key.hash(user), hash);
    let other = AskerKey::load_or_create(&path, Some("another installation key")).unwrap();
    assert_ne!(other.hash(user), hash);
    assert!(AskerKey::load_or_create(&path, Some("short")).is_err());
}

#[test]
fn recording_off_records_nothing_and_creates_no_file() {
    let sb = Sandbox::new();
    let mut settings = sandbox_settings(&sb);
    settings.store.enabled = false;
    let path = settings.store_path();
    let svc = Service::open(settings).unwrap();
    let a = answered(&svc);
    assert_eq!(
        svc.record(
            "who owns cybersecurity?",
            &a,
            EntryPoint::Slash,
            Some(1),
            Some("2")
        ),
        None
    );
    assert!(!svc.vote(&RecordId("0000000000000001".into()), "2", false, None));
    assert!(svc.flush_records(Wait::from_secs(1)));
    assert!(!path.exists() && !path.parent().unwrap().exists());
    assert!(svc.recorded(30).unwrap().is_empty());

    // The CLI likewise, with the switch from the environment.
    cli(&sb)
        .env("ROLEFAQ__STORE__ENABLED", "false")
        .args(["ask", "--record", "who owns cybersecurity?"])
        .assert()
        .success();
    assert!(!sb.dir.path().join("questions.sqlite").exists());
}

use common::rolefaq as cli;

/// `ask --record` answers in full, and exits 0, whatever the store is.
fn ask_still_answers(sb: &Sandbox, store: &std::path::Path) {
    let started = Instant::now();
    let out = cli(sb)
        .env("ROLEFAQ__STORE__PATH", store)
        .args(["ask", "--record", "--json", "who owns cybersecurity?"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["no_answer"], false);
    assert!(!v["results"].as_array().unwrap().is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("store"),
        "the failure is logged: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Generous: building the index is most of it; the flush waits 3 s at most.
    assert!(started.elapsed() < Wait::from_secs(120));
}

#[test]
fn a_directory_where_the_store_file_should_be_never_breaks_an_answer() {
    let sb = Sandbox::new();
    let store = sb.dir.path().join("store-is-a-dir");
    std::fs::create_dir_all(&store).unwrap();
    ask_still_answers(&sb, &store);
    assert!(
        std::fs::read_dir(&store).unwrap().next().is_none(),
        "nothing written into it"
    );
}

/// Makes a file immutable (`chattr +i`: even root gets EPERM) until dropped.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn new(path: &std::path::Path) -> Self {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok && std::fs::OpenOptions::new().append(true).open(path).is_err(),
            "cannot make {} read-only here (chattr +i)",
            path.display()
        );
        Self(path.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_read_only_store_file_never_breaks_an_answer_and_is_left_as_it_was() {
    let sb = Sandbox::new();
    let store = sb.dir.path().join("ro.sqlite");
    {
        let mut s = SqliteStore::open(&store).unwrap();
        s.record_question(&question("00000000000000f1", "before", Utc::now()))
            .unwrap();
        // Checkpoint the WAL into the file, so the file alone holds the row.
        drop(s);
        let c = rusqlite::Connection::open(&store).unwrap();
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .unwrap();
    }
    let before = std::fs::read(&store).unwrap();
    let _guard = Immutable::new(&store);
    ask_still_answers(&sb, &store);
    assert_eq!(std::fs::read(&store).unwrap(), before);
}

/// A store whose every write fails as a full disk does.
struct FullDisk;

fn disk_full() -> StoreError {
    StoreError::Db(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
        Some("database or disk is full".into()),
    ))
}

impl Store for FullDisk {
    fn record_question(&mut self, _: &QuestionRecord) -> Result<RecordId, StoreError> {
        Err(disk_full())
    }
    fn vote(&mut self, _: &VoteRecord) -> Result<bool, StoreError> {
        Err(disk_full())
    }
    fn prune(&mut self, _: chrono::DateTime<Utc>) -> Result<usize, StoreError> {
        Err(disk_full())
    }
    fn questions_since(
        &mut self,
        _: chrono::DateTime<Utc>,
    ) -> Result<Vec<StoredQuestion>, StoreError> {
        Ok(Vec::new())
    }
}

/// A store locked by someone else for good: every call waits until the test ends.
struct Locked(mpsc::Receiver<()>);

impl Store for Locked {
    fn record_question(&mut self, q: &QuestionRecord) -> Result<RecordId, StoreError> {
        let _ = self.0.recv();
        Ok(q.id.clone())
    }
    fn vote(&mut self, _: &VoteRecord) -> Result<bool, StoreError> {
        let _ = self.0.recv();
        Ok(true)
    }
    fn prune(&mut self, _: chrono::DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(0)
    }
    fn questions_since(
        &mut self,
        _: chrono::DateTime<Utc>,
    ) -> Result<Vec<StoredQuestion>, StoreError> {
        Ok(Vec::new())
    }
}

fn options(sb: &Sandbox, queue: usize) -> RecorderOptions {
    RecorderOptions {
        retention_days: 90,
        queue,
        key_beside: sb.dir.path().join("k.sqlite"),
        key: Some("a test key of enough length".into()),
    }
}

#[test]
fn a_full_store_never_fails_an_answer() {
    let sb = Sandbox::new();
    let open: OpenStore = Box::new(|| Ok(Box::new(FullDisk) as Box<dyn Store>));
    let svc = Service::open(sandbox_settings(&sb))
        .unwrap()
        .with_recorder(Recorder::with_store(open, options(&sb, 8)));
    for _ in 0..3 {
        let a = answered(&svc);
        let id = svc.record(
            "who owns cybersecurity?",
            &a,
            EntryPoint::Slash,
            None,
            Some("1"),
        );
        assert!(id.is_some(), "queued; the failure is the writer's to log");
        assert!(svc.vote(&id.unwrap(), "1", true, None));
    }
    assert!(
        svc.flush_records(Wait::from_secs(10)),
        "the writer carries on past failures"
    );
    assert!(!answered(&svc).results.is_empty());
}

#[test]
fn a_locked_store_never_delays_an_answer_and_a_full_queue_drops_writes() {
    let sb = Sandbox::new();
    let (release, wait) = mpsc::channel();
    let mut wait = Some(wait);
    let open: OpenStore = Box::new(move || {
        wait.take()
            .map(|w| Box::new(Locked(w)) as Box<dyn Store>)
            .ok_or_else(|| StoreError::BadKey("opened twice".into()))
    });
    let svc = Service::open(sandbox_settings(&sb))
        .unwrap()
        .with_recorder(Recorder::with_store(open, options(&sb, 2)));
    let a = answered(&svc);
    let started = Instant::now();
    let ids: Vec<Option<RecordId>> = (0..10)
        .map(|_| svc.record("who owns cybersecurity?", &a, EntryPoint::Slash, None, None))
        .collect();
    assert!(
        started.elapsed() < Wait::from_secs(1),
        "recording never waits for the store: {:?}",
        started.elapsed()
    );
    assert!(ids[0].is_some());
    // One write held by the store, two queued: the rest were dropped.
    assert!(ids.iter().filter(|i| i.is_none()).count() >= 6, "{ids:?}");
    assert!(
        !svc.flush_records(Wait::from_millis(200)),
        "a stuck store is not waited for"
    );
    assert!(!answered(&svc).results.is_empty());
    drop(release);
}
