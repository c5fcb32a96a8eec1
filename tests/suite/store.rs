//! The question and feedback store: migrations, votes, retention, the keyed
//! hash, recording off, and that no store failure reaches an answer.

use crate::common;

use crate::pg;
use chrono::{Duration, Utc};
use common::Sandbox;
use rolefaq::service::{AskOptions, Service};
use rolefaq::store::{
    stamp_of, AskerKey, Backend, EntryPoint, OpenStore, PgOptions, PgUrl, PostgresStore,
    QuestionRecord, RecordId, Recorder, RecorderOptions, SqliteStore, Store, StoreError,
    StoredQuestion, VoteRecord, MAX_STATE_JSON, MAX_STATE_KEY, MIGRATIONS, PG_MIGRATIONS,
    SCHEMA_VERSION,
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

/// Where a contract test runs: a fresh SQLite file, or a fresh schema on the
/// PostgreSQL server of `ROLEFAQ_TEST_PG_URL` (see `pg`).
enum Db {
    Sqlite(tempfile::TempDir),
    Pg(Box<pg::Schema>),
}

impl Db {
    fn sqlite() -> Self {
        Db::Sqlite(tempfile::tempdir().unwrap())
    }

    fn postgres(test: &str) -> Option<Self> {
        pg::schema(test).map(|s| Db::Pg(Box::new(s)))
    }

    fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(dir) => Backend::Sqlite(dir.path().join("q.sqlite")),
            Db::Pg(schema) => Backend::Postgres(PgUrl::new(&schema.url), PgOptions::default()),
        }
    }

    /// A new connection to the store (migrating it).
    fn try_open(&self) -> Result<Box<dyn Store>, StoreError> {
        self.backend().open()
    }

    fn open(&self) -> Box<dyn Store> {
        self.try_open().unwrap()
    }

    /// The backend's migrations.
    fn migrations(&self) -> &'static [&'static str] {
        match self {
            Db::Sqlite(_) => MIGRATIONS,
            Db::Pg(_) => PG_MIGRATIONS,
        }
    }

    /// Run SQL on the database directly.
    fn exec(&self, sql: &str) {
        match self {
            Db::Sqlite(dir) => rusqlite::Connection::open(dir.path().join("q.sqlite"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Db::Pg(schema) => schema.exec(sql),
        }
    }

    /// The versions recorded in `schema_version`, in order.
    fn versions(&self) -> Vec<i64> {
        match self {
            Db::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join("q.sqlite")).unwrap();
                let mut st = conn
                    .prepare("SELECT version FROM schema_version ORDER BY version")
                    .unwrap();
                st.query_map([], |r| r.get(0))
                    .unwrap()
                    .map(|v| v.unwrap())
                    .collect()
            }
            Db::Pg(schema) => schema.versions(),
        }
    }
}

/// Each contract test, once on SQLite and once on PostgreSQL (skipped with a
/// line when no server is configured, failed when `ROLEFAQ_REQUIRE_PG=1`).
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&super::Db::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(db) = super::Db::postgres(concat!("store::postgres::", stringify!($name))) {
                    super::$name(&db)
                }
            } )*
        }
    };
}

contract!(
    migrations_build_the_current_schema_from_an_empty_database,
    a_version_1_database_is_migrated_to_the_current_keeping_its_questions,
    a_database_of_a_newer_schema_is_refused_not_damaged,
    replicas_starting_together_migrate_once,
    questions_read_back_as_written_oldest_first_within_the_period,
    one_vote_per_person_and_answer_and_it_can_be_changed,
    prune_deletes_questions_and_their_votes_older_than_the_cutoff,
    button_states_are_put_replaced_read_and_pruned,
    button_states_and_claims_are_bounded,
    claim_once_is_true_for_one_caller_only,
    claim_once_racing_from_two_connections_has_one_winner,
);

