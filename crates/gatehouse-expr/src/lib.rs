//! The C#-subset expression language of APIM policies.
//!
//! Policy documents carry C# in attribute values and element text: `@( expression )` or
//! `@{ statements }`. Gatehouse compiles each expression once, when the policy is saved, and
//! evaluates the compiled form per request:
//!
//! ```text
//! text --lexer--> tokens --parser--> syntax tree --checker--> resolved tree --evaluator--> Value
//! ```
//!
//! - [`compile`] runs the first three phases and reports every problem it finds with its
//!   document line and column. The checker resolves every name, member and method against static
//!   types, so the compiled form holds enums, local slots and constants, never names to look up.
//! - [`Expression::evaluate`] walks the compiled form against a [`Host`], the per-request
//!   `context` the policy runtime provides, within [`Limits`] on steps, depth, string and
//!   collection sizes.
//!
//! # What it does not do
//!
//! It does not read policy XML (the policy crate finds `@(…)` and unescapes it), perform I/O, or
//! log: tracing goes through [`Host::trace`]. It covers the subset of C# and .NET that policies
//! use in practice (see `README.md` beside this crate for the list); anything else is a compile
//! error that names the construct and says it is not supported by Gatehouse, never a silently
//! different value.

/// The language reference: what Gatehouse compiles, what it refuses, and where it differs
/// from APIM.
pub mod language {
    #![doc = include_str!("../README.md")]
}

mod ast;
mod check;
pub mod context;
mod diag;
mod error;
mod eval;
pub mod host;
mod ir;
mod lexer;
mod parser;
mod stdlib;
mod types;
mod value;

use std::sync::Arc;

pub use crate::diag::{Diagnostic, Position};
pub use crate::error::{EXPRESSION_FAILURE_REASON, EvalError};
pub use crate::eval::Limits;
pub use crate::host::{Host, HostObject, Message, StaticHost, UrlKind};
pub use crate::value::{
    ByteArray, DateTime, DateTimeKind, DateTimeOffset, Dict, EnumType, EnumValue, HashAlgorithm,
    Hasher, JPrim, JToken, JTokenKind, Jwt, Lambda, List, MessagePart, MessageRef, Random,
    RegexGroup, RegexMatch, RegexPart, StringBuilder, Symmetric, TimeSpan, Value, XAttribute,
    XDocument, XElement, XName, XNode, XmlValue,
};

use crate::diag::{LineMap, Problem, Span};
use crate::ir::Program;

/// A compiled policy expression. Cheap to clone and shareable across threads.
#[derive(Clone, Debug)]
pub struct Expression {
    inner: Arc<Compiled>,
}

#[derive(Clone, Debug)]
struct Compiled {
    source: Arc<str>,
    program: Arc<Program>,
    functions: Arc<[ir::Function]>,
    slots: usize,
    limits: Limits,
}

/// Compiles one policy expression.
///
/// `text` is the expression as written in the policy after XML unescaping, starting with `@(`
/// (one expression) or `@{` (a block in which every path returns). `origin` is the document
/// position of the `@`.
///
/// # Errors
/// Every problem found, each with its document line and column: lexical errors, syntax errors
/// (all statements of a block are checked), unknown names, members and types, type errors,
/// constructs Gatehouse does not support, and a block path without `return`.
pub fn compile(text: &str, origin: Position) -> Result<Expression, Vec<Diagnostic>> {
    let map = LineMap::new(text, origin);
    let (program, functions, slots) =
        compile_program(text).map_err(|problems| diagnostics(&map, problems))?;
    let compiled = Compiled {
        source: text.into(),
        program: Arc::new(program),
        functions: functions.into(),
        slots,
        limits: Limits::default(),
    };
    Ok(Expression {
        inner: Arc::new(compiled),
    })
}

/// A compiled program, its local functions and its frame size.
type Parts = (Program, Vec<ir::Function>, usize);

