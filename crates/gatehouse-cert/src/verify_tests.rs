//! Verification on chains from the local CA; openssl-made chains and CRLs are in
//! `tests/verify_openssl.rs`.

use time::Duration;

use super::*;
use crate::ca::LocalCa;

fn store_with(ca: &LocalCa) -> TrustStore {
    let mut store = TrustStore::new();
    store.add_root(ca.certificate().clone()).unwrap();
    store
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
fn verifies_an_issued_client_certificate() {
    let ca = LocalCa::generate("Verify CA").unwrap();
    let client = ca.issue_client("client", 30).unwrap();
    let store = store_with(&ca);
    let options = VerifyOptions::verify_no_revocation();

    assert_eq!(
        verify_chain(client.certificate(), &[], &store, &[], now(), &options),
        Ok(())
    );
    let client_auth = VerifyOptions {
        required_usage: RequiredUsage::ClientAuth,
        ..options
    };
    assert_eq!(
        verify_chain(client.certificate(), &[], &store, &[], now(), &client_auth),
        Ok(())
    );
    let server_auth = VerifyOptions {
        required_usage: RequiredUsage::ServerAuth,
        ..options
    };
    let error = verify_chain(client.certificate(), &[], &store, &[], now(), &server_auth);
    assert_eq!(error, Err(VerifyError::NotValidForUsage));
}

#[test]
fn refuses_untrusted_and_expired_chains() {
    let ca = LocalCa::generate("Verify CA").unwrap();
    let other = LocalCa::generate("Other CA").unwrap();
    let client = ca.issue_client("client", 30).unwrap();
    let options = VerifyOptions::verify_no_revocation();

    let untrusted = verify_chain(
        client.certificate(),
        &[],
        &store_with(&other),
        &[],
        now(),
        &options,
    );
    assert_eq!(untrusted, Err(VerifyError::Untrusted));
    let later = now() + Duration::days(31);
    let expired = verify_chain(
        client.certificate(),
        &[],
        &store_with(&ca),
        &[],
        later,
        &options,
    );
    assert_eq!(expired, Err(VerifyError::NotTimeValid));
    assert_eq!(
        VerifyError::Untrusted.to_string(),
        "the certificate chain does not lead to a trusted root"
    );
}

#[test]
fn a_trusted_root_verifies_as_its_own_chain() {
    let ca = LocalCa::generate("Self Signed").unwrap();
    let store = store_with(&ca);
    let options = VerifyOptions::verify();
    assert_eq!(
        verify_chain(ca.certificate(), &[], &store, &[], now(), &options),
        Ok(())
    );
    let expired = verify_chain(
        ca.certificate(),
        &[],
        &store,
        &[],
        now() + Duration::days(4000),
        &options,
    );
    assert_eq!(expired, Err(VerifyError::NotTimeValid));
}

#[test]
fn revocation_without_crls_is_unknown_unless_allowed() {
    let ca = LocalCa::generate("Verify CA").unwrap();
    let client = ca.issue_client("client", 30).unwrap();
    let store = store_with(&ca);

    let strict = verify_chain(
        client.certificate(),
        &[],
        &store,
        &[],
        now(),
        &VerifyOptions::verify(),
    );
    assert_eq!(strict, Err(VerifyError::RevocationStatusUnknown));
    let lenient = VerifyOptions {
        allow_unknown_revocation_status: true,
        ..VerifyOptions::verify()
    };
    assert_eq!(
        verify_chain(client.certificate(), &[], &store, &[], now(), &lenient),
        Ok(())
    );
}

#[test]
fn refuses_garbage_crls() {
    assert!(matches!(
        Crl::from_der(&[0x30, 0x00]),
        Err(VerifyError::InvalidCrl { .. })
    ));
    assert!(matches!(
        Crl::parse(b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"),
        Err(VerifyError::InvalidCrl { .. })
    ));
}
