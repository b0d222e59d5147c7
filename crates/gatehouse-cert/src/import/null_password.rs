//! PFX files written with a NULL password (OpenSSL's `PKCS12_create(NULL, ...)`, used by
//! some libraries for "no password").
//!
//! The legacy PKCS#12 ciphers hash the password as UTF-16 with a terminating zero, except a
//! NULL password, which hashes as nothing at all. The PKCS#12 parser can only express the
//! former, so for these files the legacy-encrypted parts are decrypted here and handed on
//! as plain bags. PBES2 parts need nothing: PBKDF2 sees the same empty byte string either way.

use aws_lc_rs::digest;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit};
use des::{TdesEde2, TdesEde3};
use rc2::Rc2;
use zeroize::Zeroizing;

use super::kdf::{self, Purpose};
use crate::der::{self, DerError, Tlv, tag};

const DATA: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";
const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";

/// Rewrites an `AuthenticatedSafe` with every legacy-encrypted part decrypted under the NULL
/// password.
pub(super) fn decrypt_legacy_parts(auth_safe: &[u8]) -> Result<Vec<u8>, DerError> {
    let safes = der::read_single(auth_safe, tag::SEQUENCE)?;
    let mut reader = safes.children();
    let mut out = Vec::new();

    while let Some(content_info) = reader.next_tlv()? {
        out.push(rewrite_content_info(content_info)?);
    }
    Ok(der::tlv(tag::SEQUENCE, &out.concat()))
}

fn rewrite_content_info(content_info: Tlv<'_>) -> Result<Vec<u8>, DerError> {
    let mut fields = content_info.children();
    let content_type = der::oid_to_string(fields.read(tag::OID)?.value)?;
    let explicit = fields.read(tag::CONTEXT | tag::CONSTRUCTED)?;

    let safe_contents = match content_type.as_str() {
        DATA => Zeroizing::new(
            der::read_single(explicit.value, tag::OCTET_STRING)?
                .value
                .to_vec(),
        ),
        ENCRYPTED_DATA => match decrypt_encrypted_data(explicit.value)? {
            Some(plain) => plain,
            None => return Ok(content_info.encoded.to_vec()),
        },
        _ => return Ok(content_info.encoded.to_vec()),
    };
    Ok(data_content_info(&rewrite_safe_contents(&safe_contents)?))
}

fn data_content_info(safe_contents: &[u8]) -> Vec<u8> {
    let octets = der::tlv(tag::OCTET_STRING, safe_contents);
    der::sequence(&[
        &der::tlv(tag::OID, &der::encode_oid(DATA)),
        &der::tlv(tag::CONTEXT | tag::CONSTRUCTED, &octets),
    ])
}

