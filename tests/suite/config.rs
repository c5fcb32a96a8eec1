//! Config precedence (defaults < file < environment < flags), validation and secrets.

use rolefaq::config::{locate_config, ConfigError, Overrides, Settings};
use std::collections::HashMap;
use std::path::PathBuf;

fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("config.toml");
    std::fs::write(&p, text).unwrap();
    (d, p)
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn file_then_env_then_flags() {
    let (_d, p) = file("[search]\ntop = 4\nmax_top = 20\n[corpus]\ndir = \"from-file\"\n[index]\ndir = \"idx-file\"\n");
    let none = Overrides::default();
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap();
    assert_eq!(s.search.top, 4);
    assert_eq!(s.search.max_top, 20);
    // paths in a config file are relative to the file
    assert_eq!(s.corpus.dir, _d.path().join("from-file"));
    assert_eq!(s.search.max_query_chars, 1000, "defaults fill the rest");

    let e = env(&[
        ("ROLEFAQ__SEARCH__TOP", "7"),
        ("ROLEFAQ__CORPUS__DIR", "from-env"),
        ("ROLEFAQ__DISCORD__GUILD_IDS", "1,2,3"),
        ("UNRELATED", "x"),
    ]);
    let s = Settings::load_with_env(Some(&p), true, &e, &none).unwrap();
    assert_eq!(s.search.top, 7);
    assert_eq!(s.corpus.dir, PathBuf::from("from-env"));
    assert_eq!(s.discord.guild_ids, vec![1, 2, 3]);
    assert_eq!(s.index.dir, _d.path().join("idx-file"));

    // one id, no comma: still a list
    let one = env(&[("ROLEFAQ__DISCORD__GUILD_IDS", "900000000000000010")]);
    let s = Settings::load_with_env(Some(&p), true, &one, &none).unwrap();
    assert_eq!(s.discord.guild_ids, vec![900000000000000010]);

    let bad = env(&[("ROLEFAQ__DISCORD__ADMIN_USER_IDS", "12,abc")]);
    let err = Settings::load_with_env(Some(&p), true, &bad, &none).unwrap_err();
    assert!(err.to_string().contains("abc"), "{err}");

    let flags = Overrides {
        corpus_dir: Some("from-flag".into()),
        no_model: true,
        ..Default::default()
    };
    let s = Settings::load_with_env(Some(&p), true, &e, &flags).unwrap();
    assert_eq!(s.corpus.dir, PathBuf::from("from-flag"));
    assert!(!s.model.enabled);
}

#[test]
fn unknown_keys_and_bad_values_are_reported() {
    let (_d, p) = file("[search]\ntopp = 4\n");
    let err =
        Settings::load_with_env(Some(&p), true, &env(&[]), &Overrides::default()).unwrap_err();
    assert!(err.to_string().contains("topp"), "{err}");

    let (_d, p) = file("[serch]\ntop = 4\n");
    let err =
        Settings::load_with_env(Some(&p), true, &env(&[]), &Overrides::default()).unwrap_err();
    assert!(err.to_string().contains("serch"), "{err}");

    let err = Settings::load_with_env(
        None,
        false,
        &env(&[("ROLEFAQ__SEARCH__TOP", "lots")]),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::Invalid(_)), "{err}");

    let err = Settings::load_with_env(
        None,
        false,
        &env(&[("ROLEFAQ__SEARCH__TOP", "0")]),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("search.top"), "{err}");

    let missing = PathBuf::from("/nonexistent/rolefaq.toml");
    assert!(
        Settings::load_with_env(Some(&missing), true, &env(&[]), &Overrides::default()).is_err()
    );
    assert!(
        Settings::load_with_env(Some(&missing), false, &env(&[]), &Overrides::default()).is_ok()
    );
}

