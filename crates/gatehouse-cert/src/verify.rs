//! Chain verification against uploaded CA certificates and CRLs: what `Verify()`,
//! `VerifyNoRevocation()` and `validate-client-certificate validate-trust` need.
//!
//! Path building, signatures and CRL checks are rustls-webpki's; this module adds the .NET
//! shape on top:
//!
//! - A certificate that is itself a trusted root verifies (a one-element chain), as on
//!   Windows, even when it is marked as a CA; webpki alone refuses CAs as end entities.
//! - Extended key usage follows .NET rather than webpki's default: no usage is required
//!   unless asked for; when one is, every certificate in the path that has an EKU extension
//!   must list it or anyExtendedKeyUsage, and certificates without the extension pass.
//! - Revocation is checked for the leaf and intermediates, not the root (.NET's default
//!   `ExcludeRoot`), and unknown status fails, as `Verify()` does when no CRL is reachable.
//!
//! Known differences from .NET, all inherited from webpki: X.509 v1 leaves, unknown critical
//! extensions, SHA-1 signatures and RSA keys under 2048 bits are refused; only v2 CRLs are
//! read; the validity of trust anchors is not checked; nothing is fetched over the network.

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use thiserror::Error;
use time::OffsetDateTime;
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator, KeyPurposeId,
    KeyPurposeIdIter, OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder,
    UnknownStatusPolicy,
};

use crate::{Certificate, pem};

/// Uploaded CA certificates: roots (`isTrusted: true`) and intermediates (`false`).
#[derive(Debug, Default, Clone)]
pub struct TrustStore {
    roots: Vec<Certificate>,
    anchors: Vec<TrustAnchor<'static>>,
    intermediates: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store: nothing verifies against it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trusted root.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`] when the certificate cannot serve as a trust anchor.
    pub fn add_root(&mut self, certificate: Certificate) -> Result<(), VerifyError> {
        let der = CertificateDer::from(certificate.der());
        let anchor =
            webpki::anchor_from_trusted_cert(&der).map_err(|e| VerifyError::from_webpki(&e))?;
        self.anchors.push(anchor.to_owned());
        self.roots.push(certificate);
        Ok(())
    }

    /// Adds an intermediate CA that chains may use but that is not trusted by itself.
    pub fn add_intermediate(&mut self, certificate: Certificate) {
        self.intermediates.push(certificate);
    }

    /// The trusted roots.
    pub fn roots(&self) -> &[Certificate] {
        &self.roots
    }

    /// The untrusted intermediates.
    pub fn intermediates(&self) -> &[Certificate] {
        &self.intermediates
    }
}

/// A certificate revocation list, parsed once when it is uploaded.
#[derive(Debug, Clone)]
pub struct Crl {
    inner: Arc<CertRevocationList<'static>>,
}

impl Crl {
    /// Parses a DER CRL.
    ///
    /// # Errors
    /// [`VerifyError::InvalidCrl`] for anything but a well-formed v2 CRL.
    pub fn from_der(der: &[u8]) -> Result<Self, VerifyError> {
        let owned =
            OwnedCertRevocationList::from_der(der).map_err(|e| VerifyError::InvalidCrl {
                reason: format!("{e:?}"),
            })?;
        Ok(Self {
            inner: Arc::new(CertRevocationList::from(owned)),
        })
    }

    /// Parses every `X509 CRL` block of PEM text, or DER bytes.
    ///
    /// # Errors
    /// [`VerifyError::InvalidCrl`] when no CRL can be read.
    pub fn parse(bytes: &[u8]) -> Result<Vec<Self>, VerifyError> {
        if !pem::looks_like_pem(bytes) {
            return Self::from_der(bytes).map(|crl| vec![crl]);
        }
        let invalid = |reason: String| VerifyError::InvalidCrl { reason };
        let text = std::str::from_utf8(bytes)
            .map_err(|_| invalid("the PEM text is not UTF-8".to_owned()))?;
        let blocks = pem::parse(text).map_err(|e| invalid(e.to_string()))?;

        let crls: Vec<Self> = blocks
            .iter()
            .filter(|b| b.label == "X509 CRL")
            .map(|b| Self::from_der(&b.der))
            .collect::<Result<_, _>>()?;
        if crls.is_empty() {
            return Err(invalid("no X509 CRL block found".to_owned()));
        }
        Ok(crls)
    }
}

/// How far revocation is checked (.NET `X509RevocationMode` and `X509RevocationFlag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationMode {
    /// No revocation check (`VerifyNoRevocation()`).
    NoCheck,
    /// The leaf only.
    EndCertificateOnly,
    /// The leaf and every intermediate, not the root (.NET's default, `ExcludeRoot`).
    ExcludeRoot,
}

/// The extended key usage a chain must allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequiredUsage {
    /// None (`Verify()` asks for none).
    Any,
    /// TLS client authentication.
    ClientAuth,
    /// TLS server authentication.
    ServerAuth,
}

