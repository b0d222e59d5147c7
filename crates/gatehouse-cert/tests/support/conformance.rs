//! Shared plumbing of the corpus sweeps (limbo, PKITS): where the corpus and the report go,
//! the checked-in list of known divergences, and the report itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/corpus/<relative>` beside the workspace, when `marker` exists in it. Without
/// it the sweep prints that it skips, except under `CI=true`, where that is a failure.
pub fn corpus_dir(relative: &str, marker: &str) -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/corpus").join(relative);
    if dir.join(marker).exists() {
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

/// `$CARGO_TARGET_DIR`, or the workspace's `target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// The outcome of one case.
#[derive(Debug)]
pub enum Outcome {
    /// The verifier agreed with the expected result.
    Passed,
    /// It did not; the text says what the verifier answered.
    Failed(String),
    /// The case needs an input the verifier does not take.
    Skipped(String),
}

/// Known divergences: `id reason...` per line, `#` comments, in a file of this crate.
pub struct Divergences {
    file: &'static str,
    reasons: BTreeMap<String, String>,
}

impl Divergences {
    /// Reads `tests/<file>`.
    pub fn load(file: &'static str) -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let reasons = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                let (id, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                assert!(!reason.trim().is_empty(), "{file}: {id} has no reason");
                (id.to_owned(), reason.trim().to_owned())
            })
            .collect();
        Self { file, reasons }
    }
}

/// The results of a sweep, in corpus order.
#[derive(Default)]
pub struct Sweep {
    results: Vec<(String, Outcome)>,
}

impl Sweep {
    pub fn record(&mut self, id: &str, outcome: Outcome) {
        self.results.push((id.to_owned(), outcome));
    }

    /// Writes `<target>/conformance/<name>.json` and fails on any failure not listed in
    /// `divergences`, and on any listed divergence that no longer happens (so the list
    /// stays true).
    pub fn finish(self, name: &str, divergences: &Divergences) {
        let report = self.report(divergences);
        write_report(name, &report);

        let failed = |id: &String| {
            self.results
                .iter()
                .any(|(case, outcome)| case == id && matches!(outcome, Outcome::Failed(_)))
        };
        let unexpected: Vec<String> = self
            .results
            .iter()
            .filter_map(|(id, outcome)| match outcome {
                Outcome::Failed(actual) if !divergences.reasons.contains_key(id) => {
                    Some(format!("{id}: {actual}"))
                }
                _ => None,
            })
            .collect();
        let stale: Vec<&String> = divergences
            .reasons
            .keys()
            .filter(|id| !failed(id))
            .collect();

        assert!(
            unexpected.is_empty(),
            "{} failures not listed in tests/{}:\n{}",
            unexpected.len(),
            divergences.file,
            unexpected.join("\n")
        );
        assert!(
            stale.is_empty(),
            "listed in tests/{} but no longer failing (remove them): {stale:?}",
            divergences.file
        );
    }

    fn report(&self, divergences: &Divergences) -> Value {
        let count = |f: fn(&Outcome) -> bool| self.results.iter().filter(|(_, o)| f(o)).count();
        let failures: Vec<&String> = self
            .results
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Failed(_)))
            .map(|(id, _)| id)
            .collect();
        let skipped: Vec<Value> = self
            .results
            .iter()
            .filter_map(|(id, outcome)| match outcome {
                Outcome::Skipped(reason) => Some(json!({ "id": id, "reason": reason })),
                _ => None,
            })
            .collect();

        json!({
            "total": self.results.len(),
            "passed": count(|o| matches!(o, Outcome::Passed)),
            "failed": failures.len(),
            "skipped": skipped.len(),
            "failures": failures,
            "skipped_cases": skipped,
            "known_divergences": divergences.reasons.len(),
        })
    }
}

fn write_report(name: &str, report: &Value) {
    let out = target_dir().join("conformance");
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(report).unwrap()).unwrap();
    println!(
        "{name}: total {} passed {} failed {} skipped {} -> {}",
        report["total"],
        report["passed"],
        report["failed"],
        report["skipped"],
        path.display()
    );
}
