//! Symmetric encryption: APIM's `Encrypt`/`Decrypt` extension methods on `byte[]` and the
//! AES objects they take (`Aes.Create()`, `new AesManaged()`, `new RijndaelManaged()`).
//!
//! APIM documents three forms of each:
//! `byte[] Encrypt(this byte[] input, string alg, byte[] key, byte[] iv)`,
//! `byte[] Encrypt(this byte[] input, SymmetricAlgorithm alg)` and
//! `byte[] Encrypt(this byte[] input, SymmetricAlgorithm alg, byte[] key, byte[] iv)`.
//! Gatehouse runs AES (128, 192 or 256-bit keys, 128-bit blocks) in CBC mode with the padding
//! the object names (PKCS7 by default), on RustCrypto's `aes` and `cbc`. Other algorithms
//! (DES, TripleDES, RC2) and other modes fail with a `CryptographicException`-style error
//! that names them: they are weak or rare, and a silently different cipher text would be worse.

use aes::cipher::block_padding::{AnsiX923, Iso10126, NoPadding, Pkcs7, ZeroPadding};
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};

use super::convert::bytes_arg;
use super::{Class, Func, Prop, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::{
    ByteArray, CIPHER_MODE_CBC, EnumType, EnumValue, PADDING_PKCS7, Symmetric, SymmetricState,
    Value, random_bytes,
};

/// AES's block size, in bytes: the IV's length too.
const BLOCK: usize = 16;

/// A property of an AES object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CipherProp {
    Key,
    Iv,
    Mode,
    Padding,
    KeySize,
    BlockSize,
}

/// A method, setter or constructor of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CipherFn {
    /// `Aes.Create()`, `new AesManaged()`.
    Create,
    /// `Aes.Create(name)`, `SymmetricAlgorithm.Create(name)`.
    CreateNamed,
    GenerateKey,
    GenerateIv,
    Dispose,
    Set(CipherProp),
    /// `bytes.Encrypt(…)` (`true`) or `bytes.Decrypt(…)` (`false`).
    Transform {
        encrypt: bool,
    },
}

/// The class names that denote an AES object (the abstract ones included).
pub(crate) fn is_symmetric_type(name: &str) -> bool {
    matches!(
        name,
        "SymmetricAlgorithm"
            | "Aes"
            | "AesManaged"
            | "AesCryptoServiceProvider"
            | "AesCng"
            | "Rijndael"
            | "RijndaelManaged"
    )
}

pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    let (prop, result) = named_property(ty, name)?;
    Some((Prop::Cipher(prop), result))
}

fn named_property(ty: &Ty, name: &str) -> Option<(CipherProp, Ty)> {
    if *ty != Ty::Symmetric {
        return None;
    }
    Some(match name {
        "Key" => (CipherProp::Key, Ty::Bytes),
        "IV" => (CipherProp::Iv, Ty::Bytes),
        "Mode" => (CipherProp::Mode, Ty::Enum(EnumType::CipherMode)),
        "Padding" => (CipherProp::Padding, Ty::Enum(EnumType::PaddingMode)),
        "KeySize" => (CipherProp::KeySize, Ty::Int),
        "BlockSize" => (CipherProp::BlockSize, Ty::Int),
        _ => return None,
    })
}

/// Every property of an AES object can be set.
pub(crate) fn setter(ty: &Ty, name: &str) -> Option<(Func, Ty)> {
    let (prop, result) = named_property(ty, name)?;
    Some((Func::Cipher(CipherFn::Set(prop)), result))
}

