//! Operators, casts and type tests: their C# typing rules.

use super::{Checker, error_node};
use crate::ast::{BinOp, Expr, Pattern, TypeRef, UnOp};
use crate::diag::Span;
use crate::ir::{Conversion, Node, Piece, UnaryOp};
use crate::types::{Ty, XmlTy, resolve_type};
use crate::value::Value;

/// C#'s binary numeric promotion, lifted over `T?`.
fn promoted(a: &Ty, b: &Ty) -> Option<Ty> {
    let lifted = matches!(a, Ty::Nullable(_)) || matches!(b, Ty::Nullable(_));
    let (a, b) = (a.unwrap_nullable(), b.unwrap_nullable());
    if !a.is_numeric() || !b.is_numeric() {
        return None;
    }
    let ty = if *a == Ty::Double || *b == Ty::Double {
        Ty::Double
    } else if *a == Ty::Long || *b == Ty::Long {
        Ty::Long
    } else {
        Ty::Int
    };
    Some(if lifted { ty.nullable() } else { ty })
}

fn is_string_like(ty: &Ty) -> bool {
    matches!(ty, Ty::String)
}

impl Checker {
    pub(super) fn unary(&mut self, op: UnOp, operand: &Expr, span: Span) -> (Node, Ty) {
        let (node, ty) = self.expr(operand);
        let inner = ty.unwrap_nullable().clone();
        let (ir_op, ok) = match op {
            UnOp::Not => (UnaryOp::Not, inner == Ty::Bool),
            UnOp::Neg => (UnaryOp::Neg, inner.is_numeric() || inner == Ty::TimeSpan),
            UnOp::Plus => return (node, ty),
            UnOp::BitNot => (UnaryOp::BitNot, matches!(inner, Ty::Int | Ty::Long)),
        };
        if ty == Ty::Error {
            return error_node();
        }
        if !ok {
            return self.fail(
                span,
                format!(
                    "operator '{}' cannot be applied to an operand of type '{}'",
                    unary_text(op),
                    ty.display()
                ),
            );
        }
        let result = if inner == Ty::Char { Ty::Int } else { ty };
        (Node::Unary(ir_op, Box::new(node)), result)
    }

