//! `DateTime`, `DateTimeOffset` and `TimeSpan`.

use time::{Date, Month, PrimitiveDateTime, Time};

use super::string::int_arg;
use super::{Class, Func, Member, Prop, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::{
    DateTime, DateTimeKind, DateTimeOffset, EnumType, EnumValue, TICKS_PER_SECOND, TimeSpan, Value,
    parse_date,
};

/// A date or time-span property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeProp {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
    Ticks,
    Kind,
    Date,
    DayOfYear,
    TimeOfDay,
    UtcDateTime,
    ClockDateTime,
    Offset,
    Days,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
    TotalDays,
    TotalHours,
    TotalMinutes,
    TotalSeconds,
    TotalMilliseconds,
}

/// A date or time-span method, static method or constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeFn {
    UtcNow,
    Now,
    Today,
    OffsetUtcNow,
    Add { unit: i64 },
    AddMonths { months_per_unit: i32 },
    AddSpan,
    Subtract,
    ToUniversalTime,
    ToLocalTime,
    ToUnixSeconds,
    ToUnixMilliseconds,
    Parse,
    ParseOffset,
    SpecifyKind,
    FromUnix { unit: i64 },
    SpanFrom { unit: i64 },
    NewDateTime,
    NewOffset,
    NewSpan,
}

const MS: i64 = TICKS_PER_SECOND / 1000;

pub(crate) fn static_member(class: Class, name: &str) -> Option<Member> {
    let call = |f, ty| Some(Member::Call(Func::Time(f), ty));
    match (class, name) {
        (Class::DateTime, "UtcNow") => call(TimeFn::UtcNow, Ty::DateTime),
        (Class::DateTime, "Now") => call(TimeFn::Now, Ty::DateTime),
        (Class::DateTime, "Today") => call(TimeFn::Today, Ty::DateTime),
        (Class::DateTimeOffset, "UtcNow" | "Now") => call(TimeFn::OffsetUtcNow, Ty::DateTimeOffset),
        (Class::DateTime, "MinValue") => Some(Member::Const(
            Value::DateTime(DateTime {
                ticks: 0,
                kind: DateTimeKind::Unspecified,
            }),
            Ty::DateTime,
        )),
        (Class::TimeSpan, "Zero") => Some(Member::Const(
            Value::TimeSpan(TimeSpan::default()),
            Ty::TimeSpan,
        )),
        _ => None,
    }
}

#[rustfmt::skip]
pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    use TimeProp as P;
    let (prop, result) = match (ty, name) {
        (Ty::DateTime | Ty::DateTimeOffset, "Year") => (P::Year, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset, "Month") => (P::Month, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset, "Day") => (P::Day, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset, "Hour") => (P::Hour, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset, "Minute") => (P::Minute, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset, "Second") => (P::Second, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset, "Millisecond") => (P::Millisecond, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset | Ty::TimeSpan, "Ticks") => (P::Ticks, Ty::Long),
        (Ty::DateTime, "Kind") => (P::Kind, Ty::Enum(EnumType::DateTimeKind)),
        (Ty::DateTime, "Date") => (P::Date, Ty::DateTime),
        (Ty::DateTime | Ty::DateTimeOffset, "DayOfYear") => (P::DayOfYear, Ty::Int),
        (Ty::DateTime | Ty::DateTimeOffset, "TimeOfDay") => (P::TimeOfDay, Ty::TimeSpan),
        (Ty::DateTimeOffset, "UtcDateTime") => (P::UtcDateTime, Ty::DateTime),
        (Ty::DateTimeOffset, "DateTime" | "LocalDateTime") => (P::ClockDateTime, Ty::DateTime),
        (Ty::DateTimeOffset, "Offset") => (P::Offset, Ty::TimeSpan),
        (Ty::TimeSpan, "Days") => (P::Days, Ty::Int),
        (Ty::TimeSpan, "Hours") => (P::Hours, Ty::Int),
        (Ty::TimeSpan, "Minutes") => (P::Minutes, Ty::Int),
        (Ty::TimeSpan, "Seconds") => (P::Seconds, Ty::Int),
        (Ty::TimeSpan, "Milliseconds") => (P::Milliseconds, Ty::Int),
        (Ty::TimeSpan, "TotalDays") => (P::TotalDays, Ty::Double),
        (Ty::TimeSpan, "TotalHours") => (P::TotalHours, Ty::Double),
        (Ty::TimeSpan, "TotalMinutes") => (P::TotalMinutes, Ty::Double),
        (Ty::TimeSpan, "TotalSeconds") => (P::TotalSeconds, Ty::Double),
        (Ty::TimeSpan, "TotalMilliseconds") => (P::TotalMilliseconds, Ty::Double),
        _ => return None,
    };
    Some((Prop::Time(prop), result))
}