fn ok(f: CipherFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Cipher(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    match (sig.recv, sig.name, sig.args) {
        (Recv::Static(Class::Symmetric), "Create", []) => ok(CipherFn::Create, Ty::Symmetric),
        (Recv::Static(Class::Symmetric), "Create", [Ty::String]) => {
            ok(CipherFn::CreateNamed, Ty::Symmetric)
        }
        (Recv::Value(Ty::Symmetric), "GenerateKey", []) => ok(CipherFn::GenerateKey, Ty::Void),
        (Recv::Value(Ty::Symmetric), "GenerateIV", []) => ok(CipherFn::GenerateIv, Ty::Void),
        (Recv::Value(Ty::Symmetric), "Dispose" | "Clear", []) => ok(CipherFn::Dispose, Ty::Void),
        (Recv::Value(Ty::Bytes), "Encrypt" | "Decrypt", args) => transform(sig.name, args),
        _ => None,
    }
}

fn transform(name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    let known = matches!(
        args,
        [
            Ty::String | Ty::Null,
            Ty::Bytes | Ty::Null,
            Ty::Bytes | Ty::Null
        ] | [Ty::Symmetric]
            | [Ty::Symmetric, Ty::Bytes | Ty::Null, Ty::Bytes | Ty::Null]
    );
    if !known {
        return Some(Err(format!(
            "'{name}' takes (string algorithm, byte[] key, byte[] iv), (SymmetricAlgorithm) or (SymmetricAlgorithm, byte[] key, byte[] iv)"
        )));
    }
    let encrypt = name == "Encrypt";
    ok(CipherFn::Transform { encrypt }, Ty::Bytes)
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    match (ty, args) {
        (Ty::Symmetric, []) => Some(Ok(Func::Cipher(CipherFn::Create))),
        (Ty::Symmetric, _) => Some(Err(
            "AES objects are created without arguments; set 'Key' and 'IV' afterwards".to_owned(),
        )),
        _ => None,
    }
}

/// A `CryptographicException`.
fn crypto_error(message: &str) -> EvalError {
    EvalError::Cryptographic {
        message: message.to_owned(),
    }
}

fn symmetric(target: Value) -> Result<Symmetric, EvalError> {
    match non_null(target)? {
        Value::Symmetric(aes) => Ok(aes),
        other => Err(EvalError::cast(
            other.type_name(),
            "System.Security.Cryptography.SymmetricAlgorithm",
        )),
    }
}

pub(crate) fn get(target: Value, prop: CipherProp) -> Result<Value, EvalError> {
    let state = symmetric(target)?.state();
    let enumerated = |ty, value| Value::Enum(EnumValue { ty, value });
    Ok(match prop {
        CipherProp::Key => Value::Bytes(ByteArray::from(state.key)),
        CipherProp::Iv => Value::Bytes(ByteArray::from(state.iv)),
        CipherProp::Mode => enumerated(EnumType::CipherMode, state.mode),
        CipherProp::Padding => enumerated(EnumType::PaddingMode, state.padding),
        CipherProp::KeySize => Value::Int(bits(state.key.len())),
        CipherProp::BlockSize => Value::Int(bits(BLOCK)),
    })
}

fn bits(bytes: usize) -> i32 {
    i32::try_from(bytes * 8).unwrap_or(i32::MAX)
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: CipherFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    match f {
        CipherFn::Create => Ok(Value::Symmetric(Symmetric::new())),
        CipherFn::CreateNamed => {
            named_algorithm(&m.display(&non_null(arg(&mut args, 0))?))?;
            Ok(Value::Symmetric(Symmetric::new()))
        }
        CipherFn::GenerateKey => {
            let aes = symmetric(target)?;
            aes.update(|s| s.key = random_bytes(s.key.len()));
            Ok(Value::Null)
        }
        CipherFn::GenerateIv => {
            symmetric(target)?.update(|s| s.iv = random_bytes(BLOCK));
            Ok(Value::Null)
        }
        CipherFn::Dispose => Ok(Value::Null),
        CipherFn::Set(prop) => {
            set(&symmetric(target)?, prop, &arg(&mut args, 0)).map(|()| Value::Null)
        }
        CipherFn::Transform { encrypt } => run_transform(m, encrypt, target, args),
    }
}

fn set(aes: &Symmetric, prop: CipherProp, value: &Value) -> Result<(), EvalError> {
    match (prop, value) {
        (CipherProp::Key, value) => {
            let key = non_null_bytes(value, "value")?;
            check_key(&key)?;
            aes.update(|s| s.key = key);
        }
        (CipherProp::Iv, value) => {
            let iv = non_null_bytes(value, "value")?;
            check_iv(&iv)?;
            aes.update(|s| s.iv = iv);
        }
        (CipherProp::Mode, Value::Enum(e)) => aes.update(|s| s.mode = e.value),
        (CipherProp::Padding, Value::Enum(e)) => aes.update(|s| s.padding = e.value),
        (CipherProp::KeySize, Value::Int(size)) => {
            let length = usize::try_from(*size / 8).unwrap_or(0);
            if *size % 8 != 0 || !matches!(length, 16 | 24 | 32) {
                return Err(crypto_error(
                    "Specified key is not a valid size for this algorithm.",
                ));
            }
            aes.update(|s| s.key = random_bytes(length));
        }
        (CipherProp::BlockSize, Value::Int(128)) => {}
        (CipherProp::BlockSize, _) => {
            return Err(crypto_error(
                "Specified block size is not valid for this algorithm.",
            ));
        }
        (_, other) => return Err(EvalError::cast(other.type_name(), "the property's type")),
    }
    Ok(())
}

fn non_null_bytes(value: &Value, parameter: &str) -> Result<Vec<u8>, EvalError> {
    if value.is_null() {
        return Err(EvalError::argument(format!(
            "Value cannot be null. (Parameter '{parameter}')"
        )));
    }
    bytes_arg(value)
}

fn check_key(key: &[u8]) -> Result<(), EvalError> {
    if matches!(key.len(), 16 | 24 | 32) {
        Ok(())
    } else {
        Err(crypto_error(
            "Specified key is not a valid size for this algorithm.",
        ))
    }
}

fn check_iv(iv: &[u8]) -> Result<(), EvalError> {
    if iv.len() == BLOCK {
        Ok(())
    } else {
        Err(crypto_error(
            "Specified initialization vector (IV) does not match the block size for this algorithm.",
        ))
    }
}

/// Accepts the names `SymmetricAlgorithm.Create` knows for AES; refuses the others by name.
fn named_algorithm(name: &str) -> Result<(), EvalError> {
    let short = name
        .strip_prefix("System.Security.Cryptography.")
        .unwrap_or(name)
        .to_ascii_lowercase();
    let is_aes = matches!(
        short.as_str(),
        "aes"
            | "aesmanaged"
            | "aescryptoserviceprovider"
            | "aescng"
            | "rijndael"
            | "rijndaelmanaged"
    );
    if is_aes {
        return Ok(());
    }
    Err(EvalError::NotSupported {
        what: format!("The symmetric algorithm '{name}' (Gatehouse runs AES only)"),
    })
}

/// `input.Encrypt(alg, key, iv)`, `input.Encrypt(aes)`, `input.Encrypt(aes, key, iv)` and the
/// `Decrypt` forms.
fn run_transform(
    m: &Machine<'_>,
    encrypt: bool,
    input: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let input = non_null_bytes(&input, "input")?;
    let mut state = match arg(&mut args, 0) {
        Value::Symmetric(aes) => aes.state(),
        Value::Null => {
            return Err(EvalError::argument(
                "Value cannot be null. (Parameter 'alg')",
            ));
        }
        name => {
            named_algorithm(&m.display(&name))?;
            SymmetricState {
                key: Vec::new(),
                iv: Vec::new(),
                mode: CIPHER_MODE_CBC,
                padding: PADDING_PKCS7,
            }
        }
    };
    if args.len() == 3 {
        state.key = non_null_bytes(&arg(&mut args, 1), "key")?;
        state.iv = non_null_bytes(&arg(&mut args, 2), "iv")?;
    }
    check_key(&state.key)?;
    check_iv(&state.iv)?;
    m.check_string(input.len() + BLOCK)?;
    let output = if encrypt {
        encrypt_cbc(&state, &input)?
    } else {
        decrypt_cbc(&state, &input)?
    };
    Ok(Value::Bytes(ByteArray::from(output)))
}

fn check_mode(state: &SymmetricState) -> Result<(), EvalError> {
    if state.mode == CIPHER_MODE_CBC {
        return Ok(());
    }
    let name = EnumValue {
        ty: EnumType::CipherMode,
        value: state.mode,
    }
    .name();
    Err(EvalError::NotSupported {
        what: format!("CipherMode.{name} (Gatehouse runs CBC only)"),
    })
}

/// Encrypts with the key size the key has; `NoPadding` needs whole blocks, as in .NET.
fn encrypt_cbc(state: &SymmetricState, input: &[u8]) -> Result<Vec<u8>, EvalError> {
    check_mode(state)?;
    if state.padding == PADDING_NONE && !input.len().is_multiple_of(BLOCK) {
        return Err(crypto_error("The input data is not a complete block."));
    }
    let (key, iv) = (state.key.as_slice(), state.iv.as_slice());
    match key.len() {
        16 => encrypt_with::<cbc::Encryptor<aes::Aes128>>(key, iv, input, state.padding),
        24 => encrypt_with::<cbc::Encryptor<aes::Aes192>>(key, iv, input, state.padding),
        _ => encrypt_with::<cbc::Encryptor<aes::Aes256>>(key, iv, input, state.padding),
    }
}

fn decrypt_cbc(state: &SymmetricState, input: &[u8]) -> Result<Vec<u8>, EvalError> {
    check_mode(state)?;
    if !input.len().is_multiple_of(BLOCK) {
        return Err(crypto_error("The input data is not a complete block."));
    }
    let (key, iv) = (state.key.as_slice(), state.iv.as_slice());
    match key.len() {
        16 => decrypt_with::<cbc::Decryptor<aes::Aes128>>(key, iv, input, state.padding),
        24 => decrypt_with::<cbc::Decryptor<aes::Aes192>>(key, iv, input, state.padding),
        _ => decrypt_with::<cbc::Decryptor<aes::Aes256>>(key, iv, input, state.padding),
    }
}

/// `PaddingMode.None`.
const PADDING_NONE: i32 = 1;
/// `PaddingMode.Zeros`.
const PADDING_ZEROS: i32 = 3;
/// `PaddingMode.ANSIX923`.
const PADDING_ANSI_X923: i32 = 4;
/// `PaddingMode.ISO10126`.
const PADDING_ISO10126: i32 = 5;

fn encrypt_with<M: KeyIvInit + BlockModeEncrypt>(
    key: &[u8],
    iv: &[u8],
    input: &[u8],
    padding: i32,
) -> Result<Vec<u8>, EvalError> {
    let mode = M::new_from_slices(key, iv)
        .map_err(|_| crypto_error("Specified key is not a valid size for this algorithm."))?;
    Ok(match padding {
        PADDING_NONE => mode.encrypt_padded_vec::<NoPadding>(input),
        PADDING_ZEROS => mode.encrypt_padded_vec::<ZeroPadding>(input),
        PADDING_ANSI_X923 => mode.encrypt_padded_vec::<AnsiX923>(input),
        PADDING_ISO10126 => mode.encrypt_padded_vec::<Iso10126>(input),
        _ => mode.encrypt_padded_vec::<Pkcs7>(input),
    })
}

/// Decrypts and removes the padding; `Zeros` keeps the zero bytes, as .NET does.
fn decrypt_with<M: KeyIvInit + BlockModeDecrypt>(
    key: &[u8],
    iv: &[u8],
    input: &[u8],
    padding: i32,
) -> Result<Vec<u8>, EvalError> {
    let mode = M::new_from_slices(key, iv)
        .map_err(|_| crypto_error("Specified key is not a valid size for this algorithm."))?;
    let result = match padding {
        PADDING_NONE | PADDING_ZEROS => mode.decrypt_padded_vec::<NoPadding>(input),
        PADDING_ANSI_X923 => mode.decrypt_padded_vec::<AnsiX923>(input),
        PADDING_ISO10126 => mode.decrypt_padded_vec::<Iso10126>(input),
        _ => mode.decrypt_padded_vec::<Pkcs7>(input),
    };
    result.map_err(|_| crypto_error("Padding is invalid and cannot be removed."))
}

/// An object's settings, for tests.
#[cfg(test)]
fn with_state(key: &[u8], iv: &[u8], padding: i32) -> SymmetricState {
    SymmetricState {
        key: key.to_vec(),
        iv: iv.to_vec(),
        mode: CIPHER_MODE_CBC,
        padding,
    }
}

#[cfg(test)]
#[path = "cipher_tests.rs"]
mod tests;
