//! Conformance on the shared corpus of real APIM policies: every document is compiled (not
//! just read) in an environment that defines what the corpus refers to, and the outcome is
//! written to `target/conformance/policy-corpus.json`:
//! `{"files", "parsed", "compiled", "unsupported": {"element": count}, "failed": [...]}`.
//!
//! The files that do not compile are exactly the ones listed below, each with its reason: a
//! policy needs a service this gateway does not have; the file is not a valid APIM policy as
//! written (a template with placeholders, a typo, a bare snippet); an expression uses C# the
//! expression language refuses; or a policy is one this gateway does not run yet.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use gatehouse_policy::compile::{Environment, ScopeLevel, check_fragment, compile_document_with};
use gatehouse_policy::reader::{self, Diagnostic};
use gatehouse_policy::runtime::{ClientIdentity, Url};
use serde_json::json;

/// Files that need a service Gatehouse does not have, and which.
const NEEDS_SERVICE: &[(&str, &str)] = &[
    (
        "apim-policies/ai-gateway/_deprecated_GPT-4o-inferencing_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_advanced-load-balancing_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_backend-circuit-breaking_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_content-filtering_content-filtering-policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_content-filtering_contentsafety-policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_content-filtering_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_content-filtering_prompt-shield-policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_developer-tooling_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_function-calling_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_prompt-flow_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_request-forwarding_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_response-streaming_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_vector-searching_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_vector-searching_searchindex-policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/_deprecated_vector-searching_searchservice-policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/access-controlling_policy.xml",
        "needs Microsoft Entra ID (<validate-azure-ad-token>)",
    ),
    (
        "apim-policies/ai-gateway/ai-agent-service_policy.xml",
        "needs Azure Monitor (<azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/ai-agent-service_v1_inference-policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <llm-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/ai-agent-service_v1_openai-policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-deepseek_policy.xml",
        "needs Azure Monitor, a language-model token counter (<llm-emit-token-metric>, <llm-token-limit>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-hosted-agents-custom-framework_hosted-agent-policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-hosted-agents-custom-framework_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-hosted-agents_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-model-gateway_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-private-mcp_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-private-mcp_src_place-order_mcp-server_policy.xml",
        "needs fetching OpenID configuration (<openid-config>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-sdk_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-toolbox_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/ai-foundry-toolbox_toolbox-policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/azure-ml-models_policy.xml",
        "needs Azure Monitor (<llm-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/azure-ml-models_src_ml-prediction_api_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/backend-pool-load-balancing-tf_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/content-safety_policy.xml",
        "needs Azure AI Content Safety (<llm-content-safety>)",
    ),
    (
        "apim-policies/ai-gateway/foundry-e2e-private_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/foundry-iq-agent-svc_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/foundry-iq-agent-svc_src_mcp-server_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/foundry-iq-agentfw_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/gemini-mcp-agents_policy.xml",
        "needs Azure AI Content Safety, Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>, <llm-content-safety>)",
    ),
    (
        "apim-policies/ai-gateway/ghcp-byok-foundry_apikey-policy.xml",
        "needs Azure Monitor, a language-model token counter (<llm-emit-token-metric>, <llm-token-limit>)",
    ),
    (
        "apim-policies/ai-gateway/ghcp-byok-foundry_entra-policy.xml",
        "needs Azure Monitor, Microsoft Entra ID, a language-model token counter, an Azure managed identity (<authentication-managed-identity>, <llm-emit-token-metric>, <llm-token-limit>, <validate-azure-ad-token>)",
    ),
    (
        "apim-policies/ai-gateway/google-gemini-api_policy.xml",
        "needs Azure Monitor (<azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/image-generation_policy.xml",
        "needs Microsoft Entra ID (<validate-azure-ad-token>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-a2a-agents_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-client-authorization_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-client-authorization_src_apim-oauth_consent.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-client-authorization_src_apim-oauth_oauth-callback.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-client-authorization_src_apim-oauth_register.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-client-authorization_src_apim-oauth_token.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-from-api_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-from-api_src_place-order_mcp-server_policy.xml",
        "needs fetching OpenID configuration (<openid-config>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-from-api_src_product-catalog_mcp-server_policy.xml",
        "needs fetching OpenID configuration (<openid-config>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-prm-oauth_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/mcp-prm-oauth_src_bicep_apim-mcp_mcp-api.xml",
        "needs Microsoft Entra ID (<validate-azure-ad-token>)",
    ),
    (
        "apim-policies/ai-gateway/model-context-protocol_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/model-context-protocol_src_github_apim-api_policy.xml",
        "needs the APIM credential manager (<get-authorization-context>)",
    ),
    (
        "apim-policies/ai-gateway/model-context-protocol_src_servicenow_apim-api_operation-policy.xml",
        "needs the APIM credential manager (<get-authorization-context>)",
    ),
    (
        "apim-policies/ai-gateway/modules_apim-streamable-mcp_auth-client-policy.xml",
        "needs fetching OpenID configuration (<openid-config>)",
    ),
    (
        "apim-policies/ai-gateway/openai-agents_policy.xml",
        "needs Azure Monitor, an Azure managed identity (<authentication-managed-identity>, <azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/private-connectivity_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/realtime-audio_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/realtime-mcp-agents_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/realtime-mcp-agents_src_spotify_apim-api_policy.xml",
        "needs the APIM credential manager (<get-authorization-context>)",
    ),
    (
        "apim-policies/ai-gateway/secure-responses-api_secure-policy.xml",
        "needs Microsoft Entra ID (<validate-azure-ad-token>)",
    ),
    (
        "apim-policies/ai-gateway/semantic-caching_policy.xml",
        "needs a vector cache (<azure-openai-semantic-cache-lookup>, <azure-openai-semantic-cache-store>)",
    ),
    (
        "apim-policies/ai-gateway/session-awareness_policy.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/ai-gateway/token-metrics-emitting_policy.xml",
        "needs Azure Monitor (<azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/ai-gateway/token-rate-limiting_policy.xml",
        "needs a language-model token counter (<llm-token-limit>)",
    ),
    (
        "apim-policies/apim-samples/azure-maps_map_default_route_v2_aad_get.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/apim-samples/azure-maps_map_geocode_v2_aad_get.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/apim-samples/costing_aoai-gateway-operation.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/apim-samples/costing_aoai-gateway-responses-operation.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/apim-samples/costing_emit_metric_caller_id.xml",
        "needs Azure Monitor (<emit-metric>)",
    ),
    (
        "apim-policies/apim-samples/costing_emit_metric_caller_tokens.xml",
        "needs Azure Monitor (<emit-metric>)",
    ),
    (
        "apim-policies/apim-samples/oauth-3rd-party_spotify_api.xml",
        "needs the APIM credential manager (<get-authorization-context>)",
    ),
    (
        "apim-policies/apim-samples/secure-blob-access_blob-get-operation.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/apim-samples/secure-blob-access_pf-check-blob-existence-via-managed-identity.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/apim-samples/secure-blob-access_pf-create-sas-token.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets-deleted/Simple-Google-OAuth-validate-jwt.xml",
        "needs fetching OpenID configuration (<openid-config>)",
    ),
    (
        "apim-policies/policy-snippets/Authenticate-using-Managed-Identity-to-access-Event-Hub.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/Authenticate-using-Managed-Identity-to-access-Service-Bus.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/Authenticate-using-Managed-Identity-to-access-Storage-Account.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/DELETE-a-from-to-blobStorage-account.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/GET-a-file-from-blobStorage-account.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/Handle-Power-Query-access-request-to-custom-API.xml",
        "needs fetching OpenID configuration (<openid-config>)",
    ),
    (
        "apim-policies/policy-snippets/Look-up-Key-Vault-certificate-using-Managed-Service-Identity-and-call-ba.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/Look-up-Key-Vault-secret-using-Managed-Service-Identity.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/PUT-a-file-to-blobStorage-account.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/Request-OAuth2-access-token-from-SAP-using-AAD-JWT-token.xml",
        "needs an Azure managed identity, fetching OpenID configuration (<authentication-managed-identity>, <openid-config>)",
    ),
    (
        "apim-policies/policy-snippets/Request-OAuth2-access-token-from-SuccessFactors-using-AAD-JWT-token.xml",
        "needs an Azure managed identity, fetching OpenID configuration (<authentication-managed-identity>, <openid-config>)",
    ),
    (
        "apim-policies/policy-snippets/Return-a-blob-URL-signed-with-a-user-delegation-SAS-token.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/Trigger-Azure-Data-Factory-Pipeline-With-Parameters.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/Trigger-Azure-Data-Factory-Pipeline.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-snippets/oauth-proxy_oauth-proxy-validate-token-fragment.xml",
        "needs Microsoft Entra ID (<validate-azure-ad-token>)",
    ),
    (
        "apim-policies/policy-toolkit/azure-openai-emit-token-metric.xml",
        "needs Azure Monitor (<azure-openai-emit-token-metric>)",
    ),
    (
        "apim-policies/policy-toolkit/azure-openai-semantic-cache-lookup.xml",
        "needs a vector cache (<azure-openai-semantic-cache-lookup>)",
    ),
    (
        "apim-policies/policy-toolkit/azure-openai-semantic-cache-store.xml",
        "needs a vector cache (<azure-openai-semantic-cache-store>)",
    ),
    (
        "apim-policies/policy-toolkit/cache-value.xml",
        "needs a documented definition (toolkit only) (<cache-value>)",
    ),
    (
        "apim-policies/policy-toolkit/emit-metric.xml",
        "needs Azure Monitor (<emit-metric>)",
    ),
    (
        "apim-policies/policy-toolkit/get-authorization-context.xml",
        "needs the APIM credential manager (<get-authorization-context>)",
    ),
    (
        "apim-policies/policy-toolkit/llm-content-safety.xml",
        "needs Azure AI Content Safety (<llm-content-safety>)",
    ),
    (
        "apim-policies/policy-toolkit/llm-emit-token-metric.xml",
        "needs Azure Monitor (<llm-emit-token-metric>)",
    ),
    (
        "apim-policies/policy-toolkit/llm-semantic-cache-store.xml",
        "needs a vector cache (<llm-semantic-cache-store>)",
    ),
    (
        "apim-policies/policy-toolkit/log-to-eventhub.xml",
        "needs Azure Event Hubs (<log-to-eventhub>)",
    ),
    (
        "apim-policies/policy-toolkit/managed-identity-find-replace.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-toolkit/managed-identity-fragment.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-toolkit/named-value-identity-mirror.xml",
        "needs an Azure managed identity (<authentication-managed-identity>)",
    ),
    (
        "apim-policies/policy-toolkit/send-service-bus-message.xml",
        "needs Azure Service Bus (<send-service-bus-message>)",
    ),
    (
        "apim-policies/policy-toolkit/set-backend-service.xml",
        "needs Service Fabric (sf-* attributes) (<set-backend-service>)",
    ),
    (
        "apim-policies/policy-toolkit/validate-azure-ad-token.xml",
        "needs Microsoft Entra ID (<validate-azure-ad-token>)",
    ),
    (
        "apim-policies/policy-toolkit/validate-content.xml",
        "needs API schemas (<validate-content>)",
    ),
    (
        "apim-policies/policy-toolkit/validate-headers.xml",
        "needs API schemas (<validate-headers>)",
    ),
    (
        "apim-policies/policy-toolkit/validate-odata-request.xml",
        "needs API schemas (<validate-odata-request>)",
    ),
    (
        "apim-policies/policy-toolkit/validate-parameters.xml",
        "needs API schemas (<validate-parameters>)",
    ),
    (
        "apim-policies/policy-toolkit/xsl-transform.xml",
        "needs an XSLT processor (<xsl-transform>)",
    ),
];

