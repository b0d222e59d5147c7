//! Hashes and HMACs: `SHA256.Create().ComputeHash(bytes)`, `new HMACSHA256(key)`, and the
//! MD5, SHA-1, SHA-384 and SHA-512 variants.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Digest;

use super::convert::bytes_arg;
use super::{Class, Func, Prop, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::types::Ty;
use crate::value::{ByteArray, HashAlgorithm, Hasher, Value};

/// A hashing function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CryptoFn {
    /// `SHA256.Create()`.
    Create(HashAlgorithm),
    /// `SHA256.HashData(bytes)` / `HMACSHA256.HashData(key, bytes)`.
    HashData(HashAlgorithm, bool),
    /// `new HMACSHA256(key)`, `new SHA256Managed()`.
    New(HashAlgorithm, bool),
    ComputeHash,
    Dispose,
    /// `hmac.Key = bytes`.
    SetKey,
}

/// A property of a hash object: only an HMAC's `Key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CryptoProp {
    Key,
}

fn is_hmac(ty: &Ty) -> bool {
    matches!(ty, Ty::Hasher(Some((_, true))))
}

pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    (is_hmac(ty) && name == "Key").then_some((Prop::Crypto(CryptoProp::Key), Ty::Bytes))
}

/// `hmac.Key = bytes` (and `new HMACSHA256 { Key = bytes }`).
pub(crate) fn setter(ty: &Ty, name: &str) -> Option<(Func, Ty)> {
    (is_hmac(ty) && name == "Key").then_some((Func::Crypto(CryptoFn::SetKey), Ty::Bytes))
}

pub(crate) fn get(target: Value, prop: CryptoProp) -> Result<Value, EvalError> {
    let CryptoProp::Key = prop;
    match non_null(target)? {
        Value::Hasher(hasher) => Ok(hasher
            .key()
            .map(|key| Value::Bytes(ByteArray::from(&*key)))
            .unwrap_or_default()),
        other => Err(EvalError::cast(
            other.type_name(),
            "System.Security.Cryptography.HMAC",
        )),
    }
}

/// The algorithm a class name denotes, and whether it is the HMAC variant.
pub(crate) fn hasher_named(name: &str) -> Option<(HashAlgorithm, bool)> {
    let (hmac, base) = match name.strip_prefix("HMAC") {
        Some(base) => (true, base),
        None => (
            false,
            name.trim_end_matches("Managed")
                .trim_end_matches("CryptoServiceProvider"),
        ),
    };
    let algorithm = match base {
        "MD5" => HashAlgorithm::Md5,
        "SHA1" => HashAlgorithm::Sha1,
        "SHA256" => HashAlgorithm::Sha256,
        "SHA384" => HashAlgorithm::Sha384,
        "SHA512" => HashAlgorithm::Sha512,
        _ => return None,
    };
    Some((algorithm, hmac))
}

