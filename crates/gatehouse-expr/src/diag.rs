//! Positions, spans and compile diagnostics.
//!
//! The lexer and parser work with byte offsets into the expression text ([`Span`]); only when a
//! diagnostic leaves the crate is an offset turned into a document line and column, because an
//! expression usually sits somewhere inside a larger policy document and may span several lines.

use std::fmt;

/// A 1-based line and column in the policy document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl Position {
    /// A position from a 1-based line and column.
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One compile error, located in document coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based document line.
    pub line: u32,
    /// 1-based document column.
    pub column: u32,
    /// What is wrong, as one lowercase-led sentence without a trailing period.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// A byte range in the expression text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Self {
            start: clamp(start),
            end: clamp(end),
        }
    }

    /// The smallest span covering both.
    pub(crate) fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Expressions longer than 4 GiB do not exist in policies; saturate rather than wrap.
fn clamp(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// An error found while compiling, still in expression coordinates.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    pub(crate) span: Span,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
        }
    }
}

/// Turns byte offsets of the expression text into document positions.
pub(crate) struct LineMap<'a> {
    text: &'a str,
    origin: Position,
}

impl<'a> LineMap<'a> {
    pub(crate) fn new(text: &'a str, origin: Position) -> Self {
        Self { text, origin }
    }

    /// The document position of byte `offset`; the first line starts at the origin's column.
    pub(crate) fn position(&self, offset: u32) -> Position {
        let offset = (offset as usize).min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(self.text);
        let newlines = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let chars = before[line_start..].chars().count();

        let column = if newlines == 0 {
            self.origin.column as usize + chars
        } else {
            1 + chars
        };
        Position::new(self.origin.line + newlines as u32, column as u32)
    }

    pub(crate) fn diagnostic(&self, problem: &Problem) -> Diagnostic {
        let at = self.position(problem.span.start);
        Diagnostic {
            line: at.line,
            column: at.column,
            message: problem.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_is_offset_by_the_origin_column() {
        let map = LineMap::new("@(a ||\n  b)", Position::new(10, 20));

        assert_eq!(map.position(2), Position::new(10, 22));
        assert_eq!(map.position(9), Position::new(11, 3));
    }
}
