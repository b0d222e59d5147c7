//! Expressions: a Pratt loop over one precedence table, then unary, primary and postfix forms.

use super::types::{TypeCtx, is_predefined_type};
use super::{PResult, Parser, Stop};
use crate::ast::{
    Arg, BinOp, Expr, ExprKind, Ident, InterpSeg, LambdaBody, Lit, Param, Pattern, TypeKind,
    TypeRef, UnOp,
};
use crate::diag::Span;
use crate::lexer::{IntSuffix, InterpPart, Kw, P, RealSuffix, Tok, Token};

/// The most binary operators on one path from the root (`a + b + …`, summed over nested
/// operands): each adds a level to the tree the checker and evaluator walk recursively.
const MAX_CHAIN: usize = 400;

/// What an infix token does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Infix {
    Binary(BinOp),
    Assign(Option<BinOp>),
    Conditional,
    Is,
    As,
}

/// The precedence table: `(left binding power, right binding power, operator)`.
///
/// Higher binds tighter. Left-associative operators have `right = left + 1`; assignment, `?:`
/// and `??` are right-associative (`right = left`). Unary operators bind at 15, above all of these.
#[rustfmt::skip]
pub(crate) fn infix(tok: &Tok, next: &Token, this: Span) -> Option<(u8, u8, Infix)> {
    use Infix::*;
    let Tok::Punct(p) = tok else {
        return match tok {
            Tok::Kw(Kw::Is) => Some((10, 11, Is)),
            Tok::Kw(Kw::As) => Some((10, 11, As)),
            _ => None,
        };
    };
    let adjacent_gt = next.tok == Tok::Punct(P::Gt) && next.span.start == this.end;
    Some(match p {
        P::Assign                       => (1, 1, Assign(None)),
        P::PlusAssign                   => (1, 1, Assign(Some(BinOp::Add))),
        P::MinusAssign                  => (1, 1, Assign(Some(BinOp::Sub))),
        P::StarAssign                   => (1, 1, Assign(Some(BinOp::Mul))),
        P::SlashAssign                  => (1, 1, Assign(Some(BinOp::Div))),
        P::PercentAssign                => (1, 1, Assign(Some(BinOp::Rem))),
        P::AndAssign                    => (1, 1, Assign(Some(BinOp::BitAnd))),
        P::OrAssign                     => (1, 1, Assign(Some(BinOp::BitOr))),
        P::XorAssign                    => (1, 1, Assign(Some(BinOp::BitXor))),
        P::CoalesceAssign               => (1, 1, Assign(Some(BinOp::Coalesce))),
        P::Question                     => (2, 2, Conditional),
        P::Coalesce                     => (3, 3, Binary(BinOp::Coalesce)),
        P::OrOr                         => (4, 5, Binary(BinOp::Or)),
        P::AndAnd                       => (5, 6, Binary(BinOp::And)),
        P::Pipe                         => (6, 7, Binary(BinOp::BitOr)),
        P::Caret                        => (7, 8, Binary(BinOp::BitXor)),
        P::Amp                          => (8, 9, Binary(BinOp::BitAnd)),
        P::EqEq                         => (9, 10, Binary(BinOp::Eq)),
        P::NotEq                        => (9, 10, Binary(BinOp::Ne)),
        P::Gt if adjacent_gt            => (11, 12, Binary(BinOp::Shr)),
        P::Lt                           => (10, 11, Binary(BinOp::Lt)),
        P::Gt                           => (10, 11, Binary(BinOp::Gt)),
        P::LtEq                         => (10, 11, Binary(BinOp::Le)),
        P::GtEq                         => (10, 11, Binary(BinOp::Ge)),
        P::Shl                          => (11, 12, Binary(BinOp::Shl)),
        P::Plus                         => (12, 13, Binary(BinOp::Add)),
        P::Minus                        => (12, 13, Binary(BinOp::Sub)),
        P::Star                         => (13, 14, Binary(BinOp::Mul)),
        P::Slash                        => (13, 14, Binary(BinOp::Div)),
        P::Percent                      => (13, 14, Binary(BinOp::Rem)),
        _ => return None,
    })
}

