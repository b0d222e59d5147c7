//! Every CRL of the shared corpus parses or is refused with a typed error, never a panic; the
//! rustls-webpki edge-case CRLs, whose names say what is odd about them, get the refusal (or
//! acceptance) the name calls for. Random and mutated bytes never panic either.

mod support;

use std::path::{Path, PathBuf};

use gatehouse_cert::{Crl, CrlError};
use support::conformance::corpus_dir;
use support::fuzz;

#[test]
fn every_corpus_crl_parses_or_is_refused_cleanly() {
    let Some(dir) = corpus_dir("x509-certs", "rustls-webpki-tests/crls") else {
        return;
    };
    let files = crl_files(&dir);
    assert!(files.len() > 200, "found only {} CRL files", files.len());

    let mut accepted = 0;
    for path in &files {
        if Crl::parse(&std::fs::read(path).unwrap()).is_ok() {
            accepted += 1;
        }
    }
    println!("{accepted} of {} corpus CRLs accepted", files.len());
}

#[test]
fn webpki_edge_case_crls_get_the_verdict_their_name_calls_for() {
    let Some(dir) = corpus_dir("x509-certs", "rustls-webpki-tests/crls") else {
        return;
    };
    let crls = dir.join("rustls-webpki-tests/crls");
    let verdict = |name: &str| Crl::from_der(&std::fs::read(crls.join(name)).unwrap());

    for name in [
        "crl.valid.der",
        "crl.idp.valid.der",
        "crl.idp.only_ca_certs.der",
        "crl.idp.only_user_certs.der",
        "crl.idp.only_some_reasons.der",
        "crl.idp.name_relative_to_issuer.der",
        "crl.missing.next.update.der",
        "crl.no.entry.exts.der",
        "crl.entry.invalidity.date.der",
        "crl.negative.serial.der",
        "crl.topbit.serial.der",
    ] {
        assert!(verdict(name).is_ok(), "{name}: {:?}", verdict(name));
    }

    let refused = [
        ("crl.delta.der", CrlError::DeltaCrl),
        ("crl.idp.indirect_crl.der", CrlError::IndirectCrl),
        ("crl.entry.issuer.ext.der", CrlError::IndirectCrl),
        (
            "crl.idp.only_attribute_certs.der",
            CrlError::AttributeCertificatesOnly,
        ),
        (
            "crl.mismatched.sigalg.der",
            CrlError::SignatureAlgorithmMismatch,
        ),
    ];
    for (name, expected) in refused {
        assert_eq!(verdict(name).map(drop), Err(expected), "{name}");
    }
    for name in [
        "crl.unknown.crit.ext.der",
        "crl.entry.unknown.crit.ext.der",
        "crl.entry.invalid.reason.der",
        "crl.negative.crl.number.der",
        "crl.too.long.crl.number.der",
        "crl.wrong.version.der",
        "crl.idp.invalid.bool.der",
        "crl.idp.unknown.tag.der",
    ] {
        assert!(verdict(name).is_err(), "{name} was accepted");
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let Some(dir) = corpus_dir("x509-certs", "rustls-webpki-tests/crls") else {
        return;
    };
    let seeds: Vec<Vec<u8>> = crl_files(&dir)
        .iter()
        .take(40)
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    let mut rng = fuzz::generator(0x6a7e_c1e5);

    for round in 0..4_000 {
        let input = if round % 4 == 0 {
            fuzz::bytes(&mut rng, 512)
        } else {
            fuzz::mutate(&mut rng, &seeds[round % seeds.len()])
        };
        // Only the absence of a panic matters here.
        let _verdict = Crl::parse(&input);
    }
}

/// Every CRL file under `dir`: `*.crl`, and `*.der`/`*.pem` whose name mentions a CRL.
fn crl_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
            if path.is_dir() {
                pending.push(path);
            } else if name.ends_with(".crl") || (name.contains("crl") && is_der_or_pem(&name)) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn is_der_or_pem(name: &str) -> bool {
    name.ends_with(".der") || name.ends_with(".pem")
}
