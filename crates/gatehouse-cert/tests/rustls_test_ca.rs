//! The rustls test PKI of the shared corpus (`x509-certs/rustls-test-ca/<algorithm>/`): a
//! root, an intermediate and client (clientAuth) and server (no EKU) leaves in seven key
//! algorithms, with revoked and expired CRLs for the leaf and the intermediate.

mod support;

use std::path::Path;

use gatehouse_cert::{
    Certificate, Crl, RequiredUsage, RevocationMode, TrustStore, VerifyError, VerifyOptions,
    import_certificate, verify_chain,
};
use support::conformance::corpus_dir;
use time::OffsetDateTime;

const ALGORITHMS: [&str; 7] = [
    "ecdsa-p256",
    "ecdsa-p384",
    "ecdsa-p521",
    "eddsa",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
];

struct Pki {
    store: TrustStore,
    inter: Certificate,
    client: Certificate,
    end: Certificate,
}

impl Pki {
    fn load(dir: &Path) -> Self {
        let mut store = TrustStore::new();
        store.add_root(cert(dir, "ca.cert")).unwrap();
        Self {
            store,
            inter: cert(dir, "inter.cert"),
            client: cert(dir, "client.cert"),
            end: cert(dir, "end.cert"),
        }
    }

    fn verify(
        &self,
        leaf: &Certificate,
        crls: &[Crl],
        options: &VerifyOptions,
    ) -> Result<(), VerifyError> {
        let presented = [self.inter.clone()];
        let now = OffsetDateTime::now_utc();
        verify_chain(leaf, &presented, &self.store, crls, now, options).map(drop)
    }
}

fn cert(dir: &Path, name: &str) -> Certificate {
    let bytes = std::fs::read(dir.join(name)).unwrap();
    import_certificate(&bytes, None)
        .unwrap()
        .certificate()
        .clone()
}

fn crls(dir: &Path, names: &[&str]) -> Vec<Crl> {
    names
        .iter()
        .flat_map(|name| Crl::parse(&std::fs::read(dir.join(name)).unwrap()).unwrap())
        .collect()
}

#[test]
fn client_chains_verify_for_client_auth_in_every_algorithm() {
    let Some(base) = corpus_dir("x509-certs/rustls-test-ca", "ecdsa-p256/ca.cert") else {
        return;
    };
    let client_auth =
        VerifyOptions::verify_no_revocation().with_required_usage(RequiredUsage::ClientAuth);
    let server_auth = client_auth.with_required_usage(RequiredUsage::ServerAuth);

    for algorithm in ALGORITHMS {
        let pki = Pki::load(&base.join(algorithm));
        assert_eq!(
            pki.verify(&pki.client, &[], &client_auth),
            Ok(()),
            "{algorithm}"
        );
        // No EKU: valid for every usage, as .NET has it.
        assert_eq!(
            pki.verify(&pki.end, &[], &client_auth),
            Ok(()),
            "{algorithm}"
        );
        assert_eq!(
            pki.verify(&pki.client, &[], &server_auth),
            Err(VerifyError::NotValidForUsage),
            "{algorithm}"
        );
    }
}

#[test]
fn a_root_of_another_algorithm_does_not_verify() {
    let Some(base) = corpus_dir("x509-certs/rustls-test-ca", "ecdsa-p256/ca.cert") else {
        return;
    };
    let ecdsa = Pki::load(&base.join("ecdsa-p256"));
    let rsa = Pki::load(&base.join("rsa-2048"));
    let options = VerifyOptions::verify_no_revocation();
    let presented = [ecdsa.inter.clone()];
    let now = OffsetDateTime::now_utc();
    let verdict = verify_chain(&ecdsa.client, &presented, &rsa.store, &[], now, &options);
    assert_eq!(verdict.map(drop), Err(VerifyError::Untrusted));
}

#[test]
fn revoked_and_expired_crls_in_every_algorithm() {
    let Some(base) = corpus_dir("x509-certs/rustls-test-ca", "ecdsa-p256/ca.cert") else {
        return;
    };
    let leaf_only = VerifyOptions::verify().with_revocation(RevocationMode::EndCertificateOnly);
    let chain = VerifyOptions::verify().allowing_expired_crls();

    for algorithm in ALGORITHMS {
        let dir = base.join(algorithm);
        let pki = Pki::load(&dir);
        let revoked = crls(&dir, &["client.revoked.crl.pem"]);
        let expired = crls(&dir, &["client.expired.crl.pem"]);
        assert_eq!(
            pki.verify(&pki.client, &revoked, &leaf_only),
            Err(VerifyError::Revoked),
            "{algorithm}"
        );
        assert_eq!(
            pki.verify(&pki.client, &expired, &leaf_only),
            Err(VerifyError::CrlExpired),
            "{algorithm}"
        );
        assert_eq!(
            pki.verify(&pki.client, &expired, &leaf_only.allowing_expired_crls()),
            Ok(()),
            "{algorithm}"
        );

        // The intermediate's own CRLs come from the root.
        let good_inter = crls(&dir, &["client.expired.crl.pem", "inter.expired.crl.pem"]);
        assert_eq!(
            pki.verify(&pki.client, &good_inter, &chain),
            Ok(()),
            "{algorithm}"
        );
        let bad_inter = crls(&dir, &["client.expired.crl.pem", "inter.revoked.crl.pem"]);
        assert_eq!(
            pki.verify(&pki.client, &bad_inter, &chain),
            Err(VerifyError::Revoked),
            "{algorithm}"
        );
    }
}
