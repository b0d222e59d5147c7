//! The refusals of `jwe.rs`; decryption itself is tested against tokens another
//! implementation made (`tests/validate_jwt_encrypted.rs`).

use super::*;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with `header` and arbitrary other parts.
fn token(header: &str) -> String {
    format!(
        "{}..{}.{}.{}",
        b64(header.as_bytes()),
        b64(&[0; 16]),
        b64(b"x"),
        b64(&[0; 16])
    )
}

fn symmetric(len: usize, id: Option<&str>) -> DecryptionKey {
    DecryptionKey {
        id: id.map(str::to_owned),
        material: DecryptionMaterial::Symmetric(vec![7; len]),
    }
}

#[test]
fn five_parts_make_an_encrypted_token_and_three_a_signed_one() {
    assert!(is_encrypted("a.b.c.d.e"));
    assert!(!is_encrypted("a.b.c"));
    assert!(!is_encrypted("a.b.c.d.e.f"));
}

#[test]
fn weak_or_unsupported_algorithms_are_refused_by_name() {
    let keys = [symmetric(32, None)];
    let cases = [
        (r#"{"alg":"RSA1_5","enc":"A128GCM"}"#, "'RSA1_5' is refused"),
        (
            r#"{"alg":"A192KW","enc":"A128GCM"}"#,
            "'A192KW' is not supported",
        ),
        (
            r#"{"alg":"ECDH-ES","enc":"A128GCM"}"#,
            "'ECDH-ES' is not a supported",
        ),
        (
            r#"{"alg":"dir","enc":"A128CTR"}"#,
            "'A128CTR' is not a supported",
        ),
        (
            r#"{"alg":"dir","enc":"A128GCM","zip":"DEF"}"#,
            "('zip') are refused",
        ),
    ];
    for (header, expected) in cases {
        match decrypt(&token(header), &keys) {
            Err(JweError::Unsupported(message)) => {
                assert!(message.contains(expected), "{header}: {message}");
            }
            other => panic!("{header}: {other:?}"),
        }
    }
}

#[test]
fn a_malformed_token_says_which_part_is_wrong() {
    let keys = [symmetric(32, None)];
    assert_eq!(
        decrypt("!!.a.b.c.d", &keys),
        Err(JweError::Malformed("the header is not base64url".into()))
    );
    let no_object = format!("{}.a.b.c.d", b64(b"[1]"));
    assert_eq!(
        decrypt(&no_object, &keys),
        Err(JweError::Malformed(
            "the header is not a JSON object".into()
        ))
    );
    let no_alg = token(r#"{"enc":"A128GCM"}"#);
    assert_eq!(
        decrypt(&no_alg, &keys),
        Err(JweError::Malformed("the header has no 'alg'".into()))
    );
}

#[test]
fn keys_of_the_wrong_kind_or_id_are_not_tried() {
    let header = r#"{"alg":"A256KW","enc":"A128GCM","kid":"k2"}"#;

    let wrong_length = [symmetric(16, Some("k2"))];
    assert_eq!(
        decrypt(&token(header), &wrong_length),
        Err(JweError::NoKey("A256KW".into()))
    );
    let wrong_id = [symmetric(32, Some("k1"))];
    assert_eq!(
        decrypt(&token(header), &wrong_id),
        Err(JweError::NoKey("A256KW".into()))
    );
    let fitting = [symmetric(32, Some("k2"))];
    assert_eq!(
        decrypt(&token(header), &fitting),
        Err(JweError::Undecryptable)
    );
}

#[test]
fn a_direct_key_with_an_encrypted_key_part_does_not_decrypt() {
    let with_key_part = format!(
        "{}.{}.{}.{}.{}",
        b64(br#"{"alg":"dir","enc":"A128GCM"}"#),
        b64(b"unexpected"),
        b64(&[0; 12]),
        b64(b"x"),
        b64(&[0; 16])
    );
    assert_eq!(
        decrypt(&with_key_part, &[symmetric(16, None)]),
        Err(JweError::Undecryptable)
    );
}

#[test]
fn key_material_stays_out_of_debug_output() {
    let key = symmetric(32, Some("k"));
    assert_eq!(
        format!("{key:?}"),
        r#"DecryptionKey { id: Some("k"), material: Symmetric(********) }"#
    );
}
