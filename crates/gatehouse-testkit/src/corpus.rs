//! Locating shared test material and tools, with the rule for their absence: skip with a
//! message locally, fail under `CI=true`.

use std::path::{Path, PathBuf};

/// Whether the tests run in CI, where nothing may be skipped.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The workspace root (two levels above this crate).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared corpus directory (`../shared/corpus` beside the repository), or `None` after
/// printing why the caller skips.
///
/// # Panics
/// Under `CI=true` when the corpus is absent.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !in_ci(),
        "CI=true but the corpus is missing at {}",
        dir.display()
    );
    eprintln!("skipping: the shared corpus is not at {}", dir.display());
    None
}

/// The newman command: `$NEWMAN`, or the project-local install `.ci/run` makes, or `None`
/// after printing why the caller skips.
///
/// # Panics
/// Under `CI=true` when newman is absent.
pub fn newman() -> Option<PathBuf> {
    let candidates = std::env::var_os("NEWMAN")
        .map(PathBuf::from)
        .into_iter()
        .chain([workspace_root().join(".tools/node_modules/.bin/newman")]);
    for candidate in candidates {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    assert!(
        !in_ci(),
        "CI=true but newman is not installed (.ci/run installs it into .tools/)"
    );
    eprintln!(
        "skipping: newman is not installed; run `npm install --prefix .tools newman` or .ci/run"
    );
    None
}
