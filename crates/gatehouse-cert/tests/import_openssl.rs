//! Import of files written by the openssl command-line tool (and Java's keytool).

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gatehouse_cert::{ImportError, ImportFormat, Imported, KeyKind, import_certificate};
use support::{EC_P256, EC_P384, ED25519, RSA_2048, Workdir, openssl_thumbprint};

/// A CA and a client certificate signed by it, in PEM: `ca.crt/key`, `client.crt/key`.
fn pki(key_spec: &[&str]) -> Workdir {
    let work = Workdir::new();
    work.ca("ca", "/CN=Import Test CA");
    work.leaf(
        "client",
        "ca",
        key_spec,
        "/CN=client",
        "0x01",
        "extendedKeyUsage=clientAuth\n",
    );
    work
}

fn import(work: &Workdir, file: &str, password: Option<&str>) -> Result<Imported, ImportError> {
    import_certificate(&work.read(file), password)
}

fn pfx(work: &Workdir, out: &str, password: &str, extra: &[&str]) {
    let pass = format!("pass:{password}");
    let mut args = vec![
        "pkcs12",
        "-export",
        "-in",
        "client.crt",
        "-inkey",
        "client.key",
        "-certfile",
        "ca.crt",
        "-passout",
        &pass,
        "-out",
        out,
    ];
    args.extend_from_slice(extra);
    work.openssl(&args);
}

fn assert_client(imported: &Imported, work: &Workdir, format: ImportFormat, chain: usize) {
    assert_eq!(imported.format(), format);
    assert_eq!(
        &**imported.certificate().thumbprint(),
        openssl_thumbprint(work, "client.crt")
    );
    assert_eq!(imported.chain().len(), chain);
    if chain > 0 {
        assert_eq!(
            &**imported.chain()[0].thumbprint(),
            openssl_thumbprint(work, "ca.crt")
        );
    }
}

fn concat(work: &Workdir, out: &str, parts: &[&str]) {
    let text: Vec<u8> = parts.iter().flat_map(|part| work.read(part)).collect();
    work.write(out, &text);
}

#[test]
fn pem_certificate_alone() {
    let work = pki(EC_P256);
    let imported = import(&work, "client.crt", None).unwrap();
    assert_client(&imported, &work, ImportFormat::Pem, 0);
    assert!(imported.private_key().is_none());
}

#[test]
fn pem_with_pkcs8_pkcs1_and_sec1_keys() {
    let work = pki(RSA_2048);
    concat(&work, "pkcs8.pem", &["client.key", "client.crt", "ca.crt"]);
    let imported = import(&work, "pkcs8.pem", None).unwrap();
    assert_client(&imported, &work, ImportFormat::Pem, 1);
    assert_eq!(imported.private_key().map(|k| k.kind()), Some(KeyKind::Rsa));

    work.openssl(&[
        "pkey",
        "-in",
        "client.key",
        "-traditional",
        "-out",
        "pkcs1.key",
    ]);
    assert!(
        String::from_utf8(work.read("pkcs1.key"))
            .unwrap()
            .contains("BEGIN RSA PRIVATE KEY")
    );
    concat(&work, "pkcs1.pem", &["client.crt", "pkcs1.key"]);
    let pkcs1 = import(&work, "pkcs1.pem", None).unwrap();
    assert_eq!(
        pkcs1.private_key().unwrap().pkcs8_der(),
        imported.private_key().unwrap().pkcs8_der()
    );

    let ec = pki(EC_P384);
    ec.openssl(&[
        "pkey",
        "-in",
        "client.key",
        "-traditional",
        "-out",
        "sec1.key",
    ]);
    ec.openssl(&["ecparam", "-name", "secp384r1", "-out", "params.pem"]);
    concat(&ec, "sec1.pem", &["params.pem", "sec1.key", "client.crt"]);
    let sec1 = import(&ec, "sec1.pem", None).unwrap();
    assert_eq!(
        sec1.private_key().map(|k| k.kind()),
        Some(KeyKind::EcdsaP384)
    );
}

#[test]
fn pem_keys_of_every_supported_type_are_checked() {
    for (spec, kind) in [(EC_P256, KeyKind::EcdsaP256), (ED25519, KeyKind::Ed25519)] {
        let work = pki(spec);
        concat(&work, "both.pem", &["client.crt", "client.key"]);
        let imported = import(&work, "both.pem", None).unwrap();
        assert_eq!(imported.private_key().map(|k| k.kind()), Some(kind));
    }
    let work = Workdir::new();
    work.self_signed(
        "p521",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
        "/CN=p521",
        &[],
    );
    concat(&work, "p521.pem", &["p521.crt", "p521.key"]);
    assert_eq!(
        import(&work, "p521.pem", None)
            .unwrap()
            .private_key()
            .map(|k| k.kind()),
        Some(KeyKind::EcdsaP521)
    );
}

