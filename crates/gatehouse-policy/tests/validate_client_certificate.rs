//! `validate-client-certificate`, `Verify()` and `VerifyNoRevocation()` against certificates
//! and CRLs made by `openssl ca`: every reason, every identity claim, APIM's bodies and
//! `context.LastError`, `ignore-error`, and what is refused when the policy is saved.

mod support;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use gatehouse_cert::{
    Certificate, Crl, TrustConfig, VerifiedChain, VerifyError, import_certificate, verify_chain,
};
use gatehouse_policy::compile::{Environment, ScopeLevel, compile_document_with};
use gatehouse_policy::runtime::{CertificateTrust, TrustCheck};
use gatehouse_testkit::{ClientCert, LeafSpec, Pki, TestCa};
use support::harness::{Call, GATEWAY, Ran, TestGateway, policy};

/// Test Root -> Test Issuing CA -> client certificates; Stranger Root -> stranger.
struct Fixture {
    _pki: Pki,
    root: TestCa,
    issuing: TestCa,
    good: Certificate,
    revoked: Certificate,
    no_eku: Certificate,
    expired: Certificate,
    future: Certificate,
    stranger: Certificate,
    crls: Vec<Crl>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| make_fixture().expect("openssl makes the test PKI"))
}

fn make_fixture() -> anyhow::Result<Fixture> {
    let pki = Pki::new()?;
    let root = pki.root_ca("Test Root")?;
    let issuing = root.intermediate("Test Issuing CA")?;
    let client = |name: &str| LeafSpec::client(name);
    let good = issuing.issue(
        "good",
        &client("client-a")
            .subject("/C=US/O=Contoso, Inc./CN=client-a")
            .dns(&["client-a.example.com"]),
    )?;
    let revoked = issuing.issue("revoked", &client("revoked"))?;
    issuing.revoke(&revoked)?;
    let no_eku = issuing.issue("no-eku", &client("server-only").eku(&["serverAuth"]))?;
    let expired = issuing.issue(
        "expired",
        &client("expired").dates("20200101000000Z", "20200201000000Z"),
    )?;
    let future = issuing.issue(
        "future",
        &client("future").dates("20400101000000Z", "20410101000000Z"),
    )?;
    let stranger_root = pki.root_ca("Stranger Root")?;
    let stranger = stranger_root.issue("stranger", &client("stranger"))?;
    let crls = vec![read_crl(&root.crl()?)?, read_crl(&issuing.crl()?)?];
    Ok(Fixture {
        good: read(&good)?,
        revoked: read(&revoked)?,
        no_eku: read(&no_eku)?,
        expired: read(&expired)?,
        future: read(&future)?,
        stranger: read(&stranger)?,
        root,
        issuing,
        crls,
        _pki: pki,
    })
}

fn read(client: &ClientCert) -> anyhow::Result<Certificate> {
    read_pem(&client.cert)
}

fn read_pem(path: &Path) -> anyhow::Result<Certificate> {
    let imported = import_certificate(&std::fs::read(path)?, None)?;
    Ok(imported.into_parts().0)
}

fn read_crl(path: &Path) -> anyhow::Result<Crl> {
    Ok(Crl::parse(&std::fs::read(path)?)?.remove(0))
}

/// The gateway's side, as the gateway builds it: the root in the store, the issuing CA
/// presented by the caller, the CRLs when `with_crls`.
#[derive(Debug)]
struct StoreTrust {
    config: TrustConfig,
    chain: Vec<Certificate>,
}

impl CertificateTrust for StoreTrust {
    fn verify(
        &self,
        certificate: &Certificate,
        check: TrustCheck,
    ) -> Result<VerifiedChain, VerifyError> {
        let options = self
            .config
            .options
            .with_revocation_check(check.revocation)
            .with_required_usage(check.required_usage());
        let time = check.time_for(certificate, time::OffsetDateTime::now_utc());
        let store = &self.config.store;
        verify_chain(
            certificate,
            &self.chain,
            store,
            &self.config.crls,
            time,
            &options,
        )
    }

    fn presented_chain(&self) -> &[Certificate] {
        &self.chain
    }
}