/// Options for [`verify_chain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Which certificates are checked against the CRLs.
    pub revocation: RevocationMode,
    /// Accept certificates for which no CRL gives a status (default: refuse, like .NET).
    pub allow_unknown_revocation_status: bool,
    /// Accept CRLs past their nextUpdate time (default: refuse).
    pub allow_expired_crls: bool,
    /// The usage every certificate of the chain must allow.
    pub required_usage: RequiredUsage,
}

impl VerifyOptions {
    /// What `X509Certificate2.Verify()` checks: full chain, revocation of leaf and
    /// intermediates, any usage.
    pub fn verify() -> Self {
        Self {
            revocation: RevocationMode::ExcludeRoot,
            allow_unknown_revocation_status: false,
            allow_expired_crls: false,
            required_usage: RequiredUsage::Any,
        }
    }

    /// What APIM's `VerifyNoRevocation()` checks.
    pub fn verify_no_revocation() -> Self {
        Self {
            revocation: RevocationMode::NoCheck,
            ..Self::verify()
        }
    }
}

impl VerifyOptions {
    /// The same options with another revocation depth.
    pub fn with_revocation(self, revocation: RevocationMode) -> Self {
        Self { revocation, ..self }
    }

    /// The same options requiring an extended key usage.
    pub fn with_required_usage(self, required_usage: RequiredUsage) -> Self {
        Self {
            required_usage,
            ..self
        }
    }

    /// The same options, accepting certificates no CRL covers. Weakens the check.
    pub fn allowing_unknown_revocation_status(self) -> Self {
        Self {
            allow_unknown_revocation_status: true,
            ..self
        }
    }

    /// The same options, accepting CRLs past their nextUpdate time. Weakens the check.
    pub fn allowing_expired_crls(self) -> Self {
        Self {
            allow_expired_crls: true,
            ..self
        }
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self::verify()
    }
}

/// Why a chain did not verify. Each variant corresponds to a .NET `X509ChainStatusFlags`
/// value where one exists.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A CRL needed for the check is past its nextUpdate time (`OfflineRevocation`).
    #[error("a certificate revocation list needed for the check has expired")]
    CrlExpired,
    /// A CRL could not be read or used.
    #[error("the certificate revocation list cannot be used: {reason}")]
    InvalidCrl {
        /// What was wrong.
        reason: String,
    },
    /// A signature in the chain does not verify (`NotSignatureValid`).
    #[error("a signature in the certificate chain is not valid")]
    InvalidSignature,
    /// A certificate is structurally invalid.
    #[error("the certificate chain is malformed: {reason}")]
    Malformed {
        /// What the verifier reported.
        reason: String,
    },
    /// The required extended key usage is missing (`NotValidForUsage`).
    #[error("the certificate chain is not valid for the required usage")]
    NotValidForUsage,
    /// A certificate is outside its validity period (`NotTimeValid`).
    #[error("a certificate in the chain is not valid at this time")]
    NotTimeValid,
    /// A certificate is revoked (`Revoked`).
    #[error("a certificate in the chain is revoked")]
    Revoked,
    /// No CRL gives a status for a certificate (`RevocationStatusUnknown`).
    #[error("the revocation status of a certificate in the chain is unknown")]
    RevocationStatusUnknown,
    /// The chain does not end at a trusted root (`PartialChain` / `UntrustedRoot`).
    #[error("the certificate chain does not lead to a trusted root")]
    Untrusted,
    /// A feature the verifier does not implement (X.509 v1 leaf, unknown critical
    /// extension, SHA-1 signature, small RSA key, name constraint form).
    #[error("the certificate chain uses a feature the verifier does not support: {reason}")]
    Unsupported {
        /// What was unsupported.
        reason: String,
    },
}

impl VerifyError {
    fn from_webpki(error: &webpki::Error) -> Self {
        use webpki::Error as W;
        let reason = format!("{error:?}");
        match error {
            W::UnknownIssuer => Self::Untrusted,
            W::CertExpired { .. } | W::CertNotValidYet { .. } | W::InvalidCertValidity => {
                Self::NotTimeValid
            }
            W::CertRevoked => Self::Revoked,
            W::UnknownRevocationStatus => Self::RevocationStatusUnknown,
            W::CrlExpired { .. } => Self::CrlExpired,
            W::RequiredEkuNotFoundContext(_) => Self::NotValidForUsage,
            W::InvalidSignatureForPublicKey | W::InvalidCrlSignatureForPublicKey => {
                Self::InvalidSignature
            }
            W::UnsupportedCertVersion
            | W::UnsupportedCriticalExtension
            | W::UnsupportedSignatureAlgorithmContext(_)
            | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | W::UnsupportedNameType => Self::Unsupported { reason },
            _ => Self::Malformed { reason },
        }
    }
}

