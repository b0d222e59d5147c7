//! Reading a Liquid template into nodes.

use super::TemplateError;
use super::filters::Filter;
use super::value::LValue;

/// A compiled template.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    pub(super) nodes: Vec<Node>,
    reads_body: bool,
}

#[derive(Clone, Debug)]
pub(super) enum Node {
    Text(String),
    Output(Filtered),
    /// `if`/`elsif` branches and the `else` nodes.
    If(Vec<(Condition, Vec<Node>)>, Vec<Node>),
    For {
        variable: String,
        source: Expr,
        body: Vec<Node>,
        empty: Vec<Node>,
    },
    Assign(String, Filtered),
}

/// An expression with its filters.
#[derive(Clone, Debug)]
pub(super) struct Filtered {
    pub(super) expr: Expr,
    pub(super) filters: Vec<Filter>,
}

#[derive(Clone, Debug)]
pub(super) enum Expr {
    Literal(LValue),
    /// A variable and the members or indexes after it.
    Path(String, Vec<Segment>),
}

#[derive(Clone, Debug)]
pub(super) enum Segment {
    Name(String),
    Index(Expr),
}

#[derive(Clone, Debug)]
pub(super) enum Condition {
    Test(Expr),
    Compare(Expr, String, Expr),
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

impl Template {
    /// Parses template text.
    ///
    /// # Errors
    /// The first problem, with its byte offset.
    pub(crate) fn parse(text: &str) -> Result<Template, TemplateError> {
        let pieces = split(text)?;
        let mut parser = Parser { pieces, next: 0 };
        let (nodes, end) = parser.block(&[])?;
        if let Some((tag, offset)) = end {
            return Err(error(offset, format!("unexpected {{% {tag} %}}")));
        }
        let reads_body = mentions_body(&nodes);
        Ok(Template { nodes, reads_body })
    }

