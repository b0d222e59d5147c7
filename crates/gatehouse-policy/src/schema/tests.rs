use super::*;
use crate::reader::{self, Code};

// ----- helpers -----

/// Reads `text` (which must read cleanly) and returns its validation diagnostics as
/// `LINE:COLUMN: message`.
fn check(text: &str) -> Vec<String> {
    let (document, diagnostics) = reader::read(text);
    assert!(
        diagnostics.is_empty(),
        "reader diagnostics: {diagnostics:#?}"
    );
    validate(&document)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn check_codes(text: &str) -> Vec<Code> {
    let (document, diagnostics) = reader::read(text);
    assert!(
        diagnostics.is_empty(),
        "reader diagnostics: {diagnostics:#?}"
    );
    validate(&document).iter().map(|d| d.code).collect()
}

/// `statements` wrapped in `<policies><SECTION>...</SECTION></policies>` on one line, so
/// columns in expectations are offsets into `statements` plus the wrapper length.
fn in_section(section: &str, statements: &str) -> String {
    format!("<policies><{section}>{statements}</{section}></policies>")
}

// ----- the table -----

/// The 76 top-level elements the APIM XSDs declare.
const XSD_ELEMENTS: [&str; 76] = [
    "authentication-basic",
    "authentication-certificate",
    "authentication-managed-identity",
    "authentication-token-store",
    "authentication-token",
    "azure-openai-emit-token-metric",
    "llm-emit-token-metric",
    "azure-openai-semantic-cache-lookup",
    "llm-semantic-cache-lookup",
    "azure-openai-semantic-cache-store",
    "llm-semantic-cache-store",
    "azure-openai-token-limit",
    "llm-token-limit",
    "block",
    "cache-lookup-value",
    "cache-lookup",
    "cache-remove-value",
    "cache-store-value",
    "cache-store",
    "check-header",
    "choose",
    "cors",
    "cosmosdb-data-source",
    "cross-domain",
    "emit-metric",
    "find-and-replace",
    "forward-request",
    "get-authorization-context",
    "graphql-data-source",
    "http-data-source",
    "include-fragment",
    "invoke-dapr-binding",
    "invoke-request",
    "ip-filter",
    "json-to-xml",
    "jsonp",
    "limit-concurrency",
    "llm-content-safety",
    "log-to-eventhub",
    "mock-response",
    "policies",
    "proxy",
    "publish-event",
    "publish-to-dapr",
    "quota-by-key",
    "quota",
    "rate-limit-by-key",
    "rate-limit",
    "redirect-content-urls",
    "retry",
    "return-response",
    "rewrite-uri",
    "send-one-way-request",
    "send-request",
    "set-backend-service",
    "set-body",
    "set-header",
    "set-method",
    "set-query-parameter",
    "set-request-metric-dimension-value",
    "set-status",
    "set-url",
    "set-variable",
    "sql-data-source",
    "trace",
    "validate-azure-ad-token",
    "validate-client-certificate",
    "validate-content",
    "validate-graphql-request",
    "validate-headers",
    "validate-jwt",
    "validate-odata-request",
    "validate-parameters",
    "validate-status-code",
    "wait",
    "xml-to-json",
];

#[test]
fn every_xsd_element_is_known() {
    // `policies` is the document root and `set-url` only a child of the request policies.
    let statements = XSD_ELEMENTS
        .iter()
        .filter(|n| !matches!(**n, "policies" | "set-url"));

    for name in statements {
        assert!(policy(name).is_some(), "{name} is missing from the table");
    }
}

#[test]
fn policies_beyond_the_xsds_are_known() {
    for name in ["xsl-transform", "send-service-bus-message", "cache-value"] {
        assert!(policy(name).is_some(), "{name}");
    }
}

#[test]
fn names_are_unique() {
    let mut names: Vec<_> = policies().iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), policies().len());

    for spec in policies() {
        let mut attributes: Vec<_> = spec.attributes.iter().map(|a| a.name).collect();
        attributes.sort_unstable();
        attributes.dedup();
        assert_eq!(attributes.len(), spec.attributes.len(), "{}", spec.name);
    }
}

#[test]
fn sections_follow_the_documentation() {
    let sections = |name| policy(name).map(|p| p.sections.to_string());

    assert_eq!(sections("forward-request").as_deref(), Some("backend"));
    assert_eq!(
        sections("validate-client-certificate").as_deref(),
        Some("inbound")
    );
    assert_eq!(sections("cache-store").as_deref(), Some("outbound"));
    assert_eq!(
        sections("set-backend-service").as_deref(),
        Some("inbound, backend")
    );
    assert_eq!(
        sections("set-header").as_deref(),
        Some("inbound, backend, outbound, on-error")
    );
    assert_eq!(sections("http-data-source").as_deref(), Some("no section"));
}

