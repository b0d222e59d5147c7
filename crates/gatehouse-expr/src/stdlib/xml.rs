//! LINQ to XML: `XDocument.Parse`, `XElement.Parse`, construction with content, navigation
//! (`Root`, `Element(s)`, `Descendants`, `Attribute(s)`, `Nodes`), `Value`, names and
//! namespaces, `ToString()` with and without `SaveOptions.DisableFormatting`, and the explicit
//! conversions `(string)element`, `(int)attribute`…
//!
//! APIM allows `XDocument` "without `Load`": nothing here reads files or URLs. Trees are built,
//! not changed: the methods that edit a tree in place (`Add`, `SetValue`, `Remove`…) are not
//! offered, and say so when called (see `value/xml.rs`).

mod content;

use std::sync::Arc;

use super::{Class, Func, Member, Prop, Recv, Sig, arg, non_null};
use crate::context::Str;
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::{Ty, XmlTy};
use crate::value::xml::{
    self, Layout, XAttribute, XDocument, XElement, XML, XMLNS, XName, XNode, XmlValue,
};
use crate::value::{EnumType, EnumValue, List, Value};

pub(crate) use content::convert_from;

/// A property of a LINQ to XML object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XmlProp {
    Root,
    Name,
    Value,
    HasElements,
    HasAttributes,
    IsEmpty,
    NodeType,
    LocalName,
    NamespaceName,
    Namespace,
}

/// A method, static method or constructor of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XmlFn {
    ParseDocument,
    ParseElement,
    NewDocument,
    NewElement,
    NewAttribute,
    NewNode(XmlTy),
    GetName,
    GetNamespace,
    Element,
    Elements,
    Descendants,
    DescendantsAndSelf,
    Attribute,
    Attributes,
    Nodes,
    ToText,
}

fn xml(x: XmlTy) -> Ty {
    Ty::Xml(x)
}

fn is_container(ty: &Ty) -> bool {
    matches!(
        ty,
        Ty::Xml(XmlTy::Document | XmlTy::Element | XmlTy::Container)
    )
}

/// A name argument: a string converts to an `XName`.
fn is_name(ty: &Ty) -> bool {
    matches!(ty, Ty::String | Ty::Null | Ty::Xml(XmlTy::Name))
}

#[rustfmt::skip]
pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    use XmlProp::*;
    let Ty::Xml(x) = ty else {
        return None;
    };
    let (prop, result) = match (x, name) {
        (XmlTy::Document, "Root") => (Root, xml(XmlTy::Element)),
        (XmlTy::Element | XmlTy::Attribute, "Name") => (Name, xml(XmlTy::Name)),
        (XmlTy::Element | XmlTy::Attribute | XmlTy::Text | XmlTy::CData | XmlTy::Comment, "Value") => (Value, Ty::String),
        (XmlTy::Element, "HasElements") => (HasElements, Ty::Bool),
        (XmlTy::Element, "HasAttributes") => (HasAttributes, Ty::Bool),
        (XmlTy::Element, "IsEmpty") => (IsEmpty, Ty::Bool),
        (XmlTy::Name, "LocalName") => (LocalName, Ty::String),
        (XmlTy::Name | XmlTy::Namespace, "NamespaceName") => (NamespaceName, Ty::String),
        (XmlTy::Name, "Namespace") => (Namespace, xml(XmlTy::Namespace)),
        (XmlTy::Name | XmlTy::Namespace, _) => return None,
        (_, "NodeType") => (NodeType, Ty::Enum(EnumType::XmlNodeType)),
        _ => return None,
    };
    Some((Prop::Xml(prop), result))
}

/// `XNamespace.None`, `XNamespace.Xmlns`, `XNamespace.Xml`.
pub(crate) fn static_member(class: Class, name: &str) -> Option<Member> {
    let uri = match (class, name) {
        (Class::Xml(XmlTy::Namespace), "None") => "",
        (Class::Xml(XmlTy::Namespace), "Xmlns") => XMLNS,
        (Class::Xml(XmlTy::Namespace), "Xml") => XML,
        _ => return None,
    };
    Some(Member::Const(
        Value::Xml(XmlValue::Namespace(Str::from(uri))),
        xml(XmlTy::Namespace),
    ))
}

