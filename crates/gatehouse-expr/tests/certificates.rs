//! Client-certificate expressions: the conditions APIM documents for certificate checks.
//!
//! Certificates are made at test time with the `openssl` command line.

mod support;

use std::sync::Arc;

use gatehouse_cert::Certificate;
use gatehouse_expr::StaticHost;
use gatehouse_expr::context::DeploymentInfo;
use support::{certificate, eval, eval_text};

const ARTICLE_CONDITION: &str = r#"@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "BF3D644C46099A9D7C073EC002312878B8F9B847")"#;

fn host_with(cert: Option<Certificate>) -> StaticHost {
    StaticHost {
        certificate: cert,
        ..StaticHost::default()
    }
}

#[test]
fn article_condition_is_true_without_a_certificate() {
    assert_eq!(eval(ARTICLE_CONDITION, &host_with(None)), true.into_value());
}

#[test]
fn article_condition_compares_the_thumbprint_ordinally() {
    let cert = certificate("/CN=Client 01");
    let thumbprint = cert.thumbprint().to_string();
    let host = host_with(Some(cert));

    assert_eq!(eval(ARTICLE_CONDITION, &host), true.into_value());

    let matching =
        ARTICLE_CONDITION.replace("BF3D644C46099A9D7C073EC002312878B8F9B847", &thumbprint);
    assert_eq!(eval(&matching, &host), false.into_value());

    let lowercase = ARTICLE_CONDITION.replace(
        "BF3D644C46099A9D7C073EC002312878B8F9B847",
        &thumbprint.to_lowercase(),
    );
    assert_eq!(
        eval(&lowercase, &host),
        true.into_value(),
        "string != is case-sensitive"
    );
}

#[test]
fn certificate_members_read_the_parsed_certificate() {
    let cert = certificate("/CN=Client 01");
    let host = host_with(Some(cert.clone()));
    let read = |member: &str| eval_text(&format!("@(context.Request.Certificate.{member})"), &host);

    assert_eq!(read("Thumbprint"), cert.thumbprint().to_string());
    assert_eq!(read("Subject"), cert.subject().to_string());
    assert_eq!(read("Issuer"), cert.issuer().to_string());
    assert_eq!(read("SubjectName.Name"), cert.subject().to_string());
    assert_eq!(read("IssuerName.Name"), cert.issuer().to_string());
    assert_eq!(read("SerialNumber"), cert.serial_number().to_string());
    assert!(read("Subject").contains("Client 01"));
}

#[test]
fn validity_dates_compare_with_now() {
    let host = host_with(Some(certificate("/CN=Dated")));

    let valid = "@(context.Request.Certificate.NotBefore <= DateTime.Now && context.Request.Certificate.NotAfter > DateTime.Now)";
    assert_eq!(eval(valid, &host), true.into_value());
    let expired = "@(context.Request.Certificate.NotAfter < DateTime.UtcNow.AddDays(-1))";
    assert_eq!(eval(expired, &host), false.into_value());
}

#[test]
fn missing_certificate_reads_as_null_through_conditional_access() {
    let host = host_with(None);

    assert_eq!(
        eval_text("@(context.Request.Certificate?.ToString())", &host),
        ""
    );
    assert_eq!(
        eval_text(
            "@(context.Request.Certificate?.Thumbprint ?? \"none\")",
            &host
        ),
        "none"
    );
}

#[test]
fn reading_a_member_of_a_missing_certificate_is_a_null_reference() {
    let error = support::expr("@(context.Request.Certificate.Thumbprint)")
        .evaluate(&host_with(None))
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "Expression evaluation failed. Object reference not set to an instance of an object."
    );
}

#[test]
fn certificate_to_string_has_the_dotnet_layout() {
    let text = eval_text(
        "@(context.Request.Certificate.ToString())",
        &host_with(Some(certificate("/CN=Layout"))),
    );

    assert!(
        text.starts_with("[Subject]\n  CN=Layout\n\n[Issuer]\n  CN=Layout\n\n[Serial Number]\n  "),
        "{text}"
    );
    assert!(text.ends_with("\n"), "{text}");
    assert!(text.contains("\n\n[Thumbprint]\n  "));
}

#[test]
fn uploaded_certificates_are_searched_with_any() {
    let client = certificate("/CN=Uploaded");
    let other = certificate("/CN=Other one");
    let deployment = DeploymentInfo {
        certificates: Arc::new([("other".into(), other), ("client".into(), client.clone())]),
        ..DeploymentInfo::default()
    };
    let host = StaticHost {
        certificate: Some(client),
        deployment,
        ..StaticHost::default()
    };

    let known = "@(context.Deployment.Certificates.Any(c => c.Value.Thumbprint == context.Request.Certificate.Thumbprint))";
    assert_eq!(eval(known, &host), true.into_value());
    assert_eq!(
        eval("@(context.Deployment.Certificates.Count)", &host),
        2.into_value()
    );
    assert_eq!(
        eval_text(
            "@(context.Deployment.Certificates[\"other\"].Subject)",
            &host
        ),
        "CN=Other one"
    );
    let keys = "@(string.Join(\",\", context.Deployment.Certificates.Select(c => c.Key)))";
    assert_eq!(eval_text(keys, &host), "other,client");
}

#[test]
fn verify_fails_closed_without_a_trusted_store() {
    let cert = certificate("/CN=Verify");
    let host = host_with(Some(cert.clone()));
    assert_eq!(
        eval("@(context.Request.Certificate.Verify())", &host),
        false.into_value()
    );

    let trusted = StaticHost {
        trusted: vec![cert.clone()],
        ..host_with(Some(cert))
    };
    assert_eq!(
        eval(
            "@(context.Request.Certificate.VerifyNoRevocation())",
            &trusted
        ),
        true.into_value()
    );
}

#[test]
fn documented_issuer_and_subject_condition_compiles_and_runs() {
    let host = host_with(Some(certificate("/CN=expected-subject-name")));
    let condition = r#"@(context.Request.Certificate == null || !context.Request.Certificate.Verify() || context.Request.Certificate.Issuer != "trusted-issuer" || context.Request.Certificate.SubjectName.Name != "expected-subject-name")"#;

    assert_eq!(eval(condition, &host), true.into_value());
}

trait IntoValue {
    fn into_value(self) -> gatehouse_expr::Value;
}

impl<T: Into<gatehouse_expr::Value>> IntoValue for T {
    fn into_value(self) -> gatehouse_expr::Value {
        self.into()
    }
}
