use time::OffsetDateTime;

use crate::Certificate;
use crate::verify::{Crl, TrustStore, VerifiedChain, VerifyError, VerifyOptions, verify_chain};

/// Everything the gateway trusts, as one value of its configuration snapshot: the CA store,
/// the uploaded CRLs and the configured options (strict by default: unknown revocation
/// status and expired CRLs refused).
///
/// A policy host answers `Verify()` and `VerifyNoRevocation()` with one call:
///
/// ```
/// # use gatehouse_cert::{Certificate, TrustConfig};
/// # struct Host { trust: TrustConfig, chain: Vec<Certificate> }
/// # impl Host {
/// fn verify_certificate(&self, certificate: &Certificate, check_revocation: bool) -> bool {
///     let now = time::OffsetDateTime::now_utc();
///     self.trust.verify(certificate, &self.chain, now, check_revocation).is_ok()
/// }
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrustConfig {
    /// Roots and intermediates (`/certificateAuthorities`).
    pub store: TrustStore,
    /// Revocation lists (`/certificateRevocationLists`).
    pub crls: Vec<Crl>,
    /// How strict `Verify()` is; [`VerifyOptions::verify`] unless configured.
    pub options: VerifyOptions,
}

impl TrustConfig {
    /// `X509Certificate2.Verify()` when `check_revocation`, APIM's `VerifyNoRevocation()`
    /// otherwise, for `certificate` and the intermediates the caller presented with it.
    ///
    /// # Errors
    /// The [`VerifyError`] of [`verify_chain`].
    pub fn verify(
        &self,
        certificate: &Certificate,
        presented_chain: &[Certificate],
        now: OffsetDateTime,
        check_revocation: bool,
    ) -> Result<VerifiedChain, VerifyError> {
        let options = self.options.with_revocation_check(check_revocation);
        verify_chain(
            certificate,
            presented_chain,
            &self.store,
            &self.crls,
            now,
            &options,
        )
    }
}
