//! Envoy's `X-Forwarded-Client-Cert`: elements separated by `,`, one per proxy that handled
//! the request, each a `;`-separated list of `key=value` pairs (`By`, `Hash`, `Cert`, `Chain`,
//! `Subject`, `URI`, `DNS`; keys in any case). A value holding `,`, `;` or `=` is
//! double-quoted, with `\"` for a quote inside. `Cert` and `Chain` are URL-encoded PEM, and
//! `Chain` repeats the leaf.
//!
//! The element for this hop is the last: each proxy appends its own, so the last one was
//! written by the proxy that talks to the gateway. When that proxy's identity is configured,
//! the element must carry it as `By`; when the element has a `Hash`, it must be the SHA-256
//! of the certificate. Either mismatch means the element did not come from where it claims.

use aws_lc_rs::digest;

use crate::forwarded::decode;
use crate::forwarded::{ForwardedCertificate, ForwardedError, X_FORWARDED_CLIENT_CERT};

/// Keys whose repetition within one element is refused (`URI` and `DNS` may repeat).
const SINGLE_KEYS: [&str; 5] = ["by", "hash", "cert", "chain", "subject"];

/// Reads the element for this hop.
pub(crate) fn parse(
    value: &str,
    trusted_by: Option<&str>,
) -> Result<ForwardedCertificate, ForwardedError> {
    decode::check_size(X_FORWARDED_CLIENT_CERT, value)?;
    let elements = Tokenizer::new(value).elements()?;
    // The tokenizer yields at least one element for a non-blank value.
    let element = elements.last().ok_or(ForwardedError::NoCertificate {
        header: X_FORWARDED_CLIENT_CERT.to_owned(),
    })?;

    check_single_keys(element)?;
    check_by(element, trusted_by)?;
    let forwarded = certificates(element)?;
    check_hash(element, &forwarded)?;
    Ok(forwarded)
}

/// One `key=value` pair; the key lowercased, the value unquoted.
type Pair = (String, String);

fn get<'e>(element: &'e [Pair], key: &str) -> Option<&'e str> {
    element
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn check_single_keys(element: &[Pair]) -> Result<(), ForwardedError> {
    for key in SINGLE_KEYS {
        if element.iter().filter(|(k, _)| k == key).count() > 1 {
            return Err(ForwardedError::XfccDuplicateKey {
                key: key.to_owned(),
            });
        }
    }
    Ok(())
}

fn check_by(element: &[Pair], trusted_by: Option<&str>) -> Result<(), ForwardedError> {
    let Some(expected) = trusted_by else {
        return Ok(());
    };
    let by = get(element, "by");
    if by == Some(expected) {
        return Ok(());
    }
    Err(ForwardedError::XfccByMismatch {
        by: by.unwrap_or("(none)").to_owned(),
        expected: expected.to_owned(),
    })
}

/// `Cert` is the leaf; `Chain` (which starts with the leaf) gives the intermediates, or
/// everything when there is no `Cert`.
fn certificates(element: &[Pair]) -> Result<ForwardedCertificate, ForwardedError> {
    let pem = |key: &str| -> Result<Vec<Vec<u8>>, ForwardedError> {
        let Some(value) = get(element, key) else {
            return Ok(Vec::new());
        };
        let text = decode::percent_decode(X_FORWARDED_CLIENT_CERT, value)?;
        decode::pem_certificates(X_FORWARDED_CLIENT_CERT, &text)
    };

    let mut ders = pem("cert")?;
    if ders.len() > 1 {
        return Err(ForwardedError::MultipleValues {
            header: format!("{X_FORWARDED_CLIENT_CERT} Cert"),
        });
    }
    ders.extend(pem("chain")?);
    decode::assemble(X_FORWARDED_CLIENT_CERT, ders)
}

fn check_hash(element: &[Pair], forwarded: &ForwardedCertificate) -> Result<(), ForwardedError> {
    let Some(hash) = get(element, "hash") else {
        return Ok(());
    };
    let actual = digest::digest(&digest::SHA256, forwarded.leaf().der());
    if hex::encode(actual.as_ref()).eq_ignore_ascii_case(hash) {
        Ok(())
    } else {
        Err(ForwardedError::XfccHashMismatch)
    }
}