#[test]
fn policies_needing_absent_services_are_marked() {
    let unsupported = [
        "log-to-eventhub",
        "validate-azure-ad-token",
        "authentication-managed-identity",
        "get-authorization-context",
        "invoke-dapr-binding",
        "publish-to-dapr",
        "http-data-source",
        "azure-openai-token-limit",
        "llm-content-safety",
        "send-service-bus-message",
    ];
    for name in unsupported {
        assert!(
            matches!(
                policy(name).map(|p| p.support),
                Some(Support::Unsupported(_))
            ),
            "{name}"
        );
    }

    for name in [
        "set-header",
        "validate-client-certificate",
        "choose",
        "forward-request",
        "rate-limit-by-key",
    ] {
        assert_eq!(
            policy(name).map(|p| p.support),
            Some(Support::Native),
            "{name}"
        );
    }
}

#[test]
fn attribute_facts_come_from_the_xsd_and_the_docs() {
    let attribute = |element: &str, name: &str| policy(element).and_then(|p| p.attribute(name));

    let exists_action = attribute("set-header", "exists-action").unwrap();
    assert!(exists_action.expressions && !exists_action.required);
    assert_eq!(
        exists_action.values,
        ValueType::OneOf(&["override", "skip", "append", "delete"])
    );
    assert!(
        !attribute("validate-client-certificate", "validate-trust")
            .unwrap()
            .expressions
    );
    assert!(!attribute("set-variable", "name").unwrap().expressions);
    assert!(attribute("set-status", "code").unwrap().required);
}

// ----- document structure -----

#[test]
fn a_complete_policy_document_is_valid() {
    let text = r#"<policies>
    <inbound>
        <base />
        <validate-client-certificate validate-trust="true" validate-revocation="false">
            <identities><identity thumbprint="AB12" /></identities>
        </validate-client-certificate>
        <choose>
            <when condition="@(context.Request.Certificate == null)">
                <return-response>
                    <set-status code="403" reason="Forbidden" />
                    <set-header name="X-Reason" exists-action="override"><value>no certificate</value></set-header>
                    <set-body>{"error": "no certificate"}</set-body>
                </return-response>
            </when>
            <otherwise><set-variable name="ok" value="@(true)" /></otherwise>
        </choose>
    </inbound>
    <backend><forward-request timeout="30" /></backend>
    <outbound><base /></outbound>
    <on-error><set-status code="500" /></on-error>
</policies>"#;

    assert_eq!(check(text), Vec::<String>::new());
}

#[test]
fn sections_may_appear_once_in_any_order() {
    assert_eq!(
        check("<policies><outbound/><inbound/></policies>"),
        Vec::<String>::new()
    );
    assert_eq!(
        check("<policies><inbound/>\n<inbound/></policies>"),
        ["2:1: section <inbound> appears twice in <policies>; the first is at 1:11"]
    );
}

#[test]
fn unknown_sections_get_a_suggestion() {
    assert_eq!(
        check("<policies><inbund/></policies>"),
        [
            "1:11: <inbund> is not a section of <policies>: expected inbound, backend, outbound or on-error; did you mean inbound?"
        ]
    );
    assert_eq!(
        check("<policies><set-header name=\"a\"/></policies>"),
        [
            "1:11: <set-header> must be inside a section: <policies> holds only <inbound>, <backend>, <outbound> and <on-error>"
        ]
    );
}

#[test]
fn a_bare_snippet_is_not_a_policy_document() {
    assert_eq!(
        check("<set-header name=\"a\" />\n<rewrite-uri />"),
        [
            "1:1: the root element must be <policies> (or <fragment> for a policy fragment), not <set-header>",
            "2:1: <rewrite-uri> is missing the required attribute 'template'",
        ]
    );
    assert_eq!(
        check("<policies/><fragment/>"),
        ["1:12: a policy document has one root element; <fragment> comes after it"]
    );
}

#[test]
fn fragments_hold_statements_for_any_section() {
    let text = "<fragment><forward-request/><set-variable name=\"a\" value=\"b\"/></fragment>";
    assert_eq!(check(text), Vec::<String>::new());

    let text =
        "<fragment>\n<base/>\n<inbound/>\n<include-fragment fragment-id=\"x\"/>\n</fragment>";
    assert_eq!(
        check(text),
        [
            "2:1: <base/> is not allowed in a policy fragment",
            "3:1: section <inbound> cannot be inside a policy fragment",
            "4:1: a policy fragment cannot include another fragment",
        ]
    );
}

// ----- statements -----

#[test]
fn misspelled_policies_are_refused_with_a_suggestion() {
    let text = in_section(
        "inbound",
        "<invoke-darp-binding name=\"b\"/><set-heder name=\"x\"/><frobnicate/>",
    );

    assert_eq!(
        check(&text),
        [
            "1:20: unknown policy <invoke-darp-binding>; did you mean invoke-dapr-binding?",
            "1:51: unknown policy <set-heder>; did you mean set-header?",
            "1:72: unknown policy <frobnicate>",
        ]
    );
}

