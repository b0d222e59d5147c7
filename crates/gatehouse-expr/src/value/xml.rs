//! LINQ to XML's model: `XDocument`, `XElement`, `XAttribute`, `XName`, `XNamespace`, and the
//! text, CDATA and comment nodes inside elements.
//!
//! Trees are immutable and shared (`Arc`): Gatehouse offers the reading half of LINQ to XML
//! plus construction, not the methods that change a tree in place, so sharing a subtree between
//! two parents (where .NET would copy it) cannot be observed. Every tree is at most
//! [`MAX_DEPTH`] elements deep, checked when it is parsed or built, so the recursive walks here
//! stay within the stack.
//!
//! Text is read with `roxmltree` (no DTDs, so no entity expansion) and written back the way
//! .NET's `XmlWriter` writes `ToString()`: two-space indentation that stops inside mixed
//! content, `<a />` for empty elements, `\n` line ends (the Linux gateway's
//! `Environment.NewLine`), namespace prefixes taken from the declarations in scope.

use std::fmt::Write;
use std::sync::Arc;

use super::format::push_within;
use crate::context::Str;

/// How deep a tree may be: the same bound the JSON walks use.
pub(crate) const MAX_DEPTH: usize = 256;

/// The namespace of `xmlns` declarations.
pub(crate) const XMLNS: &str = "http://www.w3.org/2000/xmlns/";

/// The namespace the `xml` prefix is bound to.
pub(crate) const XML: &str = "http://www.w3.org/XML/1998/namespace";

/// An expanded name: namespace URI (empty for none) and local name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XName {
    pub namespace: Str,
    pub local: Str,
}

impl XName {
    /// A name without a namespace.
    pub fn local(local: &str) -> Self {
        Self {
            namespace: Str::from(""),
            local: Str::from(local),
        }
    }

    /// `XName.Get("{namespace}local")` and the implicit conversion from a string.
    pub fn parse(expanded: &str) -> Self {
        match expanded
            .strip_prefix('{')
            .and_then(|rest| rest.split_once('}'))
        {
            Some((namespace, local)) => Self {
                namespace: Str::from(namespace),
                local: Str::from(local),
            },
            None => Self::local(expanded),
        }
    }

    /// `ToString()`: `{namespace}local`, or the local name alone.
    pub fn expanded(&self) -> String {
        if self.namespace.is_empty() {
            self.local.to_string()
        } else {
            format!("{{{}}}{}", self.namespace, self.local)
        }
    }

    /// Whether this attribute name declares a namespace (`xmlns` or `xmlns:p`).
    pub(crate) fn is_declaration(&self) -> bool {
        &*self.namespace == XMLNS || (self.namespace.is_empty() && &*self.local == "xmlns")
    }
}

/// An attribute; namespace declarations are attributes too, as in LINQ to XML.
#[derive(Clone, Debug, PartialEq)]
pub struct XAttribute {
    pub name: XName,
    pub value: Str,
}

/// A node inside a document or element.
#[derive(Clone, Debug)]
pub enum XNode {
    Element(Arc<XElement>),
    Text(Str),
    CData(Str),
    Comment(Str),
    Instruction(Str, Str),
}

/// An element: name, attributes in order, child nodes, and whether it has no content at all
/// (`<a />`, as opposed to `<a></a>`, which holds an empty text).
#[derive(Clone, Debug)]
pub struct XElement {
    pub name: XName,
    pub attributes: Vec<XAttribute>,
    pub nodes: Vec<XNode>,
    /// Elements below this one, counting itself: 1 for a leaf.
    pub(crate) depth: usize,
}

/// A document: its top-level nodes (comments, instructions and one root element).
#[derive(Clone, Debug)]
pub struct XDocument {
    pub nodes: Vec<XNode>,
}

/// A LINQ to XML object as a value of the expression language.
#[derive(Clone, Debug)]
pub enum XmlValue {
    Document(Arc<XDocument>),
    /// An element, text, CDATA, comment or processing instruction.
    Node(XNode),
    Attribute(Arc<XAttribute>),
    Name(XName),
    /// An `XNamespace`: its URI, empty for `XNamespace.None`.
    Namespace(Str),
}

