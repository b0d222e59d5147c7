//! Private keys: normalised to PKCS#8, wiped on drop, and checked against certificates.
//!
//! Keys arrive as PKCS#8 (PFX files, `BEGIN PRIVATE KEY`), PKCS#1 (`BEGIN RSA PRIVATE KEY`)
//! or SEC1 (`BEGIN EC PRIVATE KEY`). Everything is converted to PKCS#8 once, because that is
//! what rustls, rcgen and the PFX writer take. The key types are the ones the gateway can use
//! for TLS: RSA, ECDSA on P-256/P-384/P-521 (and secp256k1) and Ed25519.

use std::fmt;

use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::Certificate;
use crate::der::{self, DerError, Tlv, tag};
use crate::oids::{self, known};

/// The kind of a private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA, any size.
    Rsa,
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// ECDSA on NIST P-521.
    EcdsaP521,
    /// ECDSA on secp256k1.
    EcdsaSecp256k1,
    /// Ed25519.
    Ed25519,
}

/// Why a private key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The bytes are not a private key of the announced format.
    #[error("the private key is malformed: {reason}")]
    Malformed {
        /// What was wrong (never key material).
        reason: String,
    },
    /// A well-formed key of a type the gateway cannot use.
    #[error(
        "unsupported private key type {algorithm}; use RSA, ECDSA (P-256, P-384, P-521) or Ed25519"
    )]
    UnsupportedType {
        /// The key algorithm, by name where known, else its OID.
        algorithm: String,
    },
}

/// A private key in PKCS#8 DER form. The bytes are wiped from memory when dropped and never
/// appear in `Debug` output.
#[derive(Clone)]
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    kind: KeyKind,
}

