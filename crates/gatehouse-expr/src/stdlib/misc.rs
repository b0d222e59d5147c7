//! Members every object has (`ToString`, `Equals`), certificates, `Nullable<T>`, anonymous
//! objects, exceptions, `Math`, `Guid` and `Random`.

use std::sync::Arc;

use super::string::int_arg;
use super::{Class, Func, Member, Prop, Recv, Sig, arg, non_null};
use crate::context::Str;
use crate::error::EvalError;
use crate::eval::{Machine, compare, values_equal};
use crate::ir::Slot;
use crate::types::Ty;
use crate::value::{DateTime, DateTimeKind, Random, Value};

/// A certificate member: `X509Certificate2` and `X500DistinguishedName`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CertProp {
    Thumbprint,
    Subject,
    Issuer,
    SubjectName,
    IssuerName,
    SerialNumber,
    NotBefore,
    NotAfter,
    Version,
    RawData,
    /// `X500DistinguishedName.Name`.
    Name,
}

/// A property of one of this module's types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MiscProp {
    Cert(CertProp),
    NullableValue,
    HasValue,
    /// Field `i` of an anonymous object.
    Field(u16),
    ExceptionMessage,
}

/// A method of this module.
#[derive(Clone, Debug)]
pub(crate) enum MiscFn {
    ToString,
    ToStringFormat,
    Equals,
    GetHashCode,
    CompareTo,
    GetValueOrDefault,
    Anonymous(Vec<Str>),
    /// Runs the initializer block passed as a lambda, then returns local `Slot`.
    RunThen(Slot),
    NewException(String),
    NewRandom,
    RandomNext,
    RandomNextDouble,
    NewGuid,
    GuidParse,
    Math(MathFn),
    CertHash,
    GuidBytes,
    /// `new Guid(byte[])`: the first three fields little-endian, as `ToByteArray` writes them.
    GuidFromBytes,
}

/// `System.Math`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MathFn {
    Max,
    Min,
    Abs,
    Round,
    Floor,
    Ceiling,
    Pow,
    Sqrt,
    Truncate,
}

#[rustfmt::skip]
pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    use CertProp as C;
    let (prop, result) = match (ty, name) {
        (Ty::Certificate, "Thumbprint") => (MiscProp::Cert(C::Thumbprint), Ty::String),
        (Ty::Certificate, "Subject") => (MiscProp::Cert(C::Subject), Ty::String),
        (Ty::Certificate, "Issuer") => (MiscProp::Cert(C::Issuer), Ty::String),
        (Ty::Certificate, "SubjectName") => (MiscProp::Cert(C::SubjectName), Ty::DistName),
        (Ty::Certificate, "IssuerName") => (MiscProp::Cert(C::IssuerName), Ty::DistName),
        (Ty::Certificate, "SerialNumber") => (MiscProp::Cert(C::SerialNumber), Ty::String),
        (Ty::Certificate, "NotBefore") => (MiscProp::Cert(C::NotBefore), Ty::DateTime),
        (Ty::Certificate, "NotAfter") => (MiscProp::Cert(C::NotAfter), Ty::DateTime),
        (Ty::Certificate, "Version") => (MiscProp::Cert(C::Version), Ty::Int),
        (Ty::Certificate, "RawData") => (MiscProp::Cert(C::RawData), Ty::Bytes),
        (Ty::DistName, "Name") => (MiscProp::Cert(C::Name), Ty::String),
        (Ty::Nullable(inner), "Value") => (MiscProp::NullableValue, (**inner).clone()),
        (Ty::Nullable(_), "HasValue") => (MiscProp::HasValue, Ty::Bool),
        (Ty::Exception, "Message") => (MiscProp::ExceptionMessage, Ty::String),
        (Ty::Anonymous(fields), name) => {
            let index = fields.iter().position(|(n, _)| &**n == name)?;
            (MiscProp::Field(u16::try_from(index).ok()?), fields[index].1.clone())
        }
        _ => return None,
    };
    Some((Prop::Misc(prop), result))
}

pub(crate) fn static_member(class: Class, name: &str) -> Option<Member> {
    match (class, name) {
        (Class::Guid, "Empty") => Some(Member::Const(Value::Guid(uuid::Uuid::nil()), Ty::Guid)),
        (Class::Math, "PI") => Some(Member::Const(
            Value::Double(std::f64::consts::PI),
            Ty::Double,
        )),
        (
            Class::StringComparer,
            "OrdinalIgnoreCase" | "InvariantCultureIgnoreCase" | "CurrentCultureIgnoreCase",
        ) => Some(Member::Const(Value::Bool(true), Ty::Object)),
        (Class::StringComparer, "Ordinal" | "InvariantCulture" | "CurrentCulture") => {
            Some(Member::Const(Value::Bool(false), Ty::Object))
        }
        _ => None,
    }
}

