//! The subject public key and algorithm identifiers, shaped like .NET's `PublicKey` and `Oid`.

use std::sync::Arc;

use crate::der::{self, DerError, tag};
use crate::oids::{self, known};

/// An object identifier with its .NET friendly name (`System.Security.Cryptography.Oid`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Oid {
    value: Arc<str>,
    friendly_name: Option<&'static str>,
}

impl Oid {
    /// Wraps a dotted OID and looks up its friendly name.
    pub fn new(value: &str) -> Self {
        Self {
            value: value.into(),
            friendly_name: oids::friendly_name(value),
        }
    }

    /// The dotted form, e.g. `1.2.840.113549.1.1.11` (.NET `Oid.Value`).
    pub fn value(&self) -> &Arc<str> {
        &self.value
    }

    /// The .NET friendly name, e.g. `sha256RSA`, or `None` when .NET has none
    /// (.NET `Oid.FriendlyName` returns null then).
    pub fn friendly_name(&self) -> Option<&'static str> {
        self.friendly_name
    }
}

/// The certificate's subject public key (.NET `X509Certificate2.PublicKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyInfo {
    algorithm: Oid,
    curve: Option<Oid>,
    key_size: Option<u32>,
    encoded_key_value: Vec<u8>,
    encoded_parameters: Vec<u8>,
    spki_der: Vec<u8>,
}

impl PublicKeyInfo {
    /// Decodes a DER `SubjectPublicKeyInfo`.
    pub(crate) fn from_spki(spki_der: &[u8]) -> Result<Self, DerError> {
        let spki = der::read_single(spki_der, tag::SEQUENCE)?;
        let mut fields = spki.children();
        let algorithm_id = fields.read(tag::SEQUENCE)?;
        let key_bits = fields.read(tag::BIT_STRING)?;
        fields.finish()?;

        let mut alg_fields = algorithm_id.children();
        let algorithm = Oid::new(&der::oid_to_string(alg_fields.read(tag::OID)?.value)?);
        let parameters = alg_fields.next_tlv()?;
        let key = key_bits
            .value
            .get(1..)
            .ok_or(DerError("empty public key bit string"))?;

        let curve = curve_of(&algorithm, parameters.map(|p| p.value));
        let key_size = key_size(&algorithm, curve.as_ref(), key, parameters.map(|p| p.value));
        Ok(Self {
            algorithm,
            curve,
            key_size,
            encoded_key_value: key.to_vec(),
            encoded_parameters: parameters.map(|p| p.encoded.to_vec()).unwrap_or_default(),
            spki_der: spki_der.to_vec(),
        })
    }

    /// The key algorithm: `RSA`, `ECC`, `DSA`, ... (.NET `PublicKey.Oid`).
    pub fn algorithm(&self) -> &Oid {
        &self.algorithm
    }

    /// The named curve of an EC key, e.g. `ECDSA_P256`.
    pub fn curve(&self) -> Option<&Oid> {
        self.curve.as_ref()
    }

    /// Key size in bits: RSA modulus length, EC field size, DSA prime length; `None` when
    /// not known.
    pub fn key_size(&self) -> Option<u32> {
        self.key_size
    }

    /// The key bits without the BIT STRING header (.NET `PublicKey.EncodedKeyValue`).
    pub fn encoded_key_value(&self) -> &[u8] {
        &self.encoded_key_value
    }

    /// The DER algorithm parameters, empty when absent (.NET `PublicKey.EncodedParameters`).
    pub fn encoded_parameters(&self) -> &[u8] {
        &self.encoded_parameters
    }

    /// The whole `SubjectPublicKeyInfo` in DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }
}

fn curve_of(algorithm: &Oid, parameters: Option<&[u8]>) -> Option<Oid> {
    if &*algorithm.value != known::EC_PUBLIC_KEY {
        return None;
    }
    let oid = der::oid_to_string(parameters?).ok()?;
    Some(Oid::new(&oid))
}

