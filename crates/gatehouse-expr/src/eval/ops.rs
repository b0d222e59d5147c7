//! Operators with C# semantics: numeric promotion, unchecked integer arithmetic, lifted null,
//! ordinal string equality, date arithmetic.

use std::cmp::Ordering;

use super::Machine;
use crate::ast::BinOp;
use crate::error::EvalError;
use crate::ir::UnaryOp;
use crate::value::{DateTime, TimeSpan, Value, XName, XmlValue};

/// A numeric operand after C#'s binary numeric promotion.
#[derive(Clone, Copy)]
enum Num {
    Int(i32),
    Long(i64),
    Double(f64),
}

fn promote(a: &Value, b: &Value) -> Option<(Num, Num)> {
    let (a, b) = (num(a)?, num(b)?);
    Some(match (a, b) {
        (Num::Double(_), _) | (_, Num::Double(_)) => {
            (Num::Double(as_f64(a)), Num::Double(as_f64(b)))
        }
        (Num::Long(_), _) | (_, Num::Long(_)) => (Num::Long(as_i64(a)), Num::Long(as_i64(b))),
        _ => (a, b),
    })
}

fn num(value: &Value) -> Option<Num> {
    Some(match value {
        Value::Int(i) => Num::Int(*i),
        Value::Char(c) => Num::Int(*c as i32),
        Value::Long(l) => Num::Long(*l),
        Value::Double(d) => Num::Double(*d),
        _ => return None,
    })
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::Int(i) => f64::from(i),
        Num::Long(l) => l as f64,
        Num::Double(d) => d,
    }
}

fn as_i64(n: Num) -> i64 {
    match n {
        Num::Int(i) => i64::from(i),
        Num::Long(l) => l,
        Num::Double(d) => d as i64,
    }
}

