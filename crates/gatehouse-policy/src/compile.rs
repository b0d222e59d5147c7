//! From a read document to executable steps: every element becomes a typed step, every
//! expression is compiled once, every reference to a named value, fragment or backend is
//! resolved, and every problem is reported with its line and column.

mod environment;
mod fragment;
mod substitute;

use std::sync::Arc;

use gatehouse_expr::{EvalError, Expression, Host, Value};

pub use environment::{BackendEntity, Environment, NamedValue};

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
    /// Its position in the document (in the fragment's document for included steps).
    pub position: Position,
}

/// One compiled policy statement.
#[derive(Clone, Debug)]
pub struct Step {
    pub(crate) meta: Arc<StepMeta>,
    pub(crate) action: elements::Action,
    /// Whether the step reads or writes a message body, which must then be in memory.
    pub(crate) body: bool,
}

impl Step {
    /// Where the step came from.
    pub fn meta(&self) -> &StepMeta {
        &self.meta
    }
}

/// A compiled policy document of one scope. A section that the document leaves out behaves
/// as `<base/>`: the parent scope's section applies unchanged.
#[derive(Clone, Default)]
pub struct PolicyDocument {
    pub(crate) sections: [Option<Arc<[Step]>>; 4],
    /// Values of the secret named values the document uses: masked in traces.
    pub(crate) secrets: Arc<[Arc<str>]>,
}

impl std::fmt::Debug for PolicyDocument {
    /// Only the shape: steps hold substituted named values, secrets included.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let steps: Vec<Option<usize>> = self
            .sections
            .iter()
            .map(|s| s.as_ref().map(|s| s.len()))
            .collect();
        f.debug_struct("PolicyDocument")
            .field("steps_per_section", &steps)
            .finish_non_exhaustive()
    }
}

impl PolicyDocument {
    /// The compiled steps of `section`, if the document has that section.
    pub fn section(&self, section: Section) -> Option<&[Step]> {
        self.sections[section as usize].as_deref()
    }
}

/// Reads, validates and compiles a policy document written at `scope`, with nothing defined
/// outside it (no named values, fragments or backends).
///
/// # Errors
/// Every problem found, in document order, each with its line and column.
pub fn compile_document(
    source: &str,
    scope: ScopeLevel,
) -> Result<PolicyDocument, Vec<Diagnostic>> {
    compile_document_with(source, scope, &Environment::default())
}

/// Reads, validates and compiles a policy document written at `scope`, resolving references
/// against `env`.
///
/// # Errors
/// Every problem found, in document order, each with its line and column. Secret named
/// values are masked in the messages.
pub fn compile_document_with(
    source: &str,
    scope: ScopeLevel,
    env: &Environment,
) -> Result<PolicyDocument, Vec<Diagnostic>> {
    let (document, mut diagnostics) = reader::read(source);
    diagnostics.extend(schema::validate(&document));
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }

    let mut compiler = Compiler::new(&document, scope, env);
    let mut compiled = compiler.document_sections();
    compiled.secrets = compiler.secrets.clone().into();
    compiler.finish().map(|()| compiled)
}

/// Reads and checks a policy fragment (`<fragment>...</fragment>`) on its own, as the
/// management API does when one is saved. Each statement must be allowed in some section;
/// whether it is allowed where the fragment is included is checked by the including policy.
///
/// # Errors
/// Every problem found, with its line and column in the fragment.
pub fn check_fragment(source: &str, env: &Environment) -> Result<(), Vec<Diagnostic>> {
    fragment::check(source, env)
}

/// Compilation state for one document.
pub(crate) struct Compiler<'d> {
    pub(crate) document: &'d Document,
    pub(crate) scope: ScopeLevel,
    pub(crate) env: &'d Environment,
    diagnostics: Vec<Diagnostic>,
    /// Secret named values substituted so far.
    pub(crate) secrets: Vec<Arc<str>>,
}

