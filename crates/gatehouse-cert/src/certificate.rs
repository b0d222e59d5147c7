//! The parsed certificate and its .NET-shaped members.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use sha1::{Digest, Sha1};
use time::{OffsetDateTime, UtcOffset};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::CertificateError;
use crate::dn::{self, Rdn};
use crate::dotnet_string::{self, Sections};
use crate::extensions::{self, AltName};
use crate::key_usage::{self, KeyUsage};
use crate::name_info::{self, X509NameType};
use crate::oids::known;
use crate::public_key::{Oid, PublicKeyInfo};

/// A parsed X.509 certificate with the members APIM policies read precomputed.
///
/// Everything is computed once in [`Certificate::from_der`] (per TLS connection or per
/// upload), so the accessors are cheap on the request path. Cheap to clone: the data is
/// shared. Two certificates are equal when their DER encodings are.
#[derive(Clone)]
pub struct Certificate {
    inner: Arc<Inner>,
}

struct Inner {
    der: Vec<u8>,
    thumbprint: Arc<str>,
    serial_number: Arc<str>,
    serial_bytes: Vec<u8>,
    subject: Arc<str>,
    issuer: Arc<str>,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    subject_rdns: Vec<Rdn>,
    issuer_rdns: Vec<Rdn>,
    subject_common_name: Option<Arc<str>>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    version: u32,
    subject_alt_names: Vec<AltName>,
    issuer_alt_names: Vec<AltName>,
    dns_names: Vec<Arc<str>>,
    extended_key_usages: Option<Vec<Arc<str>>>,
    key_usage: Option<KeyUsage>,
    is_ca: bool,
    crl_distribution_points: Option<Vec<u8>>,
    signature_algorithm: Oid,
    public_key: PublicKeyInfo,
}

impl Certificate {
    /// Parses one DER-encoded certificate.
    ///
    /// Malformed alternative-name or EKU extensions are treated as absent rather than
    /// failing the whole certificate: a client certificate with a sloppy extension should
    /// still reach policy, where APIM would see it too.
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

        let inner = Inner::build(der, &parsed)?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The DER encoding the certificate was parsed from.
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// SHA-1 of the DER encoding, uppercase hex without separators (.NET `Thumbprint`).
    pub fn thumbprint(&self) -> &Arc<str> {
        &self.inner.thumbprint
    }

    /// The serial number as uppercase hex of its encoded bytes, a leading `00` sign byte
    /// included (.NET `SerialNumber`).
    pub fn serial_number(&self) -> &Arc<str> {
        &self.inner.serial_number
    }

    /// The serial number's encoded bytes (big-endian, two's complement).
    pub fn serial_number_bytes(&self) -> &[u8] {
        &self.inner.serial_bytes
    }

    /// The subject distinguished name as .NET prints it (`Subject`, `SubjectName.Name`):
    /// most specific RDN first, e.g. `CN=client, O="Contoso, Ltd", C=US`.
    pub fn subject(&self) -> &Arc<str> {
        &self.inner.subject
    }

    /// The issuer distinguished name as .NET prints it (`Issuer`, `IssuerName.Name`).
    pub fn issuer(&self) -> &Arc<str> {
        &self.inner.issuer
    }

    /// The encoded subject `Name` (.NET `SubjectName.RawData`).
    pub fn subject_der(&self) -> &[u8] {
        &self.inner.subject_der
    }

    /// The encoded issuer `Name` (.NET `IssuerName.RawData`).
    pub fn issuer_der(&self) -> &[u8] {
        &self.inner.issuer_der
    }

    /// The most specific common name (`CN`) of the subject, if any.
    pub fn subject_common_name(&self) -> Option<&Arc<str>> {
        self.inner.subject_common_name.as_ref()
    }

    /// Start of the validity period, in UTC (.NET `NotBefore` is this in local time).
    pub fn not_before(&self) -> OffsetDateTime {
        self.inner.not_before
    }