pub(crate) fn unary(op: UnaryOp, value: Value) -> Result<Value, EvalError> {
    Ok(match (op, value) {
        (_, Value::Null) => Value::Null,
        (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
        (UnaryOp::Neg, Value::Int(i)) => Value::Int(i.wrapping_neg()),
        (UnaryOp::Neg, Value::Char(c)) => Value::Int(-(c as i32)),
        (UnaryOp::Neg, Value::Long(l)) => Value::Long(l.wrapping_neg()),
        (UnaryOp::Neg, Value::Double(d)) => Value::Double(-d),
        (UnaryOp::Neg, Value::TimeSpan(t)) => Value::TimeSpan(TimeSpan { ticks: -t.ticks }),
        (UnaryOp::BitNot, Value::Int(i)) => Value::Int(!i),
        (UnaryOp::BitNot, Value::Long(l)) => Value::Long(!l),
        (_, other) => return Err(EvalError::cast(other.type_name(), "a numeric type")),
    })
}

pub(crate) fn binary(m: &Machine<'_>, op: BinOp, a: Value, b: Value) -> Result<Value, EvalError> {
    match op {
        BinOp::Eq => Ok(Value::Bool(values_equal(&a, &b))),
        BinOp::Ne => Ok(Value::Bool(!values_equal(&a, &b))),
        BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => Ok(Value::Bool(relational(op, &a, &b))),
        // `namespace + "local"` makes an `XName`.
        BinOp::Add if matches!(a, Value::Xml(XmlValue::Namespace(_))) => {
            let (Value::Xml(XmlValue::Namespace(namespace)), Value::Str(local)) = (a, b) else {
                return Err(EvalError::argument(
                    "Value cannot be null. (Parameter 'localName')",
                ));
            };
            Ok(Value::Xml(XmlValue::Name(XName { namespace, local })))
        }
        BinOp::Add if matches!(a, Value::Str(_)) || matches!(b, Value::Str(_)) => {
            let (mut text, more) = (m.display(&a), m.display(&b));
            m.check_new_string(text.len().checked_add(more.len()))?;
            text.push_str(&more);
            Ok(Value::from(text))
        }
        _ if a.is_null() || b.is_null() => Ok(Value::Null),
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor if matches!(a, Value::Bool(_)) => {
            logical(op, &a, &b)
        }
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor if matches!(a, Value::Enum(_)) => {
            flags(op, &a, &b)
        }
        BinOp::Add | BinOp::Sub => match dates(op, &a, &b) {
            Some(result) => result,
            None => arithmetic(op, &a, &b),
        },
        _ => arithmetic(op, &a, &b),
    }
}

fn logical(op: BinOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let (Value::Bool(a), Value::Bool(b)) = (a, b) else {
        return Err(EvalError::cast(b.type_name(), "System.Boolean"));
    };
    Ok(Value::Bool(match op {
        BinOp::BitAnd => *a & *b,
        BinOp::BitOr => *a | *b,
        _ => *a ^ *b,
    }))
}

/// `RegexOptions.IgnoreCase | RegexOptions.Multiline`.
fn flags(op: BinOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let (Value::Enum(x), Value::Enum(y)) = (a, b) else {
        return Err(EvalError::cast(b.type_name(), a.type_name()));
    };
    let value = match op {
        BinOp::BitAnd => x.value & y.value,
        BinOp::BitOr => x.value | y.value,
        _ => x.value ^ y.value,
    };
    Ok(Value::Enum(crate::value::EnumValue { ty: x.ty, value }))
}

fn arithmetic(op: BinOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let Some(pair) = promote(a, b) else {
        return Err(EvalError::NotSupported {
            what: format!(
                "Operator '{}' on '{}' and '{}'",
                op.as_str(),
                a.type_name(),
                b.type_name()
            ),
        });
    };
    match pair {
        (Num::Int(x), Num::Int(y)) => int_op(op, x, y),
        (Num::Long(x), Num::Long(y)) => long_op(op, x, y),
        (x, y) => double_op(op, as_f64(x), as_f64(y)),
    }
}

fn int_op(op: BinOp, x: i32, y: i32) -> Result<Value, EvalError> {
    if matches!(op, BinOp::Div | BinOp::Rem) && y == 0 {
        return Err(EvalError::DivideByZero);
    }
    let shift = (y & 31) as u32;
    Ok(Value::Int(match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        BinOp::Div => x.wrapping_div(y),
        BinOp::Rem => x.wrapping_rem(y),
        BinOp::BitAnd => x & y,
        BinOp::BitOr => x | y,
        BinOp::BitXor => x ^ y,
        BinOp::Shl => x.wrapping_shl(shift),
        BinOp::Shr => x.wrapping_shr(shift),
        _ => {
            return Err(EvalError::NotSupported {
                what: format!("Operator '{}'", op.as_str()),
            });
        }
    }))
}

fn long_op(op: BinOp, x: i64, y: i64) -> Result<Value, EvalError> {
    if matches!(op, BinOp::Div | BinOp::Rem) && y == 0 {
        return Err(EvalError::DivideByZero);
    }
    let shift = (y & 63) as u32;
    Ok(Value::Long(match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        BinOp::Div => x.wrapping_div(y),
        BinOp::Rem => x.wrapping_rem(y),
        BinOp::BitAnd => x & y,
        BinOp::BitOr => x | y,
        BinOp::BitXor => x ^ y,
        BinOp::Shl => x.wrapping_shl(shift),
        BinOp::Shr => x.wrapping_shr(shift),
        _ => {
            return Err(EvalError::NotSupported {
                what: format!("Operator '{}'", op.as_str()),
            });
        }
    }))
}

fn double_op(op: BinOp, x: f64, y: f64) -> Result<Value, EvalError> {
    Ok(Value::Double(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Rem => x % y,
        _ => {
            return Err(EvalError::NotSupported {
                what: format!("Operator '{}' on double", op.as_str()),
            });
        }
    }))
}

