//! Whether one certificate issued another: names and signature, nothing else.
//!
//! Identity claims such as `issuer-thumbprint` and subscriptions bound to an issuer need to
//! know which CA certificate signed a caller's certificate even when no trusted chain is
//! asked for. Comparing issuer *names* would let anyone mint a look-alike; the signature
//! check ties the claim to the CA's key.

use crate::Certificate;
use crate::crl::signature::{Signed, bit_string_bytes, verifies};
use crate::der::{self, DerError, tag};

impl Certificate {
    /// True when `issuer`'s subject is this certificate's issuer name and `issuer`'s key
    /// verifies this certificate's signature (with the algorithm set chain checks accept).
    /// Validity periods, CA flags and usages are not examined: that is chain verification's
    /// job.
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        if self.issuer_der() != issuer.subject_der() {
            return false;
        }
        match signed_parts(self.der()) {
            Ok(signed) => verifies(issuer.public_key().spki_der(), &signed),
            Err(_) => false,
        }
    }
}

/// `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`.
fn signed_parts(der: &[u8]) -> Result<Signed<'_>, DerError> {
    let certificate = der::read_single(der, tag::SEQUENCE)?;
    let mut fields = certificate.children();
    let tbs = fields.read(tag::SEQUENCE)?;
    let algorithm = fields.read(tag::SEQUENCE)?;
    let signature = fields.read(tag::BIT_STRING)?;
    fields.finish()?;
    Ok(Signed {
        message: tbs.encoded,
        algorithm: algorithm.value,
        signature: bit_string_bytes(signature.value)?,
    })
}
