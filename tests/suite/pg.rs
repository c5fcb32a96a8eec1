//! A PostgreSQL schema of its own for each test, on the server that
//! `ROLEFAQ_TEST_PG_URL` names (loopback only; `scripts/with-postgres.sh` starts
//! one and sets it). Without the variable the PostgreSQL tests print a skip
//! line and pass, unless `ROLEFAQ_REQUIRE_PG=1` (CI), where a missing URL or an
//! unreachable server fails them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub const URL_ENV: &str = "ROLEFAQ_TEST_PG_URL";
pub const REQUIRE_ENV: &str = "ROLEFAQ_REQUIRE_PG";

/// A schema created for one test and dropped (with everything in it) after.
pub struct Schema {
    pub name: String,
    /// The server's URL with this schema as the `search_path` of every
    /// connection made with it.
    pub url: String,
    admin: Mutex<postgres::Client>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v.trim() == "1")
}

/// Skip (a line saying why) or, when PostgreSQL is required, fail.
fn unavailable(test: &str, why: &str) -> Option<Schema> {
    assert!(
        !required(),
        "{REQUIRE_ENV}=1 and the PostgreSQL test {test} cannot run: {why}"
    );
    // Straight to stderr: the test harness captures `eprintln!` of a passing test.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIP {test} (PostgreSQL): {why}; set {URL_ENV} to a loopback postgres:// URL \
         (scripts/with-postgres.sh does)"
    );
    None
}

/// True for 127.0.0.0/8, ::1 and localhost.
fn loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        // A postgres:// URL is not one of the special schemes: its host
        // comes back as text, addresses included.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// A fresh schema for `test`, or `None` (skipped) when no server is configured.
pub fn schema(test: &str) -> Option<Schema> {
    let Some(base) = std::env::var(URL_ENV).ok().filter(|u| !u.trim().is_empty()) else {
        return unavailable(test, &format!("{URL_ENV} is not set"));
    };
    let base = base.trim().to_string();
    let parsed = url::Url::parse(&base)
        .unwrap_or_else(|_| panic!("{URL_ENV} is not a URL (its value is not shown)"));
    assert!(
        matches!(parsed.scheme(), "postgres" | "postgresql") && loopback(&parsed),
        "{URL_ENV} must be a postgres:// URL on loopback (127.0.0.1, ::1, localhost): refused {}",
        rolefaq::store::redacted_url(&base)
    );
    let config: postgres::Config = match base.parse() {
        Ok(c) => c,
        Err(e) => panic!("{URL_ENV} does not parse as a PostgreSQL URL: {e}"),
    };
    let mut config = config;
    config.connect_timeout(Duration::from_secs(5));
    let mut admin = match config.connect(postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            let shown = rolefaq::store::redacted_url(&base);
            let e = rolefaq::store::StoreError::from(e);
            return unavailable(test, &format!("{shown} is unreachable ({e})"));
        }
    };
    let name = format!(
        "rolefaq_t{}_{}_{:08x}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..)
    );
    admin
        .batch_execute(&format!("CREATE SCHEMA {name}"))
        .expect("create the test's schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    // Percent-encoded by hand: the client decodes %XX but not '+'.
    let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
    Some(Schema {
        name,
        url,
        admin: Mutex::new(admin),
    })
}

impl Schema {
    /// Run SQL in this schema (on the test's own connection).
    pub fn exec(&self, sql: &str) {
        let mut c = self.admin.lock().unwrap();
        c.batch_execute(&format!("SET search_path TO {}; {sql}", self.name))
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }

    /// The versions in this schema's `schema_version`, in order.
    pub fn versions(&self) -> Vec<i64> {
        let mut c = self.admin.lock().unwrap();
        c.query(
            &format!(
                "SELECT version FROM {}.schema_version ORDER BY version",
                self.name
            ),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| i64::from(r.get::<_, i32>(0)))
        .collect()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let c = self.admin.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)) {
            eprintln!("test schema {} not dropped: {e}", self.name);
        }
    }
}