#[test]
fn the_token_comes_only_from_the_environment_and_never_prints() {
    let (_d, p) = file("[discord]\ntoken = \"abc.def.ghi\"\n");
    let err =
        Settings::load_with_env(Some(&p), true, &env(&[]), &Overrides::default()).unwrap_err();
    assert!(matches!(err, ConfigError::TokenInFile(_)));
    assert!(!err.to_string().contains("abc.def.ghi"));

    // token-shaped but fake, assembled at run time so no token-like literal is committed
    let secret = format!(
        "{}.{}.{}",
        "MTIzNDU2Nzg5MDEyMzQ1Njc4",
        "GabcDE",
        "secret-".repeat(4)
    );
    let secret = secret.as_str();
    let s = Settings::load_with_env(
        None,
        false,
        &env(&[("DISCORD_TOKEN", secret)]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.discord.token.expose(), secret);
    assert!(!format!("{s:?}").contains(secret));
    let s = Settings::load_with_env(
        None,
        false,
        &env(&[("ROLEFAQ__DISCORD__TOKEN", secret)]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.discord.token.expose(), secret);
}

#[test]
fn synonyms_in_the_file_extend_the_built_in_table() {
    let (_d, p) = file("[search.synonyms]\nsecops = [\"security operations\"]\ninfosec = []\n");
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.search.synonyms["secops"], vec!["security operations"]);
    assert!(s.search.synonyms.contains_key("helpdesk"), "built-ins stay");
    assert!(
        !s.search.synonyms.contains_key("infosec"),
        "an empty list switches one off"
    );
}

#[test]
fn the_bundled_config_is_valid() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &Overrides::default()).unwrap();
    assert_eq!(
        s.corpus.dir,
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus")
    );
}

#[test]
fn question_precision_defaults_to_q8_and_is_overridable() {
    use rolefaq::embed::Precision;
    let none = Overrides::default();
    let s = Settings::load_with_env(None, false, &env(&[]), &none).unwrap();
    assert_eq!(s.model.question_precision, Precision::Q8);
    let (_d, p) = file("[model]\nquestion_precision = \"f32\"\n");
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap();
    assert_eq!(s.model.question_precision, Precision::F32);
    let e = env(&[("ROLEFAQ__MODEL__QUESTION_PRECISION", "q8")]);
    let s = Settings::load_with_env(Some(&p), true, &e, &none).unwrap();
    assert_eq!(s.model.question_precision, Precision::Q8);
    let bad = env(&[("ROLEFAQ__MODEL__QUESTION_PRECISION", "q4")]);
    let err = Settings::load_with_env(None, false, &bad, &none).unwrap_err();
    assert!(err.to_string().contains("q4"), "{err}");
}

