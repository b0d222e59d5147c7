//! Located problems in a policy document, shared by the reader and the schema check.

use thiserror::Error;

use super::Position;

/// One problem in a policy document, at the place where it was found.
///
/// `Display` prints `LINE:COLUMN: message`, the form `gatehouse policy check` prefixes with the
/// file name. Messages are lowercase and name the element or attribute concerned.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{line}:{column}: {message}")]
pub struct Diagnostic {
    /// 1-based line in the original text.
    pub line: u32,
    /// 1-based column in the original text, in characters.
    pub column: u32,
    /// What is wrong, for people.
    pub message: String,
    /// What is wrong, for programs and tests.
    pub code: Code,
}

impl Diagnostic {
    /// A diagnostic at `position`.
    pub fn new(position: Position, code: Code, message: impl Into<String>) -> Self {
        Self {
            line: position.line,
            column: position.column,
            message: message.into(),
            code,
        }
    }

    /// Where the problem was found.
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }
}

/// The kind of a [`Diagnostic`]: stable names that tests and tools can match on while the
/// wording of messages improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    // ----- reader: the text is not a readable policy document -----
    /// An attribute value has no closing quote, or an unquoted value.
    UnclosedAttribute,
    /// A comment, CDATA section or processing instruction runs to the end of the text.
    UnclosedMarkup,
    /// A start tag has no `>`.
    UnclosedTag,
    /// An element has no end tag.
    UnclosedElement,
    /// A `@(...)` or `@{...}` expression has unbalanced brackets or an unterminated literal.
    UnclosedExpression,
    /// An end tag that closes nothing, or that is malformed.
    UnexpectedEndTag,
    /// A character that cannot appear where it was found (a raw `<` in text, for example).
    UnexpectedCharacter,
    /// The same attribute twice on one element.
    DuplicateAttribute,
    /// Text after an expression in a value: an expression must be the whole value.
    TextAfterExpression,
    /// A raw quote inside a literal attribute value.
    QuoteInValue,
    /// Text outside the root element, or no root element at all.
    OutsideRoot,
    /// A `<!DOCTYPE>` declaration; entity definitions are not supported.
    Doctype,
    /// A reading limit was reached (problems, nesting depth, attributes per element) and the
    /// rest of the text was not read.
    Limit,

    // ----- schema: readable, but not a policy APIM accepts -----
    /// The root element is neither `<policies>` nor `<fragment>`.
    InvalidRoot,
    /// A section of `<policies>` appears twice, or an unknown section.
    InvalidSection,
    /// An element APIM does not know.
    UnknownElement,
    /// A known element where it is not allowed.
    ElementNotAllowed,
    /// A policy in a section where APIM does not allow it.
    WrongSection,
    /// A required child element is missing, or a single child repeats.
    ChildCount,
    /// `<base/>` misplaced, repeated or not empty.
    InvalidBase,
    /// An attribute the element does not have.
    UnknownAttribute,
    /// A required attribute is missing.
    MissingAttribute,
    /// A literal attribute value outside the allowed values.
    InvalidValue,
    /// A policy expression where only literals are allowed.
    ExpressionNotAllowed,
    /// Text in an element that takes none.
    TextNotAllowed,

    // ----- later stages: valid, but not compilable or runnable here -----
    /// A policy expression that does not compile.
    Expression,
    /// A `{{name}}` reference to a named value that does not exist.
    UndefinedNamedValue,
    /// A policy or setting this gateway does not support.
    Unsupported,
}