pub(crate) fn get(m: &mut Machine<'_>, target: Value, prop: &MiscProp) -> Result<Value, EvalError> {
    if *prop == MiscProp::HasValue {
        return Ok(Value::Bool(!target.is_null()));
    }
    let target = if *prop == MiscProp::NullableValue {
        return non_null(target)
            .map_err(|_| EvalError::invalid("Nullable object must have a value."));
    } else {
        non_null(target)?
    };
    match (prop, &target) {
        (MiscProp::Cert(c), Value::Certificate(cert)) => Ok(certificate(cert, *c)),
        (MiscProp::Cert(CertProp::Name), Value::DistinguishedName(name)) => {
            Ok(Value::Str(name.clone()))
        }
        (MiscProp::Field(i), Value::Anonymous(fields)) => Ok(fields
            .get(usize::from(*i))
            .map(|f| f.1.clone())
            .unwrap_or_default()),
        (MiscProp::ExceptionMessage, Value::Pair(pair)) => Ok(Value::from(m.display(&pair.1))),
        (_, other) => Err(EvalError::cast(other.type_name(), "the member's type")),
    }
}

/// Reads one member of a certificate.
pub(crate) fn certificate(cert: &gatehouse_cert::Certificate, prop: CertProp) -> Value {
    let local = |at| Value::DateTime(DateTime::from_offset_date_time(at, DateTimeKind::Local));
    match prop {
        CertProp::Thumbprint => Value::Str(cert.thumbprint().clone()),
        CertProp::Subject => Value::Str(cert.subject().clone()),
        CertProp::Issuer => Value::Str(cert.issuer().clone()),
        CertProp::SubjectName | CertProp::Name => Value::DistinguishedName(cert.subject().clone()),
        CertProp::IssuerName => Value::DistinguishedName(cert.issuer().clone()),
        CertProp::SerialNumber => Value::Str(cert.serial_number().clone()),
        CertProp::NotBefore => local(cert.not_before()),
        CertProp::NotAfter => local(cert.not_after()),
        CertProp::Version => Value::Int(i32::try_from(cert.version()).unwrap_or(0)),
        CertProp::RawData => Value::Bytes(cert.der().into()),
    }
}

