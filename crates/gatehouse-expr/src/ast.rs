//! The syntax tree the parser builds: C# as written, with a span on every node.
//!
//! Nothing here is resolved: names are strings and types are paths. The checker turns this tree
//! into the evaluator's resolved form (`ir`), so the syntax tree is dropped after compilation.

use crate::diag::Span;
use crate::lexer::Kw;

/// A name and where it was written.
#[derive(Clone, Debug)]
pub(crate) struct Ident {
    pub(crate) name: String,
    pub(crate) span: Span,
}

/// A type as written: `string`, `List<int>`, `byte[]`, `int?`, `Newtonsoft.Json.Linq.JObject`.
#[derive(Clone, Debug)]
pub(crate) struct TypeRef {
    pub(crate) kind: TypeKind,
    pub(crate) span: Span,
}

#[derive(Clone, Debug)]
pub(crate) enum TypeKind {
    Predefined(Kw),
    Named {
        path: Vec<String>,
        args: Vec<TypeRef>,
    },
    Array(Box<TypeRef>),
    Nullable(Box<TypeRef>),
}

impl TypeRef {
    /// The type as C# would print it, for messages.
    pub(crate) fn display(&self) -> String {
        match &self.kind {
            TypeKind::Predefined(kw) => kw.as_str().to_owned(),
            TypeKind::Named { path, args } if args.is_empty() => path.join("."),
            TypeKind::Named { path, args } => {
                let args: Vec<String> = args.iter().map(TypeRef::display).collect();
                format!("{}<{}>", path.join("."), args.join(", "))
            }
            TypeKind::Array(elem) => format!("{}[]", elem.display()),
            TypeKind::Nullable(inner) => format!("{}?", inner.display()),
        }
    }
}

/// An expression node.
#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) span: Span,
}

#[derive(Clone, Debug)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Double(f64),
    Char(char),
    Str(String),
}

#[derive(Clone, Debug)]
pub(crate) enum InterpSeg {
    Text(String),
    Hole {
        expr: Expr,
        format: Option<String>,
        alignment: i32,
    },
}

/// A call argument: `name: value`, `out var x`.
#[derive(Clone, Debug)]
pub(crate) struct Arg {
    pub(crate) name: Option<Ident>,
    pub(crate) value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnOp {
    Not,
    Neg,
    Plus,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    BitOr,
    BitXor,
    BitAnd,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Coalesce,
}

impl BinOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::BitAnd => "&",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Gt => ">",
            BinOp::Le => "<=",
            BinOp::Ge => ">=",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Coalesce => "??",
        }
    }
}

/// The pattern after `is`.
#[derive(Clone, Debug)]
pub(crate) enum Pattern {
    Type { ty: TypeRef, binding: Option<Ident> },
    Const(Box<Expr>),
    NotNull,
}

#[derive(Clone, Debug)]
pub(crate) enum LambdaBody {
    Expr(Box<Expr>),
    Block(Box<Stmt>),
}

#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub(crate) name: Ident,
    pub(crate) ty: Option<TypeRef>,
}

/// `{ Name = value }` or `{ item, item }` after `new T(...)`.
#[derive(Clone, Debug)]
pub(crate) enum Initializer {
    /// `Name = value`: sets a property of the new object.
    Member(Ident, Expr),
    Index(Vec<Expr>, Expr),
    Item(Vec<Expr>),
}

#[derive(Clone, Debug)]
pub(crate) enum ExprKind {
    Lit(Lit),
    Interp(Vec<InterpSeg>),
    Name(Ident),
    /// `string`, `int`… used as an expression, as in `string.IsNullOrEmpty(x)`.
    Predefined(Kw),
    Member {
        target: Box<Expr>,
        name: Ident,
        type_args: Vec<TypeRef>,
        conditional: bool,
    },
    /// `name<T>` standing alone before a call, as in `Foo<int>(x)`.
    Generic {
        name: Ident,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    Index {
        target: Box<Expr>,
        args: Vec<Expr>,
        conditional: bool,
    },
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    IncDec {
        target: Box<Expr>,
        increment: bool,
        prefix: bool,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Assign {
        op: Option<BinOp>,
        target: Box<Expr>,
        value: Box<Expr>,
    },
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Cast {
        ty: TypeRef,
        operand: Box<Expr>,
    },
    Is {
        operand: Box<Expr>,
        pattern: Pattern,
    },
    As {
        operand: Box<Expr>,
        ty: TypeRef,
    },
    Lambda {
        params: Vec<Param>,
        body: LambdaBody,
    },
    New {
        ty: TypeRef,
        args: Vec<Arg>,
        init: Option<Vec<Initializer>>,
    },
    NewArray {
        elem: Option<TypeRef>,
        size: Option<Box<Expr>>,
        items: Option<Vec<Expr>>,
    },
    NewAnonymous {
        members: Vec<(Ident, Expr)>,
    },
    Typeof,
    Default(Option<TypeRef>),
    Throw(Box<Expr>),
    /// `out var x`, `out T x` (`declare`), or `out x` for an existing local.
    OutVar {
        ty: Option<TypeRef>,
        name: Ident,
        declare: bool,
    },
}

/// A statement node.
#[derive(Clone, Debug)]
pub(crate) struct Stmt {
    pub(crate) kind: StmtKind,
    pub(crate) span: Span,
}

#[derive(Clone, Debug)]
pub(crate) struct Catch {
    pub(crate) ty: Option<TypeRef>,
    pub(crate) name: Option<Ident>,
    pub(crate) body: Box<Stmt>,
}

#[derive(Clone, Debug)]
pub(crate) struct SwitchSection {
    /// Case labels; `None` is `default:`.
    pub(crate) labels: Vec<Option<Expr>>,
    pub(crate) body: Vec<Stmt>,
}

#[derive(Clone, Debug)]
pub(crate) enum StmtKind {
    Block(Vec<Stmt>),
    /// `var x = 1, y = 2;` (type `None` means `var`).
    Local {
        ty: Option<TypeRef>,
        decls: Vec<(Ident, Option<Expr>)>,
    },
    Expr(Expr),
    If {
        cond: Expr,
        then: Box<Stmt>,
        otherwise: Option<Box<Stmt>>,
    },
    Return(Option<Expr>),
    Foreach {
        ty: Option<TypeRef>,
        name: Ident,
        seq: Expr,
        body: Box<Stmt>,
    },
    For {
        init: Vec<Stmt>,
        cond: Option<Expr>,
        step: Vec<Expr>,
        body: Box<Stmt>,
    },
    While {
        cond: Expr,
        body: Box<Stmt>,
    },
    DoWhile {
        body: Box<Stmt>,
        cond: Expr,
    },
    Switch {
        subject: Expr,
        sections: Vec<SwitchSection>,
    },
    Break,
    Continue,
    Try {
        body: Box<Stmt>,
        catches: Vec<Catch>,
        finally: Option<Box<Stmt>>,
    },
    Throw(Option<Expr>),
    /// `T Name(U a) { … }` or `T Name(U a) => …;`.
    LocalFunction(Box<LocalFunction>),
    Empty,
}

/// A local function: its return type, name, typed parameters and body. It is visible in the
/// whole block it is declared in, and reads and writes the block's variables.
#[derive(Clone, Debug)]
pub(crate) struct LocalFunction {
    pub(crate) ret: TypeRef,
    pub(crate) name: Ident,
    pub(crate) params: Vec<Param>,
    pub(crate) body: LambdaBody,
}
