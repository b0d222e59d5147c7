//! .NET `DateTime`, `DateTimeOffset` and `TimeSpan`: 100-nanosecond ticks since 0001-01-01.
//!
//! Ticks keep arithmetic, comparison and `Ticks` exactly as .NET has them; the `time` crate only
//! splits ticks into calendar fields. Local time is UTC: a gateway in a container runs on UTC,
//! and APIM documents `NotAfter < DateTime.Now` style checks that work either way.

use std::fmt::Write;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Ticks per second.
pub(crate) const TICKS_PER_SECOND: i64 = 10_000_000;
/// Ticks at 1970-01-01T00:00:00Z.
const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;
/// Ticks at 9999-12-31T23:59:59.9999999.
const MAX_TICKS: i64 = 3_155_378_975_999_999_999;

/// `DateTime.Kind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DateTimeKind {
    #[default]
    Unspecified,
    Utc,
    Local,
}

/// A .NET `DateTime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    pub ticks: i64,
    pub kind: DateTimeKind,
}

/// A .NET `DateTimeOffset`: local clock ticks plus the offset from UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTimeOffset {
    pub ticks: i64,
    pub offset_minutes: i16,
}

/// A .NET `TimeSpan`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeSpan {
    pub ticks: i64,
}

impl DateTime {
    /// The instant `at` as a `DateTime` of `kind` (UTC clock; local time is UTC).
    pub fn from_offset_date_time(at: OffsetDateTime, kind: DateTimeKind) -> Self {
        let ticks = (at.unix_timestamp_nanos() / 100) as i64 + UNIX_EPOCH_TICKS;
        Self { ticks, kind }
    }

    /// `None` when the ticks are outside 0001-01-01 to 9999-12-31.
    pub fn checked(ticks: i64, kind: DateTimeKind) -> Option<Self> {
        (0..=MAX_TICKS)
            .contains(&ticks)
            .then_some(Self { ticks, kind })
    }

    pub(crate) fn fields(self) -> PrimitiveDateTime {
        let nanos = i128::from(self.ticks - UNIX_EPOCH_TICKS) * 100;
        let at =
            OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        PrimitiveDateTime::new(at.date(), at.time())
    }

    pub(crate) fn from_fields(fields: PrimitiveDateTime, kind: DateTimeKind) -> Self {
        Self::from_offset_date_time(fields.assume_utc(), kind)
    }

    /// Seconds since 1970 (for `DateTimeOffset.ToUnixTimeSeconds`).
    pub(crate) fn unix_ticks(self) -> i64 {
        self.ticks - UNIX_EPOCH_TICKS
    }

    pub(crate) fn from_unix_ticks(ticks: i64, kind: DateTimeKind) -> Option<Self> {
        Self::checked(ticks.checked_add(UNIX_EPOCH_TICKS)?, kind)
    }
}

impl DateTimeOffset {
    /// The `DateTime` on the offset's clock.
    pub(crate) fn clock(self) -> DateTime {
        DateTime {
            ticks: self.ticks,
            kind: DateTimeKind::Unspecified,
        }
    }

    /// The same instant on the UTC clock.
    pub(crate) fn utc(self) -> DateTime {
        let ticks = self.ticks - i64::from(self.offset_minutes) * 60 * TICKS_PER_SECOND;
        DateTime {
            ticks,
            kind: DateTimeKind::Utc,
        }
    }
}

impl TimeSpan {
    pub fn from_seconds(seconds: f64) -> Self {
        Self {
            ticks: (seconds * TICKS_PER_SECOND as f64).round() as i64,
        }
    }

    pub(crate) fn from_duration(d: time::Duration) -> Self {
        Self {
            ticks: (d.whole_nanoseconds() / 100) as i64,
        }
    }

