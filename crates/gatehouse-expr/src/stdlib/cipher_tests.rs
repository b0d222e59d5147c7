//! AES-CBC against published vectors and .NET's documented behaviour.

use super::*;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// NIST SP 800-38A, F.2.1 (CBC-AES128.Encrypt), first block, without padding.
#[test]
fn cbc_aes128_matches_nist_sp_800_38a() {
    let state = with_state(
        &hex("2b7e151628aed2a6abf7158809cf4f3c"),
        &hex("000102030405060708090a0b0c0d0e0f"),
        PADDING_NONE,
    );

    let cipher = encrypt_cbc(&state, &hex("6bc1bee22e409f96e93d7e117393172a")).unwrap();

    assert_eq!(cipher, hex("7649abac8119b246cee98e9b12e9197d"));
}

/// NIST SP 800-38A, F.2.5 (CBC-AES256.Encrypt), first block.
#[test]
fn cbc_aes256_matches_nist_sp_800_38a() {
    let state = with_state(
        &hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"),
        &hex("000102030405060708090a0b0c0d0e0f"),
        PADDING_NONE,
    );

    let cipher = encrypt_cbc(&state, &hex("6bc1bee22e409f96e93d7e117393172a")).unwrap();

    assert_eq!(cipher, hex("f58c4c04d6e5f1ba779eabfb5f7bfbd6"));
}

/// NIST SP 800-38A, F.2.3 (CBC-AES192.Encrypt), first block.
#[test]
fn cbc_aes192_matches_nist_sp_800_38a() {
    let state = with_state(
        &hex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"),
        &hex("000102030405060708090a0b0c0d0e0f"),
        PADDING_NONE,
    );

    let cipher = encrypt_cbc(&state, &hex("6bc1bee22e409f96e93d7e117393172a")).unwrap();

    assert_eq!(cipher, hex("4f021db243bc633d7178183a9fa071e8"));
}

#[test]
fn pkcs7_adds_a_whole_block_to_whole_blocks_and_round_trips() {
    let state = with_state(&[7; 16], &[9; 16], PADDING_PKCS7);

    let cipher = encrypt_cbc(&state, &[1; 16]).unwrap();

    assert_eq!(cipher.len(), 32);
    assert_eq!(decrypt_cbc(&state, &cipher).unwrap(), vec![1; 16]);
}

#[test]
fn zeros_padding_is_kept_on_decryption_as_in_dotnet() {
    let state = with_state(&[7; 16], &[9; 16], PADDING_ZEROS);

    let cipher = encrypt_cbc(&state, b"abc").unwrap();

    assert_eq!(cipher.len(), 16);
    let plain = decrypt_cbc(&state, &cipher).unwrap();
    assert_eq!(&plain[..3], b"abc");
    assert_eq!(plain.len(), 16);
}

#[test]
fn a_wrong_key_fails_with_dotnets_padding_message() {
    let state = with_state(&[7; 16], &[9; 16], PADDING_PKCS7);
    let cipher = encrypt_cbc(&state, b"secret").unwrap();
    let wrong = with_state(&[8; 16], &[9; 16], PADDING_PKCS7);

    let error = decrypt_cbc(&wrong, &cipher).unwrap_err();

    assert_eq!(
        error.dotnet_message(),
        "Padding is invalid and cannot be removed."
    );
    assert_eq!(error.exception_type(), "CryptographicException");
}

#[test]
fn no_padding_needs_whole_blocks() {
    let state = with_state(&[7; 16], &[9; 16], PADDING_NONE);

    let error = encrypt_cbc(&state, b"abc").unwrap_err();

    assert_eq!(
        error.dotnet_message(),
        "The input data is not a complete block."
    );
}

#[test]
fn other_modes_are_refused_by_name() {
    let mut state = with_state(&[7; 16], &[9; 16], PADDING_PKCS7);
    state.mode = 2;

    let error = encrypt_cbc(&state, b"abc").unwrap_err();

    assert!(error.to_string().contains("CipherMode.ECB"), "{error}");
}

#[test]
fn only_aes_names_are_accepted() {
    assert!(named_algorithm("Aes").is_ok());
    assert!(named_algorithm("System.Security.Cryptography.RijndaelManaged").is_ok());
    assert!(named_algorithm("AES").is_ok());
    assert!(named_algorithm("TripleDES").is_err());
}
