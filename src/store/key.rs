//! The keyed hash that stands for a user id in the store: HMAC-SHA256 under a
//! per-installation secret, so distinct askers and one vote per person can be
//! counted while the ids themselves are never written (and cannot be found by
//! hashing every id: the key is needed).

use super::StoreError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The environment variable that gives the key instead of the key file (at
/// least 16 characters; several bot processes sharing a store share it).
pub const KEY_ENV: &str = "ROLEFAQ_STORE_KEY";

const KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct AskerKey(Vec<u8>);

impl std::fmt::Debug for AskerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AskerKey(***)")
    }
}

impl AskerKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(secret.to_vec())
    }

    /// The key file beside a store file: `rolefaq.sqlite` → `rolefaq.sqlite.key`.
    pub fn path_for(store: &Path) -> PathBuf {
        let mut name = store.file_name().unwrap_or_default().to_os_string();
        name.push(".key");
        store.with_file_name(name)
    }

    /// The key from `env_value` (the [`KEY_ENV`] variable) when set, else
    /// from the key file beside `store`, created (mode 0600, 32 random bytes)
    /// when missing.
    pub fn load_or_create(store: &Path, env_value: Option<&str>) -> Result<Self, StoreError> {
        if let Some(v) = env_value.map(str::trim).filter(|v| !v.is_empty()) {
            if v.chars().count() < 16 {
                return Err(StoreError::BadKey(format!(
                    "{KEY_ENV} must be at least 16 characters"
                )));
            }
            return Ok(Self::new(v.as_bytes()));
        }
        let path = Self::path_for(store);
        let err = |source| StoreError::Key {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() >= 16 => return Ok(Self(bytes)),
            Ok(_) => {
                return Err(StoreError::BadKey(format!(
                    "{} is shorter than 16 bytes",
                    path.display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
        let mut key = vec![0u8; KEY_BYTES];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .map_err(err)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut f) => {
                f.write_all(&key).and_then(|()| f.sync_all()).map_err(err)?;
                tracing::info!(path = %path.display(), "created the store's asker key");
                Ok(Self(key))
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::fs::read(&path).map(Self).map_err(err)
            }
            Err(e) => Err(err(e)),
        }
    }

    /// The keyed hash of a user id: 32 hex digits (128 bits of the HMAC).
    pub fn hash(&self, user: &str) -> String {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(user.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}
