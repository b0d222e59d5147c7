//! The tolerant scanner: markup, attribute values and text, with recovery after mistakes.
//!
//! The scanner is a loop over the text with an explicit stack of open elements (no recursion,
//! so deep nesting cannot overflow the call stack). Every mistake becomes a [`Diagnostic`] and
//! the scanner carries on from the most plausible place, so one pass reports them all.

use super::chars::Chars;
use super::csharp::{self, Form, Unbalanced};
use super::position::LineIndex;
use super::tree::{Attribute, Element, Node, Value, ValueKind};
use super::value::{self, Source};
use super::{Code, Diagnostic, Position, Span};

/// After this many diagnostics the rest of the text is not read: more would not help anyone,
/// and it bounds the work hostile input can cause (each unbalanced expression rescans).
pub const MAX_DIAGNOSTICS: usize = 100;

/// Elements nested deeper than this stop the reader. Real policies nest a few dozen levels at
/// most; later stages walk the tree recursively and need a bound.
pub const MAX_DEPTH: usize = 256;

/// More attributes than this on one element stop the reader: real policies have a dozen, and
/// the duplicate check compares each attribute with the ones before it.
pub const MAX_ATTRIBUTES: usize = 256;

/// What the scanner produced.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) elements: Vec<Element>,
    pub(crate) lines: LineIndex,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Reads `text` into top-level elements and diagnostics.
pub(crate) fn scan(text: &str) -> Output {
    let mut scanner = Scanner::new(text);
    scanner.run();
    scanner.finish()
}

struct Scanner<'s> {
    text: &'s str,
    bytes: &'s [u8],
    pos: usize,
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
    /// Elements whose end tag has not been seen yet, outermost first.
    open: Vec<Element>,
    /// Finished top-level elements.
    top: Vec<Element>,
    /// Set when reading stopped early at one of the limits.
    stopped: bool,
}

// ----- driver -----

impl<'s> Scanner<'s> {
    fn new(text: &'s str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            lines: LineIndex::new(text),
            diagnostics: Vec::new(),
            open: Vec::new(),
            top: Vec::new(),
            stopped: false,
        }
    }

    fn run(&mut self) {
        if self.text.starts_with('\u{feff}') {
            self.pos = 3;
        }

        while self.pos < self.bytes.len() && !self.stopped {
            self.step();
        }
        self.close_unfinished();
    }

    fn finish(mut self) -> Output {
        if self.top.is_empty() && !self.stopped {
            let message = "the document has no root element: expected <policies> or <fragment>";
            self.report_at(Position { line: 1, column: 1 }, Code::OutsideRoot, message);
        }
        Output {
            elements: self.top,
            lines: self.lines,
            diagnostics: self.diagnostics,
        }
    }

    /// Reads one piece of markup or one text run.
    fn step(&mut self) {
        let rest = &self.text[self.pos..];

        if rest.starts_with("<!--") {
            self.skip_markup(4, "-->", "comment");
        } else if rest.starts_with("<![CDATA[") {
            self.read_cdata();
        } else if rest.starts_with("<!") {
            self.skip_declaration();
        } else if rest.starts_with("<?") {
            self.skip_markup(2, "?>", "processing instruction");
        } else if rest.starts_with("</") {
            self.read_end_tag();
        } else if self.at_start_tag() {
            self.read_element_start();
        } else {
            self.read_text();
        }
    }
}

// ----- elements -----

