//! Turns a raw span of the source into a [`Value`]: decoded text, the offset map back to the
//! source, and the `{{named-value}}` references.

use super::chars::Chars;
use super::position::LineIndex;
use super::tree::{NamedValueRef, Value, ValueKind};
use super::{Position, Span};

/// The source text with its line index: what positions are computed from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Source<'s> {
    pub(crate) text: &'s str,
    pub(crate) lines: &'s LineIndex,
}

impl Source<'_> {
    pub(crate) fn position(&self, offset: usize) -> Position {
        self.lines.position(self.text, offset)
    }
}

/// Builds the value of `span`; `entities` is false for CDATA bodies.
pub(crate) fn build(source: Source<'_>, span: Span, entities: bool, kind: ValueKind) -> Value {
    let (text, sync) = decode(source.text, span, entities);
    let mut value = Value {
        text,
        kind,
        position: source.position(span.start),
        span,
        named_values: Vec::new(),
        sync,
    };

    value.named_values = named_values(source, &value);
    value
}

/// Decodes `span`, recording a sync point before and after every translated character.
fn decode(text: &str, span: Span, entities: bool) -> (String, Vec<(usize, usize)>) {
    let mut chars = Chars::new(text, span.start, span.end, entities);
    let mut decoded = String::with_capacity(span.len());
    let mut sync = Vec::new();

    while let Some(d) = chars.bump() {
        if d.is_translated() {
            sync.push((decoded.len(), d.start));
            decoded.push(d.ch);
            sync.push((decoded.len(), d.end));
        } else {
            decoded.push(d.ch);
        }
    }
    (decoded, sync)
}

/// Finds `{{name}}` references, where a name is made of letters, digits, `.`, `-` and `_` as
/// APIM requires. `{{ liquid }}` output tags have spaces and so are not named values.
fn named_values(source: Source<'_>, value: &Value) -> Vec<NamedValueRef> {
    let text = value.text.as_str();
    let mut found = Vec::new();
    let mut from = 0;

    while let Some(relative) = text[from..].find("{{") {
        let start = from + relative;
        let name_end = start
            + 2
            + text[start + 2..]
                .bytes()
                .take_while(|&b| is_name_byte(b))
                .count();

        if name_end > start + 2 && text[name_end..].starts_with("}}") {
            let position = source.position(value.source_offset(start));
            let name = text[start + 2..name_end].to_owned();
            found.push(NamedValueRef {
                name,
                range: start..name_end + 2,
                position,
            });
            from = name_end + 2;
        } else {
            from = start + 1;
        }
    }
    found
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}
