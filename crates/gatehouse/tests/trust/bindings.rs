//! Beyond APIM: subscription keys that work only with listed certificates, and certificate
//! expiry in the management API and the log.

use anyhow::Result;
use gatehouse_testkit::{ClientCert, CurlResponse, LeafSpec, Pki};
use serde_json::{Value, json};

use crate::Setup;

const INVALID_KEY: &str = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";

/// Creates an active subscription to every API with `binding`; returns its primary key.
fn bound_subscription(setup: &Setup, binding: Value) -> Result<String> {
    setup.put_ok(
        "/subscriptions/bound",
        json!({ "scope": "/apis", "state": "active", "clientCertificates": binding }),
    )?;
    let secrets = setup
        .gateway
        .admin("POST", "/subscriptions/bound/listSecrets", None)?;
    Ok(secrets.json()?["primaryKey"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

fn call_with(setup: &Setup, key: &str, client: Option<&ClientCert>) -> Result<CurlResponse> {
    let curl = setup
        .gateway
        .call("/echo/resource")
        .header(&format!("Ocp-Apim-Subscription-Key: {key}"));
    match client {
        Some(client) => curl.cert(&client.cert, &client.key).send(),
        None => curl.send(),
    }
}

fn assert_invalid_key(response: &CurlResponse) -> Result<()> {
    assert_eq!(response.status, 401, "{}", response.body);
    assert_eq!(
        response.json()?,
        json!({ "statusCode": 401, "message": INVALID_KEY })
    );
    Ok(())
}

#[test]
fn a_key_bound_to_a_thumbprint_works_only_with_that_certificate() -> Result<()> {
    let setup = Setup::start()?;
    let (a, b) = (
        setup.pki.self_signed_client("a")?,
        setup.pki.self_signed_client("b")?,
    );
    let key = bound_subscription(
        &setup,
        json!({ "thumbprints": [a.thumbprint.to_lowercase()] }),
    )?;

    assert_eq!(call_with(&setup, &key, Some(&a))?.status, 200);
    assert_invalid_key(&call_with(&setup, &key, Some(&b))?)?;
    assert_invalid_key(&call_with(&setup, &key, None)?)?;
    let log = setup.gateway.log();
    assert!(log.contains("reason=\"certificate_not_bound\""), "{log}");
    assert!(log.contains("reason=\"no_certificate\""), "{log}");

    let stored = setup
        .gateway
        .admin("GET", "/subscriptions/bound", None)?
        .json()?;
    let listed = &stored["properties"]["clientCertificates"]["thumbprints"][0];
    assert_eq!(listed, a.thumbprint.as_str(), "stored upper case");
    Ok(())
}

#[test]
fn a_key_bound_to_an_issuer_needs_that_issuers_signature_not_its_name() -> Result<()> {
    let setup = Setup::start()?;
    let issuing = setup.pki.root_ca("Partner CA")?;
    setup.upload_pem("partner-ca", &issuing.cert)?;
    let partner = issuing.issue("partner", &LeafSpec::client("partner"))?;
    let impostor_pki = Pki::new()?;
    let impostor_ca = impostor_pki.root_ca("Partner CA")?;
    let impostor = impostor_ca.issue("impostor", &LeafSpec::client("partner"))?;
    let key = bound_subscription(&setup, json!({ "issuerThumbprints": [issuing.thumbprint] }))?;

    assert_eq!(call_with(&setup, &key, Some(&partner))?.status, 200);
    assert_invalid_key(&call_with(&setup, &key, Some(&impostor))?)?;
    Ok(())
}

#[test]
fn malformed_bindings_are_refused() -> Result<()> {
    let setup = Setup::start()?;
    for binding in [
        json!({}),
        json!({ "thumbprints": ["AB:CD"] }),
        json!({ "other": [] }),
    ] {
        let response = setup.put(
            "/subscriptions/x",
            json!({ "scope": "/apis", "clientCertificates": binding }),
        )?;
        assert_eq!(response.status, 400, "{binding}: {}", response.body);
    }
    Ok(())
}

#[test]
fn certificate_validity_is_in_the_api_and_the_log() -> Result<()> {
    let setup = Setup::start()?;
    let ca = setup.pki.root_ca("Validity CA")?;
    let expired = ca.issue(
        "old",
        &LeafSpec::client("old").dates("20200101000000Z", "20200201000000Z"),
    )?;
    let soon = ca.issue("soon", &LeafSpec::client("soon"))?;
    setup.upload_pem("old", &expired.cert)?;
    setup.upload_pem("soon", &soon.cert)?;
    setup.upload_pem("ca", &ca.cert)?;

    let validity = |id: &str| -> Result<Value> {
        let response = setup
            .gateway
            .admin("GET", &format!("/certificates/{id}"), None)?;
        Ok(response.json()?["properties"]["validity"].clone())
    };
    assert_eq!(validity("old")?["state"], "expired");
    assert!(
        validity("old")?["daysLeft"]
            .as_i64()
            .is_some_and(|d| d < -365)
    );
    assert_eq!(validity("soon")?["state"], "expiringSoon");
    assert_eq!(validity("ca")?["state"], "valid");

    let log = setup.gateway.log();
    assert!(log.contains("expired on 2020-02-01"), "{log}");
    assert!(log.contains("validity=\"expiring_soon\""), "{log}");
    Ok(())
}