impl Scanner<'_> {
    fn read_element_start(&mut self) {
        if self.open.len() >= MAX_DEPTH {
            self.stop(format!(
                "elements nest deeper than {MAX_DEPTH} levels; the rest was not read"
            ));
            return;
        }

        let (element, empty) = self.read_start_tag();
        if empty {
            self.attach(element);
        } else {
            self.open.push(element);
        }
    }

    /// Reads `<name attributes>` or `<name attributes/>`; true for the latter.
    fn read_start_tag(&mut self) -> (Element, bool) {
        let start = self.pos;
        self.pos += 1;
        let name = self.read_name();
        let mut element = Element {
            name,
            position: self.position(start),
            span: Span::new(start, start),
            content: None,
            attributes: Vec::new(),
            children: Vec::new(),
        };

        let empty = self.read_attributes(&mut element);
        element.span.end = self.pos;
        if !empty {
            element.content = Some(Span::new(self.pos, self.pos));
        }
        (element, empty)
    }

    /// Reads attributes up to `>` or `/>`; true for `/>`.
    fn read_attributes(&mut self, element: &mut Element) -> bool {
        loop {
            let spaced = self.skip_whitespace();

            match self.bytes.get(self.pos) {
                Some(b'>') => {
                    self.pos += 1;
                    return false;
                }
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    return true;
                }
                None | Some(b'<') => return self.unclosed_start_tag(element),
                Some(_) if element.attributes.len() >= MAX_ATTRIBUTES => {
                    return self.too_many_attributes(element);
                }
                Some(_) if self.at_name_start() => {
                    if !spaced {
                        self.report(
                            self.pos,
                            Code::UnexpectedCharacter,
                            "missing whitespace before this attribute",
                        );
                    }
                    self.read_attribute(element);
                }
                Some(_) => self.unexpected_in_tag(element),
            }
        }
    }

    /// A start tag cut short by `<` or the end of the text: the element is taken as open when
    /// markup follows (a forgotten `>` before children), as empty at the end of the text.
    fn unclosed_start_tag(&mut self, element: &Element) -> bool {
        let message = format!("start tag <{}> is not closed with '>'", element.name);
        self.report_at(element.position, Code::UnclosedTag, message);
        self.pos >= self.bytes.len()
    }

    fn too_many_attributes(&mut self, element: &Element) -> bool {
        let name = &element.name;
        self.stop(format!(
            "<{name}> has more than {MAX_ATTRIBUTES} attributes; the rest was not read"
        ));
        true
    }

    fn unexpected_in_tag(&mut self, element: &Element) {
        let ch = self.text[self.pos..].chars().next().unwrap_or('?');
        let message = format!("unexpected '{ch}' in start tag <{}>", element.name);
        self.report(self.pos, Code::UnexpectedCharacter, message);
        self.pos += ch.len_utf8();
    }

    /// Reads `</name>` and closes the matching open element; elements opened inside it and
    /// still open are reported and closed too.
    fn read_end_tag(&mut self) {
        let start = self.pos;
        self.pos += 2;
        let name = self.read_name();
        self.skip_whitespace();

        if !self.eat(b'>') {
            let message = format!("end tag </{name}> is not closed with '>'");
            self.report(start, Code::UnexpectedEndTag, message);
        }

        match self.open.iter().rposition(|e| e.name == name) {
            Some(index) => self.close_down_to(index, start),
            None if name.is_empty() => {
                self.report(
                    start,
                    Code::UnexpectedEndTag,
                    "expected an element name after '</'",
                );
            }
            None => self.stray_end_tag(start, &name),
        }
    }

    fn stray_end_tag(&mut self, start: usize, name: &str) {
        let mut message = format!("end tag </{name}> does not close any open element");
        if let Some(open) = self.open.last() {
            message += &format!(
                " (the innermost open element is <{}> opened at {})",
                open.name, open.position
            );
        }
        self.report(start, Code::UnexpectedEndTag, message);
    }

    fn close_down_to(&mut self, index: usize, end_tag: usize) {
        while self.open.len() > index + 1 {
            self.close_unclosed(end_tag);
        }
        if let Some(element) = self.open.pop() {
            self.finish_element(element, end_tag, self.pos);
        }
    }

    /// Closes the innermost open element at `at`, reporting that its end tag is missing.
    fn close_unclosed(&mut self, at: usize) {
        let Some(element) = self.open.pop() else {
            return;
        };

        let message = format!(
            "unclosed element <{}> opened at {}",
            element.name, element.position
        );
        self.report(at, Code::UnclosedElement, message);
        self.finish_element(element, at, at);
    }

    fn close_unfinished(&mut self) {
        let end = self.bytes.len();
        while !self.open.is_empty() {
            self.close_unclosed(end);
        }
    }

    fn finish_element(&mut self, mut element: Element, content_end: usize, end: usize) {
        if let Some(content) = element.content.as_mut() {
            content.end = content_end;
        }
        element.span.end = end;
        self.attach(element);
    }

    fn attach(&mut self, element: Element) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(Node::Element(element)),
            None => self.top.push(element),
        }
    }
}

// ----- attributes -----