    /// `[-][d.]hh:mm:ss[.fffffff]`, .NET's constant format.
    pub(crate) fn display(self) -> String {
        let sign = if self.ticks < 0 { "-" } else { "" };
        let ticks = self.ticks.unsigned_abs();
        let per_second = TICKS_PER_SECOND as u64;
        let (seconds, fraction) = (ticks / per_second, ticks % per_second);
        let (days, hours) = (seconds / 86_400, seconds / 3600 % 24);
        let (minutes, secs) = (seconds / 60 % 60, seconds % 60);

        let mut out = String::from(sign);
        if days > 0 {
            let _ = write!(out, "{days}.");
        }
        let _ = write!(out, "{hours:02}:{minutes:02}:{secs:02}");
        if fraction > 0 {
            let _ = write!(out, ".{fraction:07}");
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Formats like `DateTime.ToString(format)` in the en-US culture APIM runs with; `offset` is
/// `Some` for a `DateTimeOffset`.
pub(crate) fn format_date_time(at: DateTime, format: &str, offset: Option<i16>) -> String {
    let pattern = match format {
        "" | "G" => "M/d/yyyy h:mm:ss tt",
        "d" => "M/d/yyyy",
        "D" => "dddd, MMMM d, yyyy",
        "f" => "dddd, MMMM d, yyyy h:mm tt",
        "F" => "dddd, MMMM d, yyyy h:mm:ss tt",
        "g" => "M/d/yyyy h:mm tt",
        "t" => "h:mm tt",
        "T" => "h:mm:ss tt",
        "M" | "m" => "MMMM d",
        "Y" | "y" => "MMMM yyyy",
        "s" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        "u" => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        "o" | "O" => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
        "r" | "R" => "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        custom => custom,
    };
    let at = if matches!(format, "r" | "R" | "u") {
        offset.map_or(at, |o| shift(at, o))
    } else {
        at
    };
    let mut text = format_custom(at, pattern, offset);
    if offset.is_some() && matches!(format, "" | "G") {
        text.push(' ');
        text.push_str(&offset_text(offset.unwrap_or(0), true));
    }
    text
}

fn shift(at: DateTime, offset_minutes: i16) -> DateTime {
    let ticks = at.ticks - i64::from(offset_minutes) * 60 * TICKS_PER_SECOND;
    DateTime {
        ticks,
        kind: DateTimeKind::Utc,
    }
}

fn format_custom(at: DateTime, pattern: &str, offset: Option<i16>) -> String {
    let fields = at.fields();
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        i += match c {
            '\'' | '"' => quoted(&chars[i..], &mut out),
            '\\' => {
                out.extend(chars.get(i + 1));
                2
            }
            '%' => 1,
            _ => {
                field(&mut out, c, run, fields, at, offset);
                run
            }
        };
    }
    out
}

fn quoted(chars: &[char], out: &mut String) -> usize {
    let quote = chars[0];
    let end = chars[1..]
        .iter()
        .position(|c| *c == quote)
        .map_or(chars.len(), |p| p + 1);
    out.extend(&chars[1..end.min(chars.len())]);
    end + 1
}

fn field(
    out: &mut String,
    c: char,
    run: usize,
    f: PrimitiveDateTime,
    at: DateTime,
    offset: Option<i16>,
) {
    let hour12 = match f.hour() % 12 {
        0 => 12,
        h => h,
    };
    let _ = match (c, run) {
        ('y', 1) => write!(out, "{}", f.year() % 100),
        ('y', 2) => write!(out, "{:02}", f.year() % 100),
        ('y', n) => write!(out, "{}", padded_year(f.year(), n)),
        ('M', 1) => write!(out, "{}", u8::from(f.month())),
        ('M', 2) => write!(out, "{:02}", u8::from(f.month())),
        ('M', 3) => write!(
            out,
            "{}",
            &MONTHS[usize::from(u8::from(f.month())) - 1][..3]
        ),
        ('M', _) => write!(out, "{}", MONTHS[usize::from(u8::from(f.month())) - 1]),
        ('d', 1) => write!(out, "{}", f.day()),
        ('d', 2) => write!(out, "{:02}", f.day()),
        ('d', 3) => write!(
            out,
            "{}",
            &DAYS[f.weekday().number_days_from_monday() as usize][..3]
        ),
        ('d', _) => write!(
            out,
            "{}",
            DAYS[f.weekday().number_days_from_monday() as usize]
        ),
        ('H', 1) => write!(out, "{}", f.hour()),
        ('H', _) => write!(out, "{:02}", f.hour()),
        ('h', 1) => write!(out, "{hour12}"),
        ('h', _) => write!(out, "{hour12:02}"),
        ('m', 1) => write!(out, "{}", f.minute()),
        ('m', _) => write!(out, "{:02}", f.minute()),
        ('s', 1) => write!(out, "{}", f.second()),
        ('s', _) => write!(out, "{:02}", f.second()),
        ('f' | 'F', n) => write!(out, "{}", fraction(at, n, c == 'F')),
        ('t', 1) => write!(out, "{}", if f.hour() < 12 { "A" } else { "P" }),
        ('t', _) => write!(out, "{}", if f.hour() < 12 { "AM" } else { "PM" }),
        ('K', _) => write!(out, "{}", kind_suffix(at.kind, offset)),
        ('z', n) => write!(out, "{}", zone(offset.unwrap_or(0), n)),
        (other, n) => write!(out, "{}", other.to_string().repeat(n)),
    };
}

/// The year with zeros in front up to `width` digits (`yyyyy`). Written by hand: Rust's
/// formatter panics on widths past `u16::MAX`, and a format string may hold more `y`s.
fn padded_year(year: i32, width: usize) -> String {
    let digits = year.to_string();
    let mut out = "0".repeat(width.saturating_sub(digits.len()));
    out.push_str(&digits);
    out
}

fn fraction(at: DateTime, digits: usize, trim: bool) -> String {
    let digits = digits.min(7);
    let ticks = at.ticks.rem_euclid(TICKS_PER_SECOND);
    let text = format!("{ticks:07}");
    let text = &text[..digits];
    if trim {
        text.trim_end_matches('0').to_owned()
    } else {
        text.to_owned()
    }
}

fn kind_suffix(kind: DateTimeKind, offset: Option<i16>) -> String {
    if let Some(offset) = offset {
        return offset_text(offset, true);
    }
    match kind {
        DateTimeKind::Utc => "Z".to_owned(),
        DateTimeKind::Local => "+00:00".to_owned(),
        DateTimeKind::Unspecified => String::new(),
    }
}

fn zone(offset: i16, run: usize) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let (hours, minutes) = (offset.unsigned_abs() / 60, offset.unsigned_abs() % 60);
    match run {
        1 => format!("{sign}{hours}"),
        2 => format!("{sign}{hours:02}"),
        _ => format!("{sign}{hours:02}:{minutes:02}"),
    }
}

fn offset_text(offset: i16, colon: bool) -> String {
    let text = zone(offset, 3);
    if colon { text } else { text.replace(':', "") }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parses the date formats `DateTime.Parse` accepts in practice: ISO 8601 (with `Z` or an offset,
/// which .NET turns into local time), en-US `M/d/yyyy [h:mm[:ss] [AM|PM]]` and RFC 1123.
pub(crate) fn parse_date_time(text: &str) -> Option<DateTime> {
    let text = text.trim();
    parse_iso(text)
        .or_else(|| parse_us(text))
        .or_else(|| parse_rfc1123(text))
}

fn parse_iso(text: &str) -> Option<DateTime> {
    let (date_part, rest) = text.split_at(text.find(['T', ' ']).unwrap_or(text.len()));
    let mut parts = date_part.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1000..=9999).contains(&year) {
        return None;
    }

    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let rest = rest.get(1..).unwrap_or("");
    let (time_text, zone) = split_zone(rest);
    let (time, fraction) = parse_time(time_text)?;
    let local = PrimitiveDateTime::new(date, time);
    let mut at = DateTime::from_fields(local, DateTimeKind::Unspecified);
    at.ticks += fraction;
    match zone {
        None => Some(at),
        Some(offset) => Some(DateTime {
            ticks: at.ticks - i64::from(offset) * 60 * TICKS_PER_SECOND,
            kind: DateTimeKind::Local,
        }),
    }
}

/// Splits `10:00:00+02:00` into the time and the offset in minutes (`Z` is 0).
fn split_zone(text: &str) -> (&str, Option<i16>) {
    if let Some(time) = text.strip_suffix('Z') {
        return (time, Some(0));
    }
    let Some(at) = text.rfind(['+', '-']) else {
        return (text, None);
    };
    let zone = &text[at + 1..];
    let (hours, minutes) = zone
        .split_once(':')
        .unwrap_or((zone.get(..2).unwrap_or(zone), zone.get(2..).unwrap_or("0")));
    let (Ok(h), Ok(m)) = (hours.parse::<i16>(), minutes.parse::<i16>()) else {
        return (text, None);
    };
    let sign = if text.as_bytes()[at] == b'-' { -1 } else { 1 };
    (&text[..at], Some(sign * (h * 60 + m)))
}

/// `HH:mm[:ss[.fffffff]]` or empty (midnight); returns the time and extra ticks.
fn parse_time(text: &str) -> Option<(Time, i64)> {
    if text.is_empty() {
        return Some((Time::MIDNIGHT, 0));
    }
    let (main, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = main.split(':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok()?;
    let second: u8 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    let digits: String = fraction.chars().chain("0000000".chars()).take(7).collect();
    let ticks = if fraction.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some((Time::from_hms(hour, minute, second).ok()?, ticks))
}

fn parse_us(text: &str) -> Option<DateTime> {
    let mut words = text.split_whitespace();
    let mut date = words.next()?.split('/');
    let month: u8 = date.next()?.parse().ok()?;
    let day: u8 = date.next()?.parse().ok()?;
    let year: i32 = date.next()?.parse().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;

    let (mut time, extra) = parse_time(words.next().unwrap_or(""))?;
    match words.next() {
        Some("PM") if time.hour() < 12 => time = time.replace_hour(time.hour() + 12).ok()?,
        Some("AM") if time.hour() == 12 => time = time.replace_hour(0).ok()?,
        Some("AM" | "PM") | None => {}
        Some(_) => return None,
    }
    let mut at = DateTime::from_fields(
        PrimitiveDateTime::new(date, time),
        DateTimeKind::Unspecified,
    );
    at.ticks += extra;
    Some(at)
}

fn parse_rfc1123(text: &str) -> Option<DateTime> {
    let rest = text.split_once(", ").map_or(text, |(_, r)| r);
    let mut words = rest.split_whitespace();
    let day: u8 = words.next()?.parse().ok()?;
    let month_name = words.next()?;
    let month = MONTHS
        .iter()
        .position(|m| m[..3].eq_ignore_ascii_case(month_name))?;
    let year: i32 = words.next()?.parse().ok()?;
    let (time, _) = parse_time(words.next()?)?;
    let date = Date::from_calendar_date(year, Month::try_from(month as u8 + 1).ok()?, day).ok()?;
    let at = DateTime::from_fields(PrimitiveDateTime::new(date, time), DateTimeKind::Local);
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime {
        parse_date_time(text).expect("parses")
    }

    #[test]
    fn default_format_is_en_us() {
        assert_eq!(
            format_date_time(at("2023-10-27T09:05:11"), "", None),
            "10/27/2023 9:05:11 AM"
        );
        assert_eq!(
            format_date_time(at("2023-10-27T21:05:11"), "", None),
            "10/27/2023 9:05:11 PM"
        );
    }

    #[test]
    fn round_trip_format_has_seven_fraction_digits_and_the_kind() {
        let utc = DateTime {
            kind: DateTimeKind::Utc,
            ..at("2024-01-02T03:04:05.5")
        };
        assert_eq!(
            format_date_time(utc, "o", None),
            "2024-01-02T03:04:05.5000000Z"
        );
        assert_eq!(
            format_date_time(utc, "yyyy-MM-ddTHH:mm:ss.fffZ", None),
            "2024-01-02T03:04:05.500Z"
        );
    }

    #[test]
    fn time_span_display_matches_dotnet() {
        assert_eq!(
            TimeSpan {
                ticks: 90 * TICKS_PER_SECOND
            }
            .display(),
            "00:01:30"
        );
        assert_eq!(
            TimeSpan {
                ticks: 86_400 * TICKS_PER_SECOND + 5
            }
            .display(),
            "1.00:00:00.0000005"
        );
    }
}
