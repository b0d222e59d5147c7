//! `System.Text.StringBuilder`: text built in place, shared by every reference.
//!
//! Indexes count Unicode scalar values, as string indexes do in Gatehouse. Every method that
//! grows the text works out the new length and checks the string limit before it builds
//! anything, so a builder cannot grow past what a string may be, nor allocate far past it on
//! the way to being refused. `AppendLine` ends lines with `\n`, `Environment.NewLine` on the Linux hosts the
//! self-hosted gateway runs on.

use super::string::{check_replace, flatten_params, int_arg, string_arg};
use super::{Func, Prop, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::{StringBuilder, Value};

/// `Environment.NewLine` on Linux.
const NEW_LINE: &str = "\n";

/// `StringBuilder.Length`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextProp {
    Length,
}

/// A `StringBuilder` method, indexer or constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextFn {
    New,
    Append,
    /// `Append(char, repeatCount)`.
    AppendRepeated,
    /// `Append(string, startIndex, count)`.
    AppendPart,
    AppendLine,
    AppendFormat,
    Insert,
    Replace,
    Remove,
    Clear,
    ToText,
    /// `ToString(startIndex, length)`.
    ToTextPart,
    Get,
    Set,
    SetLength,
}

pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    (*ty == Ty::StringBuilder && name == "Length")
        .then_some((Prop::Text(TextProp::Length), Ty::Int))
}

/// `sb.Length = n` truncates or pads with `'\0'`.
pub(crate) fn setter(ty: &Ty, name: &str) -> Option<(Func, Ty)> {
    (*ty == Ty::StringBuilder && name == "Length")
        .then_some((Func::Text(TextFn::SetLength), Ty::Int))
}

