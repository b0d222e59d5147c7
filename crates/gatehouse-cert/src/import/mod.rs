//! Reading certificate files as users upload them: PFX/PKCS#12, PEM, DER/CER, and base64
//! DER or PFX without PEM markers (the `data` field of APIM's certificate resource).
//!
//! The format is detected from the bytes, never from a file name. Errors say what is wrong
//! in words an operator can act on, and keep "wrong password" apart from "damaged file".
//! Passwords and key material never appear in errors or `Debug` output.

mod ber;
mod detect;
mod error;
mod kdf;
mod mac;
mod null_password;
mod pem_input;
mod pfx;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use self::detect::DerKind;
pub use self::error::ImportError;
use crate::der::{self, tag};
use crate::key::PrivateKey;
use crate::{Certificate, pem};

/// The container format an import was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImportFormat {
    /// PKCS#12 (`.pfx`, `.p12`).
    Pfx,
    /// PEM text with a `CERTIFICATE` block and optionally a private key.
    Pem,
    /// A single DER certificate (`.cer`, `.der`, `.crt`).
    Der,
}

/// The result of an import: the leaf certificate, any further certificates that came with
/// it, and the private key when the file held one (already checked to match the leaf).
#[derive(Debug, Clone)]
pub struct Imported {
    certificate: Certificate,
    chain: Vec<Certificate>,
    private_key: Option<PrivateKey>,
    format: ImportFormat,
    base64: bool,
}

impl Imported {
    /// The leaf certificate (the one the private key belongs to, when there is a key).
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The other certificates in the file, in file order (usually intermediates and root).
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The private key in PKCS#8 form, when the file held one.
    pub fn private_key(&self) -> Option<&PrivateKey> {
        self.private_key.as_ref()
    }

    /// The format the data was in.
    pub fn format(&self) -> ImportFormat {
        self.format
    }

    /// True when the data was base64 text without PEM markers.
    pub fn was_base64(&self) -> bool {
        self.base64
    }

    /// Splits the import into leaf, chain and key.
    pub fn into_parts(self) -> (Certificate, Vec<Certificate>, Option<PrivateKey>) {
        (self.certificate, self.chain, self.private_key)
    }
}

/// Reads a certificate, with its chain and private key when present, from PFX, PEM, DER or
/// base64 bytes.
///
/// The password is used for PFX files and encrypted PEM private keys, and ignored otherwise.
/// A PFX without a password is tried with the empty password (both encodings OpenSSL uses).
///
/// # Errors
/// Every [`ImportError`] variant names one situation; see its documentation.
pub fn import_certificate(bytes: &[u8], password: Option<&str>) -> Result<Imported, ImportError> {
    import_inner(bytes, password, false)
}

fn import_inner(
    bytes: &[u8],
    password: Option<&str>,
    base64: bool,
) -> Result<Imported, ImportError> {
    let content = skip_leading_text_noise(bytes);
    if is_padding(content) {
        return Err(ImportError::NotACertificate {
            found: "the data is empty".to_owned(),
        });
    }

    // Binary data is not trimmed at the end: DER may legitimately end in a space byte.
    if content[0] == tag::SEQUENCE {
        return import_der(content, password, base64);
    }

    let text = trim_end(content);
    if pem::looks_like_pem(text) {
        let text = std::str::from_utf8(text).map_err(|_| invalid_pem("the text is not UTF-8"))?;
        return pem_input::read(text, password);
    }
    if !base64 && looks_like_base64(text) {
        let decoded = decode_base64(text)?;
        return import_inner(&decoded, password, true);
    }
    Err(ImportError::NotACertificate {
        found: "the data is neither PFX/PKCS#12, PEM, DER nor base64".to_owned(),
    })
}