fn compile_program(text: &str) -> Result<Parts, Vec<Problem>> {
    let (is_block, body_end) = delimiters(text).map_err(|problem| vec![problem])?;
    let (tokens, mut problems) = lexer::lex(text, 2, body_end);

    // Syntax errors stop here: checking a half-parsed block would only add noise.
    let whole = Span::new(0, 1);
    let checked = if is_block {
        let (stmts, parse_problems) = parser::parse_block(tokens);
        problems.extend(parse_problems);
        problems
            .is_empty()
            .then(|| check::check_block(&stmts, whole))
    } else {
        let (expr, parse_problems) = parser::parse_expression(tokens);
        problems.extend(parse_problems);
        expr.filter(|_| problems.is_empty())
            .map(|e| check::check_expression(&e))
    };

    match checked {
        Some(checked) if checked.problems.is_empty() => {
            Ok((checked.program, checked.functions, checked.slots))
        }
        Some(checked) => Err(checked.problems),
        None => Err(problems),
    }
}

/// Whether `text` is a block, and where its body ends (before the closing bracket).
fn delimiters(text: &str) -> Result<(bool, usize), Problem> {
    let trimmed = text.trim_end();
    let (is_block, close) = match trimmed.get(..2) {
        Some("@(") => (false, ')'),
        Some("@{") => (true, '}'),
        _ => {
            return Err(Problem::new(
                Span::new(0, 0),
                "a policy expression starts with '@(' or '@{'",
            ));
        }
    };
    if !trimmed.ends_with(close) || trimmed.len() < 3 {
        let end = Span::new(trimmed.len(), trimmed.len());
        return Err(Problem::new(
            end,
            format!("the expression is not closed with '{close}'"),
        ));
    }
    Ok((is_block, trimmed.len() - 1))
}

/// Problems in document coordinates, in order, without duplicates.
fn diagnostics(map: &LineMap<'_>, problems: Vec<Problem>) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = problems.iter().map(|p| map.diagnostic(p)).collect();
    out.sort_by_key(|d| (d.line, d.column));
    out.dedup();
    out
}

impl Expression {
    /// Evaluates against a request's `context`.
    ///
    /// # Errors
    /// What the expression threw ([`EvalError`]: null reference, invalid cast, missing key…), or
    /// the limit it exceeded.
    pub fn evaluate(&self, host: &dyn Host) -> Result<Value, EvalError> {
        let compiled = &*self.inner;
        let program = (&*compiled.program, &*compiled.functions);
        eval::run(program, compiled.slots, host, compiled.limits)
    }

    /// Evaluates a condition (`<when condition="@(…)">`).
    ///
    /// # Errors
    /// As [`Expression::evaluate`], and [`EvalError::InvalidCast`] when the value is not a `bool`.
    pub fn evaluate_bool(&self, host: &dyn Host) -> Result<bool, EvalError> {
        match self.evaluate(host)? {
            Value::Bool(b) => Ok(b),
            other => Err(EvalError::InvalidCast {
                from: other.type_name().to_owned(),
                to: "System.Boolean".to_owned(),
            }),
        }
    }

    /// Evaluates to text as APIM inserts a value into a policy: C# `ToString()` (`True`/`False`
    /// for booleans, invariant numbers, JSON for objects), and `""` for null.
    ///
    /// # Errors
    /// As [`Expression::evaluate`].
    pub fn evaluate_string(&self, host: &dyn Host) -> Result<String, EvalError> {
        let value = self.evaluate(host)?;
        let limit = self.inner.limits.max_string_length;
        let text = value::to_display_capped(&value, host, limit);
        if text.len() > limit {
            return Err(EvalError::StringLimit { limit });
        }
        Ok(text)
    }

    /// The expression text as compiled.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// Whether this is a `@{ … }` block.
    pub fn is_block(&self) -> bool {
        matches!(*self.inner.program, Program::Block(_))
    }

    /// The limits evaluation runs under.
    pub fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// The same expression evaluated under other limits; the compiled form is shared.
    pub fn with_limits(&self, limits: Limits) -> Expression {
        let compiled = Compiled {
            limits,
            ..Compiled::clone(&self.inner)
        };
        Expression {
            inner: Arc::new(compiled),
        }
    }
}

/// A value as text, the way APIM inserts it into a policy or a trace: C# `ToString()`.
///
/// JSON and XML longer than the default string limit are cut off just past it: their nodes are
/// shared, so a value small in memory can be far longer as text.
pub fn display(value: &Value, host: &dyn Host) -> String {
    value::to_display_capped(value, host, Limits::default().max_string_length)
}