impl XmlValue {
    /// The .NET type name, for cast messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            XmlValue::Document(_) => "System.Xml.Linq.XDocument",
            XmlValue::Node(XNode::Element(_)) => "System.Xml.Linq.XElement",
            XmlValue::Node(XNode::Text(_)) => "System.Xml.Linq.XText",
            XmlValue::Node(XNode::CData(_)) => "System.Xml.Linq.XCData",
            XmlValue::Node(XNode::Comment(_)) => "System.Xml.Linq.XComment",
            XmlValue::Node(XNode::Instruction(..)) => "System.Xml.Linq.XProcessingInstruction",
            XmlValue::Attribute(_) => "System.Xml.Linq.XAttribute",
            XmlValue::Name(_) => "System.Xml.Linq.XName",
            XmlValue::Namespace(_) => "System.Xml.Linq.XNamespace",
        }
    }

    /// `ToString()`: indented markup for documents and elements, `name="value"` for
    /// attributes, the expanded name, the namespace URI.
    pub(crate) fn display(&self) -> String {
        self.display_capped(usize::MAX)
    }

    /// As [`XmlValue::display`], with markup written only until it passes `max` bytes (see
    /// [`node_to_string`]).
    pub(crate) fn display_capped(&self, max: usize) -> String {
        match self {
            XmlValue::Document(doc) => document_to_string(doc, Layout::Indented, max),
            XmlValue::Node(node) => node_to_string(node, Layout::Indented, max),
            XmlValue::Attribute(attribute) => attribute_to_string(attribute),
            XmlValue::Name(name) => name.expanded(),
            XmlValue::Namespace(uri) => uri.to_string(),
        }
    }

    /// C#'s `==`: names and namespaces by value (a string converts to either), nodes and
    /// attributes by reference.
    pub(crate) fn equals(&self, other: &XmlValue) -> bool {
        match (self, other) {
            (XmlValue::Name(a), XmlValue::Name(b)) => a == b,
            (XmlValue::Namespace(a), XmlValue::Namespace(b)) => a == b,
            (XmlValue::Document(a), XmlValue::Document(b)) => Arc::ptr_eq(a, b),
            (XmlValue::Attribute(a), XmlValue::Attribute(b)) => Arc::ptr_eq(a, b),
            (XmlValue::Node(XNode::Element(a)), XmlValue::Node(XNode::Element(b))) => {
                Arc::ptr_eq(a, b)
            }
            _ => false,
        }
    }

    /// `==` against a string, which converts to an `XName` or `XNamespace`.
    pub(crate) fn equals_text(&self, text: &str) -> bool {
        match self {
            XmlValue::Name(name) => *name == XName::parse(text),
            XmlValue::Namespace(uri) => **uri == *text,
            _ => false,
        }
    }
}