impl Scanner<'_> {
    fn read_attribute(&mut self, element: &mut Element) {
        let start = self.pos;
        let name = self.read_name();
        self.skip_whitespace();

        if !self.eat(b'=') {
            let message =
                format!("attribute '{name}' has no value: expected '=' and a quoted value");
            self.report(start, Code::UnclosedAttribute, message);
            return;
        }
        self.skip_whitespace();

        let value = match self.bytes.get(self.pos) {
            Some(&quote @ (b'"' | b'\'')) => self.read_quoted_value(&name, quote),
            _ => self.read_unquoted_value(&name),
        };
        self.add_attribute(
            element,
            Attribute {
                name,
                position: self.position(start),
                value,
            },
        );
    }

    fn add_attribute(&mut self, element: &mut Element, attribute: Attribute) {
        match element.attribute(&attribute.name) {
            Some(first) => {
                let message = format!(
                    "attribute '{}' appears twice on <{}>; the first is at {}",
                    attribute.name, element.name, first.position
                );
                self.report_at(attribute.position, Code::DuplicateAttribute, message);
            }
            None => element.attributes.push(attribute),
        }
    }

    /// Reads a quoted value. A value that starts with `@(` or `@{` is read by bracket
    /// matching, so raw quotes and `<` inside the expression do not end it.
    fn read_quoted_value(&mut self, name: &str, quote: u8) -> Value {
        let what = format!("attribute '{name}'");
        let open_quote = self.pos;
        self.pos += 1;
        let start = self.pos;
        let lead = self.read_leading_expression(start, Some(quote), &what);
        let after_expression = self.pos;

        if !self.skip_to(quote) {
            let message = format!(
                "{what} is not closed: no matching {} before this point",
                quote as char
            );
            let end = self.pos;
            self.report(open_quote, Code::UnclosedAttribute, message);
            return self.value(Span::new(start, end), true, ValueKind::Literal);
        }

        let mut end = self.pos;
        self.pos += 1;
        let kind = self.check_after_expression(lead, after_expression, end, &what);
        if self.raw_quote_follows() {
            end = self.recover_quote_in_value(name, quote, end, lead.is_none());
        }
        self.value(Span::new(start, end), true, kind)
    }

    /// After a closing quote: true when text that is no attribute follows, the sign of a raw
    /// quote inside the value (`subject="O="Contoso, Inc.", CN=x"`).
    fn raw_quote_follows(&self) -> bool {
        !self.value_may_end_before(self.pos) && !self.looks_like_attribute()
    }

    /// Whether a quoted value may end just before `offset`: whitespace, the end of the tag or
    /// the end of the text follows.
    fn value_may_end_before(&self, offset: usize) -> bool {
        self.bytes
            .get(offset)
            .is_none_or(|&b| is_space(b) || b == b'>' || b == b'/')
    }

    /// Reports the raw quote at `end` (unless an expression problem was already reported) and
    /// extends the value to the quote that really closes it, so the rest of the tag is not
    /// misread as attributes.
    fn recover_quote_in_value(&mut self, name: &str, quote: u8, end: usize, quiet: bool) -> usize {
        if !quiet {
            let entity = if quote == b'"' { "&quot;" } else { "&apos;" };
            let message = format!(
                "attribute '{name}' has a raw {} inside its value; write it as {entity}",
                quote as char
            );
            self.report(end, Code::QuoteInValue, message);
        }

        match self.closing_quote_after(self.pos, quote) {
            Some(closing) => {
                self.pos = closing + 1;
                closing
            }
            None => end,
        }
    }

    /// The next `quote` from `from` that is followed by whitespace or the end of the tag, if
    /// one comes before the next `<`.
    fn closing_quote_after(&self, from: usize, quote: u8) -> Option<usize> {
        let window = &self.bytes[from..];
        let limit = window
            .iter()
            .position(|&b| b == b'<')
            .unwrap_or(window.len());

        (from..from + limit).find(|&i| self.bytes[i] == quote && self.value_may_end_before(i + 1))
    }

    fn read_unquoted_value(&mut self, name: &str) -> Value {
        let message = format!("value of attribute '{name}' must be in quotes");
        self.report(self.pos, Code::UnclosedAttribute, message);

        let start = self.pos;
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|&b| !is_space(b) && !matches!(b, b'>' | b'<' | b'/'))
        {
            self.pos += 1;
        }
        self.value(Span::new(start, self.pos), true, ValueKind::Literal)
    }

    /// Moves to the next `quote`, stopping at `<` or the end of the text (false then).
    fn skip_to(&mut self, quote: u8) -> bool {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == quote {
                return true;
            }
            if b == b'<' {
                return false;
            }
            self.pos += 1;
        }
        false
    }

    /// `name=` (spaces allowed before `=`) at the current position.
    fn looks_like_attribute(&self) -> bool {
        let rest = &self.text[self.pos..];
        let name_len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        name_len > 0 && rest[name_len..].trim_start().starts_with('=')
    }
}

// ----- text, CDATA and other markup -----