fn key_size(
    algorithm: &Oid,
    curve: Option<&Oid>,
    key: &[u8],
    params: Option<&[u8]>,
) -> Option<u32> {
    match &*algorithm.value {
        known::RSA_ENCRYPTION => rsa_modulus_bits(key),
        known::EC_PUBLIC_KEY => curve.and_then(|c| curve_bits(&c.value)),
        known::ED25519 => Some(256),
        "1.2.840.10040.4.1" => dsa_prime_bits(params?),
        _ => None,
    }
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn rsa_modulus_bits(key: &[u8]) -> Option<u32> {
    let public_key = der::read_single(key, tag::SEQUENCE).ok()?;
    let modulus = public_key.children().read(tag::INTEGER).ok()?;
    Some(bit_length(der::unsigned_integer(modulus.value)))
}

/// `Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER }` (content of the SEQUENCE).
fn dsa_prime_bits(params: &[u8]) -> Option<u32> {
    let prime = der::Reader::new(params).read(tag::INTEGER).ok()?;
    Some(bit_length(der::unsigned_integer(prime.value)))
}

fn bit_length(magnitude: &[u8]) -> u32 {
    let Some(&first) = magnitude.first() else {
        return 0;
    };
    let rest = u32::try_from(magnitude.len() - 1).unwrap_or(u32::MAX / 8);
    rest * 8 + (8 - first.leading_zeros())
}

fn curve_bits(curve: &str) -> Option<u32> {
    let bits = match curve {
        known::P256 | known::SECP256K1 => 256,
        known::P384 => 384,
        known::P521 => 521,
        "1.3.132.0.33" => 224,
        "1.2.840.10045.3.1.1" => 192,
        _ => return brainpool_bits(curve),
    };
    Some(bits)
}

/// Brainpool curves carry their size in the name (`brainpoolP384r1`).
fn brainpool_bits(curve: &str) -> Option<u32> {
    let name = oids::friendly_name(curve)?.strip_prefix("brainpoolP")?;
    name.get(..3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::{sequence, tlv};

    fn spki(alg_oid: &[u8], params: Option<&[u8]>, key: &[u8]) -> Vec<u8> {
        let oid = tlv(tag::OID, alg_oid);
        let alg = match params {
            Some(p) => sequence(&[&oid, p]),
            None => sequence(&[&oid]),
        };
        let bits = tlv(tag::BIT_STRING, &[&[0u8][..], key].concat());
        sequence(&[&alg, &bits])
    }

    #[test]
    fn reads_rsa_keys() {
        let modulus = tlv(tag::INTEGER, &[&[0x00, 0xC0][..], &[0u8; 255]].concat());
        let key = sequence(&[&modulus, &tlv(tag::INTEGER, &[1, 0, 1])]);
        let rsa_oid = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
        let der = spki(&rsa_oid, Some(&tlv(tag::NULL, &[])), &key);

        let info = PublicKeyInfo::from_spki(&der).unwrap();
        assert_eq!(&**info.algorithm().value(), known::RSA_ENCRYPTION);
        assert_eq!(info.algorithm().friendly_name(), Some("RSA"));
        assert_eq!(info.key_size(), Some(2048));
        assert_eq!(info.encoded_parameters(), &[0x05, 0x00]);
        assert_eq!(info.encoded_key_value(), key.as_slice());
        assert!(info.curve().is_none());
    }

    #[test]
    fn reads_ec_keys_with_their_curve() {
        let ec_oid = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
        let p384 = tlv(tag::OID, &[0x2B, 0x81, 0x04, 0x00, 0x22]);
        let der = spki(&ec_oid, Some(&p384), &[0x04; 97]);

        let info = PublicKeyInfo::from_spki(&der).unwrap();
        assert_eq!(info.algorithm().friendly_name(), Some("ECC"));
        assert_eq!(
            info.curve().and_then(Oid::friendly_name),
            Some("ECDSA_P384")
        );
        assert_eq!(info.key_size(), Some(384));
    }

    #[test]
    fn counts_bits_exactly() {
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[0x80, 0x00]), 16);
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(brainpool_bits("1.3.36.3.3.2.8.1.1.11"), Some(384));
    }
}
