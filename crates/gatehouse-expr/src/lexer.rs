//! The lexer: expression text to tokens.
//!
//! C# tokens as policy authors write them: identifiers and keywords, integer and real literals
//! with suffixes, regular, verbatim (`@"…"`) and interpolated (`$"…"`, `$@"…"`) strings, char
//! literals, comments and punctuation. Interpolation holes are lexed recursively so the parser
//! sees their tokens with spans in the outer text. `>` is never merged into `>>`: the parser
//! joins adjacent `>` tokens in operator position, which keeps `List<List<int>>` simple.

use crate::diag::{Problem, Span};

/// One token and where it is.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
}

/// Token kinds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Kw(Kw),
    Int { value: u64, suffix: IntSuffix },
    Real { value: f64, suffix: RealSuffix },
    Str(String),
    Char(char),
    Interp(Vec<InterpPart>),
    Punct(P),
    Eof,
}

/// Suffix of an integer literal, which decides its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntSuffix {
    None,
    Long,
    Unsigned,
    UnsignedLong,
}

/// Suffix of a real literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RealSuffix {
    None,
    Float,
    Double,
    Decimal,
}

/// A piece of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum InterpPart {
    Text(String),
    Hole {
        tokens: Vec<TokenEq>,
        span: Span,
        format: Option<String>,
        /// `{x,5}` pads to 5 characters on the left, `{x,-5}` on the right.
        alignment: i32,
    },
}

/// A token inside an interpolation hole; equality ignores spans so `Tok` can derive it.
#[derive(Clone, Debug)]
pub(crate) struct TokenEq(pub(crate) Token);

impl PartialEq for TokenEq {
    fn eq(&self, other: &Self) -> bool {
        self.0.tok == other.0.tok
    }
}

macro_rules! keywords {
    ($($variant:ident = $text:literal,)*) => {
        /// Keywords the grammar knows; reserved words it does not use are `Reserved`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Kw { $($variant,)* }

        impl Kw {
            pub(crate) fn from_str(text: &str) -> Option<Kw> {
                match text { $($text => Some(Kw::$variant),)* _ => None }
            }

            pub(crate) fn as_str(self) -> &'static str {
                match self { $(Kw::$variant => $text,)* }
            }
        }
    };
}

keywords! {
    As = "as", Base = "base", Bool = "bool", Break = "break", Byte = "byte", Case = "case",
    Catch = "catch", Char = "char", Checked = "checked", Class = "class", Const = "const",
    Continue = "continue", Decimal = "decimal", Default = "default", Delegate = "delegate",
    Do = "do", Double = "double", Else = "else", Enum = "enum", Event = "event",
    Explicit = "explicit", Extern = "extern", False = "false", Finally = "finally",
    Fixed = "fixed", Float = "float", For = "for", Foreach = "foreach", Goto = "goto",
    If = "if", Implicit = "implicit", In = "in", Int = "int", Interface = "interface",
    Internal = "internal", Is = "is", Lock = "lock", Long = "long", Namespace = "namespace",
    New = "new", Null = "null", Object = "object", Operator = "operator", Out = "out",
    Override = "override", Params = "params", Private = "private", Protected = "protected",
    Public = "public", Readonly = "readonly", Ref = "ref", Return = "return", Sbyte = "sbyte",
    Sealed = "sealed", Short = "short", Sizeof = "sizeof", Stackalloc = "stackalloc",
    Static = "static", String = "string", Struct = "struct", Switch = "switch", This = "this",
    Throw = "throw", True = "true", Try = "try", Typeof = "typeof", Uint = "uint",
    Ulong = "ulong", Unchecked = "unchecked", Unsafe = "unsafe", Ushort = "ushort",
    Using = "using", Virtual = "virtual", Void = "void", Volatile = "volatile", While = "while",
}

macro_rules! puncts {
    ($($variant:ident = $text:literal,)*) => {
        /// Punctuation and operators, longest first so the lexer can try them in order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum P { $($variant,)* }

        const PUNCTS: &[(&str, P)] = &[$(($text, P::$variant),)*];

        impl P {
            pub(crate) fn as_str(self) -> &'static str {
                match self { $(P::$variant => $text,)* }
            }
        }
    };
}

