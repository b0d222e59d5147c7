//! Expressions taken from the APIM policy corpus (`shared/corpus/apim-policies`, file named in
//! each row), evaluated against a built context with the values APIM would produce.

mod support;

use std::sync::Arc;

use gatehouse_expr::context::{
    ApiInfo, LastErrorInfo, MessageData, OperationInfo, ProductInfo, SubscriptionInfo, UrlInfo,
};
use gatehouse_expr::{MessagePart, MessageRef, StaticHost, Value};
use support::{eval, eval_text};
use time::macros::datetime;

fn url(path: &str, query: &[(&str, &str)]) -> UrlInfo {
    let query_string = if query.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("?{}", pairs.join("&"))
    };
    UrlInfo {
        scheme: "https".into(),
        host: "contoso.azure-api.net".into(),
        port: 443,
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| ((*k).into(), Arc::from([(*v).into()])))
            .collect(),
        query_string: query_string.into(),
    }
}

/// A request to `GET https://contoso.azure-api.net/map/default/route?api-version=1.0`.
fn host() -> StaticHost {
    StaticHost {
        api: Some(ApiInfo {
            id: "echo-api".into(),
            name: "Echo API".into(),
            path: "map".into(),
            ..ApiInfo::default()
        }),
        operation: Some(OperationInfo {
            id: "get-route".into(),
            method: "GET".into(),
            ..OperationInfo::default()
        }),
        product: Some(ProductInfo {
            id: "starter".into(),
            name: "Starter".into(),
            ..ProductInfo::default()
        }),
        subscription: Some(SubscriptionInfo {
            id: "sub-1".into(),
            key: "k3y".into(),
            name: "demo".into(),
            primary_key: "k3y".into(),
            secondary_key: "s3c".into(),
            created_date: datetime!(2024-01-01 0:00 UTC),
            start_date: None,
            end_date: None,
        }),
        url: Some(url("/map/default/route", &[("api-version", "1.0")])),
        matched_parameters: vec![("cacheKey".into(), "tenant_42".into())],
        now: Some(datetime!(2025-03-04 05:06:07 UTC)),
        ..StaticHost::default()
    }
    .with_request_header("Origin", "https://app.contoso.com")
    .with_request_header("Content-Length", "128")
    .with_request_header("cookie", "theme=dark; oidcsession=abc123; x=1")
}

fn token_response(body: &str) -> Value {
    let data = MessageData {
        status_code: 200,
        status_reason: "OK".into(),
        headers: Arc::new([]),
        body: Some(Arc::from(body.as_bytes())),
    };
    Value::Message(MessageRef {
        data: Arc::new(data),
        part: MessagePart::Whole,
    })
}

#[test]
fn url_and_matched_parameter_expressions() {
    let host = host();
    // apim-samples/azure-maps_map_default_route_v2_aad_get.xml
    assert_eq!(
        eval_text(
            r#"@(context.Request.OriginalUrl.Path.Substring("/map/default".Length))"#,
            &host
        ),
        "/route"
    );
    // policy-toolkit/managed-identity-find-replace.xml
    assert_eq!(
        eval_text(
            r#"@($"{context.Request.OriginalUrl.Scheme}://{context.Request.OriginalUrl.Host}" + context.Api.Path)"#,
            &host
        ),
        "https://contoso.azure-api.net".to_owned() + "map"
    );
    // apim-samples/dynamic-cors_admin-clear-cache.xml
    assert_eq!(
        eval_text(r#"@(context.Request.MatchedParameters["cacheKey"])"#, &host),
        "tenant_42"
    );
    assert_eq!(
        eval_text("@(context.Request.Url.ToString())", &host),
        "https://contoso.azure-api.net/map/default/route?api-version=1.0"
    );
    assert_eq!(
        eval_text(
            r#"@(context.Request.Url.Query.GetValueOrDefault("api-version", ""))"#,
            &host
        ),
        "1.0"
    );
}

#[test]
fn header_expressions() {
    let host = host();
    // apim-samples/dynamic-cors_admin-load-cache.xml
    assert_eq!(
        eval(
            r#"@(int.Parse(context.Request.Headers.GetValueOrDefault("Content-Length", "0")) > 65536)"#,
            &host
        ),
        Value::Bool(false)
    );
    // apim-samples/dynamic-cors_pf-dynamic-cors-cached-per-api.xml
    assert_eq!(
        eval_text(
            r#"@(context.Request.Headers.GetValueOrDefault("Origin", ""))"#,
            &host
        ),
        "https://app.contoso.com"
    );
    // policy-snippets/oauth-proxy_oauth-proxy-sign-out.xml
    let session = r#"@(context.Request.Headers.ContainsKey("cookie") ? context.Request.Headers["cookie"].First().Split(';').Select(cookie => cookie.Trim().Split('=')).SingleOrDefault(cookie => cookie[0] == "oidcsession")?[1] ?? string.Empty : string.Empty)"#;
    assert_eq!(eval_text(session, &host), "abc123");
    assert_eq!(eval_text(session, &StaticHost::default()), "");
    // apim-samples/shared_request-headers.xml
    let listing = r#"@{
                    var headers = context.Request.Headers
                        .OrderBy(h => h.Key)
                        .Select(h => $"{h.Key}: {h.Value[0]}");
                    return string.Join("\n", headers);
                }"#;
    assert_eq!(
        eval_text(listing, &host),
        "Content-Length: 128\ncookie: theme=dark; oidcsession=abc123; x=1\nOrigin: https://app.contoso.com"
    );
}

