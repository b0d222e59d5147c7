//! Certificate revocation lists: read once when uploaded, consulted by chain verification.
//!
//! rustls-webpki has its own CRL support, but it reads version 2 CRLs only, and `openssl ca
//! -gencrl` without a `crlnumber` file still writes version 1 — the CRLs of many small
//! private CAs, exactly the CAs that issue client certificates. A version 1 CRL has no
//! extensions, so it is simple to honour: it is complete for its issuer. The checks here
//! therefore cover both versions with one set of rules (RFC 5280 6.3.3, without delta or
//! indirect CRLs):
//!
//! - a CRL counts for a certificate when its issuer name is the certificate's issuer name,
//!   its signature verifies with the key of the issuer in the path being checked, that
//!   issuer's keyUsage (if any) allows `cRLSign`, it is already valid (thisUpdate), and its
//!   issuingDistributionPoint (if any) covers the certificate;
//! - the certificate is revoked when a counting CRL lists its serial (even an expired CRL:
//!   revocation is not undone by age), unless the entry's reason is `removeFromCRL`;
//! - its status is known when the counting, unexpired CRLs together cover every reason.
//!
//! Anything these rules cannot honour is refused when the CRL is read ([`CrlError`]).

mod error;
mod parse;
mod scope;
pub(crate) mod signature;
mod status;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use crate::{Certificate, KeyUsage, pem};

pub use error::CrlError;
pub(crate) use status::{Issuer, Status, status};

/// Why a certificate was revoked (RFC 5280 5.3.1 `CRLReason`, .NET `X509RevocationReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationReason {
    /// `unspecified` (0).
    Unspecified,
    /// `keyCompromise` (1).
    KeyCompromise,
    /// `cACompromise` (2).
    CaCompromise,
    /// `affiliationChanged` (3).
    AffiliationChanged,
    /// `superseded` (4).
    Superseded,
    /// `cessationOfOperation` (5).
    CessationOfOperation,
    /// `certificateHold` (6): suspended; treated as revoked, as .NET does.
    CertificateHold,
    /// `removeFromCRL` (8): only meaningful in delta CRLs; such an entry revokes nothing.
    RemoveFromCrl,
    /// `privilegeWithdrawn` (9).
    PrivilegeWithdrawn,
    /// `aACompromise` (10).
    AaCompromise,
}

impl RevocationReason {
    fn from_code(code: u8) -> Option<Self> {
        let reason = match code {
            0 => Self::Unspecified,
            1 => Self::KeyCompromise,
            2 => Self::CaCompromise,
            3 => Self::AffiliationChanged,
            4 => Self::Superseded,
            5 => Self::CessationOfOperation,
            6 => Self::CertificateHold,
            8 => Self::RemoveFromCrl,
            9 => Self::PrivilegeWithdrawn,
            10 => Self::AaCompromise,
            _ => return None,
        };
        Some(reason)
    }
}

/// How many issuer keys a CRL remembers having checked its signature against. A CRL has one
/// issuer, so more than a handful means someone is presenting look-alike CAs; those are
/// checked every time rather than remembered.
const REMEMBERED_KEYS: usize = 4;

/// A certificate revocation list, version 1 or 2, parsed once when it is uploaded.
///
/// Cheap to clone: the data is shared. Its signature is checked against the issuer found in
/// each chain (the first result per issuer key is remembered), so a CRL can also serve an
/// intermediate CA that only clients present.
#[derive(Clone)]
pub struct Crl {
    inner: Arc<Inner>,
}

struct Inner {
    parsed: parse::Parsed,
    issuer: Arc<str>,
    checked_keys: Mutex<Vec<(Vec<u8>, bool)>>,
}

