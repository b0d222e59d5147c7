//! Revocation from CRLs made by `openssl ca -gencrl`: version 1 and 2 CRLs, one issuer per
//! CRL, scope, and the kinds refused at upload with the reason.

mod support;

use gatehouse_cert::{
    Certificate, Crl, CrlError, RevocationMode, TrustStore, VerifyError, VerifyOptions,
    import_certificate, verify_chain,
};
use support::crl::{CrlSpec, make_crl};
use support::{EC_P256, Workdir};
use time::OffsetDateTime;

const CA_EXT: &str =
    "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n";
const CLIENT_EXT: &str = "extendedKeyUsage=clientAuth\n";

/// root -> "Issuing CA" (int) -> client 0x20, revoked 0x21, with-dp 0x22 (a CRL distribution
/// point); root -> "Other CA" -> its own 0x20; root -> "Issuing CA" again with another key
/// (twin); root -> "No CRL Sign CA" -> 0x30.
fn pki() -> Workdir {
    let work = Workdir::new();
    work.ca("root", "/CN=Root CA");
    work.leaf("int", "root", EC_P256, "/CN=Issuing CA", "0x10", CA_EXT);
    work.leaf("other", "root", EC_P256, "/CN=Other CA", "0x11", CA_EXT);
    work.leaf("twin", "root", EC_P256, "/CN=Issuing CA", "0x12", CA_EXT);
    let no_crl_sign = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n";
    work.leaf(
        "nocrlsign",
        "root",
        EC_P256,
        "/CN=No CRL Sign CA",
        "0x13",
        no_crl_sign,
    );

    work.leaf("client", "int", EC_P256, "/CN=client", "0x20", CLIENT_EXT);
    work.leaf("revoked", "int", EC_P256, "/CN=revoked", "0x21", CLIENT_EXT);
    let with_dp = format!("{CLIENT_EXT}crlDistributionPoints=URI:http://pki.example/int.crl\n");
    work.leaf("with-dp", "int", EC_P256, "/CN=with dp", "0x22", &with_dp);
    work.leaf(
        "other-leaf",
        "other",
        EC_P256,
        "/CN=other",
        "0x20",
        CLIENT_EXT,
    );
    work.leaf(
        "under-nocrlsign",
        "nocrlsign",
        EC_P256,
        "/CN=u",
        "0x30",
        CLIENT_EXT,
    );

    make_crl(
        &work,
        "root",
        &CrlSpec {
            issuer: "root",
            ..CrlSpec::default()
        },
    );
    work
}

fn cert(work: &Workdir, name: &str) -> Certificate {
    import_certificate(&work.read(&format!("{name}.crt")), None)
        .unwrap()
        .certificate()
        .clone()
}

fn crl(work: &Workdir, name: &str) -> Crl {
    let mut crls = Crl::parse(&work.read(&format!("{name}.crl"))).unwrap();
    assert_eq!(crls.len(), 1);
    crls.remove(0)
}

fn try_crl(work: &Workdir, name: &str) -> Result<Vec<Crl>, CrlError> {
    Crl::parse(&work.read(&format!("{name}.crl")))
}

fn store(work: &Workdir) -> TrustStore {
    let mut store = TrustStore::new();
    store.add_root(cert(work, "root")).unwrap();
    store
}

