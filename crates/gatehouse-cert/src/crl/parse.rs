//! Reading a DER CRL (RFC 5280 section 5), version 1 or 2, into the parts revocation checks
//! use. The envelope and the signature are read with the crate's DER reader, which keeps the
//! exact signed bytes; dates, entries and extensions come from x509-parser.
//!
//! Everything the checks cannot honour is refused here, at upload, instead of being skipped
//! when a certificate is checked: delta and indirect CRLs, unknown critical extensions, a
//! version 2 CRL without a CRL number.

use std::ops::Range;

use time::OffsetDateTime;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::{CertificateRevocationList, RevokedCertificate};
use x509_parser::x509::X509Version;

use crate::crl::scope::Scope;
use crate::crl::signature::bit_string_bytes;
use crate::crl::{CrlError, RevocationReason};
use crate::der::{self, tag};

const CRL_NUMBER: &str = "2.5.29.20";
const DELTA_CRL_INDICATOR: &str = "2.5.29.27";
const ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
const REASON_CODE: &str = "2.5.29.21";
const CERTIFICATE_ISSUER: &str = "2.5.29.29";
/// Critical CRL extensions whose meaning does not change which certificates are revoked:
/// authorityKeyIdentifier and issuerAltName (RFC 5280 says non-critical; tolerated).
const HARMLESS_CRL_EXTENSIONS: [&str; 2] = ["2.5.29.35", "2.5.29.18"];
/// invalidityDate: when the key was compromised; the certificate is revoked either way.
const HARMLESS_ENTRY_EXTENSIONS: [&str; 1] = ["2.5.29.24"];

/// One revoked serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The serial number's content octets, minimal (see [`minimal_integer`]).
    pub(crate) serial: Vec<u8>,
    pub(crate) reason: Option<RevocationReason>,
}

/// A CRL as revocation checks use it.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) der: Vec<u8>,
    pub(crate) tbs: Range<usize>,
    pub(crate) signature_algorithm: Vec<u8>,
    pub(crate) signature: Vec<u8>,
    pub(crate) version: u32,
    pub(crate) issuer_der: Vec<u8>,
    pub(crate) this_update: OffsetDateTime,
    pub(crate) next_update: Option<OffsetDateTime>,
    pub(crate) number: Option<Vec<u8>>,
    pub(crate) scope: Scope,
    /// Sorted by serial.
    pub(crate) entries: Vec<Entry>,
}

/// Reads one DER CRL.
pub(crate) fn parse(der: &[u8]) -> Result<Parsed, CrlError> {
    let envelope = Envelope::read(der)?;
    let (rest, crl) = CertificateRevocationList::from_der(der).map_err(CrlError::malformed)?;
    if !rest.is_empty() {
        return Err(CrlError::malformed("trailing bytes after the CRL"));
    }

    let version = version_of(crl.version())?;
    let extensions = CrlExtensions::read(&crl, version)?;
    let entries = entries(&crl)?;
    Ok(Parsed {
        der: der.to_vec(),
        tbs: envelope.tbs,
        signature_algorithm: envelope.algorithm,
        signature: envelope.signature,
        version,
        issuer_der: crl.issuer().as_raw().to_vec(),
        this_update: crl.last_update().to_datetime(),
        next_update: crl.next_update().map(|t| t.to_datetime()),
        number: extensions.number,
        scope: extensions.scope,
        entries,
    })
}

/// The signed part and the signature around it.
struct Envelope {
    tbs: Range<usize>,
    algorithm: Vec<u8>,
    signature: Vec<u8>,
}

impl Envelope {
    fn read(der: &[u8]) -> Result<Self, CrlError> {
        let list = der::read_single(der, tag::SEQUENCE).map_err(CrlError::malformed)?;
        let mut fields = list.children();
        let tbs = fields.read(tag::SEQUENCE).map_err(CrlError::malformed)?;
        let algorithm = fields.read(tag::SEQUENCE).map_err(CrlError::malformed)?;
        let signature = fields.read(tag::BIT_STRING).map_err(CrlError::malformed)?;
        fields.finish().map_err(CrlError::malformed)?;

        let inner_algorithm = inner_signature_algorithm(tbs.value)?;
        if inner_algorithm != algorithm.value {
            return Err(CrlError::SignatureAlgorithmMismatch);
        }

        // The signed part is the first element of the outer SEQUENCE.
        let start = list.encoded.len() - list.value.len();
        Ok(Self {
            tbs: start..start + tbs.encoded.len(),
            algorithm: algorithm.value.to_vec(),
            signature: bit_string_bytes(signature.value)
                .map_err(CrlError::malformed)?
                .to_vec(),
        })
    }
}

/// `TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, ... }`
fn inner_signature_algorithm(tbs: &[u8]) -> Result<&[u8], CrlError> {
    let mut fields = der::Reader::new(tbs);
    fields.optional(tag::INTEGER).map_err(CrlError::malformed)?;
    let algorithm = fields.read(tag::SEQUENCE).map_err(CrlError::malformed)?;
    Ok(algorithm.value)
}

fn version_of(version: Option<X509Version>) -> Result<u32, CrlError> {
    match version {
        None => Ok(1),
        Some(X509Version(1)) => Ok(2),
        Some(X509Version(other)) => Err(CrlError::UnsupportedVersion {
            version: other.saturating_add(1),
        }),
    }
}

/// What the CRL extensions say.
struct CrlExtensions {
    number: Option<Vec<u8>>,
    scope: Scope,
}