#[test]
fn pem_key_of_another_certificate_is_refused() {
    let work = pki(EC_P256);
    work.self_signed("other", EC_P256, "/CN=other", &[]);
    concat(&work, "mismatch.pem", &["client.crt", "other.key"]);
    let error = import(&work, "mismatch.pem", None).unwrap_err();
    assert!(matches!(error, ImportError::KeyMismatch { .. }));
    assert!(
        error.to_string().starts_with(
            "the private key does not belong to the certificate CN=client (thumbprint "
        )
    );
}

#[test]
fn encrypted_pem_keys() {
    let work = pki(EC_P256);
    work.openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        "client.key",
        "-v2",
        "aes-256-cbc",
        "-passout",
        "pass:s3cret",
        "-out",
        "enc.key",
    ]);
    concat(&work, "enc.pem", &["client.crt", "enc.key"]);

    let imported = import(&work, "enc.pem", Some("s3cret")).unwrap();
    assert_eq!(
        imported.private_key().map(|k| k.kind()),
        Some(KeyKind::EcdsaP256)
    );
    assert_eq!(
        import(&work, "enc.pem", None).unwrap_err(),
        ImportError::EncryptedKeyPasswordRequired
    );
    assert_eq!(
        import(&work, "enc.pem", Some("nope")).unwrap_err(),
        ImportError::WrongKeyPassword
    );

    let rsa = pki(RSA_2048);
    rsa.openssl(&[
        "pkey",
        "-in",
        "client.key",
        "-traditional",
        "-aes128",
        "-passout",
        "pass:x",
        "-out",
        "legacy.key",
    ]);
    concat(&rsa, "legacy.pem", &["client.crt", "legacy.key"]);
    let legacy = import(&rsa, "legacy.pem", Some("x")).unwrap_err();
    assert!(
        matches!(legacy, ImportError::UnsupportedKeyEncryption { .. }),
        "{legacy}"
    );
}

#[test]
fn der_and_base64_der() {
    let work = pki(EC_P256);
    work.to_der("client.crt", "client.cer");
    assert_client(
        &import(&work, "client.cer", None).unwrap(),
        &work,
        ImportFormat::Der,
        0,
    );

    let base64 = STANDARD.encode(work.read("client.cer"));
    let imported = import_certificate(base64.as_bytes(), None).unwrap();
    assert_client(&imported, &work, ImportFormat::Der, 0);
    assert!(imported.was_base64());
}

#[test]
fn pem_with_bom_and_crlf() {
    let work = pki(EC_P256);
    let text = String::from_utf8(work.read("client.crt"))
        .unwrap()
        .replace('\n', "\r\n");
    let bytes = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    assert!(import_certificate(&bytes, None).is_ok());
}

