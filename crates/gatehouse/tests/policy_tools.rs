//! Tools for policy authors: `policy check` warnings for the classic thumbprint mistakes, and
//! `policy test` running a policy against a described request without a gateway.

use std::process::{Command, Output};

use anyhow::Result;
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

fn gatehouse(args: &[&str]) -> Result<Output> {
    Ok(Command::new(BINARY).args(args).output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn policy_check_warns_about_thumbprint_mistakes_and_still_exits_zero() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("article.xml");
    let policy = "<policies>\n  <inbound>\n    <choose>\n      <when condition=\"@(context.Request.Certificate.Thumbprint != &quot;\u{200E}bf3d644c46099a9d7c073ec002312878b8f9b847&quot;)\">\n        <set-status code=\"403\" reason=\"Invalid client certificate\" />\n      </when>\n    </choose>\n  </inbound>\n</policies>";
    std::fs::write(&file, policy)?;

    let output = gatehouse(&["policy", "check", file.to_str().unwrap_or_default()])?;

    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let printed = text(&output.stdout);
    let warnings: Vec<&str> = printed
        .lines()
        .filter(|l| l.contains(": warning: "))
        .collect();
    let prefix = format!("{}:", file.display());
    assert!(warnings.iter().all(|w| w.starts_with(&prefix)), "{printed}");
    for expected in [
        "invisible character U+200E",
        "lowercase letters",
        "case-sensitive comparison of Thumbprint",
        "set-status in inbound",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(expected)),
            "no warning about {expected}:\n{printed}"
        );
    }
    let invisible = warnings
        .iter()
        .find(|w| w.contains("U+200E"))
        .unwrap_or(&"");
    assert!(
        invisible.starts_with(&format!("{prefix}4:74: warning:")),
        "{invisible}"
    );
    Ok(())
}

#[test]
fn policy_test_prints_the_response_the_backend_calls_and_the_trace() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let policy = dir.path().join("policy.xml");
    let request = dir.path().join("request.json");
    std::fs::write(
        &policy,
        r#"<policies>
  <inbound>
    <set-header name="x-tenant" exists-action="override"><value>{{tenant}}</value></set-header>
    <choose>
      <when condition="@(context.Request.Headers.GetValueOrDefault("x-deny", "") == "yes")">
        <return-response><set-status code="403" reason="Denied" /></return-response>
      </when>
    </choose>
  </inbound>
  <backend><forward-request /></backend>
  <outbound><set-header name="x-seen" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header></outbound>
</policies>"#,
    )?;
    let described = json!({
        "method": "GET",
        "url": "https://gateway.local/echo/resource?param1=sample",
        "headers": { "Accept": "application/json" },
        "api": { "id": "echo-api", "path": "echo", "serviceUrl": "http://backend.local/api" },
        "namedValues": { "tenant": "contoso" },
        "backend": { "status": 201, "headers": { "Content-Type": "application/json" }, "body": { "created": true } }
    });
    std::fs::write(&request, described.to_string())?;

    let output = gatehouse(&[
        "policy",
        "test",
        policy.to_str().unwrap_or_default(),
        "--request",
        request.to_str().unwrap_or_default(),
    ])?;

    let printed = text(&output.stdout);
    assert!(output.status.success(), "{printed}{}", text(&output.stderr));
    assert!(printed.starts_with("HTTP/1.1 201 Created\n"), "{printed}");
    assert!(printed.contains("x-seen: 201"), "{printed}");
    assert!(printed.contains(r#"{"created":true}"#), "{printed}");
    assert!(
        printed.contains("forward-request: GET http://backend.local/api/resource?param1=sample"),
        "{printed}"
    );
    let trace = printed.split("Trace:\n").nth(1).unwrap_or_default();
    let trace: serde_json::Value = serde_json::from_str(trace)?;
    let inbound = trace["traceEntries"]["inbound"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        inbound.iter().any(|e| e["source"] == "set-header"),
        "{trace}"
    );
    Ok(())
}

#[test]
fn policy_test_reports_compile_errors_with_positions() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let policy = dir.path().join("policy.xml");
    let request = dir.path().join("request.json");
    std::fs::write(
        &policy,
        "<policies>\n<inbound><rate-limit calls=\"x\" renewal-period=\"60\" /></inbound>\n</policies>",
    )?;
    std::fs::write(&request, r#"{"url": "https://gateway.local/"}"#)?;

    let output = gatehouse(&[
        "policy",
        "test",
        policy.to_str().unwrap_or_default(),
        "--request",
        request.to_str().unwrap_or_default(),
    ])?;

    assert!(!output.status.success());
    assert!(
        text(&output.stdout).starts_with(&format!("{}:2:", policy.display())),
        "{}",
        text(&output.stdout)
    );
    Ok(())
}
