//! Hostname configurations: a server certificate and a client-certificate mode per server
//! name, chosen at the handshake from the current configuration, and the 421 for a request
//! whose Host names a hostname with other settings than its connection's.

use anyhow::Result;
use gatehouse_testkit::{ClientCert, Curl, LeafSpec, SClient, TestCa};
use serde_json::json;

use crate::Setup;

/// A CA, a server certificate for the test names (uploaded as `server`), a client
/// certificate from the same CA.
struct Names {
    ca: TestCa,
    client: ClientCert,
}

fn names(setup: &Setup) -> Result<Names> {
    let ca = setup.pki.root_ca("Names CA")?;
    let server = ca.issue(
        "server",
        &LeafSpec::client("secure.test").eku(&["serverAuth"]).dns(&[
            "secure.test",
            "open.test",
            "*.wild.test",
        ]),
    )?;
    setup.upload_pfx("server", &server)?;
    let client = ca.issue("client", &LeafSpec::client("client"))?;
    Ok(Names { ca, client })
}

fn hostname(setup: &Setup, id: &str, name: &str, negotiate: bool, require: bool) -> Result<()> {
    setup.put_ok(
        &format!("/hostnameConfigurations/{id}"),
        json!({
            "hostName": name,
            "certificateId": "server",
            "negotiateClientCertificate": negotiate,
            "requireClientCertificate": require,
        }),
    )
}

/// curl to `https://{name}:PORT{path}` resolved to 127.0.0.1, trusting the names CA.
fn curl_to(setup: &Setup, names: &Names, name: &str) -> Curl {
    let port = setup.port();
    Curl::new(
        &format!("https://{name}:{port}/echo/resource"),
        &names.ca.cert,
    )
    .args(["--resolve".to_owned(), format!("{name}:{port}:127.0.0.1")])
    .header(&format!("Ocp-Apim-Subscription-Key: {}", setup.key()))
}

/// Answers with the thumbprint the pipeline sees, or `none`.
const SHOW_CERTIFICATE: &str = r#"<return-response><set-status code="200" /><set-header name="X-Thumbprint" exists-action="override"><value>@(context.Request.Certificate == null ? "none" : context.Request.Certificate.Thumbprint)</value></set-header></return-response>"#;

#[test]
fn a_hostname_that_requires_a_certificate_refuses_handshakes_without_one() -> Result<()> {
    let setup = Setup::start()?;
    let names = names(&setup)?;
    hostname(&setup, "secure", "secure.test", true, true)?;

    let without = curl_to(&setup, &names, "secure.test").send();
    assert!(without.is_err(), "the handshake must fail: {without:?}");
    let log = setup.gateway.log();
    assert!(log.contains("decision=\"certificate_required\""), "{log}");

    let with = curl_to(&setup, &names, "secure.test")
        .cert(&names.client.cert, &names.client.key)
        .send()?;
    assert_eq!(with.status, 200, "{}", with.body);
    Ok(())
}

#[test]
fn a_hostname_certificate_must_come_with_its_private_key() -> Result<()> {
    let setup = Setup::start()?;
    let names = names(&setup)?;
    setup.upload_pem("no-key", &names.client.cert)?;

    let refused = setup.put(
        "/hostnameConfigurations/bad",
        json!({ "hostName": "bad.test", "certificateId": "no-key" }),
    )?;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("without a private key"),
        "{}",
        refused.body
    );
    let stored = setup
        .gateway
        .admin("GET", "/hostnameConfigurations/bad", None)?;
    assert_eq!(stored.status, 404);
    Ok(())
}

#[test]
fn a_hostname_that_does_not_negotiate_never_sees_a_certificate() -> Result<()> {
    let setup = Setup::start()?;
    let names = names(&setup)?;
    hostname(&setup, "open", "open.test", false, false)?;
    hostname(&setup, "wild", "*.wild.test", true, false)?;
    setup.inbound(SHOW_CERTIFICATE)?;
    let call = |name: &str| {
        curl_to(&setup, &names, name)
            .cert(&names.client.cert, &names.client.key)
            .send()
    };

    assert_eq!(call("open.test")?.header("X-Thumbprint"), Some("none"));
    let wild = call("api.wild.test")?;
    assert_eq!(
        wild.header("X-Thumbprint"),
        Some(names.client.thumbprint.as_str())
    );
    Ok(())
}

#[test]
fn a_host_that_would_dodge_the_certificate_requirement_gets_421() -> Result<()> {
    let setup = Setup::start()?;
    let names = names(&setup)?;
    hostname(&setup, "secure", "secure.test", true, true)?;
    let port = setup.port();

    // Connected to localhost (certificate optional), asking for secure.test.
    for version in ["--http1.1", "--http2"] {
        let fronted = setup
            .echo()
            .args([version])
            .header(&format!("Host: secure.test:{port}"))
            .send()?;
        assert_eq!(fronted.status, 421, "{version}: {}", fronted.body);
    }
    let connect_to = setup
        .echo()
        .args([
            "--connect-to".to_owned(),
            format!("secure.test:{port}:127.0.0.1:{port}"),
        ])
        .header("Host: secure.test")
        .send()?;
    assert_eq!(connect_to.status, 421);

    // Connected to secure.test with a certificate, asking for localhost: other settings too.
    let reverse = curl_to(&setup, &names, "secure.test")
        .cert(&names.client.cert, &names.client.key)
        .header(&format!("Host: localhost:{port}"))
        .send()?;
    assert_eq!(reverse.status, 421);
    Ok(())
}

#[test]
fn a_changed_hostname_applies_to_new_connections_and_open_ones_stay_open() -> Result<()> {
    let setup = Setup::start()?;
    let names = names(&setup)?;
    let key = setup.key();
    let headers = [("Ocp-Apim-Subscription-Key", key.as_str())];
    let ca = setup.gateway.ca();
    let mut open = SClient::connect(
        setup.port(),
        "localhost",
        &ca,
        &names.client.cert,
        &names.client.key,
    )?;
    assert_eq!(open.get("/echo/resource", &headers)?.status, 200);

    setup.put_ok(
        "/hostnameConfigurations/local",
        json!({ "hostName": "localhost", "requireClientCertificate": true }),
    )?;

    let misdirected = open.get("/echo/resource", &headers)?;
    assert_eq!(
        misdirected.status, 421,
        "the open connection was made without the requirement"
    );
    assert!(
        setup.call(None).is_err(),
        "a new handshake without a certificate fails"
    );
    assert_eq!(setup.call(Some(&names.client))?.status, 200);
    Ok(())
}
