//! Conversions and encodings: `Convert`, `int.Parse` and friends, `Encoding`, `BitConverter`,
//! `WebUtility`, `Uri` escaping, and .NET format strings (`ToString("N2")`, `string.Format`).

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::string::int_arg;
use super::{Class, Func, Member, Recv, Sig, arg};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::{EnumType, EnumValue, Value, format_date_time, format_double};

/// A conversion or encoding function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConvFn {
    ToBase64String,
    FromBase64String,
    ToInt32,
    ToInt64,
    ToDouble,
    ToBoolean,
    ToStringOf,
    ParseInt,
    ParseLong,
    ParseDouble,
    ParseBool,
    GetBytes,
    GetString,
    BitToString,
    /// `BitConverter.ToInt16/ToInt32/ToInt64(bytes, start)`: little-endian, as on x64.
    BitToInt(u8),
    /// `BitConverter.GetBytes(int or long)`.
    BitGetBytes,
    /// `Convert.ToByte` and `Convert.ToInt16`: range-checked.
    ToNarrow(i64, i64),
    UrlEncode,
    UrlDecode,
    HtmlEncode,
    HtmlDecode,
    EscapeDataString,
    UnescapeDataString,
}

pub(crate) fn static_member(class: Class, name: &str) -> Option<Member> {
    let encoding = |value| {
        Member::Const(
            Value::Enum(EnumValue {
                ty: EnumType::Encoding,
                value,
            }),
            Ty::Enum(EnumType::Encoding),
        )
    };
    Some(match (class, name) {
        (Class::Encoding, "UTF8" | "Default") => encoding(0),
        (Class::Encoding, "ASCII") => encoding(1),
        (Class::Encoding, "Unicode") => encoding(2),
        (Class::Int, "MaxValue") => Member::Const(Value::Int(i32::MAX), Ty::Int),
        (Class::Int, "MinValue") => Member::Const(Value::Int(i32::MIN), Ty::Int),
        (Class::Long, "MaxValue") => Member::Const(Value::Long(i64::MAX), Ty::Long),
        (Class::Long, "MinValue") => Member::Const(Value::Long(i64::MIN), Ty::Long),
        (Class::Double, "MaxValue") => Member::Const(Value::Double(f64::MAX), Ty::Double),
        (Class::Double, "NaN") => Member::Const(Value::Double(f64::NAN), Ty::Double),
        _ => return None,
    })
}

