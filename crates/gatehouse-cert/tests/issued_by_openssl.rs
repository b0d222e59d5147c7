//! `Certificate::is_issued_by` against certificates openssl signed: the real issuer, a
//! look-alike CA with the same name and another key, and an unrelated certificate.

mod support;

use gatehouse_cert::Certificate;
use support::{EC_P256, RSA_2048, Workdir};

const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";

fn load(work: &Workdir, name: &str) -> Certificate {
    work.to_der(&format!("{name}.crt"), &format!("{name}.der"));
    Certificate::from_der(&work.read(&format!("{name}.der"))).expect("openssl's certificate")
}

#[test]
fn the_signing_ca_issued_the_leaf_and_a_look_alike_did_not() {
    let work = Workdir::new();
    work.ca("root", "/CN=Root CA");
    work.ca("twin", "/CN=Root CA");
    work.leaf("int", "root", RSA_2048, "/CN=Issuing CA", "0x10", CA_EXT);
    work.leaf("client", "int", EC_P256, "/CN=client", "0x20", "");
    let (root, twin, int, client) = (
        load(&work, "root"),
        load(&work, "twin"),
        load(&work, "int"),
        load(&work, "client"),
    );

    assert!(client.is_issued_by(&int));
    assert!(int.is_issued_by(&root));
    assert!(root.is_issued_by(&root), "a self-signed root issued itself");
    assert!(!int.is_issued_by(&twin), "same name, another key");
    assert!(!client.is_issued_by(&root), "another name");
    assert!(!root.is_issued_by(&client));
}
