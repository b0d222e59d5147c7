//! A trace document as a tree for the terminal: the client certificate first, then each
//! section's steps with their elapsed time, source and what they did.

use serde_json::Value;

use super::{BOLD, CYAN, DIM, RED, Style};

/// The sections in the order they run.
const SECTIONS: [&str; 4] = ["inbound", "backend", "outbound", "on-error"];

/// Longest detail value printed before it is cut.
const MAX_DETAIL: usize = 160;

/// The trace at `location` as text.
pub(super) fn render(document: &Value, location: &str, style: Style) -> String {
    let mut out = String::new();
    let id = document["traceId"].as_str().unwrap_or("?");
    out.push_str(&format!(
        "{} {id}  {}\n",
        style.paint(BOLD, "Trace"),
        style.paint(DIM, location)
    ));

    let entries = &document["traceEntries"];
    certificate(&mut out, entries, style);
    for section in SECTIONS {
        let Some(steps) = entries[section].as_array() else {
            continue;
        };
        let colour = if section == "on-error" { RED } else { BOLD };
        out.push_str(&style.paint(colour, section));
        out.push('\n');
        for (index, step) in steps.iter().enumerate() {
            entry(&mut out, step, index + 1 == steps.len(), style);
        }
    }
    out
}

/// The presented certificate, or its absence, as a card above the steps.
fn certificate(out: &mut String, entries: &Value, style: Style) {
    let Some(card) = entries["inbound"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["source"] == "client-certificate"))
        .map(|step| &step["data"])
    else {
        return;
    };
    out.push_str(&style.paint(BOLD, "Client certificate"));
    out.push('\n');
    let Some(thumbprint) = card["thumbprint"].as_str() else {
        out.push_str(&format!("  {}\n", text(&card["message"])));
        return;
    };
    let field = |name: &str, value: &str| format!("  {:<11} {value}\n", style.paint(DIM, name));
    out.push_str(&field("thumbprint", &style.paint(CYAN, thumbprint)));
    out.push_str(&field("subject", &text(&card["subject"])));
    out.push_str(&field("issuer", &text(&card["issuer"])));
    let validity = format!(
        "{} to {}",
        text(&card["notBefore"]),
        text(&card["notAfter"])
    );
    out.push_str(&field("valid", &validity));
}

fn entry(out: &mut String, step: &Value, last: bool, style: Style) {
    let (branch, stem) = if last {
        ("└─", "  ")
    } else {
        ("├─", "│ ")
    };
    let elapsed = elapsed_ms(step["elapsed"].as_str().unwrap_or_default());
    let source = step["source"].as_str().unwrap_or("?");
    let (summary, details) = describe(&step["data"]);
    out.push_str(&format!(
        "{branch} {} {} {summary}\n",
        style.paint(DIM, &format!("{elapsed:>9}")),
        style.paint(CYAN, &format!("{source:<20}")),
    ));
    for (name, value) in details {
        out.push_str(&format!(
            "{stem}{:>10} {} {value}\n",
            "",
            style.paint(DIM, &format!("{name}:"))
        ));
    }
}

/// `00:00:00.0012345` as `1.23 ms`.
fn elapsed_ms(elapsed: &str) -> String {
    let seconds: f64 = elapsed
        .split(':')
        .map(|part| part.parse::<f64>().unwrap_or(0.0))
        .fold(0.0, |total, part| total * 60.0 + part);
    format!("{:.2} ms", seconds * 1000.0)
}

/// A one-line summary of a step's data and the details worth a line of their own.
fn describe(data: &Value) -> (String, Vec<(String, String)>) {
    let Value::Object(fields) = data else {
        return (text(data), Vec::new());
    };
    let mut summary = text(&data["message"]);
    if let Some(thumbprint) = data.get("thumbprint") {
        // The certificate card above shows the rest.
        return (format!("{summary} {}", text(thumbprint)), Vec::new());
    }
    if let Some(response) = data.get("response") {
        let status = &response["status"];
        let answer = format!("{} {}", text(&status["code"]), text(&status["reason"]));
        let summary = match summary.is_empty() {
            true => format!("response {answer}"),
            false => format!("{summary}: {answer}"),
        };
        return (summary, Vec::new());
    }
    if let Some(request) = data.get("request") {
        summary = format!("{} {}", text(&request["method"]), text(&request["url"]));
    }
    if let Some(configuration) = data.get("configuration") {
        summary = configuration_summary(configuration);
    }
    let details = fields
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "message" | "request" | "configuration"))
        .map(|(name, value)| (name.clone(), cut(&text(value))))
        .collect();
    (summary, details)
}

fn configuration_summary(configuration: &Value) -> String {
    let mut parts = vec![
        format!("api {}", text(&configuration["api"]["id"])),
        format!("operation {}", text(&configuration["operation"]["id"])),
    ];
    for name in ["subscription", "product"] {
        if let Some(value) = configuration[name].as_str() {
            parts.push(format!("{name} {value}"));
        }
    }
    parts.join(", ")
}

/// A value as text: strings as they are, arrays joined, anything else as compact JSON.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_DETAIL) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn shows_the_certificate_card_and_each_step_with_its_time() {
        let document = json!({
            "traceId": "abc",
            "traceEntries": {
                "inbound": [
                    { "source": "client-certificate", "elapsed": "00:00:00.0001000",
                      "data": { "message": "Client certificate was presented.", "thumbprint": "AB12", "subject": "CN=a", "issuer": "CN=a", "notBefore": "x", "notAfter": "y" } },
                    { "source": "choose", "elapsed": "00:00:00.0012345",
                      "data": { "message": "Expression was successfully evaluated.", "expression": "true", "value": false } }
                ],
                "outbound": [ { "source": "transfer-response", "elapsed": "00:00:01.0000000", "data": "done" } ]
            }
        });

        let text = render(
            &document,
            "https://localhost/traces/abc",
            Style { colour: false },
        );

        assert!(text.contains("thumbprint  AB12"), "{text}");
        assert!(text.contains("├─   0.10 ms client-certificate"), "{text}");
        assert!(text.contains("└─   1.23 ms choose"), "{text}");
        assert!(text.contains("value: false"), "{text}");
        assert!(
            text.contains("outbound\n└─ 1000.00 ms transfer-response    done"),
            "{text}"
        );
    }
}