/// Files that are not valid APIM policies as written, and why, beyond the ones the schema
/// already refuses (`support::INVALID_FOR_THE_SCHEMA`).
const INVALID: &[(&str, &str)] = &[
    (
        "apim-policies/policy-snippets-deleted/Loopback-request-for-service-at-same-apim.xml",
        "quotes mangled in the snippet (\"x=\"\"\") break the C#",
    ),
    (
        "apim-policies/policy-snippets/Call-out-to-an-HTTP-endpoint-and-cache-the-response.xml",
        "quotes mangled in the snippet (\"x=\"\"\") break the C#",
    ),
    (
        "apim-policies/policy-snippets/Loopback-request-for-service-at-same-API-Management-service.xml",
        "quotes mangled in the snippet (\"x=\"\"\") break the C#",
    ),
    (
        "apim-policies/policy-snippets/Pre-authorize-requests-based-on-HTTP-method-with-validate-jwt.xml",
        "quotes mangled in the snippet (\"x=\"\"\") break the C#",
    ),
    (
        "apim-policies/ai-gateway/backend-pool-load-balancing_policy.xml",
        "template placeholder {backend-id}",
    ),
    (
        "apim-policies/ai-gateway/built-in-logging_policy.xml",
        "template placeholder {backend-id}",
    ),
    (
        "apim-policies/ai-gateway/foundry-models-evals_policy.xml",
        "template placeholder {backend-id}",
    ),
    (
        "apim-policies/ai-gateway/gemini-models_policy.xml",
        "template placeholder {backend-id}",
    ),
    (
        "apim-policies/ai-gateway/message-storing_policy.xml",
        "template placeholder {backend-id}",
    ),
    (
        "apim-policies/ai-gateway/secure-responses-api_policy.xml",
        "template placeholder {backend-id}",
    ),
    (
        "apim-policies/ai-gateway/serverless-gpu_policy.xml",
        "template placeholder {backend-id}",
    ),
    (
        "apim-policies/apim-samples/authX-pro_hr_product.xml",
        "template placeholder {jwt_signing_key}",
    ),
    (
        "apim-policies/apim-samples/authX-pro_pf-authx-hr-member.xml",
        "template placeholder {jwt_signing_key}",
    ),
    (
        "apim-policies/apim-samples/authX_hr_all_operations.xml",
        "template placeholder {jwt_signing_key}",
    ),
    (
        "apim-policies/apim-samples/dynamic-cors_cors-api-policy.xml",
        "template placeholder {fragment_id}",
    ),
    (
        "apim-policies/apim-samples/secure-blob-access_pf-authx-hr-member.xml",
        "template placeholder {jwt_signing_key}",
    ),
    (
        "apim-policies/apim-samples/shared_backend.xml",
        "template placeholder {backend_id}",
    ),
    (
        "apim-policies/policy-snippets/Generate-Azure-Relay-Token.xml",
        "empty base-url",
    ),
];

