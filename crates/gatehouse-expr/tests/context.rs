//! Every member of the `context` model, read from a fully built host.

mod support;

use std::sync::Arc;

use gatehouse_expr::context::{
    ApiInfo, DeploymentInfo, GroupInfo, KeyParameterNames, LastErrorInfo, OperationInfo,
    ProductInfo, ProductState, SubscriptionInfo, UrlInfo, UserIdentity, UserInfo,
};
use gatehouse_expr::{StaticHost, Value};
use support::{eval, eval_text};
use time::macros::datetime;
use uuid::Uuid;

fn url(
    host: &str,
    port: i32,
    path: &str,
    query: &[(&str, &[&str])],
    query_string: &str,
) -> UrlInfo {
    UrlInfo {
        scheme: "https".into(),
        host: host.into(),
        port,
        path: path.into(),
        query: query
            .iter()
            .map(|(k, vs)| ((*k).into(), vs.iter().map(|v| (*v).into()).collect()))
            .collect(),
        query_string: query_string.into(),
    }
}

fn groups() -> Arc<[GroupInfo]> {
    Arc::new([
        GroupInfo {
            id: "developers".into(),
            name: "Developers".into(),
        },
        GroupInfo {
            id: "admins".into(),
            name: "Administrators".into(),
        },
    ])
}

fn full_host() -> StaticHost {
    StaticHost {
        api: Some(ApiInfo {
            id: "echo-api".into(),
            name: "Echo API".into(),
            path: "echo".into(),
            protocols: Arc::new(["https".into()]),
            service_url: Some(url("backend.contoso.com", 8080, "/api", &[], "")),
            subscription_key_parameter_names: KeyParameterNames::default(),
            revision: "3".into(),
            version: Some("v2".into()),
            is_current_revision: true,
        }),
        operation: Some(OperationInfo {
            id: "retrieve-resource".into(),
            method: "GET".into(),
            name: "Retrieve resource".into(),
            url_template: "/resource/{id}".into(),
        }),
        product: Some(ProductInfo {
            id: "starter".into(),
            name: "Starter".into(),
            state: ProductState::Published,
            subscription_required: true,
            approval_required: false,
            subscription_limit: Some(1),
            groups: groups(),
        }),
        subscription: Some(SubscriptionInfo {
            id: "demo".into(),
            key: "primary-key".into(),
            name: "Demo".into(),
            primary_key: "primary-key".into(),
            secondary_key: "secondary-key".into(),
            created_date: datetime!(2024-05-06 07:08:09 UTC),
            start_date: Some(datetime!(2024-05-07 00:00 UTC)),
            end_date: None,
        }),
        user: Some(UserInfo {
            id: "1".into(),
            email: "ada@contoso.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            note: "".into(),
            registration_date: datetime!(2023-01-01 0:00 UTC),
            groups: groups(),
            identities: Arc::new([UserIdentity {
                id: "ada".into(),
                provider: "Basic".into(),
            }]),
        }),
        deployment: DeploymentInfo {
            gateway_id: "managed".into(),
            region: "West Europe".into(),
            service_name: "contoso-apim".into(),
            certificates: Arc::new([]),
        },
        last_error: Some(LastErrorInfo {
            source: "validate-client-certificate".into(),
            reason: "ClientCertificateNotFound".into(),
            message: "Client certificate missing".into(),
            scope: "api".into(),
            section: "inbound".into(),
            path: "choose[1]/when[1]".into(),
            policy_id: "check-cert".into(),
        }),
        request_id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        timestamp: Some(datetime!(2025-01-02 03:04:05 UTC)),
        elapsed: time::Duration::milliseconds(1500),
        tracing: true,
        method: Some("POST".into()),
        url: Some(url(
            "api.contoso.com",
            443,
            "/echo/resource/7",
            &[("a", &["1", "2"]), ("b", &["x"])],
            "?a=1&a=2&b=x",
        )),
        original_url: Some(url("gw.contoso.com", 8443, "/echo/resource/7", &[], "")),
        client_ip: Some("203.0.113.9".into()),
        matched_parameters: vec![("id".into(), "7".into())],
        status: Some((404, "Not Found".into())),
        ..StaticHost::default()
    }
    .with_request_header("Accept", "application/json")
    .with_request_header("Accept", "text/plain")
    .with_response_header("Content-Type", "application/json")
    .with_variable("flag", true)
}

