//! CRL signatures, checked with the same algorithm set chain verification uses.
//!
//! rustls-webpki's algorithms are matched by the encoded AlgorithmIdentifiers of the
//! signature and of the issuer's key, exactly as webpki matches them for certificates, so a
//! CRL signed with an algorithm chains would refuse (RSA under 2048 bits, SHA-1, DSA) is
//! refused too.

use crate::der::{self, DerError, tag};

/// A signature to check: the signed bytes, the AlgorithmIdentifier content and the value.
pub(crate) struct Signed<'a> {
    pub(crate) message: &'a [u8],
    pub(crate) algorithm: &'a [u8],
    pub(crate) signature: &'a [u8],
}

/// True when the key in `spki_der` (a DER SubjectPublicKeyInfo) verifies `signed`.
pub(crate) fn verifies(spki_der: &[u8], signed: &Signed<'_>) -> bool {
    let Ok((key_algorithm, key)) = split_spki(spki_der) else {
        return false;
    };

    webpki::ALL_VERIFICATION_ALGS
        .iter()
        .filter(|alg| alg.signature_alg_id().as_ref() == signed.algorithm)
        .filter(|alg| alg.public_key_alg_id().as_ref() == key_algorithm)
        .any(|alg| {
            alg.verify_signature(key, signed.message, signed.signature)
                .is_ok()
        })
}

/// The AlgorithmIdentifier content and the key bits of a SubjectPublicKeyInfo.
fn split_spki(spki_der: &[u8]) -> Result<(&[u8], &[u8]), DerError> {
    let spki = der::read_single(spki_der, tag::SEQUENCE)?;
    let mut fields = spki.children();
    let algorithm = fields.read(tag::SEQUENCE)?;
    let key = bit_string_bytes(fields.read(tag::BIT_STRING)?.value)?;
    fields.finish()?;
    Ok((algorithm.value, key))
}

/// The bytes of a BIT STRING that must have no unused bits (keys and signatures).
pub(crate) fn bit_string_bytes(value: &[u8]) -> Result<&[u8], DerError> {
    match value.split_first() {
        Some((0, bytes)) => Ok(bytes),
        _ => Err(DerError("bit string with unused bits")),
    }
}