    pub(super) fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) -> (Node, Ty) {
        let left = self.expr(lhs);
        let right = self.expr(rhs);
        self.binary_nodes(op, left, right, span)
    }

    fn binary_nodes(
        &mut self,
        op: BinOp,
        (ln, lt): (Node, Ty),
        (rn, rt): (Node, Ty),
        span: Span,
    ) -> (Node, Ty) {
        if lt == Ty::Error || rt == Ty::Error {
            return error_node();
        }
        let boxed = |n| Box::new(n);
        match op {
            BinOp::And | BinOp::Or => {
                if lt != Ty::Bool || rt != Ty::Bool {
                    return self.operator_error(op, &lt, &rt, span);
                }
                let node = if op == BinOp::And {
                    Node::And(boxed(ln), boxed(rn))
                } else {
                    Node::Or(boxed(ln), boxed(rn))
                };
                (node, Ty::Bool)
            }
            BinOp::Coalesce => self.coalesce(ln, lt, rn, rt, span),
            // `XNamespace + string` names an element or attribute in that namespace.
            BinOp::Add if lt == Ty::Xml(XmlTy::Namespace) && rt == Ty::String => {
                (Node::Binary(op, boxed(ln), boxed(rn)), Ty::Xml(XmlTy::Name))
            }
            BinOp::Add if is_string_like(&lt) || is_string_like(&rt) => {
                (concat(ln, rn), Ty::String)
            }
            BinOp::Eq | BinOp::Ne => match comparable(&lt, &rt) {
                true => (equality(op == BinOp::Ne, (ln, lt), (rn, rt)), Ty::Bool),
                false => self.operator_error(op, &lt, &rt, span),
            },
            _ => match binary_type(op, &lt, &rt) {
                Some(ty) => (Node::Binary(op, boxed(ln), boxed(rn)), ty),
                None => self.operator_error(op, &lt, &rt, span),
            },
        }
    }

    fn operator_error(&mut self, op: BinOp, lt: &Ty, rt: &Ty, span: Span) -> (Node, Ty) {
        let message = format!(
            "operator '{}' cannot be applied to operands of type '{}' and '{}'",
            op.as_str(),
            lt.display(),
            rt.display()
        );
        self.fail(span, message)
    }

    fn coalesce(&mut self, ln: Node, lt: Ty, rn: Node, rt: Ty, span: Span) -> (Node, Ty) {
        let left = lt.unwrap_nullable().clone();
        let ty = if left.assignable_from(&rt) {
            if matches!(rt, Ty::Nullable(_) | Ty::Null) {
                lt.clone()
            } else {
                left
            }
        } else if rt.assignable_from(&lt) {
            rt.clone()
        } else {
            return self.operator_error(BinOp::Coalesce, &lt, &rt, span);
        };
        (Node::Coalesce(Box::new(ln), Box::new(rn)), ty)
    }

    /// Checks `x op= y`.
    pub(super) fn check_compound(&mut self, op: BinOp, place: &Ty, value: &Ty, span: Span) {
        let string_append = op == BinOp::Add && *place == Ty::String;
        let ok = string_append
            || op == BinOp::Coalesce
            || *place == Ty::Error
            || binary_type(op, place, value)
                .is_some_and(|ty| place.assignable_from(&ty) || ty.is_numeric());
        if !ok {
            self.operator_error(op, place, value, span);
        }
    }

    /// Inserts the conversion an implicit conversion needs at run time.
    pub(super) fn coerce(&mut self, node: Node, from: &Ty, to: &Ty) -> Node {
        let numeric_change = from.unwrap_nullable().is_numeric()
            && to.unwrap_nullable().is_numeric()
            && from.unwrap_nullable() != to.unwrap_nullable();
        if numeric_change {
            return Node::Convert(Box::new(node), Conversion::Numeric(to.clone()));
        }
        if is_offset_conversion(from, to) {
            return Node::Convert(Box::new(node), Conversion::ToOffset);
        }
        if let (Ty::String, Ty::Xml(x @ (XmlTy::Name | XmlTy::Namespace))) = (from, to) {
            return Node::Convert(Box::new(node), Conversion::ToXml(*x));
        }
        let into_json =
            to.is_json() && !from.is_json() && !matches!(from, Ty::Null | Ty::Error | Ty::Object);
        if into_json {
            return Node::Convert(Box::new(node), Conversion::ToJson);
        }
        node
    }

    pub(super) fn cast(&mut self, ty: &TypeRef, operand: &Expr) -> (Node, Ty) {
        let (node, from) = self.expr(operand);
        let to = match resolve_type(ty) {
            Ok(to) => to,
            Err(message) => return self.fail(ty.span, message),
        };
        match conversion(&from, &to) {
            Some(conversion) => {
                let converted = Node::Convert(Box::new(node), conversion);
                match crate::types::narrow_type(ty) {
                    Some(narrow) => (
                        Node::Convert(Box::new(converted), Conversion::Narrow(narrow)),
                        to,
                    ),
                    None => (converted, to),
                }
            }
            None => {
                let message = format!(
                    "cannot convert type '{}' to '{}'",
                    from.display(),
                    to.display()
                );
                self.fail(ty.span.to(operand.span), message)
            }
        }
    }

    pub(super) fn is(&mut self, operand: &Expr, pattern: &Pattern) -> (Node, Ty) {
        let (node, from) = self.expr(operand);
        match pattern {
            Pattern::NotNull => {
                let null = Box::new(Node::Const(Value::Null));
                (Node::Binary(BinOp::Ne, Box::new(node), null), Ty::Bool)
            }
            Pattern::Const(value) => {
                let right = self.expr(value);
                let span = operand.span.to(value.span);
                self.binary_nodes(BinOp::Eq, (node, from), right, span)
            }
            Pattern::Type { ty, binding } => {
                let ty = match resolve_type(ty) {
                    Ok(ty) => ty,
                    Err(message) => return self.fail(ty.span, message),
                };
                let binding = binding.as_ref().map(|name| self.declare(name, ty.clone()));
                (
                    Node::Is {
                        operand: Box::new(node),
                        ty,
                        binding,
                    },
                    Ty::Bool,
                )
            }
        }
    }

    pub(super) fn as_cast(&mut self, operand: &Expr, ty: &TypeRef) -> (Node, Ty) {
        let (node, _) = self.expr(operand);
        match resolve_type(ty) {
            Ok(to) if to.admits_null() || matches!(to, Ty::Nullable(_)) => {
                (Node::As(Box::new(node), to.clone()), to)
            }
            Ok(to) => self.fail(
                ty.span,
                format!(
                    "the 'as' operator needs a reference or nullable type, not '{}'",
                    to.display()
                ),
            ),
            Err(message) => self.fail(ty.span, message),
        }
    }
}

fn unary_text(op: UnOp) -> &'static str {
    match op {
        UnOp::Not => "!",
        UnOp::Neg => "-",
        UnOp::Plus => "+",
        UnOp::BitNot => "~",
    }
}

/// `a + b` on strings becomes one interpolation, so `a + b + c` builds a single string.
fn concat(left: Node, right: Node) -> Node {
    let mut pieces = match left {
        Node::Interp(pieces) => pieces,
        other => vec![Piece::Value {
            node: other,
            format: None,
            alignment: 0,
        }],
    };
    match right {
        Node::Const(Value::Str(text)) => pieces.push(Piece::Text(text)),
        other => pieces.push(Piece::Value {
            node: other,
            format: None,
            alignment: 0,
        }),
    }
    Node::Interp(pieces)
}

