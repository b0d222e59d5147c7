//! Encrypted tokens (JWE compact serialization, RFC 7516) for `validate-jwt`'s
//! `<decryption-keys>`: five base64url parts, `header.encrypted-key.iv.ciphertext.tag`.
//!
//! Key management (`alg`): `dir` and `A128KW`/`A256KW` with a base64 symmetric key given in
//! the policy, `RSA-OAEP` and `RSA-OAEP-256` with the private key of an uploaded certificate.
//! Content encryption (`enc`): `A128CBC-HS256`, `A192CBC-HS384`, `A256CBC-HS512` and
//! `A128GCM`/`A192GCM`/`A256GCM`. Refused, each by name: `RSA1_5` (its padding is open to
//! Bleichenbacher-style oracles, RFC 8725 section 3.2), `A192KW` (the cryptography library
//! wraps only 128- and 256-bit keys), ECDH-ES and PBES2 (no key of those kinds can be given),
//! and compressed payloads (`zip`), which could expand without bound.
//!
//! Every failure to decrypt reads the same to the caller, whichever step failed, so the
//! answer is no oracle for the key.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey,
};
use aws_lc_rs::{aead, constant_time, hmac, key_wrap, rsa};
use key_wrap::KeyWrap;
use serde_json::Value;

use super::jwt::base64url;

/// A key that may decrypt a token.
#[derive(Clone, Debug)]
pub(crate) struct DecryptionKey {
    /// The key id (`kid`) it answers to, when given.
    pub(crate) id: Option<String>,
    pub(crate) material: DecryptionMaterial,
}

#[derive(Clone)]
pub(crate) enum DecryptionMaterial {
    /// A secret for `dir` or AES key wrap.
    Symmetric(Vec<u8>),
    /// An RSA private key, for RSA-OAEP.
    Rsa(Arc<rsa::OaepPrivateDecryptingKey>),
}

impl fmt::Debug for DecryptionMaterial {
    /// Keys stay out of `{:?}` output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Symmetric(_) => f.write_str("Symmetric(********)"),
            Self::Rsa(_) => f.write_str("Rsa(********)"),
        }
    }
}

impl DecryptionMaterial {
    /// The RSA key in a PKCS#8 document.
    ///
    /// # Errors
    /// When the document holds no RSA private key.
    pub(crate) fn rsa_from_pkcs8(der: &[u8]) -> Result<Self, ()> {
        let key = rsa::PrivateDecryptingKey::from_pkcs8(der).map_err(|_| ())?;
        let key = rsa::OaepPrivateDecryptingKey::new(key).map_err(|_| ())?;
        Ok(Self::Rsa(Arc::new(key)))
    }
}

/// Why a token was not decrypted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JweError {
    /// The token is not a well-formed JWE.
    Malformed(String),
    /// The token uses an algorithm Gatehouse does not decrypt (the message names it).
    Unsupported(String),
    /// No configured key is of the kind (or id) the token needs.
    NoKey(String),
    /// Keys of the right kind exist and none decrypts the token.
    Undecryptable,
}

/// Whether `token` has the five parts of a compact JWE (a signed token has three).
pub(crate) fn is_encrypted(token: &str) -> bool {
    token.trim().split('.').count() == 5
}

/// The five parts of a compact JWE, decoded.
struct Parts<'a> {
    /// The protected header as sent: the additional authenticated data.
    encoded_header: &'a str,
    header: Value,
    encrypted_key: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

/// A decrypted token: its protected header, and the plaintext (the nested token or the
/// claims).
#[derive(Debug, PartialEq)]
pub(crate) struct Decrypted {
    pub(crate) header: Value,
    pub(crate) plaintext: Vec<u8>,
}

/// Decrypts `token` with the first of `keys` that fits and works.
///
/// # Errors
/// [`JweError`] saying whether the token, its algorithms or the keys are at fault.
pub(crate) fn decrypt(token: &str, keys: &[DecryptionKey]) -> Result<Decrypted, JweError> {
    let parts = split(token)?;
    let text = |name: &str| parts.header.get(name).and_then(Value::as_str);
    if parts.header.get("zip").is_some() {
        return Err(JweError::Unsupported(
            "compressed tokens ('zip') are refused".into(),
        ));
    }
    let alg = KeyManagement::parse(text("alg").unwrap_or(""))?;
    let enc = ContentCipher::parse(text("enc").unwrap_or(""))?;
    let kid = text("kid");

    let candidates: Vec<&DecryptionKey> = keys
        .iter()
        .filter(|key| alg.fits(&key.material))
        .filter(|key| match (kid, key.id.as_deref()) {
            (Some(kid), Some(id)) => kid == id,
            _ => true,
        })
        .collect();
    if candidates.is_empty() {
        return Err(JweError::NoKey(alg.name().to_owned()));
    }
    let plaintext = candidates
        .iter()
        .find_map(|key| {
            let cek = alg.content_key(&key.material, &parts.encrypted_key, enc.key_len())?;
            enc.decrypt(&cek, &parts)
        })
        .ok_or(JweError::Undecryptable)?;
    Ok(Decrypted {
        header: parts.header,
        plaintext,
    })
}

