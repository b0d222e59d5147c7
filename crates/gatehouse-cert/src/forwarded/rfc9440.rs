//! RFC 9440: `Client-Cert` is an RFC 8941 Item whose value is a Byte Sequence (`:base64:`) of
//! the certificate's DER; `Client-Cert-Chain` is a List of such Byte Sequences, the
//! intermediates. Parameters are allowed by RFC 8941 and ignored, as RFC 9440 defines none.
//!
//! Only the structured-field grammar these two fields need is implemented; anything else (an
//! inner list, a string, a second Item value) is refused with the byte where it went wrong.

use crate::forwarded::decode;
use crate::forwarded::{
    CLIENT_CERT, CLIENT_CERT_CHAIN, ForwardedCertificate, ForwardedError, MAX_CERTIFICATES,
};

/// Reads RFC 9440 headers. `chain` is the `Client-Cert-Chain` field value, several field
/// lines joined with `, ` as HTTP does.
pub(crate) fn parse(
    client_cert: &str,
    chain: Option<&str>,
) -> Result<ForwardedCertificate, ForwardedError> {
    decode::check_size(CLIENT_CERT, client_cert)?;
    let leaf = Parser::new(CLIENT_CERT, client_cert).item()?;

    let mut ders = vec![leaf];
    if let Some(chain) = chain {
        decode::check_size(CLIENT_CERT_CHAIN, chain)?;
        ders.extend(Parser::new(CLIENT_CERT_CHAIN, chain).list()?);
    }
    decode::assemble(CLIENT_CERT, ders)
}

/// A cursor over a field value.
struct Parser<'a> {
    header: &'static str,
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(header: &'static str, value: &'a str) -> Self {
        Self {
            header,
            input: value.as_bytes(),
            pos: 0,
        }
    }

    /// An Item field holding one Byte Sequence.
    fn item(mut self) -> Result<Vec<u8>, ForwardedError> {
        self.skip(b" ");
        let bytes = self.byte_sequence()?;
        self.parameters()?;
        self.skip(b" ");

        match self.peek() {
            None => Ok(bytes),
            Some(b',') => Err(ForwardedError::MultipleValues {
                header: self.header.to_owned(),
            }),
            Some(_) => Err(self.error("end of field")),
        }
    }

    /// A List field of Byte Sequences, possibly empty.
    fn list(mut self) -> Result<Vec<Vec<u8>>, ForwardedError> {
        let mut members = Vec::new();
        self.skip(b" ");
        while self.peek().is_some() {
            if members.len() == MAX_CERTIFICATES {
                return Err(ForwardedError::TooManyCertificates {
                    header: self.header.to_owned(),
                    count: members.len() + 1,
                    limit: MAX_CERTIFICATES,
                });
            }
            members.push(self.byte_sequence()?);
            self.parameters()?;
            self.skip(b" \t");
            if self.peek().is_none() {
                break;
            }
            self.expect(b',', "a comma between list members")?;
            self.skip(b" \t");
            if self.peek().is_none() {
                return Err(self.error("a list member after the comma"));
            }
        }
        Ok(members)
    }

    /// `:` base64 `:`
    fn byte_sequence(&mut self) -> Result<Vec<u8>, ForwardedError> {
        self.expect(b':', "a byte sequence starting with ':'")?;
        let start = self.pos;
        while self.peek().is_some_and(is_base64_char) {
            self.pos += 1;
        }
        let text = &self.input[start..self.pos];
        self.expect(b':', "base64 characters and a closing ':'")?;

        // The slice holds base64 characters only, so it is ASCII.
        let text = std::str::from_utf8(text).unwrap_or_default();
        decode::base64(self.header, text)
    }

    /// `*( ";" *SP key [ "=" bare-item ] )`, read and ignored.
    fn parameters(&mut self) -> Result<(), ForwardedError> {
        while self.peek() == Some(b';') {
            self.pos += 1;
            self.skip(b" ");
            self.key()?;
            if self.peek() == Some(b'=') {
                self.pos += 1;
                self.bare_item()?;
            }
        }
        Ok(())
    }

    fn key(&mut self) -> Result<(), ForwardedError> {
        let first = self.peek().filter(|&b| b.is_ascii_lowercase() || b == b'*');
        if first.is_none() {
            return Err(self.error("a parameter name"));
        }
        self.take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b));
        Ok(())
    }

    /// Any bare item: the value of a parameter nobody reads, checked for shape only.
    fn bare_item(&mut self) -> Result<(), ForwardedError> {
        match self.peek() {
            Some(b':') => self.byte_sequence().map(drop),
            Some(b'"') => self.string(),
            Some(b'?') => {
                self.pos += 1;
                self.expect_one_of(b"01", "?0 or ?1")
            }
            Some(b) if b == b'-' || b.is_ascii_digit() => {
                self.pos += 1;
                self.take_while(|b| b.is_ascii_digit() || b == b'.');
                Ok(())
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'*' => {
                self.take_while(|b| b.is_ascii_graphic() && !b",;=\"()".contains(&b));
                Ok(())
            }
            _ => Err(self.error("a parameter value")),
        }
    }

    fn string(&mut self) -> Result<(), ForwardedError> {
        self.pos += 1;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.pos += 2,
                Some(b) if (0x20..0x7F).contains(&b) => self.pos += 1,
                _ => return Err(self.error("a closing '\"'")),
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip(&mut self, bytes: &[u8]) {
        self.take_while(|b| bytes.contains(&b));
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), ForwardedError> {
        self.expect_one_of(&[byte], what)
    }

    fn expect_one_of(&mut self, bytes: &[u8], what: &'static str) -> Result<(), ForwardedError> {
        match self.peek() {
            Some(byte) if bytes.contains(&byte) => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.error(what)),
        }
    }

    fn error(&self, expected: &'static str) -> ForwardedError {
        ForwardedError::InvalidStructuredField {
            header: self.header.to_owned(),
            offset: self.pos,
            reason: expected,
        }
    }
}

