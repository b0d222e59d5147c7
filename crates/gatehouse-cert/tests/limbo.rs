//! Runs every x509-limbo case (`../shared/corpus/x509-limbo/limbo.json`) through
//! `verify_chain`, the check behind `Verify()`, and writes `target/conformance/limbo.json`.
//!
//! SERVER cases verify for serverAuth and check the expected DNS or IP name; CLIENT cases
//! verify for clientAuth and check the expected email names. CRLs, when a case has them,
//! are checked for the leaf and intermediates with unknown status refused. A case passes
//! when the verifier's verdict is the expected one; failures must be listed with a reason in
//! `tests/limbo-divergences.txt`.

mod support;

use std::net::IpAddr;

use gatehouse_cert::{
    Certificate, Crl, KeyUsage, PeerName, RequiredUsage, RevocationMode, TrustStore, VerifyOptions,
    verify_chain, verify_peer_name,
};
use serde_json::Value;
use support::conformance::{Divergences, Outcome, Sweep, corpus_dir};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[test]
fn limbo_sweep() {
    let Some(dir) = corpus_dir("x509-limbo", "limbo.json") else {
        return;
    };
    let limbo: Value = serde_json::from_slice(&std::fs::read(dir.join("limbo.json")).unwrap())
        .expect("limbo.json is JSON");
    let cases = limbo["testcases"].as_array().expect("a testcases array");

    let mut sweep = Sweep::default();
    for case in cases {
        let id = case["id"].as_str().expect("every case has an id");
        sweep.record(id, run(case));
    }
    sweep.finish("limbo", &Divergences::load("limbo-divergences.txt"));
}

fn run(case: &Value) -> Outcome {
    if !strings(&case["signature_algorithms"]).is_empty() {
        return Outcome::Skipped("signature algorithm restrictions are not an input".into());
    }
    let expected_success = case["expected_result"] == "SUCCESS";
    let verdict = verdict(case);

    match (expected_success, verdict) {
        (true, Ok(())) | (false, Err(_)) => Outcome::Passed,
        (true, Err(error)) => Outcome::Failed(format!("refused: {error}")),
        (false, Ok(())) => Outcome::Failed("accepted".into()),
    }
}

/// The verifier's verdict on a case, with a reason when it refuses.
fn verdict(case: &Value) -> Result<(), String> {
    let store = trust_store(case)?;
    let leaf = certificate(case["peer_certificate"].as_str().unwrap_or_default())?;
    // An intermediate the parser refuses is dropped, as the gateway drops it.
    let intermediates: Vec<Certificate> = strings(&case["untrusted_intermediates"])
        .into_iter()
        .filter_map(|pem| certificate(pem).ok())
        .collect();
    let crls = crls(case)?;
    let time = validation_time(case)?;
    let options = options(case, crls.is_empty())?;

    verify_chain(&leaf, &intermediates, &store, &crls, time, &options)
        .map_err(|e| e.to_string())?;
    check_key_usage(case, &leaf)?;
    check_names(case, &leaf)
}

fn trust_store(case: &Value) -> Result<TrustStore, String> {
    let mut store = TrustStore::new();
    for pem in strings(&case["trusted_certs"]) {
        store
            .add_root(certificate(pem)?)
            .map_err(|e| format!("trust anchor: {e}"))?;
    }
    Ok(store)
}

fn certificate(pem: &str) -> Result<Certificate, String> {
    let der = pem_body(pem).ok_or("no PEM certificate")?;
    Certificate::from_der(&der).map_err(|e| e.to_string())
}

fn pem_body(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// A CRL the gateway would refuse at upload fails the case: revocation data the gateway
/// cannot use is never silently dropped.
fn crls(case: &Value) -> Result<Vec<Crl>, String> {
    let mut crls = Vec::new();
    for pem in strings(&case["crls"]) {
        crls.extend(Crl::parse(pem.as_bytes()).map_err(|e| format!("CRL refused: {e}"))?);
    }
    Ok(crls)
}

fn validation_time(case: &Value) -> Result<OffsetDateTime, String> {
    match case["validation_time"].as_str() {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339).map_err(|e| e.to_string()),
        None => Ok(OffsetDateTime::now_utc()),
    }
}

fn options(case: &Value, no_crls: bool) -> Result<VerifyOptions, String> {
    let revocation = if no_crls {
        RevocationMode::NoCheck
    } else {
        RevocationMode::ExcludeRoot
    };
    let mut options = VerifyOptions::verify()
        .with_revocation(revocation)
        .with_required_usage(usage(case)?);
    if let Some(depth) = case["max_chain_depth"].as_u64() {
        let depth = u8::try_from(depth).map_err(|_| "max_chain_depth over 255")?;
        options = options.with_max_intermediates(depth);
    }
    Ok(options)
}

/// The case's EKU, or the one its validation kind implies.
fn usage(case: &Value) -> Result<RequiredUsage, String> {
    let ekus = strings(&case["extended_key_usage"]);
    match ekus.as_slice() {
        [] if case["validation_kind"] == "CLIENT" => Ok(RequiredUsage::ClientAuth),
        [] | ["serverAuth"] => Ok(RequiredUsage::ServerAuth),
        ["clientAuth"] => Ok(RequiredUsage::ClientAuth),
        other => Err(format!("unsupported extended key usage set {other:?}")),
    }
}

/// The leaf's keyUsage, when it has one, must include every bit the case asks for.
fn check_key_usage(case: &Value, leaf: &Certificate) -> Result<(), String> {
    let Some(present) = leaf.key_usage() else {
        return Ok(());
    };
    for name in strings(&case["key_usage"]) {
        let bit = match name {
            "digitalSignature" => KeyUsage::DIGITAL_SIGNATURE,
            "keyEncipherment" => KeyUsage::KEY_ENCIPHERMENT,
            "keyAgreement" => KeyUsage::KEY_AGREEMENT,
            other => return Err(format!("unsupported key usage {other}")),
        };
        if !present.contains(bit) {
            return Err(format!("leaf keyUsage lacks {name}"));
        }
    }
    Ok(())
}

fn check_names(case: &Value, leaf: &Certificate) -> Result<(), String> {
    let single = std::iter::once(&case["expected_peer_name"]).filter(|name| !name.is_null());
    let several = case["expected_peer_names"].as_array().into_iter().flatten();

    for name in single.chain(several) {
        let value = name["value"].as_str().unwrap_or_default();
        let ip: Option<IpAddr> = value.parse().ok();
        let peer = match (name["kind"].as_str(), ip) {
            (Some("DNS"), _) => PeerName::Dns(value),
            (Some("IP"), Some(ip)) => PeerName::Ip(ip),
            (Some("RFC822"), _) => PeerName::Email(value),
            _ => return Err(format!("unsupported peer name {name}")),
        };
        verify_peer_name(leaf, &peer).map_err(|e| format!("{value}: {e}"))?;
    }
    Ok(())
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
