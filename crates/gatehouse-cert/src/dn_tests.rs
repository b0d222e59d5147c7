//! Each CertNameToStr rule pinned on a hand-built name.

use super::*;
use crate::der::{tag, tlv};

/// Encodes an OID given in dotted form.
fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut content = Vec::new();
    push_base128(&mut content, arcs[0] * 40 + arcs[1]);
    for &arc in &arcs[2..] {
        push_base128(&mut content, arc);
    }
    tlv(tag::OID, &content)
}

fn push_base128(out: &mut Vec<u8>, mut value: u64) {
    let mut groups = vec![(value & 0x7F) as u8];
    value >>= 7;
    while value > 0 {
        groups.push(0x80 | (value & 0x7F) as u8);
        value >>= 7;
    }
    out.extend(groups.iter().rev());
}

/// An attribute with a UTF8String value.
fn utf8(attr_oid: &str, value: &str) -> Vec<u8> {
    typed(attr_oid, tag::UTF8_STRING, value.as_bytes())
}

fn typed(attr_oid: &str, value_tag: u8, value: &[u8]) -> Vec<u8> {
    tlv(
        tag::SEQUENCE,
        &[oid(attr_oid), tlv(value_tag, value)].concat(),
    )
}

/// A Name whose RDNs are given in encoding order, each a list of attributes.
fn name(rdns: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let sets: Vec<u8> = rdns
        .iter()
        .flat_map(|rdn| tlv(tag::SET, &rdn.concat()))
        .collect();
    tlv(tag::SEQUENCE, &sets)
}

fn single(attr_oid: &str, value: &str) -> String {
    dotnet_distinguished_name(&name(&[vec![utf8(attr_oid, value)]]))
}

#[test]
fn prints_rdns_most_specific_first() {
    let encoded = name(&[
        vec![utf8("2.5.4.6", "US")],
        vec![utf8("2.5.4.8", "Washington")],
        vec![utf8("2.5.4.7", "Redmond")],
        vec![utf8("2.5.4.10", "Contoso")],
        vec![utf8("2.5.4.11", "Gateway")],
        vec![utf8("2.5.4.3", "client.example.com")],
    ]);
    assert_eq!(
        dotnet_distinguished_name(&encoded),
        "CN=client.example.com, OU=Gateway, O=Contoso, L=Redmond, S=Washington, C=US"
    );
}

#[test]
fn uses_windows_short_names_and_oid_prefix() {
    let encoded = name(&[
        vec![utf8("0.9.2342.19200300.100.1.25", "com")],
        vec![utf8("0.9.2342.19200300.100.1.25", "contoso")],
        vec![typed(
            "1.2.840.113549.1.9.1",
            tag::IA5_STRING,
            b"ops@contoso.com",
        )],
        vec![utf8("2.5.4.9", "1 Main St")],
        vec![utf8("2.5.4.5", "1234")],
        vec![utf8("2.5.4.42", "Ada")],
        vec![utf8("2.5.4.4", "Lovelace")],
        vec![utf8("2.5.4.12", "Engineer")],
        vec![utf8("2.5.4.15", "Private Organization")],
        vec![utf8("1.3.6.1.4.1.311.60.2.1.3", "US")],
    ]);
    assert_eq!(
        dotnet_distinguished_name(&encoded),
        "OID.1.3.6.1.4.1.311.60.2.1.3=US, OID.2.5.4.15=Private Organization, T=Engineer, \
         SN=Lovelace, G=Ada, SERIALNUMBER=1234, STREET=1 Main St, E=ops@contoso.com, \
         DC=contoso, DC=com"
    );
}

#[test]
fn quotes_values_with_separators() {
    assert_eq!(single("2.5.4.10", "Contoso, Ltd"), "O=\"Contoso, Ltd\"");
    for special in ['+', '=', '<', '>', '#', ';', '\n'] {
        let value = format!("a{special}b");
        assert_eq!(
            single("2.5.4.3", &value),
            format!("CN=\"{value}\""),
            "{special:?}"
        );
    }
}

#[test]
fn doubles_inner_quotes() {
    assert_eq!(single("2.5.4.3", "say \"hi\""), "CN=\"say \"\"hi\"\"\"");
    assert_eq!(single("2.5.4.3", "\"lead"), "CN=\"\"\"lead\"");
}

