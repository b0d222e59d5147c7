//! From a read document to executable steps: every element becomes a typed step, every
//! expression is compiled once, and every problem is reported with its line and column.

use std::sync::Arc;

use gatehouse_expr::{EvalError, Expression, Host, Value};

use crate::elements;
use crate::reader::{self, Code, Diagnostic, Document, Element, Position};
use crate::runtime::Section;
use crate::schema;

/// The scope a policy document is attached to, as `context.LastError.Scope` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScopeLevel {
    /// All APIs.
    Global,
    /// One product.
    Product,
    /// One API.
    Api,
    /// One operation.
    Operation,
}

impl ScopeLevel {
    /// The name APIM uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Product => "product",
            Self::Api => "api",
            Self::Operation => "operation",
        }
    }
}

/// Where a step came from: for traces, `context.LastError` and log fields.
#[derive(Debug)]
pub struct StepMeta {
    /// The policy's element name (`set-status`).
    pub name: Arc<str>,
    /// The element's `id` attribute, if any.
    pub id: Option<Arc<str>>,
    /// The scope of the document it was written in.
    pub scope: ScopeLevel,
    /// Its path in the section, as in `LastError.Path` (`choose[1]/when[2]/set-status[1]`).
    pub path: Arc<str>,
    /// Its position in the document.
    pub position: Position,
}

/// One compiled policy statement.
#[derive(Clone, Debug)]
pub struct Step {
    pub(crate) meta: Arc<StepMeta>,
    pub(crate) action: elements::Action,
}

impl Step {
    /// Where the step came from.
    pub fn meta(&self) -> &StepMeta {
        &self.meta
    }
}

/// A compiled policy document of one scope. A section that the document leaves out behaves
/// as `<base/>`: the parent scope's section applies unchanged.
#[derive(Clone, Debug, Default)]
pub struct PolicyDocument {
    pub(crate) sections: [Option<Arc<[Step]>>; 4],
}

impl PolicyDocument {
    /// The compiled steps of `section`, if the document has that section.
    pub fn section(&self, section: Section) -> Option<&[Step]> {
        self.sections[section as usize].as_deref()
    }
}

/// Reads, validates and compiles a policy document written at `scope`.
///
/// # Errors
/// Every problem found, in document order, each with its line and column.
pub fn compile_document(
    source: &str,
    scope: ScopeLevel,
) -> Result<PolicyDocument, Vec<Diagnostic>> {
    let (document, mut diagnostics) = reader::read(source);
    diagnostics.extend(schema::validate(&document));
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }

    let mut compiler = Compiler {
        document: &document,
        scope,
        diagnostics: Vec::new(),
    };
    let compiled = compiler.document_sections();
    if compiler.diagnostics.is_empty() {
        return Ok(compiled);
    }
    compiler.diagnostics.sort_by_key(Diagnostic::position);
    Err(compiler.diagnostics)
}

/// Compilation state for one document.
pub(crate) struct Compiler<'d> {
    pub(crate) document: &'d Document,
    scope: ScopeLevel,
    diagnostics: Vec<Diagnostic>,
}