#[rustfmt::skip]
pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    use ConvFn::*;
    let n = sig.args.len();
    let (f, ty) = match (sig.recv, sig.name, n) {
        (Recv::Static(Class::Convert), "ToBase64String", 1 | 3) => (ToBase64String, Ty::String),
        (Recv::Static(Class::Convert), "FromBase64String", 1) => (FromBase64String, Ty::Bytes),
        (Recv::Static(Class::Convert), "ToInt32", 1) => (ToInt32, Ty::Int),
        (Recv::Static(Class::Convert), "ToInt16", 1) => (ToNarrow(i16::MIN.into(), i16::MAX.into()), Ty::Int),
        (Recv::Static(Class::Convert), "ToByte", 1) => (ToNarrow(0, 255), Ty::Int),
        (Recv::Static(Class::Convert), "ToInt64", 1) => (ToInt64, Ty::Long),
        (Recv::Static(Class::Convert), "ToDouble" | "ToSingle", 1) => (ToDouble, Ty::Double),
        (Recv::Static(Class::Convert), "ToBoolean", 1) => (ToBoolean, Ty::Bool),
        (Recv::Static(Class::Convert), "ToString", 1) => (ToStringOf, Ty::String),
        (Recv::Static(Class::Int), "Parse", 1) => (ParseInt, Ty::Int),
        (Recv::Static(Class::Long), "Parse", 1) => (ParseLong, Ty::Long),
        (Recv::Static(Class::Double), "Parse", 1) => (ParseDouble, Ty::Double),
        (Recv::Static(Class::Bool), "Parse", 1) => (ParseBool, Ty::Bool),
        (Recv::Value(Ty::Enum(EnumType::Encoding)), "GetBytes", 1) => (GetBytes, Ty::Bytes),
        (Recv::Value(Ty::Enum(EnumType::Encoding)), "GetString", 1 | 3) => (GetString, Ty::String),
        (Recv::Static(Class::BitConverter), "ToString", 1) => (BitToString, Ty::String),
        (Recv::Static(Class::BitConverter), "ToInt16", 2) => (BitToInt(2), Ty::Int),
        (Recv::Static(Class::BitConverter), "ToInt32", 2) => (BitToInt(4), Ty::Int),
        (Recv::Static(Class::BitConverter), "ToInt64", 2) => (BitToInt(8), Ty::Long),
        (Recv::Static(Class::BitConverter), "GetBytes", 1)
            if matches!(sig.args[0], Ty::Int | Ty::Long) => (BitGetBytes, Ty::Bytes),
        (Recv::Static(Class::WebUtility), "UrlEncode", 1) => (UrlEncode, Ty::String),
        (Recv::Static(Class::WebUtility), "UrlDecode", 1) => (UrlDecode, Ty::String),
        (Recv::Static(Class::WebUtility), "HtmlEncode", 1) => (HtmlEncode, Ty::String),
        (Recv::Static(Class::WebUtility), "HtmlDecode", 1) => (HtmlDecode, Ty::String),
        (Recv::Static(Class::Uri), "EscapeDataString" | "EscapeUriString", 1) => (EscapeDataString, Ty::String),
        (Recv::Static(Class::Uri), "UnescapeDataString", 1) => (UnescapeDataString, Ty::String),
        _ => return None,
    };
    Some(Ok((Func::Conv(f), ty)))
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: ConvFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    use ConvFn::*;
    let first = arg(&mut args, 0);
    match f {
        ToBase64String => Ok(Value::from(STANDARD.encode(bytes_arg(&first)?))),
        FromBase64String => from_base64(&first),
        ToInt32 => to_int(&first).and_then(|i| {
            i32::try_from(i)
                .map(Value::Int)
                .map_err(|_| EvalError::Overflow)
        }),
        ToInt64 => to_int(&first).map(Value::Long),
        ToNarrow(min, max) => to_int(&first).and_then(|i| {
            if (min..=max).contains(&i) {
                Ok(Value::Int(i as i32))
            } else {
                Err(EvalError::Overflow)
            }
        }),
        BitToInt(width) => bit_to_int(&first, &arg(&mut args, 1), width),
        BitGetBytes => Ok(Value::Bytes(match first {
            Value::Long(l) => l.to_le_bytes().to_vec().into(),
            other => int_arg(&other)?.to_le_bytes()[..4].to_vec().into(),
        })),
        ToDouble => to_double(&first).map(Value::Double),
        ToBoolean => to_bool(&first).map(Value::Bool),
        ToStringOf => m.string(m.display(&first)),
        ParseInt => parse_int(required_text(&first)?).map(Value::Int),
        ParseLong => parse_long(required_text(&first)?).map(Value::Long),
        ParseDouble => parse_double(required_text(&first)?).map(Value::Double),
        ParseBool => parse_bool(required_text(&first)?).map(Value::Bool),
        GetBytes => Ok(Value::Bytes(encode(&target, &m.display(&first)).into())),
        GetString => decode(m, &target, &first, &args),
        BitToString => {
            let hex: Vec<String> = bytes_arg(&first)?
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            Ok(Value::from(hex.join("-")))
        }
        _ => escape(m, f, &first),
    }
}

/// Reads a little-endian integer of `width` bytes at `start`.
fn bit_to_int(bytes: &Value, start: &Value, width: u8) -> Result<Value, EvalError> {
    let bytes = bytes_arg(bytes)?;
    let start = usize::try_from(int_arg(start)?).map_err(|_| EvalError::IndexOutOfRange)?;
    let end = start
        .checked_add(usize::from(width))
        .ok_or(EvalError::IndexOutOfRange)?;
    let Some(part) = bytes.get(start..end) else {
        return Err(EvalError::argument(
            "Destination array is not long enough to copy all the items in the collection. Check array index and length. (Parameter 'value')",
        ));
    };
    let mut buffer = [0u8; 8];
    buffer[..part.len()].copy_from_slice(part);
    let wide = i64::from_le_bytes(buffer);
    Ok(match width {
        2 => Value::Int(i32::from(wide as i16)),
        4 => Value::Int(wide as i32),
        _ => Value::Long(wide),
    })
}