    /// End of the validity period, in UTC (.NET `NotAfter` is this in local time).
    pub fn not_after(&self) -> OffsetDateTime {
        self.inner.not_after
    }

    /// The X.509 version number as .NET reports it (1, 2 or 3).
    pub fn version(&self) -> u32 {
        self.inner.version
    }

    /// The DNS names of the subject alternative name extension, in order.
    pub fn dns_names(&self) -> &[Arc<str>] {
        &self.inner.dns_names
    }

    /// Every entry of the subject alternative name extension, in order.
    pub fn subject_alternative_names(&self) -> &[AltName] {
        &self.inner.subject_alt_names
    }

    /// The extended key usage OIDs in encoded order, or `None` when the certificate has no
    /// EKU extension (which allows every usage).
    pub fn extended_key_usages(&self) -> Option<&[Arc<str>]> {
        self.inner.extended_key_usages.as_deref()
    }

    /// True when the EKU extension lists clientAuth (`1.3.6.1.5.5.7.3.2`) explicitly.
    pub fn has_client_auth_eku(&self) -> bool {
        self.has_eku(known::CLIENT_AUTH)
    }

    /// True when the certificate may be used for client authentication: no EKU extension,
    /// or one listing clientAuth or anyExtendedKeyUsage (the rule .NET chain building uses).
    pub fn allows_client_auth(&self) -> bool {
        self.extended_key_usages().is_none()
            || self.has_client_auth_eku()
            || self.has_eku(known::ANY_EXTENDED_KEY_USAGE)
    }

    /// The keyUsage extension, or `None` when the certificate has none (which allows every
    /// usage). A malformed extension reads as allowing nothing.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.inner.key_usage
    }

    /// True when basicConstraints says `cA: TRUE`: the certificate belongs to a CA.
    pub fn is_ca(&self) -> bool {
        self.inner.is_ca
    }

    /// The encoded value of the cRLDistributionPoints extension, for CRL scope checks.
    pub(crate) fn crl_distribution_points_der(&self) -> Option<&[u8]> {
        self.inner.crl_distribution_points.as_deref()
    }

    fn has_eku(&self, oid: &str) -> bool {
        self.extended_key_usages()
            .is_some_and(|usages| usages.iter().any(|u| &**u == oid))
    }

    /// The signature algorithm, e.g. `sha256RSA` or `sha256ECDSA` (.NET `SignatureAlgorithm`).
    pub fn signature_algorithm(&self) -> &Oid {
        &self.inner.signature_algorithm
    }

    /// The subject public key (.NET `PublicKey`).
    pub fn public_key(&self) -> &PublicKeyInfo {
        &self.inner.public_key
    }

    /// .NET `GetNameInfo(kind, forIssuer)`; `""` when there is no such name.
    pub fn get_name_info(&self, kind: X509NameType, for_issuer: bool) -> String {
        let inner = &self.inner;
        if for_issuer {
            name_info::name_info(kind, &inner.issuer_rdns, &inner.issuer_alt_names)
        } else {
            name_info::name_info(kind, &inner.subject_rdns, &inner.subject_alt_names)
        }
    }

    /// .NET `ToString()` as APIM shows it, with dates in the gateway's local time zone
    /// (UTC when the zone cannot be determined; see [`crate::local_offset`]).
    pub fn to_dotnet_string(&self) -> String {
        self.to_dotnet_string_with_offset(dotnet_string::local_offset())
    }

    /// .NET `ToString()` with dates shown at a given UTC offset.
    pub fn to_dotnet_string_with_offset(&self, offset: UtcOffset) -> String {
        let sections = Sections {
            subject: self.subject(),
            issuer: self.issuer(),
            serial_number: self.serial_number(),
            not_before: self.not_before(),
            not_after: self.not_after(),
            thumbprint: self.thumbprint(),
        };
        dotnet_string::render(&sections, offset)
    }
}