fn node(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

impl Parser {
    /// A full expression, assignment included.
    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let result = self.expr_bp(0);
        self.leave();
        result
    }

    fn expr_bp(&mut self, min_bp: u8) -> PResult<Expr> {
        if self.at_kw(Kw::Throw) {
            return self.throw_expr();
        }
        let mut lhs = self.unary()?;
        let chain_start = self.chain;
        let result = self.infix_loop(&mut lhs, min_bp);
        self.chain = chain_start;
        result.map(|()| lhs)
    }

    fn infix_loop(&mut self, lhs: &mut Expr, min_bp: u8) -> PResult<()> {
        loop {
            let this = self.span();
            let Some((lbp, rbp, op)) = infix(self.peek(), self.token(1), this) else {
                break;
            };
            if lbp < min_bp {
                break;
            }
            self.chain += 1;
            if self.chain > MAX_CHAIN {
                let span = self.span();
                return Err(self.error_at(span, "the expression chains too many operators"));
            }
            self.advance();
            if op == Infix::Binary(BinOp::Shr) {
                self.advance();
            }
            let operand = std::mem::replace(
                lhs,
                Expr {
                    kind: ExprKind::Lit(Lit::Null),
                    span: this,
                },
            );
            *lhs = self.infix_rhs(operand, rbp, op)?;
        }
        Ok(())
    }

    fn infix_rhs(&mut self, lhs: Expr, rbp: u8, op: Infix) -> PResult<Expr> {
        let start = lhs.span;
        let kind = match op {
            Infix::Binary(op) => {
                let rhs = self.expr_bp(rbp)?;
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                }
            }
            Infix::Assign(op) => {
                let value = self.expr_bp(rbp)?;
                ExprKind::Assign {
                    op,
                    target: Box::new(lhs),
                    value: Box::new(value),
                }
            }
            Infix::Conditional => self.conditional_rest(lhs, rbp)?,
            Infix::Is => self.is_rest(lhs)?,
            Infix::As => {
                let ty = self.type_ref(TypeCtx::Expression)?;
                ExprKind::As {
                    operand: Box::new(lhs),
                    ty,
                }
            }
        };
        Ok(node(kind, start.to(self.prev_span())))
    }

    fn conditional_rest(&mut self, cond: Expr, rbp: u8) -> PResult<ExprKind> {
        let then = self.expr()?;
        self.expect(P::Colon)?;
        let otherwise = self.expr_bp(rbp)?;
        Ok(ExprKind::Conditional {
            cond: Box::new(cond),
            then: Box::new(then),
            otherwise: Box::new(otherwise),
        })
    }

    fn is_rest(&mut self, operand: Expr) -> PResult<ExprKind> {
        let operand = Box::new(operand);
        if self.at_kw(Kw::Null) || matches!(self.peek(), Tok::Str(_) | Tok::Int { .. }) {
            let value = self.primary()?;
            return Ok(ExprKind::Is {
                operand,
                pattern: Pattern::Const(Box::new(value)),
            });
        }
        if matches!(self.peek(), Tok::Ident(name) if name == "not")
            && self.peek_at(1) == &Tok::Kw(Kw::Null)
        {
            self.advance();
            self.advance();
            return Ok(ExprKind::Is {
                operand,
                pattern: Pattern::NotNull,
            });
        }

        let ty = self.type_ref(TypeCtx::Expression)?;
        let binding = match self.peek() {
            Tok::Ident(_) => Some(self.ident()?),
            _ => None,
        };
        Ok(ExprKind::Is {
            operand,
            pattern: Pattern::Type { ty, binding },
        })
    }

    fn throw_expr(&mut self) -> PResult<Expr> {
        let start = self.advance().span;
        let value = self.expr()?;
        let span = start.to(value.span);
        Ok(node(ExprKind::Throw(Box::new(value)), span))
    }

    pub(crate) fn ident(&mut self) -> PResult<Ident> {
        match self.peek().clone() {
            Tok::Ident(name) => Ok(Ident {
                name,
                span: self.advance().span,
            }),
            _ => Err(self.error_here("expected an identifier")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Unary and primary expressions

impl Parser {
    fn unary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let op = match self.peek() {
            Tok::Punct(P::Bang) => Some(UnOp::Not),
            Tok::Punct(P::Minus) => Some(UnOp::Neg),
            Tok::Punct(P::Plus) => Some(UnOp::Plus),
            Tok::Punct(P::Tilde) => Some(UnOp::BitNot),
            _ => None,
        };
        if let Some(op) = op {
            self.advance();
            return self.unary_operand(start, op);
        }
        if self.at(P::PlusPlus) || self.at(P::MinusMinus) {
            let increment = self.advance().tok == Tok::Punct(P::PlusPlus);
            let target = Box::new(self.unary()?);
            let kind = ExprKind::IncDec {
                target,
                increment,
                prefix: true,
            };
            return Ok(node(kind, start.to(self.prev_span())));
        }
        if self.at(P::LParen)
            && let Some(cast) = self.attempt(Parser::cast)
        {
            return Ok(cast);
        }
        self.postfix_chain()
    }

    fn unary_operand(&mut self, start: Span, op: UnOp) -> PResult<Expr> {
        self.enter()?;
        let operand = self.unary();
        self.leave();
        let operand = operand?;
        let span = start.to(operand.span);

        let folded = match (&op, &operand.kind) {
            (UnOp::Neg, ExprKind::Lit(Lit::Long(v))) if *v == i64::from(i32::MAX) + 1 => {
                Some(Lit::Int(i32::MIN))
            }
            (UnOp::Neg, ExprKind::Lit(Lit::Long(v))) if *v == i64::MIN => Some(Lit::Long(i64::MIN)),
            _ => None,
        };
        if let Some(lit) = folded {
            return Ok(node(ExprKind::Lit(lit), span));
        }
        Ok(node(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    /// `(T)operand`, when the parenthesised tokens are a type and C#'s cast rule agrees.
    fn cast(&mut self) -> PResult<Expr> {
        let start = self.advance().span;
        let ty = self.type_ref(TypeCtx::Expression)?;
        self.expect(P::RParen)?;
        if !self.cast_follows(&ty) {
            return Err(Stop);
        }

        let operand = self.unary()?;
        let span = start.to(operand.span);
        Ok(node(
            ExprKind::Cast {
                ty,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    fn cast_follows(&self, ty: &TypeRef) -> bool {
        let keyword_type = match &ty.kind {
            TypeKind::Predefined(_) => true,
            TypeKind::Nullable(inner) | TypeKind::Array(inner) => {
                matches!(inner.kind, TypeKind::Predefined(_))
            }
            TypeKind::Named { .. } => false,
        };
        let starts_operand = match self.peek() {
            Tok::Punct(P::Tilde | P::Bang | P::LParen) => true,
            Tok::Ident(_) | Tok::Int { .. } | Tok::Real { .. } | Tok::Str(_) => true,
            Tok::Char(_) | Tok::Interp(_) => true,
            Tok::Kw(kw) => !matches!(kw, Kw::As | Kw::Is),
            Tok::Punct(P::Minus | P::Plus | P::PlusPlus | P::MinusMinus) => keyword_type,
            _ => false,
        };
        starts_operand && (keyword_type || !matches!(self.peek(), Tok::Punct(P::Minus | P::Plus)))
    }

    pub(crate) fn primary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let tok = self.peek().clone();
        let kind = match tok {
            Tok::Int { value, suffix } => self.int_literal(value, suffix)?,
            Tok::Real { value, suffix } => self.real_literal(value, suffix)?,
            Tok::Str(text) => {
                self.advance();
                ExprKind::Lit(Lit::Str(text))
            }
            Tok::Char(c) => {
                self.advance();
                ExprKind::Lit(Lit::Char(c))
            }
            Tok::Interp(parts) => {
                self.advance();
                self.interpolation(parts)?
            }
            Tok::Ident(_) => return self.name_or_lambda(),
            Tok::Punct(P::LParen) => return self.paren_or_lambda(),
            Tok::Kw(kw) => return self.keyword_primary(kw),
            Tok::Punct(P::LBrace) if self.named_value_follows() => {
                let message = "'{{…}}' is a named value: it must be replaced by its value before the expression is compiled";
                return Err(self.error_at(start, message));
            }
            _ => return Err(self.error_here("expected an expression")),
        };
        Ok(node(kind, start.to(self.prev_span())))
    }

    fn named_value_follows(&self) -> bool {
        let next = self.token(1);
        next.tok == Tok::Punct(P::LBrace) && next.span.start == self.span().end
    }

    fn int_literal(&mut self, value: u64, suffix: IntSuffix) -> PResult<ExprKind> {
        let span = self.advance().span;
        let lit = match (suffix, i32::try_from(value), i64::try_from(value)) {
            (IntSuffix::None, Ok(v), _) => Lit::Int(v),
            (IntSuffix::None | IntSuffix::Long, _, Ok(v)) => Lit::Long(v),
            _ => {
                return Err(self.error_at(span, "unsigned literals are not supported by Gatehouse"));
            }
        };
        Ok(ExprKind::Lit(lit))
    }

    fn real_literal(&mut self, value: f64, suffix: RealSuffix) -> PResult<ExprKind> {
        let span = self.advance().span;
        if suffix == RealSuffix::Decimal {
            return Err(self.error_at(span, "decimal literals are not supported by Gatehouse"));
        }
        Ok(ExprKind::Lit(Lit::Double(value)))
    }

    fn keyword_primary(&mut self, kw: Kw) -> PResult<Expr> {
        let start = self.span();
        let kind = match kw {
            Kw::True | Kw::False => {
                self.advance();
                ExprKind::Lit(Lit::Bool(kw == Kw::True))
            }
            Kw::Null => {
                self.advance();
                ExprKind::Lit(Lit::Null)
            }
            Kw::New => return self.new_expr(),
            Kw::Typeof => {
                self.keyword_paren_type()?;
                ExprKind::Typeof
            }
            Kw::Default => self.default_expr()?,
            kw if is_predefined_type(kw) => {
                self.advance();
                ExprKind::Predefined(kw)
            }
            Kw::Checked | Kw::Unchecked => {
                self.advance();
                return self.paren_or_lambda();
            }
            other => {
                let message = format!("'{}' is not supported by Gatehouse", other.as_str());
                return Err(self.error_at(start, message));
            }
        };
        Ok(node(kind, start.to(self.prev_span())))
    }

    fn keyword_paren_type(&mut self) -> PResult<TypeRef> {
        self.advance();
        self.expect(P::LParen)?;
        let ty = self.type_ref(TypeCtx::Expression)?;
        self.expect(P::RParen)?;
        Ok(ty)
    }

    fn default_expr(&mut self) -> PResult<ExprKind> {
        if *self.peek_at(1) != Tok::Punct(P::LParen) {
            self.advance();
            return Ok(ExprKind::Default(None));
        }
        Ok(ExprKind::Default(Some(self.keyword_paren_type()?)))
    }

    fn name_or_lambda(&mut self) -> PResult<Expr> {
        if *self.peek_at(1) == Tok::Punct(P::Arrow) {
            let name = self.ident()?;
            return self.lambda_rest(name.span, vec![Param { name, ty: None }]);
        }

        let name = self.ident()?;
        let type_args = self.generic_args_if_any();
        let span = name.span.to(self.prev_span());
        if type_args.is_empty() {
            return Ok(node(ExprKind::Name(name), span));
        }
        Ok(node(ExprKind::Generic { name }, span))
    }

    fn paren_or_lambda(&mut self) -> PResult<Expr> {
        if let Some(params) = self.attempt(Parser::lambda_params) {
            let start = self.prev_span();
            return self.lambda_rest(start, params);
        }

        let start = self.expect(P::LParen)?;
        let inner = self.expr()?;
        if self.at(P::Comma) {
            return Err(self.error_here("tuples are not supported by Gatehouse"));
        }
        self.expect(P::RParen)?;
        Ok(Expr {
            kind: inner.kind,
            span: start.to(self.prev_span()),
        })
    }

    /// `(a, b) =>` or `(string a) =>`, up to and including the arrow.
    fn lambda_params(&mut self) -> PResult<Vec<Param>> {
        self.expect(P::LParen)?;
        let mut params = Vec::new();
        while !self.at(P::RParen) {
            let is_typed = !matches!(self.peek_at(1), Tok::Punct(P::Comma | P::RParen));
            let ty = if is_typed {
                Some(self.type_ref(TypeCtx::Declaration)?)
            } else {
                None
            };
            params.push(Param {
                name: self.ident()?,
                ty,
            });
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RParen)?;
        if !self.at(P::Arrow) {
            return Err(Stop);
        }
        Ok(params)
    }

    fn lambda_rest(&mut self, start: Span, params: Vec<Param>) -> PResult<Expr> {
        self.expect(P::Arrow)?;
        let body = if self.at(P::LBrace) {
            LambdaBody::Block(Box::new(self.statement()?))
        } else {
            LambdaBody::Expr(Box::new(self.expr()?))
        };
        Ok(node(
            ExprKind::Lambda { params, body },
            start.to(self.prev_span()),
        ))
    }

    fn interpolation(&mut self, parts: Vec<InterpPart>) -> PResult<ExprKind> {
        let mut segments = Vec::new();
        for part in parts {
            let segment = match part {
                InterpPart::Text(text) => InterpSeg::Text(text),
                InterpPart::Hole {
                    tokens,
                    span,
                    format,
                    alignment,
                } => InterpSeg::Hole {
                    expr: self.hole(tokens, span)?,
                    format,
                    alignment,
                },
            };
            segments.push(segment);
        }
        Ok(ExprKind::Interp(segments))
    }

    fn hole(&mut self, tokens: Vec<crate::lexer::TokenEq>, span: Span) -> PResult<Expr> {
        let tokens: Vec<Token> = tokens.into_iter().map(|t| t.0).collect();
        if tokens.len() <= 1 {
            return Err(self.error_at(span, "empty interpolation hole"));
        }

        let mut inner = Parser::new(tokens);
        inner.depth = self.depth;
        let result = inner.expr();
        if result.is_ok() && !inner.at_eof() {
            inner.error_here("expected the end of the interpolation hole");
        }
        let failed = !inner.problems.is_empty();
        self.problems.append(&mut inner.problems);
        if failed { Err(Stop) } else { result }
    }
}

// ---------------------------------------------------------------------------------------------
// Postfix: member access, calls, indexers

impl Parser {
    fn postfix_chain(&mut self) -> PResult<Expr> {
        let mut expr = self.primary()?;
        loop {
            expr = match self.peek() {
                Tok::Punct(P::Dot) => self.member(expr, false)?,
                Tok::Punct(P::QuestionDot) => self.member(expr, true)?,
                Tok::Punct(P::Question) if self.null_conditional_index() => {
                    self.advance();
                    self.index(expr, true)?
                }
                Tok::Punct(P::LParen) => self.call(expr)?,
                Tok::Punct(P::LBracket) => self.index(expr, false)?,
                Tok::Punct(P::PlusPlus | P::MinusMinus) => self.postfix_inc_dec(expr),
                _ => return Ok(expr),
            };
        }
    }

    fn null_conditional_index(&self) -> bool {
        let next = self.token(1);
        next.tok == Tok::Punct(P::LBracket) && next.span.start == self.span().end
    }

    fn member(&mut self, target: Expr, conditional: bool) -> PResult<Expr> {
        self.advance();
        let name = self.ident()?;
        let type_args = self.generic_args_if_any();
        let span = target.span.to(self.prev_span());
        let target = Box::new(target);
        Ok(node(
            ExprKind::Member {
                target,
                name,
                type_args,
                conditional,
            },
            span,
        ))
    }

    fn call(&mut self, callee: Expr) -> PResult<Expr> {
        self.advance();
        let args = self.arguments(P::RParen)?;
        let span = callee.span.to(self.prev_span());
        Ok(node(
            ExprKind::Call {
                callee: Box::new(callee),
                args,
            },
            span,
        ))
    }

    fn index(&mut self, target: Expr, conditional: bool) -> PResult<Expr> {
        self.advance();
        let args = self.arguments(P::RBracket)?;
        let args = args.into_iter().map(|a| a.value).collect();
        let span = target.span.to(self.prev_span());
        Ok(node(
            ExprKind::Index {
                target: Box::new(target),
                args,
                conditional,
            },
            span,
        ))
    }

    fn postfix_inc_dec(&mut self, target: Expr) -> Expr {
        let increment = self.advance().tok == Tok::Punct(P::PlusPlus);
        let span = target.span.to(self.prev_span());
        node(
            ExprKind::IncDec {
                target: Box::new(target),
                increment,
                prefix: false,
            },
            span,
        )
    }

    /// Arguments up to and including `close`.
    pub(crate) fn arguments(&mut self, close: P) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        while !self.at(close) {
            args.push(self.argument()?);
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(close)?;
        Ok(args)
    }

    fn argument(&mut self) -> PResult<Arg> {
        let named =
            matches!(self.peek(), Tok::Ident(_)) && self.peek_at(1) == &Tok::Punct(P::Colon);
        let name = if named { Some(self.ident()?) } else { None };
        if named {
            self.advance();
        }

        if self.eat_kw(Kw::Ref) {
            let span = self.prev_span();
            return Err(self.error_at(span, "'ref' arguments are not supported by Gatehouse"));
        }
        let value = if self.at_kw(Kw::Out) {
            self.out_argument()?
        } else {
            self.expr()?
        };
        Ok(Arg { name, value })
    }

    /// `out var x`, `out T x` or `out x`.
    fn out_argument(&mut self) -> PResult<Expr> {
        let start = self.advance().span;
        let declared = self.attempt(|p| {
            let ty = p.type_ref(TypeCtx::Declaration)?;
            if matches!(p.peek(), Tok::Ident(_)) {
                Ok(ty)
            } else {
                Err(Stop)
            }
        });
        let name = self.ident()?;
        let is_var = declared.as_ref().is_some_and(|t| t.display() == "var");
        let declare = declared.is_some();
        let ty = declared.filter(|_| !is_var);
        let span = start.to(name.span);
        Ok(node(ExprKind::OutVar { ty, name, declare }, span))
    }
}