fn escape(m: &Machine<'_>, f: ConvFn, first: &Value) -> Result<Value, EvalError> {
    if first.is_null() {
        return if matches!(f, ConvFn::EscapeDataString | ConvFn::UnescapeDataString) {
            Err(EvalError::argument(
                "Value cannot be null. (Parameter 'stringToEscape')",
            ))
        } else {
            Ok(Value::Null)
        };
    }
    let text = m.display(first);
    let result = match f {
        ConvFn::UrlEncode => percent_encode(&text, b"-_.!*()", true),
        ConvFn::UrlDecode => percent_decode(&text, true),
        ConvFn::HtmlEncode => html_encode(&text),
        ConvFn::HtmlDecode => html_decode(&text),
        ConvFn::EscapeDataString => percent_encode(&text, b"-_.~", false),
        _ => percent_decode(&text, false),
    };
    m.string(result)
}

fn required_text(value: &Value) -> Result<&str, EvalError> {
    match value {
        Value::Str(s) => Ok(s),
        Value::Null => Err(EvalError::argument("Value cannot be null. (Parameter 's')")),
        other => Err(EvalError::cast(other.type_name(), "System.String")),
    }
}

pub(crate) fn bytes_arg(value: &Value) -> Result<Vec<u8>, EvalError> {
    match value {
        Value::Bytes(b) => Ok(b.to_vec()),
        Value::List(list) => list
            .items()
            .iter()
            .map(|v| int_arg(v).map(|i| i as u8))
            .collect(),
        Value::Null => Err(EvalError::argument(
            "Value cannot be null. (Parameter 'inArray')",
        )),
        other => Err(EvalError::cast(other.type_name(), "System.Byte[]")),
    }
}

fn from_base64(value: &Value) -> Result<Value, EvalError> {
    let text: String = required_text(value)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match STANDARD.decode(text) {
        Ok(bytes) => Ok(Value::Bytes(bytes.into())),
        Err(_) => Err(EvalError::format(
            "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.",
        )),
    }
}

fn invalid_format() -> EvalError {
    EvalError::format("Input string was not in a correct format.")
}

/// `int.Parse`: optional surrounding whitespace and sign, decimal digits.
pub(crate) fn parse_int(text: &str) -> Result<i32, EvalError> {
    i32::try_from(parse_long(text)?).map_err(|_| EvalError::Overflow)
}

pub(crate) fn parse_long(text: &str) -> Result<i64, EvalError> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_format());
    }
    trimmed.parse::<i64>().map_err(|_| EvalError::Overflow)
}

fn parse_double(text: &str) -> Result<f64, EvalError> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    cleaned.parse().map_err(|_| invalid_format())
}

fn parse_bool(text: &str) -> Result<bool, EvalError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(EvalError::format(
            "String was not recognized as a valid Boolean.",
        )),
    }
}

/// `Convert.ToInt64(value)`: null is 0, doubles round to even, strings parse.
fn to_int(value: &Value) -> Result<i64, EvalError> {
    match value {
        Value::Null => Ok(0),
        Value::Int(i) => Ok(i64::from(*i)),
        Value::Long(l) => Ok(*l),
        Value::Char(c) => Ok(i64::from(*c as u32)),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Double(d) => crate::eval::from_json_to(
            &crate::value::JToken::value(crate::value::JPrim::Float(*d)),
            &Ty::Long,
        )
        .and_then(|v| int_arg(&v)),
        Value::Str(s) => parse_long(s),
        Value::Json(token) => int_arg(&crate::eval::from_json_to(token, &Ty::Long)?),
        other => Err(EvalError::cast(other.type_name(), "System.IConvertible")),
    }
}

fn to_double(value: &Value) -> Result<f64, EvalError> {
    match value {
        Value::Null => Ok(0.0),
        Value::Double(d) => Ok(*d),
        Value::Str(s) => parse_double(s),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::Json(token) => match crate::eval::from_json_to(token, &Ty::Double)? {
            Value::Double(d) => Ok(d),
            _ => Ok(0.0),
        },
        other => to_int(other).map(|i| i as f64),
    }
}

fn to_bool(value: &Value) -> Result<bool, EvalError> {
    match value {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Str(s) => parse_bool(s),
        Value::Double(d) => Ok(*d != 0.0),
        Value::Json(token) => match crate::eval::from_json_to(token, &Ty::Bool)? {
            Value::Bool(b) => Ok(b),
            _ => Ok(false),
        },
        other => to_int(other).map(|i| i != 0),
    }
}