fn is_base64_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"+/=".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(value: &str) -> Result<Vec<u8>, ForwardedError> {
        Parser::new(CLIENT_CERT, value).item()
    }

    fn list(value: &str) -> Result<Vec<Vec<u8>>, ForwardedError> {
        Parser::new(CLIENT_CERT_CHAIN, value).list()
    }

    #[test]
    fn reads_byte_sequences_with_parameters() {
        assert_eq!(item(":AQID:").unwrap(), vec![1, 2, 3]);
        assert_eq!(item("  :AQI=:  ").unwrap(), vec![1, 2]);
        assert_eq!(item(":AQI:").unwrap(), vec![1, 2], "padding is optional");
        assert_eq!(
            item(":AQID:;a=1;b;c=\"x\\\"y\";d=?1;e=tok/en;f=:AA==:").unwrap(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn refuses_other_shapes_with_the_offset() {
        let error = item("AQID").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the Client-Cert header is not a structured-field byte sequence (:base64:): a byte sequence starting with ':' at byte 0"
        );
        assert!(matches!(
            item(":AQID"),
            Err(ForwardedError::InvalidStructuredField { offset: 5, .. })
        ));
        assert!(matches!(
            item(":AQ*D:"),
            Err(ForwardedError::InvalidStructuredField { offset: 3, .. })
        ));
        assert!(matches!(
            item(":AQID: x"),
            Err(ForwardedError::InvalidStructuredField { .. })
        ));
        assert!(matches!(
            item(":AQID:;A=1"),
            Err(ForwardedError::InvalidStructuredField { .. })
        ));
        assert!(matches!(
            item(":A:"),
            Err(ForwardedError::InvalidBase64 { .. })
        ));
    }

    #[test]
    fn a_second_value_is_a_forwarded_caller_header() {
        assert!(matches!(
            item(":AQID:, :BAUG:"),
            Err(ForwardedError::MultipleValues { .. })
        ));
    }

    #[test]
    fn reads_lists() {
        assert_eq!(
            list(":AQ==:, :Ag==:;p=1,:Aw==:").unwrap(),
            vec![vec![1], vec![2], vec![3]]
        );
        assert_eq!(list("").unwrap(), Vec::<Vec<u8>>::new());
        assert!(list(":AQ==:,").is_err(), "trailing comma");
        assert!(list("(:AQ==:)").is_err(), "inner list");
        let many = vec![":AQ==:"; MAX_CERTIFICATES + 1].join(", ");
        assert!(matches!(
            list(&many),
            Err(ForwardedError::TooManyCertificates { .. })
        ));
    }
}