impl Inner {
    fn build(der: &[u8], parsed: &X509Certificate<'_>) -> Result<Self, CertificateError> {
        let subject_der = parsed.subject().as_raw().to_vec();
        let issuer_der = parsed.issuer().as_raw().to_vec();
        let subject_rdns = dn::parse_rdns(&subject_der).unwrap_or_default();
        let issuer_rdns = dn::parse_rdns(&issuer_der).unwrap_or_default();
        let subject_alt_names = alt_names(parsed, known::SUBJECT_ALT_NAME);

        Ok(Self {
            der: der.to_vec(),
            thumbprint: thumbprint_of(der).into(),
            serial_number: hex::encode_upper(parsed.raw_serial()).into(),
            serial_bytes: parsed.raw_serial().to_vec(),
            subject: dn::format_rdns(&subject_rdns).into(),
            issuer: dn::format_rdns(&issuer_rdns).into(),
            subject_common_name: dn::most_specific(&subject_rdns, known::COMMON_NAME)
                .map(Arc::from),
            not_before: parsed.validity().not_before.to_datetime(),
            not_after: parsed.validity().not_after.to_datetime(),
            version: parsed.version().0 + 1,
            issuer_alt_names: alt_names(parsed, known::ISSUER_ALT_NAME),
            dns_names: dns_names_of(&subject_alt_names),
            subject_alt_names,
            extended_key_usages: extended_key_usages(parsed),
            key_usage: extension_value(parsed, known::KEY_USAGE).map(|value| {
                // Unreadable bits allow nothing rather than everything: fail closed.
                key_usage::parse_key_usage(value).unwrap_or(KeyUsage::NONE)
            }),
            is_ca: extension_value(parsed, known::BASIC_CONSTRAINTS)
                .is_some_and(|value| key_usage::parse_is_ca(value).unwrap_or(false)),
            crl_distribution_points: extension_value(parsed, known::CRL_DISTRIBUTION_POINTS)
                .map(<[u8]>::to_vec),
            signature_algorithm: Oid::new(&parsed.signature_algorithm.algorithm.to_id_string()),
            public_key: PublicKeyInfo::from_spki(parsed.public_key().raw)
                .map_err(|e| malformed(&e))?,
            subject_der,
            issuer_der,
            subject_rdns,
            issuer_rdns,
        })
    }
}

/// The value of the first extension with this OID, as .NET reads it.
fn extension_value<'a>(parsed: &'a X509Certificate<'_>, oid: &str) -> Option<&'a [u8]> {
    parsed
        .extensions()
        .iter()
        .find(|ext| ext.oid.to_id_string() == oid)
        .map(|ext| ext.value)
}

fn alt_names(parsed: &X509Certificate<'_>, oid: &str) -> Vec<AltName> {
    extension_value(parsed, oid)
        .and_then(|value| extensions::parse_general_names(value).ok())
        .unwrap_or_default()
}

fn dns_names_of(names: &[AltName]) -> Vec<Arc<str>> {
    let dns = |name: &AltName| match name {
        AltName::Dns(dns) => Some(dns.clone()),
        _ => None,
    };
    names.iter().filter_map(dns).collect()
}

fn extended_key_usages(parsed: &X509Certificate<'_>) -> Option<Vec<Arc<str>>> {
    let value = extension_value(parsed, known::EXTENDED_KEY_USAGE)?;
    extensions::parse_extended_key_usage(value).ok()
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.inner.der == other.inner.der
    }
}

impl Eq for Certificate {}

impl Hash for Certificate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.der.hash(state);
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("issuer", &self.issuer())
            .field("serial_number", &self.serial_number())
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

/// SHA-1 over `der`, uppercase hex: the thumbprint APIM and Windows show.
pub fn thumbprint_of(der: &[u8]) -> String {
    hex::encode_upper(Sha1::digest(der))
}

fn malformed(error: &dyn fmt::Display) -> CertificateError {
    CertificateError::Malformed {
        reason: error.to_string(),
    }
}