fn ok(f: MiscFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Misc(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let n = sig.args.len();
    match sig.recv {
        Recv::Value(ty) => instance(ty, sig.name, n),
        Recv::Static(Class::Math) => math(sig.name, sig.args),
        Recv::Static(Class::Guid) => match (sig.name, n) {
            ("NewGuid", 0) => ok(MiscFn::NewGuid, Ty::Guid),
            ("Parse", 1) => ok(MiscFn::GuidParse, Ty::Guid),
            _ => None,
        },
        Recv::Static(Class::Object) => match (sig.name, n) {
            ("Equals", 2) => ok(MiscFn::Equals, Ty::Bool),
            _ => None,
        },
        Recv::Static(_) => None,
    }
}

fn instance(ty: &Ty, name: &str, n: usize) -> Option<Result<(Func, Ty), String>> {
    match (ty, name, n) {
        (Ty::Random, "Next", 0..=2) => ok(MiscFn::RandomNext, Ty::Int),
        (Ty::Random, "NextDouble", 0) => ok(MiscFn::RandomNextDouble, Ty::Double),
        (Ty::Certificate, "GetCertHash", 0) => ok(MiscFn::CertHash, Ty::Bytes),
        (Ty::Guid, "ToByteArray", 0) => ok(MiscFn::GuidBytes, Ty::Bytes),
        (Ty::Nullable(inner), "GetValueOrDefault", 0 | 1) => {
            ok(MiscFn::GetValueOrDefault, (**inner).clone())
        }
        (_, "ToString", 0) => ok(MiscFn::ToString, Ty::String),
        (_, "ToString", 1) if formattable(ty) => ok(MiscFn::ToStringFormat, Ty::String),
        (_, "Equals", 1) => ok(MiscFn::Equals, Ty::Bool),
        (_, "GetHashCode", 0) => ok(MiscFn::GetHashCode, Ty::Int),
        (_, "CompareTo", 1) if ty.is_value_type() => ok(MiscFn::CompareTo, Ty::Int),
        _ => None,
    }
}

fn formattable(ty: &Ty) -> bool {
    matches!(
        ty.unwrap_nullable(),
        Ty::Int
            | Ty::Long
            | Ty::Double
            | Ty::DateTime
            | Ty::DateTimeOffset
            | Ty::TimeSpan
            | Ty::Guid
            | Ty::Object
            | Ty::Char
    )
}

fn math(name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    let n = args.len();
    let first = args.first().cloned().unwrap_or(Ty::Double);
    let widest = args.iter().fold(Ty::Int, |acc, t| widen(&acc, t));
    let (f, ty) = match (name, n) {
        ("Max", 2) => (MathFn::Max, widest),
        ("Min", 2) => (MathFn::Min, widest),
        ("Abs", 1) => (MathFn::Abs, first),
        ("Round", 1..=3) => (MathFn::Round, Ty::Double),
        ("Floor", 1) => (MathFn::Floor, Ty::Double),
        ("Ceiling", 1) => (MathFn::Ceiling, Ty::Double),
        ("Truncate", 1) => (MathFn::Truncate, Ty::Double),
        ("Pow", 2) => (MathFn::Pow, Ty::Double),
        ("Sqrt", 1) => (MathFn::Sqrt, Ty::Double),
        _ => return None,
    };
    ok(MiscFn::Math(f), ty)
}

fn widen(a: &Ty, b: &Ty) -> Ty {
    match (a, b) {
        (Ty::Double, _) | (_, Ty::Double) => Ty::Double,
        (Ty::Long, _) | (_, Ty::Long) => Ty::Long,
        _ => Ty::Int,
    }
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    let f = match (ty, args.len()) {
        (Ty::Random, 0 | 1) => MiscFn::NewRandom,
        (Ty::Guid, 1) if args[0] == Ty::Bytes => MiscFn::GuidFromBytes,
        (Ty::Guid, 1) => MiscFn::GuidParse,
        (Ty::Exception, 0 | 1) => MiscFn::NewException("Exception".to_owned()),
        _ => return None,
    };
    Some(Ok(Func::Misc(f)))
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: &MiscFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let first = arg(&mut args, 0);
    match f {
        MiscFn::ToString => Ok(Value::from(m.display(&non_null(target)?))),
        MiscFn::ToStringFormat => {
            let format = m.display(&first);
            super::convert::format_value(&non_null(target)?, &format, m).map(Value::from)
        }
        MiscFn::Equals if args.len() == 2 => {
            let second = arg(&mut args, 1);
            Ok(Value::Bool(
                values_equal(&first, &second) || (first.is_null() && second.is_null()),
            ))
        }
        MiscFn::Equals => Ok(Value::Bool(values_equal(&non_null(target)?, &first))),
        MiscFn::GetHashCode => Ok(Value::Int(hash(&m.display(&non_null(target)?)))),
        MiscFn::CompareTo => Ok(Value::Int(match compare(&non_null(target)?, &first) {
            Some(std::cmp::Ordering::Less) => -1,
            Some(std::cmp::Ordering::Greater) => 1,
            _ => 0,
        })),
        MiscFn::GetValueOrDefault => Ok(if target.is_null() { first } else { target }),
        MiscFn::Anonymous(names) => Ok(Value::Anonymous(
            names
                .iter()
                .cloned()
                .zip(std::iter::once(first).chain(args.into_iter().skip(1)))
                .collect(),
        )),
        MiscFn::RunThen(slot) => {
            m.invoke(&first, &[])?;
            Ok(m.read_local(*slot))
        }
        MiscFn::NewException(type_name) => {
            Ok(Value::Pair(Arc::new((Value::str(type_name), first))))
        }
        _ => random_and_math(m, f, target, first, args),
    }
}

/// A stable string hash (not .NET's randomised one, which no policy can rely on either).
fn hash(text: &str) -> i32 {
    text.bytes()
        .fold(5381i32, |h, b| h.wrapping_mul(33) ^ i32::from(b))
}

fn random_and_math(
    m: &Machine<'_>,
    f: &MiscFn,
    target: Value,
    first: Value,
    args: Vec<Value>,
) -> Result<Value, EvalError> {
    match f {
        MiscFn::NewRandom => Ok(Value::Random(match first {
            Value::Null => Random::unseeded(),
            seed => Random::seeded(int_arg(&seed)? as i32),
        })),
        MiscFn::RandomNext => random_next(&random(target)?, &first, args.get(1)),
        MiscFn::RandomNextDouble => Ok(Value::Double(random(target)?.unit())),
        MiscFn::NewGuid => Ok(Value::Guid(uuid::Uuid::new_v4())),
        MiscFn::GuidParse => Ok(Value::Guid(parse_guid(&m.display(&non_null(first)?))?)),
        MiscFn::CertHash => match non_null(target)? {
            Value::Certificate(cert) => {
                let bytes = hex_bytes(cert.thumbprint());
                Ok(Value::Bytes(bytes.into()))
            }
            other => Err(EvalError::cast(other.type_name(), "X509Certificate2")),
        },
        MiscFn::Math(f) => math_call(*f, first, args),
        MiscFn::GuidFromBytes => {
            let bytes = super::convert::bytes_arg(&non_null(first)?)?;
            let bytes: [u8; 16] = bytes.try_into().map_err(|_| {
                EvalError::argument(
                    "Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')",
                )
            })?;
            Ok(Value::Guid(uuid::Uuid::from_bytes_le(bytes)))
        }
        MiscFn::GuidBytes => match non_null(target)? {
            // .NET stores the first three fields little-endian.
            Value::Guid(g) => Ok(Value::Bytes(g.to_bytes_le().to_vec().into())),
            other => Err(EvalError::cast(other.type_name(), "System.Guid")),
        },
        _ => Err(EvalError::NotSupported {
            what: format!("{f:?}"),
        }),
    }
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn random(target: Value) -> Result<Random, EvalError> {
    match non_null(target)? {
        Value::Random(random) => Ok(random),
        other => Err(EvalError::cast(other.type_name(), "System.Random")),
    }
}

fn random_next(random: &Random, first: &Value, second: Option<&Value>) -> Result<Value, EvalError> {
    let (low, high) = match (first, second) {
        (Value::Null, _) => (0, i64::from(i32::MAX)),
        (max, None) => (0, int_arg(max)?),
        (min, Some(max)) => (int_arg(min)?, int_arg(max)?),
    };
    if high < low {
        let message = if second.is_some() {
            "'minValue' cannot be greater than maxValue. (Parameter 'minValue')"
        } else {
            "'maxValue' must be greater than or equal to zero. (Parameter 'maxValue')"
        };
        return Err(EvalError::argument(message));
    }
    Ok(Value::Int(random.range(low, high) as i32))
}

/// `Guid.Parse`: the `D`, `N`, `B` and `P` formats.
pub(crate) fn parse_guid(text: &str) -> Result<uuid::Uuid, EvalError> {
    let trimmed = text
        .trim()
        .trim_start_matches(['{', '('])
        .trim_end_matches(['}', ')']);
    uuid::Uuid::parse_str(trimmed).map_err(|_| EvalError::format("Unrecognized Guid format."))
}

fn number(value: &Value) -> Result<f64, EvalError> {
    match value {
        Value::Double(d) => Ok(*d),
        other => int_arg(other).map(|i| i as f64),
    }
}

fn math_call(f: MathFn, first: Value, args: Vec<Value>) -> Result<Value, EvalError> {
    let second = args.into_iter().nth(1);
    match f {
        MathFn::Max | MathFn::Min => {
            let second = second.unwrap_or_default();
            let first_wins = match compare(&first, &second) {
                Some(std::cmp::Ordering::Greater) => f == MathFn::Max,
                Some(_) => f == MathFn::Min,
                None => true,
            };
            Ok(if first_wins { first } else { second })
        }
        MathFn::Abs => Ok(match first {
            Value::Int(i) => Value::Int(i.checked_abs().ok_or(EvalError::Overflow)?),
            Value::Long(l) => Value::Long(l.checked_abs().ok_or(EvalError::Overflow)?),
            other => Value::Double(number(&other)?.abs()),
        }),
        MathFn::Round => round(number(&first)?, second.as_ref()),
        MathFn::Floor => Ok(Value::Double(number(&first)?.floor())),
        MathFn::Ceiling => Ok(Value::Double(number(&first)?.ceil())),
        MathFn::Truncate => Ok(Value::Double(number(&first)?.trunc())),
        MathFn::Pow => Ok(Value::Double(
            number(&first)?.powf(number(&second.unwrap_or_default())?),
        )),
        MathFn::Sqrt => Ok(Value::Double(number(&first)?.sqrt())),
    }
}

/// `Math.Round(x[, digits])`: banker's rounding, as .NET's default.
fn round(value: f64, digits: Option<&Value>) -> Result<Value, EvalError> {
    let digits = match digits {
        Some(v @ (Value::Int(_) | Value::Long(_))) => int_arg(v)?.clamp(0, 15) as i32,
        _ => 0,
    };
    let scale = 10f64.powi(digits);
    Ok(Value::Double((value * scale).round_ties_even() / scale))
}
