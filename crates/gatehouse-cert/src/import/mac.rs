//! The PFX integrity check: HMAC keyed by the PKCS#12 password KDF (RFC 7292 B.2 and B.3).
//!
//! We verify the MAC ourselves rather than inside the PKCS#12 parser for three reasons:
//! it must run over the original bytes of BER files, before they are re-encoded; a file
//! "without password" may have been MACed with an empty password or with none at all
//! (OpenSSL tries both, and so do we); and a failed MAC is how "wrong password" is told
//! apart from "damaged file".

use aws_lc_rs::{digest, hmac};
use zeroize::Zeroizing;

use super::kdf::{self, Purpose};
use crate::der::{self, DerError, tag};

/// More iterations than any exporter uses; beyond this a file is treated as hostile (each
/// iteration costs a hash at upload time).
const MAX_ITERATIONS: u64 = 1_000_000;

/// Outcome of checking a MAC.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MacOutcome {
    /// A candidate password produced the stored MAC.
    Verified,
    /// Only the absent (zero-length) password produced it: the file was written with a NULL
    /// password, which also applies to its legacy encryption.
    VerifiedWithAbsentPassword,
    /// No candidate did.
    Mismatch,
}

/// Why the MAC could not be checked at all.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MacError {
    Malformed(DerError),
    Unsupported(String),
}

impl From<DerError> for MacError {
    fn from(error: DerError) -> Self {
        Self::Malformed(error)
    }
}

/// `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }`.
struct MacData<'a> {
    digest_oid: String,
    expected: &'a [u8],
    salt: &'a [u8],
    iterations: u64,
}

/// Checks `mac_data` (a DER `MacData`) over `content` with each password candidate.
///
/// `None` and `Some("")` try both the empty BMPString password (two zero bytes) and the
/// absent password (no bytes), as OpenSSL does.
pub(crate) fn verify(
    mac_data: &[u8],
    content: &[u8],
    password: Option<&str>,
) -> Result<MacOutcome, MacError> {
    let mac = parse_mac_data(mac_data)?;
    let algorithm = digest_for(&mac.digest_oid)?;
    if mac.iterations > MAX_ITERATIONS {
        return Err(MacError::Unsupported(format!(
            "{} MAC iterations (more than {MAX_ITERATIONS})",
            mac.iterations
        )));
    }

    for candidate in password_candidates(password) {
        let key = kdf::derive(
            algorithm,
            Purpose::Mac,
            &candidate,
            mac.salt,
            mac.iterations,
            algorithm.output_len(),
        );
        let hmac_key = hmac::Key::new(hmac_for(algorithm), &key);
        if hmac::verify(&hmac_key, content, mac.expected).is_ok() {
            let absent = candidate.is_empty();
            return Ok(if absent {
                MacOutcome::VerifiedWithAbsentPassword
            } else {
                MacOutcome::Verified
            });
        }
    }
    Ok(MacOutcome::Mismatch)
}

fn parse_mac_data(encoded: &[u8]) -> Result<MacData<'_>, MacError> {
    let mac_data = der::read_single(encoded, tag::SEQUENCE)?;
    let mut fields = mac_data.children();
    let digest_info = fields.read(tag::SEQUENCE)?;
    let salt = fields.read(tag::OCTET_STRING)?.value;
    let iterations = match fields.optional(tag::INTEGER)? {
        Some(count) => small_unsigned(count.value)?,
        None => 1,
    };

    let mut info_fields = digest_info.children();
    let algorithm = info_fields.read(tag::SEQUENCE)?;
    let expected = info_fields.read(tag::OCTET_STRING)?.value;
    let digest_oid = der::oid_to_string(algorithm.children().read(tag::OID)?.value)?;
    Ok(MacData {
        digest_oid,
        expected,
        salt,
        iterations,
    })
}