impl Scanner<'_> {
    /// Reads text up to the next markup; a leading `@(...)`/`@{...}` is read by bracket
    /// matching, so `<` inside it does not end the text.
    fn read_text(&mut self) {
        let start = self.pos;
        let expression_start =
            start + self.text[start..].len() - self.text[start..].trim_start().len();
        let lead = self.read_leading_expression(expression_start, None, "text");
        let after_expression = self.pos;

        self.skip_text_run();
        let kind = self.check_after_expression(lead, after_expression, self.pos, "text");
        let value = self.value(Span::new(start, self.pos), true, kind);
        self.add_text(Node::Text(value));
    }

    /// Skips to the next `<` that starts markup, reporting a `<` that does not.
    fn skip_text_run(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'<' && self.at_markup() {
                return;
            }
            if b == b'<' {
                self.report(
                    self.pos,
                    Code::UnexpectedCharacter,
                    "a '<' in text must be written as &lt;",
                );
            }
            self.pos += 1;
        }
    }

    fn read_cdata(&mut self) {
        let body_start = self.pos + "<![CDATA[".len();
        let body_end = match self.text[body_start..].find("]]>") {
            Some(relative) => body_start + relative,
            None => {
                self.report(
                    self.pos,
                    Code::UnclosedMarkup,
                    "CDATA section is not closed with ']]>'",
                );
                self.bytes.len()
            }
        };

        self.pos = (body_end + 3).min(self.bytes.len());
        let kind = self.classify_cdata(Span::new(body_start, body_end));
        let value = self.value(Span::new(body_start, body_end), false, kind);
        self.add_text(Node::CData(value));
    }

    /// A CDATA body is an expression when, trimmed, it is exactly one balanced expression.
    fn classify_cdata(&self, body: Span) -> ValueKind {
        let raw = &self.text[body.start..body.end];
        let start = body.start + raw.len() - raw.trim_start().len();
        if !csharp::starts_expression(&self.text[start..body.end]) {
            return ValueKind::Literal;
        }

        let mut chars = Chars::new(self.text, start, body.end, false);
        match csharp::skip_expression(&mut chars) {
            Ok(form) if self.text[chars.pos()..body.end].trim().is_empty() => kind_of(form),
            _ => ValueKind::Literal,
        }
    }

    fn add_text(&mut self, node: Node) {
        let Some(parent) = self.open.last_mut() else {
            self.text_outside_root(&node);
            return;
        };
        parent.children.push(node);
    }

    fn text_outside_root(&mut self, node: &Node) {
        let Some(value) = node.as_text().filter(|v| !v.text.trim().is_empty()) else {
            return;
        };
        let offset = value.span.start + value.text.len() - value.text.trim_start().len();
        self.report(
            offset.min(value.span.end),
            Code::OutsideRoot,
            "text outside the root element",
        );
    }

    /// Skips `<!DOCTYPE ...>` (refused: entity definitions could change how values read) or
    /// other `<!` markup, up to the `>` that ends it.
    fn skip_declaration(&mut self) {
        let is_doctype = self.text[self.pos..].starts_with("<!DOCTYPE");
        let (code, message) = if is_doctype {
            (
                Code::Doctype,
                "<!DOCTYPE> is not allowed in a policy document",
            )
        } else {
            (Code::UnexpectedCharacter, "unknown markup '<!'")
        };
        self.report(self.pos, code, message);

        let mut depth = 0usize;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => return,
                _ => {}
            }
        }
    }

    /// Skips a comment or processing instruction (`<?xml ...?>` included, wherever it is).
    fn skip_markup(&mut self, open_len: usize, terminator: &str, what: &str) {
        match self.text[self.pos + open_len..].find(terminator) {
            Some(relative) => self.pos += open_len + relative + terminator.len(),
            None => {
                self.report(
                    self.pos,
                    Code::UnclosedMarkup,
                    format!("{what} is not closed with '{terminator}'"),
                );
                self.pos = self.bytes.len();
            }
        }
    }
}

// ----- expressions -----