/// `DateTime ± TimeSpan`, `DateTime - DateTime`, `TimeSpan ± TimeSpan`.
fn dates(op: BinOp, a: &Value, b: &Value) -> Option<Result<Value, EvalError>> {
    let sign = if op == BinOp::Sub { -1 } else { 1 };
    let value = match (a, b) {
        (Value::DateTime(at), Value::TimeSpan(span)) => {
            let ticks = at.ticks.checked_add(sign * span.ticks);
            match ticks.and_then(|t| DateTime::checked(t, at.kind)) {
                Some(at) => Value::DateTime(at),
                None => {
                    return Some(Err(EvalError::argument(
                        "The added or subtracted value results in an un-representable DateTime.",
                    )));
                }
            }
        }
        (Value::DateTime(x), Value::DateTime(y)) if op == BinOp::Sub => Value::TimeSpan(TimeSpan {
            ticks: x.ticks - y.ticks,
        }),
        (Value::TimeSpan(x), Value::TimeSpan(y)) => Value::TimeSpan(TimeSpan {
            ticks: x.ticks.wrapping_add(sign * y.ticks),
        }),
        _ => return None,
    };
    Some(Ok(value))
}

fn relational(op: BinOp, a: &Value, b: &Value) -> bool {
    let Some(order) = compare(a, b) else {
        return false;
    };
    match op {
        BinOp::Lt => order == Ordering::Less,
        BinOp::Gt => order == Ordering::Greater,
        BinOp::Le => order != Ordering::Greater,
        _ => order != Ordering::Less,
    }
}

/// Orders two values of comparable kinds; `None` when either is null or NaN is involved.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.ticks.cmp(&y.ticks)),
        (Value::DateTimeOffset(x), Value::DateTimeOffset(y)) => {
            Some(x.utc().ticks.cmp(&y.utc().ticks))
        }
        (Value::TimeSpan(x), Value::TimeSpan(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(culture_order(x, y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Enum(x), Value::Enum(y)) => Some(x.value.cmp(&y.value)),
        _ => match promote(a, b)? {
            (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
            (Num::Long(x), Num::Long(y)) => Some(x.cmp(&y)),
            (x, y) => as_f64(x).partial_cmp(&as_f64(y)),
        },
    }
}

/// The order .NET's default (culture-aware) string comparer gives in practice: letters compare
/// without case first, and on a tie lowercase sorts before uppercase. `OrderBy`, `Max` and
/// `string.Compare` use it; `==` stays ordinal.
pub(crate) fn culture_order(a: &str, b: &str) -> Ordering {
    let folded = a
        .chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase));
    folded.then_with(|| {
        a.chars()
            .map(char::is_uppercase)
            .cmp(b.chars().map(char::is_uppercase))
    })
}

/// C# `==`: value equality for numbers, strings (ordinal), dates and enums; reference equality
/// for objects and JSON tokens.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::DateTime(x), Value::DateTime(y)) => x.ticks == y.ticks,
        (Value::DateTimeOffset(x), Value::DateTimeOffset(y)) => x.utc().ticks == y.utc().ticks,
        (Value::TimeSpan(x), Value::TimeSpan(y)) => x == y,
        (Value::Guid(x), Value::Guid(y)) => x == y,
        (Value::Enum(x), Value::Enum(y)) => x == y,
        (Value::Certificate(x), Value::Certificate(y)) => x.thumbprint() == y.thumbprint(),
        (Value::DistinguishedName(x), Value::DistinguishedName(y)) => x == y,
        (Value::Json(x), Value::Json(y)) => x.same(y),
        (Value::List(x), Value::List(y)) => x.same(y),
        (Value::Host(x), Value::Host(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x.same(y),
        (Value::Pair(x), Value::Pair(y)) => values_equal(&x.0, &y.0) && values_equal(&x.1, &y.1),
        (Value::Xml(x), Value::Xml(y)) => x.equals(y),
        (Value::Xml(x), Value::Str(text)) | (Value::Str(text), Value::Xml(x)) => {
            x.equals_text(text)
        }
        (Value::Builder(x), Value::Builder(y)) => x.same(y),
        (Value::Symmetric(x), Value::Symmetric(y)) => x.same(y),
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}
