//! Sealing secret values at rest with AES-256-GCM.
//!
//! A database file or a database backup should not hand out the private keys and passwords
//! it holds. Each secret is encrypted with the secrets key before it is written, with a fresh
//! random 96-bit nonce, and stored as the text `sealed:v1:<base64(nonce || ciphertext)>`, so
//! a sealed value stays a JSON string and the back-ends need not know about it.
//!
//! The associated data names where the value lives (resource path and property). GCM
//! authenticates it, so a sealed value copied into another resource or property, or altered
//! in any way, does not open: an attacker with write access to the database cannot make the
//! gateway present one certificate's key under another certificate's name.

use std::fmt;

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use thiserror::Error;
use zeroize::Zeroizing;

/// The length of a secrets key: 32 bytes, AES-256.
pub const KEY_LEN: usize = 32;

/// What every sealed value starts with; the version names the format and the algorithm.
const PREFIX: &str = "sealed:v1:";

/// GCM's standard nonce length: 96 bits.
const NONCE_LEN: usize = 12;

/// GCM's authentication tag, appended to the ciphertext.
const TAG_LEN: usize = 16;

/// Why a value could not be sealed or opened, or a key not made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The key is not 32 bytes long.
    #[error("a secrets key is exactly {KEY_LEN} bytes, not {actual}")]
    KeyLength {
        /// How many bytes were given.
        actual: usize,
    },
    /// The operating system's random number generator failed.
    #[error("the system's random number generator failed")]
    Random,
    /// The value is too long for AES-GCM (not reachable with configuration-sized values).
    #[error("the value is too long to seal")]
    TooLong,
    /// The text is not a sealed value of a known format.
    #[error("not a sealed value: {0}")]
    Malformed(&'static str),
    /// Authentication failed: another key sealed it, or it was altered or moved.
    #[error(
        "it does not open with this secrets key: it was sealed with another key, or altered, or moved from another resource"
    )]
    Authentication,
    /// The opened value is not UTF-8 text (sealed values are always text).
    #[error("the opened value is not text")]
    NotText,
}

/// The key secrets are sealed with. It never leaves this type: no accessor returns it and
/// `Debug` does not show it, so it cannot reach a log by accident.
#[derive(Clone)]
pub struct SecretsKey {
    cipher: Aes256Gcm,
}

impl SecretsKey {
    /// A key from its 32 bytes.
    ///
    /// # Errors
    /// [`SealError::KeyLength`] when `bytes` is not 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let cipher = Aes256Gcm::new_from_slice(bytes).map_err(|_| SealError::KeyLength {
            actual: bytes.len(),
        })?;
        Ok(Self { cipher })
    }

    /// 32 new random bytes from the operating system, for a new key file. Wiped when dropped.
    ///
    /// # Errors
    /// [`SealError::Random`] when the system's generator fails.
    pub fn generate_bytes() -> Result<Zeroizing<[u8; KEY_LEN]>, SealError> {
        <[u8; KEY_LEN]>::try_generate()
            .map(Zeroizing::new)
            .map_err(|_| SealError::Random)
    }

    /// Seals `plain`, bound to `associated` (where it will be stored).
    ///
    /// # Errors
    /// [`SealError::Random`] when no nonce can be drawn.
    pub fn seal(&self, plain: &str, associated: &str) -> Result<String, SealError> {
        let nonce = Nonce::try_generate().map_err(|_| SealError::Random)?;
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: associated.as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(&nonce, payload)
            .map_err(|_| SealError::TooLong)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", BASE64.encode(sealed)))
    }

    /// Opens a value [`SecretsKey::seal`] made with the same key and `associated` data.
    ///
    /// # Errors
    /// [`SealError::Malformed`] when `sealed` is not in the sealed format,
    /// [`SealError::Authentication`] when the key or the associated data differ or the value
    /// was altered, [`SealError::NotText`] when what it holds is not UTF-8.
    pub fn open(&self, sealed: &str, associated: &str) -> Result<String, SealError> {
        let encoded = sealed
            .strip_prefix(PREFIX)
            .ok_or(SealError::Malformed("unknown prefix or version"))?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| SealError::Malformed("not base64"))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed("too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| SealError::Malformed("bad nonce"))?;
        let payload = Payload {
            msg: ciphertext,
            aad: associated.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(&nonce, payload)
            .map_err(|_| SealError::Authentication)?;
        String::from_utf8(plain).map_err(|_| SealError::NotText)
    }
}

impl fmt::Debug for SecretsKey {
    /// The key stays out of `{:?}` output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretsKey(..)")
    }
}

/// Whether `value` is in the sealed format (as opposed to a value stored before sealing
/// existed).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretsKey {
        SecretsKey::from_bytes(&[byte; KEY_LEN]).unwrap()
    }

    const HERE: &str = "certificates/client-a#privateKey";

    #[test]
    fn a_sealed_value_opens_to_the_original_and_does_not_show_it() {
        let sealed = key(1).seal("MIGHAgEAMBMGByqGSM49", HERE).unwrap();

        assert!(is_sealed(&sealed), "{sealed}");
        assert!(!sealed.contains("MIGHAgEAMBMGByqGSM49"));
        assert_eq!(key(1).open(&sealed, HERE).unwrap(), "MIGHAgEAMBMGByqGSM49");
    }

    #[test]
    fn each_seal_draws_a_new_nonce() {
        let (a, b) = (
            key(1).seal("same", HERE).unwrap(),
            key(1).seal("same", HERE).unwrap(),
        );

        assert_ne!(a, b);
        assert_eq!(key(1).open(&b, HERE).unwrap(), "same");
    }

    #[test]
    fn a_tampered_ciphertext_does_not_open() {
        let sealed = key(1).seal("secret", HERE).unwrap();
        let mut bytes = BASE64.decode(&sealed[PREFIX.len()..]).unwrap();
        let last = bytes.len() - 1;
        bytes[NONCE_LEN] ^= 1;
        bytes[last] ^= 0x80;
        let tampered = format!("{PREFIX}{}", BASE64.encode(bytes));

        assert_eq!(key(1).open(&tampered, HERE), Err(SealError::Authentication));
    }

    #[test]
    fn a_value_moved_to_another_resource_does_not_open() {
        let sealed = key(1).seal("secret", HERE).unwrap();

        assert_eq!(
            key(1).open(&sealed, "certificates/client-b#privateKey"),
            Err(SealError::Authentication)
        );
    }

    #[test]
    fn another_key_does_not_open_it() {
        let sealed = key(1).seal("secret", HERE).unwrap();

        let error = key(2).open(&sealed, HERE).unwrap_err();

        assert_eq!(error, SealError::Authentication);
        assert!(error.to_string().contains("another key"), "{error}");
    }

    #[test]
    fn malformed_values_are_refused_without_panicking() {
        for text in [
            "plain",
            "sealed:v2:AAAA",
            "sealed:v1:not base64!",
            "sealed:v1:AAAA",
            "sealed:v1:",
        ] {
            assert!(
                matches!(key(1).open(text, HERE), Err(SealError::Malformed(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn keys_are_exactly_32_bytes_and_never_shown() {
        assert_eq!(
            SecretsKey::from_bytes(&[0; 31]).unwrap_err(),
            SealError::KeyLength { actual: 31 }
        );
        let bytes = SecretsKey::generate_bytes().unwrap();
        assert_ne!(*bytes, [0; KEY_LEN]);
        let key = SecretsKey::from_bytes(&*bytes).unwrap();
        assert_eq!(format!("{key:?}"), "SecretsKey(..)");
    }
}