impl<'d> Compiler<'d> {
    pub(crate) fn new(document: &'d Document, scope: ScopeLevel, env: &'d Environment) -> Self {
        Self {
            document,
            scope,
            env,
            diagnostics: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// The diagnostics in document order, secrets masked; `Ok` when there are none.
    pub(crate) fn finish(mut self) -> Result<(), Vec<Diagnostic>> {
        if self.diagnostics.is_empty() {
            return Ok(());
        }
        self.diagnostics.sort_by_key(Diagnostic::position);
        for diagnostic in &mut self.diagnostics {
            diagnostic.message = substitute::mask(&diagnostic.message, &self.secrets);
        }
        Err(self.diagnostics)
    }

    fn document_sections(&mut self) -> PolicyDocument {
        let mut compiled = PolicyDocument::default();
        let Some(root) = self.document.root() else {
            return compiled;
        };
        for element in root.elements() {
            let Some(section) = Section::from_name(&element.name) else {
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
            if element.name == "include-fragment" {
                steps.extend(fragment::include(self, element, section, &path));
                continue;
            }
            if let Some(action) = elements::compile(element, self, section, &path) {
                steps.push(self.step(element, path, action));
            }
        }
        steps
    }

    pub(crate) fn step(&self, element: &Element, path: String, action: elements::Action) -> Step {
        let body = elements::touches_body(&action);
        Step {
            meta: self.meta(element, path),
            action,
            body,
        }
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

    /// Records problems found in another document (an included fragment) at `position`.
    pub(crate) fn absorb(&mut self, diagnostics: Vec<Diagnostic>) {
        self.diagnostics.extend(diagnostics);
    }

    /// Refuses `element` because this gateway lacks the service it needs.
    pub(crate) fn needs_service(&mut self, element: &Element, what: &str) {
        let message = format!(
            "policy <{}> is not supported by this gateway: it needs {what}",
            element.name
        );
        self.error(element.position, Code::Unsupported, message);
    }

    /// Refuses a setting of `element` that this gateway does not implement.
    pub(crate) fn unsupported(&mut self, position: Position, message: impl Into<String>) {
        self.error(position, Code::Unsupported, message);
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

    /// Compiles the text content of `element` (a `<value>`, `<set-url>`): empty when absent.
    pub(crate) fn content(&mut self, element: &Element) -> Option<Text> {
        match element.meaningful_texts().next() {
            Some(value) => self.value(value),
            None => Some(Text::Literal("".into())),
        }
    }

    /// Compiles one value: named values substituted, then an expression when it is
    /// `@(...)`/`@{...}`, literal text otherwise.
    pub(crate) fn value(&mut self, value: &reader::Value) -> Option<Text> {
        let ranges = value.named_values.iter().map(|r| r.range.clone());
        let substituted = substitute::substitute(&value.text, ranges, self.env);
        self.secrets.extend(substituted.secrets);
        if !substituted.undefined.is_empty() {
            for undefined in &substituted.undefined {
                let at = self
                    .document
                    .position(value.source_offset(undefined.offset));
                let message = format!("named value '{{{{{}}}}}' is not defined", undefined.name);
                self.error(at, Code::UndefinedNamedValue, message);
            }
            return None;
        }

        let text = substituted.text;
        if !value.is_expression() && !substitute::is_expression(&text) {
            return Some(Text::Literal(text.as_ref().into()));
        }
        let first_reference = value.named_values.first().map(|r| r.range.start);
        self.expression(value, &text, first_reference)
    }

    /// Compiles expression `text` found in `value`. Errors after the first substituted
    /// reference are reported at that reference: the substituted text has no place in the file.
    fn expression(
        &mut self,
        value: &reader::Value,
        text: &str,
        first_reference: Option<usize>,
    ) -> Option<Text> {
        let start = gatehouse_expr::Position { line: 1, column: 1 };
        let trimmed = text.trim();
        let lead = text.len() - text.trim_start().len();
        match gatehouse_expr::compile(trimmed, start) {
            Ok(expression) => Some(Text::Expression(expression)),
            Err(errors) => {
                for e in errors {
                    let decoded = lead + byte_offset(trimmed, e.line, e.column);
                    let decoded = first_reference.map_or(decoded, |r| decoded.min(r));
                    let at = self.document.position(value.source_offset(decoded));
                    self.error(at, Code::Expression, e.message);
                }
                None
            }
        }
    }

    /// Compiles text that is not in a reader value (a raw payload): named values
    /// substituted (undefined ones reported at `position` unless `lenient`), then an
    /// expression or literal text.
    pub(crate) fn raw_value(
        &mut self,
        raw: &str,
        position: Position,
        lenient: bool,
    ) -> Option<String> {
        let substituted = substitute::substitute(raw, substitute::references(raw), self.env);
        self.secrets.extend(substituted.secrets);
        if !lenient && !substituted.undefined.is_empty() {
            for undefined in &substituted.undefined {
                let message = format!("named value '{{{{{}}}}}' is not defined", undefined.name);
                self.error(position, Code::UndefinedNamedValue, message);
            }
            return None;
        }
        Some(substituted.text.into_owned())
    }

    /// A literal attribute parsed as `T`, reporting what was expected when it does not parse.
    /// Named values are substituted first.
    pub(crate) fn literal<T: std::str::FromStr>(
        &mut self,
        element: &Element,
        name: &str,
        expected: &str,
    ) -> Option<T> {
        let attribute = element.attribute(name)?;
        let text = match self.value(&attribute.value)? {
            Text::Literal(text) => text,
            Text::Expression(_) => {
                let message = format!(
                    "attribute '{name}' of <{}> must be {expected}, not a policy expression",
                    element.name
                );
                self.error(
                    attribute.value.position,
                    Code::ExpressionNotAllowed,
                    message,
                );
                return None;
            }
        };
        let parsed = parse_literal(&text);
        if parsed.is_none() {
            let message = format!(
                "attribute '{name}' of <{}> must be {expected}",
                element.name
            );
            self.error(attribute.value.position, Code::InvalidValue, message);
        }
        parsed
    }

    /// A literal `true`/`false` attribute (any letter case, as .NET parses it).
    pub(crate) fn flag(&mut self, element: &Element, name: &str) -> Option<bool> {
        let text: String = self.literal(element, name, "true or false")?;
        match text.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                let message = format!(
                    "attribute '{name}' of <{}> must be true or false",
                    element.name
                );
                let position = element
                    .attribute(name)
                    .map_or(element.position, |a| a.value.position);
                self.error(position, Code::InvalidValue, message);
                None
            }
        }
    }
}

fn parse_literal<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
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

    /// The literal text, when the value is not an expression.
    pub(crate) fn literal(&self) -> Option<&str> {
        match self {
            Self::Literal(text) => Some(text),
            Self::Expression(_) => None,
        }
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