puncts! {
    CoalesceAssign = "??=", ShlAssign = "<<=",
    Arrow = "=>", EqEq = "==", NotEq = "!=", LtEq = "<=", GtEq = ">=", AndAnd = "&&",
    OrOr = "||", Coalesce = "??", QuestionDot = "?.", PlusPlus = "++", MinusMinus = "--",
    PlusAssign = "+=", MinusAssign = "-=", StarAssign = "*=", SlashAssign = "/=",
    PercentAssign = "%=", AndAssign = "&=", OrAssign = "|=", XorAssign = "^=", Shl = "<<",
    ColonColon = "::",
    LParen = "(", RParen = ")", LBrace = "{", RBrace = "}", LBracket = "[", RBracket = "]",
    Semi = ";", Comma = ",", Dot = ".", Colon = ":", Question = "?", Lt = "<", Gt = ">",
    Assign = "=", Bang = "!", Plus = "+", Minus = "-", Star = "*", Slash = "/",
    Percent = "%", Amp = "&", Pipe = "|", Caret = "^", Tilde = "~",
}

/// Lexes `text[range]`; spans are offsets into `text`.
pub(crate) fn lex(text: &str, start: usize, end: usize) -> (Vec<Token>, Vec<Problem>) {
    let mut lexer = Lexer {
        text,
        pos: start,
        end,
        tokens: Vec::new(),
        problems: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.problems)
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
    tokens: Vec<Token>,
    problems: Vec<Problem>,
}