fn ok(f: XmlFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Xml(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    match sig.recv {
        Recv::Static(Class::Xml(x)) => static_method(x, sig.name, sig.args),
        Recv::Value(ty @ Ty::Xml(_)) => instance(ty, sig.name, sig.args),
        Recv::Value(ty) if xml_elements(ty) => sequence(sig.name, sig.args),
        _ => None,
    }
}

fn static_method(x: XmlTy, name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    let parse_args = matches!(
        args,
        [Ty::String | Ty::Null] | [Ty::String | Ty::Null, Ty::Enum(EnumType::LoadOptions)]
    );
    match (x, name) {
        (XmlTy::Document, "Parse") if parse_args => ok(XmlFn::ParseDocument, xml(XmlTy::Document)),
        (XmlTy::Element, "Parse") if parse_args => ok(XmlFn::ParseElement, xml(XmlTy::Element)),
        (XmlTy::Document | XmlTy::Element, "Load") => Some(Err(format!(
            "'{}.Load' reads files or URLs, which APIM does not allow in policy expressions; use '{}.Parse'",
            x_name(x),
            x_name(x)
        ))),
        (XmlTy::Name, "Get") if matches!(args, [Ty::String] | [Ty::String, Ty::String]) => {
            ok(XmlFn::GetName, xml(XmlTy::Name))
        }
        (XmlTy::Namespace, "Get") if matches!(args, [Ty::String]) => {
            ok(XmlFn::GetNamespace, xml(XmlTy::Namespace))
        }
        _ => None,
    }
}

fn x_name(x: XmlTy) -> String {
    Ty::Xml(x).display()
}

fn instance(ty: &Ty, name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    let elements = Ty::seq(xml(XmlTy::Element));
    let named = |n: usize| args.len() == n && args.iter().all(is_name);
    let optional_name = args.is_empty() || named(1);
    match (ty, name) {
        (Ty::Xml(XmlTy::Namespace), "GetName") if named(1) => ok(XmlFn::GetName, xml(XmlTy::Name)),
        (t, "Element") if is_container(t) && named(1) => ok(XmlFn::Element, xml(XmlTy::Element)),
        (t, "Elements") if is_container(t) && optional_name => ok(XmlFn::Elements, elements),
        (t, "Descendants") if is_container(t) && optional_name => ok(XmlFn::Descendants, elements),
        (t, "Nodes") if is_container(t) && args.is_empty() => {
            ok(XmlFn::Nodes, Ty::seq(xml(XmlTy::Node)))
        }
        (Ty::Xml(XmlTy::Element), "DescendantsAndSelf") if optional_name => {
            ok(XmlFn::DescendantsAndSelf, elements)
        }
        (Ty::Xml(XmlTy::Element), "Attribute") if named(1) => {
            ok(XmlFn::Attribute, xml(XmlTy::Attribute))
        }
        (Ty::Xml(XmlTy::Element), "Attributes") if optional_name => {
            ok(XmlFn::Attributes, Ty::seq(xml(XmlTy::Attribute)))
        }
        (_, "ToString") if matches!(args, [Ty::Enum(EnumType::SaveOptions)]) => {
            ok(XmlFn::ToText, Ty::String)
        }
        (
            Ty::Xml(_),
            "Add" | "AddFirst" | "SetValue" | "SetAttributeValue" | "SetElementValue" | "Remove"
            | "RemoveAll" | "RemoveNodes" | "RemoveAttributes" | "ReplaceWith" | "ReplaceNodes"
            | "Save",
        ) => Some(Err(format!(
            "'{name}' changes an XML tree in place, which Gatehouse does not support; build a new element with the content you want"
        ))),
        _ => None,
    }
}

/// `IEnumerable<XElement>` (what `Elements()` and `Descendants()` return).
fn xml_elements(ty: &Ty) -> bool {
    matches!(ty, Ty::Seq(e) | Ty::List(e) | Ty::Array(e) if **e == xml(XmlTy::Element))
}

/// LINQ to XML's extension methods on sequences of elements.
fn sequence(name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    let optional_name = args.is_empty() || (args.len() == 1 && is_name(&args[0]));
    let elements = Ty::seq(xml(XmlTy::Element));
    match name {
        "Elements" if optional_name => ok(XmlFn::Elements, elements),
        "Descendants" if optional_name => ok(XmlFn::Descendants, elements),
        "Attributes" if optional_name => ok(XmlFn::Attributes, Ty::seq(xml(XmlTy::Attribute))),
        "Nodes" if args.is_empty() => ok(XmlFn::Nodes, Ty::seq(xml(XmlTy::Node))),
        _ => None,
    }
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    let Ty::Xml(x) = ty else {
        return None;
    };
    let f = match (x, args) {
        (XmlTy::Document, _) => XmlFn::NewDocument,
        (XmlTy::Element, [name, ..]) if is_name(name) => XmlFn::NewElement,
        (XmlTy::Element, [Ty::Xml(XmlTy::Element)]) => XmlFn::NewElement,
        (XmlTy::Attribute, [name, _]) if is_name(name) => XmlFn::NewAttribute,
        (XmlTy::Text | XmlTy::CData | XmlTy::Comment, [Ty::String | Ty::Null]) => {
            XmlFn::NewNode(*x)
        }
        (XmlTy::Name | XmlTy::Namespace, _) => {
            return Some(Err(format!(
                "'{}' has no public constructor; convert a string or call '{}.Get'",
                x_name(*x),
                x_name(*x)
            )));
        }
        _ => {
            return Some(Err(format!(
                "this '{}' constructor is not supported by Gatehouse",
                x_name(*x)
            )));
        }
    };
    Some(Ok(Func::Xml(f)))
}

// ---------------------------------------------------------------------------------------------
// Evaluation

fn node_type(value: &XmlValue) -> i32 {
    match value {
        XmlValue::Document(_) => 9,
        XmlValue::Node(XNode::Element(_)) => 1,
        XmlValue::Node(XNode::Text(_)) => 3,
        XmlValue::Node(XNode::CData(_)) => 4,
        XmlValue::Node(XNode::Instruction(..)) => 7,
        XmlValue::Node(XNode::Comment(_)) => 8,
        XmlValue::Attribute(_) => 2,
        XmlValue::Name(_) | XmlValue::Namespace(_) => 0,
    }
}

pub(crate) fn get(m: &Machine<'_>, target: Value, prop: XmlProp) -> Result<Value, EvalError> {
    let Value::Xml(target) = non_null(target)? else {
        return Err(EvalError::cast("object", "System.Xml.Linq.XObject"));
    };
    let text = |s: &Str| Value::Str(s.clone());
    Ok(match (prop, &target) {
        (XmlProp::Root, XmlValue::Document(doc)) => doc.root().map_or(Value::Null, element_value),
        (XmlProp::Name, XmlValue::Node(XNode::Element(e))) => name_value(e.name.clone()),
        (XmlProp::Name, XmlValue::Attribute(a)) => name_value(a.name.clone()),
        (XmlProp::Value, XmlValue::Node(XNode::Element(e))) => {
            m.string(e.value_capped(m.limits().max_string_length))?
        }
        (XmlProp::Value, XmlValue::Attribute(a)) => text(&a.value),
        (XmlProp::Value, XmlValue::Node(XNode::Text(s) | XNode::CData(s) | XNode::Comment(s))) => {
            text(s)
        }
        (XmlProp::HasElements, XmlValue::Node(XNode::Element(e))) => {
            Value::Bool(e.elements().next().is_some())
        }
        (XmlProp::HasAttributes, XmlValue::Node(XNode::Element(e))) => {
            Value::Bool(!e.attributes.is_empty())
        }
        (XmlProp::IsEmpty, XmlValue::Node(XNode::Element(e))) => Value::Bool(e.is_empty()),
        (XmlProp::NodeType, value) => Value::Enum(EnumValue {
            ty: EnumType::XmlNodeType,
            value: node_type(value),
        }),
        (XmlProp::LocalName, XmlValue::Name(n)) => text(&n.local),
        (XmlProp::NamespaceName, XmlValue::Name(n)) => text(&n.namespace),
        (XmlProp::NamespaceName, XmlValue::Namespace(uri)) => text(uri),
        (XmlProp::Namespace, XmlValue::Name(n)) => {
            Value::Xml(XmlValue::Namespace(n.namespace.clone()))
        }
        (_, other) => return Err(EvalError::cast(other.type_name(), "the member's type")),
    })
}

fn element_value(element: &Arc<XElement>) -> Value {
    Value::Xml(XmlValue::Node(XNode::Element(Arc::clone(element))))
}

fn name_value(name: XName) -> Value {
    Value::Xml(XmlValue::Name(name))
}

/// A name argument: an `XName`, or a string in `{namespace}local` form.
fn name_arg(value: &Value) -> Result<XName, EvalError> {
    match value {
        Value::Xml(XmlValue::Name(name)) => Ok(name.clone()),
        Value::Str(text) if !text.is_empty() => Ok(XName::parse(text)),
        Value::Str(_) => Err(EvalError::argument(
            "The empty string '' is not a valid local name.",
        )),
        Value::Null => Err(EvalError::argument(
            "Value cannot be null. (Parameter 'name')",
        )),
        other => Err(EvalError::cast(other.type_name(), "System.Xml.Linq.XName")),
    }
}

/// An optional name filter: `None` when the method was called without one.
fn filter_arg(args: &mut [Value]) -> Result<Option<XName>, EvalError> {
    match arg(args, 0) {
        Value::Null if args.is_empty() => Ok(None),
        value => name_arg(&value).map(Some),
    }
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: XmlFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    match f {
        XmlFn::ParseDocument | XmlFn::ParseElement => parse_call(m, f, &mut args),
        XmlFn::NewDocument | XmlFn::NewElement | XmlFn::NewAttribute | XmlFn::NewNode(_) => {
            content::construct(m, f, args)
        }
        XmlFn::GetName => get_name(target, &mut args),
        XmlFn::GetNamespace => {
            let uri = m.display(&non_null(arg(&mut args, 0))?);
            Ok(Value::Xml(XmlValue::Namespace(Str::from(uri))))
        }
        XmlFn::ToText => to_text(m, &non_null(target)?, &arg(&mut args, 0)),
        _ => navigate(m, f, target, args),
    }
}

fn parse_call(m: &Machine<'_>, f: XmlFn, args: &mut [Value]) -> Result<Value, EvalError> {
    let Value::Str(text) = arg(args, 0) else {
        return Err(EvalError::argument(
            "Value cannot be null. (Parameter 'text')",
        ));
    };
    let preserve = matches!(arg(args, 1), Value::Enum(e) if e.value & 1 == 1);
    let ty = if f == XmlFn::ParseDocument {
        XmlTy::Document
    } else {
        XmlTy::Element
    };
    parse_text(m, &text, ty, preserve)
}

/// Parses text into a document or an element (`Parse`, `Body.As<XDocument>()`); `XNode`
/// gives the root element, as APIM reads a body as `XNode`.
pub(crate) fn parse_text(
    m: &Machine<'_>,
    text: &str,
    ty: XmlTy,
    preserve_whitespace: bool,
) -> Result<Value, EvalError> {
    let limit = m.limits().max_collection_length;
    let fail = |e: xml::XmlError| EvalError::Xml { message: e.0 };
    if ty == XmlTy::Document {
        let doc = xml::parse_document(text, preserve_whitespace, limit).map_err(fail)?;
        return Ok(Value::Xml(XmlValue::Document(Arc::new(doc))));
    }
    let element = xml::parse_element(text, preserve_whitespace, limit).map_err(fail)?;
    Ok(element_value(&element))
}

fn get_name(target: Value, args: &mut [Value]) -> Result<Value, EvalError> {
    let first = arg(args, 0);
    let name = match (target, arg(args, 1)) {
        (Value::Xml(XmlValue::Namespace(namespace)), _) => XName {
            namespace,
            local: name_arg(&first)?.local,
        },
        (_, Value::Str(namespace)) => XName {
            namespace,
            local: name_arg(&first)?.local,
        },
        _ => name_arg(&first)?,
    };
    Ok(name_value(name))
}

fn to_text(m: &Machine<'_>, target: &Value, options: &Value) -> Result<Value, EvalError> {
    let layout = match options {
        Value::Enum(e) if e.value & 1 == 1 => Layout::Compact,
        _ => Layout::Indented,
    };
    let max = m.limits().max_string_length;
    let text = match target {
        Value::Xml(XmlValue::Document(doc)) => xml::document_to_string(doc, layout, max),
        Value::Xml(XmlValue::Node(node)) => xml::node_to_string(node, layout, max),
        other => m.display(other),
    };
    m.string(text)
}

/// `Element`, `Elements`, `Descendants`, `Attribute(s)`, `Nodes`, on one container or (as
/// LINQ to XML's extensions) on each element of a sequence.
fn navigate(
    m: &mut Machine<'_>,
    f: XmlFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let filter = filter_arg(&mut args)?;
    let containers: Vec<Container> = match non_null(target)? {
        Value::Xml(XmlValue::Document(doc)) => vec![Container::Document(doc)],
        Value::Xml(XmlValue::Node(XNode::Element(e))) => vec![Container::Element(e)],
        sequence => m
            .items(&sequence)?
            .into_iter()
            .filter_map(|item| match item {
                Value::Xml(XmlValue::Node(XNode::Element(e))) => Some(Container::Element(e)),
                _ => None,
            })
            .collect(),
    };
    let mut found = Vec::new();
    for container in &containers {
        m.tick()?;
        select(f, container, filter.as_ref(), &mut found);
        m.check_len(found.len())?;
    }
    if f == XmlFn::Element || f == XmlFn::Attribute {
        return Ok(found.into_iter().next().unwrap_or_default());
    }
    Ok(Value::List(List::array(found)))
}

/// What navigation starts from.
enum Container {
    Document(Arc<XDocument>),
    Element(Arc<XElement>),
}

/// What one container contributes to `out`.
fn select(f: XmlFn, container: &Container, filter: Option<&XName>, out: &mut Vec<Value>) {
    let (own, children) = match container {
        Container::Document(doc) => (None, doc.nodes.as_slice()),
        Container::Element(e) => (Some(e), e.nodes.as_slice()),
    };
    let matches = |e: &XElement| filter.is_none_or(|name| e.name == *name);
    let mut push_elements = |elements: Vec<Arc<XElement>>| {
        out.extend(elements.iter().filter(|e| matches(e)).map(element_value));
    };
    match f {
        XmlFn::Element | XmlFn::Elements => {
            push_elements(xml::elements_of(children).cloned().collect());
        }
        XmlFn::Descendants | XmlFn::DescendantsAndSelf => {
            let mut all = Vec::new();
            if f == XmlFn::DescendantsAndSelf {
                all.extend(own.cloned());
            }
            xml::descendants(children, &mut all);
            push_elements(all);
        }
        XmlFn::Attribute | XmlFn::Attributes => {
            let attributes = own.map(|e| e.attributes.as_slice()).unwrap_or_default();
            out.extend(
                attributes
                    .iter()
                    .filter(|a| filter.is_none_or(|name| a.name == *name))
                    .map(|a| attribute_value(a.clone())),
            );
        }
        XmlFn::Nodes => out.extend(
            children
                .iter()
                .filter(|n| !matches!(n, XNode::Text(t) if t.is_empty()))
                .map(|n| Value::Xml(XmlValue::Node(n.clone()))),
        ),
        _ => {}
    }
}

/// An attribute as a value.
fn attribute_value(attribute: XAttribute) -> Value {
    Value::Xml(XmlValue::Attribute(Arc::new(attribute)))
}
