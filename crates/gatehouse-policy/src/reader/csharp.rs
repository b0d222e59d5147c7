//! Finds where a `@(...)` or `@{...}` policy expression ends.
//!
//! APIM accepts raw `"`, `<`, `>` and `&` inside expressions, so the end of an attribute value
//! or text node cannot be found by looking for the next quote or `<`. This module balances
//! the expression's brackets while skipping what may hold unbalanced brackets or quotes: regular,
//! verbatim (`@"..."`) and interpolated (`$"..."`, with nested `{}` holes) strings, character
//! literals and comments. It does not parse C#; the expression compiler does that later.

use std::fmt;

use super::chars::{Chars, Decoded};

/// How deeply interpolated strings may nest inside each other's holes; the bracket stack is a
/// vector, but holes recurse.
const MAX_INTERPOLATION_DEPTH: usize = 32;

/// Which expression form was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// `@(expression)`.
    Single,
    /// `@{ statements }`.
    Block,
}

/// Why an expression could not be balanced, and where (a source byte offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unbalanced {
    pub(crate) offset: usize,
    pub(crate) problem: Problem,
}

/// The problems [`skip_expression`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The bracket at the offset is never closed.
    Unclosed { open: char },
    /// A string literal starting at the offset has no closing quote.
    UnclosedString,
    /// A character literal starting at the offset has no closing quote.
    UnclosedChar,
    /// A `/* ... */` comment starting at the offset has no end.
    UnclosedComment,
    /// Interpolated strings nest deeper than [`MAX_INTERPOLATION_DEPTH`].
    TooDeep,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unclosed { open } => write!(f, "'{open}' is never closed"),
            Problem::UnclosedString => f.write_str("string literal is not closed"),
            Problem::UnclosedChar => f.write_str("character literal is not closed"),
            Problem::UnclosedComment => f.write_str("comment is not closed"),
            Problem::TooDeep => f.write_str("interpolated strings are nested too deeply"),
        }
    }
}

/// Whether `text` starts with `@(` or `@{`.
pub(crate) fn starts_expression(text: &str) -> bool {
    text.starts_with("@(") || text.starts_with("@{")
}

/// Consumes an expression that starts at the cursor (on `@`), leaving the cursor just after
/// its closing bracket.
///
/// # Errors
/// [`Unbalanced`] when the brackets do not balance or a literal or comment is not closed
/// before the cursor's limit; the cursor position is then unspecified.
pub(crate) fn skip_expression(chars: &mut Chars<'_>) -> Result<Form, Unbalanced> {
    let at = chars.bump().filter(|d| d.ch == '@');
    let open = chars.bump().filter(|d| d.ch == '(' || d.ch == '{');
    let (Some(_), Some(open)) = (at, open) else {
        let offset = chars.pos();
        return Err(Unbalanced {
            offset,
            problem: Problem::Unclosed { open: '(' },
        });
    };

    skip_balanced(chars, open, 0)?;
    Ok(if open.ch == '(' {
        Form::Single
    } else {
        Form::Block
    })
}

/// Consumes code up to and including the bracket that closes `open` (already consumed).
///
/// Only brackets of the same kind as `open` are counted: `()` for `@(...)`, `{}` for `@{...}`
/// and interpolation holes. A misplaced `]` inside is the expression compiler's to report;
/// here it must not move the end of the value (a policy damaged that way still reads, with its
/// XML structure intact).
fn skip_balanced(chars: &mut Chars<'_>, open: Decoded, depth: usize) -> Result<(), Unbalanced> {
    let close = closer(open.ch);
    let mut nesting = 1usize;

    while let Some(d) = chars.bump() {
        match d.ch {
            c if c == open.ch => nesting += 1,
            c if c == close => {
                nesting -= 1;
                if nesting == 0 {
                    return Ok(());
                }
            }
            '"' => skip_string(chars, d.start, Quoting::REGULAR, depth)?,
            '\'' => skip_char(chars, d.start)?,
            '@' | '$' => skip_prefixed_string(chars, d, depth)?,
            '/' => skip_comment(chars, d.start)?,
            _ => {}
        }
    }
    Err(Unbalanced {
        offset: open.start,
        problem: Problem::Unclosed { open: open.ch },
    })
}

