//! Statements, and the rule that every path of a block returns.

use super::Checker;
use crate::ast::{self, Expr, ExprKind, Lit, Stmt, StmtKind};
use crate::ir;
use crate::types::{Ty, resolve_type};
use crate::value::Value;

impl Checker {
    pub(super) fn stmts(&mut self, stmts: &[Stmt]) -> Vec<ir::Stmt> {
        // Local functions are visible in their whole block, before their declaration too.
        self.declare_functions(stmts);
        stmts.iter().map(|s| self.stmt(s)).collect()
    }

    pub(super) fn stmt(&mut self, s: &Stmt) -> ir::Stmt {
        match &s.kind {
            StmtKind::Block(stmts) => {
                self.push_scope();
                let body = self.stmts(stmts);
                self.pop_scope();
                ir::Stmt::Block(body)
            }
            StmtKind::Local { ty, decls } => self.local(ty.as_ref(), decls),
            StmtKind::Expr(e) => self.expr_stmt(e),
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.condition(cond);
                let then = Box::new(self.scoped(then));
                let otherwise = otherwise.as_ref().map(|o| Box::new(self.scoped(o)));
                ir::Stmt::If(cond, then, otherwise)
            }
            StmtKind::Return(value) => self.return_stmt(value.as_ref(), s),
            StmtKind::Foreach {
                ty,
                name,
                seq,
                body,
            } => self.foreach(ty.as_ref(), name, seq, body),
            _ => self.stmt_other(s),
        }
    }

    fn stmt_other(&mut self, s: &Stmt) -> ir::Stmt {
        match &s.kind {
            StmtKind::For {
                init,
                cond,
                step,
                body,
            } => self.for_loop(init, cond.as_ref(), step, body),
            StmtKind::While { cond, body } => self.while_loop(cond, body, true),
            StmtKind::DoWhile { body, cond } => self.while_loop(cond, body, false),
            StmtKind::Switch { subject, sections } => self.switch(subject, sections),
            StmtKind::Break | StmtKind::Continue => self.jump(s),
            StmtKind::Try {
                body,
                catches,
                finally,
            } => self.try_stmt(body, catches, finally.as_deref()),
            StmtKind::Throw(value) => self.throw_stmt(value.as_ref(), s),
            StmtKind::LocalFunction(function) => self.local_function(function),
            StmtKind::Empty => ir::Stmt::Block(Vec::new()),
            _ => ir::Stmt::Block(Vec::new()),
        }
    }

    /// A statement in its own scope (the branch of an `if`, a loop body).
    fn scoped(&mut self, s: &Stmt) -> ir::Stmt {
        self.push_scope();
        let out = self.stmt(s);
        self.pop_scope();
        out
    }

    fn local(
        &mut self,
        ty: Option<&ast::TypeRef>,
        decls: &[(ast::Ident, Option<Expr>)],
    ) -> ir::Stmt {
        let declared = ty.map(|t| resolve_type(t).map_err(|m| (t.span, m)));
        let declared = match declared {
            Some(Err((span, message))) => {
                self.problem(span, message);
                Some(Ty::Error)
            }
            Some(Ok(ty)) => Some(ty),
            None => None,
        };
        let mut out = Vec::new();
        for (name, init) in decls {
            out.push(self.declaration(declared.as_ref(), name, init.as_ref()));
        }
        if out.len() == 1 {
            out.remove(0)
        } else {
            ir::Stmt::Block(out)
        }
    }

    fn declaration(
        &mut self,
        declared: Option<&Ty>,
        name: &ast::Ident,
        init: Option<&Expr>,
    ) -> ir::Stmt {
        let Some(init) = init else {
            let ty = declared.cloned().unwrap_or_else(|| {
                self.problem(name.span, "implicitly-typed variables must be initialized");
                Ty::Error
            });
            let default = crate::stdlib::host::default_of(Some(&ty));
            let slot = self.declare(name, ty);
            return ir::Stmt::Let(slot, ir::Node::Const(default));
        };

        let (node, ty) = self.expr(init);
        let local_ty = match declared {
            Some(declared) => {
                self.expect_assignable(declared, &ty, init.span);
                declared.clone()
            }
            None if matches!(ty, Ty::Null | Ty::Void | Ty::Lambda) => {
                let message = format!(
                    "cannot assign {} to an implicitly-typed variable",
                    ty.display()
                );
                self.problem(init.span, message);
                Ty::Error
            }
            None => ty.clone(),
        };
        let node = self.coerce(node, &ty, &local_ty);
        let slot = self.declare(name, local_ty);
        ir::Stmt::Let(slot, node)
    }

    fn expr_stmt(&mut self, e: &Expr) -> ir::Stmt {
        let allowed = matches!(
            e.kind,
            ExprKind::Call { .. }
                | ExprKind::Assign { .. }
                | ExprKind::IncDec { .. }
                | ExprKind::New { .. }
                | ExprKind::Throw(_)
        );
        if !allowed {
            self.problem(e.span, "only assignment, call, increment, decrement and new object expressions can be used as a statement");
        }
        let (node, _) = self.expr(e);
        ir::Stmt::Expr(node)
    }

    fn return_stmt(&mut self, value: Option<&Expr>, s: &Stmt) -> ir::Stmt {
        let declared = match self.returns.last() {
            Some(super::ReturnFrame::Function(ty)) => Some(ty.clone()),
            _ => None,
        };
        if let Some(declared) = declared {
            return self.function_return(&declared, value, s);
        }
        let Some(value) = value else {
            if self.returns.is_empty() {
                self.problem(s.span, "a policy expression must return a value");
            }
            return ir::Stmt::Return(ir::Node::Const(Value::Null));
        };
        let (node, ty) = self.expr(value);
        if let Some(super::ReturnFrame::Lambda(returns)) = self.returns.last_mut() {
            returns.push(ty);
        }
        ir::Stmt::Return(node)
    }

    fn foreach(
        &mut self,
        ty: Option<&ast::TypeRef>,
        name: &ast::Ident,
        seq: &Expr,
        body: &Stmt,
    ) -> ir::Stmt {
        let (seq_node, seq_ty) = self.expr(seq);
        let elem = match seq_ty.elem() {
            Some(elem) => elem,
            None => {
                let message = format!(
                    "foreach cannot operate on a value of type '{}'",
                    seq_ty.display()
                );
                self.problem(seq.span, message);
                Ty::Error
            }
        };
        let item_ty = match ty.map(resolve_type) {
            Some(Ok(ty)) => ty,
            Some(Err(message)) => {
                self.problem(seq.span, message);
                Ty::Error
            }
            None => elem,
        };

        self.push_scope();
        let slot = self.declare(name, item_ty);
        self.loops += 1;
        self.breakables += 1;
        let body = Box::new(self.stmt(body));
        self.loops -= 1;
        self.breakables -= 1;
        self.pop_scope();
        ir::Stmt::Foreach {
            slot,
            seq: seq_node,
            body,
        }
    }

    fn for_loop(
        &mut self,
        init: &[Stmt],
        cond: Option<&Expr>,
        step: &[Expr],
        body: &Stmt,
    ) -> ir::Stmt {
        self.push_scope();
        let mut out = self.stmts(init);
        let cond = match cond {
            Some(cond) => self.condition(cond),
            None => ir::Node::Const(Value::Bool(true)),
        };
        let step = step.iter().map(|e| self.expr(e).0).collect();
        let body = Box::new(self.loop_body(body));
        self.pop_scope();
        out.push(ir::Stmt::While {
            cond,
            body,
            step,
            check_first: true,
        });
        ir::Stmt::Block(out)
    }

    fn while_loop(&mut self, cond: &Expr, body: &Stmt, check_first: bool) -> ir::Stmt {
        let cond = self.condition(cond);
        let body = Box::new(self.loop_body(body));
        ir::Stmt::While {
            cond,
            body,
            step: Vec::new(),
            check_first,
        }
    }

    fn loop_body(&mut self, body: &Stmt) -> ir::Stmt {
        self.loops += 1;
        self.breakables += 1;
        let body = self.scoped(body);
        self.loops -= 1;
        self.breakables -= 1;
        body
    }

    fn switch(&mut self, subject: &Expr, sections: &[ast::SwitchSection]) -> ir::Stmt {
        let (subject, _) = self.expr(subject);
        self.breakables += 1;
        let mut out = Vec::new();
        for section in sections {
            let labels = section
                .labels
                .iter()
                .map(|l| l.as_ref().map(|e| self.expr(e).0))
                .collect();
            self.push_scope();
            let body = self.stmts(&section.body);
            self.pop_scope();
            out.push((labels, body));
        }
        self.breakables -= 1;
        ir::Stmt::Switch {
            subject,
            sections: out,
        }
    }

    fn jump(&mut self, s: &Stmt) -> ir::Stmt {
        let is_break = matches!(s.kind, StmtKind::Break);
        let allowed = if is_break {
            self.breakables > 0
        } else {
            self.loops > 0
        };
        if !allowed {
            self.problem(
                s.span,
                "no enclosing loop out of which to break or continue",
            );
        }
        if is_break {
            ir::Stmt::Break
        } else {
            ir::Stmt::Continue
        }
    }

    fn try_stmt(
        &mut self,
        body: &Stmt,
        catches: &[ast::Catch],
        finally: Option<&Stmt>,
    ) -> ir::Stmt {
        let body = Box::new(self.scoped(body));
        let mut clauses = Vec::new();
        for catch in catches {
            self.push_scope();
            let type_name = catch.ty.as_ref().map(|t| t.display());
            let slot = catch.name.as_ref().map(|n| self.declare(n, Ty::Exception));
            self.catches += 1;
            let body = self.stmt(&catch.body);
            self.catches -= 1;
            self.pop_scope();
            clauses.push(ir::CatchClause {
                type_name,
                slot,
                body,
            });
        }
        let finally = finally.map(|f| Box::new(self.scoped(f)));
        ir::Stmt::Try {
            body,
            catches: clauses,
            finally,
        }
    }

    fn throw_stmt(&mut self, value: Option<&Expr>, s: &Stmt) -> ir::Stmt {
        match value {
            Some(value) => ir::Stmt::Throw(Some(self.expr(value).0)),
            None => {
                if self.catches == 0 {
                    self.problem(s.span, "a throw statement with no arguments is not allowed outside of a catch clause");
                }
                ir::Stmt::Throw(None)
            }
        }
    }
}