#[test]
fn variable_expressions() {
    let host = host()
        .with_variable("urlId", 2)
        .with_variable("apiId", "orders")
        .with_variable("storageAccount", "acct");
    // policy-snippets/Random-load-balancer.xml
    assert_eq!(
        eval(
            r#"@(context.Variables.GetValueOrDefault<int>("urlId") == 2)"#,
            &host
        ),
        Value::Bool(true)
    );
    // apim-samples/shared_api-id.xml
    let api_id = r#"@{
                    var apiId = context.Variables.GetValueOrDefault<string>("apiId", string.Empty);
                    return (string.IsNullOrEmpty(apiId)) ? "No API ID extracted." : string.Format("Extracted API ID: {0}", apiId);
                }"#;
    assert_eq!(eval_text(api_id, &host), "Extracted API ID: orders");
    assert_eq!(eval_text(api_id, &self::host()), "No API ID extracted.");
    // apim-samples/secure-blob-access_blob-get-operation.xml
    let blob = r#"@($"https://{(string)context.Variables["storageAccount"]}.blob.core.windows.net/{(string)context.Variables["storageAccount"]}")"#;
    assert_eq!(
        eval_text(blob, &host),
        "https://acct.blob.core.windows.net/acct"
    );
    // the documentation's example
    let max_age = r#"@(context.Variables.ContainsKey("maxAge") ? int.Parse((string)context.Variables["maxAge"]) : 3600)"#;
    assert_eq!(eval(max_age, &host), Value::Int(3600));
    assert_eq!(
        eval(max_age, &host.with_variable("maxAge", "60")),
        Value::Int(60)
    );
}

#[test]
fn json_expressions() {
    let host = host()
        .with_variable(
            "sas-response",
            token_response(r#"{"accountSasToken":"sv=2024&sig=x"}"#),
        )
        .with_variable(
            "bearerToken",
            token_response(r#"{"access_token":"eyJ0","expires_in":3599}"#),
        )
        .with_variable(
            "mcpClientData",
            r#"{"mcpCallbackRedirectUri":"https://client/cb"}"#,
        );
    // apim-samples/azure-maps_map_default_route_v2_aad_get.xml
    assert_eq!(
        eval_text(
            r#"@(((IResponse)context.Variables["sas-response"]).Body.As<JObject>()["accountSasToken"].ToString())"#,
            &host
        ),
        "sv=2024&sig=x"
    );
    // policy-snippets-deleted/Add-Azure-AD-OAuth2-bearer-token-to-request-to-AD-protected-API.xml
    assert_eq!(
        eval_text(
            r#"@("Bearer " + (String)((IResponse)context.Variables["bearerToken"]).Body.As<JObject>()["access_token"])"#,
            &host
        ),
        "Bearer eyJ0"
    );
    // ai-gateway/mcp-client-authorization_src_apim-oauth_oauth-callback.xml
    let callback = r#"@{
            var mcpAuthDataAsJObject = JObject.Parse((string)context.Variables["mcpClientData"]);
            return mcpAuthDataAsJObject["mcpCallbackRedirectUri"];
        }"#;
    assert_eq!(eval_text(callback, &host), "https://client/cb");
    // policy-snippets/Return-HTTP-405-if-the-HTTP-Method-of-the-request-is-not-defined.xml
    let not_allowed = r#"@{
                        return new JObject(
                            new JProperty("status", "HTTP 405"),
                            new JProperty("message", "Method not allowed")
                        ).ToString();
                    }"#;
    assert_eq!(
        eval_text(not_allowed, &host),
        "{\n  \"status\": \"HTTP 405\",\n  \"message\": \"Method not allowed\"\n}"
    );
}

