//! `new` expressions: objects, arrays, anonymous objects and their initializers.

use super::types::TypeCtx;
use super::{PResult, Parser};
use crate::ast::{Expr, ExprKind, Ident, Initializer, TypeKind, TypeRef};
use crate::lexer::{P, Tok};

impl Parser {
    pub(crate) fn new_expr(&mut self) -> PResult<Expr> {
        let start = self.advance().span;
        let kind = match self.peek() {
            Tok::Punct(P::LBracket) => self.implicit_array()?,
            Tok::Punct(P::LBrace) => self.anonymous_object()?,
            _ => self.new_of_type()?,
        };
        Ok(Expr {
            kind,
            span: start.to(self.prev_span()),
        })
    }

    /// `new[] { a, b }`.
    fn implicit_array(&mut self) -> PResult<ExprKind> {
        self.expect(P::LBracket)?;
        self.expect(P::RBracket)?;
        let items = self.array_items()?;
        Ok(ExprKind::NewArray {
            elem: None,
            size: None,
            items: Some(items),
        })
    }

    /// `new { Name = value, other.Member }`.
    fn anonymous_object(&mut self) -> PResult<ExprKind> {
        self.expect(P::LBrace)?;
        let mut members = Vec::new();
        while !self.at(P::RBrace) {
            members.push(self.anonymous_member()?);
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RBrace)?;
        Ok(ExprKind::NewAnonymous { members })
    }

    fn anonymous_member(&mut self) -> PResult<(Ident, Expr)> {
        let is_named =
            matches!(self.peek(), Tok::Ident(_)) && self.peek_at(1) == &Tok::Punct(P::Assign);
        if is_named {
            let name = self.ident()?;
            self.advance();
            return Ok((name, self.expr()?));
        }

        let value = self.expr()?;
        let name = match &value.kind {
            ExprKind::Name(name) => name.clone(),
            ExprKind::Member { name, .. } => name.clone(),
            _ => return Err(self.error_at(value.span, "an anonymous type member needs a name")),
        };
        Ok((name, value))
    }

    fn new_of_type(&mut self) -> PResult<ExprKind> {
        let ty = self.new_type()?;
        if self.at(P::LBracket) {
            return self.sized_array(ty);
        }
        if let TypeKind::Array(elem) = ty.kind {
            let items = self.array_items()?;
            return Ok(ExprKind::NewArray {
                elem: Some(*elem),
                size: None,
                items: Some(items),
            });
        }

        let args = if self.eat(P::LParen) {
            self.arguments(P::RParen)?
        } else {
            Vec::new()
        };
        let init = if self.at(P::LBrace) {
            Some(self.initializer()?)
        } else {
            None
        };
        if init.is_none() && args.is_empty() && self.prev_span() == ty.span {
            return Err(self.error_here("expected '(' or '{' after the type in 'new'"));
        }
        Ok(ExprKind::New { ty, args, init })
    }

    /// The type after `new`, without array ranks when a size follows (`new byte[16]`).
    fn new_type(&mut self) -> PResult<TypeRef> {
        let sized = self.attempt(|p| {
            let ty = p.type_ref(TypeCtx::Expression)?;
            if p.at(P::LBracket) {
                Ok(ty)
            } else {
                Err(super::Stop)
            }
        });
        match sized {
            Some(ty) => Ok(ty),
            None => self.type_ref(TypeCtx::Expression),
        }
    }

    /// `new T[size]` with an optional `{ … }`.
    fn sized_array(&mut self, elem: TypeRef) -> PResult<ExprKind> {
        self.expect(P::LBracket)?;
        let size = self.expr()?;
        self.expect(P::RBracket)?;
        let items = if self.at(P::LBrace) {
            Some(self.array_items()?)
        } else {
            None
        };
        Ok(ExprKind::NewArray {
            elem: Some(elem),
            size: Some(Box::new(size)),
            items,
        })
    }

    fn array_items(&mut self) -> PResult<Vec<Expr>> {
        self.expect(P::LBrace)?;
        let mut items = Vec::new();
        while !self.at(P::RBrace) {
            items.push(self.expr()?);
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RBrace)?;
        Ok(items)
    }

    fn initializer(&mut self) -> PResult<Vec<Initializer>> {
        self.expect(P::LBrace)?;
        let mut items = Vec::new();
        while !self.at(P::RBrace) {
            items.push(self.initializer_item()?);
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RBrace)?;
        Ok(items)
    }

    fn initializer_item(&mut self) -> PResult<Initializer> {
        let is_member =
            matches!(self.peek(), Tok::Ident(_)) && self.peek_at(1) == &Tok::Punct(P::Assign);
        if is_member {
            let name = self.ident()?;
            self.advance();
            return Ok(Initializer::Member(name, self.expr()?));
        }
        if self.eat(P::LBracket) {
            let keys = self
                .arguments(P::RBracket)?
                .into_iter()
                .map(|a| a.value)
                .collect();
            self.expect(P::Assign)?;
            return Ok(Initializer::Index(keys, self.expr()?));
        }
        if self.at(P::LBrace) {
            return Ok(Initializer::Item(self.array_items()?));
        }
        Ok(Initializer::Item(vec![self.expr()?]))
    }
}
