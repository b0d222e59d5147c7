//! Verification on chains from the local CA; openssl-made chains and CRLs are in
//! `tests/verify_openssl.rs`.

use time::Duration;

use super::*;
use crate::ca::LocalCa;

/// `verify_chain` without the chain, for comparisons.
fn verdict(
    leaf: &Certificate,
    store: &TrustStore,
    time: OffsetDateTime,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    verify_chain(leaf, &[], store, &[], time, options).map(drop)
}

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
        verdict(client.certificate(), &store, now(), &options),
        Ok(())
    );
    let client_auth = VerifyOptions {
        required_usage: RequiredUsage::ClientAuth,
        ..options
    };
    assert_eq!(
        verdict(client.certificate(), &store, now(), &client_auth),
        Ok(())
    );
    let server_auth = VerifyOptions {
        required_usage: RequiredUsage::ServerAuth,
        ..options
    };
    let error = verdict(client.certificate(), &store, now(), &server_auth);
    assert_eq!(error, Err(VerifyError::NotValidForUsage));
}

#[test]
fn refuses_untrusted_and_expired_chains() {
    let ca = LocalCa::generate("Verify CA").unwrap();
    let other = LocalCa::generate("Other CA").unwrap();
    let client = ca.issue_client("client", 30).unwrap();
    let options = VerifyOptions::verify_no_revocation();

    let untrusted = verdict(client.certificate(), &store_with(&other), now(), &options);
    assert_eq!(untrusted, Err(VerifyError::Untrusted));
    let later = now() + Duration::days(31);
    let expired = verdict(client.certificate(), &store_with(&ca), later, &options);
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
    assert_eq!(verdict(ca.certificate(), &store, now(), &options), Ok(()));
    let expired = verdict(
        ca.certificate(),
        &store,
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

    let strict = verdict(
        client.certificate(),
        &store,
        now(),
        &VerifyOptions::verify(),
    );
    assert_eq!(strict, Err(VerifyError::RevocationStatusUnknown));
    let lenient = VerifyOptions {
        allow_unknown_revocation_status: true,
        ..VerifyOptions::verify()
    };
    assert_eq!(
        verdict(client.certificate(), &store, now(), &lenient),
        Ok(())
    );
}

#[test]
fn refuses_garbage_crls() {
    assert!(matches!(
        Crl::from_der(&[0x30, 0x00]),
        Err(CrlError::Malformed { .. })
    ));
    assert_eq!(
        Crl::parse(b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n").map(drop),
        Err(CrlError::NoCrlInPem)
    );
}

#[test]
fn validity_is_compared_in_whole_seconds_for_every_element() {
    // X.509 times have one-second granularity, and webpki compares whole seconds; the root,
    // which this crate checks itself, must not be stricter than the rest of the chain.
    let ca = LocalCa::generate("Self Signed").unwrap();
    let store = store_with(&ca);
    let just_after = ca.certificate().not_after() + Duration::milliseconds(5);
    let options = VerifyOptions::verify_no_revocation();

    assert_eq!(
        verdict(ca.certificate(), &store, just_after, &options),
        Ok(())
    );
    let next_second = ca.certificate().not_after() + Duration::seconds(1);
    assert_eq!(
        verdict(ca.certificate(), &store, next_second, &options),
        Err(VerifyError::NotTimeValid)
    );
}

#[test]
fn trust_config_answers_verify_and_verify_no_revocation() {
    let ca = LocalCa::generate("Verify CA").unwrap();
    let client = ca.issue_client("client", 30).unwrap();
    let trust = TrustConfig {
        store: store_with(&ca),
        ..TrustConfig::default()
    };

    // No CRL uploaded: Verify() cannot know the status, VerifyNoRevocation() does not ask.
    let verify = trust.verify(client.certificate(), &[], now(), true);
    assert_eq!(verify, Err(VerifyError::RevocationStatusUnknown));
    let chain = trust
        .verify(client.certificate(), &[], now(), false)
        .unwrap();
    assert_eq!(chain.leaf(), client.certificate());
    assert_eq!(chain.issuer(), ca.certificate());
    assert_eq!(chain.root(), ca.certificate());
    assert_eq!(chain.certificates().len(), 2);

    let lenient = TrustConfig {
        options: VerifyOptions::verify().allowing_unknown_revocation_status(),
        ..trust
    };
    assert!(
        lenient
            .verify(client.certificate(), &[], now(), true)
            .is_ok()
    );
}

#[test]
fn with_revocation_check_keeps_a_configured_depth() {
    let leaf_only = VerifyOptions::verify().with_revocation(RevocationMode::EndCertificateOnly);
    assert_eq!(
        leaf_only.with_revocation_check(true).revocation,
        RevocationMode::EndCertificateOnly
    );
    assert_eq!(
        leaf_only.with_revocation_check(false).revocation,
        RevocationMode::NoCheck
    );
    assert_eq!(
        VerifyOptions::verify_no_revocation()
            .with_revocation_check(true)
            .revocation,
        RevocationMode::ExcludeRoot
    );
}