fn trust(with_crls: bool) -> Arc<dyn CertificateTrust> {
    let f = fixture();
    let mut config = TrustConfig::default();
    config
        .store
        .add_root(read_pem(&f.root.cert).expect("the root"))
        .expect("a root");
    if with_crls {
        config.crls = f.crls.clone();
    }
    let chain = vec![read_pem(&f.issuing.cert).expect("the issuing CA")];
    Arc::new(StoreTrust { config, chain })
}

/// Echoes `context.LastError` in headers, as the blog's tests against real APIM do.
const ECHO_ERROR: &str = r#"<set-header name="ErrorSource" exists-action="override"><value>@(context.LastError.Source)</value></set-header><set-header name="ErrorReason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header><set-header name="ErrorMessage" exists-action="override"><value>@(context.LastError.Message)</value></set-header>"#;

fn run_with(
    env: Environment,
    inbound: &str,
    certificate: Option<&Certificate>,
    with_crls: bool,
) -> Ran {
    let mut call = Call::get(&format!("{GATEWAY}/resource"));
    if let Some(certificate) = certificate {
        call = call.certificate(certificate.clone(), trust(with_crls));
    }
    TestGateway::with_env(env).run(&policy(inbound, "", ECHO_ERROR), call)
}

fn run(inbound: &str, certificate: Option<&Certificate>) -> Ran {
    run_with(Environment::new(), inbound, certificate, true)
}

fn assert_refused(ran: &Ran, reason: &str, message: &str) {
    assert_eq!(ran.status, 401, "{}", ran.body);
    assert_eq!(
        ran.header("ErrorSource"),
        Some("validate-client-certificate")
    );
    assert_eq!(ran.header("ErrorReason"), Some(reason));
    assert_eq!(ran.header("ErrorMessage"), Some(message));
}

const DEFAULTS: &str = "<validate-client-certificate />";
const NOT_TRUSTED: &str = "A certificate chain could not be built to a trusted root authority.";

#[test]
fn a_trusted_current_unrevoked_client_certificate_passes_with_the_defaults() {
    let ran = run(DEFAULTS, Some(&fixture().good));

    assert_eq!(ran.status, 200, "{}", ran.body);
    assert!(
        ran.sources("inbound")
            .contains(&"validate-client-certificate".to_owned())
    );
}

#[test]
fn no_certificate_is_refused_first() {
    let ran = run(DEFAULTS, None);

    assert_refused(
        &ran,
        "ClientCertificateNotFound",
        "Client certificate missing",
    );
}

#[test]
fn without_on_error_the_caller_gets_apims_401_bodies() {
    let bare = |certificate: Option<&Certificate>| {
        let mut call = Call::get(&format!("{GATEWAY}/resource"));
        if let Some(certificate) = certificate {
            call = call.certificate(certificate.clone(), trust(true));
        }
        TestGateway::default().run(&policy(DEFAULTS, "", ""), call)
    };

    let missing = bare(None);
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.json(),
        serde_json::json!({"statusCode": 401, "message": "Client certificate missing"})
    );
    let invalid = bare(Some(&fixture().stranger));
    assert_eq!(
        invalid.json(),
        serde_json::json!({"statusCode": 401, "message": "Invalid client certificate"})
    );
}

#[test]
fn dates_are_checked_before_trust_and_each_check_can_be_turned_off() {
    let f = fixture();
    assert_refused(
        &run(DEFAULTS, Some(&f.expired)),
        "ClientCertificateExpired",
        "Certificate has expired.",
    );
    assert_refused(
        &run(DEFAULTS, Some(&f.future)),
        "ClientCertificateNotYetValid",
        "Certificate is not yet valid.",
    );

    // The chain is then judged as it stood while the leaf was valid.
    let lenient_expiry =
        r#"<validate-client-certificate validate-not-after="false" validate-revocation="false" />"#;
    assert_eq!(run(lenient_expiry, Some(&f.expired)).status, 200);
    let lenient_start = r#"<validate-client-certificate validate-not-before="false" validate-revocation="false" />"#;
    assert_eq!(run(lenient_start, Some(&f.future)).status, 200);
}

#[test]
fn a_chain_to_no_uploaded_root_is_not_trusted_unless_trust_is_off() {
    let f = fixture();
    assert_refused(
        &run(DEFAULTS, Some(&f.stranger)),
        "ClientCertificateNotTrusted",
        NOT_TRUSTED,
    );

    let untrusted_ok = r#"<validate-client-certificate validate-trust="false" />"#;
    assert_eq!(run(untrusted_ok, Some(&f.stranger)).status, 200);
}

