//! Types as written in casts, `new`, generic arguments and declarations.

use super::{PResult, Parser, Stop};
use crate::ast::{TypeKind, TypeRef};
use crate::lexer::{Kw, P, Tok};

/// Where a type is being read; decides whether `T? name` may follow.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeCtx {
    /// A local declaration: `int? x = …`.
    Declaration,
    /// Anywhere else: `?` is a nullable suffix only before `)`, `>`, `,`, `[`, `]`.
    Expression,
}

pub(crate) fn is_predefined_type(kw: Kw) -> bool {
    use Kw::*;
    matches!(
        kw,
        Bool | Byte
            | Char
            | Decimal
            | Double
            | Float
            | Int
            | Long
            | Object
            | Sbyte
            | Short
            | String
            | Uint
            | Ulong
            | Ushort
            | Void
    )
}

impl Parser {
    /// Reads a type; fails without a useful message when the tokens are not one, so callers
    /// that only guess wrap it in [`Parser::attempt`].
    pub(crate) fn type_ref(&mut self, ctx: TypeCtx) -> PResult<TypeRef> {
        let start = self.span();
        let mut ty = self.type_core()?;

        loop {
            if self.nullable_suffix_follows(ctx) {
                self.advance();
                let kind = TypeKind::Nullable(Box::new(ty));
                ty = TypeRef {
                    kind,
                    span: start.to(self.prev_span()),
                };
            } else if self.at(P::LBracket) && *self.peek_at(1) == Tok::Punct(P::RBracket) {
                self.advance();
                self.advance();
                let kind = TypeKind::Array(Box::new(ty));
                ty = TypeRef {
                    kind,
                    span: start.to(self.prev_span()),
                };
            } else {
                return Ok(ty);
            }
        }
    }

    fn nullable_suffix_follows(&self, ctx: TypeCtx) -> bool {
        if !self.at(P::Question) {
            return false;
        }
        let next = self.peek_at(1);
        let closes = matches!(
            next,
            Tok::Punct(P::RParen | P::Gt | P::Comma | P::LBracket | P::RBracket)
        );
        closes || (ctx == TypeCtx::Declaration && matches!(next, Tok::Ident(_)))
    }

    fn type_core(&mut self) -> PResult<TypeRef> {
        let start = self.span();
        match self.peek().clone() {
            Tok::Kw(kw) if is_predefined_type(kw) => {
                self.advance();
                Ok(TypeRef {
                    kind: TypeKind::Predefined(kw),
                    span: start,
                })
            }
            Tok::Ident(_) => self.named_type(),
            _ => Err(self.error_here("expected a type")),
        }
    }

    fn named_type(&mut self) -> PResult<TypeRef> {
        let start = self.span();
        let mut path = vec![self.ident()?.name];
        let mut args = Vec::new();
        loop {
            if self.at(P::Lt) {
                args = self.type_args()?;
                break;
            }
            let dotted_name = self.at(P::Dot) && matches!(self.peek_at(1), Tok::Ident(_));
            if !dotted_name {
                break;
            }
            self.advance();
            path.push(self.ident()?.name);
        }
        Ok(TypeRef {
            kind: TypeKind::Named { path, args },
            span: start.to(self.prev_span()),
        })
    }

    /// Reads `<T, U>`.
    pub(crate) fn type_args(&mut self) -> PResult<Vec<TypeRef>> {
        self.expect(P::Lt)?;
        let mut args = vec![self.type_ref(TypeCtx::Expression)?];
        while self.eat(P::Comma) {
            args.push(self.type_ref(TypeCtx::Expression)?);
        }
        self.expect(P::Gt)?;
        Ok(args)
    }

    /// After a name, reads `<…>` when C#'s disambiguation rule says it is a type argument list.
    pub(crate) fn generic_args_if_any(&mut self) -> Vec<TypeRef> {
        if !self.at(P::Lt) {
            return Vec::new();
        }
        self.attempt(|p| {
            let args = p.type_args()?;
            if p.generic_follow() {
                Ok(args)
            } else {
                Err(Stop)
            }
        })
        .unwrap_or_default()
    }

    /// The tokens after which `<…>` is a type argument list rather than comparisons.
    fn generic_follow(&self) -> bool {
        use P::*;
        match self.peek() {
            Tok::Punct(p) => matches!(
                p,
                LParen
                    | RParen
                    | RBracket
                    | RBrace
                    | Colon
                    | Semi
                    | Comma
                    | Dot
                    | Question
                    | EqEq
                    | NotEq
                    | Pipe
                    | Caret
                    | AndAnd
                    | OrOr
                    | Amp
                    | LBracket
                    | QuestionDot
                    | Coalesce
            ),
            Tok::Eof => true,
            _ => false,
        }
    }
}