/// Verifies that `leaf` chains to a root of `store`, using the presented and stored
/// intermediates, at `time`, under `options`.
///
/// # Errors
/// The [`VerifyError`] that describes the first problem found.
pub fn verify_chain(
    leaf: &Certificate,
    presented_intermediates: &[Certificate],
    store: &TrustStore,
    crls: &[Crl],
    time: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    let now = unix_time(time)?;
    if store.roots.contains(leaf) {
        return verify_trusted_root(leaf, time, options);
    }

    let leaf_der = CertificateDer::from(leaf.der());
    let end_entity =
        EndEntityCert::try_from(&leaf_der).map_err(|e| VerifyError::from_webpki(&e))?;
    let intermediates: Vec<CertificateDer<'_>> = presented_intermediates
        .iter()
        .chain(&store.intermediates)
        .map(|c| CertificateDer::from(c.der()))
        .collect();

    let crl_refs: Vec<&CertRevocationList<'_>> = crls.iter().map(|c| &*c.inner).collect();
    let revocation = revocation_options(&crl_refs, options);
    let eku = DotnetEku(options.required_usage);
    let algorithms = webpki::ALL_VERIFICATION_ALGS;

    end_entity
        .verify_for_usage(
            algorithms,
            &store.anchors,
            &intermediates,
            now,
            eku,
            revocation,
            None,
        )
        .map_err(|e| VerifyError::from_webpki(&e))?;
    missing_crls_verdict(crls, options)
}

/// A trusted root presented as the leaf: a chain of one, checked for time and usage only
/// (roots are never revocation-checked under `ExcludeRoot`).
fn verify_trusted_root(
    root: &Certificate,
    time: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    if time < root.not_before() || time > root.not_after() {
        return Err(VerifyError::NotTimeValid);
    }
    let allowed = match options.required_usage {
        RequiredUsage::Any => true,
        RequiredUsage::ClientAuth => root.allows_client_auth(),
        RequiredUsage::ServerAuth => root.extended_key_usages().is_none_or(|usages| {
            usages
                .iter()
                .any(|u| &**u == "1.3.6.1.5.5.7.3.1" || &**u == "2.5.29.37.0")
        }),
    };
    if allowed {
        Ok(())
    } else {
        Err(VerifyError::NotValidForUsage)
    }
}

fn revocation_options<'a>(
    crls: &'a [&'a CertRevocationList<'a>],
    options: &VerifyOptions,
) -> Option<webpki::RevocationOptions<'a>> {
    let depth = match options.revocation {
        RevocationMode::NoCheck => return None,
        RevocationMode::EndCertificateOnly => RevocationCheckDepth::EndEntity,
        RevocationMode::ExcludeRoot => RevocationCheckDepth::Chain,
    };
    let status = if options.allow_unknown_revocation_status {
        UnknownStatusPolicy::Allow
    } else {
        UnknownStatusPolicy::Deny
    };
    let expiration = if options.allow_expired_crls {
        ExpirationPolicy::Ignore
    } else {
        ExpirationPolicy::Enforce
    };

    let builder = RevocationOptionsBuilder::new(crls).ok()?;
    Some(
        builder
            .with_depth(depth)
            .with_status_policy(status)
            .with_expiration_policy(expiration)
            .build(),
    )
}

/// webpki cannot run a revocation check without CRLs; with none uploaded, the status of a
/// chain that otherwise verified is unknown.
fn missing_crls_verdict(crls: &[Crl], options: &VerifyOptions) -> Result<(), VerifyError> {
    let checking = options.revocation != RevocationMode::NoCheck;
    if checking && crls.is_empty() && !options.allow_unknown_revocation_status {
        return Err(VerifyError::RevocationStatusUnknown);
    }
    Ok(())
}

fn unix_time(time: OffsetDateTime) -> Result<UnixTime, VerifyError> {
    let seconds = u64::try_from(time.unix_timestamp()).map_err(|_| VerifyError::NotTimeValid)?;
    Ok(UnixTime::since_unix_epoch(Duration::from_secs(seconds)))
}

/// The .NET EKU rule; see the module documentation.
struct DotnetEku(RequiredUsage);

const CLIENT_AUTH: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
const SERVER_AUTH: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const ANY_USAGE: &[u8] = &[0x55, 0x1D, 0x25, 0x00];

impl DotnetEku {
    fn required_oid(&self) -> Option<&'static [u8]> {
        match self.0 {
            RequiredUsage::ClientAuth => Some(CLIENT_AUTH),
            RequiredUsage::ServerAuth => Some(SERVER_AUTH),
            RequiredUsage::Any => None,
        }
    }
}

impl ExtendedKeyUsageValidator for DotnetEku {
    fn validate(&self, mut usages: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let Some(required_oid) = self.required_oid() else {
            // Nothing is required, but a malformed extension still fails.
            return usages.try_for_each(|usage| usage.map(drop));
        };

        let required = KeyPurposeId::new(required_oid);
        let mut present = Vec::new();
        for usage in usages {
            let usage = usage?;
            if usage == required || usage == KeyPurposeId::new(ANY_USAGE) {
                return Ok(());
            }
            present.push(usage.to_decoded_oid());
        }
        if present.is_empty() {
            return Ok(());
        }
        let context = webpki::RequiredEkuNotFoundContext {
            required: webpki::KeyUsage::required(required_oid),
            present,
        };
        Err(webpki::Error::RequiredEkuNotFoundContext(context))
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
