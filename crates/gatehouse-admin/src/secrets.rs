//! Generated secrets: subscription keys and the admin token.

use rand::RngCore;

/// A subscription key as APIM makes them: 32 lowercase hex characters (128 random bits).
pub fn generate_key() -> String {
    random_hex(16)
}

/// An admin token: 64 lowercase hex characters (256 random bits).
pub fn generate_token() -> String {
    random_hex(32)
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}
