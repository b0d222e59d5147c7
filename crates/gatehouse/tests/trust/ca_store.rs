//! The CA store and CRLs behind `Verify()`, `VerifyNoRevocation()` and
//! `validate-client-certificate`, over real TLS.

use anyhow::Result;
use gatehouse_testkit::{ClientCert, LeafSpec, SClient, TestCa};
use serde_json::json;

use crate::{Setup, reason};

/// Test Root -> Test Issuing CA, in the store as root and intermediate, with both CRLs.
struct Pki {
    root: TestCa,
    issuing: TestCa,
}

fn ca_pki(setup: &Setup) -> Result<Pki> {
    let root = setup.pki.root_ca("Test Root")?;
    let issuing = root.intermediate("Test Issuing CA")?;
    Ok(Pki { root, issuing })
}

fn upload_store(setup: &Setup, pki: &Pki) -> Result<()> {
    setup.add_ca("root", &pki.root, true)?;
    setup.add_ca("issuing", &pki.issuing, false)?;
    upload_crls(setup, pki)
}

fn upload_crls(setup: &Setup, pki: &Pki) -> Result<()> {
    for (id, ca) in [("root-crl", &pki.root), ("issuing-crl", &pki.issuing)] {
        let uploaded = setup.upload_crl(id, &ca.crl()?)?;
        anyhow::ensure!(uploaded.status < 300, "{}", uploaded.body);
    }
    Ok(())
}

const VERIFY: &str = r#"<choose><when condition="@(context.Request.Certificate == null || !context.Request.Certificate.Verify())"><return-response><set-status code="403" reason="Invalid client certificate" /></return-response></when></choose>"#;

#[test]
fn verify_in_a_choose_follows_the_ca_store_and_the_crls() -> Result<()> {
    let setup = Setup::start()?;
    let pki = ca_pki(&setup)?;
    let good = pki.issuing.issue("good", &LeafSpec::client("good"))?;
    let revoked = pki.issuing.issue("revoked", &LeafSpec::client("revoked"))?;
    pki.issuing.revoke(&revoked)?;
    let stranger = setup.pki.self_signed_client("stranger")?;
    upload_store(&setup, &pki)?;
    setup.inbound(VERIFY)?;

    assert_eq!(setup.call(Some(&good))?.status, 200);
    assert_eq!(setup.call(Some(&pki.issuing.chain_of(&good)?))?.status, 200);
    assert_eq!(setup.call(Some(&revoked))?.status, 403);
    assert_eq!(setup.call(Some(&stranger))?.status, 403);
    assert_eq!(setup.call(None)?.status, 403);

    setup.inbound(&VERIFY.replace("Verify()", "VerifyNoRevocation()"))?;
    assert_eq!(setup.call(Some(&revoked))?.status, 200);
    Ok(())
}

#[test]
fn the_intermediate_may_come_from_the_caller_or_the_store() -> Result<()> {
    let setup = Setup::start()?;
    let pki = ca_pki(&setup)?;
    let good = pki.issuing.issue("good", &LeafSpec::client("good"))?;
    setup.add_ca("root", &pki.root, true)?;
    setup.inbound(r#"<validate-client-certificate validate-revocation="false" />"#)?;

    let alone = setup.call(Some(&good))?;
    assert_eq!(alone.status, 401, "{}", alone.body);
    assert_eq!(reason(&alone), Some("ClientCertificateNotTrusted"));
    assert_eq!(setup.call(Some(&pki.issuing.chain_of(&good)?))?.status, 200);

    setup.add_ca("issuing", &pki.issuing, false)?;
    assert_eq!(setup.call(Some(&good))?.status, 200);
    Ok(())
}

#[test]
fn validate_client_certificate_gives_each_reason() -> Result<()> {
    let setup = Setup::start()?;
    let pki = ca_pki(&setup)?;
    let issue = |name: &str, spec: LeafSpec| pki.issuing.issue(name, &spec);
    let good = issue("good", LeafSpec::client("good"))?;
    let expired = issue(
        "expired",
        LeafSpec::client("expired").dates("20200101000000Z", "20200201000000Z"),
    )?;
    let future = issue(
        "future",
        LeafSpec::client("future").dates("20400101000000Z", "20410101000000Z"),
    )?;
    let server_only = issue(
        "server-only",
        LeafSpec::client("server-only").eku(&["serverAuth"]),
    )?;
    let revoked = issue("revoked", LeafSpec::client("revoked"))?;
    pki.issuing.revoke(&revoked)?;
    let stranger = setup.pki.self_signed_client("stranger")?;
    upload_store(&setup, &pki)?;
    setup.inbound("<validate-client-certificate />")?;

    let cases: [(Option<&ClientCert>, &str); 6] = [
        (None, "ClientCertificateNotFound"),
        (Some(&expired), "ClientCertificateExpired"),
        (Some(&future), "ClientCertificateNotYetValid"),
        (Some(&stranger), "ClientCertificateNotTrusted"),
        (Some(&server_only), "ClientCertificateNotTrusted"),
        (Some(&revoked), "ClientCertificateRevoked"),
    ];
    for (client, expected) in cases {
        let response = setup.call(client)?;
        assert_eq!(response.status, 401, "{expected}: {}", response.body);
        assert_eq!(reason(&response), Some(expected));
        assert_eq!(
            response.header("ErrorSource"),
            Some("validate-client-certificate")
        );
    }
    assert_eq!(setup.call(Some(&good))?.status, 200);
    Ok(())
}

#[test]
fn the_caller_gets_apims_401_bodies() -> Result<()> {
    let setup = Setup::start()?;
    let stranger = setup.pki.self_signed_client("stranger")?;
    let value = "<policies><inbound><base /><validate-client-certificate /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";
    setup.put_ok(
        "/apis/echo-api/policies/policy",
        json!({ "format": "rawxml", "value": value }),
    )?;

    let missing = setup.call(None)?;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.json()?,
        json!({ "statusCode": 401, "message": "Client certificate missing" })
    );
    let untrusted = setup.call(Some(&stranger))?;
    assert_eq!(
        untrusted.json()?,
        json!({ "statusCode": 401, "message": "Invalid client certificate" })
    );
    Ok(())
}