/// Files whose expressions use C# or .NET that Gatehouse's expression language refuses (see
/// the expression crate's README, "What it refuses").
const EXPRESSION_GAPS: &[(&str, &str)] = &[(
    "apim-policies/policy-snippets/Extract-value-from-XML.xml",
    "XmlReader, which is outside the LINQ to XML subset and not among the types APIM documents as allowed",
)];

/// The outcome for one corpus file.
struct Outcome {
    file: String,
    read: Vec<Diagnostic>,
    compile: Vec<Diagnostic>,
}

impl Outcome {
    fn parsed(&self) -> bool {
        self.read.is_empty()
    }

    fn compiled(&self) -> bool {
        self.parsed() && self.compile.is_empty()
    }
}

fn compile(file: String, text: &str, env: &Environment) -> Outcome {
    let (document, read) = reader::read(text);
    let is_fragment = document.root().is_some_and(|r| r.name == "fragment");
    let compiled = if is_fragment {
        check_fragment(text, env)
    } else {
        compile_document_with(text, ScopeLevel::Api, env).map(|_| ())
    };
    Outcome {
        file,
        read,
        compile: compiled.err().unwrap_or_default(),
    }
}

#[test]
fn every_corpus_policy_compiles_except_the_listed_ones() {
    let Some(corpus) = support::corpus_dir() else {
        return;
    };
    let env = environment(&corpus);
    let outcomes: Vec<Outcome> = support::policy_files(&corpus)
        .into_iter()
        .map(|(file, text)| compile(file, &text, &env))
        .collect();
    write_report(&outcomes);

    let unread: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.parsed())
        .map(|o| &o.file)
        .collect();
    assert!(
        unread.is_empty(),
        "corpus files the reader refused: {unread:#?}"
    );

    let failed: BTreeSet<&str> = outcomes
        .iter()
        .filter(|o| !o.compiled())
        .map(|o| o.file.as_str())
        .collect();
    let expected: BTreeSet<&str> = NEEDS_SERVICE
        .iter()
        .chain(support::INVALID_FOR_THE_SCHEMA)
        .chain(INVALID)
        .chain(EXPRESSION_GAPS)
        .map(|(file, _)| *file)
        .collect();
    let unexpected: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.compiled() && !expected.contains(o.file.as_str()))
        .map(|o| {
            (
                &o.file,
                o.compile
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let now_compiling: Vec<_> = expected.difference(&failed).collect();
    assert!(
        unexpected.is_empty() && now_compiling.is_empty(),
        "unexpected failures: {unexpected:#?}\nlisted but compiling: {now_compiling:#?}"
    );
}

/// The element a "not supported by this gateway" diagnostic names.
fn unsupported_element(diagnostic: &Diagnostic) -> Option<String> {
    if !diagnostic.message.contains("not supported by this gateway") {
        return None;
    }
    let start = diagnostic.message.find('<')? + 1;
    let end = start + diagnostic.message[start..].find('>')?;
    Some(diagnostic.message[start..end].to_owned())
}

fn write_report(outcomes: &[Outcome]) {
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed = Vec::new();
    for outcome in outcomes {
        for diagnostic in outcome.read.iter().chain(&outcome.compile) {
            if let Some(element) = unsupported_element(diagnostic) {
                *unsupported.entry(element).or_default() += 1;
            }
            failed.push(json!({"file": outcome.file, "line": diagnostic.line, "column": diagnostic.column, "message": diagnostic.message}));
        }
    }
    let report = json!({
        "files": outcomes.len(),
        "parsed": outcomes.iter().filter(|o| o.parsed()).count(),
        "compiled": outcomes.iter().filter(|o| o.compiled()).count(),
        "unsupported": unsupported,
        "failed": failed,
    });
    let dir = support::conformance_dir();
    std::fs::create_dir_all(&dir).expect("the conformance directory can be created");
    let text = serde_json::to_string_pretty(&report).expect("the report serialises");
    std::fs::write(dir.join("policy-corpus.json"), text + "\n").expect("the report can be written");
}

// ----- the environment the corpus assumes -----

/// Named values, fragments, backends and certificates that corpus policies refer to, as a
/// deployment of them would define them.
fn environment(corpus: &std::path::Path) -> Environment {
    let mut env = Environment::new();
    for (name, value) in named_values(corpus) {
        env = env.with_named_value(&name, &value, name.to_ascii_lowercase().contains("secret"));
    }
    for (id, file) in FRAGMENTS {
        let text = std::fs::read_to_string(corpus.join(file)).expect("the fragment file exists");
        env = env.with_fragment(id, &text);
    }
    for id in BACKENDS {
        let url = Url::parse(&format!("https://{id}.example.com/")).expect("a valid URL");
        env = env.with_backend(id, url);
    }
    // The certificate with a private key that `authentication-certificate` policies name by
    // thumbprint (the named values' test thumbprint); its key is never used to compile.
    let identity = ClientIdentity {
        thumbprint: test_value("thumbprint").into(),
        chain: Vec::new(),
        key: Arc::from(&[][..]),
    };
    env.with_client_identity("client-cert", identity)
        .with_client_identity("cert-1", rsa_identity())
}

/// A certificate with an RSA private key: the one `validate-jwt` decryption keys name
/// (`certificate-id="cert-1"`), whose key is parsed when the policy compiles.
fn rsa_identity() -> ClientIdentity {
    use aws_lc_rs::encoding::AsDer;

    let key = aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .expect("an RSA key");
    let der = key.as_der().expect("PKCS#8 DER");
    ClientIdentity {
        thumbprint: "0000000000000000000000000000000000000001".into(),
        chain: Vec::new(),
        key: Arc::from(der.as_ref()),
    }
}

/// Fragment ids the corpus includes, and the corpus files that define them.
const FRAGMENTS: &[(&str, &str)] = &[
    (
        "Api-Id",
        "apim-policies/apim-samples/shared_fragments_pf-api-id.xml",
    ),
    (
        "AuthX-HR-Member",
        "apim-policies/apim-samples/secure-blob-access_pf-authx-hr-member.xml",
    ),
    (
        "AuthZ-Match-Any",
        "apim-policies/apim-samples/shared_fragments_pf-authz-match-any.xml",
    ),
    (
        "Check-Blob-Existence-via-Managed-Identity",
        "apim-policies/apim-samples/secure-blob-access_pf-check-blob-existence-via-managed-identity.xml",
    ),
    (
        "Create-Sas-Token",
        "apim-policies/apim-samples/secure-blob-access_pf-create-sas-token.xml",
    ),
    (
        "DynamicCorsNvPerApi",
        "apim-policies/apim-samples/dynamic-cors_pf-dynamic-cors-named-values-per-api.xml",
    ),
    (
        "DynamicCorsOutbound",
        "apim-policies/apim-samples/dynamic-cors_pf-dynamic-cors-outbound.xml",
    ),
    (
        "Ensure-Stream-Include-Usage",
        "apim-policies/apim-samples/shared_fragments_pf-ensure-stream-include-usage.xml",
    ),
    (
        "Extract-CallerId",
        "apim-policies/apim-samples/costing_pf-extract-caller-id.xml",
    ),
    (
        "Http-Response-200",
        "apim-policies/apim-samples/shared_fragments_pf-http-response-200.xml",
    ),
    (
        "Product-Match-Any",
        "apim-policies/apim-samples/shared_fragments_pf-product-match-any.xml",
    ),
    (
        "oauth-proxy-construct-authorization-redirect-fragment",
        "apim-policies/policy-snippets/oauth-proxy_oauth-proxy-construct-authorization-redirect-fragment.xml",
    ),
    (
        "oauth-proxy-token-endpoint-fragment",
        "apim-policies/policy-snippets/oauth-proxy_oauth-proxy-token-endpoint-fragment.xml",
    ),
    (
        "policyFragment1",
        "apim-config/apiops-sample-artifacts/policy-fragments/policyFragment1/policy.xml",
    ),
    (
        "policyFragment2",
        "apim-config/apiops-sample-artifacts/policy-fragments/policyFragment2/policy.xml",
    ),
];

/// Backend ids the corpus routes to.
const BACKENDS: &[&str] = &[
    "aoai-backend",
    "backend1",
    "backend2",
    "content-safety-backend",
    "embeddings-backend",
    "foundry1",
    "foundry2",
    "foundry3",
    "gemini-backend",
    "inference-backend",
    "my-embeddings",
    "myBackend",
    "ollama-backend",
    "orderworflow-backend",
    "search",
    "servicenow-backend",
];

/// Every `{{name}}` the corpus references, with a value of the shape its uses need; the
/// APIOps extract's own named values keep their real values.
fn named_values(corpus: &std::path::Path) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for (_, text) in support::policy_files(corpus) {
        for name in references(&text) {
            let value = test_value(&name);
            values.insert(name, value);
        }
    }
    let folder = corpus.join("apim-config/apiops-sample-artifacts/named-values");
    for entry in std::fs::read_dir(folder).expect("the APIOps named values exist") {
        let path = entry
            .expect("readable")
            .path()
            .join("namedValueInformation.json");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
        let properties = &json["properties"];
        if let (Some(name), Some(value)) = (
            properties["displayName"].as_str(),
            properties["value"].as_str(),
        ) {
            values.insert(name.to_owned(), value.to_owned());
        }
    }
    values
}

fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            .count();
        if len > 0 && after[len..].starts_with("}}") {
            names.push(after[..len].to_owned());
        }
        rest = &rest[start + 2..];
    }
    names
}

/// A value shaped by the name: numbers for timeouts and counts, URLs for endpoints, base64 for
/// keys, a thumbprint for thumbprints, text otherwise.
fn test_value(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&[
        "timeout",
        "cachetime",
        "count",
        "percentage",
        "calls",
        "period",
        "seconds",
        "expiry",
        "weight",
    ]) {
        "30".into()
    } else if has(&["enabled", "validated"]) {
        "true".into()
    } else if has(&["thumbprint", "client-cert"]) {
        "BF3D644C46099A9D7C073EC002312878B8F9B847".into()
    } else if has(&["url", "endpoint", "server", "authorizer", "host"]) {
        "https://example.com".into()
    } else if has(&["ip-address"]) {
        "10.0.0.1".into()
    } else if lower.ends_with("encryptionkey") {
        // The OAuth proxy snippets select key 1 or 2 with it: `var key = {{TokenEncryptionKey}};`.
        "1".into()
    } else if has(&["key", "iv", "secret"]) {
        "c2VjcmV0LWtleS0xMjM0NTY3ODkwMTIzNDU2".into()
    } else {
        format!("test-{name}")
    }
}
