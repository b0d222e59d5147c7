//! Chain verification on a PKI and CRLs made by the openssl command-line tool.

mod support;

use gatehouse_cert::{
    Certificate, Crl, RequiredUsage, RevocationMode, TrustStore, VerifyError, VerifyOptions,
    import_certificate, verify_chain,
};
use support::{EC_P256, Workdir};
use time::{Duration, OffsetDateTime};

const CA_EXT: &str =
    "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n";

/// root -> "Issuing CA" -> client / server / revoked leaves, and a serverAuth-only
/// intermediate with a client leaf; CRLs for the root and the issuing CA.
fn pki() -> Workdir {
    let work = Workdir::new();
    work.ca("root", "/CN=Root CA");
    work.leaf("int", "root", EC_P256, "/CN=Issuing CA", "0x10", CA_EXT);
    let server_only_ca = format!("{CA_EXT}extendedKeyUsage=serverAuth\n");
    work.leaf(
        "int-server",
        "root",
        EC_P256,
        "/CN=Server Only CA",
        "0x11",
        &server_only_ca,
    );

    work.leaf(
        "client",
        "int",
        EC_P256,
        "/CN=client",
        "0x20",
        "extendedKeyUsage=clientAuth\n",
    );
    work.leaf(
        "server",
        "int",
        EC_P256,
        "/CN=server",
        "0x21",
        "extendedKeyUsage=serverAuth\n",
    );
    work.leaf(
        "revoked",
        "int",
        EC_P256,
        "/CN=revoked",
        "0x22",
        "extendedKeyUsage=clientAuth\n",
    );
    work.leaf(
        "noeku",
        "int",
        EC_P256,
        "/CN=no eku",
        "0x23",
        "keyUsage=digitalSignature\n",
    );
    work.leaf(
        "under-server-ca",
        "int-server",
        EC_P256,
        "/CN=under",
        "0x24",
        "extendedKeyUsage=clientAuth\n",
    );

    crl(&work, "int", &["revoked.crt"], 30);
    crl(&work, "root", &[], 30);
    crl(&work, "int-short", &[], 1);
    work
}

/// A CRL `name.crl` signed by `name` (or by `int` for `int-short`), revoking `revoked`.
fn crl(work: &Workdir, name: &str, revoked: &[&str], days: u32) {
    let issuer = if name == "int-short" { "int" } else { name };
    let config = format!(
        "[ca]\ndefault_ca = this\n[this]\ndatabase = {name}-index.txt\ncrlnumber = {name}-crlnumber\ndefault_md = sha256\ndefault_crl_days = {days}\n"
    );
    work.write(&format!("{name}.cnf"), config.as_bytes());
    work.write(&format!("{name}-index.txt"), b"");
    work.write(&format!("{name}-crlnumber"), b"01\n");

    let (cnf, key, crt) = (
        format!("{name}.cnf"),
        format!("{issuer}.key"),
        format!("{issuer}.crt"),
    );
    for cert in revoked {
        work.openssl(&[
            "ca", "-config", &cnf, "-keyfile", &key, "-cert", &crt, "-revoke", cert,
        ]);
    }
    work.openssl(&[
        "ca",
        "-config",
        &cnf,
        "-keyfile",
        &key,
        "-cert",
        &crt,
        "-gencrl",
        "-out",
        &format!("{name}.crl"),
    ]);
}

fn cert(work: &Workdir, name: &str) -> Certificate {
    import_certificate(&work.read(&format!("{name}.crt")), None)
        .unwrap()
        .certificate()
        .clone()
}

fn crls(work: &Workdir, names: &[&str]) -> Vec<Crl> {
    names
        .iter()
        .flat_map(|name| Crl::parse(&work.read(&format!("{name}.crl"))).unwrap())
        .collect()
}

