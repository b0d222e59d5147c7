//! The .NET-shaped members on certificates made by the openssl command-line tool.

mod support;

use gatehouse_cert::{Certificate, X509NameType, import_certificate};
use support::{EC_P256, EC_P384, ED25519, RSA_2048, Workdir, openssl_thumbprint};
use time::UtcOffset;
use time::format_description::well_known::Iso8601;

fn load(work: &Workdir, crt: &str) -> Certificate {
    import_certificate(&work.read(crt), None)
        .expect("import the openssl certificate")
        .certificate()
        .clone()
}

const LEAF_EXT: &str = "\
subjectAltName=DNS:client.example.com,DNS:alt.example.com,email:ops@example.com,IP:127.0.0.1,URI:https://example.com/id
extendedKeyUsage=clientAuth,serverAuth
keyUsage=critical,digitalSignature,keyEncipherment
";

fn issued_leaf(work: &Workdir) -> Certificate {
    work.ca("ca", "/C=US/O=Contoso, Ltd/CN=Contoso Issuing CA");
    work.leaf(
        "leaf",
        "ca",
        RSA_2048,
        "/C=DE/ST=Bayern/L=München/O=Gatehouse Test/OU=Ops\\+Dev/CN=Jürgen Müller/emailAddress=jm@example.com",
        "0xC0FFEE0102030405",
        LEAF_EXT,
    );
    load(work, "leaf.crt")
}

#[test]
fn identity_members_match_dotnet() {
    let work = Workdir::new();
    let cert = issued_leaf(&work);

    assert_eq!(
        &**cert.subject(),
        "E=jm@example.com, CN=Jürgen Müller, OU=\"Ops+Dev\", O=Gatehouse Test, L=München, S=Bayern, C=DE"
    );
    assert_eq!(
        &**cert.issuer(),
        "CN=Contoso Issuing CA, O=\"Contoso, Ltd\", C=US"
    );
    assert_eq!(&**cert.thumbprint(), openssl_thumbprint(&work, "leaf.crt"));
    assert_eq!(cert.version(), 3);
    assert_eq!(
        cert.subject_common_name().map(|cn| &**cn),
        Some("Jürgen Müller")
    );
}

#[test]
fn serial_numbers_keep_the_leading_zero_byte() {
    let work = Workdir::new();
    let cert = issued_leaf(&work);

    // The top bit of C0 is set, so DER adds a 00 sign byte; .NET prints it, openssl does not.
    let openssl_serial = work.openssl(&["x509", "-in", "leaf.crt", "-noout", "-serial"]);
    assert_eq!(openssl_serial.trim(), "serial=C0FFEE0102030405");
    assert_eq!(&**cert.serial_number(), "00C0FFEE0102030405");
    assert_eq!(cert.serial_number_bytes()[0], 0);

    work.self_signed("small", EC_P256, "/CN=small", &["-set_serial", "0x2A"]);
    assert_eq!(&**load(&work, "small.crt").serial_number(), "2A");
}

#[test]
fn validity_matches_openssl_and_prints_like_dotnet() {
    let work = Workdir::new();
    let cert = issued_leaf(&work);

    let dates = work.openssl(&[
        "x509",
        "-in",
        "leaf.crt",
        "-noout",
        "-startdate",
        "-enddate",
        "-dateopt",
        "iso_8601",
    ]);
    let mut lines = dates
        .lines()
        .map(|line| line.split_once('=').expect("date line").1.replace(' ', "T"));
    let not_before =
        time::OffsetDateTime::parse(&lines.next().expect("start date"), &Iso8601::DEFAULT).unwrap();
    let not_after =
        time::OffsetDateTime::parse(&lines.next().expect("end date"), &Iso8601::DEFAULT).unwrap();
    assert_eq!(cert.not_before(), not_before);
    assert_eq!(cert.not_after(), not_after);

    let text = cert.to_dotnet_string_with_offset(UtcOffset::UTC);
    let expected = format!(
        "[Subject]\n  {}\n\n[Issuer]\n  {}\n\n[Serial Number]\n  00C0FFEE0102030405\n\n[Not Before]\n  {}\n\n[Not After]\n  {}\n\n[Thumbprint]\n  {}\n",
        cert.subject(),
        cert.issuer(),
        gatehouse_cert::en_us_date_time(not_before),
        gatehouse_cert::en_us_date_time(not_after),
        cert.thumbprint()
    );
    assert_eq!(text, expected);
    assert_eq!(cert.to_dotnet_string(), text, "this machine runs on UTC");
}