#[test]
fn a_policy_outside_its_sections_is_refused() {
    let text = in_section("inbound", "<forward-request/>");
    assert_eq!(
        check(&text),
        ["1:20: <forward-request> is not allowed in <inbound>; APIM allows it in backend"]
    );

    let text = in_section(
        "outbound",
        "<choose><when condition=\"@(true)\"><rate-limit calls=\"1\" renewal-period=\"1\"/></when></choose>",
    );
    assert_eq!(check_codes(&text), [Code::WrongSection]);

    let text = in_section(
        "inbound",
        "<http-data-source><http-request/></http-data-source>",
    );
    assert_eq!(check_codes(&text), [Code::WrongSection]);
}

#[test]
fn base_must_stand_once_directly_in_a_section() {
    let text = "<policies><inbound>\n<base/>\n<base/>\n<choose><when condition=\"@(true)\"><base/></when></choose>\n<base id=\"x\"/>\n</inbound></policies>";

    assert_eq!(
        check(text),
        [
            "3:1: <base/> appears twice in this section; the first is at 2:1",
            "4:35: <base/> must be a direct child of <inbound>, <backend>, <outbound> or <on-error>",
            "5:1: <base/> appears twice in this section; the first is at 2:1",
            "5:1: <base/> takes no attributes and no content",
        ]
    );
}

// ----- attributes -----

#[test]
fn unknown_and_missing_attributes_are_reported() {
    let text = in_section(
        "inbound",
        "<set-header nme=\"a\" exists-action=\"skip\" id=\"p1\"/>",
    );

    assert_eq!(
        check(&text),
        [
            "1:32: attribute 'nme' is not allowed on <set-header>; did you mean name?",
            "1:20: <set-header> is missing the required attribute 'name'",
        ]
    );
}

#[test]
fn literal_values_must_fit_the_attribute() {
    let text = in_section(
        "inbound",
        "<set-header name=\"a\" exists-action=\"replace\"/><rate-limit calls=\"ten\" renewal-period=\"60\"/>",
    );

    assert_eq!(
        check(&text),
        [
            "1:56: 'replace' is not a valid value for attribute 'exists-action' of <set-header>: expected one of override, skip, append, delete",
            "1:85: 'ten' is not a valid value for attribute 'calls' of <rate-limit>: expected a whole number",
        ]
    );
}

#[test]
fn expressions_and_named_values_are_not_checked_as_literals() {
    let text = in_section(
        "inbound",
        "<set-header name=\"a\" exists-action=\"@(&quot;skip&quot;)\"/><set-header name=\"b\" exists-action=\"{{action}}\"/><set-header name=\"c\" exists-action=\"Override\"/>",
    );

    assert_eq!(check(&text), Vec::<String>::new());
}

#[test]
fn expressions_are_refused_where_only_literals_are_allowed() {
    let text = in_section(
        "inbound",
        "<validate-client-certificate validate-trust=\"@(true)\" />",
    );

    assert_eq!(
        check(&text),
        [
            "1:65: attribute 'validate-trust' of <validate-client-certificate> does not allow policy expressions"
        ]
    );
}

#[test]
fn the_id_attribute_is_allowed_on_policies_only() {
    let text = in_section(
        "inbound",
        "<choose id=\"c\"><when id=\"w\" condition=\"@(true)\"/></choose>",
    );

    assert_eq!(
        check(&text),
        ["1:41: attribute 'id' is not allowed on <when>"]
    );
}

// ----- children and text -----

#[test]
fn children_must_be_allowed_counted_and_present() {
    let text = in_section(
        "inbound",
        "<choose><otherwise/><otherwise/></choose><return-response><set-variable name=\"a\" value=\"b\"/></return-response>",
    );

    assert_eq!(
        check(&text),
        [
            "1:40: <otherwise> may appear only once in <choose>",
            "1:20: <choose> needs a <when> child element",
            "1:78: <set-variable> is not allowed in <return-response> (expected set-status, set-header, set-body)",
        ]
    );
}

#[test]
fn text_is_refused_where_elements_are_expected() {
    let text = "<policies><inbound>\n  stray text\n  <set-header name=\"a\">value</set-header></inbound></policies>";

    assert_eq!(
        check(text),
        [
            "2:3: text is not allowed in <inbound>",
            "3:24: text is not allowed in <set-header>"
        ]
    );
}

#[test]
fn payloads_are_not_read_as_policies() {
    let text = in_section(
        "outbound",
        "<set-body><soap:Envelope><invoke-darp-binding/><base/></soap:Envelope></set-body><xsl-transform><xsl:stylesheet/></xsl-transform>",
    );

    assert_eq!(check(&text), Vec::<String>::new());
}

#[test]
fn policies_nested_in_control_flow_are_checked_in_their_section() {
    let text = in_section(
        "backend",
        "<retry condition=\"@(true)\" count=\"3\" interval=\"1\"><forward-request buffer-request-body=\"maybe\"/></retry>",
    );

    assert_eq!(
        check(&text),
        [
            "1:108: 'maybe' is not a valid value for attribute 'buffer-request-body' of <forward-request>: expected true or false"
        ]
    );
}