/// The plaintext of an `EncryptedData` using a legacy cipher; `None` for other schemes.
fn decrypt_encrypted_data(encrypted_data: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, DerError> {
    let outer = der::read_single(encrypted_data, tag::SEQUENCE)?;
    let mut fields = outer.children();
    fields.read(tag::INTEGER)?;
    let mut info = fields.read(tag::SEQUENCE)?.children();
    info.read(tag::OID)?;
    let algorithm = info.read(tag::SEQUENCE)?;
    let Some(content) = info.next_tlv()? else {
        return Ok(Some(Zeroizing::new(Vec::new())));
    };
    legacy_decrypt(algorithm, content.value)
}

/// Replaces legacy-shrouded key bags with plain key bags; other bags are kept as they are.
fn rewrite_safe_contents(safe_contents: &[u8]) -> Result<Vec<u8>, DerError> {
    let bags = der::read_single(safe_contents, tag::SEQUENCE)?;
    let mut reader = bags.children();
    let mut out = Vec::new();

    while let Some(bag) = reader.next_tlv()? {
        out.push(rewrite_bag(bag)?);
    }
    Ok(der::tlv(tag::SEQUENCE, &out.concat()))
}

/// `SafeBag ::= SEQUENCE { bagId, [0] EXPLICIT bagValue, bagAttributes SET OPTIONAL }`.
fn rewrite_bag(bag: Tlv<'_>) -> Result<Vec<u8>, DerError> {
    let mut fields = bag.children();
    let bag_id = fields.read(tag::OID)?;
    let value = fields.read(tag::CONTEXT | tag::CONSTRUCTED)?;
    let attributes = fields.optional(tag::SET)?;
    if der::oid_to_string(bag_id.value)? != SHROUDED_KEY_BAG {
        return Ok(bag.encoded.to_vec());
    }

    let mut epki = der::read_single(value.value, tag::SEQUENCE)?.children();
    let algorithm = epki.read(tag::SEQUENCE)?;
    let encrypted = epki.read(tag::OCTET_STRING)?;
    let Some(private_key_info) = legacy_decrypt(algorithm, encrypted.value)? else {
        return Ok(bag.encoded.to_vec());
    };

    let oid = der::tlv(tag::OID, &der::encode_oid(KEY_BAG));
    let value = Zeroizing::new(der::tlv(tag::CONTEXT | tag::CONSTRUCTED, &private_key_info));
    let attributes = attributes.map(|a| a.encoded).unwrap_or_default();
    Ok(der::sequence(&[&oid, &value, attributes]))
}

/// Decrypts with a `pbeWithSHAAnd...` scheme keyed by the NULL password; `None` when the
/// algorithm is not one of those.
fn legacy_decrypt(
    algorithm: Tlv<'_>,
    ciphertext: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, DerError> {
    let mut fields = algorithm.children();
    let oid = der::oid_to_string(fields.read(tag::OID)?.value)?;
    let Some(cipher) = LegacyCipher::from_oid(&oid) else {
        return Ok(None);
    };

    let mut params = fields.read(tag::SEQUENCE)?.children();
    let salt = params.read(tag::OCTET_STRING)?.value;
    let iterations = der::unsigned_integer(params.read(tag::INTEGER)?.value);
    let iterations = iterations
        .iter()
        .fold(0u64, |acc, &b| acc.saturating_mul(256) + u64::from(b));
    if iterations > 1_000_000 {
        return Err(DerError("too many key derivation iterations"));
    }

    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    let key = kdf::derive(sha1, Purpose::Key, &[], salt, iterations, cipher.key_len());
    let iv = kdf::derive(sha1, Purpose::Iv, &[], salt, iterations, 8);
    cipher
        .decrypt(&key, &iv, ciphertext)
        .map(|plain| Some(Zeroizing::new(plain)))
}

#[derive(Clone, Copy)]
enum LegacyCipher {
    TripleDes3Key,
    TripleDes2Key,
    Rc2With128Bits,
    Rc2With40Bits,
}

impl LegacyCipher {
    fn from_oid(oid: &str) -> Option<Self> {
        match oid {
            "1.2.840.113549.1.12.1.3" => Some(Self::TripleDes3Key),
            "1.2.840.113549.1.12.1.4" => Some(Self::TripleDes2Key),
            "1.2.840.113549.1.12.1.5" => Some(Self::Rc2With128Bits),
            "1.2.840.113549.1.12.1.6" => Some(Self::Rc2With40Bits),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::TripleDes3Key => 24,
            Self::TripleDes2Key | Self::Rc2With128Bits => 16,
            Self::Rc2With40Bits => 5,
        }
    }

    fn decrypt(self, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, DerError> {
        match self {
            Self::TripleDes3Key => cbc_decrypt::<TdesEde3>(key, iv, ciphertext),
            Self::TripleDes2Key => cbc_decrypt::<TdesEde2>(key, iv, ciphertext),
            Self::Rc2With128Bits | Self::Rc2With40Bits => cbc_decrypt::<Rc2>(key, iv, ciphertext),
        }
    }
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, DerError>
where
    C: KeyInit + BlockCipherDecrypt,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| DerError("bad cipher key length"))?;
    decryptor
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .map_err(|_| DerError("legacy decryption failed"))
}