#[test]
fn api_operation_product_subscription_user_deployment() {
    let host = full_host();
    let rows = [
        ("context.Api.Id", "echo-api"),
        ("context.Api.Name", "Echo API"),
        ("context.Api.Path", "echo"),
        ("context.Api.Protocols.First()", "https"),
        ("context.Api.ServiceUrl.Host", "backend.contoso.com"),
        (
            "context.Api.ServiceUrl.ToString()",
            "https://backend.contoso.com:8080/api",
        ),
        (
            "context.Api.SubscriptionKeyParameterNames.Header",
            "Ocp-Apim-Subscription-Key",
        ),
        (
            "context.Api.SubscriptionKeyParameterNames.Query",
            "subscription-key",
        ),
        ("context.Api.Revision", "3"),
        ("context.Api.Version", "v2"),
        ("context.Api.IsCurrentRevision", "True"),
        ("context.Operation.Id", "retrieve-resource"),
        ("context.Operation.Method", "GET"),
        ("context.Operation.Name", "Retrieve resource"),
        ("context.Operation.UrlTemplate", "/resource/{id}"),
        ("context.Product.Name", "Starter"),
        ("context.Product.State", "Published"),
        ("context.Product.SubscriptionRequired", "True"),
        ("context.Product.ApprovalRequired", "False"),
        ("context.Product.SubscriptionLimit", "1"),
        (
            "context.Product.Groups.Any(g => g.Id == \"admins\")",
            "True",
        ),
        ("context.Subscription.Key", "primary-key"),
        ("context.Subscription.SecondaryKey", "secondary-key"),
        (
            "context.Subscription.CreatedDate.ToString(\"o\")",
            "2024-05-06T07:08:09.0000000Z",
        ),
        ("context.Subscription.StartDate.Value.Day", "7"),
        ("context.Subscription.EndDate == null", "True"),
        ("context.User.Email", "ada@contoso.com"),
        (
            "context.User.FirstName + \" \" + context.User.LastName",
            "Ada Lovelace",
        ),
        (
            "string.Join(\",\", context.User.Groups.Select(g => g.Name))",
            "Developers,Administrators",
        ),
        ("context.Deployment.GatewayId", "managed"),
        ("context.Deployment.Region", "West Europe"),
        ("context.Deployment.ServiceName", "contoso-apim"),
        ("context.Deployment.Certificates.Count", "0"),
    ];
    for (text, expected) in rows {
        assert_eq!(eval_text(&format!("@({text})"), &host), expected, "{text}");
    }
}

#[test]
fn request_response_and_request_wide_members() {
    let host = full_host();
    let rows = [
        ("context.Request.Method", "POST"),
        ("context.Request.Url.Host", "api.contoso.com"),
        ("context.Request.Url.Port", "443"),
        ("context.Request.Url.Path", "/echo/resource/7"),
        ("context.Request.Url.QueryString", "?a=1&a=2&b=x"),
        (
            "context.Request.Url.Query.GetValueOrDefault(\"a\", \"\")",
            "1,2",
        ),
        ("context.Request.Url.Query[\"b\"][0]", "x"),
        ("context.Request.Url.Query.ContainsKey(\"c\")", "False"),
        (
            "context.Request.OriginalUrl.ToString()",
            "https://gw.contoso.com:8443/echo/resource/7",
        ),
        ("context.Request.IpAddress", "203.0.113.9"),
        ("context.Request.MatchedParameters[\"id\"]", "7"),
        (
            "context.Request.MatchedParameters.GetValueOrDefault(\"other\", \"none\")",
            "none",
        ),
        (
            "context.Request.Headers.GetValueOrDefault(\"accept\")",
            "application/json,text/plain",
        ),
        ("context.Request.Headers[\"Accept\"].Length", "2"),
        (
            "context.Request.Headers.GetValueOrDefault(\"Accept\", new string[0]).Length",
            "2",
        ),
        (
            "context.Request.Headers.GetValueOrDefault(\"Nope\", new string[0]).Length",
            "0",
        ),
        (
            "context.Request.Headers.ContainsKey(\"X-Missing\")",
            "False",
        ),
        ("context.Request.Headers.Count", "1"),
        ("context.Request.Body == null", "True"),
        ("context.Request.Certificate == null", "True"),
        ("context.Response.StatusCode", "404"),
        ("context.Response.StatusReason", "Not Found"),
        (
            "context.Response.Headers.GetValueOrDefault(\"Content-Type\", \"\")",
            "application/json",
        ),
        ("context.LastError.Source", "validate-client-certificate"),
        ("context.LastError.Reason", "ClientCertificateNotFound"),
        ("context.LastError.Message", "Client certificate missing"),
        (
            "context.LastError.Scope + \"/\" + context.LastError.Section",
            "api/inbound",
        ),
        ("context.LastError.Path", "choose[1]/when[1]"),
        ("context.LastError.PolicyId", "check-cert"),
        (
            "context.RequestId.ToString()",
            "01234567-89ab-cdef-0123-456789abcdef",
        ),
        (
            "context.Timestamp.ToString(\"yyyy-MM-dd HH:mm:ss\")",
            "2025-01-02 03:04:05",
        ),
        ("context.Elapsed.TotalMilliseconds", "1500"),
        ("context.Tracing", "True"),
        (
            "context.Variables.ContainsKey(\"flag\") && (bool)context.Variables[\"flag\"]",
            "True",
        ),
        (
            "context.Variables.GetValueOrDefault<bool>(\"missing\")",
            "False",
        ),
        ("context.Variables.Count", "1"),
    ];
    for (text, expected) in rows {
        assert_eq!(eval_text(&format!("@({text})"), &host), expected, "{text}");
    }
}

#[test]
fn absent_objects_are_null() {
    let host = StaticHost::default();
    for member in [
        "Api",
        "Operation",
        "Product",
        "Subscription",
        "User",
        "LastError",
    ] {
        assert_eq!(
            eval(&format!("@(context.{member} == null)"), &host),
            Value::Bool(true),
            "{member}"
        );
    }
    assert_eq!(
        eval_text("@(context.Subscription?.Name ?? \"anonymous\")", &host),
        "anonymous"
    );
}

#[test]
fn trace_reaches_the_host() {
    let host = full_host();
    let block = "@{ context.Trace(\"checked \" + context.Request.Method); return true; }";

    assert_eq!(eval(block, &host), Value::Bool(true));
    assert_eq!(host.traced(), vec!["checked POST".to_owned()]);
}

#[test]
fn variable_type_mismatch_throws_invalid_cast() {
    let host = full_host();
    let error = support::expr("@(context.Variables.GetValueOrDefault<string>(\"flag\"))")
        .evaluate(&host)
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "Expression evaluation failed. Unable to cast object of type 'System.Boolean' to type 'System.String'."
    );
}
