//! Certificates made by the openssl command line, encoded as each proxy encodes them, read
//! back from the headers; forged-looking values refused; random values never panic.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use gatehouse_cert::forwarded::{
    self, CLIENT_CERT, CLIENT_CERT_CHAIN, ForwardedError, ForwardedFormat, X_ARR_CLIENT_CERT,
    X_FORWARDED_CLIENT_CERT,
};
use support::{EC_P256, RSA_2048, Workdir, fuzz, openssl_thumbprint};

const CA_EXT: &str =
    "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n";

/// root -> int -> client (RSA, so the PEM has `+` and `/` to escape), as PEM and DER files.
struct Fixture {
    work: Workdir,
    leaf_pem: String,
    int_pem: String,
    leaf_der: Vec<u8>,
    int_der: Vec<u8>,
    thumbprint: String,
}

fn fixture() -> Fixture {
    let work = Workdir::new();
    work.ca("root", "/CN=Root CA");
    work.leaf("int", "root", EC_P256, "/CN=Issuing CA", "0x10", CA_EXT);
    let ext =
        "extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://caller,DNS:caller.example\n";
    work.leaf(
        "client",
        "int",
        RSA_2048,
        "/CN=client/O=Contoso, Ltd",
        "0x20",
        ext,
    );
    work.to_der("client.crt", "client.der");
    work.to_der("int.crt", "int.der");

    let read = |name: &str| String::from_utf8(work.read(name)).unwrap();
    Fixture {
        leaf_pem: read("client.crt"),
        int_pem: read("int.crt"),
        leaf_der: work.read("client.der"),
        int_der: work.read("int.der"),
        thumbprint: openssl_thumbprint(&work, "client.crt"),
        work,
    }
}

