//! The mutable .NET objects policies build: `StringBuilder`, `Random` and the symmetric
//! algorithms (`Aes`). Each is shared by every reference to it, as .NET reference types are:
//! `sb.Append("x")` through one variable is seen through every other.

use std::fmt;
use std::sync::{Arc, Mutex};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::lock;

/// `System.Text.StringBuilder`.
#[derive(Clone, Default)]
pub struct StringBuilder(Arc<Mutex<String>>);

impl StringBuilder {
    /// A builder holding `text`.
    pub fn new(text: String) -> Self {
        Self(Arc::new(Mutex::new(text)))
    }

    /// The text built so far (`ToString()`).
    pub fn text(&self) -> String {
        lock(&self.0).clone()
    }

    /// Runs `f` on the text; the caller checks the length limit.
    pub(crate) fn with_text<R>(&self, f: impl FnOnce(&mut String) -> R) -> R {
        f(&mut lock(&self.0))
    }

    pub(crate) fn same(&self, other: &StringBuilder) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for StringBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StringBuilder({:?})", self.text())
    }
}

/// `System.Random`: unseeded ones draw from the thread's generator; `new Random(seed)` owns a
/// ChaCha8 generator seeded from `seed`, so one seed always gives one sequence. That sequence is
/// Gatehouse's own: .NET's seeded generator is a different algorithm.
#[derive(Clone, Default)]
pub struct Random(Option<Arc<Mutex<ChaCha8Rng>>>);

impl Random {
    /// `new Random()`.
    pub fn unseeded() -> Self {
        Self(None)
    }

    /// `new Random(seed)`.
    pub fn seeded(seed: i32) -> Self {
        // The seed's bits, sign included, so -1 and 1 differ.
        let rng = ChaCha8Rng::seed_from_u64(u64::from(seed as u32));
        Self(Some(Arc::new(Mutex::new(rng))))
    }

    /// A number in `low..high` (`low` when the range is empty).
    pub(crate) fn range(&self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        match &self.0 {
            Some(rng) => lock(rng).random_range(low..high),
            None => rand::rng().random_range(low..high),
        }
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&self) -> f64 {
        match &self.0 {
            Some(rng) => lock(rng).random::<f64>(),
            None => rand::rng().random::<f64>(),
        }
    }
}

impl fmt::Debug for Random {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.0.is_some() {
            "seeded"
        } else {
            "unseeded"
        };
        write!(f, "Random({kind})")
    }
}

/// `CipherMode.CBC`, the default and the one mode Gatehouse runs.
pub(crate) const CIPHER_MODE_CBC: i32 = 1;

/// `PaddingMode.PKCS7`, the default padding.
pub(crate) const PADDING_PKCS7: i32 = 2;

/// What a symmetric algorithm object holds: key, IV, `CipherMode` and `PaddingMode` numbers.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SymmetricState {
    pub(crate) key: Vec<u8>,
    pub(crate) iv: Vec<u8>,
    pub(crate) mode: i32,
    pub(crate) padding: i32,
}

/// An AES object (`Aes.Create()`, `new AesManaged()`, `new RijndaelManaged()`), with the
/// random 256-bit key and IV .NET gives a new one.
#[derive(Clone)]
pub struct Symmetric(Arc<Mutex<SymmetricState>>);

impl Symmetric {
    /// A new AES object with a random key and IV, CBC and PKCS7.
    pub fn new() -> Self {
        let state = SymmetricState {
            key: random_bytes(32),
            iv: random_bytes(16),
            mode: CIPHER_MODE_CBC,
            padding: PADDING_PKCS7,
        };
        Self(Arc::new(Mutex::new(state)))
    }

    /// A copy of the current settings.
    pub(crate) fn state(&self) -> SymmetricState {
        lock(&self.0).clone()
    }

    /// Changes the settings.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut SymmetricState) -> R) -> R {
        f(&mut lock(&self.0))
    }

    pub(crate) fn same(&self, other: &Symmetric) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for Symmetric {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Symmetric {
    /// The key and IV are secrets: only the sizes and modes are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Symmetric")
            .field("key_bits", &(state.key.len() * 8))
            .field("mode", &state.mode)
            .field("padding", &state.padding)
            .finish_non_exhaustive()
    }
}

/// `n` bytes from the operating system's generator, as `GenerateKey()` and `GenerateIV()` use.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rng().fill(bytes.as_mut_slice());
    bytes
}