fn encoding_of(target: &Value) -> i32 {
    match target {
        Value::Enum(e) if e.ty == EnumType::Encoding => e.value,
        _ => 0,
    }
}

fn encode(target: &Value, text: &str) -> Vec<u8> {
    match encoding_of(target) {
        1 => text
            .chars()
            .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
            .collect(),
        2 => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        _ => text.as_bytes().to_vec(),
    }
}

fn decode(
    m: &Machine<'_>,
    target: &Value,
    bytes: &Value,
    rest: &[Value],
) -> Result<Value, EvalError> {
    let mut bytes = bytes_arg(bytes)?;
    if let (Some(index), Some(count)) = (rest.get(1), rest.get(2)) {
        let range = byte_range(int_arg(index)?, int_arg(count)?);
        bytes = range
            .and_then(|range| bytes.get(range))
            .ok_or(EvalError::IndexOutOfRange)?
            .to_vec();
    }
    let text = match encoding_of(target) {
        1 => bytes
            .iter()
            .map(|b| if b.is_ascii() { *b as char } else { '?' })
            .collect(),
        2 => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|p| u16::from_le_bytes([p[0], *p.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    };
    m.string(text)
}

/// `index..index + count` of `GetString(bytes, index, count)`; `None` for a negative index or
/// count, or an end past `usize` (which used to wrap, or panic in a debug build).
fn byte_range(index: i64, count: i64) -> Option<std::ops::Range<usize>> {
    let index = usize::try_from(index).ok()?;
    let end = index.checked_add(usize::try_from(count).ok()?)?;
    Some(index..end)
}

fn percent_encode(text: &str, keep: &[u8], plus_for_space: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(byte as char);
        } else if byte == b' ' && plus_for_space {
            out.push('+');
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
                continue;
            }
            (b'+', _) if plus_is_space => out.push(b' '),
            (other, _) => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn html_encode(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (160..256).contains(&(c as u32)) => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn html_decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------------------------
// Format strings

/// `value.ToString(format)` and `{0:format}` holes.
pub(crate) fn format_value(
    value: &Value,
    format: &str,
    m: &Machine<'_>,
) -> Result<String, EvalError> {
    check_precision(m, value, format)?;
    Ok(match value {
        Value::Int(i) => format_integer(i64::from(*i), format)?,
        Value::Long(l) => format_integer(*l, format)?,
        Value::Double(d) => format_real(*d, format)?,
        Value::DateTime(at) => format_date_time(*at, format, None),
        Value::DateTimeOffset(at) => format_date_time(at.clock(), format, Some(at.offset_minutes)),
        Value::Guid(g) => match format {
            "N" | "n" => g.simple().to_string(),
            "B" | "b" => format!("{{{}}}", g.hyphenated()),
            "P" | "p" => format!("({})", g.hyphenated()),
            _ => g.hyphenated().to_string(),
        },
        other => m.display(other),
    })
}

fn bad_format() -> EvalError {
    EvalError::format("Format specifier was invalid.")
}

/// Splits a standard format like `N2` into its letter and precision. A precision too large
/// for `usize` reads as `usize::MAX`, which no string limit admits.
fn standard(format: &str) -> Option<(char, Option<usize>)> {
    let mut chars = format.chars();
    let letter = chars.next()?;
    let rest = chars.as_str();
    if !letter.is_ascii_alphabetic() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let precision = (!rest.is_empty()).then(|| rest.parse().unwrap_or(usize::MAX));
    Some((letter, precision))
}

/// Refuses a number's standard format whose precision alone passes the string limit, before
/// any digit is written: `D`, `X`, `F`, `N`, `P` and `E` write at least `precision` digits, so
/// `ToString("D2000000000")` would otherwise build two gigabytes first. What such a format
/// writes beyond its precision (sign, integer digits, separators, exponent) is a few hundred
/// bytes at most, which the check on the finished string covers.
fn check_precision(m: &Machine<'_>, value: &Value, format: &str) -> Result<(), EvalError> {
    if !matches!(value, Value::Int(_) | Value::Long(_) | Value::Double(_)) {
        return Ok(());
    }
    match standard(format) {
        Some((letter, Some(precision))) if "DXFNPE".contains(letter.to_ascii_uppercase()) => {
            m.check_string(precision)
        }
        _ => Ok(()),
    }
}

fn format_integer(value: i64, format: &str) -> Result<String, EvalError> {
    let Some((letter, precision)) = standard(format) else {
        return custom_number(value as f64, format);
    };
    let width = precision.unwrap_or(0);
    Ok(match letter {
        'D' | 'd' => {
            let digits = zero_padded(&value.unsigned_abs().to_string(), width);
            if value < 0 {
                format!("-{digits}")
            } else {
                digits
            }
        }
        'X' => zero_padded(&format!("{value:X}"), width),
        'x' => zero_padded(&format!("{value:x}"), width),
        'G' | 'g' => value.to_string(),
        _ => format_real(value as f64, format)?,
    })
}

fn format_real(value: f64, format: &str) -> Result<String, EvalError> {
    let Some((letter, precision)) = standard(format) else {
        return custom_number(value, format);
    };
    let decimals = precision.unwrap_or(2);
    Ok(match letter.to_ascii_uppercase() {
        'F' => fixed(value, decimals),
        'N' => grouped(&fixed(value, decimals)),
        'P' => format!("{} %", grouped(&fixed(value * 100.0, decimals))),
        'E' => exponent(value, precision.unwrap_or(6), letter),
        'G' | 'R' => format_double(value),
        'D' | 'X' => return Err(bad_format()),
        _ => return Err(bad_format()),
    })
}

/// More decimals than any `f64` needs: its exact decimal expansion ends within 1,074 digits
/// after the point (767 significant digits), so every digit past these is a zero.
const EXACT_DECIMALS: usize = 1100;

/// `digits` with zeros in front up to `width` characters. Rust's formatter takes widths and
/// precisions only up to `u16::MAX` and panics past that, so long ones are written here.
fn zero_padded(digits: &str, width: usize) -> String {
    let mut out = "0".repeat(width.saturating_sub(digits.len()));
    out.push_str(digits);
    out
}

/// `value` with `decimals` digits after the point, as `{value:.decimals$}` writes it, for any
/// number of decimals: the digits past [`EXACT_DECIMALS`] are zeros, added here.
fn fixed(value: f64, decimals: usize) -> String {
    let exact = decimals.min(EXACT_DECIMALS);
    let mut text = format!("{value:.exact$}");
    if value.is_finite() {
        text.extend(std::iter::repeat_n('0', decimals - exact));
    }
    text
}

fn exponent(value: f64, precision: usize, letter: char) -> String {
    let exact = precision.min(EXACT_DECIMALS);
    let text = format!("{value:.exact$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let zeros = if value.is_finite() {
        "0".repeat(precision - exact)
    } else {
        String::new()
    };
    format!("{mantissa}{zeros}{letter}{sign}{:03}", exp.unsigned_abs())
}

/// Inserts thousands separators into the integer part of a fixed-point number.
fn grouped(fixed: &str) -> String {
    let (sign, digits) = fixed.strip_prefix('-').map_or(("", fixed), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(frac) => format!("{sign}{out}.{frac}"),
        None => format!("{sign}{out}"),
    }
}

/// Custom numeric formats: `0`, `00`, `0.00`, `#,##0.##`.
fn custom_number(value: f64, format: &str) -> Result<String, EvalError> {
    if format.is_empty() {
        return Ok(format_double(value));
    }
    let (int_part, frac_part) = format.split_once('.').unwrap_or((format, ""));
    let min_int = int_part.chars().filter(|c| *c == '0').count();
    let required = frac_part.chars().filter(|c| *c == '0').count();
    let optional = frac_part.chars().filter(|c| *c == '#').count();
    if !format.chars().all(|c| matches!(c, '0' | '#' | ',' | '.')) {
        return Err(bad_format());
    }
    let mut text = fixed(value.abs(), required + optional);
    if optional > 0 && text.contains('.') {
        let keep = text.find('.').map_or(0, |p| p + 1 + required);
        while text.len() > keep && text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let int = zero_padded(int, min_int);
    let int = if int == "0" && min_int == 0 {
        String::new()
    } else {
        int
    };
    let int = if int_part.contains(',') {
        grouped(&int)
    } else {
        int
    };
    let sign = if value < 0.0 { "-" } else { "" };
    Ok(match frac {
        Some(frac) => format!("{sign}{int}.{frac}"),
        None => format!("{sign}{int}"),
    })
}

/// `string.Format(format, args)`: `{index[,alignment][:format]}` with `{{`/`}}` escapes.
///
/// Each part is measured before it is appended, so a format that repeats a large argument, or
/// pads one to a huge alignment, fails at the string limit without building the text.
pub(crate) fn format_composite(
    m: &Machine<'_>,
    format: &str,
    args: &[Value],
) -> Result<String, EvalError> {
    let invalid = || EvalError::format("Input string was not in a correct format.");
    let mut out = String::new();
    let mut rest = format;
    while let Some(pos) = rest.find(['{', '}']) {
        push_aligned(m, &mut out, &rest[..pos], 0)?;
        let brace = &rest[pos..];
        if brace.starts_with("{{") || brace.starts_with("}}") {
            push_aligned(m, &mut out, &brace[..1], 0)?;
            rest = &brace[2..];
            continue;
        }
        if brace.starts_with('}') {
            return Err(invalid());
        }
        let end = brace.find('}').ok_or_else(invalid)?;
        hole(m, &mut out, &brace[1..end], args)?;
        rest = &brace[end + 1..];
    }
    push_aligned(m, &mut out, rest, 0)?;
    Ok(out)
}

/// Appends one `{index[,alignment][:format]}` hole.
fn hole(m: &Machine<'_>, out: &mut String, spec: &str, args: &[Value]) -> Result<(), EvalError> {
    let (head, format) = spec
        .split_once(':')
        .map_or((spec, None), |(h, f)| (h, Some(f)));
    let (index, alignment) = head
        .split_once(',')
        .map_or((head, None), |(i, a)| (i, Some(a)));
    let index: usize = index
        .trim()
        .parse()
        .map_err(|_| EvalError::format("Input string was not in a correct format."))?;
    let value = args.get(index).ok_or_else(|| {
        EvalError::format("Index (zero based) must be greater than or equal to zero and less than the size of the argument list.")
    })?;
    let text = match format {
        Some(format) => format_value(value, format, m)?,
        None => m.display(value),
    };
    let alignment: i64 = alignment.and_then(|a| a.trim().parse().ok()).unwrap_or(0);
    push_aligned(m, out, &text, alignment)
}

/// Appends `text` padded with spaces to `alignment` characters, right-aligned when positive
/// and left-aligned when negative (composite formatting and interpolation holes).
///
/// The padded length is worked out and checked against the string limit before anything is
/// appended: the alignment may come from a request, and `{0,2000000000}` must not allocate
/// two gigabytes to find out that it is too long.
pub(crate) fn push_aligned(
    m: &Machine<'_>,
    out: &mut String,
    text: &str,
    alignment: i64,
) -> Result<(), EvalError> {
    let width = usize::try_from(alignment.unsigned_abs()).unwrap_or(usize::MAX);
    let padding = match width {
        0 => 0,
        _ => width.saturating_sub(text.chars().count()),
    };
    let length = out.len().checked_add(text.len());
    m.check_new_string(length.and_then(|n| n.checked_add(padding)))?;
    let spaces = std::iter::repeat_n(' ', padding);
    if alignment > 0 {
        out.extend(spaces);
        out.push_str(text);
    } else {
        out.push_str(text);
        out.extend(spaces);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_formats_follow_dotnet() {
        assert_eq!(format_integer(255, "X2").unwrap(), "FF");
        assert_eq!(format_integer(7, "D3").unwrap(), "007");
        assert_eq!(format_real(1234.5, "N2").unwrap(), "1,234.50");
        assert_eq!(format_real(2.0, "0.00").unwrap(), "2.00");
        assert_eq!(format_real(2.5, "0.##").unwrap(), "2.5");
    }

    #[test]
    fn url_encoding_matches_webutility_and_uri() {
        assert_eq!(
            percent_encode("a b&c/é", b"-_.!*()", true),
            "a+b%26c%2F%C3%A9"
        );
        assert_eq!(percent_encode("a b~", b"-_.~", false), "a%20b~");
        assert_eq!(percent_decode("a+b%26", true), "a b&");
    }
}
