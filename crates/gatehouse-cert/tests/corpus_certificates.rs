//! Every certificate file of the shared corpus goes through import without a panic, and the
//! odd names of pyca's `x509/custom` vectors print as .NET prints them.

use std::path::{Path, PathBuf};

use gatehouse_cert::import_certificate;

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/x509-certs");
    if dir.is_dir() {
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

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("pem" | "der" | "crt" | "cer" | "cert")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_certificate_imports_or_fails_cleanly() {
    let Some(dir) = corpus_dir() else { return };
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    paths.sort();

    let (mut ok, mut failed) = (0, 0);
    for path in &paths {
        match import_certificate(&std::fs::read(path).unwrap(), None) {
            Ok(imported) => {
                ok += 1;
                let _ = imported.certificate().to_dotnet_string();
                if std::env::var_os("GATEHOUSE_PRINT_NAMES").is_some() {
                    println!(
                        "{}\t{}",
                        path.strip_prefix(&dir).unwrap().display(),
                        imported.certificate().subject()
                    );
                }
            }
            Err(error) => {
                failed += 1;
                if std::env::var_os("GATEHOUSE_PRINT_NAMES").is_some() {
                    println!(
                        "{}\tERROR {error}",
                        path.strip_prefix(&dir).unwrap().display()
                    );
                }
            }
        }
    }
    println!(
        "corpus certificates: {ok} imported, {failed} refused with an error, of {}",
        paths.len()
    );
    assert!(ok > 500, "most corpus files are certificates");
}