#[test]
fn discord_timeout_and_paging_bounds_are_validated() {
    let d = Settings::load_with_env(None, false, &env(&[]), &Overrides::default()).unwrap();
    assert_eq!(d.discord.http_timeout_secs, 10);
    assert_eq!(d.discord.max_paged_answers, 1000);
    for (key, value, named) in [
        (
            "ROLEFAQ__DISCORD__HTTP_TIMEOUT_SECS",
            "0",
            "discord.http_timeout_secs",
        ),
        (
            "ROLEFAQ__DISCORD__HTTP_TIMEOUT_SECS",
            "301",
            "discord.http_timeout_secs",
        ),
        (
            "ROLEFAQ__DISCORD__MAX_PAGED_ANSWERS",
            "0",
            "discord.max_paged_answers",
        ),
    ] {
        let err =
            Settings::load_with_env(None, false, &env(&[(key, value)]), &Overrides::default())
                .unwrap_err();
        assert!(err.to_string().contains(named), "{key}={value}: {err}");
    }
    let s = Settings::load_with_env(
        None,
        false,
        &env(&[("ROLEFAQ__DISCORD__HTTP_TIMEOUT_SECS", "2")]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.discord.http_timeout_secs, 2);
}

#[test]
fn discord_home_servers_mentions_threads_admin_channel_and_fast_answers_are_read_and_validated() {
    let d = Settings::load_with_env(None, false, &env(&[]), &Overrides::default()).unwrap();
    assert!(d.discord.home_guild_ids.is_empty());
    assert!(d.discord.answer_mentions && !d.discord.answer_in_thread);
    assert_eq!(d.discord.admin_channel_id, None);
    assert_eq!(d.discord.fast_answer_ms, 1200);
    let s = Settings::load_with_env(
        None,
        false,
        &env(&[
            ("ROLEFAQ__DISCORD__HOME_GUILD_IDS", "11,22"),
            ("ROLEFAQ__DISCORD__ANSWER_MENTIONS", "false"),
            ("ROLEFAQ__DISCORD__ANSWER_IN_THREAD", "true"),
            ("ROLEFAQ__DISCORD__ADMIN_CHANNEL_ID", "33"),
            ("ROLEFAQ__DISCORD__FAST_ANSWER_MS", "800"),
        ]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.discord.home_guild_ids, vec![11, 22]);
    assert!(!s.discord.answer_mentions && s.discord.answer_in_thread);
    assert_eq!(s.discord.admin_channel_id, Some(33));
    assert_eq!(s.discord.fast_answer_ms, 800);
    for (key, value, named) in [
        (
            "ROLEFAQ__DISCORD__FAST_ANSWER_MS",
            "3000",
            "discord.fast_answer_ms",
        ),
        (
            "ROLEFAQ__DISCORD__FAST_ANSWER_MS",
            "0",
            "discord.fast_answer_ms",
        ),
        (
            "ROLEFAQ__DISCORD__ADMIN_CHANNEL_ID",
            "0",
            "discord.admin_channel_id",
        ),
    ] {
        let err =
            Settings::load_with_env(None, false, &env(&[(key, value)]), &Overrides::default())
                .unwrap_err();
        assert!(err.to_string().contains(named), "{key}={value}: {err}");
    }
    // The shipped config.toml parses with the new keys.
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let s =
        Settings::load_with_env(Some(&shipped), false, &env(&[]), &Overrides::default()).unwrap();
    assert_eq!(s.discord.fast_answer_ms, 1200);
}

fn load_err(file_text: Option<&str>, pairs: &[(&str, &str)]) -> String {
    let none = Overrides::default();
    let r = match file_text {
        Some(t) => {
            let (_d, p) = file(t);
            Settings::load_with_env(Some(&p), true, &env(pairs), &none)
        }
        None => Settings::load_with_env(None, false, &env(pairs), &none),
    };
    match r {
        Ok(s) => panic!("accepted: {file_text:?} {pairs:?} gave {:?}", s.corpus),
        Err(e) => e.to_string(),
    }
}

#[test]
fn settings_that_would_drop_every_document_are_refused_naming_the_key() {
    let e = load_err(Some("[corpus]\nrepeated_line_min_docs = 1\n"), &[]);
    assert!(e.contains("corpus.repeated_line_min_docs"), "{e}");
    let e = load_err(None, &[("ROLEFAQ__CORPUS__MAX_FILE_BYTES", "0")]);
    assert!(e.contains("corpus.max_file_bytes"), "{e}");
    // 0 switches the repeated-line rule off, 2 and more are fine
    for ok in ["0", "2", "7"] {
        let e = env(&[("ROLEFAQ__CORPUS__REPEATED_LINE_MIN_DOCS", ok)]);
        assert!(Settings::load_with_env(None, false, &e, &Overrides::default()).is_ok());
    }
}

#[test]
fn fractional_and_oversized_integers_are_refused_naming_the_key() {
    let e = load_err(Some("[search]\ntop = 2.5\n"), &[]);
    assert!(e.contains("search.top") && e.contains("2.5"), "{e}");
    let e = load_err(None, &[("ROLEFAQ__CORPUS__MAX_FILE_BYTES", "1000.5")]);
    assert!(e.contains("corpus.max_file_bytes"), "{e}");
    let e = load_err(Some("[corpus]\nrepeated_line_min_docs = 2.4\n"), &[]);
    assert!(e.contains("corpus.repeated_line_min_docs"), "{e}");
    let e = load_err(
        Some("[index]\nmax_passage_chars = 99999999999999999999\n"),
        &[],
    );
    assert!(e.contains("index.max_passage_chars"), "{e}");
    let e = load_err(
        None,
        &[("ROLEFAQ__SEARCH__MAX_QUERY_CHARS", "99999999999999999999")],
    );
    assert!(e.contains("search.max_query_chars"), "{e}");
    let e = load_err(None, &[("ROLEFAQ__DISCORD__COOLDOWN_SECS", "-3")]);
    assert!(e.contains("discord.cooldown_secs"), "{e}");
    // whole numbers still load
    let s = Settings::load_with_env(
        None,
        false,
        &env(&[("ROLEFAQ__SEARCH__TOP", "4")]),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(s.search.top, 4);
}

#[test]
fn the_config_file_is_searched_for_in_a_documented_order() {
    let d = tempfile::tempdir().unwrap();
    let cwd = d.path().join("work");
    let xdg = d.path().join("xdg");
    let home = d.path().join("home");
    for dir in [&cwd, &xdg.join("rolefaq"), &home.join(".config/rolefaq")] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let xdg_s = xdg.display().to_string();
    let home_s = home.display().to_string();
    let e = env(&[("XDG_CONFIG_HOME", &xdg_s), ("HOME", &home_s)]);
    let found = |flag: Option<&str>, e: &HashMap<String, String>| {
        locate_config(flag.map(std::path::Path::new), e, &cwd)
            .map(|l| (l.path, l.required, l.named_by))
    };
    // nothing anywhere: built-in defaults
    assert_eq!(found(None, &e), None);
    // the user's config directory: $XDG_CONFIG_HOME, else ~/.config
    std::fs::write(home.join(".config/rolefaq/config.toml"), "").unwrap();
    let home_only = env(&[("HOME", &home_s)]);
    assert_eq!(
        found(None, &home_only),
        Some((
            home.join(".config/rolefaq/config.toml"),
            false,
            "the user config directory"
        ))
    );
    assert_eq!(found(None, &e), None, "XDG_CONFIG_HOME replaces ~/.config");
    std::fs::write(xdg.join("rolefaq/config.toml"), "").unwrap();
    assert_eq!(
        found(None, &e),
        Some((
            xdg.join("rolefaq/config.toml"),
            false,
            "the user config directory"
        ))
    );
    // ./config.toml before the user's
    std::fs::write(cwd.join("config.toml"), "").unwrap();
    assert_eq!(
        found(None, &e),
        Some((PathBuf::from("config.toml"), false, "./config.toml"))
    );
    // ROLEFAQ_CONFIG before that, and required
    let mut with_var = e.clone();
    with_var.insert("ROLEFAQ_CONFIG".into(), "/etc/rolefaq.toml".into());
    assert_eq!(
        found(None, &with_var),
        Some((PathBuf::from("/etc/rolefaq.toml"), true, "ROLEFAQ_CONFIG"))
    );
    // --config first of all
    assert_eq!(
        found(Some("mine.toml"), &with_var),
        Some((PathBuf::from("mine.toml"), true, "--config"))
    );
}

#[test]
fn paths_from_the_file_are_relative_to_it_those_from_env_and_flags_are_not() {
    let (d, p) = file("[corpus]\ndir = \"docs\"\n[model]\ndir = \"/opt/model\"\n");
    let none = Overrides::default();
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap();
    assert_eq!(s.corpus.dir, d.path().join("docs"));
    assert_eq!(
        s.index.dir,
        d.path().join("index"),
        "defaults too, beside the file"
    );
    assert_eq!(
        s.model.dir,
        PathBuf::from("/opt/model"),
        "absolute paths kept"
    );
    let e = env(&[("ROLEFAQ__INDEX__DIR", "env-index")]);
    let flags = Overrides {
        corpus_dir: Some("flag-corpus".into()),
        ..Default::default()
    };
    let s = Settings::load_with_env(Some(&p), true, &e, &flags).unwrap();
    assert_eq!(s.index.dir, PathBuf::from("env-index"));
    assert_eq!(s.corpus.dir, PathBuf::from("flag-corpus"));
    // without a file, the defaults are relative to the current directory
    let s = Settings::load_with_env(None, false, &env(&[]), &none).unwrap();
    assert_eq!(s.corpus.dir, PathBuf::from("corpus"));
}

#[test]
fn a_bad_enum_value_names_the_key_and_lists_the_valid_values() {
    let (_d, p) = file("[model]\nquestion_precision = \"f16\"\n");
    let err = Settings::load_with_env(Some(&p), true, &env(&[]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("question_precision"), "{err}");
    assert!(
        err.contains("'f16'") && err.contains("\"q8\"") && err.contains("\"f32\""),
        "{err}"
    );
    assert!(!err.contains("variant constructor"), "{err}");
}

#[test]
fn a_missing_required_file_is_named_once() {
    let err = Settings::load_with_env(
        Some(std::path::Path::new("/nonexistent/x.toml")),
        true,
        &env(&[]),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "config file /nonexistent/x.toml does not exist (named by --config)"
    );
}

#[test]
fn the_store_is_on_by_default_beside_the_index_and_its_settings_are_validated() {
    let none = Overrides::default();
    let s = Settings::load_with_env(None, false, &env(&[]), &none).unwrap();
    assert!(s.store.enabled);
    assert_eq!(s.store.retention_days, 90);
    assert_eq!(s.store_path(), PathBuf::from("questions.sqlite"));

    let (d, p) = file("[index]\ndir = \"data/index\"\n[store]\nretention_days = 30\n");
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap();
    assert_eq!(
        s.store_path(),
        d.path().join("data").join("questions.sqlite")
    );
    assert_eq!(s.store.retention_days, 30);

    let (d, p) = file("[store]\npath = \"db/q.sqlite\"\nenabled = false\n");
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap();
    assert_eq!(
        s.store_path(),
        d.path().join("db/q.sqlite"),
        "relative to the file"
    );
    assert!(!s.store.enabled);
    let s = Settings::load_with_env(
        Some(&p),
        true,
        &env(&[
            ("ROLEFAQ__STORE__PATH", "elsewhere.sqlite"),
            ("ROLEFAQ__STORE__ENABLED", "true"),
        ]),
        &none,
    )
    .unwrap();
    assert_eq!(
        s.store_path(),
        PathBuf::from("elsewhere.sqlite"),
        "from the environment: as given"
    );
    assert!(s.store.enabled);

    for bad in [
        "retention_days = 0",
        "retention_days = 4000",
        "retention_days = 1.5",
        "path = \"\"",
        "keep = 3",
    ] {
        let msg = load_err(Some(&format!("[store]\n{bad}\n")), &[]);
        assert!(
            msg.contains("store") || msg.contains("keep"),
            "{bad}: {msg}"
        );
    }
    let msg = load_err(Some("[store]\nretention_days = 0\n"), &[]);
    assert!(
        msg.contains("store.retention_days must be between 1 and 3650"),
        "{msg}"
    );
}

#[test]
fn http_interaction_keys_are_read_overridden_and_validated() {
    let none = Overrides::default();
    let d = Settings::load_with_env(None, false, &env(&[]), &none).unwrap();
    assert_eq!(d.discord.http_listen, "", "the gateway by default");
    assert_eq!(d.discord.public_key, "");
    let key = "a".repeat(64);
    let (_d, p) = file(&format!(
        "[discord]\nhttp_listen = \"127.0.0.1:8080\"\npublic_key = \"{key}\"\n"
    ));
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap();
    assert_eq!(s.discord.http_listen, "127.0.0.1:8080");
    assert_eq!(s.discord.public_key, key);
    // The key from the environment wins over the file's.
    let other = "b".repeat(64);
    let e = env(&[("ROLEFAQ__DISCORD__PUBLIC_KEY", other.as_str())]);
    let s = Settings::load_with_env(Some(&p), true, &e, &none).unwrap();
    assert_eq!(s.discord.public_key, other);
    for (vars, named) in [
        (
            vec![("ROLEFAQ__DISCORD__HTTP_LISTEN", "localhost")],
            "discord.http_listen",
        ),
        (
            vec![("ROLEFAQ__DISCORD__HTTP_LISTEN", "127.0.0.1:8080")],
            "discord.public_key",
        ),
        (
            vec![("ROLEFAQ__DISCORD__PUBLIC_KEY", "abc")],
            "discord.public_key",
        ),
    ] {
        let err = Settings::load_with_env(None, false, &env(&vars), &none).unwrap_err();
        assert!(err.to_string().contains(named), "{vars:?}: {err}");
    }
}

#[test]
fn the_store_url_comes_from_file_or_environment_and_its_password_only_from_the_environment() {
    let none = Overrides::default();
    let d = Settings::load_with_env(None, false, &env(&[]), &none).unwrap();
    assert_eq!(d.store.postgres_url(), None, "SQLite by default");
    assert_eq!(d.store.timeout_secs, 5);

    let (_d, p) = file("[store]\nurl = \"postgres://rolefaq@127.0.0.1:5432/rolefaq\"\n");
    let s = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap();
    assert_eq!(
        s.store.postgres_url(),
        Some("postgres://rolefaq@127.0.0.1:5432/rolefaq")
    );
    let secret = "hunter2-store-pw";
    let url = format!("postgres://rolefaq:{secret}@db.internal:5432/rolefaq");
    let s = Settings::load_with_env(
        Some(&p),
        true,
        &env(&[
            ("ROLEFAQ__STORE__URL", &url),
            ("ROLEFAQ__STORE__TIMEOUT_SECS", "2"),
        ]),
        &none,
    )
    .unwrap();
    assert_eq!(
        s.store.postgres_url(),
        Some(url.as_str()),
        "the environment wins"
    );
    assert_eq!(s.store.timeout_secs, 2);
    assert!(!format!("{s:?}").contains(secret), "never in Debug");
    let shown = rolefaq::store::redacted_url(&url);
    assert_eq!(shown, "postgres://rolefaq:***@db.internal:5432/rolefaq");
    let shown = rolefaq::store::redacted_url(&format!(
        "postgresql://u@h/db?password={secret}&application_name=x"
    ));
    assert!(
        !shown.contains(secret) && shown.contains("application_name=x"),
        "{shown}"
    );
    // An empty URL from the environment switches back to SQLite.
    let s = Settings::load_with_env(Some(&p), true, &env(&[("ROLEFAQ__STORE__URL", "")]), &none)
        .unwrap();
    assert_eq!(s.store.postgres_url(), None);

    for text in [
        format!("[store]\nurl = \"{url}\"\n"),
        format!("[store]\nurl = \"postgres://u@h/db?password={secret}\"\n"),
    ] {
        let (_d, p) = file(&text);
        let err = Settings::load_with_env(Some(&p), true, &env(&[]), &none).unwrap_err();
        assert!(matches!(err, ConfigError::PasswordInFile(_)), "{err}");
        assert!(err.to_string().contains("PGPASSWORD"), "{err}");
        assert!(!err.to_string().contains(secret), "{err}");
    }
    for (key, value) in [
        ("ROLEFAQ__STORE__URL", "mysql://u:secretvalue@h/db"),
        ("ROLEFAQ__STORE__URL", "secretvalue"),
        ("ROLEFAQ__STORE__TIMEOUT_SECS", "0"),
        ("ROLEFAQ__STORE__TIMEOUT_SECS", "61"),
    ] {
        let err = Settings::load_with_env(None, false, &env(&[(key, value)]), &none).unwrap_err();
        assert!(err.to_string().contains("store."), "{key}={value}: {err}");
        assert!(!err.to_string().contains("secretvalue"), "{err}");
    }
}