/// Binary input: a PFX (`SEQUENCE { INTEGER 3, ... }`), a certificate
/// (`SEQUENCE { SEQUENCE tbsCertificate, ... }`), or something else DER.
fn import_der(bytes: &[u8], password: Option<&str>, base64: bool) -> Result<Imported, ImportError> {
    let kind = detect::classify(bytes);
    if let DerKind::Other(found) = kind {
        return Err(ImportError::NotACertificate {
            found: found.to_owned(),
        });
    }
    if kind == DerKind::Pfx {
        let contents = pfx::read(bytes, password)?;
        return Ok(Imported {
            certificate: contents.leaf,
            chain: contents.chain,
            private_key: contents.key,
            format: ImportFormat::Pfx,
            base64,
        });
    }

    let certificate = der_certificate(bytes)?;
    Ok(Imported {
        certificate,
        chain: Vec::new(),
        private_key: None,
        format: ImportFormat::Der,
        base64,
    })
}

fn der_certificate(bytes: &[u8]) -> Result<Certificate, ImportError> {
    let (outer, rest) = der::read_tlv(bytes).map_err(|e| ImportError::InvalidCertificate {
        reason: e.0.to_owned(),
    })?;
    if !is_padding(rest) {
        return Err(ImportError::InvalidCertificate {
            reason: "unexpected data after the certificate".to_owned(),
        });
    }

    Certificate::from_der(outer.encoded).map_err(|e| ImportError::InvalidCertificate {
        reason: e.to_string(),
    })
}

/// Drops a UTF-8 byte-order mark and leading whitespace.
fn skip_leading_text_noise(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// Drops trailing whitespace and NULs from text.
fn trim_end(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .rposition(|&b| !is_padding(&[b]))
        .map_or(0, |i| i + 1);
    &text[..end]
}

/// Bytes some tools append after a binary file: line breaks, spaces, NULs.
pub(crate) fn is_padding(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0 || b.is_ascii_whitespace())
}

fn looks_like_base64(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
            || b.is_ascii_whitespace()
    })
}

/// Standard or URL-safe base64, with or without padding, line breaks allowed.
fn decode_base64(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.iter()
            .filter(|b| !b.is_ascii_whitespace() && **b != b'=')
            .map(|&b| match b {
                b'-' => b'+',
                b'_' => b'/',
                other => other,
            })
            .collect(),
    );
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireNone);
    GeneralPurpose::new(&base64::alphabet::STANDARD, config)
        .decode(&*compact)
        .map(Zeroizing::new)
        .map_err(|_| ImportError::NotACertificate {
            found: "the text is not valid base64".to_owned(),
        })
}

fn invalid_pem(reason: &str) -> ImportError {
    ImportError::InvalidPem {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_and_random_input() {
        let empty = import_certificate(b"  \n", None).unwrap_err();
        assert_eq!(empty.to_string(), "not a certificate: the data is empty");
        let noise = import_certificate(&[0xFF, 0x00, 0x13], None).unwrap_err();
        assert!(matches!(noise, ImportError::NotACertificate { .. }));
    }

    #[test]
    fn names_pkcs7_bundles() {
        // SEQUENCE { OID signedData ... }
        let p7 = der::sequence(&[&der::tlv(
            tag::OID,
            &der::encode_oid("1.2.840.113549.1.7.2"),
        )]);
        let error = import_certificate(&p7, None).unwrap_err();
        assert!(error.to_string().contains("PKCS#7"), "{error}");
    }

    #[test]
    fn trims_bom_whitespace_and_nul() {
        assert_eq!(
            trim_end(skip_leading_text_noise(b"\xEF\xBB\xBF \r\nabc\n\0")),
            b"abc"
        );
        assert!(trim_end(b"\0\0").is_empty());
    }

    #[test]
    fn decodes_url_safe_and_unpadded_base64() {
        assert_eq!(*decode_base64(b"-_8").unwrap(), vec![0xFB, 0xFF]);
        assert_eq!(*decode_base64(b"AQID\nBA==").unwrap(), vec![1, 2, 3, 4]);
    }
}
