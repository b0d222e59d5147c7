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
    .map(drop)
}

/// `verify_chain` reduced to its verdict, for comparisons.
fn verdict(
    leaf: &Certificate,
    presented: &[Certificate],
    store: &TrustStore,
    crls: &[Crl],
    time: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    verify_chain(leaf, presented, store, crls, time, options).map(drop)
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

    let strict = verdict(
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
        verdict(
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
        verdict(&client, &[], &store, &[], now(), &options),
        Err(VerifyError::Untrusted)
    );
    store.add_intermediate(cert(&work, "int")).unwrap();
    assert_eq!(verdict(&client, &[], &store, &[], now(), &options), Ok(()));

    let mut intermediate_only = TrustStore::new();
    intermediate_only
        .add_intermediate(cert(&work, "int"))
        .unwrap();
    let untrusted = verdict(&client, &[], &intermediate_only, &[], now(), &options);
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
        verdict(&certificate, &[], &store, &[], now(), &options),
        Ok(())
    );
    let untrusted = verdict(&certificate, &[], &TrustStore::new(), &[], now(), &options);
    assert!(untrusted.is_err());
}

#[test]
fn an_intermediate_whose_key_usage_forbids_certificate_signing_is_refused() {
    // RFC 5280 6.1.4 (n): an intermediate with a keyUsage extension must assert keyCertSign.
    // webpki ignores keyUsage, so without this check such a CA could still issue leaves.
    let work = pki();
    let no_cert_sign =
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,cRLSign,digitalSignature\n";
    work.leaf(
        "int-nosign",
        "root",
        EC_P256,
        "/CN=No Cert Sign CA",
        "0x12",
        no_cert_sign,
    );
    work.leaf(
        "under-nosign",
        "int-nosign",
        EC_P256,
        "/CN=under no-sign",
        "0x25",
        "extendedKeyUsage=clientAuth\n",
    );

    let options = VerifyOptions::verify_no_revocation();
    let refused = verdict(
        &cert(&work, "under-nosign"),
        &[cert(&work, "int-nosign")],
        &roots(&work),
        &[],
        now(),
        &options,
    );
    assert_eq!(refused, Err(VerifyError::IssuerNotCa));
    assert_eq!(
        check(&work, "client", &[], &options),
        Ok(()),
        "keyCertSign present"
    );
}

#[test]
fn a_ca_certificate_is_refused_as_a_leaf_unless_it_is_a_root() {
    let work = pki();
    let options = VerifyOptions::verify_no_revocation();
    let intermediate = verdict(
        &cert(&work, "int"),
        &[],
        &roots(&work),
        &[],
        now(),
        &options,
    );
    assert_eq!(intermediate, Err(VerifyError::CaUsedAsLeaf));
}

#[test]
fn unusable_intermediates_are_refused_and_do_not_mask_the_reason() {
    // webpki parses every offered intermediate while building, and an unreadable one turns
    // every later failure into "unsupported critical extension". The store refuses such a
    // CA at upload, and presented ones are dropped before path building.
    let work = pki();
    let odd_ca = format!("{CA_EXT}1.2.3.4=critical,ASN1:UTF8String:odd\n");
    work.leaf("int-odd", "root", EC_P256, "/CN=Odd CA", "0x13", &odd_ca);

    let mut store = roots(&work);
    assert!(matches!(
        store.add_intermediate(cert(&work, "int-odd")),
        Err(VerifyError::Unsupported { .. })
    ));
    assert_eq!(store.intermediates().len(), 0);

    let options = VerifyOptions::verify_no_revocation();
    let presented = [cert(&work, "int-odd")];
    let untrusted = verdict(
        &cert(&work, "client"),
        &presented,
        &store,
        &[],
        now(),
        &options,
    );
    assert_eq!(untrusted, Err(VerifyError::Untrusted));
}
