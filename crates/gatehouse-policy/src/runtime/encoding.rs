//! Percent-decoding of paths and query strings.

use std::borrow::Cow;

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
/// Invalid escapes are kept as written; invalid UTF-8 is replaced.
pub fn decode_component(text: &str) -> Cow<'_, str> {
    percent_decode(text, true)
}

/// Decodes one path segment: `%XX` is a byte, `+` stays a plus.
pub fn decode_path_segment(text: &str) -> Cow<'_, str> {
    percent_decode(text, false)
}

/// Encodes text for a query string or a path segment: everything but unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`, as .NET's `Uri.EscapeDataString`.
pub fn encode_component(text: &str) -> Cow<'_, str> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if text.bytes().all(unreserved) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Cow::Owned(out)
}

fn percent_decode(text: &str, plus_is_space: bool) -> Cow<'_, str> {
    let special = |c: char| c == '%' || (plus_is_space && c == '+');
    if !text.contains(special) {
        return Cow::Borrowed(text);
    }

    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| hex_byte(bytes.get(i + 1..i + 3)?))
            .flatten();
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (byte, None) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    let value = digit(pair[0])? * 16 + digit(pair[1])?;
    u8::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_decode_plus_and_escapes_and_keep_broken_ones() {
        assert_eq!(decode_component("a+b%20c"), "a b c");
        assert_eq!(decode_component("100%"), "100%");
        assert_eq!(decode_component("%zz%4"), "%zz%4");
        assert_eq!(decode_component("%+f"), "% f");
        assert_eq!(decode_component("%C3%A9"), "é");
    }

    #[test]
    fn components_encode_all_but_unreserved_characters() {
        assert_eq!(encode_component("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(encode_component("a b&c=é"), "a%20b%26c%3D%C3%A9");
    }

    #[test]
    fn path_segments_keep_plus() {
        assert_eq!(decode_path_segment("a+b%2Fc"), "a+b/c");
    }
}