pub(crate) fn get(target: Value, prop: TextProp) -> Result<Value, EvalError> {
    let TextProp::Length = prop;
    let builder = builder(target)?;
    Ok(Value::Int(count(builder.with_text(|t| t.chars().count()))))
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn ok(f: TextFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Text(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let Recv::Value(Ty::StringBuilder) = sig.recv else {
        return None;
    };
    let builder = Ty::StringBuilder;
    use TextFn::*;
    match (sig.name, sig.args) {
        ("Append", [Ty::Char, Ty::Int]) => ok(AppendRepeated, builder),
        ("Append", [_, Ty::Int, Ty::Int]) => ok(AppendPart, builder),
        ("Append", [_]) => ok(Append, builder),
        ("AppendLine", [] | [_]) => ok(AppendLine, builder),
        ("AppendFormat", [Ty::String, ..]) => ok(AppendFormat, builder),
        ("Insert", [Ty::Int, _]) => ok(Insert, builder),
        ("Replace", [Ty::String | Ty::Null, _] | [Ty::Char, Ty::Char]) => ok(Replace, builder),
        ("Remove", [Ty::Int, Ty::Int]) => ok(Remove, builder),
        ("Clear", []) => ok(Clear, builder),
        ("ToString", []) => ok(ToText, Ty::String),
        ("ToString", [Ty::Int, Ty::Int]) => ok(ToTextPart, Ty::String),
        _ => None,
    }
}

pub(crate) fn indexer(target: &Ty, key: &Ty) -> Option<(Func, Ty)> {
    (*target == Ty::StringBuilder && matches!(key, Ty::Int | Ty::Error))
        .then_some((Func::Text(TextFn::Get), Ty::Char))
}

pub(crate) fn index_setter(target: &Ty) -> Option<(Func, Ty)> {
    (*target == Ty::StringBuilder).then_some((Func::Text(TextFn::Set), Ty::Char))
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    match (ty, args) {
        (Ty::StringBuilder, [] | [Ty::Int] | [Ty::String | Ty::Null] | [Ty::String, Ty::Int]) => {
            Some(Ok(Func::Text(TextFn::New)))
        }
        (Ty::StringBuilder, _) => Some(Err(
            "this StringBuilder constructor is not supported by Gatehouse".to_owned(),
        )),
        _ => None,
    }
}

fn builder(target: Value) -> Result<StringBuilder, EvalError> {
    match non_null(target)? {
        Value::Builder(builder) => Ok(builder),
        other => Err(EvalError::cast(
            other.type_name(),
            "System.Text.StringBuilder",
        )),
    }
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: TextFn,
    target: Value,
    args: Vec<Value>,
) -> Result<Value, EvalError> {
    if f == TextFn::New {
        let initial = match args.first() {
            Some(Value::Str(text)) => text.to_string(),
            _ => String::new(),
        };
        return Ok(Value::Builder(StringBuilder::new(initial)));
    }
    let builder = builder(target)?;
    match f {
        TextFn::ToText => m.string(builder.text()),
        TextFn::ToTextPart => {
            let text = builder.text();
            let (start, length) = (index(&args, 0)?, index(&args, 1)?);
            let part = char_range(&text, start, length).ok_or_else(out_of_range)?;
            m.string(part.to_owned())
        }
        TextFn::Get => {
            let at = index(&args, 0)?;
            let found = builder.with_text(|t| t.chars().nth(at));
            found.map(Value::Char).ok_or_else(out_of_range)
        }
        _ => {
            change(m, f, &builder, args)?;
            Ok(Value::Builder(builder))
        }
    }
}

/// The methods that change the text; they return the builder for chaining.
fn change(
    m: &mut Machine<'_>,
    f: TextFn,
    builder: &StringBuilder,
    mut args: Vec<Value>,
) -> Result<(), EvalError> {
    let first = arg(&mut args, 0);
    let added = match f {
        TextFn::Append => m.display(&first),
        TextFn::AppendRepeated => repeated(m, builder, &m.display(&first), &arg(&mut args, 1))?,
        TextFn::AppendPart => {
            let text = m.display(&first);
            let (start, length) = (index(&args, 1)?, index(&args, 2)?);
            char_range(&text, start, length)
                .ok_or_else(out_of_range)?
                .to_owned()
        }
        TextFn::AppendLine => format!("{}{NEW_LINE}", m.display(&first)),
        TextFn::AppendFormat => {
            let format = string_arg(&first, "format")?;
            let rest = flatten_params(args.into_iter().skip(1).collect());
            super::convert::format_composite(m, format, &rest)?
        }
        _ => return edit(m, f, builder, first, args),
    };
    let length = builder.with_text(|t| t.len()) + added.len();
    m.check_string(length)?;
    builder.with_text(|t| t.push_str(&added));
    Ok(())
}

/// `Append(char, repeatCount)`: the builder's length after appending is known from the count
/// and checked before the run is built, so a count taken from a request cannot allocate
/// gigabytes first.
fn repeated(
    m: &Machine<'_>,
    builder: &StringBuilder,
    text: &str,
    count: &Value,
) -> Result<String, EvalError> {
    let times = usize::try_from(int_arg(count)?).map_err(|_| out_of_range())?;
    let added = text.len().checked_mul(times);
    let length = builder.with_text(|t| t.len());
    m.check_new_string(added.and_then(|n| n.checked_add(length)))?;
    Ok(text.repeat(times))
}

/// `Insert`, `Replace`, `Remove`, `Clear`, the indexer's setter and the `Length` setter.
fn edit(
    m: &Machine<'_>,
    f: TextFn,
    builder: &StringBuilder,
    first: Value,
    mut args: Vec<Value>,
) -> Result<(), EvalError> {
    let mut text = builder.text();
    match f {
        TextFn::Insert => {
            let at = byte_index(&text, index_of(&first)?).ok_or_else(out_of_range)?;
            let inserted = m.display(&arg(&mut args, 1));
            m.check_new_string(text.len().checked_add(inserted.len()))?;
            text.insert_str(at, &inserted);
        }
        TextFn::Replace => {
            let old = m.display(&first);
            if old.is_empty() {
                return Err(EvalError::argument(
                    "The value cannot be an empty string. (Parameter 'oldValue')",
                ));
            }
            let new = m.display(&arg(&mut args, 1));
            check_replace(m, &text, &old, &new)?;
            text = text.replace(&old, &new);
        }
        TextFn::Remove => {
            let start = index_of(&first)?;
            let length = index(&args, 1)?;
            let end = start.checked_add(length).ok_or_else(out_of_range)?;
            let (from, to) = (byte_index(&text, start), byte_index(&text, end));
            let (Some(from), Some(to)) = (from, to) else {
                return Err(out_of_range());
            };
            text.replace_range(from..to, "");
        }
        TextFn::Clear => text.clear(),
        TextFn::Set => {
            let at = index_of(&first)?;
            let Value::Char(c) = arg(&mut args, 1) else {
                return Err(EvalError::NullReference);
            };
            let from = byte_index(&text, at)
                .filter(|i| *i < text.len())
                .ok_or_else(out_of_range)?;
            let width = text[from..].chars().next().map_or(0, char::len_utf8);
            text.replace_range(from..from + width, c.encode_utf8(&mut [0; 4]));
        }
        TextFn::SetLength => text = resized(m, text, index_of(&first)?)?,
        _ => {}
    }
    m.check_string(text.len())?;
    builder.with_text(|t| *t = text);
    Ok(())
}

/// The text cut or padded with `'\0'` to `length` characters.
fn resized(m: &Machine<'_>, mut text: String, length: usize) -> Result<String, EvalError> {
    match byte_index(&text, length) {
        Some(at) => text.truncate(at),
        None => {
            let missing = length - text.chars().count();
            m.check_string(text.len().saturating_add(missing))?;
            text.extend(std::iter::repeat_n('\0', missing));
        }
    }
    Ok(text)
}

/// `ArgumentOutOfRangeException`, as the builder's methods throw it.
fn out_of_range() -> EvalError {
    EvalError::argument(
        "Index was out of range. Must be non-negative and less than the size of the collection.",
    )
}

fn index_of(value: &Value) -> Result<usize, EvalError> {
    usize::try_from(int_arg(value)?).map_err(|_| out_of_range())
}

fn index(args: &[Value], i: usize) -> Result<usize, EvalError> {
    index_of(args.get(i).unwrap_or(&Value::Null))
}

/// The byte offset of character `index`; the end of the text counts.
fn byte_index(text: &str, index: usize) -> Option<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .nth(index)
}

fn char_range(text: &str, start: usize, length: usize) -> Option<&str> {
    let from = byte_index(text, start)?;
    let to = byte_index(text, start.checked_add(length)?)?;
    text.get(from..to)
}
