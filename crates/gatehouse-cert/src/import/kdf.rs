//! The PKCS#12 password-based key derivation (RFC 7292 appendix B.2).
//!
//! Written here (over aws-lc-rs digests) because the PKCS#12 parser only takes passwords as
//! text, while the MAC check and NULL-password files need the raw password bytes.

use aws_lc_rs::digest;
use zeroize::Zeroizing;

/// What the derived bytes are for; RFC 7292 calls this the diversifier ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Key = 1,
    Iv = 2,
    Mac = 3,
}

/// A password as PKCS#12 hashes it: UTF-16BE with a terminating zero character.
pub(crate) fn bmp_password(text: &str) -> Zeroizing<Vec<u8>> {
    let mut bmp = Zeroizing::new(Vec::with_capacity(text.len() * 2 + 2));
    for unit in text.encode_utf16().chain([0]) {
        bmp.extend_from_slice(&unit.to_be_bytes());
    }
    bmp
}

/// Derives `key_len` bytes for `purpose` from an encoded password and salt.
pub(crate) fn derive(
    algorithm: &'static digest::Algorithm,
    purpose: Purpose,
    password: &[u8],
    salt: &[u8],
    iterations: u64,
    key_len: usize,
) -> Zeroizing<Vec<u8>> {
    let block = algorithm.block_len();
    let diversifier = vec![purpose as u8; block];
    let mut input = Zeroizing::new([stretch(salt, block), stretch(password, block)].concat());
    let mut key = Zeroizing::new(Vec::with_capacity(key_len + algorithm.output_len()));

    while key.len() < key_len {
        let mut hashed = digest::digest(algorithm, &[diversifier.as_slice(), &input].concat());
        for _ in 1..iterations {
            hashed = digest::digest(algorithm, hashed.as_ref());
        }
        key.extend_from_slice(hashed.as_ref());
        if key.len() < key_len {
            add_to_blocks(&mut input, &stretch(hashed.as_ref(), block));
        }
    }
    key.truncate(key_len);
    key
}

/// Repeats `data` to fill a whole number of `block`-sized blocks (empty stays empty).
fn stretch(data: &[u8], block: usize) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    let len = data.len().div_ceil(block) * block;
    data.iter().copied().cycle().take(len).collect()
}

/// Step 6C: each block of `input` becomes `(block + addend + 1) mod 2^(8v)`.
fn add_to_blocks(input: &mut [u8], addend: &[u8]) {
    for chunk in input.chunks_mut(addend.len()) {
        let mut carry = 1u16;
        for (byte, add) in chunk.iter_mut().rev().zip(addend.iter().rev()) {
            let sum = u16::from(*byte) + u16::from(*add) + carry;
            *byte = (sum & 0xFF) as u8;
            carry = sum >> 8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_passwords_as_terminated_utf16() {
        assert_eq!(*bmp_password(""), vec![0, 0]);
        assert_eq!(*bmp_password("aé"), vec![0, b'a', 0, 0xE9, 0, 0]);
        assert_eq!(
            bmp_password("😀").len(),
            6,
            "surrogate pair plus terminator"
        );
    }

    #[test]
    fn adds_with_carry_across_bytes() {
        let mut input = vec![0x00, 0xFF, 0x00, 0x01];
        add_to_blocks(&mut input, &[0x00, 0x01]);
        assert_eq!(input, vec![0x01, 0x01, 0x00, 0x03]);
    }

    #[test]
    fn derives_longer_keys_than_one_digest() {
        let short = derive(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Purpose::Key,
            &bmp_password("pw"),
            &[1; 8],
            3,
            20,
        );
        let long = derive(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Purpose::Key,
            &bmp_password("pw"),
            &[1; 8],
            3,
            24,
        );
        assert_eq!(&long[..20], &short[..]);
        assert_eq!(long.len(), 24);
        let iv = derive(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Purpose::Iv,
            &bmp_password("pw"),
            &[1; 8],
            3,
            8,
        );
        assert_ne!(&iv[..], &short[..8]);
    }
}