fn small_unsigned(content: &[u8]) -> Result<u64, DerError> {
    if content.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(DerError("negative iteration count"));
    }
    let magnitude = der::unsigned_integer(content);
    if magnitude.len() > 8 {
        return Ok(u64::MAX);
    }
    Ok(magnitude
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

fn digest_for(oid: &str) -> Result<&'static digest::Algorithm, MacError> {
    let algorithm = match oid {
        "1.3.14.3.2.26" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        "2.16.840.1.101.3.4.2.4" => &digest::SHA224,
        "2.16.840.1.101.3.4.2.1" => &digest::SHA256,
        "2.16.840.1.101.3.4.2.2" => &digest::SHA384,
        "2.16.840.1.101.3.4.2.3" => &digest::SHA512,
        "1.2.840.113549.1.5.14" => {
            return Err(MacError::Unsupported(
                "PBMAC1 integrity protection (RFC 9579)".to_owned(),
            ));
        }
        other => return Err(MacError::Unsupported(format!("MAC digest {other}"))),
    };
    Ok(algorithm)
}

fn hmac_for(algorithm: &'static digest::Algorithm) -> hmac::Algorithm {
    if algorithm == &digest::SHA224 {
        hmac::HMAC_SHA224
    } else if algorithm == &digest::SHA256 {
        hmac::HMAC_SHA256
    } else if algorithm == &digest::SHA384 {
        hmac::HMAC_SHA384
    } else if algorithm == &digest::SHA512 {
        hmac::HMAC_SHA512
    } else {
        hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY
    }
}

/// The password encodings to try: UTF-16BE with a terminating zero character, plus the
/// zero-length form for empty or missing passwords (tried second).
fn password_candidates(password: Option<&str>) -> Vec<Zeroizing<Vec<u8>>> {
    let text = password.unwrap_or("");
    let mut candidates = vec![kdf::bmp_password(text)];
    if text.is_empty() {
        candidates.push(Zeroizing::new(Vec::new()));
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a MacData with a MAC computed by this module's KDF for `password_bytes`.
    fn mac_data_for(password_bytes: &[u8], content: &[u8]) -> Vec<u8> {
        let salt = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let algorithm = &digest::SHA256;
        let key = kdf::derive(algorithm, Purpose::Mac, password_bytes, &salt, 2048, 32);
        let tag_value = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), content);
        let oid = der::tlv(tag::OID, &der::encode_oid("2.16.840.1.101.3.4.2.1"));
        let digest_info = der::sequence(&[
            &der::sequence(&[&oid, &der::tlv(tag::NULL, &[])]),
            &der::tlv(tag::OCTET_STRING, tag_value.as_ref()),
        ]);
        der::sequence(&[
            &digest_info,
            &der::tlv(tag::OCTET_STRING, &salt),
            &der::tlv(tag::INTEGER, &[0x08, 0x00]),
        ])
    }

    #[test]
    fn verifies_the_right_password_only() {
        let password: Vec<u8> = "pässwörd"
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_be_bytes)
            .collect();
        let mac_data = mac_data_for(&password, b"content");
        assert_eq!(
            verify(&mac_data, b"content", Some("pässwörd")),
            Ok(MacOutcome::Verified)
        );
        assert_eq!(
            verify(&mac_data, b"content", Some("wrong")),
            Ok(MacOutcome::Mismatch)
        );
        assert_eq!(
            verify(&mac_data, b"tampered", Some("pässwörd")),
            Ok(MacOutcome::Mismatch)
        );
    }

    #[test]
    fn tries_both_forms_of_an_empty_password() {
        let empty_bmp = mac_data_for(&[0, 0], b"x");
        let absent = mac_data_for(&[], b"x");
        for password in [None, Some("")] {
            assert_eq!(verify(&empty_bmp, b"x", password), Ok(MacOutcome::Verified));
            assert_eq!(
                verify(&absent, b"x", password),
                Ok(MacOutcome::VerifiedWithAbsentPassword)
            );
        }
    }

    #[test]
    fn refuses_unknown_digests() {
        let oid = der::tlv(tag::OID, &der::encode_oid("1.2.840.113549.1.5.14"));
        let info = der::sequence(&[
            &der::sequence(&[&oid]),
            &der::tlv(tag::OCTET_STRING, &[0; 32]),
        ]);
        let mac_data = der::sequence(&[&info, &der::tlv(tag::OCTET_STRING, &[0; 8])]);
        assert!(matches!(
            verify(&mac_data, b"", None),
            Err(MacError::Unsupported(_))
        ));
    }
}
