//! Subscriptions bound to client certificates: a key that works only with listed
//! certificates, or certificates a listed CA issued.
//!
//! A leaked key is then useless without the certificate's private key. The binding decides
//! *which* certificate may use the key; whether that certificate is trusted, current and
//! not revoked stays the job of `validate-client-certificate` or `Verify()` in the policy.
//! An issuer counts only when its key verifies the certificate's signature, never by name.

use gatehouse_cert::Certificate;
use gatehouse_model::CertificateBinding;

use crate::connection::Connection;
use crate::snapshot::Snapshot;

/// Why a bound key was refused, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbound {
    /// The request carried no client certificate.
    NoCertificate,
    /// The certificate is neither listed nor issued by a listed CA.
    NotListed,
}

impl Unbound {
    /// A stable word for log fields.
    pub fn label(self) -> &'static str {
        match self {
            Self::NoCertificate => "no_certificate",
            Self::NotListed => "certificate_not_bound",
        }
    }
}

/// Whether `binding` admits the request's certificate.
///
/// # Errors
/// [`Unbound`] saying why not.
pub fn admits(
    binding: &CertificateBinding,
    connection: &Connection,
    snapshot: &Snapshot,
) -> Result<(), Unbound> {
    let certificate = connection
        .certificate
        .as_ref()
        .ok_or(Unbound::NoCertificate)?;
    let listed =
        |list: &[String], thumbprint: &str| list.iter().any(|t| t.eq_ignore_ascii_case(thumbprint));
    if listed(&binding.thumbprints, certificate.thumbprint()) {
        return Ok(());
    }
    let issued_by_listed = issuer_candidates(connection, snapshot)
        .filter(|issuer| listed(&binding.issuer_thumbprints, issuer.thumbprint()))
        .any(|issuer| certificate.is_issued_by(issuer));
    if issued_by_listed {
        Ok(())
    } else {
        Err(Unbound::NotListed)
    }
}

/// CA certificates that may have signed the caller's: those it presented, the CA store and
/// the uploaded certificates.
fn issuer_candidates<'a>(
    connection: &'a Connection,
    snapshot: &'a Snapshot,
) -> impl Iterator<Item = &'a Certificate> {
    let uploaded = snapshot.deployment().certificates.iter().map(|(_, c)| c);
    connection
        .chain
        .iter()
        .chain(snapshot.trust().authorities())
        .chain(uploaded)
}