#[test]
fn extensions_and_name_info() {
    let work = Workdir::new();
    let cert = issued_leaf(&work);

    let dns: Vec<&str> = cert.dns_names().iter().map(|d| &**d).collect();
    assert_eq!(dns, ["client.example.com", "alt.example.com"]);
    let ekus: Vec<&str> = cert
        .extended_key_usages()
        .expect("EKU extension")
        .iter()
        .map(|e| &**e)
        .collect();
    assert_eq!(ekus, ["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"]);
    assert!(cert.has_client_auth_eku() && cert.allows_client_auth());

    let info = |kind, issuer| cert.get_name_info(kind, issuer);
    assert_eq!(info(X509NameType::SimpleName, false), "Jürgen Müller");
    assert_eq!(info(X509NameType::DnsName, false), "client.example.com");
    assert_eq!(
        info(X509NameType::DnsFromAlternativeName, false),
        "client.example.com"
    );
    assert_eq!(info(X509NameType::EmailName, false), "ops@example.com");
    assert_eq!(info(X509NameType::UrlName, false), "https://example.com/id");
    assert_eq!(info(X509NameType::UpnName, false), "");
    assert_eq!(info(X509NameType::SimpleName, true), "Contoso Issuing CA");
    assert_eq!(info(X509NameType::DnsName, true), "Contoso Issuing CA");
}

#[test]
fn signature_algorithms_and_public_keys() {
    let work = Workdir::new();
    let rsa = issued_leaf(&work);
    assert_eq!(
        rsa.signature_algorithm().friendly_name(),
        Some("sha256ECDSA")
    );
    assert_eq!(&**rsa.signature_algorithm().value(), "1.2.840.10045.4.3.2");
    assert_eq!(rsa.public_key().algorithm().friendly_name(), Some("RSA"));
    assert_eq!(rsa.public_key().key_size(), Some(2048));

    work.self_signed("rsa-self", RSA_2048, "/CN=rsa", &["-sha384"]);
    assert_eq!(
        load(&work, "rsa-self.crt")
            .signature_algorithm()
            .friendly_name(),
        Some("sha384RSA")
    );

    work.self_signed("p384", EC_P384, "/CN=p384", &["-sha384"]);
    let p384 = load(&work, "p384.crt");
    assert_eq!(
        p384.signature_algorithm().friendly_name(),
        Some("sha384ECDSA")
    );
    assert_eq!(p384.public_key().algorithm().friendly_name(), Some("ECC"));
    assert_eq!(
        p384.public_key().curve().and_then(|c| c.friendly_name()),
        Some("ECDSA_P384")
    );
    assert_eq!(p384.public_key().key_size(), Some(384));

    work.self_signed("ed", ED25519, "/CN=ed", &[]);
    let ed = load(&work, "ed.crt");
    assert_eq!(&**ed.signature_algorithm().value(), "1.3.101.112");
    assert_eq!(ed.signature_algorithm().friendly_name(), None);
}

#[test]
fn certificates_without_eku_allow_client_auth() {
    let work = Workdir::new();
    work.self_signed("plain", EC_P256, "/CN=plain", &[]);
    let cert = load(&work, "plain.crt");
    assert!(cert.extended_key_usages().is_none());
    assert!(!cert.has_client_auth_eku());
    assert!(cert.allows_client_auth());
}

/// (openssl -subj, extra flags, .NET Subject)
const NAMES: &[(&str, &[&str], &str)] = &[
    (
        "/CN=James+O=Contoso/C=US",
        &["-multivalue-rdn"],
        "C=US, CN=James + O=Contoso",
    ),
    (
        "/DC=com/DC=contoso/CN=Users/CN=Ada",
        &[],
        "CN=Ada, CN=Users, DC=contoso, DC=com",
    ),
    (
        "/jurisdictionC=US/businessCategory=Private Organization/serialNumber=1234/C=US/ST=California/L=San Francisco/O=Contoso, Inc./CN=contoso.com",
        &[],
        "CN=contoso.com, O=\"Contoso, Inc.\", L=San Francisco, S=California, C=US, SERIALNUMBER=1234, OID.2.5.4.15=Private Organization, OID.1.3.6.1.4.1.311.60.2.1.3=US",
    ),
    (
        "/O=say \"hi\"; #1/CN=a=b",
        &[],
        "CN=\"a=b\", O=\"say \"\"hi\"\"; #1\"",
    ),
    (
        "/street=1 Main St/title=Engineer/GN=Ada/SN=Lovelace/CN=東京 <x>",
        &[],
        "CN=\"東京 <x>\", SN=Lovelace, G=Ada, T=Engineer, STREET=1 Main St",
    ),
    (
        "/UID=ada/CN=ada",
        &[],
        "CN=ada, OID.0.9.2342.19200300.100.1.1=ada",
    ),
];

#[test]
fn distinguished_names_follow_certnametostr() {
    let work = Workdir::new();
    for (index, (subject, flags, expected)) in NAMES.iter().enumerate() {
        let name = format!("n{index}");
        work.self_signed(&name, EC_P256, subject, flags);
        let cert = load(&work, &format!("{name}.crt"));
        assert_eq!(&**cert.subject(), *expected, "{subject}");
        assert_eq!(cert.subject(), cert.issuer(), "self-signed");
    }
}