impl Compiler<'_> {
    fn document_sections(&mut self) -> PolicyDocument {
        let mut compiled = PolicyDocument::default();
        let Some(root) = self.document.root() else {
            return compiled;
        };
        for element in root.elements() {
            let Some(section) = section_named(&element.name) else {
                continue;
            };
            let steps = self.block(element, section, "");
            compiled.sections[section as usize] = Some(steps.into());
        }
        compiled
    }

    /// Compiles the policy statements inside `parent`, numbering them for `LastError.Path`.
    pub(crate) fn block(&mut self, parent: &Element, section: Section, prefix: &str) -> Vec<Step> {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        let mut steps = Vec::new();
        for element in parent.elements() {
            let index = next_index(&mut counts, &element.name);
            let path = format!("{prefix}{}[{index}]", element.name);
            if let Some(action) = elements::compile(element, self, section, &path) {
                steps.push(Step {
                    meta: self.meta(element, path),
                    action,
                });
            }
        }
        steps
    }

    fn meta(&self, element: &Element, path: String) -> Arc<StepMeta> {
        Arc::new(StepMeta {
            name: element.name.as_str().into(),
            id: element
                .attribute("id")
                .map(|a| a.value.text.as_str().into()),
            scope: self.scope,
            path: path.into(),
            position: element.position,
        })
    }

    /// Records a problem.
    pub(crate) fn error(&mut self, position: Position, code: Code, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(position, code, message));
    }

    /// Compiles an attribute that may hold text or an expression; `None` when absent.
    pub(crate) fn text(&mut self, element: &Element, name: &str) -> Option<Text> {
        let attribute = element.attribute(name)?;
        self.value(&attribute.value)
    }

    /// Compiles a required attribute; reports it missing otherwise.
    pub(crate) fn required_text(&mut self, element: &Element, name: &str) -> Option<Text> {
        let text = self.text(element, name);
        if text.is_none() && element.attribute(name).is_none() {
            let message = format!("<{}> needs the attribute '{name}'", element.name);
            self.error(element.position, Code::MissingAttribute, message);
        }
        text
    }

    /// Compiles one value: an expression when it is `@(...)`/`@{...}`, literal text otherwise.
    pub(crate) fn value(&mut self, value: &reader::Value) -> Option<Text> {
        if let Some(reference) = value.named_values.first() {
            let message = format!("named value '{{{{{}}}}}' is not defined", reference.name);
            self.error(reference.position, Code::UndefinedNamedValue, message);
            return None;
        }
        if !value.is_expression() {
            return Some(Text::Literal(value.text.as_str().into()));
        }
        let start = gatehouse_expr::Position { line: 1, column: 1 };
        match gatehouse_expr::compile(&value.text, start) {
            Ok(expression) => Some(Text::Expression(expression)),
            Err(errors) => {
                for e in errors {
                    let decoded = byte_offset(&value.text, e.line, e.column);
                    let at = self.document.position(value.source_offset(decoded));
                    self.error(at, Code::Expression, e.message);
                }
                None
            }
        }
    }

    /// A literal attribute parsed as `T`, reporting what was expected when it does not parse.
    pub(crate) fn literal<T: std::str::FromStr>(
        &mut self,
        element: &Element,
        name: &str,
        expected: &str,
    ) -> Option<T> {
        let attribute = element.attribute(name)?;
        let parsed = attribute.value.text.trim().parse().ok();
        if parsed.is_none() {
            let message = format!(
                "attribute '{name}' of <{}> must be {expected}",
                element.name
            );
            self.error(attribute.value.position, Code::InvalidValue, message);
        }
        parsed
    }
}

/// A value that is either fixed text or an expression evaluated per request.
#[derive(Clone, Debug)]
pub(crate) enum Text {
    Literal(Arc<str>),
    Expression(Expression),
}

impl Text {
    /// The value as a string, converting an expression's result as C# `ToString()` would.
    pub(crate) fn string(&self, host: &dyn Host) -> Result<Arc<str>, EvalError> {
        match self {
            Self::Literal(text) => Ok(text.clone()),
            Self::Expression(e) => e.evaluate_string(host).map(Arc::from),
        }
    }

    /// The value as the expression produced it; literal text is a string.
    pub(crate) fn value(&self, host: &dyn Host) -> Result<Value, EvalError> {
        match self {
            Self::Literal(text) => Ok(Value::Str(text.clone())),
            Self::Expression(e) => e.evaluate(host),
        }
    }

    /// The text as written, for traces.
    pub(crate) fn source(&self) -> &str {
        match self {
            Self::Literal(text) => text,
            Self::Expression(e) => e.source(),
        }
    }

    /// Whether it is an expression (the trace then shows the expression and its value).
    pub(crate) fn is_expression(&self) -> bool {
        matches!(self, Self::Expression(_))
    }
}

/// The byte offset of 1-based `line` and character `column` in `text`. Expression
/// diagnostics are positions in the decoded value; mapping them through the value's offsets
/// puts them on the right column even after entities such as `&quot;`.
fn byte_offset(text: &str, line: u32, column: u32) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    let within: usize = rest
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    line_start + within
}

fn section_named(name: &str) -> Option<Section> {
    Section::ALL.into_iter().find(|s| s.name() == name)
}

fn next_index<'n>(counts: &mut Vec<(&'n str, usize)>, name: &'n str) -> usize {
    match counts.iter_mut().find(|(n, _)| *n == name) {
        Some((_, count)) => {
            *count += 1;
            *count
        }
        None => {
            counts.push((name, 1));
            1
        }
    }
}
