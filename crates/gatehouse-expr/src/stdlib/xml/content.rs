//! Building trees (`new XElement(name, content…)`, `new XDocument(content…)`) and reading
//! values out of them (`(string)element`, `(int?)attribute`).
//!
//! Content follows `XContainer.Add`: null is skipped, nodes are added, attributes become
//! attributes, strings become text (adjacent ones merged), sequences are added item by item,
//! and any other value becomes text the way `XmlConvert` writes it (`true`, not `True`).

use std::sync::Arc;

use super::{XmlFn, attribute_value, element_value, name_arg};
use crate::context::Str;
use crate::error::EvalError;
use crate::eval::Machine;
use crate::stdlib::arg;
use crate::stdlib::convert::parse_long;
use crate::types::{Ty, XmlTy};
use crate::value::xml::{XAttribute, XDocument, XElement, XNode, XmlValue};
use crate::value::{Value, format_date_time, format_double};

/// How deeply sequences may nest inside content (a list can contain itself).
const MAX_NESTING: usize = 32;

/// Content gathered for a new element or document.
#[derive(Default)]
struct Content {
    attributes: Vec<XAttribute>,
    nodes: Vec<XNode>,
}

pub(super) fn construct(
    m: &mut Machine<'_>,
    f: XmlFn,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    match f {
        XmlFn::NewAttribute => {
            let name = name_arg(&arg(&mut args, 0))?;
            let value = match arg(&mut args, 1) {
                Value::Null => {
                    return Err(EvalError::argument(
                        "Value cannot be null. (Parameter 'value')",
                    ));
                }
                value => Str::from(xml_text(m, &value)),
            };
            Ok(attribute_value(XAttribute { name, value }))
        }
        XmlFn::NewNode(kind) => {
            let text = Str::from(m.display(&arg(&mut args, 0)));
            let node = match kind {
                XmlTy::Comment => XNode::Comment(text),
                XmlTy::CData => XNode::CData(text),
                _ => XNode::Text(text),
            };
            Ok(Value::Xml(XmlValue::Node(node)))
        }
        XmlFn::NewDocument => new_document(m, args),
        _ => new_element(m, args),
    }
}

fn new_element(m: &mut Machine<'_>, mut args: Vec<Value>) -> Result<Value, EvalError> {
    let first = arg(&mut args, 0);
    // `new XElement(other)` copies; trees are immutable, so the copy is the element itself.
    if let Value::Xml(XmlValue::Node(XNode::Element(e))) = first {
        return Ok(element_value(&e));
    }
    let name = name_arg(&first)?;
    let mut content = Content::default();
    for value in args.into_iter().skip(1) {
        add(m, &mut content, value, 0)?;
    }
    let element =
        XElement::new(name, content.attributes, content.nodes).ok_or_else(|| EvalError::Xml {
            message: format!(
                "The element is nested deeper than {} elements.",
                crate::value::xml::MAX_DEPTH
            ),
        })?;
    Ok(element_value(&Arc::new(element)))
}

fn new_document(m: &mut Machine<'_>, args: Vec<Value>) -> Result<Value, EvalError> {
    if let [Value::Xml(XmlValue::Document(doc))] = args.as_slice() {
        return Ok(Value::Xml(XmlValue::Document(Arc::clone(doc))));
    }
    let mut content = Content::default();
    for value in args {
        add(m, &mut content, value, 0)?;
    }
    if !content.attributes.is_empty() {
        return Err(EvalError::argument(
            "An attribute cannot be added to content.",
        ));
    }
    let mut roots = 0;
    for node in &content.nodes {
        match node {
            XNode::Element(_) => roots += 1,
            XNode::Text(text) if !text.trim().is_empty() => {
                return Err(EvalError::argument(
                    "Non-whitespace characters cannot be added to content.",
                ));
            }
            _ => {}
        }
    }
    if roots > 1 {
        return Err(EvalError::invalid(
            "This operation would create an incorrectly structured document.",
        ));
    }
    let document = XDocument {
        nodes: content.nodes,
    };
    Ok(Value::Xml(XmlValue::Document(Arc::new(document))))
}

