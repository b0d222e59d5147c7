//! The documented responses of an operation (APIM's `responses[]`), as `mock-response`
//! answers with them.

use gatehouse_policy::runtime::{Representation, ResponseExample};
use serde_json::Value;

/// Reads `responses` as APIM stores them: `{"statusCode": 200, "representations":
/// [{"contentType": "application/json", "examples": {"default": {"value": ...}}}]}` (older
/// API versions put one example in `sample`). Entries that do not fit are skipped: they are
/// documentation, and the operation was accepted with them.
pub fn from_responses(responses: &[Value]) -> Vec<ResponseExample> {
    responses.iter().filter_map(response).collect()
}

fn response(value: &Value) -> Option<ResponseExample> {
    let status = u16::try_from(value.get("statusCode")?.as_u64()?).ok()?;
    let representations = value
        .get("representations")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(representation).collect())
        .unwrap_or_default();
    Some(ResponseExample {
        status,
        representations,
    })
}

fn representation(value: &Value) -> Option<Representation> {
    let content_type = value.get("contentType")?.as_str()?.to_owned();
    let mut examples: Vec<String> = value
        .get("examples")
        .and_then(Value::as_object)
        .map(|examples| {
            examples
                .values()
                .filter_map(|e| e.get("value"))
                .map(text)
                .collect()
        })
        .unwrap_or_default();
    if let Some(sample) = value.get("sample") {
        examples.push(text(sample));
    }
    Some(Representation {
        content_type,
        examples,
    })
}

/// An example as body text: strings as written, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn examples_and_samples_are_read_in_order() {
        let responses = [json!({
            "statusCode": 200,
            "representations": [
                { "contentType": "application/json", "examples": { "default": { "value": { "id": 1 } } } },
                { "contentType": "text/plain", "sample": "hello" }
            ]
        })];

        let examples = from_responses(&responses);

        assert_eq!(examples[0].status, 200);
        assert_eq!(examples[0].representations[0].examples, [r#"{"id":1}"#]);
        assert_eq!(examples[0].representations[1].examples, ["hello"]);
    }
}