    /// Whether the template reads `body`, so the body must be in memory.
    pub(crate) fn reads_body(&self) -> bool {
        self.reads_body
    }
}

fn error(offset: usize, message: String) -> TemplateError {
    TemplateError { offset, message }
}

// ----- splitting into text, outputs and tags -----

#[derive(Debug)]
enum Piece {
    Text(String),
    Output(String, usize),
    Tag(String, usize),
}

/// Splits text into pieces, applying whitespace control and dropping comments.
fn split(text: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = 0;
    let mut trim_next = false;
    while let Some(found) = find_open(&text[rest..]) {
        let start = rest + found;
        let output = text[start..].starts_with("{{");
        let close = if output { "}}" } else { "%}" };
        let inner_start = start + 2;
        let end = find_close(text, inner_start, close).ok_or_else(|| {
            error(
                start,
                format!("'{}' is not closed with '{close}'", &text[start..start + 2]),
            )
        })?;
        let mut inner = &text[inner_start..end];
        let trim_before = inner.starts_with('-');
        let trim_after = inner.ends_with('-');
        inner = inner.trim_start_matches('-').trim_end_matches('-').trim();

        push_text(&mut pieces, &text[rest..start], trim_next, trim_before);
        trim_next = trim_after;
        rest = end + 2;
        if output {
            pieces.push(Piece::Output(inner.to_owned(), start));
            continue;
        }
        match tag_name(inner) {
            "comment" => rest = skip_block(text, rest, "endcomment", start)?.1,
            "raw" => {
                let (body_end, after) = skip_block(text, rest, "endraw", start)?;
                pieces.push(Piece::Text(text[rest..body_end].to_owned()));
                rest = after;
            }
            _ => pieces.push(Piece::Tag(inner.to_owned(), start)),
        }
    }
    push_text(&mut pieces, &text[rest..], trim_next, false);
    Ok(pieces)
}

fn find_open(text: &str) -> Option<usize> {
    match (text.find("{{"), text.find("{%")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The offset of `close` after `from`, skipping quoted strings.
fn find_close(text: &str, from: usize, close: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i + 1 < bytes.len() {
        match quote {
            Some(q) if bytes[i] == q => quote = None,
            Some(_) => {}
            None if bytes[i] == b'"' || bytes[i] == b'\'' => quote = Some(bytes[i]),
            None if text[i..].starts_with(close) => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// Finds `{% end %}` after `from`: the offsets where it starts and after it ends.
fn skip_block(
    text: &str,
    from: usize,
    end: &str,
    opened: usize,
) -> Result<(usize, usize), TemplateError> {
    let mut at = from;
    while let Some(found) = text[at..].find("{%") {
        let start = at + found;
        let close = find_close(text, start + 2, "%}")
            .ok_or_else(|| error(start, "'{%' is not closed".into()))?;
        let inner = text[start + 2..close].trim_matches('-').trim();
        if inner == end {
            return Ok((start, close + 2));
        }
        at = close + 2;
    }
    Err(error(opened, format!("missing {{% {end} %}}")))
}

fn push_text(pieces: &mut Vec<Piece>, text: &str, trim_start: bool, trim_end: bool) {
    let mut text = text;
    if trim_start {
        text = text.trim_start();
    }
    if trim_end {
        text = text.trim_end();
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text.to_owned()));
    }
}

fn tag_name(inner: &str) -> &str {
    inner.split_whitespace().next().unwrap_or_default()
}

// ----- blocks -----

struct Parser {
    pieces: Vec<Piece>,
    next: usize,
}

/// A tag's text and offset: where a block stopped.
type Stop = Option<(String, usize)>;

impl Parser {
    /// Nodes up to one of the tags in `stops`; returns the stopping tag (text and offset).
    fn block(&mut self, stops: &[&str]) -> Result<(Vec<Node>, Stop), TemplateError> {
        let mut nodes = Vec::new();
        while self.next < self.pieces.len() {
            let piece = std::mem::replace(&mut self.pieces[self.next], Piece::Text(String::new()));
            self.next += 1;
            match piece {
                Piece::Text(text) => nodes.push(Node::Text(text)),
                Piece::Output(inner, offset) => nodes.push(Node::Output(filtered(&inner, offset)?)),
                Piece::Tag(inner, offset) => {
                    let name = tag_name(&inner).to_owned();
                    if stops.contains(&name.as_str()) || name.starts_with("end") {
                        return Ok((nodes, Some((inner, offset))));
                    }
                    nodes.push(self.tag(&name, &inner, offset)?);
                }
            }
        }
        Ok((nodes, None))
    }

    fn tag(&mut self, name: &str, inner: &str, offset: usize) -> Result<Node, TemplateError> {
        let args = inner[name.len()..].trim();
        match name {
            "if" => self.conditional(args, offset, false),
            "unless" => self.conditional(args, offset, true),
            "for" => self.for_loop(args, offset),
            "assign" => assign(args, offset),
            other => Err(error(
                offset,
                format!("the Liquid tag {{% {other} %}} is not supported by Gatehouse"),
            )),
        }
    }

    fn conditional(
        &mut self,
        args: &str,
        offset: usize,
        negate: bool,
    ) -> Result<Node, TemplateError> {
        let end = if negate { "endunless" } else { "endif" };
        let mut condition = condition(args, offset)?;
        if negate {
            condition = Condition::Not(Box::new(condition));
        }
        let mut branches = Vec::new();
        let mut otherwise = Vec::new();
        loop {
            let (nodes, stop) = self.block(&["elsif", "else", end])?;
            let Some((tag, at)) = stop else {
                return Err(error(offset, format!("missing {{% {end} %}}")));
            };
            branches.push((condition, nodes));
            match tag_name(&tag) {
                "elsif" if !negate => condition = self::condition(tag["elsif".len()..].trim(), at)?,
                "else" => {
                    let (nodes, stop) = self.block(&[end])?;
                    expect_end(stop, end, offset)?;
                    otherwise = nodes;
                    break;
                }
                t if t == end => break,
                t => return Err(error(at, format!("unexpected {{% {t} %}}"))),
            }
        }
        Ok(Node::If(branches, otherwise))
    }

    fn for_loop(&mut self, args: &str, offset: usize) -> Result<Node, TemplateError> {
        let mut words = args.splitn(3, char::is_whitespace);
        let (Some(variable), Some("in"), Some(source)) = (words.next(), words.next(), words.next())
        else {
            return Err(error(
                offset,
                "{% for %} must read {% for item in collection %}".into(),
            ));
        };
        let source = source.trim();
        if source.contains(':') || source.contains(" reversed") {
            return Err(error(
                offset,
                "{% for %} options (limit, offset, reversed) are not supported by Gatehouse".into(),
            ));
        }
        let (body, stop) = self.block(&["else", "endfor"])?;
        let empty = match stop.as_ref().map(|(t, _)| tag_name(t)) {
            Some("else") => {
                let (nodes, stop) = self.block(&["endfor"])?;
                expect_end(stop, "endfor", offset)?;
                nodes
            }
            Some("endfor") => Vec::new(),
            _ => return Err(error(offset, "missing {% endfor %}".into())),
        };
        Ok(Node::For {
            variable: variable.to_owned(),
            source: expr(&mut Tokens::new(source, offset)?)?,
            body,
            empty,
        })
    }
}

fn expect_end(
    stop: Option<(String, usize)>,
    end: &str,
    offset: usize,
) -> Result<(), TemplateError> {
    match stop {
        Some((tag, _)) if tag_name(&tag) == end => Ok(()),
        _ => Err(error(offset, format!("missing {{% {end} %}}"))),
    }
}

fn assign(args: &str, offset: usize) -> Result<Node, TemplateError> {
    let Some((name, value)) = args.split_once('=') else {
        return Err(error(
            offset,
            "{% assign %} must read {% assign name = value %}".into(),
        ));
    };
    Ok(Node::Assign(
        name.trim().to_owned(),
        filtered(value.trim(), offset)?,
    ))
}

// ----- expressions -----

/// `expr | filter: a, b | filter`.
fn filtered(text: &str, offset: usize) -> Result<Filtered, TemplateError> {
    let mut tokens = Tokens::new(text, offset)?;
    let expr = expr(&mut tokens)?;
    let mut filters = Vec::new();
    while tokens.eat("|") {
        let name = tokens.ident()?;
        let mut args = Vec::new();
        if tokens.eat(":") {
            args.push(self::expr(&mut tokens)?);
            while tokens.eat(",") {
                args.push(self::expr(&mut tokens)?);
            }
        }
        filters.push(Filter::new(&name, args).map_err(|m| error(offset, m))?);
    }
    tokens.end()?;
    Ok(Filtered { expr, filters })
}

/// Comparisons joined by `and`/`or`, evaluated right to left as Liquid does.
fn condition(text: &str, offset: usize) -> Result<Condition, TemplateError> {
    let mut tokens = Tokens::new(text, offset)?;
    let condition = comparison_chain(&mut tokens)?;
    tokens.end()?;
    Ok(condition)
}

fn comparison_chain(tokens: &mut Tokens) -> Result<Condition, TemplateError> {
    let left = comparison(tokens)?;
    if tokens.eat("and") {
        return Ok(Condition::And(
            Box::new(left),
            Box::new(comparison_chain(tokens)?),
        ));
    }
    if tokens.eat("or") {
        return Ok(Condition::Or(
            Box::new(left),
            Box::new(comparison_chain(tokens)?),
        ));
    }
    Ok(left)
}

fn comparison(tokens: &mut Tokens) -> Result<Condition, TemplateError> {
    let left = expr(tokens)?;
    for op in ["==", "!=", "<>", "<=", ">=", "<", ">", "contains"] {
        if tokens.eat(op) {
            return Ok(Condition::Compare(left, op.to_owned(), expr(tokens)?));
        }
    }
    Ok(Condition::Test(left))
}

fn expr(tokens: &mut Tokens) -> Result<Expr, TemplateError> {
    let Some(token) = tokens.bump() else {
        return Err(tokens.error("an expression was expected"));
    };
    let root = match token {
        Token::Str(text) => return Ok(Expr::Literal(LValue::Str(text))),
        Token::Number(n) => return Ok(Expr::Literal(LValue::Number(n))),
        Token::Word(word) => match word.as_str() {
            "true" => return Ok(Expr::Literal(LValue::Bool(true))),
            "false" => return Ok(Expr::Literal(LValue::Bool(false))),
            "nil" | "null" => return Ok(Expr::Literal(LValue::Nil)),
            _ => word,
        },
        Token::Punct(p) => return Err(tokens.error(&format!("unexpected '{p}'"))),
    };
    let mut segments = Vec::new();
    loop {
        if tokens.eat(".") {
            segments.push(Segment::Name(tokens.ident()?));
        } else if tokens.eat("[") {
            segments.push(Segment::Index(expr(tokens)?));
            if !tokens.eat("]") {
                return Err(tokens.error("']' was expected"));
            }
        } else {
            return Ok(Expr::Path(root, segments));
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Number(f64),
    Punct(&'static str),
}

struct Tokens {
    tokens: Vec<Token>,
    next: usize,
    offset: usize,
}

impl Tokens {
    fn new(text: &str, offset: usize) -> Result<Self, TemplateError> {
        Ok(Self {
            tokens: lex(text).map_err(|m| error(offset, m))?,
            next: 0,
            offset,
        })
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn eat(&mut self, what: &str) -> bool {
        let matches = match self.tokens.get(self.next) {
            Some(Token::Punct(p)) => *p == what,
            Some(Token::Word(w)) => w == what,
            _ => false,
        };
        if matches {
            self.next += 1;
        }
        matches
    }

    fn ident(&mut self) -> Result<String, TemplateError> {
        match self.bump() {
            Some(Token::Word(word)) => Ok(word),
            _ => Err(self.error("a name was expected")),
        }
    }

    fn end(&self) -> Result<(), TemplateError> {
        match self.tokens.get(self.next) {
            None => Ok(()),
            Some(token) => Err(self.error(&format!("unexpected {token:?}"))),
        }
    }

    fn error(&self, message: &str) -> TemplateError {
        error(self.offset, message.to_owned())
    }
}

const PUNCTUATION: [&str; 14] = [
    "==", "!=", "<>", "<=", ">=", "<", ">", ".", "[", "]", "|", ":", ",", "=",
];

fn lex(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        let taken = if c == '"' || c == '\'' {
            let close = rest[1..].find(c).ok_or("a string is not closed")? + 1;
            tokens.push(Token::Str(rest[1..close].to_owned()));
            close + 1
        } else if c.is_ascii_digit()
            || (c == '-' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let len = 1 + rest[1..]
                .find(|d: char| !(d.is_ascii_digit() || d == '.'))
                .unwrap_or(rest.len() - 1);
            tokens.push(Token::Number(
                rest[..len]
                    .parse()
                    .map_err(|_| format!("'{}' is not a number", &rest[..len]))?,
            ));
            len
        } else if c.is_alphabetic() || c == '_' {
            let len = rest
                .find(|d: char| !(d.is_alphanumeric() || d == '_' || d == '-' || d == '?'))
                .unwrap_or(rest.len());
            tokens.push(Token::Word(rest[..len].to_owned()));
            len
        } else if let Some(p) = PUNCTUATION.iter().find(|p| rest.starts_with(**p)) {
            tokens.push(Token::Punct(p));
            p.len()
        } else {
            return Err(format!("unexpected character '{c}'"));
        };
        rest = rest[taken..].trim_start();
    }
    Ok(tokens)
}

/// Whether any node reads the `body` variable.
fn mentions_body(nodes: &[Node]) -> bool {
    let is_body = |e: &Expr| matches!(e, Expr::Path(root, _) if root == "body");
    let filtered =
        |f: &Filtered| is_body(&f.expr) || f.filters.iter().any(|x| x.args().iter().any(is_body));
    nodes.iter().any(|node| match node {
        Node::Text(_) => false,
        Node::Output(f) | Node::Assign(_, f) => filtered(f),
        Node::If(branches, otherwise) => {
            branches
                .iter()
                .any(|(c, n)| condition_mentions_body(c) || mentions_body(n))
                || mentions_body(otherwise)
        }
        Node::For {
            source,
            body,
            empty,
            ..
        } => is_body(source) || mentions_body(body) || mentions_body(empty),
    })
}

fn condition_mentions_body(condition: &Condition) -> bool {
    let is_body = |e: &Expr| matches!(e, Expr::Path(root, _) if root == "body");
    match condition {
        Condition::Test(e) => is_body(e),
        Condition::Compare(a, _, b) => is_body(a) || is_body(b),
        Condition::Not(c) => condition_mentions_body(c),
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_mentions_body(a) || condition_mentions_body(b)
        }
    }
}
