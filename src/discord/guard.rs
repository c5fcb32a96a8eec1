//! Checks that run before the core is called: per-user cooldown, who may rebuild the
//! shared index (`/reindex`), and the loopback guard that keeps tests (and test mode) off Discord.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Environment variable that turns on test mode (`ROLEFAQ_TEST_MODE=1`).
pub const TEST_MODE_ENV: &str = "ROLEFAQ_TEST_MODE";

/// Discord's own REST base; anything else is a proxy or a fake.
pub const DISCORD_API_BASE: &str = "https://discord.com";

/// True in unit tests of this crate or when `ROLEFAQ_TEST_MODE=1`.
pub fn test_mode() -> bool {
    cfg!(test) || std::env::var(TEST_MODE_ENV).is_ok_and(|v| v.trim() == "1")
}

/// Why an endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("{what} '{url}' is not a valid URL: {reason}")]
    Invalid {
        what: &'static str,
        url: String,
        reason: String,
    },
    #[error(
        "{what} '{url}' is not on the loopback interface; in test mode \
         (ROLEFAQ_TEST_MODE=1) only 127.0.0.1, ::1 and localhost are allowed"
    )]
    NotLoopback { what: &'static str, url: String },
}

/// True when `host` names the loopback interface.
fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Check a REST base or gateway URL. `what` names it in the error ("api_base",
/// "gateway URL"). When `test_mode` is on, the host must be loopback.
pub fn check_endpoint(what: &'static str, raw: &str, test_mode: bool) -> Result<(), EndpointError> {
    let parsed = url::Url::parse(raw.trim()).map_err(|e| EndpointError::Invalid {
        what,
        url: raw.to_string(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https" | "ws" | "wss") {
        return Err(EndpointError::Invalid {
            what,
            url: raw.to_string(),
            reason: format!("unsupported scheme '{}'", parsed.scheme()),
        });
    }
    let Some(host) = parsed.host() else {
        return Err(EndpointError::Invalid {
            what,
            url: raw.to_string(),
            reason: "no host".into(),
        });
    };
    if test_mode && !is_loopback_host(&host) {
        return Err(EndpointError::NotLoopback {
            what,
            url: raw.to_string(),
        });
    }
    Ok(())
}

/// True when the REST base is Discord itself (no proxy needed).
pub fn is_discord(api_base: &str) -> bool {
    api_base.trim().trim_end_matches('/') == DISCORD_API_BASE
}

/// Per-user cooldown between questions. A cooldown of zero disables it.
#[derive(Debug)]
pub struct Cooldown {
    period: Duration,
    last: Mutex<HashMap<u64, Instant>>,
}

impl Cooldown {
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Record a use by `user` at `now`, or return how long they still have to wait.
    pub fn check(&self, user: u64, now: Instant) -> Result<(), Duration> {
        if self.period.is_zero() {
            return Ok(());
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(prev) = last.get(&user) {
            let since = now.saturating_duration_since(*prev);
            if since < self.period {
                return Err(self.period - since);
            }
        }
        last.insert(user, now);
        // Keep the map small: forget users whose cooldown is long over.
        if last.len() > 10_000 {
            let period = self.period;
            last.retain(|_, t| now.saturating_duration_since(*t) < period);
        }
        Ok(())
    }
}

/// Who is asking, as far as the `/reindex` check is concerned.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user_id: u64,
    /// The server the command came from (None in DMs).
    pub guild_id: Option<u64>,
    /// Role ids of the member (empty in DMs).
    pub role_ids: Vec<u64>,
    /// The member has the ADMINISTRATOR permission in that server.
    pub administrator: bool,
}

/// Who may rebuild the index the whole process shares (`discord.admin_user_ids`,
/// `admin_role_ids`, `home_guild_ids`).
#[derive(Debug, Clone, Copy)]
pub struct ReindexPolicy<'a> {
    pub admin_user_ids: &'a [u64],
    pub admin_role_ids: &'a [u64],
    pub home_guild_ids: &'a [u64],
}

/// Why a `/reindex` may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReindexGrant {
    /// Listed in `admin_user_ids`: from any server or a DM.
    AdminUser,
    /// Has a role of `admin_role_ids` (a role id belongs to one server).
    AdminRole,
    /// In a home server, where Discord let them invoke it: an administrator, or a
    /// member a server admin opened `/reindex` to (Server Settings › Integrations).
    HomeServer,
}

/// Why a `/reindex` is refused; the `Display` text is shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReindexRefusal {
    #[error(
        "In direct messages only the bot's configured admins (discord.admin_user_ids) can \
         rebuild the index. Ask the bot's operator to add your user id, or use /reindex in \
         one of the bot's home servers."
    )]
    DirectMessage,
    #[error(
        "This server is not one of the bot's home servers (discord.home_guild_ids). The index \
         is shared by every server the bot is in, so only the admins of its home servers \
         (or users in discord.admin_user_ids) can rebuild it{admin_hint}."
    )]
    NotHomeServer { admin_hint: AdminHint },
    #[error(
        "Only administrators of this server (or the bot's configured admins) can add or \
         remove documents: the corpus is shared by every server the bot is in."
    )]
    NotAdministrator,
}

/// Whether a refused caller was a server administrator (the refusal says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminHint(pub bool);

impl std::fmt::Display for AdminHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 {
            f.write_str(": being an administrator of this server is not enough")
        } else {
            Ok(())
        }
    }
}