impl Scanner<'_> {
    /// Reads a balanced expression at `start` when one begins there and moves past it.
    /// `Some(Literal)`: no expression; `None`: an expression that does not balance (reported;
    /// the position is left at `start` so the value reads as plain text).
    fn read_leading_expression(
        &mut self,
        start: usize,
        delimiter: Option<u8>,
        what: &str,
    ) -> Option<ValueKind> {
        if !csharp::starts_expression(&self.text[start..]) {
            return Some(ValueKind::Literal);
        }

        match self.skip_expression(start, self.bytes.len()) {
            Ok((form, end)) => {
                self.pos = end;
                Some(kind_of(form))
            }
            Err(unbalanced) => {
                let unbalanced = self
                    .explain_in_value(start, delimiter)
                    .unwrap_or(unbalanced);
                self.report_unbalanced(unbalanced, what);
                None
            }
        }
    }

    fn skip_expression(&self, start: usize, limit: usize) -> Result<(Form, usize), Unbalanced> {
        let mut chars = Chars::new(self.text, start, limit, true);
        csharp::skip_expression(&mut chars).map(|form| (form, chars.pos()))
    }

    /// An attribute expression that does not balance has usually lost a bracket, and the
    /// matcher then reads the closing quote as the start of a string. Scanning again up to
    /// that quote names the real problem ("'(' is never closed").
    fn explain_in_value(&self, start: usize, delimiter: Option<u8>) -> Option<Unbalanced> {
        let quote = delimiter?;
        let limit = start + self.bytes[start..].iter().position(|&b| b == quote)?;
        self.skip_expression(start, limit).err()
    }

    fn report_unbalanced(&mut self, unbalanced: Unbalanced, what: &str) {
        let message = format!(
            "policy expression in {what} cannot be read: {}",
            unbalanced.problem
        );
        self.report(unbalanced.offset, Code::UnclosedExpression, message);
    }

    /// The kind of a value whose expression ended at `from` and whose text ends at `to`: an
    /// expression must be the whole value, so text after it is reported.
    fn check_after_expression(
        &mut self,
        lead: Option<ValueKind>,
        from: usize,
        to: usize,
        what: &str,
    ) -> ValueKind {
        let kind = lead.unwrap_or(ValueKind::Literal);
        let trailing = &self.text[from..to];
        if kind == ValueKind::Literal || trailing.trim().is_empty() {
            return kind;
        }

        let offset = from + trailing.len() - trailing.trim_start().len();
        let message = format!(
            "text after the policy expression in {what}: an expression must be the whole value"
        );
        self.report(offset, Code::TextAfterExpression, message);
        ValueKind::Literal
    }
}

fn kind_of(form: Form) -> ValueKind {
    match form {
        Form::Single => ValueKind::SingleExpression,
        Form::Block => ValueKind::BlockExpression,
    }
}

// ----- low-level helpers -----

impl Scanner<'_> {
    fn value(&self, span: Span, entities: bool, kind: ValueKind) -> Value {
        let source = Source {
            text: self.text,
            lines: &self.lines,
        };
        value::build(source, span, entities, kind)
    }

    fn position(&self, offset: usize) -> Position {
        self.lines.position(self.text, offset)
    }

    fn report(&mut self, offset: usize, code: Code, message: impl Into<String>) {
        let position = self.position(offset);
        self.report_at(position, code, message);
    }

    /// Reports that a limit was reached here and stops reading.
    fn stop(&mut self, message: String) {
        self.report(self.pos, Code::Limit, message);
        self.stopped = true;
        self.pos = self.bytes.len();
    }

    /// Records a problem; after [`MAX_DIAGNOSTICS`] of them, says so once and stops reading.
    fn report_at(&mut self, position: Position, code: Code, message: impl Into<String>) {
        if self.stopped {
            return;
        }
        if self.diagnostics.len() == MAX_DIAGNOSTICS {
            let message = format!("more than {MAX_DIAGNOSTICS} problems; the rest was not read");
            self.diagnostics.push(Diagnostic::new(
                position,
                Code::UnexpectedCharacter,
                message,
            ));
            self.stopped = true;
            return;
        }
        self.diagnostics
            .push(Diagnostic::new(position, code, message));
    }

    fn eat(&mut self, byte: u8) -> bool {
        let matches = self.bytes.get(self.pos) == Some(&byte);
        if matches {
            self.pos += 1;
        }
        matches
    }

    /// Skips XML whitespace; true when there was some.
    fn skip_whitespace(&mut self) -> bool {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(|&b| is_space(b)) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn read_name(&mut self) -> String {
        let rest = &self.text[self.pos..];
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        self.pos += len;
        rest[..len].to_owned()
    }

    fn at_name_start(&self) -> bool {
        self.text[self.pos..]
            .chars()
            .next()
            .is_some_and(is_name_start)
    }

    fn at_start_tag(&self) -> bool {
        self.bytes.get(self.pos) == Some(&b'<')
            && self.text[self.pos + 1..]
                .chars()
                .next()
                .is_some_and(is_name_start)
    }

    /// A `<` that begins a tag, an end tag, a comment, CDATA or a processing instruction.
    fn at_markup(&self) -> bool {
        let next = self.bytes.get(self.pos + 1).copied();
        self.at_start_tag() || matches!(next, Some(b'/' | b'!' | b'?'))
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':' || !c.is_ascii()
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}
