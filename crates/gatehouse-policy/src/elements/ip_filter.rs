//! `<ip-filter action="allow|forbid">` with `<address>` and `<address-range from to>`:
//! lets through, or refuses, callers by IP address.

use std::net::IpAddr;

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct IpFilter {
    allow: bool,
    rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
enum Rule {
    Address(Text),
    Range(Text, Text),
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<IpFilter> {
    let allow = match element
        .attribute("action")
        .map(|a| a.value.text.trim().to_ascii_lowercase())
    {
        Some(action) if action == "forbid" => false,
        Some(action) if action == "allow" => true,
        _ => {
            let message = "<ip-filter> needs action=\"allow\" or action=\"forbid\"";
            cx.error(element.position, Code::MissingAttribute, message);
            return None;
        }
    };
    let mut rules = Vec::new();
    let mut ok = true;
    for child in element.elements() {
        let rule = match child.name.as_str() {
            "address" => address(cx, child).map(Rule::Address),
            "address-range" => {
                let from = attribute_address(cx, child, "from");
                let to = attribute_address(cx, child, "to");
                from.zip(to).map(|(from, to)| Rule::Range(from, to))
            }
            _ => continue,
        };
        match rule {
            Some(rule) => rules.push(rule),
            None => ok = false,
        }
    }
    ok.then_some(IpFilter { allow, rules })
}

fn address(cx: &mut Compiler<'_>, element: &Element) -> Option<Text> {
    let text = cx.content(element)?;
    check_literal(cx, element, &text)?;
    Some(text)
}

fn attribute_address(cx: &mut Compiler<'_>, element: &Element, name: &str) -> Option<Text> {
    let text = cx.required_text(element, name)?;
    check_literal(cx, element, &text)?;
    Some(text)
}

fn check_literal(cx: &mut Compiler<'_>, element: &Element, text: &Text) -> Option<()> {
    match text.literal() {
        Some(literal) if parse(literal).is_none() => {
            let message = format!("'{}' is not an IP address", literal.trim());
            cx.error(element.position, Code::InvalidValue, message);
            None
        }
        _ => Some(()),
    }
}

/// An address, IPv4-mapped IPv6 addresses as IPv4.
fn parse(text: &str) -> Option<IpAddr> {
    let address: IpAddr = text.trim().parse().ok()?;
    Some(address.to_canonical())
}

impl IpFilter {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let Some(caller) = parse(&ex.caller.ip) else {
            let message = "Failed to establish IP address for the caller. Access denied.";
            return Err(denied(ex, "FailedToParseCallerIP", message.to_owned()));
        };
        let listed = self.lists(ex, caller)?;
        match (self.allow, listed) {
            (true, true) | (false, false) => {
                ex.record(
                    "ip-filter",
                    || json!({ "message": format!("Caller IP address {caller} was allowed.") }),
                );
                Ok(())
            }
            (true, false) => {
                let message = format!("Caller IP address {caller} is not allowed. Access denied.");
                Err(denied(ex, "CallerIpNotAllowed", message))
            }
            (false, true) => {
                let message = "Caller IP address is blocked. Access denied.".to_owned();
                Err(denied(ex, "CallerIpBlocked", message))
            }
        }
    }

    /// Whether a rule names `caller`.
    fn lists(&self, ex: &Exchange, caller: IpAddr) -> Result<bool, Failure> {
        let evaluate = |text: &Text| -> Result<Option<IpAddr>, Failure> {
            let value = text
                .string(ex)
                .map_err(|e| Failure::expression("ip-filter", &e))?;
            Ok(parse(&value))
        };
        for rule in &self.rules {
            let listed = match rule {
                Rule::Address(address) => evaluate(address)? == Some(caller),
                Rule::Range(from, to) => match (evaluate(from)?, evaluate(to)?) {
                    (Some(from), Some(to)) => in_range(caller, from, to),
                    _ => false,
                },
            };
            if listed {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn in_range(address: IpAddr, from: IpAddr, to: IpAddr) -> bool {
    match (address, from, to) {
        (IpAddr::V4(a), IpAddr::V4(f), IpAddr::V4(t)) => (f..=t).contains(&a),
        (IpAddr::V6(a), IpAddr::V6(f), IpAddr::V6(t)) => (f..=t).contains(&a),
        _ => false,
    }
}

/// APIM answers 403 `Forbidden`; `LastError` says why.
fn denied(ex: &Exchange, reason: &str, message: String) -> Failure {
    ex.record("ip-filter", || json!({ "message": &message }));
    Failure::denied("ip-filter", reason, &message, 403)
        .with_response_message("Forbidden".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_compare_within_one_family() {
        let ip = |t: &str| parse(t).unwrap();
        assert!(in_range(ip("10.0.0.5"), ip("10.0.0.1"), ip("10.0.0.9")));
        assert!(!in_range(ip("10.0.1.5"), ip("10.0.0.1"), ip("10.0.0.9")));
        assert!(in_range(
            ip("::ffff:10.0.0.5"),
            ip("10.0.0.1"),
            ip("10.0.0.9")
        ));
        assert!(!in_range(ip("::1"), ip("10.0.0.1"), ip("10.0.0.9")));
    }
}