/// `==`/`!=`, specialised for the two shapes conditions use most: a null test and a comparison
/// of a string with a constant.
fn equality(negate: bool, (ln, lt): (Node, Ty), (rn, rt): (Node, Ty)) -> Node {
    let op = if negate { BinOp::Ne } else { BinOp::Eq };
    match (ln, rn) {
        (Node::Const(Value::Null), operand) | (operand, Node::Const(Value::Null)) => Node::IsNull {
            operand: Box::new(operand),
            negate,
        },
        (Node::Const(Value::Str(constant)), operand) if rt == Ty::String => Node::StrEq {
            operand: Box::new(operand),
            constant,
            negate,
        },
        (operand, Node::Const(Value::Str(constant))) if lt == Ty::String => Node::StrEq {
            operand: Box::new(operand),
            constant,
            negate,
        },
        (ln, rn) => Node::Binary(op, Box::new(ln), Box::new(rn)),
    }
}

/// Whether `==` between the two types compiles in C#.
fn comparable(a: &Ty, b: &Ty) -> bool {
    let (x, y) = (a.unwrap_nullable(), b.unwrap_nullable());
    if x.is_numeric() && y.is_numeric() {
        return true;
    }
    let value_mismatch = x.is_value_type() && y.is_value_type() && x != y;
    let string_vs_value =
        (*x == Ty::String && y.is_value_type()) || (*y == Ty::String && x.is_value_type());
    !value_mismatch && !string_vs_value
}

/// The result type of an arithmetic, relational or bitwise operator.
fn binary_type(op: BinOp, a: &Ty, b: &Ty) -> Option<Ty> {
    let (x, y) = (a.unwrap_nullable(), b.unwrap_nullable());
    match op {
        BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
            let dates = x == y && matches!(x, Ty::DateTime | Ty::DateTimeOffset | Ty::TimeSpan);
            (dates || promoted(x, y).is_some()).then_some(Ty::Bool)
        }
        BinOp::Add | BinOp::Sub => date_arithmetic(op, x, y).or_else(|| promoted(a, b)),
        BinOp::Mul | BinOp::Div | BinOp::Rem => promoted(a, b),
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor if *x == Ty::Bool && *y == Ty::Bool => {
            Some(Ty::Bool)
        }
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor if matches!(x, Ty::Enum(_)) && x == y => {
            Some(x.clone())
        }
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr => {
            promoted(a, b).filter(|t| matches!(t.unwrap_nullable(), Ty::Int | Ty::Long))
        }
        _ => None,
    }
}

fn date_arithmetic(op: BinOp, x: &Ty, y: &Ty) -> Option<Ty> {
    Some(match (x, y) {
        (Ty::DateTime, Ty::TimeSpan) => Ty::DateTime,
        (Ty::DateTime, Ty::DateTime) if op == BinOp::Sub => Ty::TimeSpan,
        (Ty::TimeSpan, Ty::TimeSpan) => Ty::TimeSpan,
        _ => return None,
    })
}

/// What `(to)value` does for a value of static type `from`, or `None` when C# rejects it.
fn conversion(from: &Ty, to: &Ty) -> Option<Conversion> {
    let (f, t) = (from.unwrap_nullable(), to.unwrap_nullable());
    if matches!(from, Ty::Error) {
        return Some(Conversion::Identity);
    }
    if is_offset_conversion(from, to) {
        return Some(Conversion::ToOffset);
    }
    if let (Ty::String, Ty::Xml(x @ (XmlTy::Name | XmlTy::Namespace))) = (from, to) {
        return Some(Conversion::ToXml(*x));
    }
    if matches!(f, Ty::Xml(XmlTy::Element | XmlTy::Attribute)) && xml_target(t) {
        return Some(Conversion::FromXml(to.clone()));
    }
    if (f.is_numeric() || matches!(f, Ty::Enum(_))) && (t.is_numeric() || matches!(t, Ty::Enum(_)))
    {
        return Some(if f == t {
            Conversion::Identity
        } else {
            Conversion::Numeric(to.clone())
        });
    }
    if f.is_json() && !t.is_json() && *t != Ty::Object {
        return json_target(t).then(|| Conversion::FromJson(to.clone()));
    }
    if t.is_json() && !f.is_json() && !matches!(f, Ty::Object | Ty::Null) {
        return Some(Conversion::ToJson);
    }
    if to.assignable_from(from) {
        return Some(Conversion::Identity);
    }
    let downcast =
        matches!(f, Ty::Object) || from.assignable_from(to) || (f.is_json() && t.is_json());
    downcast.then(|| Conversion::Check(to.clone()))
}

/// `DateTime` (or `DateTime?`) where a `DateTimeOffset` is expected.
fn is_offset_conversion(from: &Ty, to: &Ty) -> bool {
    *from.unwrap_nullable() == Ty::DateTime && *to.unwrap_nullable() == Ty::DateTimeOffset
}

/// The types LINQ to XML's explicit conversions of elements and attributes produce.
fn xml_target(ty: &Ty) -> bool {
    matches!(
        ty,
        Ty::String | Ty::Bool | Ty::Int | Ty::Long | Ty::Double | Ty::Guid | Ty::DateTime
    )
}

/// The types Newtonsoft's explicit conversions produce.
fn json_target(ty: &Ty) -> bool {
    matches!(
        ty,
        Ty::String
            | Ty::Bool
            | Ty::Int
            | Ty::Long
            | Ty::Double
            | Ty::DateTime
            | Ty::Guid
            | Ty::Char
    )
}