impl PrivateKey {
    /// Reads a PKCS#8 `PrivateKeyInfo` (RFC 5208 / 5958).
    ///
    /// # Errors
    /// [`KeyError::Malformed`] for broken DER, [`KeyError::UnsupportedType`] for DSA, X25519
    /// and other algorithms the gateway cannot use.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let kind = pkcs8_kind(der)?;
        Ok(Self {
            pkcs8: Zeroizing::new(der.to_vec()),
            kind,
        })
    }

    /// Reads a PKCS#1 `RSAPrivateKey` and wraps it in PKCS#8.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] when the bytes are not an RSA private key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        rsa_public_parts(der)?;

        let algorithm =
            der::sequence(&[&oid_tlv(known::RSA_ENCRYPTION), &der::tlv(tag::NULL, &[])]);
        Ok(Self {
            pkcs8: wrap_pkcs8(&algorithm, der),
            kind: KeyKind::Rsa,
        })
    }

    /// Reads a SEC1 `ECPrivateKey` (RFC 5915) and wraps it in PKCS#8.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] when the bytes are not an EC private key or name no curve,
    /// [`KeyError::UnsupportedType`] for curves other than the supported ones.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let curve =
            sec1_curve(der)?.ok_or_else(|| malformed("the EC key does not name its curve"))?;
        let kind = ec_kind(&curve)?;

        let algorithm = der::sequence(&[&oid_tlv(known::EC_PUBLIC_KEY), &oid_tlv(&curve)]);
        Ok(Self {
            pkcs8: wrap_pkcs8(&algorithm, der),
            kind,
        })
    }

    /// The key in PKCS#8 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key in PEM (`-----BEGIN PRIVATE KEY-----`), in a buffer wiped on drop.
    pub fn to_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::pem::encode("PRIVATE KEY", &self.pkcs8))
    }

    /// Whether this key is the private half of the certificate's public key.
    ///
    /// RSA keys are compared by modulus and exponent; EC and Ed25519 keys by deriving the
    /// public key, so a key without an embedded public part is still checked.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] when the key cannot be decoded far enough to compare.
    pub fn matches(&self, certificate: &Certificate) -> Result<bool, KeyError> {
        let public_key = certificate.public_key();
        let algorithm = &**public_key.algorithm().value();
        let key_bits = public_key.encoded_key_value();

        match self.kind {
            KeyKind::Rsa if algorithm == known::RSA_ENCRYPTION => self.rsa_matches(key_bits),
            KeyKind::Ed25519 if algorithm == known::ED25519 => self.ed25519_matches(key_bits),
            KeyKind::Rsa | KeyKind::Ed25519 => Ok(false),
            _ if algorithm == known::EC_PUBLIC_KEY => self.ec_matches(certificate),
            _ => Ok(false),
        }
    }

    fn rsa_matches(&self, cert_key: &[u8]) -> Result<bool, KeyError> {
        let pkcs1 = pkcs8_private_key(&self.pkcs8)?;
        let (modulus, exponent) = rsa_public_parts(pkcs1)?;
        let Ok((cert_modulus, cert_exponent)) = rsa_public_key(cert_key) else {
            return Ok(false);
        };
        Ok(modulus == cert_modulus && exponent == cert_exponent)
    }

    fn ed25519_matches(&self, cert_key: &[u8]) -> Result<bool, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&self.pkcs8)
            .map_err(|e| malformed(&format!("Ed25519 key rejected: {e}")))?;
        Ok(pair.public_key().as_ref() == cert_key)
    }

    fn ec_matches(&self, certificate: &Certificate) -> Result<bool, KeyError> {
        let public_key = certificate.public_key();
        let cert_curve = public_key.curve().map(|c| &**c.value());
        if cert_curve != Some(curve_oid(self.kind)) {
            return Ok(false);
        }

        let pair = EcdsaKeyPair::from_private_key_der(ecdsa_algorithm(self.kind), &self.pkcs8)
            .map_err(|e| malformed(&format!("EC key rejected: {e}")))?;
        Ok(same_point(
            pair.public_key().as_ref(),
            public_key.encoded_key_value(),
        ))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// `PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING, ... }`.
fn wrap_pkcs8(algorithm: &[u8], private_key: &[u8]) -> Zeroizing<Vec<u8>> {
    let version = der::tlv(tag::INTEGER, &[0]);
    let key = Zeroizing::new(der::tlv(tag::OCTET_STRING, private_key));
    Zeroizing::new(der::sequence(&[&version, algorithm, &key]))
}

fn oid_tlv(dotted: &str) -> Vec<u8> {
    der::tlv(tag::OID, &crate::der::encode_oid(dotted))
}

/// The key type named by a PKCS#8 structure.
fn pkcs8_kind(der: &[u8]) -> Result<KeyKind, KeyError> {
    let (algorithm, parameters, private_key) = pkcs8_fields(der)?;
    match algorithm.as_str() {
        known::RSA_ENCRYPTION => {
            rsa_public_parts(private_key)?;
            Ok(KeyKind::Rsa)
        }
        known::EC_PUBLIC_KEY => {
            let curve = match parameters.filter(|p| p.tag == tag::OID) {
                Some(oid) => Some(der::oid_to_string(oid.value).map_err(der_error)?),
                None => sec1_curve(private_key)?,
            };
            ec_kind(&curve.ok_or_else(|| malformed("the EC key does not name its curve"))?)
        }
        known::ED25519 => Ok(KeyKind::Ed25519),
        other => Err(unsupported(other)),
    }
}

/// Algorithm OID, algorithm parameters and the inner private key of a PKCS#8 key.
fn pkcs8_fields(der: &[u8]) -> Result<(String, Option<Tlv<'_>>, &[u8]), KeyError> {
    let info = der::read_single(der, tag::SEQUENCE).map_err(der_error)?;
    let mut fields = info.children();
    fields.read(tag::INTEGER).map_err(der_error)?;
    let algorithm_id = fields.read(tag::SEQUENCE).map_err(der_error)?;
    let private_key = fields.read(tag::OCTET_STRING).map_err(der_error)?;

    let mut alg_fields = algorithm_id.children();
    let oid = alg_fields.read(tag::OID).map_err(der_error)?;
    let parameters = alg_fields.next_tlv().map_err(der_error)?;
    let algorithm = der::oid_to_string(oid.value).map_err(der_error)?;
    Ok((algorithm, parameters, private_key.value))
}

fn pkcs8_private_key(der: &[u8]) -> Result<&[u8], KeyError> {
    Ok(pkcs8_fields(der)?.2)
}

/// Modulus and public exponent from a PKCS#1 `RSAPrivateKey`.
fn rsa_public_parts(pkcs1: &[u8]) -> Result<(&[u8], &[u8]), KeyError> {
    let key = der::read_single(pkcs1, tag::SEQUENCE).map_err(der_error)?;
    let mut fields = key.children();
    fields.read(tag::INTEGER).map_err(der_error)?;
    let modulus = fields.read(tag::INTEGER).map_err(der_error)?;
    let exponent = fields.read(tag::INTEGER).map_err(der_error)?;
    Ok((
        der::unsigned_integer(modulus.value),
        der::unsigned_integer(exponent.value),
    ))
}

/// Modulus and exponent from a certificate's PKCS#1 `RSAPublicKey`.
fn rsa_public_key(key: &[u8]) -> Result<(&[u8], &[u8]), DerError> {
    let public_key = der::read_single(key, tag::SEQUENCE)?;
    let mut fields = public_key.children();
    let modulus = fields.read(tag::INTEGER)?;
    let exponent = fields.read(tag::INTEGER)?;
    Ok((
        der::unsigned_integer(modulus.value),
        der::unsigned_integer(exponent.value),
    ))
}

/// The curve named in a SEC1 key's optional `[0] parameters`.
fn sec1_curve(sec1: &[u8]) -> Result<Option<String>, KeyError> {
    let key = der::read_single(sec1, tag::SEQUENCE).map_err(der_error)?;
    let mut fields = key.children();
    fields.read(tag::INTEGER).map_err(der_error)?;
    fields.read(tag::OCTET_STRING).map_err(der_error)?;

    let Some(parameters) = fields
        .optional(tag::CONTEXT | tag::CONSTRUCTED)
        .map_err(der_error)?
    else {
        return Ok(None);
    };
    let oid = der::read_single(parameters.value, tag::OID).map_err(der_error)?;
    Ok(Some(der::oid_to_string(oid.value).map_err(der_error)?))
}

fn ec_kind(curve: &str) -> Result<KeyKind, KeyError> {
    match curve {
        known::P256 => Ok(KeyKind::EcdsaP256),
        known::P384 => Ok(KeyKind::EcdsaP384),
        known::P521 => Ok(KeyKind::EcdsaP521),
        known::SECP256K1 => Ok(KeyKind::EcdsaSecp256k1),
        other => Err(KeyError::UnsupportedType {
            algorithm: format!(
                "EC on curve {}",
                oids::friendly_name(other).unwrap_or(other)
            ),
        }),
    }
}

fn curve_oid(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::EcdsaP384 => known::P384,
        KeyKind::EcdsaP521 => known::P521,
        KeyKind::EcdsaSecp256k1 => known::SECP256K1,
        _ => known::P256,
    }
}