#[test]
fn every_identity_claim_matches_its_certificate_only() -> Result<()> {
    let setup = Setup::start()?;
    let pki = ca_pki(&setup)?;
    let spec = LeafSpec::client("client-a")
        .subject("/C=US/O=Contoso, Inc./CN=client-a")
        .dns(&["client-a.example.com"]);
    let good = pki.issuing.issue("good", &spec)?;
    let other = setup.pki.self_signed_client("other")?;
    upload_store(&setup, &pki)?;
    let serial = gatehouse_testkit_serial(&good)?;

    let claims = [
        format!(r#"thumbprint="{}""#, good.thumbprint.to_lowercase()),
        format!(r#"serial-number="{serial}""#),
        r#"common-name="client-a""#.to_owned(),
        r#"subject="CN=client-a, O=&quot;Contoso, Inc.&quot;, C=US""#.to_owned(),
        r#"dns-name="client-a.example.com""#.to_owned(),
        r#"issuer-subject="CN=Test Issuing CA""#.to_owned(),
        format!(r#"issuer-thumbprint="{}""#, pki.issuing.thumbprint),
        r#"issuer-certificate-id="issuing""#.to_owned(),
    ];
    for claim in claims {
        setup.inbound(&format!(
            r#"<validate-client-certificate validate-trust="false" validate-revocation="false"><identities><identity {claim} /></identities></validate-client-certificate>"#
        ))?;
        assert_eq!(setup.call(Some(&good))?.status, 200, "{claim}");
        let refused = setup.call(Some(&other))?;
        assert_eq!(refused.status, 401, "{claim}");
        assert_eq!(
            reason(&refused),
            Some("ClientCertificateIdentityNotMatched"),
            "{claim}"
        );
    }
    Ok(())
}

/// The serial number as openssl prints it (hex).
fn gatehouse_testkit_serial(client: &ClientCert) -> Result<String> {
    let output = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(&client.cert)
        .output()?;
    let text = String::from_utf8(output.stdout)?;
    Ok(text.trim().trim_start_matches("serial=").to_owned())
}

#[test]
fn a_crl_whose_issuer_is_not_in_the_store_is_refused_and_not_stored() -> Result<()> {
    let setup = Setup::start()?;
    let pki = ca_pki(&setup)?;
    setup.add_ca("root", &pki.root, true)?;

    let foreign = setup.upload_crl("issuing-crl", &pki.issuing.crl()?)?;
    assert_eq!(foreign.status, 400, "{}", foreign.body);
    assert!(
        foreign.body.contains("CN=Test Issuing CA"),
        "{}",
        foreign.body
    );
    assert!(
        foreign.body.contains("upload the issuing CA first"),
        "{}",
        foreign.body
    );
    let stored = setup
        .gateway
        .admin("GET", "/certificateRevocationLists/issuing-crl", None)?;
    assert_eq!(stored.status, 404);

    let garbage = setup.put(
        "/certificateRevocationLists/x",
        json!({ "data": "bm90IGEgY3Js" }),
    )?;
    assert_eq!(garbage.status, 400, "{}", garbage.body);

    let accepted = setup.upload_crl("root-crl", &pki.root.crl()?)?;
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    let properties = &accepted.json()?["properties"];
    assert_eq!(properties["issuer"], "CN=Test Root");
    assert_eq!(properties["revokedCount"], 0);
    Ok(())
}

#[test]
fn a_changed_crl_reaches_an_open_connection_without_closing_it() -> Result<()> {
    let setup = Setup::start()?;
    let pki = ca_pki(&setup)?;
    let client = pki.issuing.issue("client", &LeafSpec::client("client"))?;
    upload_store(&setup, &pki)?;
    setup.inbound("<validate-client-certificate />")?;
    let key = setup.key();
    let headers = [("Ocp-Apim-Subscription-Key", key.as_str())];
    let mut connection = SClient::connect(
        setup.port(),
        "localhost",
        &setup.gateway.ca(),
        &client.cert,
        &client.key,
    )?;

    assert_eq!(connection.get("/echo/resource", &headers)?.status, 200);
    pki.issuing.revoke(&client)?;
    upload_crls(&setup, &pki)?;

    let after = connection.get("/echo/resource", &headers)?;
    assert_eq!(after.status, 401, "{}", after.body);
    assert_eq!(
        after.header("ErrorReason"),
        Some("ClientCertificateRevoked")
    );
    Ok(())
}

#[test]
fn an_unknown_revocation_status_is_refused_unless_the_gateway_setting_allows_it() -> Result<()> {
    for (args, expected) in [
        (&[][..], 403),
        (&["--dangerous-allow-unknown-revocation-status"][..], 200),
    ] {
        let setup = Setup::start_with(args)?;
        let pki = ca_pki(&setup)?;
        let good = pki.issuing.issue("good", &LeafSpec::client("good"))?;
        setup.add_ca("root", &pki.root, true)?;
        setup.add_ca("issuing", &pki.issuing, false)?;
        setup.inbound(VERIFY)?;

        assert_eq!(setup.call(Some(&good))?.status, expected, "{args:?}");
    }
    Ok(())
}
