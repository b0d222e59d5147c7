//! Runs the NIST PKITS end-entity certificates (`x509-certs/pyca-cryptography-vectors/x509/
//! PKITS_data`) through `verify_chain` as `Verify()` runs it, and writes
//! `target/conformance/pkits.json`.
//!
//! Every test gets the same inputs: the trust anchor as the only root, every CA certificate
//! of the suite as a stored intermediate, every CRL the gateway accepts, revocation checked
//! for the leaf and intermediates with unknown status refused, and a validation time inside
//! the suite's validity (2020). The expected result is the file name's `Valid`/`Invalid`
//! prefix, which is PKITS' result for its default inputs; the 20 policy tests without one
//! depend on policy inputs the verifier does not take and are reported as skipped. Failures
//! must be listed in `tests/pkits-divergences.txt`.

mod support;

use std::path::Path;

use gatehouse_cert::{Certificate, Crl, TrustStore, VerifyOptions, verify_chain};
use support::conformance::{Divergences, Outcome, Sweep, corpus_dir};
use time::macros::datetime;

const PKITS: &str = "x509-certs/pyca-cryptography-vectors/x509/PKITS_data";

#[test]
fn pkits_sweep() {
    let Some(dir) = corpus_dir(PKITS, "certs/TrustAnchorRootCertificate.crt") else {
        return;
    };
    let store = trust_store(&dir.join("certs"));
    let (crls, refused) = crls(&dir.join("crls"));
    println!("{} CRLs refused at upload: {refused:?}", refused.len());

    let mut sweep = Sweep::default();
    for (name, leaf) in end_entities(&dir.join("certs")) {
        let id = name.trim_end_matches("EE.crt");
        let outcome = if id.starts_with("Valid") || id.starts_with("Invalid") {
            run(id, &leaf, &store, &crls)
        } else {
            Outcome::Skipped("the expected result depends on certificate policy inputs".into())
        };
        sweep.record(id, outcome);
    }
    sweep.finish("pkits", &Divergences::load("pkits-divergences.txt"));
}

fn run(id: &str, leaf: &[u8], store: &TrustStore, crls: &[Crl]) -> Outcome {
    let expected_valid = id.starts_with("Valid");
    let verdict = Certificate::from_der(leaf)
        .map_err(|e| e.to_string())
        .and_then(|leaf| {
            let time = datetime!(2020-01-01 00:00 UTC);
            verify_chain(&leaf, &[], store, crls, time, &VerifyOptions::verify())
                .map(drop)
                .map_err(|e| e.to_string())
        });

    if std::env::var_os("GATEHOUSE_CONFORMANCE_VERBOSE").is_some() {
        println!("{id}: {verdict:?}");
    }
    match (expected_valid, verdict) {
        (true, Ok(())) | (false, Err(_)) => Outcome::Passed,
        (true, Err(error)) => Outcome::Failed(format!("refused: {error}")),
        (false, Ok(())) => Outcome::Failed("accepted".into()),
    }
}

/// The trust anchor as root; every other certificate that is not a test's end entity as a
/// stored intermediate.
fn trust_store(certs: &Path) -> TrustStore {
    let mut store = TrustStore::new();
    for (name, der) in files(certs, "crt") {
        let Ok(certificate) = Certificate::from_der(&der) else {
            continue;
        };
        if name == "TrustAnchorRootCertificate.crt" {
            store.add_root(certificate).expect("the PKITS trust anchor");
        } else if !is_end_entity(&name) {
            // The store refuses CAs the path builder cannot read, as the management API would.
            let _refused = store.add_intermediate(certificate);
        }
    }
    store
}

/// The CRLs the gateway accepts, and the names of those it refuses (delta, indirect, ...).
fn crls(dir: &Path) -> (Vec<Crl>, Vec<String>) {
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (name, der) in files(dir, "crl") {
        match Crl::from_der(&der) {
            Ok(crl) => accepted.push(crl),
            Err(error) => refused.push(format!("{name}: {error}")),
        }
    }
    (accepted, refused)
}

fn end_entities(certs: &Path) -> Vec<(String, Vec<u8>)> {
    let tests = |(name, _): &(String, Vec<u8>)| is_end_entity(name);
    files(certs, "crt").into_iter().filter(tests).collect()
}

fn is_end_entity(name: &str) -> bool {
    name.ends_with("EE.crt")
}

/// `(file name, bytes)` of every file with this extension, sorted by name.
fn files(dir: &Path, extension: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}