fn ok(f: CryptoFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Crypto(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let n = sig.args.len();
    match (sig.recv, sig.name, n) {
        (Recv::Static(Class::Hasher(alg, false)), "Create", 0) => {
            ok(CryptoFn::Create(alg), Ty::Hasher(Some((alg, false))))
        }
        (Recv::Static(Class::Hasher(alg, hmac)), "HashData", 1 | 2) => {
            ok(CryptoFn::HashData(alg, hmac), Ty::Bytes)
        }
        (Recv::Value(Ty::Hasher(_)), "ComputeHash", 1 | 3) => ok(CryptoFn::ComputeHash, Ty::Bytes),
        (Recv::Value(Ty::Hasher(_)), "Dispose" | "Clear", 0) => ok(CryptoFn::Dispose, Ty::Void),
        _ => None,
    }
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    match (ty, args.len()) {
        (Ty::Hasher(Some((alg, hmac))), 0 | 1) => {
            Some(Ok(Func::Crypto(CryptoFn::New(*alg, *hmac))))
        }
        (Ty::Hasher(_), _) => Some(Err(
            "this hash algorithm cannot be created this way".to_owned()
        )),
        _ => None,
    }
}

pub(crate) fn call(f: CryptoFn, target: Value, mut args: Vec<Value>) -> Result<Value, EvalError> {
    match f {
        CryptoFn::Create(algorithm) => Ok(Value::Hasher(Hasher::new(algorithm, None))),
        CryptoFn::New(algorithm, hmac) => {
            let key = match arg(&mut args, 0) {
                Value::Null if hmac => Some(Arc::from(random_key().as_slice())),
                Value::Null => None,
                key => Some(Arc::from(bytes_arg(&key)?.as_slice())),
            };
            Ok(Value::Hasher(Hasher::new(algorithm, key)))
        }
        CryptoFn::HashData(algorithm, hmac) => {
            let (key, data) = if hmac {
                (Some(bytes_arg(&arg(&mut args, 0))?), arg(&mut args, 1))
            } else {
                (None, arg(&mut args, 0))
            };
            Ok(Value::Bytes(
                digest(algorithm, key.as_deref(), &bytes_arg(&data)?).into(),
            ))
        }
        CryptoFn::ComputeHash => {
            let Value::Hasher(hasher) = non_null(target)? else {
                return Err(EvalError::NullReference);
            };
            let data = section(bytes_arg(&arg(&mut args, 0))?, &args)?;
            Ok(Value::Bytes(
                digest(hasher.algorithm, hasher.key().as_deref(), &data).into(),
            ))
        }
        CryptoFn::Dispose => Ok(Value::Null),
        CryptoFn::SetKey => {
            let Value::Hasher(hasher) = non_null(target)? else {
                return Err(EvalError::NullReference);
            };
            match arg(&mut args, 0) {
                Value::Null => Err(EvalError::argument(
                    "Value cannot be null. (Parameter 'value')",
                )),
                key => {
                    hasher.set_key(Arc::from(bytes_arg(&key)?.as_slice()));
                    Ok(Value::Null)
                }
            }
        }
    }
}

/// `ComputeHash(buffer, offset, count)`.
fn section(data: Vec<u8>, rest: &[Value]) -> Result<Vec<u8>, EvalError> {
    let (Some(offset), Some(count)) = (rest.get(1), rest.get(2)) else {
        return Ok(data);
    };
    let offset =
        usize::try_from(super::string::int_arg(offset)?).map_err(|_| EvalError::IndexOutOfRange)?;
    let count =
        usize::try_from(super::string::int_arg(count)?).map_err(|_| EvalError::IndexOutOfRange)?;
    data.get(offset..offset.saturating_add(count))
        .map(<[u8]>::to_vec)
        .ok_or(EvalError::argument(
            "Offset and length were out of bounds for the array.",
        ))
}

/// .NET generates a 64-byte random key for `new HMACSHA256()`.
fn random_key() -> Vec<u8> {
    (0..64).map(|_| rand::random::<u8>()).collect()
}

fn digest(algorithm: HashAlgorithm, key: Option<&[u8]>, data: &[u8]) -> Vec<u8> {
    match key {
        Some(key) => hmac(algorithm, key, data),
        None => match algorithm {
            HashAlgorithm::Md5 => md5::Md5::digest(data).to_vec(),
            HashAlgorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        },
    }
}

fn hmac(algorithm: HashAlgorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        match <M as Mac>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match algorithm {
        HashAlgorithm::Md5 => run::<Hmac<md5::Md5>>(key, data),
        HashAlgorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, data),
        HashAlgorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, data),
        HashAlgorithm::Sha384 => run::<Hmac<sha2::Sha384>>(key, data),
        HashAlgorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mac = hmac(
            HashAlgorithm::Sha256,
            b"Jefe",
            b"what do ya want for nothing?",
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();

        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
