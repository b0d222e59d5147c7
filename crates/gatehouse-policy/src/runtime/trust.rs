//! What the pipeline asks the gateway about the caller's certificate: does it chain to a
//! trusted CA, is it revoked.
//!
//! The CA store, the CRLs and the verdict cache belong to the gateway (they change with its
//! configuration and live as long as a connection); the policy crate only knows this trait.
//! `Verify()`, `VerifyNoRevocation()` and `validate-client-certificate` all go through it, so
//! an exchange without one (a unit test, `policy test` without a CA) fails closed: nothing
//! verifies.

use std::fmt;

use gatehouse_cert::{Certificate, RequiredUsage, VerifiedChain, VerifyError};
use time::OffsetDateTime;

/// One kind of chain check. Checks that differ get separate verdicts (and cache entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TrustCheck {
    /// Check the leaf and intermediates against the uploaded CRLs.
    pub revocation: bool,
    /// Require every certificate with an EKU extension to allow client authentication.
    pub client_auth: bool,
    /// Check the leaf's notBefore against the clock.
    pub leaf_not_before: bool,
    /// Check the leaf's notAfter against the clock.
    pub leaf_not_after: bool,
}

impl TrustCheck {
    /// `X509Certificate2.Verify()`: the chain with revocation, any usage.
    pub const VERIFY: Self = Self {
        revocation: true,
        client_auth: false,
        leaf_not_before: true,
        leaf_not_after: true,
    };

    /// APIM's `VerifyNoRevocation()`.
    pub const VERIFY_NO_REVOCATION: Self = Self {
        revocation: false,
        ..Self::VERIFY
    };

    /// The usage the chain must allow.
    pub fn required_usage(&self) -> RequiredUsage {
        if self.client_auth {
            RequiredUsage::ClientAuth
        } else {
            RequiredUsage::Any
        }
    }

    /// The instant the chain is checked at: `now`, moved into the leaf's validity period
    /// when one of its date checks is off (`validate-not-after="false"` accepts an expired
    /// leaf, so the chain is judged as it stood on the leaf's last valid second; the other
    /// certificates are judged at that instant too).
    pub fn time_for(&self, leaf: &Certificate, now: OffsetDateTime) -> OffsetDateTime {
        if !self.leaf_not_after && now > leaf.not_after() {
            return leaf.not_after();
        }
        if !self.leaf_not_before && now < leaf.not_before() {
            return leaf.not_before();
        }
        now
    }
}

/// The gateway's trust decisions for one request's caller.
pub trait CertificateTrust: Send + Sync + fmt::Debug {
    /// Builds and checks a chain for `certificate` against the gateway's CA store and CRLs.
    /// When `certificate` is the caller's, the intermediates it presented are used and the
    /// verdict may come from the connection's cache.
    ///
    /// # Errors
    /// Why the chain does not verify.
    fn verify(
        &self,
        certificate: &Certificate,
        check: TrustCheck,
    ) -> Result<VerifiedChain, VerifyError>;

    /// The intermediates the caller presented with its certificate (in the TLS handshake,
    /// or forwarded by a trusted proxy).
    fn presented_chain(&self) -> &[Certificate];
}