impl XElement {
    /// An element; fails past [`MAX_DEPTH`].
    pub fn new(name: XName, attributes: Vec<XAttribute>, nodes: Vec<XNode>) -> Option<Self> {
        let below = nodes
            .iter()
            .filter_map(|n| match n {
                XNode::Element(e) => Some(e.depth),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        (below < MAX_DEPTH).then_some(Self {
            name,
            attributes,
            nodes,
            depth: below + 1,
        })
    }

    /// `Value`: the text of every text and CDATA node below, in document order.
    pub fn value(&self) -> String {
        self.value_capped(usize::MAX)
    }

    /// As [`XElement::value`], collected only until it passes `max` bytes: the whole text
    /// when it fits, else a cut-off text longer than `max`. Elements are shared, so a tree
    /// small in memory can hold one large text many times over.
    pub(crate) fn value_capped(&self, max: usize) -> String {
        let mut out = String::new();
        collect_text(&self.nodes, &mut out, max);
        out
    }

    /// `IsEmpty`: no content at all.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Arc<XElement>> {
        elements_of(&self.nodes)
    }

    /// The attribute called `name`.
    pub fn attribute(&self, name: &XName) -> Option<&XAttribute> {
        self.attributes.iter().find(|a| a.name == *name)
    }
}

impl XDocument {
    /// `Root`: the document's element.
    pub fn root(&self) -> Option<&Arc<XElement>> {
        elements_of(&self.nodes).next()
    }
}

pub(crate) fn elements_of(nodes: &[XNode]) -> impl Iterator<Item = &Arc<XElement>> {
    nodes.iter().filter_map(|n| match n {
        XNode::Element(e) => Some(e),
        _ => None,
    })
}

fn collect_text(nodes: &[XNode], out: &mut String, max: usize) {
    for node in nodes {
        if out.len() > max {
            return;
        }
        match node {
            XNode::Text(text) | XNode::CData(text) => {
                push_within(out, text, max);
            }
            XNode::Element(element) => collect_text(&element.nodes, out, max),
            XNode::Comment(_) | XNode::Instruction(..) => {}
        }
    }
}

/// Every element below `nodes`, in document order (depth first).
pub(crate) fn descendants(nodes: &[XNode], out: &mut Vec<Arc<XElement>>) {
    for element in elements_of(nodes) {
        out.push(Arc::clone(element));
        descendants(&element.nodes, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Why text could not be read as XML: the parser's message (.NET's `XmlException` words it
/// differently).
#[derive(Debug)]
pub(crate) struct XmlError(pub(crate) String);

/// Parses a document (`XDocument.Parse`). Whitespace-only text between elements is dropped
/// unless `preserve_whitespace` (`LoadOptions.PreserveWhitespace`).
pub(crate) fn parse_document(
    text: &str,
    preserve_whitespace: bool,
    nodes_limit: usize,
) -> Result<XDocument, XmlError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: u32::try_from(nodes_limit).unwrap_or(u32::MAX),
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| XmlError(e.to_string()))?;
    let reader = Reader {
        text,
        preserve_whitespace,
    };
    let nodes = reader.children(doc.root(), 0)?;
    Ok(XDocument { nodes })
}

/// Parses an element (`XElement.Parse`): the document's root element.
pub(crate) fn parse_element(
    text: &str,
    preserve_whitespace: bool,
    nodes_limit: usize,
) -> Result<Arc<XElement>, XmlError> {
    let doc = parse_document(text, preserve_whitespace, nodes_limit)?;
    doc.root()
        .cloned()
        .ok_or_else(|| XmlError("Root element is missing.".to_owned()))
}

struct Reader<'t> {
    text: &'t str,
    preserve_whitespace: bool,
}

impl Reader<'_> {
    fn children(
        &self,
        node: roxmltree::Node<'_, '_>,
        depth: usize,
    ) -> Result<Vec<XNode>, XmlError> {
        let mut out = Vec::new();
        for child in node.children() {
            match child.node_type() {
                roxmltree::NodeType::Element => {
                    out.push(XNode::Element(Arc::new(self.element(child, depth + 1)?)));
                }
                roxmltree::NodeType::Text => {
                    let text = child.text().unwrap_or_default();
                    if self.preserve_whitespace || !text.trim().is_empty() {
                        out.push(XNode::Text(Str::from(text)));
                    }
                }
                roxmltree::NodeType::Comment => {
                    out.push(XNode::Comment(Str::from(child.text().unwrap_or_default())));
                }
                roxmltree::NodeType::PI => {
                    if let Some(pi) = child.pi() {
                        let data = pi.value.unwrap_or_default();
                        out.push(XNode::Instruction(Str::from(pi.target), Str::from(data)));
                    }
                }
                roxmltree::NodeType::Root => {}
            }
        }
        Ok(out)
    }

    fn element(&self, node: roxmltree::Node<'_, '_>, depth: usize) -> Result<XElement, XmlError> {
        if depth > MAX_DEPTH {
            return Err(XmlError(format!(
                "the document is nested deeper than {MAX_DEPTH} elements"
            )));
        }
        let tag = node.tag_name();
        let name = XName {
            namespace: Str::from(tag.namespace().unwrap_or_default()),
            local: Str::from(tag.name()),
        };
        let mut attributes = declarations(node);
        attributes.extend(node.attributes().map(|a| XAttribute {
            name: XName {
                namespace: Str::from(a.namespace().unwrap_or_default()),
                local: Str::from(a.name()),
            },
            value: Str::from(a.value()),
        }));
        let mut nodes = self.children(node, depth)?;
        // `<a></a>` holds an empty text, so that it prints as written; `<a/>` holds nothing.
        let self_closing = self
            .text
            .get(node.range())
            .is_some_and(|t| t.ends_with("/>"));
        if nodes.is_empty() && !self_closing {
            nodes.push(XNode::Text(Str::from("")));
        }
        XElement::new(name, attributes, nodes).ok_or_else(|| {
            XmlError(format!(
                "the document is nested deeper than {MAX_DEPTH} elements"
            ))
        })
    }
}