fn split(token: &str) -> Result<Parts<'_>, JweError> {
    let malformed = |what: &str| JweError::Malformed(format!("the {what} is not base64url"));
    let pieces: Vec<&str> = token.trim().split('.').collect();
    let [header, key, iv, ciphertext, tag] = pieces[..] else {
        return Err(JweError::Malformed(
            "an encrypted token has five parts".into(),
        ));
    };
    let json = base64url(header).ok_or_else(|| malformed("header"))?;
    let parsed: Value = serde_json::from_slice(&json)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| JweError::Malformed("the header is not a JSON object".into()))?;
    Ok(Parts {
        encoded_header: header,
        header: parsed,
        encrypted_key: base64url(key).ok_or_else(|| malformed("encrypted key"))?,
        iv: base64url(iv).ok_or_else(|| malformed("initialization vector"))?,
        ciphertext: base64url(ciphertext).ok_or_else(|| malformed("ciphertext"))?,
        tag: base64url(tag).ok_or_else(|| malformed("authentication tag"))?,
    })
}

/// How the content key is carried (`alg`).
#[derive(Clone, Copy, Debug)]
enum KeyManagement {
    /// The symmetric key is the content key.
    Direct,
    /// The content key is wrapped with a symmetric key of this many bytes (RFC 3394).
    AesKeyWrap(usize),
    /// The content key is encrypted to an RSA key.
    RsaOaep(&'static rsa::OaepAlgorithm),
}

impl KeyManagement {
    fn parse(alg: &str) -> Result<Self, JweError> {
        let refused = |why: &str| Err(JweError::Unsupported(format!("'{alg}' {why}")));
        match alg {
            "dir" => Ok(Self::Direct),
            "A128KW" => Ok(Self::AesKeyWrap(16)),
            "A256KW" => Ok(Self::AesKeyWrap(32)),
            "RSA-OAEP" => Ok(Self::RsaOaep(&rsa::OAEP_SHA1_MGF1SHA1)),
            "RSA-OAEP-256" => Ok(Self::RsaOaep(&rsa::OAEP_SHA256_MGF1SHA256)),
            "RSA1_5" => refused("is refused: PKCS#1 v1.5 encryption is open to padding oracles"),
            "A192KW" => refused("is not supported: only 128- and 256-bit keys are unwrapped"),
            "" => Err(JweError::Malformed("the header has no 'alg'".into())),
            _ => refused("is not a supported key management algorithm"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Direct => "dir",
            Self::AesKeyWrap(16) => "A128KW",
            Self::AesKeyWrap(_) => "A256KW",
            Self::RsaOaep(_) => "RSA-OAEP",
        }
    }

    /// Whether `material` is the kind of key this algorithm uses.
    fn fits(self, material: &DecryptionMaterial) -> bool {
        match (self, material) {
            (Self::Direct, DecryptionMaterial::Symmetric(_)) => true,
            (Self::AesKeyWrap(len), DecryptionMaterial::Symmetric(key)) => key.len() == len,
            (Self::RsaOaep(_), DecryptionMaterial::Rsa(_)) => true,
            _ => false,
        }
    }

    /// The content key `material` recovers from `encrypted`, when it is `len` bytes long.
    fn content_key(
        self,
        material: &DecryptionMaterial,
        encrypted: &[u8],
        len: usize,
    ) -> Option<Vec<u8>> {
        let key = match (self, material) {
            (Self::Direct, DecryptionMaterial::Symmetric(key)) => {
                encrypted.is_empty().then(|| key.clone())?
            }
            (Self::AesKeyWrap(_), DecryptionMaterial::Symmetric(key)) => unwrap(key, encrypted)?,
            (Self::RsaOaep(algorithm), DecryptionMaterial::Rsa(key)) => {
                rsa_decrypt(key, algorithm, encrypted)?
            }
            _ => return None,
        };
        (key.len() == len).then_some(key)
    }
}

/// RFC 3394 AES key unwrap.
fn unwrap(kek: &[u8], wrapped: &[u8]) -> Option<Vec<u8>> {
    let cipher = match kek.len() {
        16 => &key_wrap::AES_128,
        32 => &key_wrap::AES_256,
        _ => return None,
    };
    let kek = key_wrap::AesKek::new(cipher, kek).ok()?;
    let mut out = vec![0; wrapped.len()];
    let len = kek.unwrap(wrapped, &mut out).ok()?.len();
    out.truncate(len);
    Some(out)
}

fn rsa_decrypt(
    key: &rsa::OaepPrivateDecryptingKey,
    algorithm: &'static rsa::OaepAlgorithm,
    encrypted: &[u8],
) -> Option<Vec<u8>> {
    let mut out = vec![0; key.min_output_size()];
    let len = key
        .decrypt(algorithm, encrypted, &mut out, None)
        .ok()?
        .len();
    out.truncate(len);
    Some(out)
}

/// How the content is encrypted (`enc`).
#[derive(Clone, Copy, Debug)]
enum ContentCipher {
    /// AES-CBC with HMAC-SHA2 (RFC 7518 section 5.2); the content key is this many bytes.
    CbcHmac(usize),
    /// AES-GCM with a content key of this many bytes.
    Gcm(usize),
}

impl ContentCipher {
    fn parse(enc: &str) -> Result<Self, JweError> {
        match enc {
            "A128CBC-HS256" => Ok(Self::CbcHmac(32)),
            "A192CBC-HS384" => Ok(Self::CbcHmac(48)),
            "A256CBC-HS512" => Ok(Self::CbcHmac(64)),
            "A128GCM" => Ok(Self::Gcm(16)),
            "A192GCM" => Ok(Self::Gcm(24)),
            "A256GCM" => Ok(Self::Gcm(32)),
            "" => Err(JweError::Malformed("the header has no 'enc'".into())),
            _ => Err(JweError::Unsupported(format!(
                "'{enc}' is not a supported content encryption algorithm"
            ))),
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::CbcHmac(len) | Self::Gcm(len) => len,
        }
    }

