//! Re-encodes openssl's DER PFX files the way BER exporters (BouncyCastle, NSS, macOS) write
//! them: indefinite lengths and OCTET STRINGs split into chunks. openssl must still read the
//! result, which the tests check, so the fixtures stay validated by an independent reader.

/// One parsed DER element.
struct Element<'a> {
    tag: u8,
    content: &'a [u8],
    len: usize,
}

fn parse(input: &[u8]) -> Element<'_> {
    let tag = input[0];
    let first = input[1];
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7F);
        let len = input[2..2 + count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, 2 + count)
    };
    Element {
        tag,
        content: &input[header..header + len],
        len: header + len,
    }
}

fn children(content: &[u8]) -> Vec<Element<'_>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let element = parse(rest);
        rest = &rest[element.len..];
        out.push(element);
    }
    out
}

fn definite(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if content.len() < 0x80 {
        out.push(content.len() as u8);
    } else {
        let bytes = content.len().to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn indefinite(tag: u8, parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![tag | 0x20, 0x80];
    for part in parts {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&[0, 0]);
    out
}

/// A constructed, chunked string: `tag` is the constructed tag to use.
fn chunked(tag: u8, content: &[u8]) -> Vec<u8> {
    let chunks: Vec<Vec<u8>> = content
        .chunks(100)
        .map(|chunk| definite(0x04, chunk))
        .collect();
    indefinite(tag, &chunks)
}

/// Every constructed element indefinite; OCTET STRING contents are left alone.
fn generic(input: &[u8]) -> Vec<u8> {
    let element = parse(input);
    if element.tag & 0x20 == 0 {
        return input[..element.len].to_vec();
    }
    let parts: Vec<Vec<u8>> = children(element.content)
        .iter()
        .map(|c| generic(&input_of(c)))
        .collect();
    indefinite(element.tag, &parts)
}

fn input_of(element: &Element<'_>) -> Vec<u8> {
    definite(element.tag, element.content)
}

/// BER form of a DER PFX. With `inner`, the authenticated safe (which the MAC covers) is
/// re-encoded too, which only makes sense for files made with `-nomac`.
pub fn pfx_to_ber(der: &[u8], inner: bool) -> Vec<u8> {
    let pfx = parse(der);
    let fields = children(pfx.content);
    let version = input_of(&fields[0]);
    let auth_safe = content_info(&fields[1], inner);
    let mut parts = vec![version, auth_safe];
    parts.extend(fields.iter().skip(2).map(|mac| generic(&input_of(mac))));
    indefinite(0x30, &parts)
}

/// `ContentInfo { data, [0] { OCTET STRING } }` with a chunked OCTET STRING.
fn content_info(info: &Element<'_>, inner: bool) -> Vec<u8> {
    let fields = children(info.content);
    let octets = parse(fields[1].content);
    let payload = if inner {
        authenticated_safe(octets.content)
    } else {
        octets.content.to_vec()
    };
    let explicit = indefinite(0xA0, &[chunked(0x24, &payload)]);
    indefinite(0x30, &[input_of(&fields[0]), explicit])
}

fn authenticated_safe(der: &[u8]) -> Vec<u8> {
    let safes = parse(der);
    let infos: Vec<Vec<u8>> = children(safes.content)
        .iter()
        .map(safe_content_info)
        .collect();
    indefinite(0x30, &infos)
}

/// Data safes get a chunked OCTET STRING; encrypted safes a chunked `[0] IMPLICIT` string.
fn safe_content_info(info: &Element<'_>) -> Vec<u8> {
    const DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01];
    let fields = children(info.content);
    let body = parse(fields[1].content);

    let explicit_content = if fields[0].content == DATA {
        chunked(0x24, body.content)
    } else {
        let encrypted_data = children(body.content);
        let eci = children(encrypted_data[1].content);
        let encrypted = chunked(0xA0, eci[2].content);
        let eci = indefinite(
            0x30,
            &[input_of(&eci[0]), generic(&input_of(&eci[1])), encrypted],
        );
        indefinite(0x30, &[input_of(&encrypted_data[0]), eci])
    };
    indefinite(
        0x30,
        &[input_of(&fields[0]), indefinite(0xA0, &[explicit_content])],
    )
}
