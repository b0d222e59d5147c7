//! The parsed certificate and its .NET-shaped members.

use std::sync::Arc;

use sha1::{Digest, Sha1};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::CertificateError;

/// A parsed X.509 certificate with the members APIM policies read precomputed.
///
/// Cheap to clone: the text members are shared.
#[derive(Clone, Debug)]
pub struct Certificate {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    der: Vec<u8>,
    thumbprint: Arc<str>,
    serial_number: Arc<str>,
    subject: Arc<str>,
    issuer: Arc<str>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    version: u32,
}

impl Certificate {
    /// Parses one DER-encoded certificate.
    ///
    /// # Errors
    /// [`CertificateError::Malformed`] when the bytes are not a complete X.509 certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let (rest, parsed) = X509Certificate::from_der(der).map_err(|e| malformed(&e))?;
        if !rest.is_empty() {
            return Err(CertificateError::Malformed {
                reason: format!("{} trailing bytes after the certificate", rest.len()),
            });
        }

        let inner = Inner {
            der: der.to_vec(),
            thumbprint: thumbprint_of(der).into(),
            serial_number: hex::encode_upper(parsed.raw_serial()).into(),
            subject: parsed.subject().to_string().into(),
            issuer: parsed.issuer().to_string().into(),
            not_before: parsed.validity().not_before.to_datetime(),
            not_after: parsed.validity().not_after.to_datetime(),
            version: parsed.version().0 + 1,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The DER encoding the certificate was parsed from.
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// SHA-1 of the DER encoding, uppercase hex without separators (.NET `Thumbprint`).
    pub fn thumbprint(&self) -> &Arc<str> {
        &self.inner.thumbprint
    }

    /// The serial number as uppercase hex (.NET `SerialNumber`).
    pub fn serial_number(&self) -> &Arc<str> {
        &self.inner.serial_number
    }

    /// The subject distinguished name (.NET `Subject`).
    pub fn subject(&self) -> &Arc<str> {
        &self.inner.subject
    }

    /// The issuer distinguished name (.NET `Issuer`).
    pub fn issuer(&self) -> &Arc<str> {
        &self.inner.issuer
    }

    /// Start of the validity period, in UTC.
    pub fn not_before(&self) -> OffsetDateTime {
        self.inner.not_before
    }

    /// End of the validity period, in UTC.
    pub fn not_after(&self) -> OffsetDateTime {
        self.inner.not_after
    }

    /// The X.509 version number as .NET reports it (1, 2 or 3).
    pub fn version(&self) -> u32 {
        self.inner.version
    }
}

/// SHA-1 over `der`, uppercase hex: the thumbprint APIM and Windows show.
pub fn thumbprint_of(der: &[u8]) -> String {
    hex::encode_upper(Sha1::digest(der))
}

fn malformed(error: &dyn std::fmt::Display) -> CertificateError {
    CertificateError::Malformed { reason: error.to_string() }
}
