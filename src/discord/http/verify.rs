//! Ed25519 request signatures of Discord's outgoing interactions (pure: no I/O, no
//! serenity). Discord signs `timestamp ‖ body` with the application's key and sends
//! the signature (hex) in `X-Signature-Ed25519` and the timestamp (Unix seconds) in
//! `X-Signature-Timestamp`; the public key (hex) is on the application's page of the
//! Developer Portal. A request more than [`MAX_SKEW`] from now, either way, is stale.

use ed25519_dalek::{Signature, VerifyingKey, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH};
use std::time::Duration;

/// How far a request's timestamp may be from now (either way).
pub const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// Why a request was refused (each is answered with 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no signature or timestamp header")]
    Unsigned,
    #[error("the signature or timestamp is malformed")]
    Malformed,
    #[error("the timestamp is more than 5 minutes from now")]
    Stale,
    #[error("the signature does not match")]
    Forged,
}

/// The application's public key is not 32 bytes of hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("discord.public_key must be the application's public key: 32 bytes as 64 hex digits ({0})")]
pub struct BadKey(String);

/// The application's public key.
#[derive(Debug, Clone)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn from_hex(hex_key: &str) -> Result<Self, BadKey> {
        let bytes = hex::decode(hex_key.trim()).map_err(|e| BadKey(e.to_string()))?;
        let bytes: [u8; PUBLIC_KEY_LENGTH] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| BadKey(format!("{} bytes", b.len())))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| BadKey("not a point of the curve".into()))
    }

    pub fn from_key(key: VerifyingKey) -> Self {
        Self(key)
    }
}

/// Check a request: its signature header (hex), its timestamp header (Unix seconds)
/// and its raw body, at `now_unix` seconds.
pub fn check(
    key: &PublicKey,
    signature_hex: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now_unix: u64,
) -> Result<(), Rejection> {
    let (Some(sig), Some(ts)) = (signature_hex, timestamp) else {
        return Err(Rejection::Unsigned);
    };
    let sig = sig.trim();
    if sig.len() != SIGNATURE_LENGTH * 2 || ts.is_empty() || ts.len() > 20 {
        return Err(Rejection::Malformed);
    }
    let mut raw = [0u8; SIGNATURE_LENGTH];
    hex::decode_to_slice(sig, &mut raw).map_err(|_| Rejection::Malformed)?;
    let at: u64 = ts.parse().map_err(|_| Rejection::Malformed)?;
    if at.abs_diff(now_unix) > MAX_SKEW.as_secs() {
        return Err(Rejection::Stale);
    }
    let mut message = Vec::with_capacity(ts.len() + body.len());
    message.extend_from_slice(ts.as_bytes());
    message.extend_from_slice(body);
    key.0
        .verify_strict(&message, &Signature::from_bytes(&raw))
        .map_err(|_| Rejection::Forged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const NOW: u64 = 1_800_000_000;

    fn signer(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn sign(k: &SigningKey, ts: &str, body: &[u8]) -> String {
        let mut m = ts.as_bytes().to_vec();
        m.extend_from_slice(body);
        hex::encode(k.sign(&m).to_bytes())
    }

    fn public(k: &SigningKey) -> PublicKey {
        PublicKey::from_hex(&hex::encode(k.verifying_key().to_bytes())).unwrap()
    }

    #[test]
    fn a_signed_request_passes_and_every_kind_of_bad_one_is_refused() {
        let k = signer(7);
        let key = public(&k);
        let body = br#"{"type":1}"#;
        let ts = NOW.to_string();
        let sig = sign(&k, &ts, body);
        assert_eq!(check(&key, Some(&sig), Some(&ts), body, NOW), Ok(()));
        // Within the window either way.
        assert_eq!(check(&key, Some(&sig), Some(&ts), body, NOW + 300), Ok(()));
        assert_eq!(check(&key, Some(&sig), Some(&ts), body, NOW - 300), Ok(()));
        // Unsigned.
        assert_eq!(
            check(&key, None, Some(&ts), body, NOW),
            Err(Rejection::Unsigned)
        );
        assert_eq!(
            check(&key, Some(&sig), None, body, NOW),
            Err(Rejection::Unsigned)
        );
        // Another key's signature.
        let forged = sign(&signer(8), &ts, body);
        assert_eq!(
            check(&key, Some(&forged), Some(&ts), body, NOW),
            Err(Rejection::Forged)
        );
        // The body or the timestamp changed after signing.
        assert_eq!(
            check(&key, Some(&sig), Some(&ts), br#"{"type":2}"#, NOW),
            Err(Rejection::Forged)
        );
        let later = (NOW + 1).to_string();
        assert_eq!(
            check(&key, Some(&sig), Some(&later), body, NOW),
            Err(Rejection::Forged)
        );
        // Stale: more than 5 minutes old or ahead, even when correctly signed.
        for at in [NOW - 301, NOW + 301] {
            let ts = at.to_string();
            let sig = sign(&k, &ts, body);
            assert_eq!(
                check(&key, Some(&sig), Some(&ts), body, NOW),
                Err(Rejection::Stale)
            );
        }
        // Malformed headers.
        for (s, t) in [
            ("zz", ts.as_str()),
            (&sig[..126], ts.as_str()),
            (&"g".repeat(128), ts.as_str()),
            (sig.as_str(), "soon"),
            (sig.as_str(), ""),
            (sig.as_str(), "-5"),
        ] {
            assert_eq!(
                check(&key, Some(s), Some(t), body, NOW),
                Err(Rejection::Malformed),
                "{s:?} {t:?}"
            );
        }
    }

    #[test]
    fn the_public_key_must_be_32_bytes_of_hex() {
        let k = signer(3);
        assert!(PublicKey::from_hex(&hex::encode(k.verifying_key().to_bytes())).is_ok());
        assert!(PublicKey::from_hex("abcd").is_err());
        assert!(PublicKey::from_hex(&"x".repeat(64)).is_err());
        assert!(PublicKey::from_hex("").is_err());
        let e = PublicKey::from_hex("00").unwrap_err().to_string();
        assert!(e.contains("64 hex digits"), "{e}");
    }
}