/// Whether every path through `stmts` ends in `return` or `throw` (C#'s reachability rules,
/// with `while (true)` and `for (;;)` treated as endless unless they contain `break`).
pub(super) fn all_paths_return(stmts: &[Stmt]) -> bool {
    stmts.iter().any(returns)
}

fn returns(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Return(_) | StmtKind::Throw(_) => true,
        StmtKind::Block(stmts) => all_paths_return(stmts),
        StmtKind::If {
            then,
            otherwise: Some(otherwise),
            ..
        } => returns(then) && returns(otherwise),
        StmtKind::Try {
            body,
            catches,
            finally,
        } => {
            let handled = returns(body) && catches.iter().all(|c| returns(&c.body));
            handled || finally.as_deref().is_some_and(returns)
        }
        StmtKind::Switch { sections, .. } => {
            let has_default = sections
                .iter()
                .any(|s| s.labels.iter().any(Option::is_none));
            has_default && sections.iter().all(|s| all_paths_return(&s.body))
        }
        StmtKind::While { cond, body } => is_true(cond) && !breaks(body),
        StmtKind::For {
            cond: None, body, ..
        } => !breaks(body),
        StmtKind::For {
            cond: Some(cond),
            body,
            ..
        } => is_true(cond) && !breaks(body),
        StmtKind::DoWhile { body, cond } => returns(body) || (is_true(cond) && !breaks(body)),
        _ => false,
    }
}

fn is_true(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Lit(Lit::Bool(true)))
}

/// Whether a `break` in `s` leaves the loop `s` is the body of.
fn breaks(s: &Stmt) -> bool {
    match &s.kind {
        StmtKind::Break => true,
        StmtKind::Block(stmts) => stmts.iter().any(breaks),
        StmtKind::If {
            then, otherwise, ..
        } => breaks(then) || otherwise.as_deref().is_some_and(breaks),
        StmtKind::Try {
            body,
            catches,
            finally,
        } => {
            breaks(body)
                || catches.iter().any(|c| breaks(&c.body))
                || finally.as_deref().is_some_and(breaks)
        }
        _ => false,
    }
}
