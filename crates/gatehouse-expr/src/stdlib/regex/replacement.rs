//! `Regex.Replace`'s replacement patterns, expanded by Gatehouse rather than by the `regex`
//! crate so that each match's replacement is measured before it is appended.
//!
//! A replacement can multiply its input: every character of a megabyte replaced by a megabyte,
//! or `$0` written a million times, is a terabyte. Measuring first lets the string limit refuse
//! such a result after at most one limit's worth of text, instead of after the allocator gives
//! up.

use regex::{Captures, Regex};

use crate::error::EvalError;
use crate::eval::Machine;

/// One part of a parsed replacement pattern.
#[derive(Debug, PartialEq)]
enum Part {
    Text(String),
    Group(usize),
    Named(String),
}

/// `Regex.Replace(input, pattern, replacement)` with .NET's substitutions: `$$` is a `$`, `$&`
/// the whole match, `$n` and `${n}` numbered groups, `${name}` named groups; a group that did
/// not take part in the match, or that the pattern lacks, is empty; any other `$` is literal.
pub(super) fn replace_all(
    m: &Machine<'_>,
    regex: &Regex,
    input: &str,
    replacement: &str,
) -> Result<String, EvalError> {
    let parts = parse(replacement);
    let mut out = String::new();
    let mut last = 0;
    for captures in regex.captures_iter(input) {
        let Some(found) = captures.get(0) else {
            continue;
        };
        let before = &input[last..found.start()];
        let added = expanded_len(&captures, &parts).and_then(|n| n.checked_add(before.len()));
        m.check_new_string(added.and_then(|n| n.checked_add(out.len())))?;
        out.push_str(before);
        for part in &parts {
            out.push_str(part_text(&captures, part));
        }
        last = found.end();
    }
    m.check_new_string(out.len().checked_add(input.len() - last))?;
    out.push_str(&input[last..]);
    Ok(out)
}

/// The length of one match's replacement; `None` when it overflows.
fn expanded_len(captures: &Captures<'_>, parts: &[Part]) -> Option<usize> {
    parts.iter().try_fold(0usize, |n, part| {
        n.checked_add(part_text(captures, part).len())
    })
}

fn part_text<'a>(captures: &Captures<'a>, part: &'a Part) -> &'a str {
    let found = match part {
        Part::Text(text) => return text,
        Part::Group(index) => captures.get(*index),
        Part::Named(name) => captures.name(name),
    };
    found.map_or("", |m| m.as_str())
}

/// Splits a replacement pattern into literal text and group references; neighbouring
/// literals are merged, so a pattern costs one part per reference.
fn parse(pattern: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = pattern;
    while let Some(at) = rest.find('$') {
        text.push_str(&rest[..at]);
        let (reference, after) = reference(&rest[at + 1..]);
        match reference {
            Some(Part::Text(literal)) => text.push_str(&literal),
            Some(part) => {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(part);
            }
            None => text.push('$'),
        }
        rest = after;
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// The substitution that follows a `$`, and the text after it; `None` when the `$` is literal.
fn reference(after: &str) -> (Option<Part>, &str) {
    if let Some(rest) = after.strip_prefix('$') {
        return (Some(Part::Text("$".to_owned())), rest);
    }
    if let Some(rest) = after.strip_prefix('&') {
        return (Some(Part::Group(0)), rest);
    }
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        return (Some(group(&after[..digits])), &after[digits..]);
    }
    let braced = after
        .strip_prefix('{')
        .and_then(|inner| inner.split_once('}'));
    match braced {
        Some((name, rest)) => (Some(group(name)), rest),
        None => (None, after),
    }
}

/// A numbered group for digits (one too large for `usize` matches nothing), else a name.
fn group(name: &str) -> Part {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        Part::Group(name.parse().unwrap_or(usize::MAX))
    } else {
        Part::Named(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions_parse_as_dotnet_writes_them() {
        assert_eq!(
            parse("a$1-${2}$&${name}$$b$x$"),
            vec![
                Part::Text("a".to_owned()),
                Part::Group(1),
                Part::Text("-".to_owned()),
                Part::Group(2),
                Part::Group(0),
                Part::Named("name".to_owned()),
                Part::Text("$b$x$".to_owned()),
            ]
        );
        assert_eq!(
            parse("${unclosed"),
            vec![Part::Text("${unclosed".to_owned())]
        );
    }
}
