//! Chain verification against uploaded CA certificates and CRLs: what `Verify()`,
//! `VerifyNoRevocation()` and `validate-client-certificate validate-trust` need.
//!
//! Path building, signatures, validity, basic and name constraints are rustls-webpki's; this
//! module adds the .NET shape on top:
//!
//! - A certificate that is itself a trusted root verifies (a one-element chain), as on
//!   Windows, even when it is marked as a CA; webpki alone refuses CAs as end entities.
//! - Extended key usage follows .NET rather than webpki's default: no usage is required
//!   unless asked for; when one is, every certificate in the path that has an EKU extension
//!   must list it or anyExtendedKeyUsage, and certificates without the extension pass.
//! - The root's validity period is checked, as .NET checks every element of the chain;
//!   webpki never looks at a trust anchor's dates.
//! - Revocation comes from uploaded CRLs, version 1 or 2 (see [`crate::crl`]), for the leaf
//!   and intermediates, not the root (.NET's default `ExcludeRoot`); an unknown status
//!   fails unless allowed, as `Verify()` fails when no CRL is reachable.
//! - A limit on intermediate CAs can be set ([`VerifyOptions::max_intermediates`]).
//!
//! Known differences from .NET, inherited from webpki: X.509 v1 leaves, unknown critical
//! extensions, SHA-1 signatures and RSA keys under 2048 bits are refused; a leaf marked as a
//! CA is refused unless it is itself a trusted root; name constraints on directory names,
//! email addresses and URIs fail closed; certificate policies are not processed; at most six
//! intermediates. Nothing is fetched over the network (no AIA, no CRL download, no OCSP).
//!
//! # Calling it from a policy host
//!
//! [`TrustConfig`] holds the store, the CRLs and the configured options;
//! [`TrustConfig::verify`] answers both `Verify()` and `VerifyNoRevocation()`.

mod config;
mod eku;
mod error;
mod name;
mod options;
mod path;
mod store;

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use webpki::{EndEntityCert, VerifiedPath};

use crate::Certificate;
use eku::DotnetEku;
use path::{PathChecks, Resolved, unix_time};

pub use crate::crl::{Crl, CrlError, RevocationReason};
pub use config::TrustConfig;
pub use error::VerifyError;
pub use name::{PeerName, verify_peer_name};
pub use options::{RequiredUsage, RevocationMode, VerifyOptions};
pub use store::TrustStore;

/// The most certificates taken from a client's presented chain. Real chains are a leaf and a
/// few intermediates, though cross-signed PKIs may offer a few dozen candidates; the work of
/// path building is bounded by webpki's signature and call budgets, this bounds the list.
pub const MAX_PRESENTED_CERTIFICATES: usize = 64;

/// A chain that verified, leaf first and root last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedChain {
    /// Never empty: every chain is built from a leaf.
    certificates: Vec<Certificate>,
}

impl VerifiedChain {
    /// Every certificate of the chain: the leaf, the intermediates used, the root. A trusted
    /// root verified by itself is a chain of one.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The certificate that was verified.
    pub fn leaf(&self) -> &Certificate {
        &self.certificates[0]
    }

    /// The certificate whose key signed the leaf (`issuer-thumbprint` identities compare
    /// it); the leaf itself when it is a trusted root.
    pub fn issuer(&self) -> &Certificate {
        self.certificates.get(1).unwrap_or(&self.certificates[0])
    }

    /// The trusted root the chain ends at.
    pub fn root(&self) -> &Certificate {
        // Indexing relies on the field's invariant: never empty.
        &self.certificates[self.certificates.len() - 1]
    }
}

impl From<Resolved<'_>> for VerifiedChain {
    fn from(path: Resolved<'_>) -> Self {
        let mut certificates: Vec<Certificate> = path.below_root.into_iter().cloned().collect();
        certificates.push(path.root.clone());
        Self { certificates }
    }
}

/// Verifies that `leaf` chains to a root of `store` at `time`, using the intermediates the
/// client presented (in any order; copies of the leaf are ignored, and at most
/// [`MAX_PRESENTED_CERTIFICATES`] are used) and those of the store.
///
/// # Errors
/// The [`VerifyError`] that describes the most specific problem found across the candidate
/// paths.
pub fn verify_chain(
    leaf: &Certificate,
    presented_intermediates: &[Certificate],
    store: &TrustStore,
    crls: &[Crl],
    time: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<VerifiedChain, VerifyError> {
    if time.unix_timestamp() < 0 {
        return Err(VerifyError::NotTimeValid);
    }
    // Certificates state times to the second and webpki compares whole seconds; so do the
    // checks of this crate (root validity, CRL dates).
    let time = time.replace_nanosecond(0).unwrap_or(time);
    if store.roots().contains(leaf) {
        return verify_trusted_root(leaf, time, options);
    }

    // Presented certificates the path builder cannot read could never be part of a path;
    // dropping them keeps their problem from being reported instead of the real one.
    let candidates: Vec<&Certificate> = presented_intermediates
        .iter()
        .take(MAX_PRESENTED_CERTIFICATES)
        .filter(|candidate| *candidate != leaf && store::usable_in_paths(candidate).is_ok())
        .chain(store.intermediates())
        .collect();
    let checks = PathChecks {
        leaf,
        candidates: &candidates,
        store,
        crls,
        time,
        options,
    };
    build_path(&checks)
}

/// Runs webpki's path builder with our checks on each candidate path.
fn build_path(checks: &PathChecks<'_>) -> Result<VerifiedChain, VerifyError> {
    let webpki_error = |e: webpki::Error| VerifyError::from_webpki(&e);
    let leaf_der = CertificateDer::from(checks.leaf.der());
    let end_entity = EndEntityCert::try_from(&leaf_der).map_err(webpki_error)?;
    let intermediates: Vec<CertificateDer<'_>> = checks
        .candidates
        .iter()
        .map(|candidate| CertificateDer::from(candidate.der()))
        .collect();

    let verify_path = |path: &VerifiedPath<'_>| checks.check(path);
    let path = end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            checks.store.anchors(),
            &intermediates,
            unix_time(checks.time),
            DotnetEku(checks.options.required_usage),
            None,
            Some(&verify_path),
        )
        .map_err(webpki_error)?;

    // `check` resolved this very path before webpki accepted it.
    let resolved = checks.resolve(&path).ok_or(VerifyError::Untrusted)?;
    Ok(VerifiedChain::from(resolved))
}

/// A trusted root presented as the leaf: a chain of one, checked for time and usage only
/// (roots are never revocation-checked under `ExcludeRoot`).
fn verify_trusted_root(
    root: &Certificate,
    time: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<VerifiedChain, VerifyError> {
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
    if !allowed {
        return Err(VerifyError::NotValidForUsage);
    }
    Ok(VerifiedChain {
        certificates: vec![root.clone()],
    })
}

#[cfg(test)]
mod tests;
