//! The parser: tokens to a syntax tree.
//!
//! Recursive descent for statements and types, a Pratt loop for expressions with every binary
//! operator's binding power in one table (`parser/expr.rs`, [`infix`]). C#'s ambiguities are
//! resolved the way the C# specification resolves them:
//! - `F(G<A, B>(7))`: after a name, `<` starts a type argument list when the list parses as types
//!   and is followed by one of `( ) ] } : ; , . ? == != | ^ && || & [`;
//! - `(T)x`: a parenthesised type is a cast when `T` is a keyword type, or when the next token is
//!   `~`, `!`, `(`, an identifier, a literal or a keyword other than `as` and `is`;
//! - `(a, b) => …` and `x => …` are lambdas, found by looking past the parameter list for `=>`.
//!
//! The parser records problems and recovers at statement boundaries, so a block with several
//! mistakes reports each of them. Nesting depth is limited so hostile input cannot exhaust the
//! stack.

mod expr;
mod new;
mod stmt;
mod types;

use crate::ast::{Expr, Stmt};
use crate::diag::{Problem, Span};
use crate::lexer::{Kw, P, Tok, Token};

/// The deepest nesting of expressions and statements the parser accepts.
const MAX_NESTING: usize = 96;

/// Marks that a problem has been recorded and the current construct was abandoned.
#[derive(Debug)]
pub(crate) struct Stop;

pub(crate) type PResult<T> = Result<T, Stop>;

/// Parses the tokens of `@( … )` (without the delimiters) as one expression.
pub(crate) fn parse_expression(tokens: Vec<Token>) -> (Option<Expr>, Vec<Problem>) {
    let mut parser = Parser::new(tokens);
    let expr = parser.expr().ok();
    if expr.is_some() && !parser.at_eof() {
        parser.error_here("expected the end of the expression");
    }
    (expr, parser.problems)
}

/// Parses the tokens of `@{ … }` (without the braces) as a statement list.
pub(crate) fn parse_block(tokens: Vec<Token>) -> (Vec<Stmt>, Vec<Problem>) {
    let mut parser = Parser::new(tokens);
    let stmts = parser.statements_until_eof();
    (stmts, parser.problems)
}

pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    /// Binary operators applied on the current path, bounded by `expr::MAX_CHAIN`.
    chain: usize,
    pub(crate) problems: Vec<Problem>,
}

impl Parser {
    pub(crate) fn new(tokens: Vec<Token>) -> Self {
        Self {
            tokens,
            pos: 0,
            depth: 0,
            chain: 0,
            problems: Vec::new(),
        }
    }

    fn token(&self, n: usize) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + n).min(last)]
    }

    pub(crate) fn peek(&self) -> &Tok {
        &self.token(0).tok
    }

    pub(crate) fn peek_at(&self, n: usize) -> &Tok {
        &self.token(n).tok
    }

    pub(crate) fn span(&self) -> Span {
        self.token(0).span
    }

    /// The span of the token before the current one: where a finished node ends.
    pub(crate) fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1)].span
    }

    pub(crate) fn advance(&mut self) -> Token {
        let token = self.token(0).clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    pub(crate) fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }

    pub(crate) fn at(&self, p: P) -> bool {
        *self.peek() == Tok::Punct(p)
    }

    pub(crate) fn at_kw(&self, kw: Kw) -> bool {
        *self.peek() == Tok::Kw(kw)
    }

    pub(crate) fn eat(&mut self, p: P) -> bool {
        let found = self.at(p);
        if found {
            self.advance();
        }
        found
    }

    pub(crate) fn eat_kw(&mut self, kw: Kw) -> bool {
        let found = self.at_kw(kw);
        if found {
            self.advance();
        }
        found
    }

    pub(crate) fn expect(&mut self, p: P) -> PResult<Span> {
        if self.at(p) {
            return Ok(self.advance().span);
        }
        Err(self.error_here(&format!("expected '{}'", p.as_str())))
    }

    /// Records "`message`, found X" at the current token.
    pub(crate) fn error_here(&mut self, message: &str) -> Stop {
        let found = describe(self.peek());
        let span = self.span();
        self.problems
            .push(Problem::new(span, format!("{message}, found {found}")));
        Stop
    }

    pub(crate) fn error_at(&mut self, span: Span, message: impl Into<String>) -> Stop {
        self.problems.push(Problem::new(span, message));
        Stop
    }

    /// Runs `f` and rewinds (tokens and problems) when it fails.
    pub(crate) fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> Option<T> {
        let (pos, problems) = (self.pos, self.problems.len());
        match f(self) {
            Ok(value) => Some(value),
            Err(Stop) => {
                self.pos = pos;
                self.problems.truncate(problems);
                None
            }
        }
    }

    /// Enters one level of nesting, failing past [`MAX_NESTING`].
    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let span = self.span();
            return Err(self.error_at(span, "the expression is nested too deeply"));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }
}

/// A token as messages name it.
pub(crate) fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(name) => format!("'{name}'"),
        Tok::Kw(kw) => format!("'{}'", kw.as_str()),
        Tok::Int { value, .. } => format!("'{value}'"),
        Tok::Real { value, .. } => format!("'{value}'"),
        Tok::Str(_) | Tok::Interp(_) => "a string literal".to_owned(),
        Tok::Char(_) => "a character literal".to_owned(),
        Tok::Punct(p) => format!("'{}'", p.as_str()),
        Tok::Eof => "the end of the expression".to_owned(),
    }
}