impl Lexer<'_> {
    fn run(&mut self) {
        loop {
            self.skip_trivia();
            if self.pos >= self.end {
                break;
            }

            let start = self.pos;
            match self.next_token() {
                Some(tok) => self.tokens.push(Token {
                    tok,
                    span: Span::new(start, self.pos),
                }),
                None => self.pos = self.pos.max(start + 1),
            }
        }
        let eof = Span::new(self.end, self.end);
        self.tokens.push(Token {
            tok: Tok::Eof,
            span: eof,
        });
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text.get(self.pos..self.end)?.chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..self.end).unwrap_or("")
    }

    fn error(&mut self, start: usize, message: impl Into<String>) {
        self.problems
            .push(Problem::new(Span::new(start, self.pos), message));
    }

    fn skip_trivia(&mut self) {
        loop {
            let rest = self.rest();
            if rest.starts_with("//") {
                let len = rest.find('\n').unwrap_or(rest.len());
                self.pos += len;
            } else if rest.starts_with("/*") {
                self.skip_block_comment();
            } else if rest.starts_with(|c: char| c.is_whitespace()) {
                self.bump();
            } else {
                return;
            }
        }
    }

    fn skip_block_comment(&mut self) {
        let start = self.pos;
        match self.rest()[2..].find("*/") {
            Some(i) => self.pos += i + 4,
            None => {
                self.pos = self.end;
                self.error(start, "unterminated comment");
            }
        }
    }

    fn next_token(&mut self) -> Option<Tok> {
        let rest = self.rest();
        let c = self.peek()?;
        if rest.starts_with("$@\"") || rest.starts_with("@$\"") {
            self.pos += 3;
            return Some(self.interpolated(true));
        }
        if rest.starts_with("$\"") {
            self.pos += 2;
            return Some(self.interpolated(false));
        }
        if rest.starts_with("@\"") {
            self.pos += 2;
            return Some(Tok::Str(self.verbatim_string()));
        }
        if c == '@' && rest.get(1..).is_some_and(|r| r.starts_with(is_ident_start)) {
            self.bump();
            return Some(Tok::Ident(self.ident_text()));
        }
        self.token_from(c)
    }

    fn token_from(&mut self, c: char) -> Option<Tok> {
        if is_ident_start(c) {
            let text = self.ident_text();
            return Some(Kw::from_str(&text).map_or(Tok::Ident(text), Tok::Kw));
        }
        if c.is_ascii_digit() || (c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())) {
            return Some(self.number());
        }
        match c {
            '"' => {
                self.bump();
                Some(Tok::Str(self.regular_string()))
            }
            '\'' => self.char_literal(),
            _ => self.punct(),
        }
    }

    fn ident_text(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        self.text[start..self.pos].to_owned()
    }

    fn punct(&mut self) -> Option<Tok> {
        let start = self.pos;
        let rest = self.rest();
        for (text, p) in PUNCTS {
            let is_question_dot_number = *p == P::QuestionDot
                && rest
                    .get(2..)
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
            if rest.starts_with(text) && !is_question_dot_number {
                self.pos += text.len();
                return Some(Tok::Punct(*p));
            }
        }

        let c = self.bump()?;
        self.error(start, format!("unexpected character '{c}'"));
        None
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        if self.rest().starts_with("0x") || self.rest().starts_with("0X") {
            return self.hex_number(start);
        }

        self.digits();
        let mut is_real = false;
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            is_real = true;
            self.bump();
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            is_real = true;
            self.exponent();
        }

        let digits: String = self.text[start..self.pos]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        self.number_with_suffix(start, &digits, is_real)
    }

    fn number_with_suffix(&mut self, start: usize, digits: &str, is_real: bool) -> Tok {
        let suffix = self.suffix();
        let real_suffix = match suffix.as_str() {
            "f" | "F" => Some(RealSuffix::Float),
            "d" | "D" => Some(RealSuffix::Double),
            "m" | "M" => Some(RealSuffix::Decimal),
            _ => None,
        };
        if is_real || real_suffix.is_some() {
            let value = digits.parse::<f64>().unwrap_or(f64::NAN);
            return Tok::Real {
                value,
                suffix: real_suffix.unwrap_or(RealSuffix::None),
            };
        }

        let suffix = self.int_suffix(start, &suffix);
        match digits.parse::<u64>() {
            Ok(value) => Tok::Int { value, suffix },
            Err(_) => {
                self.error(start, "integral constant is too large");
                Tok::Int { value: 0, suffix }
            }
        }
    }

    fn hex_number(&mut self, start: usize) -> Tok {
        self.pos += 2;
        let digits_start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_hexdigit() || c == '_')
        {
            self.bump();
        }

        let digits: String = self.text[digits_start..self.pos].replace('_', "");
        let suffix = self.suffix();
        let suffix = self.int_suffix(start, &suffix);
        let value = u64::from_str_radix(&digits, 16).unwrap_or_else(|_| {
            self.error(start, "invalid hexadecimal literal");
            0
        });
        Tok::Int { value, suffix }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '_') {
            self.bump();
        }
    }

    fn exponent(&mut self) {
        self.bump();
        if matches!(self.peek(), Some('+' | '-')) {
            self.bump();
        }
        self.digits();
    }

    fn suffix(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.bump();
        }
        self.text[start..self.pos].to_owned()
    }

    fn int_suffix(&mut self, start: usize, suffix: &str) -> IntSuffix {
        match suffix.to_ascii_lowercase().as_str() {
            "" => IntSuffix::None,
            "l" => IntSuffix::Long,
            "u" => IntSuffix::Unsigned,
            "ul" | "lu" => IntSuffix::UnsignedLong,
            other => {
                self.error(start, format!("invalid numeric suffix '{other}'"));
                IntSuffix::None
            }
        }
    }

    fn regular_string(&mut self) -> String {
        let start = self.pos - 1;
        let mut out = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => {
                    self.error(start, "newline in constant: unterminated string literal");
                    return out;
                }
                Some('"') => return out,
                Some('\\') => self.escape(&mut out),
                Some(c) => out.push(c),
            }
        }
    }

    fn verbatim_string(&mut self) -> String {
        let start = self.pos - 2;
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    self.error(start, "unterminated verbatim string literal");
                    return out;
                }
                Some('"') if self.peek() == Some('"') => {
                    self.bump();
                    out.push('"');
                }
                Some('"') => return out,
                Some(c) => out.push(c),
            }
        }
    }

    fn char_literal(&mut self) -> Option<Tok> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        match self.bump() {
            Some('\\') => self.escape(&mut out),
            Some('\'') | None => {}
            Some(c) => out.push(c),
        }

        let closed = self.peek() == Some('\'');
        if closed {
            self.bump();
        }
        let mut chars = out.chars();
        match (chars.next(), chars.next(), closed) {
            (Some(c), None, true) => Some(Tok::Char(c)),
            _ => {
                self.error(start, "invalid character literal");
                Some(Tok::Char('\0'))
            }
        }
    }

    fn escape(&mut self, out: &mut String) {
        let start = self.pos - 1;
        let simple = match self.bump() {
            Some('\'') => '\'',
            Some('"') => '"',
            Some('\\') => '\\',
            Some('0') => '\0',
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('v') => '\u{b}',
            Some('u') => return self.hex_escape(start, 4, 4, out),
            Some('x') => return self.hex_escape(start, 1, 4, out),
            Some('U') => return self.hex_escape(start, 8, 8, out),
            _ => {
                self.error(start, "unrecognized escape sequence");
                return;
            }
        };
        out.push(simple);
    }

    fn hex_escape(&mut self, start: usize, min: usize, max: usize, out: &mut String) {
        let digits_start = self.pos;
        while self.pos - digits_start < max && self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
            self.bump();
        }

        let digits = &self.text[digits_start..self.pos];
        let value = u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32);
        match value {
            Some(c) if digits.len() >= min => out.push(c),
            _ => self.error(start, "unrecognized escape sequence"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Interpolated strings

impl Lexer<'_> {
    fn interpolated(&mut self, verbatim: bool) -> Tok {
        let start = self.pos;
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.bump() else {
                self.error(start, "unterminated interpolated string");
                break;
            };
            match c {
                '"' if verbatim && self.peek() == Some('"') => {
                    self.bump();
                    text.push('"');
                }
                '"' => break,
                '\n' if !verbatim => {
                    self.error(start, "newline in constant: unterminated string literal");
                    break;
                }
                '\\' if !verbatim => self.escape(&mut text),
                '{' if self.peek() == Some('{') => {
                    self.bump();
                    text.push('{');
                }
                '}' if self.peek() == Some('}') => {
                    self.bump();
                    text.push('}');
                }
                '{' => {
                    flush_text(&mut parts, &mut text);
                    parts.push(self.hole());
                }
                _ => text.push(c),
            }
        }
        flush_text(&mut parts, &mut text);
        Tok::Interp(parts)
    }

    /// Reads `expr[,alignment][:format]}` after a hole's `{`.
    fn hole(&mut self) -> InterpPart {
        let start = self.pos;
        let expr_end = self.scan_hole_expression();
        let (tokens, problems) = lex(self.text, start, expr_end);
        self.problems.extend(problems);
        let tokens = tokens.into_iter().map(TokenEq).collect();

        let mut format = None;
        let mut alignment = 0;
        if self.peek() == Some(',') {
            self.bump();
            let text = self.read_until(&[':', '}']);
            alignment = text.trim().parse().unwrap_or_else(|_| {
                self.error(start, "invalid alignment in interpolation hole");
                0
            });
        }
        if self.peek() == Some(':') {
            self.bump();
            format = Some(self.read_until(&['}']));
        }
        if self.peek() == Some('}') {
            self.bump();
        } else {
            self.error(start, "unterminated interpolation hole");
        }
        InterpPart::Hole {
            tokens,
            span: Span::new(start, expr_end),
            format,
            alignment,
        }
    }

    fn read_until(&mut self, stops: &[char]) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|c| !stops.contains(c) && *c != '"') {
            out.push(c);
            self.bump();
        }
        out
    }

    /// Moves to the end of the hole expression: a top-level `,`, `:` or `}`.
    fn scan_hole_expression(&mut self) -> usize {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' if depth > 0 => depth -= 1,
                '}' if depth > 0 => depth -= 1,
                '}' | ',' | ':' if depth == 0 => return self.pos,
                '"' | '\'' | '@' | '$' => {
                    self.skip_nested_literal();
                    continue;
                }
                _ => {}
            }
            self.bump();
        }
        self.pos
    }

    /// Skips a string or char literal inside a hole without interpreting it.
    fn skip_nested_literal(&mut self) {
        let saved = std::mem::take(&mut self.problems);
        let c = self.peek();
        let _ = match c {
            Some('"' | '\'') => self.token_from(c.unwrap_or('"')),
            _ => self.next_token(),
        };
        self.problems = saved;
    }
}

