//! The checker: syntax tree to the evaluator's resolved form.
//!
//! It plays the C# compiler's part for the subset: resolves names to locals, `context`, types
//! and namespaces; infers a static type for every expression; resolves members, methods,
//! indexers and operators against those types (unknown ones are errors with their position);
//! decides what each cast does; checks that every path of a block returns. Problems are
//! collected and checking continues with an error type, so one mistake is reported once and
//! independent mistakes are all reported.

mod call;
mod expr;
mod function;
mod ops;
mod stmt;

use crate::ast;
use crate::diag::{Problem, Span};
use crate::ir::{Node, Program, Slot};
use crate::types::Ty;
use crate::value::Value;

/// The most locals (including temporaries) one expression may declare.
const MAX_SLOTS: usize = u16::MAX as usize;

/// A declared local variable.
struct Local {
    name: String,
    slot: Slot,
    ty: Ty,
}

/// Checker state for one expression.
pub(crate) struct Checker {
    problems: Vec<Problem>,
    scopes: Vec<Vec<Local>>,
    slots: usize,
    /// Enclosing loops (for `continue`) and loops or switches (for `break`).
    loops: usize,
    breakables: usize,
    catches: usize,
    /// What `return` returns from, innermost last: a lambda (collecting the types returned)
    /// or a local function (with its declared type). Empty at the top of a `@{ }` block.
    returns: Vec<ReturnFrame>,
    /// Local functions declared in each scope (parallel to `scopes`), by name and index.
    function_names: Vec<Vec<(String, usize)>>,
    /// Every local function's signature and, once its declaration is checked, its body.
    functions: Vec<function::Declared>,
}

/// What a `return` statement returns from.
enum ReturnFrame {
    Lambda(Vec<Ty>),
    Function(Ty),
}

/// The checked program, its local functions, its frame size, and the problems found.
pub(crate) struct Checked {
    pub(crate) program: Program,
    pub(crate) functions: Vec<crate::ir::Function>,
    pub(crate) slots: usize,
    pub(crate) problems: Vec<Problem>,
}

/// Checks the body of `@( … )`.
pub(crate) fn check_expression(expr: &ast::Expr) -> Checked {
    let mut checker = Checker::new();
    let (node, ty) = checker.expr(expr);
    if ty == Ty::Lambda {
        checker.problem(expr.span, "a lambda expression is not a policy value");
    }
    checker.finish(Program::Expr(node))
}

/// Checks the statements of `@{ … }`; `whole` locates the block for the missing-return error.
pub(crate) fn check_block(stmts: &[ast::Stmt], whole: Span) -> Checked {
    let mut checker = Checker::new();
    let body = checker.stmts(stmts);
    if !stmt::all_paths_return(stmts) {
        checker.problem(whole, "not all code paths return a value: every path of a '@{ }' block must end with 'return'");
    }
    checker.finish(Program::Block(body))
}

impl Checker {
    fn new() -> Self {
        Self {
            problems: Vec::new(),
            scopes: vec![Vec::new()],
            slots: 0,
            loops: 0,
            breakables: 0,
            catches: 0,
            returns: Vec::new(),
            function_names: vec![Vec::new()],
            functions: Vec::new(),
        }
    }

    fn finish(self, program: Program) -> Checked {
        Checked {
            program,
            functions: self
                .functions
                .into_iter()
                .map(function::Declared::finish)
                .collect(),
            slots: self.slots,
            problems: self.problems,
        }
    }

    /// Records a problem.
    fn problem(&mut self, span: Span, message: impl Into<String>) {
        self.problems.push(Problem::new(span, message));
    }

    /// Records a problem and yields the error placeholder.
    fn fail(&mut self, span: Span, message: impl Into<String>) -> (Node, Ty) {
        self.problem(span, message);
        error_node()
    }

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
        self.function_names.push(Vec::new());
    }

    fn pop_scope(&mut self) {
        self.scopes.pop();
        self.function_names.pop();
    }

    /// A fresh frame slot.
    fn temp(&mut self) -> Slot {
        let slot = Slot::try_from(self.slots.min(MAX_SLOTS - 1)).unwrap_or(Slot::MAX);
        self.slots += 1;
        slot
    }

    /// Declares a local in the innermost scope; C# forbids reusing a name still in scope.
    fn declare(&mut self, name: &ast::Ident, ty: Ty) -> Slot {
        if self.slots >= MAX_SLOTS {
            self.problem(name.span, "too many local variables");
        }
        if self.lookup(&name.name).is_some() {
            let message = format!(
                "a local variable named '{}' is already defined in this scope",
                name.name
            );
            self.problem(name.span, message);
        }
        let slot = self.temp();
        let local = Local {
            name: name.name.clone(),
            slot,
            ty,
        };
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(local);
        }
        slot
    }

    fn lookup(&self, name: &str) -> Option<(Slot, Ty)> {
        let mut locals = self
            .scopes
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev());
        locals
            .find(|l| l.name == name)
            .map(|l| (l.slot, l.ty.clone()))
    }
}

/// The placeholder for an expression that failed to check.
fn error_node() -> (Node, Ty) {
    (Node::Const(Value::Null), Ty::Error)
}