    fn decrypt(self, cek: &[u8], parts: &Parts<'_>) -> Option<Vec<u8>> {
        match self {
            Self::CbcHmac(_) => decrypt_cbc_hmac(cek, parts),
            Self::Gcm(_) => decrypt_gcm(cek, parts),
        }
    }
}

/// RFC 7518 section 5.2.2.2: the first half of the key authenticates, the second decrypts.
fn decrypt_cbc_hmac(cek: &[u8], parts: &Parts<'_>) -> Option<Vec<u8>> {
    let half = cek.len() / 2;
    let (mac_key, enc_key) = cek.split_at(half);
    let digest = match half {
        16 => hmac::HMAC_SHA256,
        24 => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA512,
    };
    let aad = parts.encoded_header.as_bytes();
    let aad_bits = u64::try_from(aad.len()).ok()?.checked_mul(8)?;
    let mut context = hmac::Context::with_key(&hmac::Key::new(digest, mac_key));
    context.update(aad);
    context.update(&parts.iv);
    context.update(&parts.ciphertext);
    context.update(&aad_bits.to_be_bytes());
    let mac = context.sign();
    constant_time::verify_slices_are_equal(&mac.as_ref()[..half], &parts.tag).ok()?;

    let algorithm = match enc_key.len() {
        16 => &AES_128,
        24 => &AES_192,
        _ => &AES_256,
    };
    let iv: [u8; 16] = parts.iv.as_slice().try_into().ok()?;
    let key = UnboundCipherKey::new(algorithm, enc_key).ok()?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(key).ok()?;
    let mut in_out = parts.ciphertext.clone();
    let len = key
        .decrypt(&mut in_out, DecryptionContext::Iv128(iv.into()))
        .ok()?
        .len();
    in_out.truncate(len);
    Some(in_out)
}

fn decrypt_gcm(cek: &[u8], parts: &Parts<'_>) -> Option<Vec<u8>> {
    let algorithm = match cek.len() {
        16 => &aead::AES_128_GCM,
        24 => &aead::AES_192_GCM,
        _ => &aead::AES_256_GCM,
    };
    let key = aead::LessSafeKey::new(aead::UnboundKey::new(algorithm, cek).ok()?);
    let nonce = aead::Nonce::try_assume_unique_for_key(&parts.iv).ok()?;
    let mut in_out = [parts.ciphertext.as_slice(), parts.tag.as_slice()].concat();
    let aad = aead::Aad::from(parts.encoded_header.as_bytes());
    let len = key.open_in_place(nonce, aad, &mut in_out).ok()?.len();
    in_out.truncate(len);
    Some(in_out)
}

#[cfg(test)]
#[path = "jwe_tests.rs"]
mod tests;