#[test]
fn a_certificate_without_the_client_auth_usage_is_not_trusted() {
    let ran = run(DEFAULTS, Some(&fixture().no_eku));
    assert_refused(&ran, "ClientCertificateNotTrusted", NOT_TRUSTED);
}

#[test]
fn a_revoked_certificate_is_refused_unless_revocation_is_off() {
    let f = fixture();
    assert_refused(
        &run(DEFAULTS, Some(&f.revoked)),
        "ClientCertificateRevoked",
        "Certificate has been revoked.",
    );

    let no_revocation = r#"<validate-client-certificate validate-revocation="false" />"#;
    assert_eq!(run(no_revocation, Some(&f.revoked)).status, 200);
    let trust_off = r#"<validate-client-certificate validate-trust="false" />"#;
    assert_refused(
        &run(trust_off, Some(&f.revoked)),
        "ClientCertificateRevoked",
        "Certificate has been revoked.",
    );
}

#[test]
fn an_unknown_revocation_status_fails_closed() {
    let good = &fixture().good;
    let ran = run_with(Environment::new(), DEFAULTS, Some(good), false);
    assert_refused(&ran, "ClientCertificateNotTrusted", NOT_TRUSTED);

    let no_revocation = r#"<validate-client-certificate validate-revocation="false" />"#;
    assert_eq!(
        run_with(Environment::new(), no_revocation, Some(good), false).status,
        200
    );
}

#[test]
fn ignore_error_goes_on_after_a_refusal() {
    let ran = run(
        r#"<validate-client-certificate ignore-error="true" />"#,
        Some(&fixture().stranger),
    );
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert!(ran.failure.is_none());
}

/// Runs `<identity {claims}/>` (and no chain check) against the good certificate.
fn identity(claims: &str) -> u16 {
    identities(&[claims])
}

fn identities(list: &[&str]) -> u16 {
    let body: String = list
        .iter()
        .map(|claims| format!("<identity {claims} />"))
        .collect();
    let inbound = format!(
        r#"<validate-client-certificate validate-trust="false" validate-revocation="false"><identities>{body}</identities></validate-client-certificate>"#
    );
    let env = Environment::new().with_certificate(
        "issuing-ca",
        read_pem(&fixture().issuing.cert).expect("the CA"),
    );
    let ran = run_with(env, &inbound, Some(&fixture().good), true);
    if ran.status == 401 {
        assert_eq!(
            ran.header("ErrorReason"),
            Some("ClientCertificateIdentityNotMatched")
        );
        assert_eq!(
            ran.header("ErrorMessage"),
            Some("Certificate does not match any of allowed identities.")
        );
    }
    ran.status
}