pub(crate) fn get(target: Value, prop: TimeProp) -> Result<Value, EvalError> {
    match non_null(target)? {
        Value::DateTime(at) => Ok(date_prop(at, prop)),
        Value::DateTimeOffset(at) => Ok(match prop {
            TimeProp::UtcDateTime => Value::DateTime(at.utc()),
            TimeProp::ClockDateTime => Value::DateTime(at.clock()),
            TimeProp::Offset => Value::TimeSpan(TimeSpan {
                ticks: i64::from(at.offset_minutes) * 60 * TICKS_PER_SECOND,
            }),
            other => date_prop(at.clock(), other),
        }),
        Value::TimeSpan(span) => Ok(span_prop(span, prop)),
        other => Err(EvalError::cast(other.type_name(), "System.DateTime")),
    }
}

fn date_prop(at: DateTime, prop: TimeProp) -> Value {
    let f = at.fields();
    let ticks_of_day = at.ticks.rem_euclid(86_400 * TICKS_PER_SECOND);
    match prop {
        TimeProp::Year => Value::Int(f.year()),
        TimeProp::Month => Value::Int(i32::from(u8::from(f.month()))),
        TimeProp::Day => Value::Int(i32::from(f.day())),
        TimeProp::Hour => Value::Int(i32::from(f.hour())),
        TimeProp::Minute => Value::Int(i32::from(f.minute())),
        TimeProp::Second => Value::Int(i32::from(f.second())),
        TimeProp::Millisecond => Value::Int((at.ticks.rem_euclid(TICKS_PER_SECOND) / MS) as i32),
        TimeProp::Ticks => Value::Long(at.ticks),
        TimeProp::Kind => Value::Enum(EnumValue {
            ty: EnumType::DateTimeKind,
            value: at.kind as i32,
        }),
        TimeProp::Date => Value::DateTime(DateTime {
            ticks: at.ticks - ticks_of_day,
            kind: at.kind,
        }),
        TimeProp::DayOfYear => Value::Int(i32::from(f.ordinal())),
        _ => Value::TimeSpan(TimeSpan {
            ticks: ticks_of_day,
        }),
    }
}

fn span_prop(span: TimeSpan, prop: TimeProp) -> Value {
    let t = span.ticks;
    let per = |unit: i64| Value::Int((t / unit) as i32);
    let total = |unit: i64| Value::Double(t as f64 / unit as f64);
    match prop {
        TimeProp::Days => per(86_400 * TICKS_PER_SECOND),
        TimeProp::Hours => Value::Int((t / (3600 * TICKS_PER_SECOND) % 24) as i32),
        TimeProp::Minutes => Value::Int((t / (60 * TICKS_PER_SECOND) % 60) as i32),
        TimeProp::Seconds => Value::Int((t / TICKS_PER_SECOND % 60) as i32),
        TimeProp::Milliseconds => Value::Int((t / MS % 1000) as i32),
        TimeProp::TotalDays => total(86_400 * TICKS_PER_SECOND),
        TimeProp::TotalHours => total(3600 * TICKS_PER_SECOND),
        TimeProp::TotalMinutes => total(60 * TICKS_PER_SECOND),
        TimeProp::TotalSeconds => total(TICKS_PER_SECOND),
        TimeProp::TotalMilliseconds => total(MS),
        _ => Value::Long(t),
    }
}

fn ok(f: TimeFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Time(f), ty)))
}