/// The namespace declarations written on `node`: those in scope here but not on its parent.
fn declarations(node: roxmltree::Node<'_, '_>) -> Vec<XAttribute> {
    let inherited: Vec<(Option<&str>, &str)> = node
        .parent_element()
        .map(|p| p.namespaces().map(|n| (n.name(), n.uri())).collect())
        .unwrap_or_default();
    node.namespaces()
        .filter(|n| !inherited.contains(&(n.name(), n.uri())))
        .filter(|n| n.uri() != XML)
        .map(|n| XAttribute {
            name: match n.name() {
                Some(prefix) => XName {
                    namespace: Str::from(XMLNS),
                    local: Str::from(prefix),
                },
                None => XName::local("xmlns"),
            },
            value: Str::from(n.uri()),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Writing

/// How `ToString()` lays text out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `ToString()`: indented with two spaces.
    Indented,
    /// `ToString(SaveOptions.DisableFormatting)`.
    Compact,
}

/// Writes nodes the way `XmlWriter` writes them for `ToString()`, stopping once the text is
/// longer than `max` bytes: elements are shared, so a tree small in memory can be hundreds of
/// gigabytes of markup.
struct Writer {
    out: String,
    max: usize,
    layout: Layout,
    /// Namespace declarations in scope, innermost last: (prefix, URI), `""` for the default.
    scopes: Vec<Vec<(Str, Str)>>,
    /// Prefixes generated for attribute namespaces nobody declared (`p1`, `p2`…).
    generated: usize,
}

/// `XElement.ToString()`.
#[cfg(test)]
pub(crate) fn element_to_string(element: &XElement, layout: Layout) -> String {
    let mut writer = Writer::new(layout, usize::MAX);
    writer.element(element, 0, false);
    writer.out
}

/// `XDocument.ToString()`: the top-level nodes, without the XML declaration; written only
/// until it passes `max` bytes, as [`node_to_string`].
pub(crate) fn document_to_string(document: &XDocument, layout: Layout, max: usize) -> String {
    let mut writer = Writer::new(layout, max);
    for node in &document.nodes {
        writer.node(node, 0, false);
    }
    writer.out
}

/// `ToString()` of a node, written only until it passes `max` bytes: the whole markup when it
/// fits, else a cut-off text longer than `max`.
pub(crate) fn node_to_string(node: &XNode, layout: Layout, max: usize) -> String {
    let mut writer = Writer::new(layout, max);
    writer.node(node, 0, false);
    writer.out
}

/// `XAttribute.ToString()`: `name="value"`.
pub(crate) fn attribute_to_string(attribute: &XAttribute) -> String {
    let name = match (&*attribute.name.namespace, &*attribute.name.local) {
        ("", local) => local.to_owned(),
        (XMLNS, local) => format!("xmlns:{local}"),
        (XML, local) => format!("xml:{local}"),
        (namespace, local) => format!("{{{namespace}}}{local}"),
    };
    let mut out = format!("{name}=\"");
    escape(&attribute.value, true, &mut out);
    out.push('"');
    out
}

impl Writer {
    fn new(layout: Layout, max: usize) -> Self {
        Self {
            out: String::new(),
            max,
            layout,
            scopes: vec![vec![(Str::from("xml"), Str::from(XML))]],
            generated: 0,
        }
    }

    fn indent(&mut self, level: usize, mixed: bool) {
        if self.layout == Layout::Indented && !mixed && !self.out.is_empty() {
            self.out.push('\n');
            self.out.push_str(&"  ".repeat(level));
        }
    }

    /// Whether the text has passed its maximum, after which nothing more is written.
    fn full(&self) -> bool {
        self.out.len() > self.max
    }

    /// Escaped text or attribute value; one that would pass the maximum is cut there instead
    /// (escaping only lengthens it), without being copied whole.
    fn text(&mut self, text: &str, attribute: bool) {
        if self.out.len().saturating_add(text.len()) > self.max {
            push_within(&mut self.out, text, self.max);
        } else {
            escape(text, attribute, &mut self.out);
        }
    }

    fn node(&mut self, node: &XNode, level: usize, mixed: bool) {
        if self.full() {
            return;
        }
        match node {
            XNode::Element(element) => self.element(element, level, mixed),
            XNode::Text(text) => self.text(text, false),
            XNode::CData(text) => {
                self.out.push_str("<![CDATA[");
                push_within(&mut self.out, text, self.max);
                self.out.push_str("]]>");
            }
            XNode::Comment(text) => {
                self.indent(level, mixed);
                self.out.push_str("<!--");
                push_within(&mut self.out, text, self.max);
                self.out.push_str("-->");
            }
            XNode::Instruction(target, data) => {
                self.indent(level, mixed);
                let _ = write!(self.out, "<?{target} {data}?>");
            }
        }
    }

    /// An element; `mixed` says whether text was written in the enclosing element, which
    /// stops indentation for the rest of it, descendants included.
    fn element(&mut self, element: &XElement, level: usize, mixed: bool) {
        self.indent(level, mixed);
        self.scopes.push(declared(element));
        let tag = self.start_tag(&element.name);
        self.attributes(element);
        if element.is_empty() {
            self.out.push_str(" />");
            self.scopes.pop();
            return;
        }
        self.out.push('>');

        let mut inner_mixed = mixed;
        let mut wrote_markup = false;
        for node in &element.nodes {
            if matches!(node, XNode::Text(_) | XNode::CData(_)) {
                inner_mixed = true;
            } else {
                wrote_markup = true;
            }
            self.node(node, level + 1, inner_mixed);
        }
        if wrote_markup && !inner_mixed {
            self.indent(level, false);
        }
        let _ = write!(self.out, "</{tag}>");
        self.scopes.pop();
    }

    /// Writes `<name`, with a default namespace declaration when no prefix in scope is bound
    /// to the element's namespace, as `XmlWriter` does; returns the qualified name.
    fn start_tag(&mut self, name: &XName) -> String {
        let prefix = self.prefix_of(&name.namespace, true);
        let tag = qualified(prefix.as_deref().unwrap_or_default(), &name.local);
        let _ = write!(self.out, "<{tag}");
        if prefix.is_none() {
            self.declare(Str::from(""), name.namespace.clone());
        }
        tag
    }

    fn attributes(&mut self, element: &XElement) {
        let mut extra = String::new();
        for attribute in &element.attributes {
            if self.full() {
                return;
            }
            let name = self.attribute_name(&attribute.name, &mut extra);
            let _ = write!(self.out, " {name}=\"");
            self.text(&attribute.value, true);
            self.out.push('"');
        }
        self.out.push_str(&extra);
    }

    fn attribute_name(&mut self, name: &XName, extra: &mut String) -> String {
        match &*name.namespace {
            "" if &*name.local == "xmlns" => "xmlns".to_owned(),
            "" => name.local.to_string(),
            XMLNS => format!("xmlns:{}", name.local),
            namespace => match self.prefix_of(namespace, false) {
                Some(prefix) => qualified(&prefix, &name.local),
                None => {
                    self.generated += 1;
                    let prefix = Str::from(format!("p{}", self.generated));
                    let _ = write!(extra, " xmlns:{prefix}=\"");
                    escape(namespace, true, extra);
                    extra.push('"');
                    self.declare(prefix.clone(), Str::from(namespace));
                    qualified(&prefix, &name.local)
                }
            },
        }
    }

    /// Records a declaration written for the element being opened; default namespaces that
    /// differ from the one in scope are written out as `xmlns="…"`.
    fn declare(&mut self, prefix: Str, namespace: Str) {
        if prefix.is_empty() {
            let current = self.lookup_default();
            if current == namespace {
                return;
            }
            let _ = write!(self.out, " xmlns=\"");
            escape(&namespace, true, &mut self.out);
            self.out.push('"');
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((prefix, namespace));
        }
    }

    fn lookup_default(&self) -> Str {
        self.bindings()
            .find(|(p, _)| p.is_empty())
            .map_or_else(|| Str::from(""), |(_, ns)| ns.clone())
    }

    /// The prefix bound to `namespace` in scope, innermost first, and still bound to it (an
    /// inner declaration of the same prefix hides an outer one).
    fn prefix_of(&self, namespace: &str, allow_default: bool) -> Option<Str> {
        if namespace.is_empty() {
            return (self.lookup_default().is_empty()).then(|| Str::from(""));
        }
        let mut hidden: Vec<&Str> = Vec::new();
        for (prefix, uri) in self.bindings() {
            if !hidden.contains(&prefix)
                && &**uri == namespace
                && (allow_default || !prefix.is_empty())
            {
                return Some(prefix.clone());
            }
            hidden.push(prefix);
        }
        None
    }

    fn bindings(&self) -> impl Iterator<Item = &(Str, Str)> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev())
    }
}

/// The declarations an element carries in its attributes.
fn declared(element: &XElement) -> Vec<(Str, Str)> {
    element
        .attributes
        .iter()
        .filter(|a| a.name.is_declaration())
        .map(|a| {
            let prefix = if &*a.name.namespace == XMLNS {
                a.name.local.clone()
            } else {
                Str::from("")
            };
            (prefix, a.value.clone())
        })
        .collect()
}

fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

/// Escapes text as `XmlWriter` does: `&`, `<`, `>` everywhere; `"` and line breaks and tabs
/// in attribute values; `\r\n` and `\r` in text become `\n`.
fn escape(text: &str, attribute: bool, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#xA;"),
            '\r' if attribute => out.push_str("&#xD;"),
            '\t' if attribute => out.push_str("&#x9;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            other => out.push(other),
        }
    }
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