impl Crl {
    /// Parses a DER CRL.
    ///
    /// # Errors
    /// A [`CrlError`] saying what is wrong or unsupported (delta and indirect CRLs, unknown
    /// critical extensions, a version 2 CRL without a CRL number).
    pub fn from_der(der: &[u8]) -> Result<Self, CrlError> {
        let parsed = parse::parse(der)?;
        let issuer = crate::dotnet_distinguished_name(&parsed.issuer_der).into();
        Ok(Self {
            inner: Arc::new(Inner {
                parsed,
                issuer,
                checked_keys: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Parses every `X509 CRL` block of PEM text, or DER bytes.
    ///
    /// # Errors
    /// [`CrlError::NoCrlInPem`] for PEM text without a CRL block, otherwise the first error
    /// of [`Crl::from_der`].
    pub fn parse(bytes: &[u8]) -> Result<Vec<Self>, CrlError> {
        if !pem::looks_like_pem(bytes) {
            return Self::from_der(bytes).map(|crl| vec![crl]);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| CrlError::malformed("the PEM text is not UTF-8"))?;
        let blocks = pem::parse(text).map_err(CrlError::malformed)?;

        let crls: Vec<Self> = blocks
            .iter()
            .filter(|block| block.label == "X509 CRL")
            .map(|block| Self::from_der(&block.der))
            .collect::<Result<_, _>>()?;
        if crls.is_empty() {
            return Err(CrlError::NoCrlInPem);
        }
        Ok(crls)
    }

    /// The DER encoding the CRL was parsed from.
    pub fn der(&self) -> &[u8] {
        &self.parsed().der
    }

    /// The CRL version: 1 or 2.
    pub fn version(&self) -> u32 {
        self.parsed().version
    }

    /// The issuer as .NET prints distinguished names, e.g. `CN=Issuing CA, O=Contoso`.
    pub fn issuer(&self) -> &Arc<str> {
        &self.inner.issuer
    }

    /// The encoded issuer `Name`.
    pub fn issuer_der(&self) -> &[u8] {
        &self.parsed().issuer_der
    }

    /// When the CRL was issued (thisUpdate), UTC.
    pub fn this_update(&self) -> OffsetDateTime {
        self.parsed().this_update
    }

    /// When the next CRL is due (nextUpdate), UTC; `None` when the CRL does not say.
    pub fn next_update(&self) -> Option<OffsetDateTime> {
        self.parsed().next_update
    }

    /// True when `now` is past nextUpdate.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.next_update().is_some_and(|next| now > next)
    }

    /// The CRL number as uppercase hex, for version 2 CRLs.
    pub fn crl_number(&self) -> Option<String> {
        self.parsed().number.as_deref().map(hex::encode_upper)
    }

    /// How many serial numbers the CRL lists.
    pub fn revoked_count(&self) -> usize {
        self.parsed().entries.len()
    }

    /// Checks that `issuer` issued this CRL: same name, keyUsage allowing `cRLSign` (or no
    /// keyUsage), and a key that verifies the signature. Call it at upload time with the CA
    /// certificate to tell an operator at once that a CRL would never count.
    ///
    /// # Errors
    /// [`CrlError::NameMismatch`], [`CrlError::IssuerNotCrlSigner`] or
    /// [`CrlError::InvalidSignature`].
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<(), CrlError> {
        let name = || issuer.subject().to_string();
        if issuer.subject_der() != self.issuer_der() {
            return Err(CrlError::NameMismatch {
                crl_issuer: self.issuer().to_string(),
                certificate: name(),
            });
        }
        if !may_sign_crls(issuer.key_usage()) {
            return Err(CrlError::IssuerNotCrlSigner { issuer: name() });
        }
        if !self.signed_by(issuer.public_key().spki_der()) {
            return Err(CrlError::InvalidSignature { issuer: name() });
        }
        Ok(())
    }

    /// True when the key (DER SubjectPublicKeyInfo) verifies the signature; remembered per key.
    pub(crate) fn signed_by(&self, spki_der: &[u8]) -> bool {
        if let Some(verdict) = self.remembered(spki_der) {
            return verdict;
        }

        // Verified outside the lock, so concurrent checks of one CRL do not queue up; two
        // first checks may both verify, which costs time only.
        let parsed = self.parsed();
        let signed = signature::Signed {
            message: &parsed.der[parsed.tbs.clone()],
            algorithm: &parsed.signature_algorithm,
            signature: &parsed.signature,
        };
        let verdict = signature::verifies(spki_der, &signed);
        self.remember(spki_der, verdict);
        verdict
    }

    fn remembered(&self, spki_der: &[u8]) -> Option<bool> {
        let checked = self.checked_keys();
        checked
            .iter()
            .find(|(key, _)| key == spki_der)
            .map(|(_, verdict)| *verdict)
    }

    fn remember(&self, spki_der: &[u8], verdict: bool) {
        let mut checked = self.checked_keys();
        let known = checked.iter().any(|(key, _)| key == spki_der);
        if !known && checked.len() < REMEMBERED_KEYS {
            checked.push((spki_der.to_vec(), verdict));
        }
    }

    /// The memo; a panic elsewhere while it was held leaves it usable (it is only a cache).
    fn checked_keys(&self) -> MutexGuard<'_, Vec<(Vec<u8>, bool)>> {
        self.inner
            .checked_keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn parsed(&self) -> &parse::Parsed {
        &self.inner.parsed
    }
}

/// RFC 5280 6.3.3 (f): a keyUsage extension, when present, must allow `cRLSign`.
pub(crate) fn may_sign_crls(key_usage: Option<KeyUsage>) -> bool {
    key_usage.is_none_or(|usage| usage.contains(KeyUsage::CRL_SIGN))
}

impl fmt::Debug for Crl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", self.issuer())
            .field("version", &self.version())
            .field("crl_number", &self.crl_number())
            .field("this_update", &self.this_update())
            .field("next_update", &self.next_update())
            .field("revoked", &self.revoked_count())
            .finish()
    }
}