/// Ticks in one unit named by an `Add…`/`From…` suffix.
fn unit(name: &str) -> Option<i64> {
    Some(match name {
        "Ticks" => 1,
        "Milliseconds" => MS,
        "Seconds" => TICKS_PER_SECOND,
        "Minutes" => 60 * TICKS_PER_SECOND,
        "Hours" => 3600 * TICKS_PER_SECOND,
        "Days" => 86_400 * TICKS_PER_SECOND,
        _ => return None,
    })
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let n = sig.args.len();
    match sig.recv {
        Recv::Value(ty @ (Ty::DateTime | Ty::DateTimeOffset)) => {
            date_method(ty, sig.name, sig.args)
        }
        Recv::Static(Class::DateTime) => match (sig.name, n) {
            ("Parse", 1 | 2) => ok(TimeFn::Parse, Ty::DateTime),
            ("SpecifyKind", 2) => ok(TimeFn::SpecifyKind, Ty::DateTime),
            _ => None,
        },
        Recv::Static(Class::DateTimeOffset) => match (sig.name, n) {
            ("FromUnixTimeSeconds", 1) => ok(
                TimeFn::FromUnix {
                    unit: TICKS_PER_SECOND,
                },
                Ty::DateTimeOffset,
            ),
            ("FromUnixTimeMilliseconds", 1) => {
                ok(TimeFn::FromUnix { unit: MS }, Ty::DateTimeOffset)
            }
            ("Parse", 1 | 2) => ok(TimeFn::ParseOffset, Ty::DateTimeOffset),
            _ => None,
        },
        Recv::Static(Class::TimeSpan) => {
            let unit = unit(sig.name.strip_prefix("From")?)?;
            (n == 1).then_some(Ok((Func::Time(TimeFn::SpanFrom { unit }), Ty::TimeSpan)))
        }
        _ => None,
    }
}

fn date_method(ty: &Ty, name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    let same = ty.clone();
    let n = args.len();
    if let Some(unit) = name.strip_prefix("Add").and_then(unit) {
        return (n == 1).then_some(Ok((Func::Time(TimeFn::Add { unit }), same)));
    }
    match (name, n) {
        ("AddMonths", 1) => ok(TimeFn::AddMonths { months_per_unit: 1 }, same),
        ("AddYears", 1) => ok(
            TimeFn::AddMonths {
                months_per_unit: 12,
            },
            same,
        ),
        ("Add", 1) => ok(TimeFn::AddSpan, same),
        ("Subtract", 1) if args[0] == *ty => ok(TimeFn::Subtract, Ty::TimeSpan),
        ("Subtract", 1) => ok(TimeFn::Subtract, same),
        ("ToUniversalTime", 0) => ok(TimeFn::ToUniversalTime, same),
        ("ToLocalTime", 0) => ok(TimeFn::ToLocalTime, same),
        ("ToUnixTimeSeconds", 0) if *ty == Ty::DateTimeOffset => {
            ok(TimeFn::ToUnixSeconds, Ty::Long)
        }
        ("ToUnixTimeMilliseconds", 0) if *ty == Ty::DateTimeOffset => {
            ok(TimeFn::ToUnixMilliseconds, Ty::Long)
        }
        _ => None,
    }
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    let f = match (ty, args.len()) {
        (Ty::DateTime, 3 | 6 | 7) => TimeFn::NewDateTime,
        (Ty::DateTimeOffset, 1 | 2) => TimeFn::NewOffset,
        (Ty::TimeSpan, 1 | 3 | 4) => TimeFn::NewSpan,
        (Ty::DateTime | Ty::DateTimeOffset | Ty::TimeSpan, _) => {
            return Some(Err(
                "this constructor is not supported by Gatehouse".to_owned()
            ));
        }
        _ => return None,
    };
    Some(Ok(Func::Time(f)))
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: TimeFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    match f {
        TimeFn::NewSpan => return new_span(&args),
        TimeFn::NewDateTime => return new_date_time(&args),
        TimeFn::Add { .. } | TimeFn::AddMonths { .. } | TimeFn::AddSpan | TimeFn::Subtract => {
            return instance(f, non_null(target)?, args);
        }
        TimeFn::ToUniversalTime
        | TimeFn::ToLocalTime
        | TimeFn::ToUnixSeconds
        | TimeFn::ToUnixMilliseconds => {
            return instance(f, non_null(target)?, args);
        }
        _ => {}
    }
    let first = arg(&mut args, 0);
    Ok(match f {
        TimeFn::UtcNow | TimeFn::Now | TimeFn::Today | TimeFn::OffsetUtcNow => clock(m, f),
        TimeFn::Parse => Value::DateTime(parse(m, first)?),
        TimeFn::ParseOffset => offset_value(parse(m, first)?),
        TimeFn::SpecifyKind => specify_kind(first, &arg(&mut args, 1))?,
        TimeFn::FromUnix { unit } => {
            let ticks = int_arg(&first)?
                .checked_mul(unit)
                .ok_or(EvalError::Overflow)?;
            offset_value(
                DateTime::from_unix_ticks(ticks, DateTimeKind::Utc).ok_or(EvalError::Overflow)?,
            )
        }
        TimeFn::SpanFrom { unit } => Value::TimeSpan(span_from(&first, unit)?),
        TimeFn::NewOffset => match first {
            Value::DateTime(at) => offset_value(at),
            other => return Err(EvalError::cast(other.type_name(), "System.DateTime")),
        },
        _ => {
            return Err(EvalError::NotSupported {
                what: format!("{f:?}"),
            });
        }
    })
}