/// Verifies `leaf` with every CA of the PKI presented and `crls` plus the root's CRL.
fn check(
    work: &Workdir,
    leaf: &str,
    crls: &[Crl],
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    let presented = [
        cert(work, "int"),
        cert(work, "other"),
        cert(work, "nocrlsign"),
    ];
    let mut all = crls.to_vec();
    all.push(crl(work, "root"));
    verify_chain(
        &cert(work, leaf),
        &presented,
        &store(work),
        &all,
        now(),
        options,
    )
    .map(drop)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
fn version_1_crls_are_honoured() {
    // `openssl ca -gencrl` without a crlnumber file: the CRLs of many small private CAs.
    let work = pki();
    let spec = CrlSpec {
        revoked: &[("revoked.crt", "")],
        numbered: false,
        ..CrlSpec::default()
    };
    make_crl(&work, "int-v1", &spec);
    let v1 = crl(&work, "int-v1");
    assert_eq!(
        (v1.version(), v1.crl_number(), v1.revoked_count()),
        (1, None, 1)
    );
    assert_eq!(&**v1.issuer(), "CN=Issuing CA");

    let options = VerifyOptions::verify();
    assert_eq!(
        check(&work, "client", std::slice::from_ref(&v1), &options),
        Ok(())
    );
    assert_eq!(
        check(&work, "revoked", &[v1], &options),
        Err(VerifyError::Revoked)
    );
}

#[test]
fn version_2_crls_carry_their_number() {
    let work = pki();
    let spec = CrlSpec {
        revoked: &[("revoked.crt", "keyCompromise")],
        ..CrlSpec::default()
    };
    make_crl(&work, "int-v2", &spec);
    let v2 = crl(&work, "int-v2");
    assert_eq!((v2.version(), v2.crl_number().as_deref()), (2, Some("01")));
    assert!(!v2.is_expired(now()));
    assert!(v2.next_update().is_some_and(|next| next > v2.this_update()));

    let options = VerifyOptions::verify();
    assert_eq!(
        check(&work, "revoked", &[v2], &options),
        Err(VerifyError::Revoked)
    );
}

#[test]
fn a_crl_counts_only_for_certificates_of_its_issuer() {
    // "Other CA" revokes its own serial 0x20; the client of "Issuing CA" has the same serial.
    let work = pki();
    let spec = CrlSpec {
        issuer: "other",
        revoked: &[("other-leaf.crt", "")],
        ..CrlSpec::default()
    };
    make_crl(&work, "other", &spec);
    make_crl(&work, "int", &CrlSpec::default());

    let options = VerifyOptions::verify();
    let crls = [crl(&work, "other"), crl(&work, "int")];
    assert_eq!(check(&work, "client", &crls, &options), Ok(()));
    assert_eq!(
        check(&work, "other-leaf", &crls, &options),
        Err(VerifyError::Revoked)
    );
}

#[test]
fn a_crl_signed_by_another_key_is_ignored() {
    // Same issuer name, another key: it must neither revoke nor vouch for anything.
    let work = pki();
    let spec = CrlSpec {
        issuer: "twin",
        revoked: &[("client.crt", "")],
        ..CrlSpec::default()
    };
    make_crl(&work, "forged", &spec);
    let forged = crl(&work, "forged");

    let strict = VerifyOptions::verify();
    assert_eq!(
        check(&work, "client", std::slice::from_ref(&forged), &strict),
        Err(VerifyError::RevocationStatusUnknown)
    );
    let lenient = strict.allowing_unknown_revocation_status();
    assert_eq!(check(&work, "client", &[forged], &lenient), Ok(()));
}

#[test]
fn uploads_are_checked_against_the_trust_store() {
    let work = pki();
    make_crl(&work, "int", &CrlSpec::default());
    make_crl(
        &work,
        "other",
        &CrlSpec {
            issuer: "other",
            ..CrlSpec::default()
        },
    );
    make_crl(
        &work,
        "forged",
        &CrlSpec {
            issuer: "twin",
            ..CrlSpec::default()
        },
    );
    make_crl(
        &work,
        "nocrlsign",
        &CrlSpec {
            issuer: "nocrlsign",
            ..CrlSpec::default()
        },
    );
    let mut store = store(&work);
    store.add_intermediate(cert(&work, "int")).unwrap();
    store.add_intermediate(cert(&work, "nocrlsign")).unwrap();

    let issuer = store.crl_issuer(&crl(&work, "int")).unwrap();
    assert_eq!(&**issuer.subject(), "CN=Issuing CA");
    assert_eq!(
        store.crl_issuer(&crl(&work, "root")).unwrap(),
        &cert(&work, "root")
    );

    let unknown = store.crl_issuer(&crl(&work, "other")).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "no CA certificate named CN=Other CA is in the trust store; upload the issuing CA first"
    );
    let forged = store.crl_issuer(&crl(&work, "forged")).unwrap_err();
    assert_eq!(
        forged.to_string(),
        "the CRL's signature does not verify with the key of CN=Issuing CA"
    );
    let not_signer = store.crl_issuer(&crl(&work, "nocrlsign")).unwrap_err();
    assert_eq!(
        not_signer.to_string(),
        "the CA certificate CN=No CRL Sign CA may not sign CRLs (its keyUsage lacks cRLSign)"
    );
    let mismatch = crl(&work, "int")
        .verify_issued_by(&cert(&work, "other"))
        .unwrap_err();
    assert!(
        matches!(mismatch, CrlError::NameMismatch { .. }),
        "{mismatch}"
    );
}