fn migrations_build_the_current_schema_from_an_empty_database(db: &Db) {
    drop(db.open());
    assert_eq!(db.versions(), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    // Opening again applies nothing twice.
    drop(db.open());
    assert_eq!(db.versions(), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    match db {
        Db::Sqlite(dir) => {
            let path = dir.path().join("q.sqlite");
            assert_eq!(
                SqliteStore::open(&path).unwrap().version().unwrap(),
                SCHEMA_VERSION
            );
            let conn = rusqlite::Connection::open(&path).unwrap();
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
        }
        Db::Pg(schema) => {
            let mut store = PostgresStore::connect(&schema.url, &PgOptions::default()).unwrap();
            assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
        }
    }
}

fn a_version_1_database_is_migrated_to_the_current_keeping_its_questions(db: &Db) {
    db.exec(&format!(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
         {}
         INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00.000Z');
         INSERT INTO questions (id, asked_at, question, answered, entry_point, passages)
         VALUES ('00000000000000b1', '{}', 'who owns the data?', FALSE, 'slash', '[{{\"id\":\"d#1\",\"score\":0.25}}]');",
        db.migrations()[0],
        stamp_of(Utc::now())
    ));
    let mut store = db.open();
    assert_eq!(db.versions(), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
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
    assert!(!qs[0].record.answered);
    assert_eq!(qs[0].record.passages[0].id, "d#1");
    assert_eq!(qs[0].record.entry_point, EntryPoint::Slash);
    assert_eq!(qs[0].votes[0].text.as_deref(), Some("the data owner"));
    // The tables of the later migrations are there.
    store.put_state("k", "{}", Utc::now()).unwrap();
}

fn a_database_of_a_newer_schema_is_refused_not_damaged(db: &Db) {
    let mut store = db.open();
    store
        .record_question(&question("00000000000000a9", "kept", Utc::now()))
        .unwrap();
    drop(store);
    db.exec("INSERT INTO schema_version VALUES (99, 'later')");
    let err = db.try_open().err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("upgrade rolefaq"), "{err}");
    let mut expected: Vec<i64> = (1..=SCHEMA_VERSION).collect();
    expected.push(99);
    assert_eq!(db.versions(), expected, "nothing applied or removed");
    db.exec("DELETE FROM schema_version WHERE version = 99");
    let kept = db
        .open()
        .questions_since(Utc::now() - Duration::days(1))
        .unwrap();
    assert_eq!(kept.len(), 1, "the data is untouched");
}

/// `n` connections opened at the same moment, from `n` threads.
fn open_at_once(db: &Db, n: usize) -> Vec<Result<(), String>> {
    let barrier = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    db.try_open().map(drop).map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn replicas_starting_together_migrate_once(db: &Db) {
    for r in &open_at_once(db, 4) {
        assert!(r.is_ok(), "{r:?}");
    }
    assert_eq!(db.versions(), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
}

/// Turning a new SQLite file to WAL races when several open it at once (one
/// reads while another writes the header, and SQLite answers "database is
/// locked" without waiting); each must still open it. Many fresh files, since
/// one race is lost only now and then.
#[test]
fn a_new_sqlite_file_opened_by_several_at_once_opens_for_each() {
    for round in 0..25 {
        let db = Db::sqlite();
        for r in &open_at_once(&db, 3) {
            assert!(r.is_ok(), "round {round}: {r:?}");
        }
        assert_eq!(db.versions(), (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    }
}

fn questions_read_back_as_written_oldest_first_within_the_period(db: &Db) {
    let mut store = db.open();
    let now = Utc::now();
    let mut q = question(
        "00000000000000a1",
        "who owns the data?",
        now - Duration::hours(2),
    );
    q.answered = true;
    q.passages = vec![
        rolefaq::store::Offered {
            id: "doc#3".into(),
            score: 0.75,
        },
        rolefaq::store::Offered {
            id: "doc#1".into(),
            score: 0.5,
        },
    ];
    q.entry_point = EntryPoint::ContextMenu;
    q.guild_id = Some(u64::MAX);
    q.asker = Some("hash-of-asker".into());
    store.record_question(&q).unwrap();
    store
        .record_question(&question(
            "00000000000000a2",
            "newer",
            now - Duration::hours(1),
        ))
        .unwrap();
    store
        .record_question(&question(
            "00000000000000a3",
            "too old",
            now - Duration::days(8),
        ))
        .unwrap();
    // Same millisecond: the order they were written in.
    store
        .record_question(&question("00000000000000a5", "tie one", now))
        .unwrap();
    store
        .record_question(&question("00000000000000a4", "tie two", now))
        .unwrap();
    let read = store.questions_since(now - Duration::days(7)).unwrap();
    let texts: Vec<&str> = read.iter().map(|q| q.record.question.as_str()).collect();
    assert_eq!(
        texts,
        vec!["who owns the data?", "newer", "tie one", "tie two"]
    );
    let first = &read[0].record;
    assert_eq!(first.id, q.id);
    assert!(first.answered);
    assert_eq!(first.passages, q.passages);
    assert_eq!(first.entry_point, EntryPoint::ContextMenu);
    assert_eq!(first.guild_id, Some(u64::MAX));
    assert_eq!(first.asker.as_deref(), Some("hash-of-asker"));
    assert_eq!(
        first.asked_at.timestamp_millis(),
        q.asked_at.timestamp_millis()
    );
    assert!(read.iter().all(|q| q.votes.is_empty()));
}

fn one_vote_per_person_and_answer_and_it_can_be_changed(db: &Db) {
    let mut store = db.open();
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
    // A repeated 👎 without text keeps what was said; a 👍 drops it.
    store
        .vote(&vote("00000000000000c1", "alice", false, None))
        .unwrap();
    let qs = store.questions_since(now - Duration::days(1)).unwrap();
    let alice = qs[0].votes.iter().find(|v| v.voter == "alice").unwrap();
    assert_eq!(alice.text.as_deref(), Some("the owner"));
    store
        .vote(&vote("00000000000000c1", "alice", true, None))
        .unwrap();
    let qs = store.questions_since(now - Duration::days(1)).unwrap();
    let alice = qs[0].votes.iter().find(|v| v.voter == "alice").unwrap();
    assert_eq!((alice.up, alice.text.as_deref()), (true, None));
    assert_eq!(qs[0].votes.len(), 2);
}

fn prune_deletes_questions_and_their_votes_older_than_the_cutoff(db: &Db) {
    let mut store = db.open();
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
    store
        .vote(&vote("00000000000000d2", "a", true, None))
        .unwrap();
    assert_eq!(store.prune(now - Duration::days(90)).unwrap(), 1);
    let all = store.questions_since(now - Duration::days(1000)).unwrap();
    let left: Vec<&str> = all.iter().map(|q| q.record.question.as_str()).collect();
    assert_eq!(left, vec!["new"]);
    assert_eq!(all[0].votes.len(), 1, "the newer question keeps its vote");
    assert!(!store
        .vote(&vote("00000000000000d1", "a", true, None))
        .unwrap());
    assert_eq!(store.prune(now - Duration::days(90)).unwrap(), 0);
}

fn button_states_are_put_replaced_read_and_pruned(db: &Db) {
    let mut store = db.open();
    let now = Utc::now();
    assert_eq!(store.get_state("answer:1").unwrap(), None);
    store
        .put_state("answer:1", r#"{"page":0}"#, now - Duration::minutes(20))
        .unwrap();
    store
        .put_state("answer:1", r#"{"page":1}"#, now - Duration::minutes(1))
        .unwrap();
    store
        .put_state("answer:2", r#"{"page":0}"#, now - Duration::minutes(30))
        .unwrap();
    let (json, at) = store.get_state("answer:1").unwrap().expect("kept");
    assert_eq!(json, r#"{"page":1}"#, "the later put replaced the first");
    assert_eq!(
        at.timestamp_millis(),
        (now - Duration::minutes(1)).timestamp_millis()
    );
    // Another connection (another replica) reads the same state.
    let (json, _) = db.open().get_state("answer:1").unwrap().expect("shared");
    assert_eq!(json, r#"{"page":1}"#);
    assert!(store
        .claim_once("share:old", now - Duration::minutes(30))
        .unwrap());
    assert!(store.claim_once("share:new", now).unwrap());
    // answer:2 and the old claim are past ten minutes.
    assert_eq!(store.prune_states(now - Duration::minutes(10)).unwrap(), 2);
    assert_eq!(store.get_state("answer:2").unwrap(), None);
    assert!(store.get_state("answer:1").unwrap().is_some());
    assert!(
        !store.claim_once("share:new", now).unwrap(),
        "still claimed"
    );
    assert!(
        store.claim_once("share:old", now).unwrap(),
        "a pruned claim can be made again"
    );
    // Questions are not button states.
    store
        .record_question(&question("00000000000000d9", "q", now - Duration::days(1)))
        .unwrap();
    store.prune_states(now + Duration::minutes(1)).unwrap();
    assert_eq!(
        store
            .questions_since(now - Duration::days(2))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.get_state("answer:1").unwrap(), None);
}

fn button_states_and_claims_are_bounded(db: &Db) {
    let mut store = db.open();
    let now = Utc::now();
    let long_key = "k".repeat(MAX_STATE_KEY + 1);
    let key_ok = "é".repeat(MAX_STATE_KEY / 2);
    let big = format!("\"{}\"", "x".repeat(MAX_STATE_JSON));
    for err in [
        store.put_state(&long_key, "{}", now).unwrap_err(),
        store.put_state("", "{}", now).unwrap_err(),
        store.put_state("k", &big, now).unwrap_err(),
        store.get_state(&long_key).unwrap_err(),
        store.claim_once(&long_key, now).map(|_| ()).unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::BadState(_)), "{err}");
        assert!(
            err.to_string().contains("at most") || err.to_string().contains("empty"),
            "{err}"
        );
    }
    // At the bounds: kept whole.
    let fits = format!("\"{}\"", "x".repeat(MAX_STATE_JSON - 2));
    store.put_state(&key_ok, &fits, now).unwrap();
    assert_eq!(store.get_state(&key_ok).unwrap().unwrap().0, fits);
    assert_eq!(
        store.get_state("k").unwrap(),
        None,
        "nothing written by a refusal"
    );
}

fn claim_once_is_true_for_one_caller_only(db: &Db) {
    let mut a = db.open();
    let mut b = db.open();
    let now = Utc::now();
    assert!(a.claim_once("share:1", now).unwrap());
    assert!(!a.claim_once("share:1", now).unwrap());
    assert!(!b.claim_once("share:1", now).unwrap());
    assert!(b.claim_once("share:2", now).unwrap());
}

fn claim_once_racing_from_two_connections_has_one_winner(db: &Db) {
    const KEYS: usize = 50;
    let barrier = std::sync::Barrier::new(2);
    let wins: Vec<Vec<bool>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    // Past the barrier before any unwrap: a panic here must
                    // not leave the other thread waiting for good.
                    let store = db.try_open();
                    barrier.wait();
                    let mut store = store.unwrap();
                    (0..KEYS)
                        .map(|k| store.claim_once(&format!("share:{k}"), Utc::now()).unwrap())
                        .collect::<Vec<bool>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(wins.iter().all(|w| w.len() == KEYS));
    for (k, (a, b)) in wins[0].iter().zip(&wins[1]).enumerate() {
        assert!(
            a ^ b,
            "share:{k}: exactly one connection wins ({a} and {b})"
        );
    }
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
    ask_still_answers_with(sb, "ROLEFAQ__STORE__PATH", store.as_os_str());
}

/// As [`ask_still_answers`] with the store named by the variable `var`; what
/// the command printed (stdout, stderr).
fn ask_still_answers_with(sb: &Sandbox, var: &str, value: &std::ffi::OsStr) -> (String, String) {
    let started = Instant::now();
    let out = cli(sb)
        .env(var, value)
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
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    fn put_state(&mut self, _: &str, _: &str, _: chrono::DateTime<Utc>) -> Result<(), StoreError> {
        Err(disk_full())
    }
    fn get_state(
        &mut self,
        _: &str,
    ) -> Result<Option<(String, chrono::DateTime<Utc>)>, StoreError> {
        Ok(None)
    }
    fn claim_once(&mut self, _: &str, _: chrono::DateTime<Utc>) -> Result<bool, StoreError> {
        Err(disk_full())
    }
    fn prune_states(&mut self, _: chrono::DateTime<Utc>) -> Result<usize, StoreError> {
        Err(disk_full())
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
    fn put_state(&mut self, _: &str, _: &str, _: chrono::DateTime<Utc>) -> Result<(), StoreError> {
        let _ = self.0.recv();
        Ok(())
    }
    fn get_state(
        &mut self,
        _: &str,
    ) -> Result<Option<(String, chrono::DateTime<Utc>)>, StoreError> {
        let _ = self.0.recv();
        Ok(None)
    }
    fn claim_once(&mut self, _: &str, _: chrono::DateTime<Utc>) -> Result<bool, StoreError> {
        let _ = self.0.recv();
        Ok(true)
    }
    fn prune_states(&mut self, _: chrono::DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(0)
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

/// A PostgreSQL URL on loopback where nothing listens (port 1: refused at once).
const NOBODY_THERE: &str = "postgres://rolefaq:not-a-real-password@127.0.0.1:1/rolefaq";

#[test]
fn an_unreachable_postgres_store_never_breaks_an_answer_nor_logs_its_password() {
    let sb = Sandbox::new();
    let (stdout, stderr) =
        ask_still_answers_with(&sb, "ROLEFAQ__STORE__URL", NOBODY_THERE.as_ref());
    assert!(
        stderr.contains("127.0.0.1:1"),
        "the store is named: {stderr}"
    );
    assert!(stderr.contains("***"), "its password replaced: {stderr}");
    assert!(!stderr.contains("not-a-real-password"), "{stderr}");
    assert!(!stdout.contains("not-a-real-password"));
}

#[test]
fn button_state_methods_fail_cleanly_when_the_store_is_off_or_unreachable() {
    let sb = Sandbox::new();
    let mut settings = sandbox_settings(&sb);
    settings.store.enabled = false;
    let svc = Service::open(settings.clone()).unwrap();
    for err in [
        svc.save_button_state("k", "{}").unwrap_err(),
        svc.load_button_state("k").map(|_| ()).unwrap_err(),
        svc.claim_once("k").map(|_| ()).unwrap_err(),
    ] {
        assert!(err.to_string().contains("store is off"), "{err}");
    }
    settings.store.enabled = true;
    settings.store.url = Some(rolefaq::config::Secret::new(NOBODY_THERE));
    let svc = Service::open(settings).unwrap();
    let first = svc.save_button_state("k", "{}").unwrap_err().to_string();
    assert!(first.contains("127.0.0.1:1"), "{first}");
    assert!(!first.contains("not-a-real-password"), "{first}");
    // Within the retry delay the next call does not try again.
    let second = svc
        .load_button_state("k")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(second.contains("unavailable"), "{second}");
    assert!(svc.claim_once("k").is_err());
}

/// The service's button states and claims over `settings`' store, as the
/// Discord shell calls them: from `spawn_blocking` inside a runtime.
fn service_button_states(settings: rolefaq::config::Settings) {
    let svc = std::sync::Arc::new(Service::open(settings).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let s = svc.clone();
    let (loaded, claims) = rt.block_on(async move {
        tokio::task::spawn_blocking(move || {
            s.save_button_state("answer:abc", r#"{"offset":3}"#)
                .unwrap();
            let loaded = s.load_button_state("answer:abc").unwrap();
            let claims = [
                s.claim_once("share:abc").unwrap(),
                s.claim_once("share:abc").unwrap(),
            ];
            (loaded, claims)
        })
        .await
        .unwrap()
    });
    let (json, at) = loaded.expect("saved");
    assert_eq!(json, r#"{"offset":3}"#);
    assert!(Utc::now() - at < Duration::minutes(5));
    assert_eq!(claims, [true, false]);
    assert_eq!(svc.load_button_state("answer:none").unwrap(), None);
    let refused = svc.save_button_state(&"k".repeat(101), "{}").unwrap_err();
    assert!(
        refused.to_string().contains("at most 100 bytes"),
        "{refused}"
    );
    // The connection survives a refusal.
    assert!(svc.load_button_state("answer:abc").unwrap().is_some());
    // The last reference may go inside an async task (a shell shutting down):
    // the store's connection is closed without a panic.
    rt.block_on(async move { drop(svc) });
}

#[test]
fn service_button_states_on_sqlite() {
    let sb = Sandbox::new();
    let settings = sandbox_settings(&sb);
    let path = settings.store_path();
    service_button_states(settings.clone());
    // A state past discord.button_timeout_secs reads as none.
    let mut store = SqliteStore::open(&path).unwrap();
    store
        .put_state("answer:old", "{}", Utc::now() - Duration::seconds(601))
        .unwrap();
    let svc = Service::open(settings).unwrap();
    assert_eq!(svc.load_button_state("answer:old").unwrap(), None);
    assert!(svc.load_button_state("answer:abc").unwrap().is_some());
}

#[test]
fn service_records_and_keeps_button_states_on_postgres() {
    let Some(schema) = pg::schema("store::service_records_and_keeps_button_states_on_postgres")
    else {
        return;
    };
    let sb = Sandbox::new();
    let mut settings = sandbox_settings(&sb);
    settings.store.url = Some(rolefaq::config::Secret::new(schema.url.clone()));
    service_button_states(settings.clone());
    let svc = Service::open(settings).unwrap();
    let a = answered(&svc);
    let id = svc
        .record(
            "who owns cybersecurity?",
            &a,
            EntryPoint::Slash,
            Some(9),
            Some("42"),
        )
        .expect("queued");
    assert!(svc.vote(&id, "42", false, Some("the CISO")));
    assert!(svc.flush_records(Wait::from_secs(10)));
    let qs = svc.recorded(1).unwrap();
    assert_eq!(qs.len(), 1);
    assert_eq!(qs[0].record.id, id);
    assert_eq!(qs[0].record.guild_id, Some(9));
    assert_eq!(qs[0].votes.len(), 1);
    assert_eq!(qs[0].votes[0].text.as_deref(), Some("the CISO"));
    assert_ne!(qs[0].votes[0].voter, "42", "hashed");
    assert!(
        !settings_file_exists(&sb),
        "no SQLite file when PostgreSQL is the store"
    );
}

fn settings_file_exists(sb: &Sandbox) -> bool {
    sandbox_settings(sb).store_path().exists()
}

#[test]
fn the_recorder_reconnects_after_the_server_closed_its_connection() {
    let Some(schema) =
        pg::schema("store::the_recorder_reconnects_after_the_server_closed_its_connection")
    else {
        return;
    };
    let sb = Sandbox::new();
    // Named, so only this test's connections are closed below.
    let url = format!("{}&application_name={}", schema.url, schema.name);
    let recorder = Recorder::new(
        Backend::Postgres(PgUrl::new(url.clone()), PgOptions::default()),
        options(&sb, 8),
    );
    let id = |s: &str| {
        recorder
            .record(question("", s, Utc::now()), None)
            .expect("queued")
    };
    let first = id("before");
    assert!(recorder.flush(Wait::from_secs(10)));
    schema.exec(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}'",
        schema.name
    ));
    // The write that finds the connection closed may be lost (a log line);
    // the next opens a new connection.
    id("while closing");
    assert!(recorder.flush(Wait::from_secs(10)));
    let last = id("after");
    assert!(recorder.flush(Wait::from_secs(10)));
    let mut store = PostgresStore::connect(&schema.url, &PgOptions::default()).unwrap();
    let ids: Vec<RecordId> = store
        .questions_since(Utc::now() - Duration::days(1))
        .unwrap()
        .into_iter()
        .map(|q| q.record.id)
        .collect();
    assert!(ids.contains(&first) && ids.contains(&last), "{ids:?}");
}