/// `DateTime.UtcNow`, `Now`, `Today` and `DateTimeOffset.UtcNow`, from the host's clock.
fn clock(m: &Machine<'_>, f: TimeFn) -> Value {
    let now = DateTime::from_offset_date_time(m.host.now(), DateTimeKind::Utc);
    let day = 86_400 * TICKS_PER_SECOND;
    match f {
        TimeFn::Now => Value::DateTime(with_kind(now, DateTimeKind::Local)),
        TimeFn::Today => Value::DateTime(DateTime {
            ticks: now.ticks - now.ticks % day,
            kind: DateTimeKind::Local,
        }),
        TimeFn::OffsetUtcNow => offset_value(now),
        _ => Value::DateTime(now),
    }
}

fn parse(m: &Machine<'_>, text: Value) -> Result<DateTime, EvalError> {
    let text = m.display(&non_null(text)?);
    parse_date(&text).ok_or_else(bad_date)
}

/// A `DateTimeOffset` at offset zero.
fn offset_value(at: DateTime) -> Value {
    Value::DateTimeOffset(DateTimeOffset {
        ticks: at.ticks,
        offset_minutes: 0,
    })
}

fn bad_date() -> EvalError {
    EvalError::format("String was not recognized as a valid DateTime.")
}

fn specify_kind(value: Value, kind: &Value) -> Result<Value, EvalError> {
    let Value::DateTime(at) = value else {
        return Err(EvalError::cast(value.type_name(), "System.DateTime"));
    };
    let kind = match kind {
        Value::Enum(e) if e.value == 1 => DateTimeKind::Utc,
        Value::Enum(e) if e.value == 2 => DateTimeKind::Local,
        _ => DateTimeKind::Unspecified,
    };
    Ok(Value::DateTime(DateTime { kind, ..at }))
}

fn span_from(value: &Value, unit: i64) -> Result<TimeSpan, EvalError> {
    let amount = match value {
        Value::Double(d) => *d,
        other => int_arg(other)? as f64,
    };
    let ticks = amount * unit as f64;
    if !ticks.is_finite() || ticks.abs() > i64::MAX as f64 {
        return Err(EvalError::Overflow);
    }
    Ok(TimeSpan {
        ticks: ticks.round() as i64,
    })
}

fn new_date_time(args: &[Value]) -> Result<Value, EvalError> {
    let part = |i: usize| args.get(i).map_or(Ok(0), int_arg);
    let invalid = || {
        EvalError::argument(
            "Year, Month, and Day parameters describe an un-representable DateTime.",
        )
    };
    let month = Month::try_from(part(1)? as u8).map_err(|_| invalid())?;
    let date =
        Date::from_calendar_date(part(0)? as i32, month, part(2)? as u8).map_err(|_| invalid())?;
    let time =
        Time::from_hms(part(3)? as u8, part(4)? as u8, part(5)? as u8).map_err(|_| invalid())?;
    let kind = match args.get(6) {
        Some(Value::Enum(e)) if e.value == 1 => DateTimeKind::Utc,
        Some(Value::Enum(e)) if e.value == 2 => DateTimeKind::Local,
        _ => DateTimeKind::Unspecified,
    };
    Ok(Value::DateTime(DateTime::from_fields(
        PrimitiveDateTime::new(date, time),
        kind,
    )))
}