impl Fixture {
    /// The SHA-256 fingerprint openssl computes, lowercase hex as Envoy writes `Hash`.
    fn sha256(&self, crt: &str) -> String {
        let out = self
            .work
            .openssl(&["x509", "-in", crt, "-noout", "-fingerprint", "-sha256"]);
        out.trim()
            .split('=')
            .nth(1)
            .unwrap()
            .replace(':', "")
            .to_lowercase()
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, as nginx's
/// `$ssl_client_escaped_cert` does (uppercase) and Envoy does (lowercase).
fn percent_encode(text: &str, lowercase: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else if lowercase {
            out.push_str(&format!("%{byte:02x}"));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// HTML-form encoding: spaces as `+`, everything else escaped.
fn form_encode(text: &str) -> String {
    percent_encode(text, false).replace("%20", "+")
}

#[test]
fn rfc9440_as_a_proxy_sends_it() {
    let f = fixture();
    let client_cert = format!(":{}:", STANDARD.encode(&f.leaf_der));
    let chain = format!(
        ":{}:, :{}:",
        STANDARD.encode(&f.leaf_der),
        STANDARD.encode(&f.int_der)
    );

    let read = forwarded::parse_client_cert(&client_cert, Some(&chain)).unwrap();
    assert_eq!(&**read.leaf().thumbprint(), f.thumbprint);
    // .NET prints the most specific RDN first: the reverse of -subj order.
    assert_eq!(&**read.leaf().subject(), "O=\"Contoso, Ltd\", CN=client");
    assert_eq!(read.chain().len(), 1, "the copy of the leaf is dropped");
    assert_eq!(read.chain()[0].der(), f.int_der);

    let twice = format!("{client_cert}, {client_cert}");
    assert!(matches!(
        forwarded::parse_client_cert(&twice, None),
        Err(ForwardedError::MultipleValues { .. })
    ));
}

#[test]
fn envoy_xfcc_takes_the_element_of_this_hop() {
    let f = fixture();
    let hash = f.sha256("client.crt");
    let cert = percent_encode(&f.leaf_pem, true);
    let chain = percent_encode(&format!("{}{}", f.leaf_pem, f.int_pem), true);
    let upstream = "By=spiffe://edge;Hash=00;Subject=\"CN=someone else\";URI=spiffe://x";
    let this_hop = format!(
        "By=spiffe://lb;Hash={hash};Cert=\"{cert}\";Chain=\"{chain}\";Subject=\"CN=client,O=Contoso\\, Ltd\";URI=spiffe://caller;DNS=caller.example"
    );
    let header = format!("{upstream},{this_hop}");

    let read = forwarded::parse_xfcc(&header, Some("spiffe://lb")).unwrap();
    assert_eq!(&**read.leaf().thumbprint(), f.thumbprint);
    assert_eq!(read.chain().len(), 1);

    let only_chain = format!("By=spiffe://lb;Chain=\"{chain}\"");
    let read = forwarded::parse_xfcc(&only_chain, None).unwrap();
    assert_eq!(&**read.leaf().thumbprint(), f.thumbprint);
}

#[test]
fn envoy_xfcc_refuses_what_the_proxy_did_not_write() {
    let f = fixture();
    let cert = percent_encode(&f.leaf_pem, true);
    let element = |hash: &str| format!("By=spiffe://lb;Hash={hash};Cert=\"{cert}\"");

    let wrong_hash = element(&f.sha256("int.crt"));
    assert!(matches!(
        forwarded::parse_xfcc(&wrong_hash, None),
        Err(ForwardedError::XfccHashMismatch)
    ));
    // A caller's own XFCC, passed along by a proxy that appended nothing.
    let forged = element(&f.sha256("client.crt")).replace("spiffe://lb", "spiffe://caller");
    let error = forwarded::parse_xfcc(&forged, Some("spiffe://lb")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the X-Forwarded-Client-Cert element for this hop was added by spiffe://caller, not by the trusted proxy spiffe://lb"
    );
    let no_cert = "By=spiffe://lb;Hash=abcd;Subject=\"CN=x\"";
    assert!(matches!(
        forwarded::parse_xfcc(no_cert, None),
        Err(ForwardedError::NoCertificate { .. })
    ));
    let key = percent_encode(&String::from_utf8(f.work.read("client.key")).unwrap(), true);
    let with_key = format!("Cert=\"{cert}\";Chain=\"{key}\"");
    assert!(matches!(
        forwarded::parse_xfcc(&with_key, None),
        Err(ForwardedError::UnexpectedPemBlock { label, .. }) if label == "PRIVATE KEY"
    ));
}

#[test]
fn arr_client_cert_is_base64_der() {
    let f = fixture();
    let out = f.work.openssl(&["base64", "-A", "-in", "client.der"]);
    let read = forwarded::parse_arr_client_cert(out.trim()).unwrap();
    assert_eq!(&**read.leaf().thumbprint(), f.thumbprint);
    assert!(read.chain().is_empty());

    assert!(matches!(
        forwarded::parse_arr_client_cert("not base64!"),
        Err(ForwardedError::InvalidBase64 { .. })
    ));
    let twice = format!("{}, {}", out.trim(), out.trim());
    assert!(matches!(
        forwarded::parse_arr_client_cert(&twice),
        Err(ForwardedError::MultipleValues { .. })
    ));
    let truncated = STANDARD.encode(&f.leaf_der[..f.leaf_der.len() - 10]);
    let error = forwarded::parse_arr_client_cert(&truncated).unwrap_err();
    assert!(error.to_string().starts_with(
        "the certificate in the X-ARR-ClientCert header is not a valid X.509 certificate: "
    ));
}

#[test]
fn url_encoded_pem_from_nginx_and_application_gateway() {
    let f = fixture();
    for encoded in [percent_encode(&f.leaf_pem, false), form_encode(&f.leaf_pem)] {
        let read = forwarded::parse_url_encoded_pem("X-Client-Cert", &encoded).unwrap();
        assert_eq!(&**read.leaf().thumbprint(), f.thumbprint);
    }

    let with_chain = percent_encode(&format!("{}{}", f.leaf_pem, f.int_pem), false);
    let read = forwarded::parse_url_encoded_pem("X-Client-Cert", &with_chain).unwrap();
    assert_eq!(read.chain().len(), 1);

    let key = percent_encode(
        &String::from_utf8(f.work.read("client.key")).unwrap(),
        false,
    );
    let error = forwarded::parse_url_encoded_pem("X-Client-Cert", &key).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the X-Client-Cert header holds a PRIVATE KEY PEM block; only certificates are accepted"
    );
}

#[test]
fn formats_read_their_headers() {
    let f = fixture();
    let client_cert = format!(":{}:", STANDARD.encode(&f.leaf_der));
    let headers = |name: &str| match name {
        CLIENT_CERT => Some(client_cert.as_str()),
        _ => None,
    };
    let read = ForwardedFormat::Rfc9440.read(headers).unwrap().unwrap();
    assert_eq!(&**read.leaf().thumbprint(), f.thumbprint);

    let nothing = |_: &str| None;
    assert!(
        ForwardedFormat::ArrClientCert
            .read(nothing)
            .unwrap()
            .is_none()
    );
    let chain_only = |name: &str| (name == CLIENT_CERT_CHAIN).then_some(":AA==:");
    assert!(matches!(
        ForwardedFormat::Rfc9440.read(chain_only),
        Err(ForwardedError::ChainWithoutCertificate)
    ));

    let envoy = ForwardedFormat::EnvoyXfcc { trusted_by: None };
    assert_eq!(envoy.header_names(), vec![X_FORWARDED_CLIENT_CERT]);
    assert_eq!(
        ForwardedFormat::ArrClientCert.header_names(),
        vec![X_ARR_CLIENT_CERT]
    );
}

#[test]
fn oversized_values_are_refused_before_decoding() {
    let huge = format!(":{}:", "A".repeat(forwarded::MAX_HEADER_BYTES));
    let error = forwarded::parse_client_cert(&huge, None).unwrap_err();
    assert!(matches!(error, ForwardedError::TooLarge { .. }), "{error}");
}

#[test]
fn random_and_mutated_values_never_panic() {
    let f = fixture();
    let samples = [
        format!(":{}:", STANDARD.encode(&f.leaf_der)),
        format!("By=a;Cert=\"{}\"", percent_encode(&f.leaf_pem, true)),
        STANDARD.encode(&f.leaf_der),
        percent_encode(&f.leaf_pem, false),
    ];
    let mut rng = fuzz::generator(0x0f0a_aded);

    for round in 0..3_000 {
        let bytes = if round % 3 == 0 {
            fuzz::bytes(&mut rng, 256)
        } else {
            fuzz::mutate(&mut rng, samples[round % samples.len()].as_bytes())
        };
        let value = String::from_utf8_lossy(&bytes);
        // Only the absence of a panic matters here.
        let _ = forwarded::parse_client_cert(&value, Some(&value));
        let _ = forwarded::parse_xfcc(&value, Some("a"));
        let _ = forwarded::parse_arr_client_cert(&value);
        let _ = forwarded::parse_url_encoded_pem("X-Client-Cert", &value);
    }
}
