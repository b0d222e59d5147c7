//! Compiles every expression of the APIM policy corpus and records the result.
//!
//! Writes `target/conformance/expressions.json` with the counts and every failure, and fails
//! when fewer expressions compile than [`COMPILED_FLOOR`], the number reached when this test was
//! last raised: nothing that compiled before may regress.

mod support;

use std::collections::BTreeMap;

use gatehouse_expr::compile;
use serde_json::json;

/// Expressions of the corpus known to compile. Raise it when more do; never lower it.
const COMPILED_FLOOR: usize = 1081;

#[test]
fn corpus_expressions_compile_and_the_summary_is_written() {
    let Some(corpus) = support::corpus_dir() else {
        return;
    };
    let root = corpus.join("apim-policies");

    let mut found = Vec::new();
    for path in support::xml_files(&root) {
        let xml = std::fs::read_to_string(&path).expect("policy file is UTF-8");
        let name = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        found.extend(support::scan(&name, &xml));
    }

    let host = sample_host();
    let (mut failed, mut evaluated) = (Vec::new(), 0);
    for expression in &found {
        if let Ok(compiled) = compile(&expression.text, expression.origin) {
            // Most corpus expressions need variables this host lacks; what matters is that
            // evaluation ends in a value or an error, never a panic.
            evaluated += usize::from(compiled.evaluate(&host).is_ok());
        }
        if let Err(diagnostics) = compile(&expression.text, expression.origin) {
            let first = &diagnostics[0];
            failed.push(json!({
                "file": expression.file,
                "line": first.line,
                "column": first.column,
                "message": first.message,
            }));
        }
    }

    let compiled = found.len() - failed.len();
    write_summary(found.len(), compiled, &failed);
    print_categories(&failed);
    println!(
        "corpus: {} expressions, {compiled} compiled, {evaluated} evaluated without error on a sample context",
        found.len()
    );
    assert!(
        found.len() > 1000,
        "the scanner found only {} expressions",
        found.len()
    );
    assert!(
        compiled >= COMPILED_FLOOR,
        "{compiled} expressions compiled, fewer than the floor {COMPILED_FLOOR}"
    );
}

/// A context with a request, an API and a JSON body, like the corpus policies expect.
fn sample_host() -> gatehouse_expr::StaticHost {
    use gatehouse_expr::context::{ApiInfo, OperationInfo, UrlInfo};
    let url = UrlInfo {
        scheme: "https".into(),
        host: "contoso.azure-api.net".into(),
        port: 443,
        path: "/echo/resource".into(),
        ..UrlInfo::default()
    };
    gatehouse_expr::StaticHost {
        api: Some(ApiInfo {
            id: "echo-api".into(),
            name: "Echo API".into(),
            ..ApiInfo::default()
        }),
        operation: Some(OperationInfo {
            id: "get".into(),
            method: "GET".into(),
            ..OperationInfo::default()
        }),
        url: Some(url),
        ..gatehouse_expr::StaticHost::default()
    }
    .with_request_header("Authorization", "Bearer x")
    .with_request_body(r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
}

fn write_summary(expressions: usize, compiled: usize, failed: &[serde_json::Value]) {
    let summary = json!({ "expressions": expressions, "compiled": compiled, "failed": failed });
    let dir = support::target_dir().join("conformance");
    std::fs::create_dir_all(&dir).expect("conformance directory");
    let text = serde_json::to_string_pretty(&summary).expect("summary serializes");
    std::fs::write(dir.join("expressions.json"), text).expect("summary written");
}

/// Prints the most common failure messages, numbers and quoted names removed.
fn print_categories(failed: &[serde_json::Value]) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for failure in failed {
        let message = failure["message"].as_str().unwrap_or_default();
        *counts.entry(message.to_owned()).or_default() += 1;
    }
    let mut sorted: Vec<(String, usize)> = counts.into_iter().collect();
    sorted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    for (message, count) in sorted.iter().take(60) {
        println!("{count:5}  {message}");
    }
}
