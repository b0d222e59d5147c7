//! Distinguished names as `subject` and `issuer-subject` identity claims compare them.
//!
//! APIM does not document how it compares these (order, case, whitespace). Gatehouse picks
//! the reading that can never match a name the policy author did not write:
//!
//! - the name is written the way `context.Request.Certificate.Subject` prints it (.NET's
//!   format: most specific RDN first, `, ` between RDNs, ` + ` inside a multi-valued RDN,
//!   values with special characters in double quotes, `""` for a quote inside them);
//! - RDNs and the attributes of an RDN must appear in the same order, and every attribute
//!   must be there: no subset, no reordering;
//! - values compare exactly, letter case included (`CN=Admin` is not `CN=admin`);
//! - whitespace around `,`, `+` and `=` does not count; whitespace inside a value does;
//! - attribute types compare without regard to case, and `ST`/`S` and
//!   `EMAILADDRESS`/`E` are the same type.
//!
//! Backslash escapes (RFC 4514's `\,`) are not read: .NET never writes them, so a value
//! containing a backslash is taken literally on both sides.

use std::fmt;

/// One attribute: its type (upper case, aliases resolved) and its value.
type Attribute = (String, String);

/// A parsed distinguished name: RDNs in written order, each one or more attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct DistinguishedName {
    rdns: Vec<Vec<Attribute>>,
}

/// Why a written name cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct DnError(&'static str);

impl fmt::Display for DnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl DistinguishedName {
    /// Reads a name in .NET's format.
    ///
    /// # Errors
    /// A [`DnError`] saying what is malformed.
    pub(super) fn parse(text: &str) -> Result<Self, DnError> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        let rdns = parser.rdns()?;
        Ok(Self { rdns })
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn rdns(&mut self) -> Result<Vec<Vec<Attribute>>, DnError> {
        let mut rdns = vec![vec![]];
        self.skip_spaces();
        if self.peek().is_none() {
            return Ok(Vec::new());
        }
        loop {
            let attribute = self.attribute()?;
            if let Some(rdn) = rdns.last_mut() {
                rdn.push(attribute);
            }
            match self.next() {
                None => return Ok(rdns),
                Some(',') => rdns.push(Vec::new()),
                Some('+') => {}
                Some(_) => return Err(DnError("expected ',' or '+' after a value")),
            }
        }
    }

    fn attribute(&mut self) -> Result<Attribute, DnError> {
        let name = self.until(|c| c == '=');
        if self.next() != Some('=') {
            return Err(DnError("an attribute has no '='"));
        }
        let name = canonical_type(name.trim())?;
        self.skip_spaces();
        let value = if self.peek() == Some('"') {
            self.quoted()?
        } else {
            self.until(|c| c == ',' || c == '+').trim().to_owned()
        };
        self.skip_spaces();
        Ok((name, value))
    }

    /// A value in double quotes; `""` inside stands for one quote.
    fn quoted(&mut self) -> Result<String, DnError> {
        self.at += 1;
        let mut value = String::new();
        loop {
            match self.next() {
                None => return Err(DnError("a quoted value has no closing quote")),
                Some('"') if self.peek() == Some('"') => {
                    self.at += 1;
                    value.push('"');
                }
                Some('"') => return Ok(value),
                Some(c) => value.push(c),
            }
        }
    }

    fn until(&mut self, stop: impl Fn(char) -> bool) -> String {
        let start = self.at;
        while self.peek().is_some_and(|c| !stop(c)) {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }
}

/// The attribute type in upper case, with the aliases users write for .NET's short names.
fn canonical_type(name: &str) -> Result<String, DnError> {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    if name.is_empty() || !name.chars().all(valid) {
        return Err(DnError("an attribute type is empty or not a name"));
    }
    let upper = name.to_ascii_uppercase();
    let canonical = match upper.as_str() {
        "ST" => "S",
        "EMAILADDRESS" => "E",
        other => other,
    };
    Ok(canonical.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dn(text: &str) -> DistinguishedName {
        DistinguishedName::parse(text).unwrap()
    }

    #[test]
    fn whitespace_around_separators_and_type_case_do_not_count() {
        assert_eq!(
            dn("CN=client, O=Contoso, C=US"),
            dn("cn = client,O=Contoso ,  c=US")
        );
        assert_eq!(dn("S=Bayern, E=a@b.c"), dn("ST=Bayern, emailAddress=a@b.c"));
    }

    #[test]
    fn order_case_and_missing_attributes_count() {
        assert_ne!(dn("CN=client, O=Contoso"), dn("O=Contoso, CN=client"));
        assert_ne!(dn("CN=client, O=Contoso"), dn("CN=Client, O=Contoso"));
        assert_ne!(dn("CN=client, O=Contoso"), dn("CN=client"));
        assert_ne!(dn("CN=a + OU=b"), dn("CN=a, OU=b"));
    }

    #[test]
    fn quoted_values_keep_commas_quotes_and_spaces() {
        let quoted = dn(r#"CN=client, O="Contoso, Inc.", OU=" padded ", L="say ""hi""""#);
        assert_eq!(quoted.rdns[1], vec![("O".into(), "Contoso, Inc.".into())]);
        assert_eq!(quoted.rdns[2], vec![("OU".into(), " padded ".into())]);
        assert_eq!(quoted.rdns[3], vec![("L".into(), r#"say "hi""#.into())]);
    }

    #[test]
    fn malformed_names_are_refused() {
        for text in ["CN", "=x", "CN=\"open", "CN=\"a\" b", "C N=x"] {
            assert!(DistinguishedName::parse(text).is_err(), "{text}");
        }
        assert_eq!(dn("  "), dn(""));
    }
}
