//! C# `ToString()` of every value, as .NET prints it (en-US culture, .NET Core number format).

use gatehouse_cert::Certificate;

use super::{DateTime, DateTimeKind, MessagePart, Value, format_date_time};
use crate::host::{Host, HostObject, UrlKind};

/// `double.ToString()`: the shortest text that round-trips, in exponent form (`1E+15`,
/// `1E-05`) outside the range .NET prints positionally.
pub(crate) fn format_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "∞" } else { "-∞" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }

    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();

    let body = if (-4..15).contains(&exponent) {
        positional(&digits, exponent)
    } else {
        exponential(&digits, exponent)
    };
    if negative { format!("-{body}") } else { body }
}

fn positional(digits: &str, exponent: i32) -> String {
    let point = exponent + 1;
    if point <= 0 {
        return format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize));
    }
    let point = point as usize;
    if digits.len() <= point {
        return format!("{digits}{}", "0".repeat(point - digits.len()));
    }
    format!("{}.{}", &digits[..point], &digits[point..])
}

fn exponential(digits: &str, exponent: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let sign = if exponent < 0 { '-' } else { '+' };
    let mantissa = if rest.is_empty() {
        first.to_owned()
    } else {
        format!("{first}.{rest}")
    };
    format!("{mantissa}E{sign}{:02}", exponent.unsigned_abs())
}

/// C# `Convert.ToString(value)`: what `ToString()` returns, and `""` for null.
///
/// JSON and XML, whose text a tree of shared nodes can make far longer than the values held
/// in memory (one string referenced by a hundred thousand items), are written only until the
/// text passes `max` bytes. The result is the whole text
/// when it has at most `max` bytes, and otherwise a cut-off text longer than `max`, which
/// every caller that builds a string refuses at the string limit.
pub(crate) fn to_display_capped(value: &Value, host: &dyn Host, max: usize) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        Value::Char(c) => c.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Long(i) => i.to_string(),
        Value::Double(d) => format_double(*d),
        Value::Str(s) => s.to_string(),
        Value::DateTime(at) => format_date_time(*at, "", None),
        Value::DateTimeOffset(at) => format_date_time(at.clock(), "", Some(at.offset_minutes)),
        Value::TimeSpan(span) => span.display(),
        Value::Guid(g) => g.hyphenated().to_string(),
        Value::Certificate(cert) => certificate_text(cert),
        Value::Pair(pair) => format!(
            "[{}, {}]",
            to_display_capped(&pair.0, host, max),
            to_display_capped(&pair.1, host, max)
        ),
        Value::Anonymous(members) => anonymous_text(members, host, max),
        Value::Json(token) => token.to_display_capped(max),
        Value::Enum(e) => e.name(),
        Value::Host(object) => host_text(*object, host),
        Value::Message(m) if m.part == MessagePart::Body => "IMessageBody".to_owned(),
        Value::Uri(url) => url.to_url_string(),
        Value::Regex(found, part) => regex_text(found, *part),
        Value::Builder(builder) => builder.text(),
        Value::Xml(xml) => xml.display_capped(max),
        other => other.type_name().to_owned(),
    }
}

/// Appends `text` to `out` unless that takes `out` past `max` bytes; then appends only enough
/// of it (cut at a character boundary) to pass `max`, and returns `false`: a writer that stops
/// there leaves a text longer than `max`, which says the whole would not have fit.
pub(crate) fn push_within(out: &mut String, text: &str, max: usize) -> bool {
    if out.len().saturating_add(text.len()) <= max {
        out.push_str(text);
        return true;
    }
    let room = max
        .saturating_sub(out.len())
        .saturating_add(1)
        .min(text.len());
    let cut = (room..=text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    out.push_str(&text[..cut]);
    false
}

/// `Match.ToString()` and `Group.ToString()` give the captured text.
fn regex_text(found: &super::RegexMatch, part: super::RegexPart) -> String {
    let index = match part {
        super::RegexPart::Group(i) => i,
        super::RegexPart::Match => 0,
        super::RegexPart::Groups => {
            return "System.Text.RegularExpressions.GroupCollection".to_owned();
        }
    };
    let captured = found.groups.get(index).and_then(|(_, c)| c.as_ref());
    captured.map_or_else(String::new, |(text, _)| text.to_string())
}

fn anonymous_text(members: &[(crate::context::Str, Value)], host: &dyn Host, max: usize) -> String {
    if members.is_empty() {
        return "{ }".to_owned();
    }
    let parts: Vec<String> = members
        .iter()
        .map(|(n, v)| format!("{n} = {}", to_display_capped(v, host, max)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn host_text(object: HostObject, host: &dyn Host) -> String {
    let url = match object {
        HostObject::Url(UrlKind::ApiServiceUrl) => host.api().and_then(|a| a.service_url.as_ref()),
        HostObject::Url(kind) => host.url(kind),
        _ => None,
    };
    match url {
        Some(url) => url.to_url_string(),
        None => format!("{object:?}"),
    }
}

/// `X509Certificate2.ToString()`, in the layout APIM shows for `context.Request.Certificate`.
fn certificate_text(cert: &Certificate) -> String {
    let local = |at| {
        format_date_time(
            DateTime::from_offset_date_time(at, DateTimeKind::Local),
            "",
            None,
        )
    };
    format!(
        "[Subject]\n  {}\n\n[Issuer]\n  {}\n\n[Serial Number]\n  {}\n\n[Not Before]\n  {}\n\n[Not After]\n  {}\n\n[Thumbprint]\n  {}\n",
        cert.subject(),
        cert.issuer(),
        cert.serial_number(),
        local(cert.not_before()),
        local(cert.not_after()),
        cert.thumbprint()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_dotnet_core() {
        let cases = [
            (1.5, "1.5"),
            (100.0, "100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e15, "1E+15"),
            (123_456_789_012_345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1E-05"),
            (-2.5e-7, "-2.5E-07"),
        ];
        for (value, text) in cases {
            assert_eq!(format_double(value), text, "{value}");
        }
    }
}
