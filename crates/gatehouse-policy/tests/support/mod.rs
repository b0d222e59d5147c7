//! Finding the shared corpus and the workspace's target directory.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

pub mod harness;

/// The folders of policy documents the conformance tests read, relative to the corpus.
pub const POLICY_FOLDERS: [&str; 2] = ["apim-policies", "apim-config"];

/// The workspace root: two levels above this crate's manifest.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared/corpus` beside the workspace, or `None` (after saying so) when it is absent.
///
/// # Panics
/// When the corpus is absent and `CI=true`: CI must not pass by skipping.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/corpus");
    if dir.join("apim-policies").is_dir() {
        return Some(dir);
    }

    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !in_ci,
        "the policy corpus is missing at {} (CI=true)",
        dir.display()
    );
    println!("skipping: the policy corpus is not at {}", dir.display());
    None
}

/// Every `.xml` file under the policy folders, sorted, as (path relative to the corpus, text).
pub fn policy_files(corpus: &Path) -> Vec<(String, String)> {
    let mut paths = Vec::new();
    for folder in POLICY_FOLDERS {
        collect_xml(&corpus.join(folder), &mut paths);
    }
    paths.sort();

    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("corpus files are UTF-8");
            let relative = path.strip_prefix(corpus).expect("found under the corpus");
            (relative.display().to_string(), text)
        })
        .collect()
}

fn collect_xml(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("corpus folders are readable");
    for entry in entries {
        let path = entry.expect("corpus entries are readable").path();
        if path.is_dir() {
            collect_xml(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

/// Where conformance results go: `$CARGO_TARGET_DIR/conformance`, else `<workspace>/target/conformance`.
pub fn conformance_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    };
    target.join("conformance")
}

/// Corpus files that read but are not valid APIM policy documents, and why.
pub const INVALID_FOR_THE_SCHEMA: &[(&str, &str)] = &[
    (
        "apim-policies/ai-gateway/finops-framework_policy.xml",
        "template placeholder {product-token-limits} in <choose>",
    ),
    (
        "apim-policies/ai-gateway/zero-to-production_policy-1.xml",
        "template placeholder {retry-count}",
    ),
    (
        "apim-policies/ai-gateway/zero-to-production_policy-2.xml",
        "template placeholder {retry-count}",
    ),
    (
        "apim-policies/ai-gateway/zero-to-production_policy-3.xml",
        "template placeholders {tpm}, {retry-count}",
    ),
    (
        "apim-policies/ai-gateway/zero-to-production_policy-4.xml",
        "template placeholders {tpm}, {retry-count}",
    ),
    (
        "apim-policies/apim-samples/inference-failover_inference-api-policy-with-retry-tracked.xml",
        "template placeholder RETRY_COUNT",
    ),
    (
        "apim-policies/apim-samples/inference-failover_inference-api-policy.xml",
        "template placeholder RETRY_COUNT",
    ),
    (
        "apim-policies/apim-samples/load-balancing_aca-backend-pool-load-balancing-with-429.xml",
        "template placeholder {retry_count}",
    ),
    (
        "apim-policies/apim-samples/load-balancing_aca-backend-pool-load-balancing-with-retry-tracked.xml",
        "template placeholder {retry_count}",
    ),
    (
        "apim-policies/apim-samples/load-balancing_aca-backend-pool-load-balancing.xml",
        "template placeholder {retry_count}",
    ),
    (
        "apim-policies/policy-snippets-deleted/Forward-Correlation-Id-to-backend.xml",
        "bare snippet, no <policies>",
    ),
    (
        "apim-policies/policy-snippets-deleted/Route-message-based-on-size.xml",
        "bare snippet, no <policies>",
    ),
    (
        "apim-policies/policy-snippets-deleted/Sample-of-X-CSRF-solution-pattern.xml",
        "bare snippet, no <policies>",
    ),
    (
        "apim-policies/policy-snippets/Get-OAuth2-access-token-from-AAD-using-client-id-and-certificate-using-k.xml",
        "typo {{cachetime}] in a duration",
    ),
    (
        "apim-policies/policy-toolkit/azure-openai-token-limit.xml",
        "estimate-prompt-token for estimate-prompt-tokens",
    ),
    (
        "apim-policies/policy-toolkit/invoke-darp-binding.xml",
        "misspelled <invoke-darp-binding>",
    ),
    (
        "apim-policies/policy-toolkit/llm-semantic-cache-lookup.xml",
        "embeddings-backend-auth outside its XSD values",
    ),
    (
        "apim-policies/policy-toolkit/llm-token-limit.xml",
        "estimate-prompt-token typo, token-quota-period 'day'",
    ),
    (
        "apim-policies/policy-toolkit/publish-to-darp.xml",
        "misspelled <publish-to-darp>",
    ),
    (
        "apim-policies/policy-toolkit/validate-status-code.xml",
        "error-variable-name for errors-variable-name",
    ),
];