fn new_span(args: &[Value]) -> Result<Value, EvalError> {
    let parts: Result<Vec<i64>, _> = args.iter().map(int_arg).collect();
    let ticks = match parts?.as_slice() {
        [ticks] => *ticks,
        [h, m, s] => (h * 3600 + m * 60 + s) * TICKS_PER_SECOND,
        [d, h, m, s] => (d * 86_400 + h * 3600 + m * 60 + s) * TICKS_PER_SECOND,
        _ => 0,
    };
    Ok(Value::TimeSpan(TimeSpan { ticks }))
}

fn instance(f: TimeFn, target: Value, mut args: Vec<Value>) -> Result<Value, EvalError> {
    let first = arg(&mut args, 0);
    let (at, offset) = match target {
        Value::DateTime(at) => (at, None),
        Value::DateTimeOffset(at) => (at.clock(), Some(at.offset_minutes)),
        other => return Err(EvalError::cast(other.type_name(), "System.DateTime")),
    };
    match (f, first) {
        (TimeFn::Add { unit }, amount) => shift(at, offset, span_from(&amount, unit)?.ticks),
        (TimeFn::AddSpan, Value::TimeSpan(span)) => shift(at, offset, span.ticks),
        (TimeFn::Subtract, Value::TimeSpan(span)) => shift(at, offset, -span.ticks),
        (TimeFn::Subtract, Value::DateTime(other)) => Ok(Value::TimeSpan(TimeSpan {
            ticks: at.ticks - other.ticks,
        })),
        (TimeFn::AddMonths { months_per_unit }, months) => {
            add_months(at, int_arg(&months)? as i32 * months_per_unit).map(|d| rewrap(d, offset))
        }
        (TimeFn::ToUniversalTime, _) => Ok(rewrap(with_kind(at, DateTimeKind::Utc), offset)),
        (TimeFn::ToLocalTime, _) => Ok(rewrap(with_kind(at, DateTimeKind::Local), offset)),
        (TimeFn::ToUnixSeconds, _) => Ok(Value::Long(unix(at, offset, TICKS_PER_SECOND))),
        (TimeFn::ToUnixMilliseconds, _) => Ok(Value::Long(unix(at, offset, MS))),
        (TimeFn::AddSpan | TimeFn::Subtract, other) => {
            Err(EvalError::cast(other.type_name(), "System.TimeSpan"))
        }
        _ => Err(EvalError::NotSupported {
            what: format!("{f:?}"),
        }),
    }
}

fn with_kind(at: DateTime, kind: DateTimeKind) -> DateTime {
    DateTime { kind, ..at }
}

/// `at` moved by `ticks`, failing outside the representable range as .NET does.
fn shift(at: DateTime, offset: Option<i16>, ticks: i64) -> Result<Value, EvalError> {
    let moved = at
        .ticks
        .checked_add(ticks)
        .and_then(|t| DateTime::checked(t, at.kind));
    let moved = moved.ok_or(EvalError::argument(
        "The added or subtracted value results in an un-representable DateTime. (Parameter 'value')",
    ))?;
    Ok(rewrap(moved, offset))
}

/// Units of `unit` ticks since 1970 (`ToUnixTimeSeconds`/`Milliseconds`).
fn unix(at: DateTime, offset: Option<i16>, unit: i64) -> i64 {
    let utc = DateTimeOffset {
        ticks: at.ticks,
        offset_minutes: offset.unwrap_or(0),
    }
    .utc();
    utc.unix_ticks().div_euclid(unit)
}

fn rewrap(at: DateTime, offset: Option<i16>) -> Value {
    match offset {
        Some(offset_minutes) => Value::DateTimeOffset(DateTimeOffset {
            ticks: at.ticks,
            offset_minutes,
        }),
        None => Value::DateTime(at),
    }
}

fn add_months(at: DateTime, months: i32) -> Result<DateTime, EvalError> {
    let f = at.fields();
    let total = f.year() * 12 + i32::from(u8::from(f.month())) - 1 + months;
    let (year, month) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let month = Month::try_from(month).map_err(|_| EvalError::Overflow)?;
    let day = f.day().min(time::util::days_in_month(month, year));
    let date = Date::from_calendar_date(year, month, day).map_err(|_| EvalError::Overflow)?;
    let mut moved = DateTime::from_fields(PrimitiveDateTime::new(date, f.time()), at.kind);
    moved.ticks += at.ticks.rem_euclid(TICKS_PER_SECOND);
    Ok(moved)
}
