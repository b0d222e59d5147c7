//! Conformance on the shared corpus of real APIM policies: every document must read, the
//! validation outcome of each is recorded in `target/conformance/policy-reader.json`, and the
//! files that fail validation are exactly the ones listed below, for the reasons given.

mod support;

use std::collections::BTreeMap;

use gatehouse_policy::reader::{self, Code, Diagnostic};
use gatehouse_policy::schema;
use serde_json::json;

/// What happened to one corpus file.
struct Outcome {
    file: String,
    read: Vec<Diagnostic>,
    validation: Vec<Diagnostic>,
}

impl Outcome {
    fn of(file: String, text: &str) -> Self {
        let (document, diagnostics) = reader::read(text);
        let validation = schema::validate(&document);
        Self {
            file,
            read: diagnostics,
            validation,
        }
    }

    fn parsed(&self) -> bool {
        self.read.is_empty()
    }

    fn valid(&self) -> bool {
        self.parsed() && self.validation.is_empty()
    }

    /// The diagnostics that made the file fail: the reader's, else the validation's.
    fn failures(&self) -> &[Diagnostic] {
        if self.parsed() {
            &self.validation
        } else {
            &self.read
        }
    }
}

#[test]
fn every_corpus_policy_reads_and_only_the_known_bad_ones_fail_validation() {
    let Some(corpus) = support::corpus_dir() else {
        return;
    };
    let outcomes: Vec<_> = support::policy_files(&corpus)
        .into_iter()
        .map(|(f, t)| Outcome::of(f, &t))
        .collect();
    write_report(&outcomes);

    let unread: BTreeMap<_, _> = outcomes
        .iter()
        .filter(|o| !o.parsed())
        .map(|o| (&o.file, &o.read))
        .collect();
    assert!(
        unread.is_empty(),
        "corpus files the reader refused: {unread:#?}"
    );

    let mut invalid: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.valid())
        .map(|o| o.file.as_str())
        .collect();
    let mut expected: Vec<_> = support::INVALID_FOR_THE_SCHEMA
        .iter()
        .map(|(file, _)| *file)
        .collect();
    invalid.sort_unstable();
    expected.sort_unstable();
    assert_eq!(
        invalid, expected,
        "the set of invalid corpus files changed; see policy-reader.json"
    );
    assert!(
        outcomes.len() >= 329,
        "only {} corpus files were found",
        outcomes.len()
    );
}

#[test]
fn the_misspelled_toolkit_policies_fail_validation_at_their_positions() {
    let Some(corpus) = support::corpus_dir() else {
        return;
    };
    let cases = [
        (
            "invoke-darp-binding.xml",
            "unknown policy <invoke-darp-binding>; did you mean invoke-dapr-binding?",
        ),
        (
            "publish-to-darp.xml",
            "unknown policy <publish-to-darp>; did you mean publish-to-dapr?",
        ),
    ];

    for (file, message) in cases {
        let path = corpus.join("apim-policies/policy-toolkit").join(file);
        let text = std::fs::read_to_string(&path).expect("the toolkit file exists");
        let (document, read) = reader::read(&text);
        assert!(read.is_empty(), "{file}: {read:#?}");

        let diagnostics = schema::validate(&document);
        assert_eq!(diagnostics.len(), 1, "{file}: {diagnostics:#?}");
        let diagnostic = &diagnostics[0];
        assert_eq!((diagnostic.line, diagnostic.column), (4, 3), "{file}");
        assert_eq!(diagnostic.code, Code::UnknownElement, "{file}");
        assert_eq!(diagnostic.message, message, "{file}");
    }
}

/// Writes `{"files", "parsed", "valid", "failed": [{"file", "line", "column", "message"}]}`.
fn write_report(outcomes: &[Outcome]) {
    let failed: Vec<_> = outcomes
        .iter()
        .flat_map(|o| o.failures().iter().map(move |d| (o, d)))
        .map(|(o, d)| json!({"file": o.file, "line": d.line, "column": d.column, "message": d.message}))
        .collect();
    let report = json!({
        "files": outcomes.len(),
        "parsed": outcomes.iter().filter(|o| o.parsed()).count(),
        "valid": outcomes.iter().filter(|o| o.valid()).count(),
        "failed": failed,
    });

    let dir = support::conformance_dir();
    std::fs::create_dir_all(&dir).expect("the conformance directory can be created");
    let text = serde_json::to_string_pretty(&report).expect("the report serialises");
    std::fs::write(dir.join("policy-reader.json"), text + "\n").expect("the report can be written");
}