impl CrlExtensions {
    fn read(crl: &CertificateRevocationList<'_>, version: u32) -> Result<Self, CrlError> {
        let mut out = Self {
            number: None,
            scope: Scope::complete(),
        };
        for extension in crl.extensions() {
            let oid = extension.oid.to_id_string();
            out.apply(&oid, extension.critical, extension.value)?;
        }

        // Version 1 CRLs cannot carry extensions, so the number is required of version 2 only.
        if version == 2 && out.number.is_none() {
            return Err(CrlError::MissingCrlNumber);
        }
        Ok(out)
    }

    fn apply(&mut self, oid: &str, critical: bool, value: &[u8]) -> Result<(), CrlError> {
        match oid {
            CRL_NUMBER if critical => return Err(CrlError::CriticalCrlNumber),
            CRL_NUMBER => self.number = Some(crl_number(value)?),
            DELTA_CRL_INDICATOR => return Err(CrlError::DeltaCrl),
            ISSUING_DISTRIBUTION_POINT => self.scope = Scope::from_extension(value)?,
            _ if !critical || HARMLESS_CRL_EXTENSIONS.contains(&oid) => {}
            _ => {
                return Err(CrlError::UnknownCriticalExtension {
                    oid: oid.to_owned(),
                });
            }
        }
        Ok(())
    }
}

/// The CRL number: a non-negative INTEGER of at most 20 octets (RFC 5280 5.2.3).
fn crl_number(value: &[u8]) -> Result<Vec<u8>, CrlError> {
    let number = der::read_single(value, tag::INTEGER).map_err(CrlError::malformed)?;
    let negative = number.value.first().is_none_or(|&b| b & 0x80 != 0);
    let digits = minimal_integer(number.value);
    if negative || der::unsigned_integer(digits).len() > 20 {
        return Err(CrlError::malformed(
            "the CRL number is not a non-negative integer of at most 20 octets",
        ));
    }
    Ok(der::unsigned_integer(digits).to_vec())
}

fn entries(crl: &CertificateRevocationList<'_>) -> Result<Vec<Entry>, CrlError> {
    let mut entries = crl
        .iter_revoked_certificates()
        .map(entry)
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_by(|a, b| a.serial.cmp(&b.serial));
    Ok(entries)
}

fn entry(revoked: &RevokedCertificate<'_>) -> Result<Entry, CrlError> {
    let serial = minimal_integer(revoked.raw_serial()).to_vec();
    let mut reason = None;

    for extension in revoked.extensions() {
        let oid = extension.oid.to_id_string();
        match oid.as_str() {
            REASON_CODE => reason = Some(reason_code(extension.value)?),
            CERTIFICATE_ISSUER => return Err(CrlError::IndirectCrl),
            _ if !extension.critical || HARMLESS_ENTRY_EXTENSIONS.contains(&oid.as_str()) => {}
            _ => {
                return Err(CrlError::UnknownCriticalEntryExtension {
                    serial: hex::encode_upper(&serial),
                    oid,
                });
            }
        }
    }
    Ok(Entry { serial, reason })
}

/// `CRLReason ::= ENUMERATED`.
fn reason_code(value: &[u8]) -> Result<RevocationReason, CrlError> {
    const ENUMERATED: u8 = 0x0A;

    let code = der::read_single(value, ENUMERATED).map_err(CrlError::malformed)?;
    match code.value {
        [byte] => RevocationReason::from_code(*byte)
            .ok_or_else(|| CrlError::malformed(format!("unknown revocation reason {byte}"))),
        _ => Err(CrlError::malformed("the revocation reason is not one byte")),
    }
}

/// An INTEGER's content octets without redundant leading sign octets, so that serial numbers
/// encoded with and without padding compare equal.
pub(crate) fn minimal_integer(content: &[u8]) -> &[u8] {
    let mut digits = content;
    while let [first, second, ..] = digits {
        let redundant_zero = *first == 0x00 && second & 0x80 == 0;
        let redundant_ones = *first == 0xFF && second & 0x80 != 0;
        if !(redundant_zero || redundant_ones) {
            break;
        }
        digits = &digits[1..];
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_integers_drop_only_redundant_sign_octets() {
        assert_eq!(minimal_integer(&[0x00, 0x00, 0x7F]), &[0x7F]);
        assert_eq!(minimal_integer(&[0x00, 0x80]), &[0x00, 0x80]);
        assert_eq!(minimal_integer(&[0xFF, 0xFF, 0x80]), &[0x80]);
        assert_eq!(minimal_integer(&[0xFF, 0x7F]), &[0xFF, 0x7F]);
        assert_eq!(minimal_integer(&[0x00]), &[0x00]);
        assert_eq!(minimal_integer(&[]), &[] as &[u8]);
    }

    #[test]
    fn refuses_what_is_not_a_crl() {
        assert!(matches!(
            parse(&[0x30, 0x00]),
            Err(CrlError::Malformed { .. })
        ));
        assert!(matches!(parse(b"garbage"), Err(CrlError::Malformed { .. })));
    }

    #[test]
    fn reads_reason_codes() {
        assert_eq!(
            reason_code(&[0x0A, 0x01, 0x01]),
            Ok(RevocationReason::KeyCompromise)
        );
        assert!(reason_code(&[0x0A, 0x01, 0x07]).is_err(), "7 is unassigned");
        assert!(reason_code(&[0x02, 0x01, 0x01]).is_err());
    }

    #[test]
    fn crl_numbers_are_bounded() {
        assert_eq!(crl_number(&[0x02, 0x02, 0x00, 0x90]), Ok(vec![0x90]));
        assert!(crl_number(&[0x02, 0x01, 0x80]).is_err(), "negative");
        let mut long = vec![0x02, 21, 0x01];
        long.extend([0u8; 20]);
        assert!(crl_number(&long).is_err(), "21 octets");
    }
}
