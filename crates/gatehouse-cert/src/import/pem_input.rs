//! PEM uploads: certificates, and optionally the private key, in one text.

use pkcs5::EncryptionScheme;
use pkcs5::pbes2::Kdf;
use zeroize::Zeroizing;

use super::{ImportError, ImportFormat, Imported, pfx::key_error};
use crate::Certificate;
use crate::der::{self, tag};
use crate::key::PrivateKey;
use crate::pem::{self, Block};

/// PBKDF2 rounds beyond which an encrypted key is treated as hostile (OpenSSL uses 2048).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// What a PEM label holds.
enum Label {
    Certificate,
    Pkcs8,
    Pkcs1,
    Sec1,
    EncryptedPkcs8,
    UnusableKey(&'static str),
    /// Readable, but not a certificate; the text says what it is.
    Other(&'static str),
    Unknown,
}

fn classify(label: &str) -> Label {
    match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => Label::Certificate,
        "PRIVATE KEY" => Label::Pkcs8,
        "RSA PRIVATE KEY" => Label::Pkcs1,
        "EC PRIVATE KEY" => Label::Sec1,
        "ENCRYPTED PRIVATE KEY" => Label::EncryptedPkcs8,
        "DSA PRIVATE KEY" => Label::UnusableKey("DSA"),
        "OPENSSH PRIVATE KEY" => Label::UnusableKey("OpenSSH key format"),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            Label::Other("a certificate signing request (CSR), not a certificate")
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" => Label::Other("a public key, not a certificate"),
        "X509 CRL" => Label::Other("a certificate revocation list (CRL), not a certificate"),
        "PKCS7" | "CMS" => {
            Label::Other("a PKCS#7 bundle (.p7b); export the certificates as PEM or PFX")
        }
        _ => Label::Unknown,
    }
}

/// Reads PEM text. The leaf is the certificate the private key belongs to, or the first
/// certificate when there is no key; the other certificates form the chain.
pub(super) fn read(text: &str, password: Option<&str>) -> Result<Imported, ImportError> {
    let blocks = pem::parse(text).map_err(|e| ImportError::InvalidPem {
        reason: e.to_string(),
    })?;
    let mut certificates: Vec<Certificate> = Vec::new();
    let mut keys = Vec::new();

    for block in &blocks {
        match classify(&block.label) {
            Label::Certificate => push_unique(&mut certificates, certificate(&block.der)?),
            Label::Other(_) | Label::Unknown => {}
            _ => keys.push(private_key(block, password)?),
        }
    }
    if certificates.is_empty() {
        return Err(no_certificate(&blocks));
    }
    if keys.len() > 1 {
        return Err(ImportError::MultiplePrivateKeys);
    }

    assemble(certificates, keys.pop())
}

fn push_unique(certificates: &mut Vec<Certificate>, certificate: Certificate) {
    if !certificates.contains(&certificate) {
        certificates.push(certificate);
    }
}

fn assemble(
    mut certificates: Vec<Certificate>,
    key: Option<PrivateKey>,
) -> Result<Imported, ImportError> {
    let leaf_index = match &key {
        Some(key) => leaf_for(&certificates, key)?,
        None => 0,
    };

    let certificate = certificates.remove(leaf_index);
    Ok(Imported {
        certificate,
        chain: certificates,
        private_key: key,
        format: ImportFormat::Pem,
        base64: false,
    })
}

fn leaf_for(certificates: &[Certificate], key: &PrivateKey) -> Result<usize, ImportError> {
    for (index, certificate) in certificates.iter().enumerate() {
        if key.matches(certificate).map_err(key_error)? {
            return Ok(index);
        }
    }
    Err(ImportError::key_mismatch(&certificates[0]))
}

/// A certificate block; `TRUSTED CERTIFICATE` blocks carry OpenSSL trust data after it.
fn certificate(der_bytes: &[u8]) -> Result<Certificate, ImportError> {
    let (first, _) = der::read_tlv(der_bytes).map_err(|e| ImportError::InvalidCertificate {
        reason: e.0.to_owned(),
    })?;
    Certificate::from_der(first.encoded).map_err(|e| ImportError::InvalidCertificate {
        reason: e.to_string(),
    })
}

fn private_key(block: &Block, password: Option<&str>) -> Result<PrivateKey, ImportError> {
    let legacy_encrypted = block.legacy_encrypted;
    match classify(&block.label) {
        Label::Pkcs1 | Label::Sec1 if legacy_encrypted => {
            Err(ImportError::UnsupportedKeyEncryption {
                scheme: "legacy OpenSSL PEM encryption (Proc-Type/DEK-Info)".to_owned(),
            })
        }
        Label::Pkcs1 => PrivateKey::from_pkcs1_der(&block.der).map_err(key_error),
        Label::Sec1 => PrivateKey::from_sec1_der(&block.der).map_err(key_error),
        Label::EncryptedPkcs8 => decrypt_pkcs8(&block.der, password),
        Label::UnusableKey(kind) => Err(ImportError::UnsupportedKeyType {
            algorithm: kind.to_owned(),
        }),
        _ => PrivateKey::from_pkcs8_der(&block.der).map_err(key_error),
    }
}

/// `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }` with PBES2.
fn decrypt_pkcs8(encrypted: &[u8], password: Option<&str>) -> Result<PrivateKey, ImportError> {
    let password = password.ok_or(ImportError::EncryptedKeyPasswordRequired)?;
    let malformed = |reason: &str| ImportError::InvalidPrivateKey {
        reason: reason.to_owned(),
    };

    let info = der::read_single(encrypted, tag::SEQUENCE).map_err(|e| malformed(e.0))?;
    let mut fields = info.children();
    let algorithm = fields.read(tag::SEQUENCE).map_err(|e| malformed(e.0))?;
    let ciphertext = fields.read(tag::OCTET_STRING).map_err(|e| malformed(e.0))?;

    let scheme = EncryptionScheme::try_from(algorithm.encoded)
        .map_err(|_| unsupported_scheme(algorithm.value))?;
    check_cost(&scheme, algorithm.value)?;
    let plain = Zeroizing::new(
        scheme
            .decrypt(password, ciphertext.value)
            .map_err(|_| ImportError::WrongKeyPassword)?,
    );

    // A wrong password passes the padding check about once in 256 tries; the result is then
    // not a key.
    PrivateKey::from_pkcs8_der(&plain).map_err(|error| match error {
        crate::KeyError::UnsupportedType { .. } => key_error(error),
        _ => ImportError::WrongKeyPassword,
    })
}

/// Only PBKDF2-based PBES2 with a sane round count: scrypt and huge counts cost too much.
fn check_cost(scheme: &EncryptionScheme, algorithm: &[u8]) -> Result<(), ImportError> {
    let EncryptionScheme::Pbes2(parameters) = scheme else {
        return Err(unsupported_scheme(algorithm));
    };
    match &parameters.kdf {
        Kdf::Pbkdf2(pbkdf2) if pbkdf2.iteration_count <= MAX_PBKDF2_ITERATIONS => Ok(()),
        Kdf::Pbkdf2(_) => Err(ImportError::UnsupportedKeyEncryption {
            scheme: "PBKDF2 with too many rounds".to_owned(),
        }),
        _ => Err(ImportError::UnsupportedKeyEncryption {
            scheme: "scrypt".to_owned(),
        }),
    }
}

/// Names the scheme by its OID (the first element of the AlgorithmIdentifier content).
fn unsupported_scheme(algorithm_content: &[u8]) -> ImportError {
    let oid = der::Reader::new(algorithm_content)
        .read(tag::OID)
        .ok()
        .and_then(|oid| der::oid_to_string(oid.value).ok())
        .unwrap_or_else(|| "unknown".to_owned());
    ImportError::UnsupportedKeyEncryption { scheme: oid }
}

/// The most useful error when no certificate was found.
fn no_certificate(blocks: &[Block]) -> ImportError {
    let described = blocks
        .iter()
        .find_map(|block| match classify(&block.label) {
            Label::Other(what) => Some(what),
            _ => None,
        });
    if let Some(what) = described {
        return ImportError::NotACertificate {
            found: what.to_owned(),
        };
    }

    let labels: Vec<&str> = blocks.iter().map(|block| block.label.as_str()).collect();
    let found = if labels.is_empty() {
        "no PEM blocks".to_owned()
    } else {
        labels.join(", ")
    };
    ImportError::PemWithoutCertificate { found }
}