fn flush_text(parts: &mut Vec<InterpPart>, text: &mut String) {
    if !text.is_empty() {
        parts.push(InterpPart::Text(std::mem::take(text)));
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_part(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        let (tokens, problems) = lex(text, 0, text.len());
        assert!(problems.is_empty(), "{problems:?}");
        tokens.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn strings_of_every_kind_decode_their_escapes() {
        assert_eq!(toks(r#""a\"b\n""#)[0], Tok::Str("a\"b\n".into()));
        assert_eq!(toks(r#"@"c:\x""y""#)[0], Tok::Str("c:\\x\"y".into()));
        assert_eq!(toks(r"'\u0041'")[0], Tok::Char('A'));
    }

    #[test]
    fn numbers_keep_their_suffix() {
        assert_eq!(
            toks("10L")[0],
            Tok::Int {
                value: 10,
                suffix: IntSuffix::Long
            }
        );
        assert_eq!(
            toks("1.5")[0],
            Tok::Real {
                value: 1.5,
                suffix: RealSuffix::None
            }
        );
        assert!(matches!(toks("1.ToString")[1], Tok::Punct(P::Dot)));
    }

    #[test]
    fn interpolation_holes_are_lexed_with_their_format() {
        let Tok::Interp(parts) = &toks(r#"$"a{x:N2}b{{""#)[0] else {
            panic!("not interpolated")
        };

        assert_eq!(parts.len(), 3);
        assert!(matches!(&parts[1], InterpPart::Hole { format: Some(f), .. } if f == "N2"));
        assert_eq!(parts[2], InterpPart::Text("b{".into()));
    }

    #[test]
    fn question_dot_before_a_digit_stays_a_conditional() {
        assert_eq!(toks("a?.5:1")[1], Tok::Punct(P::Question));
    }
}