#[test]
fn quotes_edge_whitespace_but_not_inner_carriage_return() {
    assert_eq!(single("2.5.4.3", " lead"), "CN=\" lead\"");
    assert_eq!(single("2.5.4.3", "trail "), "CN=\"trail \"");
    assert_eq!(single("2.5.4.3", "tab\t"), "CN=\"tab\t\"");
    assert_eq!(single("2.5.4.3", "\rcr"), "CN=\"\rcr\"");
    assert_eq!(single("2.5.4.3", "in\rside"), "CN=in\rside");
    assert_eq!(single("2.5.4.3", "two  spaces"), "CN=two  spaces");
    assert_eq!(single("2.5.4.3", "\u{2002}em"), "CN=\u{2002}em");
}

#[test]
fn quotes_empty_values() {
    assert_eq!(single("2.5.4.3", ""), "CN=\"\"");
}

#[test]
fn joins_multi_valued_rdns_in_encoded_order() {
    let encoded = name(&[
        vec![utf8("2.5.4.6", "US")],
        vec![utf8("2.5.4.3", "James"), utf8("2.5.4.10", "Contoso, Ltd")],
    ]);
    assert_eq!(
        dotnet_distinguished_name(&encoded),
        "CN=James + O=\"Contoso, Ltd\", C=US"
    );
}

#[test]
fn keeps_utf8_intact() {
    assert_eq!(single("2.5.4.3", "Jürgen Müller"), "CN=Jürgen Müller");
    assert_eq!(single("2.5.4.7", "東京"), "L=東京");
}

#[test]
fn decodes_each_string_type() {
    let bmp: Vec<u8> = "Zoë".encode_utf16().flat_map(u16::to_be_bytes).collect();
    let ucs4: Vec<u8> = "Zoë😀"
        .chars()
        .flat_map(|c| u32::from(c).to_be_bytes())
        .collect();
    let cases: [(u8, &[u8], &str); 6] = [
        (tag::BMP_STRING, &bmp, "CN=Zoë"),
        (tag::UNIVERSAL_STRING, &ucs4, "CN=Zoë😀"),
        (tag::T61_STRING, "Zoë".as_bytes(), "CN=Zoë"),
        (tag::T61_STRING, &[0x5A, 0x6F, 0xEB], "CN=Zoë"),
        (tag::PRINTABLE_STRING, b"*.contoso.com", "CN=*.contoso.com"),
        (tag::VISIBLE_STRING, b"visible", "CN=visible"),
    ];
    for (value_tag, bytes, expected) in cases {
        let encoded = name(&[vec![typed("2.5.4.3", value_tag, bytes)]]);
        assert_eq!(
            dotnet_distinguished_name(&encoded),
            expected,
            "tag {value_tag:#x}"
        );
    }
}

#[test]
fn prints_non_strings_as_unquoted_hex() {
    let octets = name(&[vec![typed("2.5.4.45", tag::OCTET_STRING, &[0x01, 0xAB])]]);
    assert_eq!(dotnet_distinguished_name(&octets), "OID.2.5.4.45=#01AB");

    let integer = name(&[vec![typed("1.2.3.4", tag::INTEGER, &[0x2C])]]);
    assert_eq!(dotnet_distinguished_name(&integer), "OID.1.2.3.4=#02012C");

    // [APPLICATION 32] in the high-tag-number form, as in pyca's long-form-name-attribute.
    let attribute = tlv(
        tag::SEQUENCE,
        &[oid("2.5.12.13"), vec![0x7F, 0x20, 0x00]].concat(),
    );
    let high_tag = tlv(tag::SEQUENCE, &tlv(tag::SET, &attribute));
    assert_eq!(
        dotnet_distinguished_name(&high_tag),
        "OID.2.5.12.13=#7F2000"
    );
}

#[test]
fn drops_trailing_nul_characters() {
    assert_eq!(single("2.5.4.3", "nul\0\0"), "CN=nul");
}

#[test]
fn empty_and_broken_names_print_as_empty_string() {
    assert_eq!(dotnet_distinguished_name(&name(&[])), "");
    let mut broken = name(&[vec![utf8("2.5.4.3", "Common Name")]]);
    broken.pop();
    assert_eq!(dotnet_distinguished_name(&broken), "");
    assert_eq!(dotnet_distinguished_name(&[0x31, 0x00]), "");
}

#[test]
fn finds_the_most_specific_attribute() {
    let encoded = name(&[
        vec![utf8("2.5.4.3", "outer")],
        vec![utf8("2.5.4.11", "unit")],
        vec![utf8("2.5.4.3", "inner")],
    ]);
    let rdns = parse_rdns(&encoded).unwrap();
    assert_eq!(most_specific(&rdns, "2.5.4.3"), Some("inner"));
    assert_eq!(most_specific(&rdns, "2.5.4.10"), None);
}
