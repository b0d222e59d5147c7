//! Sweeps the PKCS#12 vectors of the shared corpus (`x509-certs/pkcs12-index.json`) and
//! writes `target/conformance/pkcs12.json`.
//!
//! Each indexed file must open with its listed password and yield the listed key and
//! certificate count (and leaf subject), and must refuse a wrong password. Files the index
//! itself could not open, and DSA keys (unsupported by design), are counted as skipped.

use std::path::{Path, PathBuf};

use gatehouse_cert::{ImportError, Imported, KeyKind, import_certificate};
use serde_json::{Value, json};

const WRONG_PASSWORD: &str = "definitely-not-the-password";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/corpus/x509-certs");
    if dir.join("pkcs12-index.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the corpus is missing at {}",
        dir.display()
    );
    println!("skipping: the shared corpus is not at {}", dir.display());
    None
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

enum Verdict {
    Passed,
    Skipped(String),
    Failed(String),
}

#[test]
fn pkcs12_corpus_sweep() {
    let Some(dir) = corpus_dir() else { return };
    let index: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("pkcs12-index.json")).unwrap()).unwrap();

    let (mut passed, mut skipped) = (0, Vec::new());
    let mut failures = Vec::new();
    for entry in &index {
        let file = entry["file"].as_str().unwrap_or_default();
        match check(&dir, entry) {
            Verdict::Passed => passed += 1,
            Verdict::Skipped(reason) => skipped.push(json!({ "file": file, "reason": reason })),
            Verdict::Failed(reason) => failures.push(json!({ "file": file, "reason": reason })),
        }
    }

    let report = json!({
        "total": index.len(),
        "passed": passed,
        "failed": failures.len(),
        "skipped": skipped.len(),
        "failures": failures,
        "skipped_files": skipped,
    });
    write_report(&report);
    assert!(
        failures.is_empty(),
        "{} PKCS#12 vectors failed: {:#}",
        failures.len(),
        report["failures"]
    );
}

fn write_report(report: &Value) {
    let out = target_dir().join("conformance");
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join("pkcs12.json");
    std::fs::write(&path, serde_json::to_vec_pretty(report).unwrap()).unwrap();
    println!(
        "pkcs12 corpus: total {} passed {} failed {} skipped {} -> {}",
        report["total"],
        report["passed"],
        report["failed"],
        report["skipped"],
        path.display()
    );
}

fn check(dir: &Path, entry: &Value) -> Verdict {
    if let Some(error) = entry.get("error") {
        return Verdict::Skipped(format!("the index could not open it either: {error}"));
    }
    let bytes = std::fs::read(dir.join(entry["file"].as_str().unwrap_or_default())).unwrap();
    let password = entry["password"].as_str();
    let result = import_certificate(&bytes, password);

    if entry["key_type"] == "DSAPrivateKey" {
        return match result {
            Err(ImportError::UnsupportedKeyType { .. }) => {
                Verdict::Skipped("DSA private key: unsupported by design".into())
            }
            other => Verdict::Failed(format!(
                "expected UnsupportedKeyType for DSA, got {other:?}"
            )),
        };
    }

    let verdict = expect_contents(entry, result);
    if !matches!(verdict, Verdict::Passed) {
        return verdict;
    }
    match import_certificate(&bytes, Some(WRONG_PASSWORD)) {
        Err(ImportError::WrongPassword) => Verdict::Passed,
        other => Verdict::Failed(format!("a wrong password gave {other:?}")),
    }
}

fn expect_contents(entry: &Value, result: Result<Imported, ImportError>) -> Verdict {
    let has_cert = entry["has_cert"].as_bool().unwrap_or(false);
    let total_certs = usize::from(has_cert) + entry["extra_certs"].as_u64().unwrap_or(0) as usize;
    if total_certs == 0 {
        return match result {
            Err(ImportError::PfxWithoutCertificate) => Verdict::Passed,
            other => Verdict::Failed(format!("expected PfxWithoutCertificate, got {other:?}")),
        };
    }

    let imported = match result {
        Ok(imported) => imported,
        Err(error) => return Verdict::Failed(format!("import failed: {error}")),
    };
    match compare(entry, &imported, total_certs, has_cert) {
        Ok(()) => Verdict::Passed,
        Err(reason) => Verdict::Failed(reason),
    }
}

fn compare(
    entry: &Value,
    imported: &Imported,
    total_certs: usize,
    has_cert: bool,
) -> Result<(), String> {
    let certs = 1 + imported.chain().len();
    if certs != total_certs {
        return Err(format!("expected {total_certs} certificates, got {certs}"));
    }

    let expected_kind = match entry["key_type"].as_str() {
        Some("RSAPrivateKey") => Some("rsa"),
        Some("ECPrivateKey") => Some("ec"),
        _ => None,
    };
    let actual_kind = imported.private_key().map(|key| match key.kind() {
        KeyKind::Rsa => "rsa",
        KeyKind::Ed25519 => "ed25519",
        _ => "ec",
    });
    if actual_kind != expected_kind {
        return Err(format!(
            "expected key {expected_kind:?}, got {actual_kind:?}"
        ));
    }

    let expected = entry["subject"].as_str().map(|s| attribute_values(s, ","));
    let actual = attribute_values(imported.certificate().subject(), ", ");
    if has_cert && expected.as_ref() != Some(&actual) {
        return Err(format!("expected leaf values {expected:?}, got {actual:?}"));
    }
    Ok(())
}

/// The attribute values of a name, most specific first. The index uses Python's RFC 4514
/// form (`ST=`, dotted OIDs, backslash escapes) and the crate .NET's (`S=`, `OID.`, quotes),
/// so only the values are compared; none of the indexed values contain a comma.
fn attribute_values(name: &str, separator: &str) -> Vec<String> {
    name.split(separator)
        .map(|part| part.split_once('=').map_or(part, |(_, value)| value))
        .map(|value| value.trim_matches('"').replace('\\', ""))
        .collect()
}