fn roots(work: &Workdir) -> TrustStore {
    let mut store = TrustStore::new();
    store.add_root(cert(work, "root")).unwrap();
    store
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn check(
    work: &Workdir,
    leaf: &str,
    crl_names: &[&str],
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    let intermediates = [cert(work, "int"), cert(work, "int-server")];
    verify_chain(
        &cert(work, leaf),
        &intermediates,
        &roots(work),
        &crls(work, crl_names),
        now(),
        options,
    )
}

#[test]
fn verify_with_crls_like_dotnet() {
    let work = pki();
    let full = VerifyOptions::verify();
    assert_eq!(check(&work, "client", &["int", "root"], &full), Ok(()));
    assert_eq!(
        check(&work, "revoked", &["int", "root"], &full),
        Err(VerifyError::Revoked)
    );
    assert_eq!(
        check(&work, "client", &["root"], &full),
        Err(VerifyError::RevocationStatusUnknown)
    );
    assert_eq!(
        check(
            &work,
            "revoked",
            &[],
            &VerifyOptions::verify_no_revocation()
        ),
        Ok(())
    );

    let leaf_only = full.with_revocation(RevocationMode::EndCertificateOnly);
    assert_eq!(check(&work, "client", &["int"], &leaf_only), Ok(()));
    let lenient = full.allowing_unknown_revocation_status();
    assert_eq!(check(&work, "client", &["root"], &lenient), Ok(()));
}

#[test]
fn expired_crls_fail_unless_allowed() {
    let work = pki();
    let client = cert(&work, "client");
    let intermediates = [cert(&work, "int")];
    let crls = crls(&work, &["int-short", "root"]);
    let later = now() + Duration::days(3);

    let strict = verify_chain(
        &client,
        &intermediates,
        &roots(&work),
        &crls,
        later,
        &VerifyOptions::verify(),
    );
    assert_eq!(strict, Err(VerifyError::CrlExpired));
    let lenient = VerifyOptions::verify().allowing_expired_crls();
    assert_eq!(
        verify_chain(
            &client,
            &intermediates,
            &roots(&work),
            &crls,
            later,
            &lenient
        ),
        Ok(())
    );
}

#[test]
fn extended_key_usage_follows_dotnet() {
    let work = pki();
    let any = VerifyOptions::verify_no_revocation();
    let client_auth = any.with_required_usage(RequiredUsage::ClientAuth);

    assert_eq!(check(&work, "client", &[], &client_auth), Ok(()));
    assert_eq!(check(&work, "noeku", &[], &client_auth), Ok(()));
    assert_eq!(
        check(&work, "server", &[], &client_auth),
        Err(VerifyError::NotValidForUsage)
    );
    assert_eq!(check(&work, "server", &[], &any), Ok(()));
    // The issuing CA's EKU (serverAuth only) constrains its leaves, as on Windows.
    assert_eq!(
        check(&work, "under-server-ca", &[], &client_auth),
        Err(VerifyError::NotValidForUsage)
    );
    assert_eq!(check(&work, "under-server-ca", &[], &any), Ok(()));
}

#[test]
fn intermediates_come_from_the_client_or_the_store() {
    let work = pki();
    let options = VerifyOptions::verify_no_revocation();
    let client = cert(&work, "client");

    let mut store = roots(&work);
    assert_eq!(
        verify_chain(&client, &[], &store, &[], now(), &options),
        Err(VerifyError::Untrusted)
    );
    store.add_intermediate(cert(&work, "int"));
    assert_eq!(
        verify_chain(&client, &[], &store, &[], now(), &options),
        Ok(())
    );

    let mut intermediate_only = TrustStore::new();
    intermediate_only.add_intermediate(cert(&work, "int"));
    let untrusted = verify_chain(&client, &[], &intermediate_only, &[], now(), &options);
    assert_eq!(
        untrusted,
        Err(VerifyError::Untrusted),
        "an intermediate is not a trust anchor"
    );
}

#[test]
fn uploaded_self_signed_certificates_verify_themselves() {
    let work = Workdir::new();
    // `openssl req -x509` marks the certificate CA:TRUE, as most self-signed client
    // certificates made for APIM are.
    work.self_signed("self", EC_P256, "/CN=self-signed client", &[]);
    let certificate = cert(&work, "self");
    let mut store = TrustStore::new();
    store.add_root(certificate.clone()).unwrap();

    let options = VerifyOptions::verify();
    assert_eq!(
        verify_chain(&certificate, &[], &store, &[], now(), &options),
        Ok(())
    );
    let untrusted = verify_chain(&certificate, &[], &TrustStore::new(), &[], now(), &options);
    assert!(untrusted.is_err());
}