#[test]
fn a_crl_from_an_issuer_without_crl_sign_gives_no_status() {
    let work = pki();
    let spec = CrlSpec {
        issuer: "nocrlsign",
        ..CrlSpec::default()
    };
    make_crl(&work, "nocrlsign", &spec);

    let options = VerifyOptions::verify().with_revocation(RevocationMode::EndCertificateOnly);
    assert_eq!(
        check(
            &work,
            "under-nocrlsign",
            &[crl(&work, "nocrlsign")],
            &options
        ),
        Err(VerifyError::RevocationStatusUnknown)
    );
}

#[test]
fn refused_kinds_say_why() {
    let work = pki();
    let cases: [(&str, bool, &str, CrlError); 5] = [
        (
            "no-number",
            false,
            "authorityKeyIdentifier=keyid:always",
            CrlError::MissingCrlNumber,
        ),
        (
            "critical-number",
            false,
            "2.5.29.20=critical,ASN1:INTEGER:7",
            CrlError::CriticalCrlNumber,
        ),
        (
            "delta",
            true,
            "2.5.29.27=critical,ASN1:INTEGER:1",
            CrlError::DeltaCrl,
        ),
        (
            "unknown-critical",
            true,
            "1.2.3.4=critical,ASN1:NULL",
            CrlError::UnknownCriticalExtension {
                oid: "1.2.3.4".into(),
            },
        ),
        (
            "indirect",
            true,
            "issuingDistributionPoint=critical,@idp\n[idp]\nindirectCRL=TRUE",
            CrlError::IndirectCrl,
        ),
    ];

    for (name, numbered, extensions, expected) in cases {
        make_crl(
            &work,
            name,
            &CrlSpec {
                numbered,
                extensions,
                ..CrlSpec::default()
            },
        );
        assert_eq!(try_crl(&work, name).map(drop), Err(expected), "{name}");
    }
}

#[test]
fn a_distribution_point_limits_what_a_crl_covers() {
    let work = pki();
    let idp = |extra: &str| {
        format!(
            "issuingDistributionPoint=critical,@idp\n[idp]\nfullname=URI:http://pki.example/int.crl\n{extra}"
        )
    };
    let named = idp("");
    make_crl(
        &work,
        "named",
        &CrlSpec {
            extensions: &named,
            ..CrlSpec::default()
        },
    );
    let ca_only = idp("onlyCA=TRUE");
    make_crl(
        &work,
        "ca-only",
        &CrlSpec {
            extensions: &ca_only,
            ..CrlSpec::default()
        },
    );

    let options = VerifyOptions::verify().with_revocation(RevocationMode::EndCertificateOnly);
    let named = [crl(&work, "named")];
    assert_eq!(check(&work, "with-dp", &named, &options), Ok(()));
    assert_eq!(
        check(&work, "client", &named, &options),
        Err(VerifyError::RevocationStatusUnknown),
        "a leaf without that distribution point is not covered"
    );
    assert_eq!(
        check(&work, "with-dp", &[crl(&work, "ca-only")], &options),
        Err(VerifyError::RevocationStatusUnknown),
        "a CRL of CA certificates says nothing about leaves"
    );
}
