//! Checks on each candidate path rustls-webpki builds, for what webpki leaves out: the
//! validity of the root and keyCertSign on intermediates (both checked by .NET and RFC 5280),
//! revocation from our CRLs, and a limit on intermediates.
//!
//! webpki calls [`PathChecks::check`] once it has a path whose signatures, validity, basic
//! constraints, name constraints and EKU are good. An error sends it on to the next
//! candidate path, so a revoked cross-signed intermediate does not hide a good alternative.
//! Errors are webpki's own variants, which webpki ranks to report the most specific one.

use std::time::Duration;

use rustls_pki_types::UnixTime;
use time::OffsetDateTime;
use webpki::VerifiedPath;

use crate::crl::{self, Crl, Issuer, Status};
use crate::verify::{RevocationMode, TrustStore, VerifyOptions};
use crate::{Certificate, KeyUsage};

/// A verified path in our terms: leaf first, then intermediates, then the root.
pub(crate) struct Resolved<'a> {
    pub(crate) below_root: Vec<&'a Certificate>,
    pub(crate) root: &'a Certificate,
}

/// What a candidate path is checked against.
pub(crate) struct PathChecks<'a> {
    pub(crate) leaf: &'a Certificate,
    /// Every intermediate offered, presented or stored, in the order given to webpki.
    pub(crate) candidates: &'a [&'a Certificate],
    pub(crate) store: &'a TrustStore,
    pub(crate) crls: &'a [Crl],
    pub(crate) time: OffsetDateTime,
    pub(crate) options: &'a VerifyOptions,
}

impl<'a> PathChecks<'a> {
    pub(crate) fn check(&self, path: &VerifiedPath<'_>) -> Result<(), webpki::Error> {
        let resolved = self.resolve(path).ok_or(webpki::Error::UnknownIssuer)?;

        self.check_root_validity(resolved.root)?;
        check_intermediates_sign_certificates(&resolved)?;
        self.check_intermediate_count(&resolved)?;
        self.check_revocation(&resolved)
    }

    /// Maps webpki's path back to the certificates it was built from.
    pub(crate) fn resolve(&self, path: &VerifiedPath<'_>) -> Option<Resolved<'a>> {
        let mut below_root = vec![self.leaf];
        for cert in path.intermediate_certificates() {
            let der = cert.der();
            let found = self.candidates.iter().find(|c| c.der() == der.as_ref())?;
            below_root.push(found);
        }
        let root = self.store.root_of(path.anchor())?;
        Some(Resolved { below_root, root })
    }

    /// .NET reports `NotTimeValid` for an expired root as for any other element; webpki
    /// never looks at the dates of a trust anchor.
    fn check_root_validity(&self, root: &Certificate) -> Result<(), webpki::Error> {
        if self.time < root.not_before() {
            return Err(webpki::Error::CertNotValidYet {
                time: unix_time(self.time),
                not_before: unix_time(root.not_before()),
            });
        }
        if self.time > root.not_after() {
            return Err(webpki::Error::CertExpired {
                time: unix_time(self.time),
                not_after: unix_time(root.not_after()),
            });
        }
        Ok(())
    }

    /// Self-issued intermediates (same subject and issuer: key rollover) are not counted,
    /// as RFC 5280 does not count them against pathLenConstraint.
    fn check_intermediate_count(&self, path: &Resolved<'_>) -> Result<(), webpki::Error> {
        let Some(max) = self.options.max_intermediates else {
            return Ok(());
        };
        let counted = path.below_root[1..]
            .iter()
            .filter(|ca| ca.subject_der() != ca.issuer_der())
            .count();
        if counted > usize::from(max) {
            return Err(webpki::Error::MaximumPathDepthExceeded);
        }
        Ok(())
    }

    fn check_revocation(&self, path: &Resolved<'_>) -> Result<(), webpki::Error> {
        let checked = match self.options.revocation {
            RevocationMode::NoCheck => 0,
            RevocationMode::EndCertificateOnly => 1,
            RevocationMode::ExcludeRoot => path.below_root.len(),
        };

        for (index, certificate) in path.below_root.iter().take(checked).enumerate() {
            let issuer = path.below_root.get(index + 1).unwrap_or(&path.root);
            self.check_one(certificate, issuer)?;
        }
        Ok(())
    }

    fn check_one(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
    ) -> Result<(), webpki::Error> {
        let issuer = Issuer {
            spki_der: issuer.public_key().spki_der(),
            key_usage: issuer.key_usage(),
        };
        let accept_expired = self.options.allow_expired_crls;

        match crl::status(certificate, issuer, self.crls, self.time, accept_expired) {
            Status::Good => Ok(()),
            Status::Revoked(_) => Err(webpki::Error::CertRevoked),
            Status::Expired { next_update } => Err(webpki::Error::CrlExpired {
                time: unix_time(self.time),
                next_update: unix_time(next_update),
            }),
            Status::Unknown if self.options.allow_unknown_revocation_status => Ok(()),
            Status::Unknown => Err(webpki::Error::UnknownRevocationStatus),
        }
    }
}

/// RFC 5280 6.1.4 (n): an intermediate with a keyUsage extension must assert keyCertSign.
/// webpki ignores keyUsage; without this a CA key restricted to, say, CRL signing could still
/// issue leaves. The root is exempt, as a trust anchor is its name and key (RFC 5280 6.1.1).
fn check_intermediates_sign_certificates(path: &Resolved<'_>) -> Result<(), webpki::Error> {
    let may_sign = |ca: &&Certificate| {
        ca.key_usage()
            .is_none_or(|usage| usage.contains(KeyUsage::KEY_CERT_SIGN))
    };
    if path.below_root[1..].iter().all(may_sign) {
        Ok(())
    } else {
        // webpki's name for "a certificate acting as a CA that may not".
        Err(webpki::Error::EndEntityUsedAsCa)
    }
}

/// Seconds since the epoch, for webpki; instants before 1970 clamp to the epoch, which only
/// happens in error details ([`super::verify_chain`] refuses such times up front).
pub(crate) fn unix_time(time: OffsetDateTime) -> UnixTime {
    let seconds = u64::try_from(time.unix_timestamp()).unwrap_or(0);
    UnixTime::since_unix_epoch(Duration::from_secs(seconds))
}