#[test]
fn thumbprint_claims_ignore_hex_letter_case() {
    let thumbprint = fixture().good.thumbprint().to_string();
    assert_eq!(identity(&format!(r#"thumbprint="{thumbprint}""#)), 200);
    assert_eq!(
        identity(&format!(r#"thumbprint="{}""#, thumbprint.to_lowercase())),
        200
    );
    assert_eq!(
        identity(&format!(r#"thumbprint="{}""#, "0".repeat(40))),
        401
    );
}

#[test]
fn serial_number_claims_ignore_case_and_leading_zeros() {
    let serial = fixture().good.serial_number().to_string();
    assert_eq!(identity(&format!(r#"serial-number="{serial}""#)), 200);
    assert_eq!(
        identity(&format!(r#"serial-number="00{}""#, serial.to_lowercase())),
        200
    );
    assert_eq!(identity(r#"serial-number="ABCDEF""#), 401);
}

#[test]
fn common_name_and_dns_name_claims() {
    assert_eq!(identity(r#"common-name="client-a""#), 200);
    assert_eq!(
        identity(r#"common-name="Client-A""#),
        401,
        "names are case-sensitive"
    );
    assert_eq!(
        identity(r#"dns-name="CLIENT-A.example.com""#),
        200,
        "DNS is not"
    );
    assert_eq!(identity(r#"dns-name="other.example.com""#), 401);
}

#[test]
fn subject_claims_compare_whole_names_in_order_with_case() {
    assert_eq!(
        fixture().good.subject().as_ref(),
        r#"CN=client-a, O="Contoso, Inc.", C=US"#
    );
    assert_eq!(
        identity(r#"subject="CN=client-a, O=&quot;Contoso, Inc.&quot;, C=US""#),
        200
    );
    assert_eq!(
        identity(r#"subject="cn=client-a,o=&quot;Contoso, Inc.&quot;,  c=US""#),
        200
    );
    assert_eq!(
        identity(r#"subject="C=US, O=&quot;Contoso, Inc.&quot;, CN=client-a""#),
        401,
        "order"
    );
    assert_eq!(
        identity(r#"subject="CN=client-a, O=&quot;contoso, inc.&quot;, C=US""#),
        401,
        "case"
    );
    assert_eq!(
        identity(r#"subject="CN=client-a""#),
        401,
        "a part of the name"
    );
}

#[test]
fn issuer_claims_need_the_issuers_key_not_just_its_name() {
    let issuing = &fixture().issuing;
    assert_eq!(identity(r#"issuer-subject="CN=Test Issuing CA""#), 200);
    assert_eq!(identity(r#"issuer-subject="CN=Test Root""#), 401);
    assert_eq!(
        identity(&format!(r#"issuer-thumbprint="{}""#, issuing.thumbprint)),
        200
    );
    assert_eq!(
        identity(&format!(
            r#"issuer-thumbprint="{}""#,
            fixture().root.thumbprint
        )),
        401
    );
    assert_eq!(identity(r#"issuer-certificate-id="issuing-ca""#), 200);
}

#[test]
fn one_identity_must_match_every_claim_it_makes() {
    let both = r#"common-name="client-a" dns-name="other.example.com""#;
    assert_eq!(identity(both), 401);
    assert_eq!(identities(&[both, r#"common-name="nobody""#]), 401);
    assert_eq!(
        identities(&[both, r#"dns-name="client-a.example.com""#]),
        200
    );
}

fn compile_errors(inbound: &str) -> String {
    let env = Environment::new().with_certificate(
        "issuing-ca",
        read_pem(&fixture().issuing.cert).expect("the CA"),
    );
    match compile_document_with(&policy(inbound, "", ""), ScopeLevel::Api, &env) {
        Ok(_) => String::new(),
        Err(diagnostics) => diagnostics.iter().map(|d| format!("{d}\n")).collect(),
    }
}

#[test]
fn mistakes_are_refused_when_the_policy_is_saved() {
    let with = |identities: &str| {
        compile_errors(&format!(
            "<validate-client-certificate><identities>{identities}</identities></validate-client-certificate>"
        ))
    };
    assert!(with("<identity />").contains("at least one claim"));
    assert!(with(r#"<identity thumbprint="AB:CD" />"#).contains("40 hexadecimal digits"));
    assert!(with(r#"<identity subject="CN=&quot;open" />"#).contains("not a distinguished name"));
    assert!(
        with(r#"<identity issuer-certificate-id="missing" />"#).contains("no uploaded certificate")
    );
    let exclusive =
        r#"<identity issuer-certificate-id="issuing-ca" issuer-subject="CN=Test Issuing CA" />"#;
    assert!(with(exclusive).contains("excludes"));
    let eleven = r#"<identity common-name="a" />"#.repeat(11);
    assert!(with(&eleven).contains("at most 10"));
    let expression = r#"<validate-client-certificate validate-trust="@(true)" />"#;
    assert!(
        !compile_errors(expression).is_empty(),
        "no expressions in its attributes"
    );
}

#[test]
fn verify_and_verify_no_revocation_in_a_choose() {
    let f = fixture();
    let inbound = r#"<choose><when condition="@(context.Request.Certificate == null || !context.Request.Certificate.Verify())"><return-response><set-status code="403" reason="Invalid client certificate" /></return-response></when></choose>"#;
    let no_revocation = inbound.replace("Verify()", "VerifyNoRevocation()");

    assert_eq!(run(inbound, Some(&f.good)).status, 200);
    assert_eq!(run(inbound, Some(&f.revoked)).status, 403);
    assert_eq!(run(&no_revocation, Some(&f.revoked)).status, 200);
    assert_eq!(run(inbound, Some(&f.stranger)).status, 403);
    assert_eq!(
        run_with(Environment::new(), inbound, Some(&f.good), false).status,
        403,
        "no CRL: unknown status"
    );
    assert_eq!(
        run_with(Environment::new(), &no_revocation, Some(&f.good), false).status,
        200
    );
}