#[test]
fn modern_legacy_and_tripledes_pfx() {
    let work = pki(RSA_2048);
    let variants: [(&str, &[&str]); 4] = [
        ("modern.pfx", &[]),
        ("legacy.pfx", &["-legacy"]),
        (
            "3des.pfx",
            &[
                "-certpbe",
                "PBE-SHA1-3DES",
                "-keypbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ],
        ),
        (
            "aes128.pfx",
            &[
                "-certpbe",
                "AES-128-CBC",
                "-keypbe",
                "AES-128-CBC",
                "-macalg",
                "sha512",
            ],
        ),
    ];
    for (file, flags) in variants {
        pfx(&work, file, "Passw0rd!", flags);
        let imported =
            import(&work, file, Some("Passw0rd!")).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_client(&imported, &work, ImportFormat::Pfx, 1);
        assert_eq!(
            imported.private_key().map(|k| k.kind()),
            Some(KeyKind::Rsa),
            "{file}"
        );
    }
}

#[test]
fn pfx_passwords() {
    let work = pki(EC_P256);
    pfx(&work, "empty.pfx", "", &[]);
    pfx(&work, "empty-legacy.pfx", "", &["-legacy"]);
    for file in ["empty.pfx", "empty-legacy.pfx"] {
        assert!(import(&work, file, None).is_ok(), "{file} without password");
        assert!(
            import(&work, file, Some("")).is_ok(),
            "{file} with empty password"
        );
    }

    pfx(&work, "unicode.pfx", "pässwörd€", &[]);
    pfx(&work, "unicode-legacy.pfx", "pässwörd€", &["-legacy"]);
    for file in ["unicode.pfx", "unicode-legacy.pfx"] {
        assert!(import(&work, file, Some("pässwörd€")).is_ok(), "{file}");
        assert_eq!(
            import(&work, file, Some("passwörd€")).unwrap_err(),
            ImportError::WrongPassword
        );
    }

    assert_eq!(
        import(&work, "unicode.pfx", None).unwrap_err(),
        ImportError::PasswordRequired
    );
    assert_eq!(
        ImportError::PasswordRequired.to_string(),
        "the PFX file is password-protected; supply its password"
    );
    assert_eq!(
        ImportError::WrongPassword.to_string(),
        "wrong password for the PFX file"
    );
}

#[test]
fn pfx_without_mac_still_detects_wrong_passwords() {
    let work = pki(EC_P256);
    pfx(&work, "nomac.pfx", "secret", &["-nomac"]);
    assert!(import(&work, "nomac.pfx", Some("secret")).is_ok());
    assert_eq!(
        import(&work, "nomac.pfx", Some("wrong")).unwrap_err(),
        ImportError::WrongPassword
    );
}

#[test]
fn pfx_certificates_only_and_keys_only() {
    let work = pki(EC_P256);
    pfx(&work, "nokeys.pfx", "pw", &["-nokeys"]);
    let certs_only = import(&work, "nokeys.pfx", Some("pw")).unwrap();
    assert!(certs_only.private_key().is_none());
    assert_eq!(certs_only.chain().len() + 1, 2);

    work.openssl(&[
        "pkcs12",
        "-export",
        "-nocerts",
        "-inkey",
        "client.key",
        "-passout",
        "pass:pw",
        "-out",
        "nocerts.pfx",
    ]);
    let error = import(&work, "nocerts.pfx", Some("pw")).unwrap_err();
    assert_eq!(error, ImportError::PfxWithoutCertificate);
    assert_eq!(error.to_string(), "the PFX file contains no certificate");
}

#[test]
fn damaged_pfx_is_not_a_password_problem() {
    let work = pki(EC_P256);
    pfx(&work, "good.pfx", "pw", &[]);
    let bytes = work.read("good.pfx");

    let truncated = import_certificate(&bytes[..bytes.len() / 2], Some("pw")).unwrap_err();
    assert!(
        matches!(truncated, ImportError::CorruptPfx { .. }),
        "{truncated}"
    );
    assert!(!truncated.is_password_problem());
    assert!(
        truncated
            .to_string()
            .starts_with("the PFX file is damaged: "),
        "{truncated}"
    );
}

#[test]
fn base64_pfx_as_in_the_management_api() {
    let work = pki(EC_P256);
    pfx(&work, "upload.pfx", "pw", &[]);
    let data = STANDARD.encode(work.read("upload.pfx"));
    let imported = import_certificate(data.as_bytes(), Some("pw")).unwrap();
    assert_eq!(imported.format(), ImportFormat::Pfx);
    assert!(imported.was_base64());
}

#[test]
fn ber_encoded_pfx_files() {
    let work = pki(RSA_2048);
    pfx(&work, "mac.pfx", "pw", &[]);
    pfx(&work, "nomac.pfx", "pw", &["-nomac"]);
    pfx(&work, "nomac-legacy.pfx", "pw", &["-nomac", "-legacy"]);

    let cases = [
        ("mac.pfx", false),
        ("nomac.pfx", true),
        ("nomac-legacy.pfx", true),
    ];
    for (file, inner) in cases {
        let ber = support::ber::pfx_to_ber(&work.read(file), inner);
        assert_eq!(&ber[..2], &[0x30, 0x80], "indefinite outer length");
        let ber_file = format!("ber-{file}");
        work.write(&ber_file, &ber);
        work.openssl(&["pkcs12", "-in", &ber_file, "-passin", "pass:pw", "-noout"]);

        let imported =
            import(&work, &ber_file, Some("pw")).unwrap_or_else(|e| panic!("{ber_file}: {e}"));
        assert_client(&imported, &work, ImportFormat::Pfx, 1);
        assert!(imported.private_key().is_some());
    }
}

#[test]
fn java_keytool_pfx() {
    let work = Workdir::new();
    let keytool = std::process::Command::new("keytool")
        .args([
            "-genkeypair",
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-alias",
            "client",
            "-dname",
            "CN=java, O=Contoso",
        ])
        .args([
            "-validity",
            "30",
            "-storetype",
            "PKCS12",
            "-storepass",
            "changeit",
            "-keystore",
        ])
        .arg(work.path("java.p12"))
        .output();
    let Ok(output) = keytool else {
        println!("keytool not installed; skipping the Java interop check");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let imported = import(&work, "java.p12", Some("changeit")).unwrap();
    assert_eq!(&**imported.certificate().subject(), "CN=java, O=Contoso");
    assert_eq!(
        imported.private_key().map(|k| k.kind()),
        Some(KeyKind::EcdsaP256)
    );
    assert_eq!(
        import(&work, "java.p12", Some("changeme")).unwrap_err(),
        ImportError::WrongPassword
    );
}

#[test]
fn unsupported_keys_and_non_certificates() {
    let work = Workdir::new();
    work.self_signed("ed448", &["-newkey", "ed448"], "/CN=ed448", &[]);
    concat(&work, "ed448.pem", &["ed448.crt", "ed448.key"]);
    let error = import(&work, "ed448.pem", None).unwrap_err();
    assert_eq!(
        error,
        ImportError::UnsupportedKeyType {
            algorithm: "Ed448 (1.3.101.113)".to_owned()
        }
    );

    work.openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-noenc",
        "-keyout",
        "csr.key",
        "-subj",
        "/CN=csr",
        "-out",
        "req.csr",
    ]);
    let csr = import(&work, "req.csr", None).unwrap_err();
    assert_eq!(
        csr.to_string(),
        "not a certificate: a certificate signing request (CSR), not a certificate"
    );

    let key_only = import(&work, "csr.key", None).unwrap_err();
    assert_eq!(
        key_only.to_string(),
        "the PEM text contains no certificate (found: PRIVATE KEY)"
    );
}