#[test]
fn body_expressions() {
    let host = host()
        .with_request_body(r#"{"model":"gpt-4o","messages":[{"role":"user"}],"stream":true}"#);
    // ai-gateway/model-routing_policy.xml
    let body = "@(context.Request.Body?.As<JObject>(preserveContent:true)\n                             ?? new JObject())";
    assert_eq!(
        eval_text(body, &host).lines().nth(1),
        Some("  \"model\": \"gpt-4o\",")
    );
    assert_eq!(eval_text(body, &self::host()), "{}");
    let model = r#"@((string)context.Request.Body.As<JObject>(preserveContent: true)["model"])"#;
    assert_eq!(eval_text(model, &host), "gpt-4o");
    let stream = r#"@(context.Request.Body.As<JObject>(true)["stream"].Value<bool>())"#;
    assert_eq!(eval(stream, &host), Value::Bool(true));
    let count = r#"@(((JArray)context.Request.Body.As<JObject>(true)["messages"]).Count)"#;
    assert_eq!(eval(count, &host), Value::Int(1));
}

#[test]
fn context_object_expressions() {
    let host = host();
    // apim-samples/shared_require-product.xml
    assert_eq!(
        eval("@(context.Product == null)", &host),
        Value::Bool(false)
    );
    assert_eq!(
        eval("@(context.Product == null)", &StaticHost::default()),
        Value::Bool(true)
    );
    // policy-snippets/Filter-response-content-based-on-product-name.xml
    assert_eq!(
        eval(
            r#"@(context.Response.StatusCode == 200 && context.Product.Name.Equals("Starter"))"#,
            &host
        ),
        Value::Bool(true)
    );
    // devops-resource-kit/demo_Input_operationRateLimit.xml
    assert_eq!(eval_text("@(context.Subscription.Id)", &host), "sub-1");
    // apim-samples/shared_fragments_pf-product-match-any.xml (simplified)
    assert_eq!(
        eval_text(
            "@(context.Product?.Id ?? string.Empty)",
            &StaticHost::default()
        ),
        ""
    );
    // apim-samples/inference-failover_inference-api-policy-with-retry-tracked.xml
    let retry = r#"@(context.Response != null && (context.Response.StatusCode == 500 || context.Response.StatusCode == 502 || context.Response.StatusCode == 503 || context.Response.StatusCode == 504))"#;
    let failing = StaticHost {
        status: Some((503, "Service Unavailable".into())),
        ..StaticHost::default()
    };
    assert_eq!(eval(retry, &failing), Value::Bool(true));
    assert_eq!(eval(retry, &host), Value::Bool(false));
}

#[test]
fn last_error_expressions() {
    let error = LastErrorInfo {
        source: "forward-request".into(),
        reason: "Timeout".into(),
        ..LastErrorInfo::default()
    };
    let host = StaticHost {
        last_error: Some(error),
        ..StaticHost::default()
    };
    // apim-samples/inference-failover_inference-api-policy-with-retry-tracked.xml
    let transient = r#"@(context.LastError != null && (context.LastError.Reason == "BackendConnectionFailure" || context.LastError.Reason == "Timeout"))"#;
    assert_eq!(eval(transient, &host), Value::Bool(true));
    assert_eq!(eval(transient, &StaticHost::default()), Value::Bool(false));
    // apim-samples/oauth-3rd-party_spotify_api.xml
    assert_eq!(
        eval(
            r#"@(context.LastError.Source == "get-authorization-context")"#,
            &host
        ),
        Value::Bool(false)
    );
}

#[test]
fn date_and_encoding_expressions() {
    let host = host();
    // apim-samples/secure-blob-access_pf-create-sas-token.xml
    assert_eq!(
        eval_text(
            r#"@(DateTime.UtcNow.AddMinutes(10).ToString("yyyy-MM-ddTHH:mm:ssZ"))"#,
            &host
        ),
        "2025-03-04T05:16:07Z"
    );
    // policy-snippets-deleted/SharedKey.xml
    assert_eq!(
        eval_text(r#"@(DateTime.UtcNow.ToString("R"))"#, &host),
        "Tue, 04 Mar 2025 05:06:07 GMT"
    );
    assert_eq!(
        eval_text(r#"@(DateTime.UtcNow.ToString("o"))"#, &host),
        "2025-03-04T05:06:07.0000000Z"
    );
    assert_eq!(
        eval(r#"@(DateTimeOffset.UtcNow.ToUnixTimeSeconds())"#, &host),
        Value::Long(1_741_064_767)
    );
    // ai-gateway/mcp-client-authorization_src_apim-oauth_authorize.xml
    assert_eq!(
        eval_text(
            r#"@((string)Guid.NewGuid().ToString().Replace("-", ""))"#,
            &host
        )
        .len(),
        32
    );
    let basic = r#"@("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("user:pass")))"#;
    assert_eq!(eval_text(basic, &host), "Basic dXNlcjpwYXNz");
    let decoded =
        r#"@(Encoding.UTF8.GetString(Convert.FromBase64String("dXNlcjpwYXNz")).Split(':')[0])"#;
    assert_eq!(eval_text(decoded, &host), "user");
    assert_eq!(
        eval_text(r#"@(System.Net.WebUtility.UrlEncode("a b&c"))"#, &host),
        "a+b%26c"
    );
    assert_eq!(
        eval_text(r#"@(Uri.EscapeDataString("a b/c"))"#, &host),
        "a%20b%2Fc"
    );
}

fn jwt_value(payload: &str) -> Value {
    use base64::Engine;
    let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let token = format!("{}.{}.sig", encode(r#"{"alg":"RS256"}"#), encode(payload));
    Value::Jwt(Arc::new(
        gatehouse_expr::Jwt::parse(&token).expect("valid token"),
    ))
}

#[test]
fn authorization_fragments() {
    // apim-samples/shared_fragments_pf-authz-match-any.xml
    let match_any = r#"@{
            var jwt = (Jwt)context.Variables["jwt"];
            var allowedRoleGuids = context.Variables.GetValueOrDefault<string>("authz_roles", "").ToString().Split(',');
            var jwtRoles = jwt.Claims.GetValueOrDefault("roles", new string[0]);

            // Check if NO allowed role GUID matches any role in the JWT
            return !allowedRoleGuids.Any(allowedRole => jwtRoles.Contains(allowedRole.Trim()));
        }"#;
    let host = StaticHost::default()
        .with_variable("jwt", jwt_value(r#"{"roles":["role-a","role-b"]}"#))
        .with_variable("authz_roles", "role-x, role-b");
    assert_eq!(eval(match_any, &host), Value::Bool(false));
    let partial = StaticHost::default()
        .with_variable("jwt", jwt_value(r#"{"roles":["role-abc"]}"#))
        .with_variable("authz_roles", "role-a");
    assert_eq!(
        eval(match_any, &partial),
        Value::Bool(true),
        "array membership, not substring"
    );

    // apim-samples/shared_fragments_pf-product-match-any.xml
    let product = r#"@{
            var allowedProducts = context.Variables.GetValueOrDefault<string>("products", "").ToString().Split(',');
            var contextProduct = context.Product?.Id ?? string.Empty;

            // Check if NO allowed product matches the product names in the context
            return !allowedProducts.Any(product => contextProduct.Contains(product));
        }"#;
    assert_eq!(
        eval(
            product,
            &self::host().with_variable("products", "starter,gold")
        ),
        Value::Bool(false)
    );
}

#[test]
fn dynamic_cors_fragment() {
    // apim-samples/dynamic-cors_pf-dynamic-cors-cached.xml
    let cors = r#"@{
        var origin = context.Request.Headers.GetValueOrDefault("Origin", "");
        if (string.IsNullOrEmpty(origin)) { return ""; }

        var corsMappingJson = context.Variables.GetValueOrDefault<string>("corsMappingJson", "{}");
        var corsMapping = JObject.Parse(corsMappingJson);

        var apiId = context.Api.Id;
        var allowedOrigins = corsMapping[apiId] as JArray;

        if (allowedOrigins == null) { return ""; }
        if (allowedOrigins.Any(o => o.ToString() == "*")) { return origin; }
        if (allowedOrigins.Any(o => o.ToString() == origin)) { return origin; }

        return "";
    }"#;
    let allowed = host().with_variable(
        "corsMappingJson",
        r#"{"echo-api":["https://app.contoso.com"]}"#,
    );
    assert_eq!(eval_text(cors, &allowed), "https://app.contoso.com");
    let other = host().with_variable("corsMappingJson", r#"{"echo-api":["https://elsewhere"]}"#);
    assert_eq!(eval_text(cors, &other), "");
    assert_eq!(eval_text(cors, &host()), "");
}
