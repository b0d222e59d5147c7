//! The tolerant reader for APIM policy text ("rawxml").
//!
//! [`read`] turns policy text into a [`Document`]: elements, attributes, text and CDATA, each
//! with its 1-based line and column in the original text, plus a [`Diagnostic`] for every
//! mistake found. Comments and processing instructions are dropped.
//!
//! # What APIM accepts that XML does not
//!
//! APIM stores policies as "rawxml": about a third of real policy files are not well-formed
//! XML. The reader accepts what APIM accepts:
//!
//! - raw `"`, `<`, `>` and `&` inside `@(...)` and `@{...}` expressions, in attribute values
//!   and in element text. A value that starts with an expression is read by C#-aware bracket
//!   matching, and the closing quote or tag is looked for after the balanced expression. The
//!   matcher skips regular, verbatim (`@"..."`) and interpolated (`$"..."`, with nested `{}`
//!   holes) strings, character literals and comments, and counts only the expression's own
//!   bracket kind (`()` or `{}`); it is lenient where C# is strict (strings across lines,
//!   `'multi-char'` literals) because finding the end is its only job: the expression compiler
//!   reports bad C# later, at exact positions ([`Value::source_offset`]);
//! - a UTF-8 byte order mark, and `<?xml ...?>` declarations anywhere;
//! - `--` inside comments, and several top-level elements (documentation snippets: a list of
//!   policy statements, which the schema check then refuses as a policy document);
//! - a raw `&` that starts no entity reference, which stays a literal `&`.
//!
//! A raw quote inside a *literal* attribute value (`subject="O="Contoso, Inc.", CN=x"`, as in
//! one documentation example) is not accepted: it is ambiguous with the next attribute, and
//! well-formed XML needs `&quot;`. It is reported once, and the value is recovered up to the
//! quote that is followed by whitespace or the end of the tag, so nothing else is misread.
//!
//! Named value references (`{{name}}`) are recorded on each [`Value`] for later substitution;
//! CDATA bodies and standard or numeric character references are decoded as XML does. Raw
//! markup between an element's tags (a `set-body` payload) stays available through
//! [`Document::raw_content`].
//!
//! # Why a hand-written scanner, not roxmltree behind a pre-pass
//!
//! A pre-pass could escape the expressions and hand the result to roxmltree, but then every
//! position roxmltree reports refers to the escaped copy and needs an offset map back to the
//! original; roxmltree also stops at the first error, while a policy editor needs all of them,
//! and it refuses constructs APIM tolerates (several roots, `--` in comments). The scanner
//! needed to find expression boundaries is already most of an XML tokenizer, so the reader
//! finishes the job: positions are exact by construction and recovery is ours to choose.
//! Nothing is truncated silently: reading stops only after [`MAX_DIAGNOSTICS`] problems,
//! [`MAX_DEPTH`] levels of nesting or [`MAX_ATTRIBUTES`] attributes on one element, with a
//! diagnostic saying so. Reading is linear in the size of the text, long lines included.
//!
//! roxmltree remains a development dependency: the conformance tests check that both readers
//! build the same tree, with the same positions, on the well-formed files of the corpus, and
//! that escaping the expressions the reader found makes the other files well-formed.
//!
//! # Deliberate differences from XML
//!
//! Attribute values keep their line breaks (no attribute-value normalisation), because a `//`
//! comment in a multi-line `@{...}` block would otherwise swallow the rest of the block.
//! Namespaces are not resolved: names are kept as written. DTDs are refused.

mod chars;
mod csharp;
mod diagnostic;
mod position;
mod scanner;
mod tree;
mod value;

pub use diagnostic::{Code, Diagnostic};
pub use position::{Position, Span};
pub use scanner::{MAX_ATTRIBUTES, MAX_DEPTH, MAX_DIAGNOSTICS};
pub use tree::{Attribute, Document, Element, NamedValueRef, Node, Value, ValueKind};

/// Reads policy text, reporting every problem rather than stopping at the first.
///
/// Returns the document that could be read and the problems found, in document order. After
/// mistakes the tree is the reader's best recovery (elements left open are closed where the
/// mistake was noticed), so a caller that wants only clean documents checks that the list is
/// empty.
pub fn read(source: &str) -> (Document, Vec<Diagnostic>) {
    let output = scanner::scan(source);
    let document = Document::new(source.to_owned(), output.lines, output.elements);
    (document, output.diagnostics)
}

#[cfg(test)]
mod tests;
