//! Certificates in headers: read from a configured trusted proxy (here, the address
//! 127.0.0.2, which curl binds with `--interface`), removed from everyone else.

use std::process::Command;

use anyhow::Result;
use base64::Engine;
use gatehouse_testkit::{ClientCert, Curl, LeafSpec};
use serde_json::{Value, json};

use crate::{Setup, reason};

/// The trusted proxy's address.
const PROXY: &str = "127.0.0.2";

/// Answers with the thumbprint the pipeline sees (or `none`) and echoes nothing else.
const SHOW_CERTIFICATE: &str = r#"<set-header name="X-Thumbprint" exists-action="override"><value>@(context.Request.Certificate == null ? "none" : context.Request.Certificate.Thumbprint)</value></set-header>"#;

fn der(client: &ClientCert) -> Result<Vec<u8>> {
    let output = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(&client.cert)
        .output()?;
    anyhow::ensure!(output.status.success(), "openssl x509 failed");
    Ok(output.stdout)
}

fn rfc9440(client: &ClientCert) -> Result<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der(client)?);
    Ok(format!(":{b64}:"))
}

/// Every byte but RFC 3986's unreserved ones percent-encoded, as nginx escapes PEM.
fn url_encoded_pem(client: &ClientCert) -> Result<String> {
    let pem = std::fs::read_to_string(&client.cert)?;
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    Ok(pem
        .bytes()
        .map(|b| {
            if unreserved(b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect())
}

/// Calls the Echo API from `from`, with `headers` and no TLS client certificate unless given.
fn call_from(
    setup: &Setup,
    from: &str,
    headers: &[(&str, String)],
    tls: Option<&ClientCert>,
) -> Result<gatehouse_testkit::CurlResponse> {
    let mut curl: Curl = setup.echo().args(["--interface", from]);
    for (name, value) in headers {
        curl = curl.header(&format!("{name}: {value}"));
    }
    match tls {
        Some(client) => curl.cert(&client.cert, &client.key).send(),
        None => curl.send(),
    }
}

fn echoed_headers(response: &gatehouse_testkit::CurlResponse) -> Result<Value> {
    Ok(response.json()?["headers"].clone())
}

#[test]
fn forged_certificate_headers_from_other_peers_are_removed_and_never_an_identity() -> Result<()> {
    let setup = Setup::start()?;
    let forged = setup.pki.self_signed_client("forged")?;
    let own = setup.pki.self_signed_client("own")?;
    setup.policy("", SHOW_CERTIFICATE)?;
    let forged_headers = [
        ("Client-Cert", rfc9440(&forged)?),
        (
            "X-ARR-ClientCert",
            base64::engine::general_purpose::STANDARD.encode(der(&forged)?),
        ),
        ("X-Client-Cert", url_encoded_pem(&forged)?),
    ];
    setup.put_ok(
        "/trustedProxies/edge",
        json!({ "addresses": [PROXY], "format": "urlEncodedPem", "header": "X-Client-Cert" }),
    )?;

    for tls in [None, Some(&own)] {
        let response = call_from(&setup, "127.0.0.1", &forged_headers, tls)?;
        assert_eq!(response.status, 200, "{}", response.body);
        let expected = tls.map_or("none", |c| c.thumbprint.as_str());
        assert_eq!(response.header("X-Thumbprint"), Some(expected));
        let backend_saw = echoed_headers(&response)?;
        for (name, _) in &forged_headers {
            assert!(
                backend_saw.get(name.to_ascii_lowercase()).is_none(),
                "{name} reached the backend: {backend_saw}"
            );
        }
    }
    assert!(setup.gateway.log().contains("decision=\"header_removed\""));
    Ok(())
}

#[test]
fn a_trusted_proxys_header_becomes_the_certificate_in_each_format() -> Result<()> {
    let setup = Setup::start()?;
    let caller = setup.pki.self_signed_client("behind-proxy")?;
    let proxy_own = setup.pki.self_signed_client("proxy-itself")?;
    setup.policy("", SHOW_CERTIFICATE)?;
    let sha256 = hex_sha256(&der(&caller)?)?;
    let formats = [
        (
            json!({ "format": "rfc9440" }),
            "Client-Cert",
            rfc9440(&caller)?,
        ),
        (
            json!({ "format": "arrClientCert" }),
            "X-ARR-ClientCert",
            base64::engine::general_purpose::STANDARD.encode(der(&caller)?),
        ),
        (
            json!({ "format": "urlEncodedPem", "header": "X-Client-Cert" }),
            "X-Client-Cert",
            url_encoded_pem(&caller)?,
        ),
        (
            json!({ "format": "envoyXfcc" }),
            "X-Forwarded-Client-Cert",
            format!("Hash={sha256};Cert=\"{}\"", url_encoded_pem(&caller)?),
        ),
    ];

    for (mut proxy, header, value) in formats {
        proxy["addresses"] = json!([format!("{PROXY}/32")]);
        setup.put_ok("/trustedProxies/edge", proxy)?;
        let response = call_from(&setup, PROXY, &[(header, value)], Some(&proxy_own))?;
        assert_eq!(response.status, 200, "{header}: {}", response.body);
        assert_eq!(
            response.header("X-Thumbprint"),
            Some(caller.thumbprint.as_str()),
            "{header}"
        );
    }
    let log = setup.gateway.log();
    assert!(
        log.contains(&format!("client.cert.thumbprint=\"{}\"", caller.thumbprint)),
        "the log shows the forwarded certificate"
    );
    Ok(())
}

#[test]
fn a_trusted_proxys_forwarded_chain_and_certificate_are_validated_like_any() -> Result<()> {
    let setup = Setup::start()?;
    let root = setup.pki.root_ca("Proxy Root")?;
    let issuing = root.intermediate("Proxy Issuing CA")?;
    let caller = issuing.issue("caller", &LeafSpec::client("caller"))?;
    let intermediate = ClientCert {
        cert: issuing.cert,
        ..caller.clone()
    };
    setup.add_ca("root", &root, true)?;
    setup.put_ok(
        "/trustedProxies/edge",
        json!({ "addresses": [PROXY], "format": "rfc9440" }),
    )?;
    setup.inbound(r#"<validate-client-certificate validate-revocation="false" />"#)?;

    let leaf_only = call_from(&setup, PROXY, &[("Client-Cert", rfc9440(&caller)?)], None)?;
    assert_eq!(reason(&leaf_only), Some("ClientCertificateNotTrusted"));
    let with_chain = [
        ("Client-Cert", rfc9440(&caller)?),
        ("Client-Cert-Chain", rfc9440(&intermediate)?),
    ];
    assert_eq!(call_from(&setup, PROXY, &with_chain, None)?.status, 200);
    let nothing = call_from(&setup, PROXY, &[], None)?;
    assert_eq!(reason(&nothing), Some("ClientCertificateNotFound"));
    Ok(())
}

#[test]
fn a_malformed_header_from_a_trusted_proxy_refuses_the_request() -> Result<()> {
    let setup = Setup::start()?;
    setup.put_ok(
        "/trustedProxies/edge",
        json!({ "addresses": [PROXY], "format": "rfc9440" }),
    )?;

    for value in [":not base64!:", "no-colons", ":AAAA:, :AAAA:"] {
        let response = call_from(&setup, PROXY, &[("Client-Cert", value.to_owned())], None)?;
        assert_eq!(response.status, 400, "{value}: {}", response.body);
    }
    assert!(
        setup
            .gateway
            .log()
            .contains("decision=\"forwarded_certificate_invalid\"")
    );
    Ok(())
}

fn hex_sha256(bytes: &[u8]) -> Result<String> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cert.der");
    std::fs::write(&path, bytes)?;
    let output = Command::new("openssl")
        .args(["dgst", "-sha256", "-r"])
        .arg(&path)
        .output()?;
    let text = String::from_utf8(output.stdout)?;
    Ok(text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned())
}