/// May this caller rebuild the shared index? Discord has already decided that they
/// may invoke `/reindex` where they are (`default_member_permissions` and the
/// server's overrides); this decides which servers and people may rebuild what every
/// server is served.
pub fn may_reindex(c: &Caller, p: &ReindexPolicy<'_>) -> Result<ReindexGrant, ReindexRefusal> {
    if p.admin_user_ids.contains(&c.user_id) {
        return Ok(ReindexGrant::AdminUser);
    }
    let Some(guild) = c.guild_id else {
        return Err(ReindexRefusal::DirectMessage);
    };
    if c.role_ids.iter().any(|r| p.admin_role_ids.contains(r)) {
        return Ok(ReindexGrant::AdminRole);
    }
    if p.home_guild_ids.contains(&guild) {
        return Ok(ReindexGrant::HomeServer);
    }
    Err(ReindexRefusal::NotHomeServer {
        admin_hint: AdminHint(c.administrator),
    })
}

/// May this caller change the corpus (`/sources add|remove`)? As [`may_reindex`], but
/// `/sources` is open to every member (its `list`), so in a home server Discord's
/// permission gate is not there: the member must hold ADMINISTRATOR themselves.
pub fn may_change_corpus(
    c: &Caller,
    p: &ReindexPolicy<'_>,
) -> Result<ReindexGrant, ReindexRefusal> {
    match may_reindex(c, p)? {
        ReindexGrant::HomeServer if !c.administrator => Err(ReindexRefusal::NotAdministrator),
        g => Ok(g),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_administrators_and_configured_admins_change_the_corpus() {
        let p = ReindexPolicy {
            admin_user_ids: &[1],
            admin_role_ids: &[50],
            home_guild_ids: &[7],
        };
        let who = |user_id, guild_id, role_ids: Vec<u64>, administrator| Caller {
            user_id,
            guild_id,
            role_ids,
            administrator,
        };
        assert!(may_change_corpus(&who(1, None, vec![], false), &p).is_ok());
        assert!(may_change_corpus(&who(2, Some(9), vec![50], false), &p).is_ok());
        assert!(may_change_corpus(&who(2, Some(7), vec![], true), &p).is_ok());
        assert_eq!(
            may_change_corpus(&who(2, Some(7), vec![], false), &p),
            Err(ReindexRefusal::NotAdministrator)
        );
        assert!(may_change_corpus(&who(2, Some(9), vec![], true), &p).is_err());
        assert!(may_change_corpus(&who(2, None, vec![], true), &p).is_err());
    }

    #[test]
    fn loopback_guard_refuses_discord_in_test_mode() {
        assert!(test_mode());
        for bad in [
            "https://discord.com",
            "wss://gateway.discord.gg",
            "http://10.0.0.1:8080",
            "http://127.0.0.1.example.com",
        ] {
            assert!(
                matches!(
                    check_endpoint("api_base", bad, true),
                    Err(EndpointError::NotLoopback { .. })
                ),
                "{bad} accepted"
            );
        }
        for good in [
            "http://127.0.0.1:3000",
            "ws://localhost:1",
            "http://[::1]:80",
        ] {
            assert_eq!(check_endpoint("api_base", good, true), Ok(()), "{good}");
        }
        assert!(check_endpoint("api_base", "https://discord.com", false).is_ok());
        assert!(check_endpoint("api_base", "not a url", false).is_err());
        assert!(check_endpoint("api_base", "ftp://127.0.0.1", true).is_err());
    }

    #[test]
    fn cooldown_blocks_then_releases() {
        let c = Cooldown::new(Duration::from_secs(3));
        let t0 = Instant::now();
        assert!(c.check(1, t0).is_ok());
        assert!(c.check(1, t0 + Duration::from_secs(1)).is_err());
        assert!(c.check(2, t0 + Duration::from_secs(1)).is_ok());
        assert!(c.check(1, t0 + Duration::from_secs(3)).is_ok());
        let off = Cooldown::new(Duration::ZERO);
        assert!(off.check(1, t0).is_ok() && off.check(1, t0).is_ok());
    }

    #[test]
    fn reindex_is_for_admin_users_anywhere_and_home_servers_only() {
        let p = ReindexPolicy {
            admin_user_ids: &[10],
            admin_role_ids: &[20],
            home_guild_ids: &[100],
        };
        let mut c = Caller {
            user_id: 1,
            guild_id: Some(200),
            administrator: true,
            ..Default::default()
        };
        // An administrator of a server that is not a home server.
        let e = may_reindex(&c, &p).unwrap_err();
        assert!(e.to_string().contains("not enough"), "{e}");
        c.administrator = false;
        assert!(!may_reindex(&c, &p)
            .unwrap_err()
            .to_string()
            .contains("not enough"));
        // Anyone Discord let through in a home server.
        c.guild_id = Some(100);
        assert_eq!(may_reindex(&c, &p), Ok(ReindexGrant::HomeServer));
        // An admin role, wherever its server is.
        c.guild_id = Some(200);
        c.role_ids = vec![5, 20];
        assert_eq!(may_reindex(&c, &p), Ok(ReindexGrant::AdminRole));
        // DMs: admin users only.
        c.guild_id = None;
        assert_eq!(may_reindex(&c, &p), Err(ReindexRefusal::DirectMessage));
        c.user_id = 10;
        assert_eq!(may_reindex(&c, &p), Ok(ReindexGrant::AdminUser));
        c.guild_id = Some(200);
        c.role_ids.clear();
        assert_eq!(may_reindex(&c, &p), Ok(ReindexGrant::AdminUser));
    }
}