fn ecdsa_algorithm(kind: KeyKind) -> &'static signature::EcdsaSigningAlgorithm {
    match kind {
        KeyKind::EcdsaP384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        KeyKind::EcdsaP521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        KeyKind::EcdsaSecp256k1 => &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    }
}

/// Compares an uncompressed point with a certificate point that may be compressed.
fn same_point(uncompressed: &[u8], cert_point: &[u8]) -> bool {
    match cert_point.first() {
        Some(0x04) => uncompressed == cert_point,
        Some(&prefix @ (0x02 | 0x03)) => {
            let coordinate_len = cert_point.len() - 1;
            let x = uncompressed.get(1..=coordinate_len);
            let y_is_odd = uncompressed.last().is_some_and(|b| b & 1 == 1);
            x == cert_point.get(1..) && y_is_odd == (prefix == 0x03)
        }
        _ => false,
    }
}

fn malformed(reason: &str) -> KeyError {
    KeyError::Malformed {
        reason: reason.to_owned(),
    }
}

fn der_error(error: DerError) -> KeyError {
    malformed(error.0)
}

fn unsupported(oid: &str) -> KeyError {
    let algorithm = match oids::friendly_name(oid).or_else(|| rfc8410_name(oid)) {
        Some(name) => format!("{name} ({oid})"),
        None => oid.to_owned(),
    };
    KeyError::UnsupportedType { algorithm }
}

/// The RFC 8410 key types, which .NET has no friendly names for.
fn rfc8410_name(oid: &str) -> Option<&'static str> {
    match oid {
        "1.3.101.110" => Some("X25519"),
        "1.3.101.111" => Some("X448"),
        "1.3.101.113" => Some("Ed448"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_key_material() {
        let key = PrivateKey {
            pkcs8: Zeroizing::new(vec![0xAB; 8]),
            kind: KeyKind::Rsa,
        };
        let shown = format!("{key:?}");
        assert_eq!(shown, "PrivateKey { kind: Rsa, .. }");
    }

    #[test]
    fn rejects_unsupported_algorithms_by_name() {
        // PKCS#8 with the DSA algorithm OID and an arbitrary inner key.
        let algorithm = der::sequence(&[&oid_tlv("1.2.840.10040.4.1")]);
        let der = wrap_pkcs8(&algorithm, &der::tlv(tag::INTEGER, &[5]));
        let error = PrivateKey::from_pkcs8_der(&der).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unsupported private key type DSA (1.2.840.10040.4.1); use RSA, ECDSA (P-256, P-384, P-521) or Ed25519"
        );
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            PrivateKey::from_pkcs8_der(&[0x30, 0x00]),
            Err(KeyError::Malformed { .. })
        ));
        assert!(matches!(
            PrivateKey::from_pkcs1_der(b"nope"),
            Err(KeyError::Malformed { .. })
        ));
        assert!(matches!(
            PrivateKey::from_sec1_der(&[]),
            Err(KeyError::Malformed { .. })
        ));
    }

    #[test]
    fn compares_compressed_points() {
        let uncompressed = [&[0x04][..], &[1, 2], &[3, 5]].concat();
        assert!(same_point(&uncompressed, &uncompressed));
        assert!(same_point(&uncompressed, &[0x03, 1, 2]));
        assert!(!same_point(&uncompressed, &[0x02, 1, 2]));
        assert!(!same_point(&uncompressed, &[]));
    }
}
