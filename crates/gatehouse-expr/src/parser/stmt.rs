//! Statements of `@{ … }` blocks, with recovery at `;` and `}` so several errors are reported.

use super::types::TypeCtx;
use super::{PResult, Parser, Stop};
use crate::ast::{
    Catch, Expr, Ident, LambdaBody, LocalFunction, Param, Stmt, StmtKind, SwitchSection, TypeKind,
    TypeRef,
};
use crate::lexer::{Kw, P, Tok};

fn stmt(kind: StmtKind, span: crate::diag::Span) -> Stmt {
    Stmt { kind, span }
}

impl Parser {
    pub(crate) fn statements_until_eof(&mut self) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        while !self.at_eof() {
            self.statement_or_recover(&mut stmts);
        }
        stmts
    }

    fn statement_or_recover(&mut self, stmts: &mut Vec<Stmt>) {
        let before = self.pos;
        match self.statement() {
            Ok(s) => stmts.push(s),
            Err(Stop) => self.recover(before),
        }
    }

    /// Skips to just after the next `;` at this nesting level, or to a `}` that closes it.
    fn recover(&mut self, before: usize) {
        if self.pos == before {
            self.advance();
        }
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Punct(P::Semi) if depth == 0 => {
                    self.advance();
                    return;
                }
                Tok::Punct(P::RBrace) if depth == 0 => return,
                Tok::Punct(P::LBrace) => depth += 1,
                Tok::Punct(P::RBrace) => depth -= 1,
                _ => {}
            }
            self.advance();
        }
    }

    pub(crate) fn statement(&mut self) -> PResult<Stmt> {
        self.enter()?;
        let result = self.statement_inner();
        self.leave();
        result
    }

    fn statement_inner(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kind = match self.peek().clone() {
            Tok::Punct(P::LBrace) => return self.block(),
            Tok::Punct(P::Semi) => {
                self.advance();
                StmtKind::Empty
            }
            Tok::Kw(kw) => match self.keyword_statement(kw)? {
                Some(kind) => kind,
                None => self.declaration_or_expression()?,
            },
            _ => self.declaration_or_expression()?,
        };
        Ok(stmt(kind, start.to(self.prev_span())))
    }

    pub(crate) fn block(&mut self) -> PResult<Stmt> {
        let start = self.expect(P::LBrace)?;
        let mut stmts = Vec::new();
        while !self.at(P::RBrace) && !self.at_eof() {
            self.statement_or_recover(&mut stmts);
        }
        self.expect(P::RBrace)?;
        Ok(stmt(StmtKind::Block(stmts), start.to(self.prev_span())))
    }

    fn keyword_statement(&mut self, kw: Kw) -> PResult<Option<StmtKind>> {
        let kind = match kw {
            Kw::If => self.if_statement()?,
            Kw::Return => self.return_statement()?,
            Kw::Foreach => self.foreach_statement()?,
            Kw::For => self.for_statement()?,
            Kw::While => self.while_statement()?,
            Kw::Do => self.do_statement()?,
            Kw::Switch => self.switch_statement()?,
            Kw::Try => self.try_statement()?,
            Kw::Throw => self.throw_statement()?,
            Kw::Break | Kw::Continue => {
                self.advance();
                self.expect(P::Semi)?;
                if kw == Kw::Break {
                    StmtKind::Break
                } else {
                    StmtKind::Continue
                }
            }
            Kw::Const => {
                self.advance();
                self.declaration_or_expression()?
            }
            Kw::Checked | Kw::Unchecked if *self.peek_at(1) == Tok::Punct(P::LBrace) => {
                self.advance();
                return Ok(Some(self.block()?.kind));
            }
            Kw::Using => self.using_statement()?,
            Kw::Lock | Kw::Goto | Kw::Unsafe | Kw::Fixed => {
                let span = self.span();
                let message = format!(
                    "the '{}' statement is not supported by Gatehouse",
                    kw.as_str()
                );
                return Err(self.error_at(span, message));
            }
            _ => return Ok(None),
        };
        Ok(Some(kind))
    }

    fn declaration_or_expression(&mut self) -> PResult<StmtKind> {
        if let Some(ty) = self.attempt(Parser::declaration_type) {
            return self.local_declaration(ty);
        }
        if let Some((ret, name)) = self.attempt(Parser::local_function_header) {
            return self.local_function(ret, name);
        }
        let expr = self.expr()?;
        self.expect(P::Semi)?;
        Ok(StmtKind::Expr(expr))
    }

    /// A type followed by `name =`, `name;` or `name,`: the start of a local declaration.
    fn declaration_type(&mut self) -> PResult<TypeRef> {
        let ty = self.type_ref(TypeCtx::Declaration)?;
        let name_follows = matches!(self.peek(), Tok::Ident(_))
            && matches!(self.peek_at(1), Tok::Punct(P::Assign | P::Semi | P::Comma));
        if name_follows { Ok(ty) } else { Err(Stop) }
    }

    /// `[static] T Name(` or `T Name<`: the start of a local function declaration.
    fn local_function_header(&mut self) -> PResult<(TypeRef, Ident)> {
        self.eat_kw(Kw::Static);
        let ret = self.type_ref(TypeCtx::Declaration)?;
        let name_follows = matches!(self.peek(), Tok::Ident(_))
            && matches!(self.peek_at(1), Tok::Punct(P::LParen | P::Lt));
        if !name_follows {
            return Err(Stop);
        }
        Ok((ret, self.ident()?))
    }

    /// The rest of a local function: parameters, then a block or `=> expression;`.
    fn local_function(&mut self, ret: TypeRef, name: Ident) -> PResult<StmtKind> {
        if self.at(P::Lt) {
            let span = self.span();
            return Err(self.error_at(
                span,
                "generic local functions are not supported by Gatehouse",
            ));
        }
        let params = self.function_params()?;
        let body = if self.at(P::LBrace) {
            LambdaBody::Block(Box::new(self.block()?))
        } else {
            self.expect(P::Arrow)?;
            let value = self.expr()?;
            self.expect(P::Semi)?;
            LambdaBody::Expr(Box::new(value))
        };
        let function = LocalFunction {
            ret,
            name,
            params,
            body,
        };
        Ok(StmtKind::LocalFunction(Box::new(function)))
    }

    /// `(T a, U b)`: typed parameters passed by value.
    fn function_params(&mut self) -> PResult<Vec<Param>> {
        self.expect(P::LParen)?;
        let mut params = Vec::new();
        while !self.at(P::RParen) {
            if let Tok::Kw(kw @ (Kw::Ref | Kw::Out | Kw::In | Kw::Params | Kw::This)) = *self.peek()
            {
                let span = self.span();
                let message = format!(
                    "'{}' parameters are not supported by Gatehouse",
                    kw.as_str()
                );
                return Err(self.error_at(span, message));
            }
            let ty = self.type_ref(TypeCtx::Declaration)?;
            let name = self.ident()?;
            if self.at(P::Assign) {
                let span = self.span();
                return Err(
                    self.error_at(span, "optional parameters are not supported by Gatehouse")
                );
            }
            params.push(Param { name, ty: Some(ty) });
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RParen)?;
        Ok(params)
    }

    fn local_declaration(&mut self, ty: TypeRef) -> PResult<StmtKind> {
        let mut decls = Vec::new();
        loop {
            let name = self.ident()?;
            let init = if self.eat(P::Assign) {
                Some(self.expr()?)
            } else {
                None
            };
            decls.push((name, init));
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::Semi)?;
        Ok(StmtKind::Local {
            ty: explicit_type(ty),
            decls,
        })
    }

    /// `using (var x = …) statement` and `using var x = …;`: the declaration and its scope.
    /// Gatehouse objects hold no resources, so there is nothing to dispose.
    fn using_statement(&mut self) -> PResult<StmtKind> {
        let start = self.advance().span;
        if !self.eat(P::LParen) {
            let decl_start = self.span();
            let ty = self.declaration_type()?;
            let decl = stmt(self.local_declaration(ty)?, decl_start.to(self.prev_span()));
            return Ok(StmtKind::Block(vec![decl]));
        }
        let resource_start = self.span();
        let resource = match self.attempt(Parser::declaration_type) {
            Some(ty) => self.using_declaration(ty)?,
            None => StmtKind::Expr(self.expr()?),
        };
        self.expect(P::RParen)?;
        let resource = stmt(resource, resource_start.to(self.prev_span()));
        let body = self.statement()?;
        let _ = start;
        Ok(StmtKind::Block(vec![resource, body]))
    }

    fn using_declaration(&mut self, ty: TypeRef) -> PResult<StmtKind> {
        let name = self.ident()?;
        self.expect(P::Assign)?;
        let init = self.expr()?;
        Ok(StmtKind::Local {
            ty: explicit_type(ty),
            decls: vec![(name, Some(init))],
        })
    }

    fn paren_condition(&mut self) -> PResult<Expr> {
        self.expect(P::LParen)?;
        let cond = self.expr()?;
        self.expect(P::RParen)?;
        Ok(cond)
    }

    fn if_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        let cond = self.paren_condition()?;
        let then = Box::new(self.statement()?);
        let otherwise = if self.eat_kw(Kw::Else) {
            Some(Box::new(self.statement()?))
        } else {
            None
        };
        Ok(StmtKind::If {
            cond,
            then,
            otherwise,
        })
    }

    fn return_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        let value = if self.at(P::Semi) {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect(P::Semi)?;
        Ok(StmtKind::Return(value))
    }

    fn throw_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        let value = if self.at(P::Semi) {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect(P::Semi)?;
        Ok(StmtKind::Throw(value))
    }

    fn foreach_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        self.expect(P::LParen)?;
        let ty = self.type_ref(TypeCtx::Declaration)?;
        let name = self.ident()?;
        if !self.eat_kw(Kw::In) {
            return Err(self.error_here("expected 'in'"));
        }
        let seq = self.expr()?;
        self.expect(P::RParen)?;
        let body = Box::new(self.statement()?);
        Ok(StmtKind::Foreach {
            ty: explicit_type(ty),
            name,
            seq,
            body,
        })
    }

    fn for_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        self.expect(P::LParen)?;
        let init = if self.at(P::Semi) {
            self.advance();
            Vec::new()
        } else {
            let start = self.span();
            vec![stmt(
                self.declaration_or_expression()?,
                start.to(self.prev_span()),
            )]
        };
        let cond = if self.at(P::Semi) {
            None
        } else {
            Some(self.expr()?)
        };
        self.expect(P::Semi)?;
        let mut step = Vec::new();
        while !self.at(P::RParen) {
            step.push(self.expr()?);
            if !self.eat(P::Comma) {
                break;
            }
        }
        self.expect(P::RParen)?;
        let body = Box::new(self.statement()?);
        Ok(StmtKind::For {
            init,
            cond,
            step,
            body,
        })
    }

    fn while_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        let cond = self.paren_condition()?;
        let body = Box::new(self.statement()?);
        Ok(StmtKind::While { cond, body })
    }

    fn do_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        let body = Box::new(self.statement()?);
        if !self.eat_kw(Kw::While) {
            return Err(self.error_here("expected 'while'"));
        }
        let cond = self.paren_condition()?;
        self.expect(P::Semi)?;
        Ok(StmtKind::DoWhile { body, cond })
    }

    fn switch_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        let subject = self.paren_condition()?;
        self.expect(P::LBrace)?;
        let mut sections = Vec::new();
        while !self.at(P::RBrace) && !self.at_eof() {
            sections.push(self.switch_section()?);
        }
        self.expect(P::RBrace)?;
        Ok(StmtKind::Switch { subject, sections })
    }

    fn switch_section(&mut self) -> PResult<SwitchSection> {
        let mut labels = Vec::new();
        loop {
            if self.eat_kw(Kw::Case) {
                labels.push(Some(self.expr()?));
            } else if self.eat_kw(Kw::Default) {
                labels.push(None);
            } else {
                break;
            }
            self.expect(P::Colon)?;
        }
        if labels.is_empty() {
            return Err(self.error_here("expected 'case' or 'default'"));
        }

        let mut body = Vec::new();
        while !self.at_kw(Kw::Case)
            && !self.at_kw(Kw::Default)
            && !self.at(P::RBrace)
            && !self.at_eof()
        {
            body.push(self.statement()?);
        }
        Ok(SwitchSection { labels, body })
    }

    fn try_statement(&mut self) -> PResult<StmtKind> {
        self.advance();
        let body = Box::new(self.block()?);
        let mut catches = Vec::new();
        while self.eat_kw(Kw::Catch) {
            catches.push(self.catch_clause()?);
        }
        let finally = if self.eat_kw(Kw::Finally) {
            Some(Box::new(self.block()?))
        } else {
            None
        };
        if catches.is_empty() && finally.is_none() {
            return Err(self.error_here("expected 'catch' or 'finally'"));
        }
        Ok(StmtKind::Try {
            body,
            catches,
            finally,
        })
    }

    fn catch_clause(&mut self) -> PResult<Catch> {
        let (mut ty, mut name) = (None, None);
        if self.eat(P::LParen) {
            ty = Some(self.type_ref(TypeCtx::Declaration)?);
            if matches!(self.peek(), Tok::Ident(_)) {
                name = Some(self.ident()?);
            }
            self.expect(P::RParen)?;
        }
        if matches!(self.peek(), Tok::Ident(w) if w == "when") {
            let span = self.span();
            return Err(self.error_at(span, "exception filters are not supported by Gatehouse"));
        }
        Ok(Catch {
            ty,
            name,
            body: Box::new(self.block()?),
        })
    }
}

/// `var` means "infer"; every other type is explicit.
fn explicit_type(ty: TypeRef) -> Option<TypeRef> {
    let is_var = matches!(&ty.kind, TypeKind::Named { path, args } if path.len() == 1 && path[0] == "var" && args.is_empty());
    if is_var { None } else { Some(ty) }
}
