//! Checks that run before the core is called: per-user cooldown, the admin check of
//! `/reindex`, and the loopback guard that keeps tests (and test mode) off Discord.

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

/// Who is asking, as far as the admin check is concerned.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user_id: u64,
    /// Role ids of the member (empty in DMs).
    pub role_ids: Vec<u64>,
    /// The member has the ADMINISTRATOR permission in this channel.
    pub administrator: bool,
}

/// May this caller run `/reindex`?
pub fn is_admin(caller: &Caller, admin_user_ids: &[u64], admin_role_ids: &[u64]) -> bool {
    caller.administrator
        || admin_user_ids.contains(&caller.user_id)
        || caller.role_ids.iter().any(|r| admin_role_ids.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn admin_by_user_role_or_permission() {
        let users = [10];
        let roles = [20];
        let mut c = Caller {
            user_id: 1,
            ..Default::default()
        };
        assert!(!is_admin(&c, &users, &roles));
        c.role_ids = vec![5, 20];
        assert!(is_admin(&c, &users, &roles));
        c.role_ids.clear();
        c.administrator = true;
        assert!(is_admin(&c, &users, &roles));
        c.administrator = false;
        c.user_id = 10;
        assert!(is_admin(&c, &users, &roles));
    }
}