fn closer(open: char) -> char {
    if open == '(' { ')' } else { '}' }
}

/// How a string literal treats backslashes, doubled quotes and braces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Quoting {
    verbatim: bool,
    interpolated: bool,
}

impl Quoting {
    const REGULAR: Quoting = Quoting {
        verbatim: false,
        interpolated: false,
    };
}

/// After `@` or `$`: skips `@"..."`, `$"..."`, `$@"..."` or `@$"..."`; anything else (such as
/// `@identifier`) is left alone.
fn skip_prefixed_string(
    chars: &mut Chars<'_>,
    first: Decoded,
    depth: usize,
) -> Result<(), Unbalanced> {
    let other = if first.ch == '@' { '$' } else { '@' };
    let both = chars.peek() == Some(other) && chars.peek_second() == Some('"');
    if both {
        chars.bump();
    }
    if !chars.eat('"') {
        return Ok(());
    }

    let quoting = Quoting {
        verbatim: both || first.ch == '@',
        interpolated: both || first.ch == '$',
    };
    skip_string(chars, first.start, quoting, depth)
}

/// Skips the rest of a string literal whose opening quote is consumed.
///
/// Regular strings may span lines here although C# forbids it: the reader only needs the end
/// of the expression, and real policies damaged by formatters have such strings.
fn skip_string(
    chars: &mut Chars<'_>,
    start: usize,
    quoting: Quoting,
    depth: usize,
) -> Result<(), Unbalanced> {
    let unclosed = Unbalanced {
        offset: start,
        problem: Problem::UnclosedString,
    };

    while let Some(d) = chars.bump() {
        match d.ch {
            '"' if quoting.verbatim && chars.eat('"') => {}
            '"' => return Ok(()),
            '\\' if !quoting.verbatim => {
                chars.bump();
            }
            '{' if quoting.interpolated && !chars.eat('{') => skip_hole(chars, d, depth)?,
            '}' if quoting.interpolated => {
                chars.eat('}');
            }
            _ => {}
        }
    }
    Err(unclosed)
}

/// Skips an interpolation hole `{expression[,alignment][:format]}` whose `{` is consumed.
fn skip_hole(chars: &mut Chars<'_>, open: Decoded, depth: usize) -> Result<(), Unbalanced> {
    if depth >= MAX_INTERPOLATION_DEPTH {
        return Err(Unbalanced {
            offset: open.start,
            problem: Problem::TooDeep,
        });
    }
    skip_balanced(chars, open, depth + 1)
}

/// Skips the rest of a character literal whose opening quote is consumed.
///
/// Lenient on purpose: anything up to the next `'` on the same line is taken, so that code
/// such as `Headers.ContainsKey('Retry-After')` (not C#, but found in real policies) still has
/// a findable end; the expression compiler reports it later.
fn skip_char(chars: &mut Chars<'_>, start: usize) -> Result<(), Unbalanced> {
    while let Some(d) = chars.bump() {
        match d.ch {
            '\\' => {
                chars.bump();
            }
            '\'' => return Ok(()),
            '\n' => break,
            _ => {}
        }
    }
    Err(Unbalanced {
        offset: start,
        problem: Problem::UnclosedChar,
    })
}

/// After `/`: skips a `//` or `/* */` comment; a lone `/` is division.
fn skip_comment(chars: &mut Chars<'_>, start: usize) -> Result<(), Unbalanced> {
    if chars.eat('/') {
        while chars.peek().is_some_and(|c| c != '\n') {
            chars.bump();
        }
        return Ok(());
    }
    if !chars.eat('*') {
        return Ok(());
    }

    while let Some(d) = chars.bump() {
        if d.ch == '*' && chars.eat('/') {
            return Ok(());
        }
    }
    Err(Unbalanced {
        offset: start,
        problem: Problem::UnclosedComment,
    })
}

#[cfg(test)]
#[path = "csharp_tests.rs"]
mod tests;
