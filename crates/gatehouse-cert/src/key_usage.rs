//! The keyUsage and basicConstraints extensions: what a key may sign, and whether the
//! certificate belongs to a CA.
//!
//! Chain building leaves both to rustls-webpki, but revocation needs them too: a CRL counts
//! only when its issuer may sign CRLs (`cRLSign`), and a CRL can be scoped to CA or end-entity
//! certificates. They are decoded once, with the certificate.

use std::fmt;

use crate::der::{self, DerError, tag};

/// The bits of a keyUsage extension (RFC 5280 4.2.1.3), .NET `X509KeyUsageFlags`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsage(u16);

impl KeyUsage {
    /// No bit set.
    pub const NONE: Self = Self(0);
    /// `digitalSignature` (bit 0).
    pub const DIGITAL_SIGNATURE: Self = Self(1 << 0);
    /// `nonRepudiation` / `contentCommitment` (bit 1).
    pub const NON_REPUDIATION: Self = Self(1 << 1);
    /// `keyEncipherment` (bit 2).
    pub const KEY_ENCIPHERMENT: Self = Self(1 << 2);
    /// `dataEncipherment` (bit 3).
    pub const DATA_ENCIPHERMENT: Self = Self(1 << 3);
    /// `keyAgreement` (bit 4).
    pub const KEY_AGREEMENT: Self = Self(1 << 4);
    /// `keyCertSign` (bit 5): may sign certificates.
    pub const KEY_CERT_SIGN: Self = Self(1 << 5);
    /// `cRLSign` (bit 6): may sign certificate revocation lists.
    pub const CRL_SIGN: Self = Self(1 << 6);
    /// `encipherOnly` (bit 7).
    pub const ENCIPHER_ONLY: Self = Self(1 << 7);
    /// `decipherOnly` (bit 8).
    pub const DECIPHER_ONLY: Self = Self(1 << 8);

    const NAMES: [&'static str; 9] = [
        "digitalSignature",
        "nonRepudiation",
        "keyEncipherment",
        "dataEncipherment",
        "keyAgreement",
        "keyCertSign",
        "cRLSign",
        "encipherOnly",
        "decipherOnly",
    ];

    /// True when every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The RFC 5280 names of the bits set, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        (0..Self::NAMES.len())
            .filter(move |bit| self.0 & (1 << bit) != 0)
            .map(|bit| Self::NAMES[bit])
    }
}

impl fmt::Debug for KeyUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Decodes a keyUsage extension value: a BIT STRING whose bit 0 is the most significant bit
/// of the first content byte.
pub(crate) fn parse_key_usage(ext_value: &[u8]) -> Result<KeyUsage, DerError> {
    let bits = der::read_single(ext_value, tag::BIT_STRING)?;
    let (_unused, bytes) = bits
        .value
        .split_first()
        .ok_or(DerError("empty key usage bit string"))?;

    let mut flags = 0u16;
    for bit in 0..KeyUsage::NAMES.len() {
        let byte = bytes.get(bit / 8).copied().unwrap_or(0);
        if byte & (0x80 >> (bit % 8)) != 0 {
            flags |= 1 << bit;
        }
    }
    Ok(KeyUsage(flags))
}

/// Decodes a basicConstraints extension value and answers whether it says `cA: TRUE`.
pub(crate) fn parse_is_ca(ext_value: &[u8]) -> Result<bool, DerError> {
    const BOOLEAN: u8 = 0x01;

    let constraints = der::read_single(ext_value, tag::SEQUENCE)?;
    let mut fields = constraints.children();
    let is_ca = fields
        .optional(BOOLEAN)?
        .is_some_and(|flag| flag.value.first().is_some_and(|&b| b != 0));
    Ok(is_ca)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::tlv;

    #[test]
    fn decodes_key_usage_bits_in_rfc_order() {
        // keyCertSign (5) and cRLSign (6): 0b0000_0110, one unused bit.
        let ca = parse_key_usage(&tlv(tag::BIT_STRING, &[0x01, 0x06])).unwrap();
        assert!(ca.contains(KeyUsage::KEY_CERT_SIGN));
        assert!(ca.contains(KeyUsage::CRL_SIGN));
        assert!(!ca.contains(KeyUsage::DIGITAL_SIGNATURE));
        assert_eq!(format!("{ca:?}"), r#"["keyCertSign", "cRLSign"]"#);

        // digitalSignature (0) and decipherOnly (8), which lives in the second byte.
        let both = parse_key_usage(&tlv(tag::BIT_STRING, &[0x07, 0x80, 0x80])).unwrap();
        assert!(both.contains(KeyUsage::DIGITAL_SIGNATURE));
        assert!(both.contains(KeyUsage::DECIPHER_ONLY));
        assert!(parse_key_usage(&tlv(tag::BIT_STRING, &[])).is_err());
    }

    #[test]
    fn decodes_basic_constraints() {
        let ca = tlv(tag::SEQUENCE, &[0x01, 0x01, 0xFF, 0x02, 0x01, 0x00]);
        assert_eq!(parse_is_ca(&ca), Ok(true));
        assert_eq!(parse_is_ca(&tlv(tag::SEQUENCE, &[])), Ok(false));
        assert!(parse_is_ca(&[0x04, 0x00]).is_err());
    }
}
