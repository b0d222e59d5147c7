//! JSON Web Tokens for `validate-jwt`: splitting and decoding a compact token, and checking
//! its signature with keys given in the policy (aws-lc-rs does the cryptography).
//!
//! Supported algorithms: HS256/384/512 with symmetric keys; RS256/384/512 and PS256/384/512
//! with RSA keys (modulus and exponent, a PEM public key or an uploaded certificate);
//! ES256/384/512 with EC keys (PEM or certificate). `none` is never accepted as signed.

use aws_lc_rs::{hmac, signature};
use base64::Engine;
use serde_json::Value;

/// A key that may have signed a token.
#[derive(Clone, Debug)]
pub(crate) struct SigningKey {
    /// The key id (`kid`) it answers to, when given.
    pub(crate) id: Option<String>,
    pub(crate) material: Material,
}

#[derive(Clone)]
pub(crate) enum Material {
    /// An HMAC secret.
    Symmetric(Vec<u8>),
    /// An RSA public key as modulus and exponent (big-endian bytes).
    RsaComponents { n: Vec<u8>, e: Vec<u8> },
    /// A DER `SubjectPublicKeyInfo` (RSA or EC).
    PublicKey(Vec<u8>),
}

impl std::fmt::Debug for Material {
    /// Secrets stay out of `{:?}` output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Material::Symmetric(_) => f.write_str("Symmetric(********)"),
            Material::RsaComponents { .. } => f.write_str("RsaComponents"),
            Material::PublicKey(_) => f.write_str("PublicKey"),
        }
    }
}

/// A decoded, not yet validated token.
#[derive(Debug)]
pub(crate) struct Token {
    pub(crate) header: Value,
    pub(crate) claims: Value,
    signed: Vec<u8>,
    signature: Vec<u8>,
}

/// Splits and decodes a compact JWT (`header.payload.signature`).
///
/// # Errors
/// A message saying which part is malformed.
pub(crate) fn decode(token: &str) -> Result<Token, String> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the token does not have the three parts of a compact JWT".into());
    };
    let json = |part: &str, what: &str| -> Result<Value, String> {
        let bytes = base64url(part).ok_or_else(|| format!("the {what} is not base64url"))?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|_| format!("the {what} is not JSON"))?;
        value
            .is_object()
            .then_some(value)
            .ok_or_else(|| format!("the {what} is not a JSON object"))
    };
    Ok(Token {
        header: json(header, "header")?,
        claims: json(payload, "payload")?,
        signed: format!("{header}.{payload}").into_bytes(),
        signature: base64url(signature).ok_or("the signature is not base64url")?,
    })
}

/// Claims as an unsigned compact token (`alg` `none`): what an encrypted token carrying bare
/// claims is validated as.
pub(crate) fn unsigned(claims: &str) -> String {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!(
        "{}.{}.",
        encode(br#"{"alg":"none"}"#),
        encode(claims.as_bytes())
    )
}

/// Base64url with or without padding.
pub(crate) fn base64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

/// How a signature check came out.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Signature {
    Valid,
    /// Keys of the right kind exist, and none verifies the signature.
    Invalid,
    /// No key of the right kind (and id) is configured.
    NoKey,
    /// The token is unsigned or uses an algorithm Gatehouse does not support.
    Unsupported(String),
}

impl Token {
    /// The `alg` of the header.
    pub(crate) fn algorithm(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    /// Checks the signature against `keys`, trying those whose id matches the token's `kid`
    /// (or all, when either has none).
    pub(crate) fn verify(&self, keys: &[SigningKey]) -> Signature {
        let algorithm = self.algorithm();
        let Some(kind) = Algorithm::parse(algorithm) else {
            return Signature::Unsupported(algorithm.to_owned());
        };
        let kid = self.header.get("kid").and_then(Value::as_str);
        let candidates: Vec<&SigningKey> = keys
            .iter()
            .filter(|k| kind.fits(&k.material))
            .filter(|k| {
                matches!((kid, &k.id), (Some(kid), Some(id)) if kid == id)
                    || kid.is_none()
                    || k.id.is_none()
            })
            .collect();
        if candidates.is_empty() {
            return Signature::NoKey;
        }
        if candidates
            .iter()
            .any(|k| kind.verify(&k.material, &self.signed, &self.signature))
        {
            Signature::Valid
        } else {
            Signature::Invalid
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Algorithm {
    Hmac(hmac::Algorithm),
    Rsa(&'static signature::RsaParameters),
    Ec(&'static signature::EcdsaVerificationAlgorithm),
}

impl Algorithm {
    fn parse(name: &str) -> Option<Self> {
        let algorithm = match name {
            "HS256" => Self::Hmac(hmac::HMAC_SHA256),
            "HS384" => Self::Hmac(hmac::HMAC_SHA384),
            "HS512" => Self::Hmac(hmac::HMAC_SHA512),
            "RS256" => Self::Rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
            "RS384" => Self::Rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
            "RS512" => Self::Rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
            "PS256" => Self::Rsa(&signature::RSA_PSS_2048_8192_SHA256),
            "PS384" => Self::Rsa(&signature::RSA_PSS_2048_8192_SHA384),
            "PS512" => Self::Rsa(&signature::RSA_PSS_2048_8192_SHA512),
            "ES256" => Self::Ec(&signature::ECDSA_P256_SHA256_FIXED),
            "ES384" => Self::Ec(&signature::ECDSA_P384_SHA384_FIXED),
            "ES512" => Self::Ec(&signature::ECDSA_P521_SHA512_FIXED),
            _ => return None,
        };
        Some(algorithm)
    }

    /// Whether a key of this kind can check this algorithm.
    fn fits(self, material: &Material) -> bool {
        matches!(
            (self, material),
            (Self::Hmac(_), Material::Symmetric(_))
                | (
                    Self::Rsa(_),
                    Material::RsaComponents { .. } | Material::PublicKey(_)
                )
                | (Self::Ec(_), Material::PublicKey(_))
        )
    }

    fn verify(self, material: &Material, message: &[u8], sig: &[u8]) -> bool {
        match (self, material) {
            (Self::Hmac(algorithm), Material::Symmetric(secret)) => {
                hmac::verify(&hmac::Key::new(algorithm, secret), message, sig).is_ok()
            }
            (Self::Rsa(parameters), Material::RsaComponents { n, e }) => {
                let key = signature::RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                };
                key.verify(parameters, message, sig).is_ok()
            }
            (Self::Rsa(parameters), Material::PublicKey(der)) => {
                signature::UnparsedPublicKey::new(parameters, der)
                    .verify(message, sig)
                    .is_ok()
            }
            (Self::Ec(algorithm), Material::PublicKey(der)) => {
                signature::UnparsedPublicKey::new(algorithm, der)
                    .verify(message, sig)
                    .is_ok()
            }
            _ => false,
        }
    }
}

/// The DER inside a PEM block such as `-----BEGIN PUBLIC KEY-----`.
pub(crate) fn pem_der(text: &str) -> Option<Vec<u8>> {
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}
