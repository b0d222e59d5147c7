//! Local functions: `int Twice(int x) { return 2 * x; }` inside a `@{ }` block.
//!
//! A block's local functions are declared before its statements are checked, so they can be
//! called before their declaration and can call each other. A body runs in the expression's one
//! frame: it reads and writes the block's variables directly (C# closures capture variables, not
//! values), and its own parameters and locals occupy a range of slots the evaluator saves and
//! restores around each call, so a recursive call does not overwrite its caller's locals.

use super::{Checker, ReturnFrame, error_node};
use crate::ast::{self, Arg, Expr, Ident, LambdaBody, StmtKind};
use crate::diag::Span;
use crate::ir::{self, Node, Slot};
use crate::types::{Ty, resolve_type};
use crate::value::Value;

/// A local function as far as checking has got: its signature, and its body once checked.
pub(super) struct Declared {
    params: Vec<Ty>,
    ret: Ty,
    body: Option<ir::Function>,
}

impl Declared {
    /// The compiled function. A declaration whose body was never checked (it had errors, so
    /// the expression does not compile) becomes one that returns null.
    pub(super) fn finish(self) -> ir::Function {
        self.body.unwrap_or_else(|| ir::Function {
            params: Vec::new(),
            body: ir::LambdaBody::Expr(Node::Const(Value::Null)),
            frame: (0, 0),
        })
    }
}

impl Checker {
    /// Declares the local functions among `stmts` in the current scope.
    pub(super) fn declare_functions(&mut self, stmts: &[ast::Stmt]) {
        for stmt in stmts {
            let StmtKind::LocalFunction(function) = &stmt.kind else {
                continue;
            };
            let params = function
                .params
                .iter()
                .map(|p| self.written_type(p.ty.as_ref(), p.name.span))
                .collect();
            let ret = self.written_type(Some(&function.ret), function.ret.span);
            if self.lookup_function(&function.name.name).is_some() {
                let message = format!(
                    "a local function named '{}' is already defined in this scope",
                    function.name.name
                );
                self.problem(function.name.span, message);
            }
            let id = self.functions.len();
            self.functions.push(Declared {
                params,
                ret,
                body: None,
            });
            if let Some(scope) = self.function_names.last_mut() {
                scope.push((function.name.name.clone(), id));
            }
        }
    }

    fn written_type(&mut self, ty: Option<&ast::TypeRef>, span: Span) -> Ty {
        match ty.map(resolve_type) {
            Some(Ok(ty)) => ty,
            Some(Err(message)) => {
                self.problem(span, message);
                Ty::Error
            }
            None => Ty::Error,
        }
    }

    /// The local function `name` visible here, innermost first.
    pub(super) fn lookup_function(&self, name: &str) -> Option<usize> {
        self.function_names
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }

    /// Checks a declaration's body; the declaration itself does nothing at run time.
    pub(super) fn local_function(&mut self, function: &ast::LocalFunction) -> ir::Stmt {
        let Some(id) = self.lookup_function(&function.name.name) else {
            return ir::Stmt::Block(Vec::new());
        };
        let (params, ret) = (
            self.functions[id].params.clone(),
            self.functions[id].ret.clone(),
        );
        let first = self.slots;

        self.push_scope();
        let slots: Vec<Slot> = function
            .params
            .iter()
            .zip(&params)
            .map(|(param, ty)| self.declare(&param.name, ty.clone()))
            .collect();
        // `break`, `continue` and `throw;` cannot reach out of a function body.
        let outer = (self.loops, self.breakables, self.catches);
        (self.loops, self.breakables, self.catches) = (0, 0, 0);
        self.returns.push(ReturnFrame::Function(ret.clone()));
        let body = self.function_body(&function.body, &ret, function.name.span);
        self.returns.pop();
        (self.loops, self.breakables, self.catches) = outer;
        self.pop_scope();

        let frame = (slot(first), slot(self.slots));
        self.functions[id].body = Some(ir::Function {
            params: slots,
            body,
            frame,
        });
        ir::Stmt::Block(Vec::new())
    }

    fn function_body(&mut self, body: &LambdaBody, ret: &Ty, name: Span) -> ir::LambdaBody {
        match body {
            LambdaBody::Expr(value) => {
                let (node, ty) = self.expr(value);
                if *ret == Ty::Void {
                    return ir::LambdaBody::Expr(node);
                }
                self.expect_assignable(ret, &ty, value.span);
                ir::LambdaBody::Expr(self.coerce(node, &ty, ret))
            }
            LambdaBody::Block(block) => {
                let checked = self.stmt(block);
                let returns = match &block.kind {
                    StmtKind::Block(stmts) => super::stmt::all_paths_return(stmts),
                    _ => false,
                };
                if *ret != Ty::Void && !returns {
                    self.problem(
                        name,
                        "not all code paths of the local function return a value",
                    );
                }
                ir::LambdaBody::Block(checked)
            }
        }
    }

    /// `return` inside a local function: a value of the declared type, or none for `void`.
    pub(super) fn function_return(
        &mut self,
        declared: &Ty,
        value: Option<&Expr>,
        s: &ast::Stmt,
    ) -> ir::Stmt {
        match (value, *declared == Ty::Void) {
            (None, true) => ir::Stmt::Return(Node::Const(Value::Null)),
            (None, false) => {
                let message = format!("the local function must return a '{}'", declared.display());
                self.problem(s.span, message);
                ir::Stmt::Return(Node::Const(Value::Null))
            }
            (Some(value), true) => {
                self.expr(value);
                self.problem(value.span, "a 'void' local function cannot return a value");
                ir::Stmt::Return(Node::Const(Value::Null))
            }
            (Some(value), false) => {
                let (node, ty) = self.expr(value);
                self.expect_assignable(declared, &ty, value.span);
                ir::Stmt::Return(self.coerce(node, &ty, declared))
            }
        }
    }

    /// `Name(args)` for a local function.
    pub(super) fn call_function(&mut self, id: usize, name: &Ident, args: &[Arg]) -> (Node, Ty) {
        let (params, ret) = (
            self.functions[id].params.clone(),
            self.functions[id].ret.clone(),
        );
        if args.len() != params.len() {
            for arg in args {
                self.expr(&arg.value);
            }
            let message = format!(
                "the local function '{}' takes {} arguments, not {}",
                name.name,
                params.len(),
                args.len()
            );
            return self.fail(name.span, message);
        }
        let mut nodes = Vec::with_capacity(args.len());
        for (arg, param) in args.iter().zip(&params) {
            if let Some(named) = &arg.name {
                self.problem(named.span, "named arguments are not supported by Gatehouse");
            }
            let (node, ty) = self.expr(&arg.value);
            self.expect_assignable(param, &ty, arg.value.span);
            nodes.push(self.coerce(node, &ty, param));
        }
        if params.contains(&Ty::Error) || ret == Ty::Error {
            return error_node();
        }
        (Node::Invoke(id, nodes), ret)
    }
}

fn slot(count: usize) -> Slot {
    Slot::try_from(count).unwrap_or(Slot::MAX)
}
