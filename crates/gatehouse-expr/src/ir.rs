//! The compiled form the evaluator runs: names resolved to local slots, members and methods to
//! enums, operators to their C# meaning for the operand types, casts to conversion kinds.
//!
//! Built by the checker from the syntax tree; immutable and shared (`Arc`) afterwards.

use crate::ast::BinOp;
use crate::context::Str;
use crate::stdlib::{Func, Prop};
use crate::types::Ty;
use crate::value::Value;

/// A local variable's index in the evaluation frame.
pub(crate) type Slot = u16;

/// A compiled lambda: parameters live in slots of the enclosing frame.
#[derive(Debug)]
pub(crate) struct Lambda {
    pub(crate) params: Vec<Slot>,
    pub(crate) body: LambdaBody,
}

/// A compiled local function. Its parameters and locals are the frame slots in
/// `frame.0..frame.1`, which the evaluator saves and restores around each call.
#[derive(Debug)]
pub(crate) struct Function {
    pub(crate) params: Vec<Slot>,
    pub(crate) body: LambdaBody,
    pub(crate) frame: (Slot, Slot),
}

#[derive(Debug)]
pub(crate) enum LambdaBody {
    Expr(Node),
    Block(Stmt),
}

/// How a value is converted by a cast or an implicit conversion.
#[derive(Clone, Debug)]
pub(crate) enum Conversion {
    /// `(T)x` from a statically numeric (or char) value: a numeric conversion.
    Numeric(Ty),
    /// `(T)x` from `object`: unboxing or a reference check, failing with `InvalidCastException`.
    Check(Ty),
    /// `(string)token`, `(int)token`…: Newtonsoft's explicit conversions out of a `JToken`.
    FromJson(Ty),
    /// Implicit conversion into a `JToken` (`obj["a"] = "x"`).
    ToJson,
    /// `(string)element`, `(int)attribute`…: LINQ to XML's explicit conversions.
    FromXml(Ty),
    /// A string where an `XName` or `XNamespace` is expected: C#'s implicit conversions.
    ToXml(crate::types::XmlTy),
    /// `(T?)x` and other conversions that keep the value.
    Identity,
    /// `DateTime` to `DateTimeOffset`, implicit in C#: offset 0, since local time is UTC.
    ToOffset,
    /// `(byte)x`, `(short)x`…: the integer types carried as `int` or `long` keep only their
    /// own bits, as C#'s unchecked conversions do.
    Narrow(Narrow),
}

/// An integer type narrower than the `int` or `long` that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Narrow {
    Byte,
    SByte,
    Short,
    UShort,
    UInt,
}

/// Unary operators, typed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum UnaryOp {
    Not,
    Neg,
    BitNot,
}

/// One piece of an interpolated string.
#[derive(Debug)]
pub(crate) enum Piece {
    Text(Str),
    Value {
        node: Node,
        format: Option<Str>,
        alignment: i32,
    },
}

/// Where an assignment writes.
#[derive(Debug)]
pub(crate) enum Place {
    Local(Slot),
    /// `target[key] = value`, through the indexer's setter (and getter for `+=`).
    Index {
        target: Box<Node>,
        key: Box<Node>,
        getter: Func,
        setter: Func,
    },
    /// `target.Name = value`, through the property's setter (and getter for `+=`).
    Member {
        target: Box<Node>,
        getter: Option<Prop>,
        setter: Func,
    },
}

/// An expression node.
#[derive(Debug)]
pub(crate) enum Node {
    Const(Value),
    Local(Slot),
    Prop(Box<Node>, Prop),
    Call(Box<Call>),
    Unary(UnaryOp, Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Coalesce(Box<Node>, Box<Node>),
    /// `x == null` (or `!=` when `negate`), tested without materialising `x` when possible.
    IsNull {
        operand: Box<Node>,
        negate: bool,
    },
    /// `x == "constant"` (or `!=`) for a string `x`: ordinal, without cloning the constant.
    StrEq {
        operand: Box<Node>,
        constant: Str,
        negate: bool,
    },
    Cond(Box<Node>, Box<Node>, Box<Node>),
    /// `target?.access`: `access` reads the target from `slot`.
    CondAccess {
        target: Box<Node>,
        slot: Slot,
        access: Box<Node>,
    },
    Convert(Box<Node>, Conversion),
    /// `x is T [name]`; the binding slot receives the value when it matches.
    Is {
        operand: Box<Node>,
        ty: Ty,
        binding: Option<Slot>,
    },
    As(Box<Node>, Ty),
    Interp(Vec<Piece>),
    Assign(Place, Box<Node>),
    /// `x op= y` and `x++`: `prefix` says whether the result is the new value.
    Update {
        place: Place,
        op: BinOp,
        value: Box<Node>,
        prefix: bool,
    },
    Lambda(std::sync::Arc<Lambda>),
    Throw(Box<Node>),
    /// A call of local function `id` (an index into the expression's functions).
    Invoke(usize, Vec<Node>),
}

/// A call of a built-in method, property getter with arguments, indexer or constructor.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) func: Func,
    pub(crate) target: Option<Node>,
    pub(crate) args: Vec<Node>,
}

/// A statement of a `@{ … }` block.
#[derive(Debug)]
pub(crate) enum Stmt {
    Block(Vec<Stmt>),
    Let(Slot, Node),
    Expr(Node),
    If(Node, Box<Stmt>, Option<Box<Stmt>>),
    Return(Node),
    Foreach {
        slot: Slot,
        seq: Node,
        body: Box<Stmt>,
    },
    While {
        cond: Node,
        body: Box<Stmt>,
        step: Vec<Node>,
        check_first: bool,
    },
    Switch {
        subject: Node,
        sections: Vec<(Vec<Option<Node>>, Vec<Stmt>)>,
    },
    Break,
    Continue,
    Try {
        body: Box<Stmt>,
        catches: Vec<CatchClause>,
        finally: Option<Box<Stmt>>,
    },
    Throw(Option<Node>),
}

/// A `switch` section: its `case` labels (`None` is `default`) and statements.
pub(crate) type SwitchSection = (Vec<Option<Node>>, Vec<Stmt>);

/// `catch (T name) { … }`; `type_name` `None` catches everything.
#[derive(Debug)]
pub(crate) struct CatchClause {
    pub(crate) type_name: Option<String>,
    pub(crate) slot: Option<Slot>,
    pub(crate) body: Stmt,
}

/// The whole compiled expression.
#[derive(Debug)]
pub(crate) enum Program {
    Expr(Node),
    Block(Vec<Stmt>),
}