/// Splits the header into elements of pairs.
struct Tokenizer<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Tokenizer<'a> {
    fn new(value: &'a str) -> Self {
        Self {
            input: value.as_bytes(),
            pos: 0,
        }
    }

    fn elements(mut self) -> Result<Vec<Vec<Pair>>, ForwardedError> {
        let mut elements = vec![Vec::new()];
        loop {
            self.skip_space();
            let pair = self.pair()?;
            // `elements` starts non-empty and only grows.
            if let Some(current) = elements.last_mut() {
                current.push(pair);
            }
            self.skip_space();

            let at = self.pos;
            match self.bump() {
                None => return Ok(elements),
                Some(b';') => {}
                Some(b',') => elements.push(Vec::new()),
                Some(_) => return Err(error_at(at, "';' or ',' after a value")),
            }
        }
    }

    fn pair(&mut self) -> Result<Pair, ForwardedError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(error_at(self.pos, "a key"));
        }
        let key = String::from_utf8_lossy(&self.input[start..self.pos]).to_ascii_lowercase();
        if self.bump() != Some(b'=') {
            return Err(error_at(self.pos.min(start + key.len()), "'=' after a key"));
        }

        let value = if self.peek() == Some(b'"') {
            self.quoted()?
        } else {
            self.unquoted()?
        };
        Ok((key, value))
    }

    fn quoted(&mut self) -> Result<String, ForwardedError> {
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            match self.bump() {
                Some(b'"') => break,
                Some(b'\\') => {
                    let escaped = self.bump().ok_or(error_at(self.pos, "a closing '\"'"))?;
                    value.push(escaped);
                }
                Some(byte) => value.push(byte),
                None => return Err(error_at(self.pos, "a closing '\"'")),
            }
        }
        Ok(String::from_utf8_lossy(&value).into_owned())
    }

    fn unquoted(&mut self) -> Result<String, ForwardedError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| !b",;\"".contains(&b)) {
            self.pos += 1;
        }
        if self.peek() == Some(b'"') {
            return Err(error_at(self.pos, "a quote only around a whole value"));
        }
        let value = String::from_utf8_lossy(&self.input[start..self.pos]);
        Ok(value.trim_end().to_owned())
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b == b' ' || b == b'\t') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }
}

fn error_at(offset: usize, reason: &'static str) -> ForwardedError {
    ForwardedError::XfccSyntax { offset, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(value: &str) -> Result<Vec<Vec<Pair>>, ForwardedError> {
        Tokenizer::new(value).elements()
    }

    fn pair(key: &str, value: &str) -> Pair {
        (key.to_owned(), value.to_owned())
    }

    #[test]
    fn splits_elements_and_pairs_with_quoting() {
        let value =
            r#"By=spiffe://a;Hash=ab12;Subject="CN=x, O=\"q\"";URI=u1;URI=u2, by=b ; DNS=d"#;
        assert_eq!(
            tokens(value).unwrap(),
            vec![
                vec![
                    pair("by", "spiffe://a"),
                    pair("hash", "ab12"),
                    pair("subject", "CN=x, O=\"q\""),
                    pair("uri", "u1"),
                    pair("uri", "u2"),
                ],
                vec![pair("by", "b"), pair("dns", "d")],
            ]
        );
    }

    #[test]
    fn syntax_errors_name_the_place() {
        let cases = [
            ("By", 2, "'=' after a key"),
            ("=x", 0, "a key"),
            ("By=\"open", 8, "a closing '\"'"),
            ("By=a\"b", 4, "a quote only around a whole value"),
            ("By=\"a\"x", 6, "';' or ',' after a value"),
            ("By=a;", 5, "a key"),
            ("By=a,,", 5, "a key"),
        ];
        for (value, offset, reason) in cases {
            match tokens(value) {
                Err(ForwardedError::XfccSyntax {
                    offset: o,
                    reason: r,
                }) => {
                    assert_eq!((o, r), (offset, reason), "{value}");
                }
                other => panic!("{value}: {other:?}"),
            }
        }
    }

    #[test]
    fn repeated_single_keys_are_refused() {
        let element = vec![pair("hash", "a"), pair("uri", "x"), pair("uri", "y")];
        assert!(check_single_keys(&element).is_ok());
        let twice = vec![pair("cert", "a"), pair("cert", "b")];
        assert!(matches!(
            check_single_keys(&twice),
            Err(ForwardedError::XfccDuplicateKey { key }) if key == "cert"
        ));
    }

    #[test]
    fn by_must_name_the_trusted_proxy_when_configured() {
        let element = vec![pair("by", "spiffe://lb")];
        assert!(check_by(&element, None).is_ok());
        assert!(check_by(&element, Some("spiffe://lb")).is_ok());
        let error = check_by(&[], Some("spiffe://lb")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the X-Forwarded-Client-Cert element for this hop was added by (none), not by the trusted proxy spiffe://lb"
        );
    }
}