/// Adds one content value, as `XContainer.Add` does.
fn add(
    m: &mut Machine<'_>,
    content: &mut Content,
    value: Value,
    nesting: usize,
) -> Result<(), EvalError> {
    m.tick()?;
    match value {
        Value::Null => {}
        Value::Xml(XmlValue::Node(node)) => content.nodes.push(node),
        Value::Xml(XmlValue::Attribute(attribute)) => {
            if content.attributes.iter().any(|a| a.name == attribute.name) {
                return Err(EvalError::invalid("Duplicate attribute."));
            }
            content.attributes.push((*attribute).clone());
        }
        Value::Xml(XmlValue::Document(_)) => {
            return Err(EvalError::argument(
                "An XDocument cannot be added as content.",
            ));
        }
        Value::List(_) | Value::Dict(_) => {
            if nesting >= MAX_NESTING {
                return Err(EvalError::argument("The content is nested too deeply."));
            }
            for item in m.items(&value)? {
                add(m, content, item, nesting + 1)?;
            }
        }
        other => {
            let text = xml_text(m, &other);
            match content.nodes.last_mut() {
                Some(XNode::Text(last)) => *last = Str::from(format!("{last}{text}")),
                _ => content.nodes.push(XNode::Text(Str::from(text))),
            }
        }
    }
    m.check_len(content.nodes.len() + content.attributes.len())?;
    let length = content.nodes.iter().map(|n| match n {
        XNode::Text(t) => t.len(),
        _ => 0,
    });
    m.check_string(length.sum())
}

/// A value as LINQ to XML writes it into text: `XmlConvert` for booleans, numbers and dates,
/// `ToString()` for the rest.
fn xml_text(m: &Machine<'_>, value: &Value) -> String {
    match value {
        Value::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
        Value::Double(d) if d.is_nan() => "NaN".to_owned(),
        Value::Double(d) if d.is_infinite() => if *d > 0.0 { "INF" } else { "-INF" }.to_owned(),
        Value::Double(d) => format_double(*d),
        Value::DateTime(at) => format_date_time(*at, "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", None),
        Value::DateTimeOffset(at) => format_date_time(
            at.clock(),
            "yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz",
            Some(at.offset_minutes),
        ),
        other => m.display(other),
    }
}

/// `(string)element`, `(int)attribute`, `(bool?)element`…: the text of an element or the value
/// of an attribute, read as `XmlConvert` reads it. A null element converts to null for
/// reference and nullable types and throws otherwise.
pub(crate) fn convert_from(m: &Machine<'_>, value: Value, ty: &Ty) -> Result<Value, EvalError> {
    let text = match value {
        Value::Null if ty.admits_null() || matches!(ty, Ty::Nullable(_)) => return Ok(Value::Null),
        Value::Null => {
            return Err(EvalError::argument(
                "Value cannot be null. (Parameter 'element')",
            ));
        }
        Value::Xml(XmlValue::Node(XNode::Element(e))) => {
            let text = e.value_capped(m.limits().max_string_length);
            m.check_string(text.len())?;
            text
        }
        Value::Xml(XmlValue::Attribute(a)) => a.value.to_string(),
        other => {
            return Err(EvalError::cast(
                other.type_name(),
                &crate::eval::clr_name(ty),
            ));
        }
    };
    let trimmed = text.trim();
    match ty.unwrap_nullable() {
        Ty::String => Ok(Value::from(text)),
        Ty::Bool => match trimmed {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(EvalError::format(&format!(
                "The string '{text}' is not a valid Boolean value."
            ))),
        },
        Ty::Int => i32::try_from(parse_long(trimmed)?)
            .map(Value::Int)
            .map_err(|_| EvalError::Overflow),
        Ty::Long => parse_long(trimmed).map(Value::Long),
        Ty::Double => xml_double(trimmed).map(Value::Double),
        Ty::Guid => crate::stdlib::misc::parse_guid(trimmed).map(Value::Guid),
        Ty::DateTime => crate::value::parse_date(trimmed)
            .map(Value::DateTime)
            .ok_or_else(|| {
                EvalError::format(&format!("The string '{text}' is not a valid AllXsd value."))
            }),
        other => Err(EvalError::cast(
            "System.Xml.Linq.XElement",
            &crate::eval::clr_name(other),
        )),
    }
}

/// `XmlConvert.ToDouble`: `INF`, `-INF`, `NaN` and invariant numbers.
fn xml_double(text: &str) -> Result<f64, EvalError> {
    match text {
        "INF" => Ok(f64::INFINITY),
        "-INF" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text.parse().map_err(|_| {
            EvalError::format(&format!("The string '{text}' is not a valid Double value."))
        }),
    }
}
