//! The positioned document tree the reader produces.

use std::ops::Range;

use super::position::LineIndex;
use super::{Position, Span};

/// A policy document as written: top-level elements with positions into the original text.
///
/// The document owns its source, so raw slices (a `set-body` payload, an expression) and
/// positions of any byte offset stay available to later stages.
#[derive(Clone, Debug)]
pub struct Document {
    source: String,
    lines: LineIndex,
    /// Top-level elements in order. A policy document has exactly one (`<policies>` or
    /// `<fragment>`); documentation snippets may have several policy statements instead.
    pub elements: Vec<Element>,
}

impl Document {
    pub(crate) fn new(source: String, lines: LineIndex, elements: Vec<Element>) -> Self {
        Self {
            source,
            lines,
            elements,
        }
    }

    /// The text the document was read from, unchanged (byte order mark included).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first top-level element, normally `<policies>` or `<fragment>`.
    pub fn root(&self) -> Option<&Element> {
        self.elements.first()
    }

    /// The line and column of byte `offset` of the source.
    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.source, offset)
    }

    /// The source text covered by `span`; empty when the span does not fit the source.
    pub fn slice(&self, span: Span) -> &str {
        self.source.get(span.start..span.end).unwrap_or_default()
    }

    /// The raw markup between an element's start and end tags, exactly as written: how a
    /// `set-body` payload or an XSLT stylesheet is meant to be used. `None` for `<x/>`.
    pub fn raw_content(&self, element: &Element) -> Option<&str> {
        element.content.map(|span| self.slice(span))
    }
}

/// An element with its attributes and children (comments and processing instructions are
/// dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// The name as written, prefix included (`soap:Envelope`).
    pub name: String,
    /// Where the `<` of the start tag is.
    pub position: Position,
    /// From the `<` of the start tag to the end of the end tag (or of `/>`).
    pub span: Span,
    /// Between the start tag's `>` and the end tag's `<`; `None` for an empty-element tag.
    pub content: Option<Span>,
    /// Attributes in the order written, without duplicates.
    pub attributes: Vec<Attribute>,
    /// Text, CDATA and element children in order; whitespace-only text is kept.
    pub children: Vec<Node>,
}

impl Element {
    /// The attribute called `name`, if present.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The child elements, skipping text.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(Node::as_element)
    }

    /// The text and CDATA children, skipping elements.
    pub fn texts(&self) -> impl Iterator<Item = &Value> {
        self.children.iter().filter_map(Node::as_text)
    }

    /// The text and CDATA children that contain more than whitespace.
    pub fn meaningful_texts(&self) -> impl Iterator<Item = &Value> {
        self.texts().filter(|v| !v.text.trim().is_empty())
    }
}

/// A child of an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Character data between tags, entities decoded.
    Text(Value),
    /// The body of a `<![CDATA[...]]>` section, verbatim.
    CData(Value),
}

impl Node {
    /// The element, when this node is one.
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Node::Element(element) => Some(element),
            _ => None,
        }
    }

    /// The text, when this node is text or CDATA.
    pub fn as_text(&self) -> Option<&Value> {
        match self {
            Node::Text(value) | Node::CData(value) => Some(value),
            Node::Element(_) => None,
        }
    }
}

/// An attribute: `name="value"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The name as written.
    pub name: String,
    /// Where the name starts.
    pub position: Position,
    /// The value between the quotes.
    pub value: Value,
}

/// The text of an attribute value or a text node, decoded, with what later stages need to
/// compile it: whether it is a policy expression, its `{{named-value}}` references, and a map
/// back to the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// The decoded text: entities and character references replaced, line ends normalised to
    /// `\n`. Attribute values keep their line breaks (unlike strict XML) because a `//`
    /// comment in a multi-line `@{...}` block needs them.
    pub text: String,
    /// Whether the text is one policy expression.
    pub kind: ValueKind,
    /// Where the raw value starts: the first character after the opening quote, or the first
    /// character of a text node or CDATA body.
    pub position: Position,
    /// The raw value in the source, quotes and CDATA markers excluded.
    pub span: Span,
    /// `{{name}}` references in order of appearance, to be substituted before compiling.
    pub named_values: Vec<NamedValueRef>,
    /// Pairs of (offset in `text`, offset in the source) where the two stop advancing
    /// together: around every entity and normalised line end.
    pub(crate) sync: Vec<(usize, usize)>,
}

impl Value {
    /// Whether the value is a `@(...)` or `@{...}` expression.
    pub fn is_expression(&self) -> bool {
        self.kind != ValueKind::Literal
    }

    /// The source byte offset that produced byte `offset` of [`Value::text`], so that errors
    /// found inside an expression can be reported at their place in the file (pass the
    /// result to [`Document::position`]).
    pub fn source_offset(&self, offset: usize) -> usize {
        let index = self.sync.partition_point(|&(decoded, _)| decoded <= offset);
        match index.checked_sub(1).map(|i| self.sync[i]) {
            Some((decoded, source)) => source + (offset - decoded),
            None => self.span.start + offset,
        }
    }
}

/// What kind of value an attribute value or text node holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// Plain text (which may still contain `{{named-value}}` references).
    Literal,
    /// `@(expression)`, surrounding whitespace allowed in text nodes.
    SingleExpression,
    /// `@{ statements }`, surrounding whitespace allowed in text nodes.
    BlockExpression,
}

/// A `{{name}}` reference to an APIM named value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedValueRef {
    /// The name between the braces.
    pub name: String,
    /// Byte range of `{{name}}` in [`Value::text`].
    pub range: Range<usize>,
    /// Where `{{` is in the original text.
    pub position: Position,
}
