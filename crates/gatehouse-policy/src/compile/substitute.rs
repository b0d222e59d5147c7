//! `{{named-value}}` substitution.
//!
//! APIM replaces named value references before a policy means anything, and so does the
//! compiler: in attribute values and text (where the reader recorded the references), and in
//! raw `set-body` payloads (scanned here with the same name rule). A named value whose text is
//! a policy expression makes the value an expression, as in APIM.

use std::borrow::Cow;
use std::ops::Range;

use super::Environment;

/// A reference that names no defined value: where it starts (a byte offset in the text) and
/// its name.
#[derive(Debug)]
pub(crate) struct Undefined {
    pub(crate) offset: usize,
    pub(crate) name: String,
}

/// What substitution produced.
#[derive(Debug)]
pub(crate) struct Substituted<'t> {
    /// The text with every defined reference replaced.
    pub(crate) text: Cow<'t, str>,
    /// The values of the secret named values used, to keep out of traces and messages.
    pub(crate) secrets: Vec<std::sync::Arc<str>>,
    /// The references that name nothing.
    pub(crate) undefined: Vec<Undefined>,
}

/// Replaces the references at `ranges` (byte ranges of `{{name}}` in `text`, in order).
pub(crate) fn substitute<'t>(
    text: &'t str,
    ranges: impl IntoIterator<Item = Range<usize>>,
    env: &Environment,
) -> Substituted<'t> {
    let mut out = Substituted {
        text: Cow::Borrowed(text),
        secrets: Vec::new(),
        undefined: Vec::new(),
    };
    let mut result = String::new();
    let mut copied = 0;
    for range in ranges {
        let name = &text[range.start + 2..range.end - 2];
        let Some(named) = env.named_value(name) else {
            out.undefined.push(Undefined {
                offset: range.start,
                name: name.to_owned(),
            });
            continue;
        };
        result.push_str(&text[copied..range.start]);
        result.push_str(&named.value);
        copied = range.end;
        if named.secret {
            out.secrets.push(named.value.clone());
        }
    }
    if copied > 0 {
        result.push_str(&text[copied..]);
        out.text = Cow::Owned(result);
    }
    out
}

/// The byte ranges of `{{name}}` references in `text`, where a name is letters, digits, `.`,
/// `-` and `_` (APIM's rule; Liquid's `{{ x }}` has spaces and does not match).
pub(crate) fn references(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(relative) = text[from..].find("{{") {
        let start = from + relative;
        let name_len = bytes[start + 2..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            .count();
        let end = start + 2 + name_len;
        if name_len > 0 && text[end..].starts_with("}}") {
            found.push(start..end + 2);
            from = end + 2;
        } else {
            from = start + 1;
        }
    }
    found
}

/// Whether `text` is one policy expression once substituted.
pub(crate) fn is_expression(text: &str) -> bool {
    let trimmed = text.trim();
    trimmed.starts_with("@(") || trimmed.starts_with("@{")
}

/// `text` with every secret replaced by a mask: for messages that quote policy text.
pub(crate) fn mask(text: &str, secrets: &[std::sync::Arc<str>]) -> String {
    let mut masked = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        masked = masked.replace(&**secret, crate::runtime::MASK);
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_follow_the_name_rule() {
        let text = "a {{one}} {{ liquid }} {{two.x-y_z}} {{}} {{bad name}}";
        let names: Vec<&str> = references(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(names, ["{{one}}", "{{two.x-y_z}}"]);
    }

    #[test]
    fn defined_values_are_substituted_and_secrets_collected() {
        let env = Environment::new()
            .with_named_value("host", "example.com", false)
            .with_named_value("key", "s3cret", true);
        let text = "https://{{host}}/?k={{key}}&m={{missing}}";

        let out = substitute(text, references(text), &env);

        assert_eq!(out.text, "https://example.com/?k=s3cret&m={{missing}}");
        assert_eq!(out.secrets, [std::sync::Arc::from("s3cret")]);
        assert_eq!(out.undefined.len(), 1);
        assert_eq!(out.undefined[0].name, "missing");
        assert_eq!(
            mask(&out.text, &out.secrets),
            "https://example.com/?k=********&m={{missing}}"
        );
    }
}
