//! The table of APIM policy elements.
//!
//! Sources, cited in comments as: **XSD** = the policy schemas of the APIM VS Code extension
//! (attributes, `use="required"`, enumerations; a type that is a union with `expression` allows
//! policy expressions, a plain `xs:boolean`/`xs:int`/enumeration does not, and a plain
//! `xs:string` is taken to allow them); **docs** = the APIM policy reference ("Policy
//! sections", "Policy expressions are allowed", "Required"); **TK** = the policy toolkit
//! (policies newer than the XSDs). Sections follow the docs; where a real policy in the corpus
//! uses a section the docs omit, APIM evidently accepts it and the section is added (noted).
//! Where no source names the sections, all are allowed rather than guessed.

use super::{AttributeSpec, Child, Content, ElementSpec, Sections, Support, ValueType};

// ----- building blocks -----

/// An optional attribute whose value is any text or a policy expression.
const fn attr(name: &'static str) -> AttributeSpec {
    AttributeSpec {
        name,
        required: false,
        expressions: true,
        values: ValueType::Text,
    }
}

/// An optional attribute typed `xs:boolean` alone in the XSD: a literal `true`/`false`.
const fn flag(name: &'static str) -> AttributeSpec {
    attr(name).of(BOOL).literal()
}

impl AttributeSpec {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    const fn literal(mut self) -> Self {
        self.expressions = false;
        self
    }

    const fn of(mut self, values: ValueType) -> Self {
        self.values = values;
        self
    }
}

const BOOL: ValueType = ValueType::Boolean;
const INT: ValueType = ValueType::Integer;
const NUMBER: ValueType = ValueType::Number;
const CACHING_TYPE: ValueType = ValueType::OneOf(&["prefer-external", "external", "internal"]);
const VALIDATION_ACTION: ValueType = ValueType::OneOf(&["ignore", "prevent", "detect"]);
const EXISTS_ACTION: ValueType = ValueType::OneOf(&["override", "skip", "append", "delete"]);
const LIQUID: ValueType = ValueType::OneOf(&["liquid"]);

/// A policy statement the gateway can run.
const fn statement(
    name: &'static str,
    sections: Sections,
    attributes: &'static [AttributeSpec],
    content: Content,
) -> ElementSpec {
    ElementSpec {
        name,
        attributes,
        content,
        sections,
        support: Support::Native,
    }
}

/// A configuration element: only meaningful inside its parent.
const fn config(
    name: &'static str,
    attributes: &'static [AttributeSpec],
    content: Content,
) -> ElementSpec {
    ElementSpec {
        name,
        attributes,
        content,
        sections: Sections::NONE,
        support: Support::Native,
    }
}

impl ElementSpec {
    /// Marks the element as needing `what`, which this gateway does not have.
    const fn needs(mut self, what: &'static str) -> Self {
        self.support = Support::Unsupported(what);
        self
    }
}

const fn one(element: &'static ElementSpec) -> Child {
    Child {
        element,
        required: true,
        repeats: false,
    }
}

const fn optional(element: &'static ElementSpec) -> Child {
    Child {
        element,
        required: false,
        repeats: false,
    }
}

const fn any(element: &'static ElementSpec) -> Child {
    Child {
        element,
        required: false,
        repeats: true,
    }
}

const fn some(element: &'static ElementSpec) -> Child {
    Child {
        element,
        required: true,
        repeats: true,
    }
}

const IN: Sections = Sections::INBOUND;
const BACK: Sections = Sections::BACKEND;
const OUT: Sections = Sections::OUTBOUND;
const ERR: Sections = Sections::ON_ERROR;
const ALL: Sections = Sections::ALL;

// Reasons for `needs`, shared by several policies.
const AZURE_MONITOR: &str = "Azure Monitor or Application Insights";
const DAPR: &str = "a Dapr sidecar";
const API_SCHEMAS: &str = "API schema definitions, which this gateway does not store";
const GRAPHQL: &str = "GraphQL APIs and resolvers";
const LLM_TOKENS: &str = "a language-model backend to count tokens";
const SEMANTIC_CACHE: &str = "an embeddings backend and a vector cache";
const UNDOCUMENTED: &str = "documentation: APIM's policy reference does not describe it";

// ----- lookup -----

/// Every policy statement in the table (configuration elements are reached through their
/// parents).
pub fn policies() -> &'static [&'static ElementSpec] {
    POLICIES
}

/// The policy statement called `name`.
pub fn policy(name: &str) -> Option<&'static ElementSpec> {
    POLICIES.iter().copied().find(|p| p.name == name)
}

static POLICIES: &[&ElementSpec] = &[
    // control flow
    &CHOOSE,
    &INCLUDE_FRAGMENT,
    &RETRY,
    &WAIT,
    &LIMIT_CONCURRENCY,
    &BLOCK,
    // transformation
    &SET_HEADER,
    &SET_QUERY_PARAMETER,
    &SET_VARIABLE,
    &SET_BODY,
    &SET_STATUS,
    &SET_METHOD,
    &RETURN_RESPONSE,
    &MOCK_RESPONSE,
    &REWRITE_URI,
    &FIND_AND_REPLACE,
    &JSON_TO_XML,
    &XML_TO_JSON,
    &XSL_TRANSFORM,
    &REDIRECT_CONTENT_URLS,
    // routing
    &SET_BACKEND_SERVICE,
    &FORWARD_REQUEST,
    &PROXY,
    &INVOKE_REQUEST,
    // access restriction and authentication
    &CHECK_HEADER,
    &IP_FILTER,
    &RATE_LIMIT,
    &RATE_LIMIT_BY_KEY,
    &QUOTA,
    &QUOTA_BY_KEY,
    &VALIDATE_JWT,
    &VALIDATE_AZURE_AD_TOKEN,
    &VALIDATE_CLIENT_CERTIFICATE,
    &AUTHENTICATION_BASIC,
    &AUTHENTICATION_CERTIFICATE,
    &AUTHENTICATION_MANAGED_IDENTITY,
    &AUTHENTICATION_TOKEN,
    &AUTHENTICATION_TOKEN_STORE,
    &GET_AUTHORIZATION_CONTEXT,
    // cross-domain
    &CORS,
    &CROSS_DOMAIN,
    &JSONP,
    // caching
    &CACHE_LOOKUP,
    &CACHE_STORE,
    &CACHE_LOOKUP_VALUE,
    &CACHE_STORE_VALUE,
    &CACHE_REMOVE_VALUE,
    &CACHE_VALUE,
    // integration and logging
    &SEND_REQUEST,
    &SEND_ONE_WAY_REQUEST,
    &SEND_SERVICE_BUS_MESSAGE,
    &LOG_TO_EVENTHUB,
    &TRACE,
    &EMIT_METRIC,
    &SET_REQUEST_METRIC_DIMENSION_VALUE,
    &PUBLISH_TO_DAPR,
    &INVOKE_DAPR_BINDING,
    // content validation
    &VALIDATE_CONTENT,
    &VALIDATE_PARAMETERS,
    &VALIDATE_HEADERS,
    &VALIDATE_STATUS_CODE,
    &VALIDATE_ODATA_REQUEST,
    &VALIDATE_GRAPHQL_REQUEST,
    // GraphQL resolvers: documents of their own, in no section
    &HTTP_DATA_SOURCE,
    &SQL_DATA_SOURCE,
    &COSMOSDB_DATA_SOURCE,
    &GRAPHQL_DATA_SOURCE,
    &PUBLISH_EVENT,
    // AI gateway
    &AZURE_OPENAI_TOKEN_LIMIT,
    &LLM_TOKEN_LIMIT,
    &AZURE_OPENAI_EMIT_TOKEN_METRIC,
    &LLM_EMIT_TOKEN_METRIC,
    &AZURE_OPENAI_SEMANTIC_CACHE_LOOKUP,
    &LLM_SEMANTIC_CACHE_LOOKUP,
    &AZURE_OPENAI_SEMANTIC_CACHE_STORE,
    &LLM_SEMANTIC_CACHE_STORE,
    &LLM_CONTENT_SAFETY,
];

// ----- shared configuration elements -----

static VALUE: ElementSpec = config("value", &[], Content::Text);

static SET_URL: ElementSpec = config("set-url", &[], Content::Text);

static DIMENSION: ElementSpec = config(
    "dimension",
    &[attr("name").required(), attr("value")],
    Content::Empty,
);

static CLAIM: ElementSpec = config(
    "claim",
    &[
        attr("name"),
        attr("match").of(ValueType::OneOf(&["all", "any"])),
        attr("separator"),
    ],
    Content::Elements(&[any(&VALUE)]),
);

static REQUIRED_CLAIMS: ElementSpec =
    config("required-claims", &[], Content::Elements(&[any(&CLAIM)]));

static AUDIENCE: ElementSpec = config("audience", &[], Content::Text);

// ----- control flow -----

static WHEN: ElementSpec = config(
    "when",
    &[attr("condition").required().of(BOOL)],
    Content::Policies,
);

static OTHERWISE: ElementSpec = config("otherwise", &[], Content::Policies);

static CHOOSE: ElementSpec = statement(
    "choose",
    ALL,
    &[],
    Content::Elements(&[some(&WHEN), optional(&OTHERWISE)]),
);

// docs: the fragment name is a literal.
static INCLUDE_FRAGMENT: ElementSpec = statement(
    "include-fragment",
    ALL,
    &[attr("fragment-id").required().literal()],
    Content::Empty,
);

static RETRY: ElementSpec = statement(
    "retry",
    ALL,
    &[
        attr("condition").required().of(BOOL),
        attr("count").required().of(INT),
        attr("interval").required().of(INT),
        attr("delta").of(INT),
        attr("max-interval").of(INT),
        attr("first-fast-retry").of(BOOL),
    ],
    Content::Policies,
);

// XSD: the policies `wait` may run in parallel.
static WAIT: ElementSpec = statement(
    "wait",
    IN.and(OUT).and(BACK),
    &[attr("for").required().of(ValueType::OneOf(&["all", "any"]))],
    Content::Elements(&[
        any(&CHOOSE),
        any(&FORWARD_REQUEST),
        any(&SEND_REQUEST),
        any(&CACHE_LOOKUP_VALUE),
        any(&CACHE_STORE_VALUE),
        any(&AUTHENTICATION_MANAGED_IDENTITY),
        any(&AUTHENTICATION_TOKEN),
    ]),
);

static LIMIT_CONCURRENCY: ElementSpec = statement(
    "limit-concurrency",
    ALL,
    &[
        attr("key").required(),
        attr("max-count").required().of(INT).literal(),
    ],
    Content::Policies,
);

// XSD only: a container of policies with no documented meaning.
static BLOCK: ElementSpec = statement("block", ALL, &[], Content::Policies).needs(UNDOCUMENTED);

// ----- transformation -----

static SET_HEADER: ElementSpec = statement(
    "set-header",
    ALL,
    &[
        attr("name").required(),
        attr("exists-action").of(EXISTS_ACTION),
    ],
    Content::Elements(&[any(&VALUE)]),
);

static SET_QUERY_PARAMETER: ElementSpec = statement(
    "set-query-parameter",
    IN.and(BACK),
    &[
        attr("name").required(),
        attr("exists-action").of(EXISTS_ACTION),
    ],
    Content::Elements(&[any(&VALUE)]),
);

// docs: the variable name is a literal.
static SET_VARIABLE: ElementSpec = statement(
    "set-variable",
    ALL,
    &[attr("name").required().literal(), attr("value").required()],
    Content::Empty,
);

// docs: inbound, outbound, backend; on-error added: Apim-Samples (oauth-3rd-party, spotify)
// sets the error response body there.
static SET_BODY: ElementSpec = statement(
    "set-body",
    ALL,
    &[
        attr("template")
            .of(ValueType::OneOf(&["none", "liquid"]))
            .literal(),
        attr("xsi-nil")
            .of(ValueType::OneOf(&["blank", "null"]))
            .literal(),
        flag("parse-date"),
        flag("html-decode-expression"),
    ],
    Content::Payload,
);

// docs: `code` and `reason` are both required; the XSD makes both optional and a policy
// snippet (Extract-value-from-XML) omits `reason`, so only `code` is required here.
static SET_STATUS: ElementSpec = statement(
    "set-status",
    ALL,
    &[attr("code").required().of(INT), attr("reason")],
    Content::Empty,
);

// docs: inbound, on-error (it also appears inside send-request, as a child).
static SET_METHOD: ElementSpec = statement("set-method", IN.and(ERR), &[], Content::Text);

static RETURN_RESPONSE: ElementSpec = statement(
    "return-response",
    ALL,
    &[attr("response-variable-name")],
    Content::Elements(&[optional(&SET_STATUS), any(&SET_HEADER), optional(&SET_BODY)]),
);

static MOCK_RESPONSE: ElementSpec = statement(
    "mock-response",
    IN.and(OUT).and(ERR),
    &[
        flag("enabled"),
        attr("status-code").of(INT).literal(),
        attr("content-type"),
        attr("index").of(INT).literal(),
    ],
    Content::Empty,
);

static REWRITE_URI: ElementSpec = statement(
    "rewrite-uri",
    IN,
    &[attr("template").required(), flag("copy-unmatched-params")],
    Content::Empty,
);

static FIND_AND_REPLACE: ElementSpec = statement(
    "find-and-replace",
    ALL,
    &[attr("from").required(), attr("to").required()],
    Content::Empty,
);

static JSON_TO_XML: ElementSpec = statement(
    "json-to-xml",
    IN.and(OUT).and(ERR),
    &[
        attr("apply")
            .required()
            .of(ValueType::OneOf(&["always", "content-type-json"])),
        attr("consider-accept-header").of(BOOL),
        flag("parse-date"),
        attr("namespace-separator"),
        attr("namespace-prefix"),
        attr("attribute-prefix"),
        attr("attribute-block-name"),
        attr("namespace-block-name"),
        attr("invalid-character-replacement"),
        attr("null-values"),
        flag("trim-values"),
        attr("empty-values").of(ValueType::OneOf(&["preserve", "as-null"])),
    ],
    Content::Empty,
);

static XML_TO_JSON: ElementSpec = statement(
    "xml-to-json",
    IN.and(OUT).and(ERR),
    &[
        attr("kind")
            .required()
            .of(ValueType::OneOf(&["javascript-friendly", "direct"])),
        attr("apply")
            .required()
            .of(ValueType::OneOf(&["always", "content-type-xml"])),
        attr("consider-accept-header").of(BOOL),
        attr("preserve-whitespace-nodes").of(BOOL),
        attr("empty-values").of(ValueType::OneOf(&["preserve", "as-null"])),
        attr("trim-values").of(BOOL),
        attr("always-array-child-elements").of(BOOL),
    ],
    Content::Empty,
);

// docs and TK (no XSD): optional `<parameter>` children and the stylesheet, kept raw.
static XSL_TRANSFORM: ElementSpec =
    statement("xsl-transform", IN.and(OUT).and(ERR), &[], Content::Payload)
        .needs("an XSLT 1.0 processor");

static REDIRECT_CONTENT_URLS: ElementSpec =
    statement("redirect-content-urls", IN.and(OUT), &[], Content::Empty);

// ----- routing -----

// The `sf-*` attributes need Service Fabric and the `dapr-*` ones a Dapr sidecar; the
// element itself (base-url, backend-id) is native, so the compiler refuses those attributes.
static SET_BACKEND_SERVICE: ElementSpec = statement(
    "set-backend-service",
    IN.and(BACK),
    &[
        attr("base-url"),
        attr("backend-id"),
        attr("sf-partition-key"),
        attr("sf-replica-type").of(ValueType::OneOf(&["primary", "secondary"])),
        attr("sf-resolve-condition").of(BOOL),
        attr("sf-service-instance-name"),
        attr("sf-listener-name"),
        attr("dapr-app-id"),
        attr("dapr-method"),
        attr("dapr-namespace"),
    ],
    Content::Empty,
);

static FORWARD_REQUEST: ElementSpec = statement(
    "forward-request",
    BACK,
    &[
        attr("timeout").of(INT),
        attr("timeout-ms").of(INT),
        attr("continue-timeout").of(INT),
        attr("follow-redirects").of(BOOL),
        flag("buffer-request-body"),
        flag("buffer-response"),
        flag("fail-on-error-status-code"),
        attr("http-version"),
    ],
    Content::Empty,
);

static PROXY: ElementSpec = statement(
    "proxy",
    IN,
    &[attr("url").required(), attr("username"), attr("password")],
    Content::Empty,
);

static INVOKE_REQUEST: ElementSpec = statement(
    "invoke-request",
    ALL,
    &[attr("url").required()],
    Content::Elements(&[any(&VALUE)]),
)
.needs(UNDOCUMENTED);

// ----- access restriction -----

// docs: inbound and outbound (TK: inbound only).
static CHECK_HEADER: ElementSpec = statement(
    "check-header",
    IN.and(OUT),
    &[
        attr("name").required(),
        attr("failed-check-httpcode").required().of(INT),
        attr("failed-check-error-message"),
        attr("ignore-case").of(BOOL),
    ],
    Content::Elements(&[any(&VALUE)]),
);

static ADDRESS: ElementSpec = config("address", &[], Content::Text);

static ADDRESS_RANGE: ElementSpec = config(
    "address-range",
    &[attr("from").required(), attr("to").required()],
    Content::Empty,
);

static IP_FILTER: ElementSpec = statement(
    "ip-filter",
    IN,
    &[attr("action").of(ValueType::OneOf(&["allow", "forbid"]))],
    Content::Elements(&[any(&ADDRESS), any(&ADDRESS_RANGE)]),
);

/// The counters and header names a rate limit and its `api`/`operation` children share.
const RATE_LIMIT_SETTINGS: [AttributeSpec; 8] = [
    attr("calls").of(INT).literal(),
    attr("renewal-period").of(INT).literal(),
    attr("retry-after-header-name"),
    attr("retry-after-variable-name"),
    attr("remaining-calls-header-name"),
    attr("remaining-calls-variable-name"),
    attr("total-calls-header-name"),
    attr("name"),
];

static RATE_LIMIT_OPERATION: ElementSpec =
    config("operation", &RATE_LIMIT_SETTINGS, Content::Empty);

static RATE_LIMIT_API: ElementSpec = config(
    "api",
    &RATE_LIMIT_SETTINGS,
    Content::Elements(&[any(&RATE_LIMIT_OPERATION)]),
);

// docs: `calls` and `renewal-period` are required on the policy itself.
static RATE_LIMIT: ElementSpec = statement(
    "rate-limit",
    IN,
    &[
        attr("calls").required().of(INT).literal(),
        attr("renewal-period").required().of(INT).literal(),
        attr("retry-after-header-name"),
        attr("retry-after-variable-name"),
        attr("remaining-calls-header-name"),
        attr("remaining-calls-variable-name"),
        attr("total-calls-header-name"),
    ],
    Content::Elements(&[any(&RATE_LIMIT_API), any(&RATE_LIMIT_OPERATION)]),
);

static RATE_LIMIT_BY_KEY: ElementSpec = statement(
    "rate-limit-by-key",
    IN,
    &[
        attr("calls").required().of(INT),
        attr("renewal-period").required().of(INT),
        attr("counter-key").required(),
        attr("increment-condition").of(BOOL),
        attr("increment-count").of(INT),
        flag("increment-after-response"),
        flag("flexible-retry-window"),
        attr("retry-after-header-name"),
        attr("retry-after-variable-name"),
        attr("remaining-calls-header-name"),
        attr("remaining-calls-variable-name"),
        attr("total-calls-header-name"),
    ],
    Content::Empty,
);

static QUOTA_OPERATION: ElementSpec = config(
    "operation",
    &[
        attr("name"),
        attr("calls").of(INT).literal(),
        attr("bandwidth").of(INT).literal(),
    ],
    Content::Empty,
);

static QUOTA_API: ElementSpec = config(
    "api",
    &[
        attr("name"),
        attr("calls").of(INT).literal(),
        attr("bandwidth").of(INT).literal(),
    ],
    Content::Elements(&[any(&QUOTA_OPERATION)]),
);

// docs: `renewal-period` is required; api and operation children (the XSD lists api only).
static QUOTA: ElementSpec = statement(
    "quota",
    IN,
    &[
        attr("calls").of(INT).literal(),
        attr("bandwidth").of(INT).literal(),
        attr("renewal-period").required().of(INT).literal(),
    ],
    Content::Elements(&[any(&QUOTA_API), any(&QUOTA_OPERATION)]),
);

static QUOTA_BY_KEY: ElementSpec = statement(
    "quota-by-key",
    IN,
    &[
        attr("calls").of(INT).literal(),
        attr("bandwidth").of(INT).literal(),
        attr("renewal-period"),
        attr("first-period-start").literal(),
        attr("counter-key").required(),
        attr("increment-condition").of(BOOL),
        attr("increment-count").of(INT),
    ],
    Content::Empty,
);

// ----- JWT and certificates -----

static OPENID_CONFIG: ElementSpec = config(
    "openid-config",
    &[attr("url").required(), attr("host")],
    Content::Empty,
);

static TOKEN: ElementSpec = config("token", &[], Content::Text);

static ISSUER_SIGNING_TOKENS: ElementSpec = config(
    "issuer-signing-tokens",
    &[],
    Content::Elements(&[any(&TOKEN)]),
);

static SIGNING_KEY: ElementSpec = config(
    "key",
    &[attr("id"), attr("certificate-id"), attr("n"), attr("e")],
    Content::Text,
);

static ZUMO_MASTER_KEY: ElementSpec = config("zumo-master-key", &[attr("id")], Content::Text);

static ISSUER_SIGNING_KEYS: ElementSpec = config(
    "issuer-signing-keys",
    &[],
    Content::Elements(&[any(&SIGNING_KEY), any(&ZUMO_MASTER_KEY)]),
);

static DECRYPTION_KEY: ElementSpec =
    config("key", &[attr("id"), attr("certificate-id")], Content::Text);

static DECRYPTION_KEYS: ElementSpec = config(
    "decryption-keys",
    &[],
    Content::Elements(&[some(&DECRYPTION_KEY)]),
);

static AUDIENCES: ElementSpec = config("audiences", &[], Content::Elements(&[any(&AUDIENCE)]));

static ISSUER: ElementSpec = config("issuer", &[], Content::Text);

static ISSUERS: ElementSpec = config("issuers", &[], Content::Elements(&[any(&ISSUER)]));

static VALIDATE_JWT: ElementSpec = statement(
    "validate-jwt",
    IN,
    &[
        attr("header-name"),
        attr("query-parameter-name"),
        attr("token-value"),
        attr("failed-validation-httpcode").of(INT),
        attr("failed-validation-error-message"),
        attr("require-scheme"),
        attr("clock-skew").of(INT),
        attr("require-expiration-time").of(BOOL),
        attr("require-signed-tokens").of(BOOL),
        attr("output-token-variable-name"),
    ],
    Content::Elements(&[
        any(&OPENID_CONFIG),
        optional(&ISSUER_SIGNING_TOKENS),
        optional(&ISSUER_SIGNING_KEYS),
        optional(&DECRYPTION_KEYS),
        optional(&AUDIENCES),
        optional(&ISSUERS),
        optional(&REQUIRED_CLAIMS),
    ]),
);

static APPLICATION_ID: ElementSpec = config("application-id", &[], Content::Text);

static BACKEND_APPLICATION_IDS: ElementSpec = config(
    "backend-application-ids",
    &[],
    Content::Elements(&[some(&APPLICATION_ID)]),
);

static CLIENT_APPLICATION_IDS: ElementSpec = config(
    "client-application-ids",
    &[],
    Content::Elements(&[some(&APPLICATION_ID)]),
);

static ENTRA_DECRYPTION_KEY: ElementSpec = config(
    "key",
    &[attr("id"), attr("certificate-id").required()],
    Content::Empty,
);

static ENTRA_DECRYPTION_KEYS: ElementSpec = config(
    "decryption-keys",
    &[],
    Content::Elements(&[some(&ENTRA_DECRYPTION_KEY)]),
);

static ENTRA_AUDIENCES: ElementSpec =
    config("audiences", &[], Content::Elements(&[some(&AUDIENCE)]));

static VALIDATE_AZURE_AD_TOKEN: ElementSpec = statement(
    "validate-azure-ad-token",
    IN,
    &[
        attr("tenant-id").required(),
        attr("header-name"),
        attr("query-parameter-name"),
        attr("token-value"),
        attr("authentication-endpoint"),
        attr("failed-validation-httpcode").of(INT),
        attr("failed-validation-error-message"),
        attr("require-scheme"),
        attr("allow-protected-forwarded-tokens").of(BOOL),
        attr("allow-proof-of-possession-tokens").of(BOOL),
        attr("output-token-variable-name"),
    ],
    Content::Elements(&[
        optional(&BACKEND_APPLICATION_IDS),
        optional(&CLIENT_APPLICATION_IDS),
        optional(&ENTRA_AUDIENCES),
        optional(&REQUIRED_CLAIMS),
        optional(&ENTRA_DECRYPTION_KEYS),
    ]),
)
.needs("Microsoft Entra ID");

// docs: no attribute of this policy or its identities allows policy expressions.
static IDENTITY: ElementSpec = config(
    "identity",
    &[
        attr("thumbprint").literal(),
        attr("serial-number").literal(),
        attr("common-name").literal(),
        attr("subject").literal(),
        attr("dns-name").literal(),
        attr("issuer-subject").literal(),
        attr("issuer-thumbprint").literal(),
        attr("issuer-certificate-id").literal(),
    ],
    Content::Text,
);

// XSD: one to ten identities.
static IDENTITIES: ElementSpec = config("identities", &[], Content::Elements(&[some(&IDENTITY)]));

static VALIDATE_CLIENT_CERTIFICATE: ElementSpec = statement(
    "validate-client-certificate",
    IN,
    &[
        flag("validate-revocation"),
        flag("validate-trust"),
        flag("validate-not-before"),
        flag("validate-not-after"),
        flag("ignore-error"),
    ],
    Content::Elements(&[optional(&IDENTITIES)]),
);

// ----- authentication towards the backend -----

static AUTHENTICATION_BASIC: ElementSpec = statement(
    "authentication-basic",
    IN,
    &[attr("username").required(), attr("password").required()],
    Content::Empty,
);

static AUTHENTICATION_CERTIFICATE: ElementSpec = statement(
    "authentication-certificate",
    IN,
    &[
        attr("thumbprint"),
        attr("certificate-id"),
        attr("body"),
        attr("password"),
    ],
    Content::Empty,
);

// docs: `resource` is required (the XSD leaves it open); inbound only, outbound added: an
// AI-Gateway lab (mcp-client-authorization) fetches a token into a variable there.
static AUTHENTICATION_MANAGED_IDENTITY: ElementSpec = statement(
    "authentication-managed-identity",
    IN.and(OUT),
    &[
        attr("resource").required(),
        attr("client-id"),
        attr("output-token-variable-name"),
        flag("ignore-error"),
    ],
    Content::Empty,
)
.needs("an Azure managed identity");

static AUTHENTICATION_TOKEN: ElementSpec = statement(
    "authentication-token",
    IN,
    &[
        attr("token-type")
            .of(ValueType::OneOf(&[
                "managed-service-identity",
                "token-service",
            ]))
            .literal(),
        attr("token-service-url"),
        attr("resource-url"),
        flag("ignore-error"),
    ],
    Content::Empty,
)
.needs("an Azure managed identity or token service");

static AUTHENTICATION_TOKEN_STORE: ElementSpec = statement(
    "authentication-token-store",
    IN,
    &[
        attr("token-id"),
        attr("client-id"),
        attr("output-token-variable-name"),
        flag("ignore-error"),
    ],
    Content::Empty,
)
.needs("the APIM token store");

static GET_AUTHORIZATION_CONTEXT: ElementSpec = statement(
    "get-authorization-context",
    IN,
    &[
        attr("provider-id").required(),
        attr("authorization-id").required(),
        attr("context-variable-name").required(),
        attr("identity-type"),
        attr("identity"),
        attr("ignore-error").of(BOOL),
    ],
    Content::Empty,
)
.needs("the APIM credential manager");

// ----- cross-domain -----

static ORIGIN: ElementSpec = config("origin", &[], Content::Text);

static METHOD: ElementSpec = config("method", &[], Content::Text);

static CORS_HEADER: ElementSpec = config("header", &[], Content::Text);

static ALLOWED_ORIGINS: ElementSpec =
    config("allowed-origins", &[], Content::Elements(&[some(&ORIGIN)]));

static ALLOWED_METHODS: ElementSpec = config(
    "allowed-methods",
    &[attr("preflight-result-max-age").of(INT)],
    Content::Elements(&[some(&METHOD)]),
);

static ALLOWED_HEADERS: ElementSpec = config(
    "allowed-headers",
    &[],
    Content::Elements(&[some(&CORS_HEADER)]),
);

static EXPOSE_HEADERS: ElementSpec = config(
    "expose-headers",
    &[],
    Content::Elements(&[some(&CORS_HEADER)]),
);

static CORS: ElementSpec = statement(
    "cors",
    IN,
    &[
        attr("allow-credentials").of(BOOL),
        attr("terminate-unmatched-request").of(BOOL),
    ],
    Content::Elements(&[
        one(&ALLOWED_ORIGINS),
        optional(&ALLOWED_METHODS),
        optional(&ALLOWED_HEADERS),
        optional(&EXPOSE_HEADERS),
    ]),
);

// The Flash cross-domain policy document, served as written.
static CROSS_DOMAIN_POLICY: ElementSpec = config("cross-domain-policy", &[], Content::Payload);

static CROSS_DOMAIN: ElementSpec = statement(
    "cross-domain",
    IN,
    &[],
    Content::Elements(&[optional(&CROSS_DOMAIN_POLICY)]),
);

static JSONP: ElementSpec = statement(
    "jsonp",
    OUT,
    &[attr("callback-parameter-name").required()],
    Content::Empty,
);

// ----- caching -----

static VARY_BY_HEADER: ElementSpec = config("vary-by-header", &[], Content::Text);

static VARY_BY_QUERY_PARAMETER: ElementSpec = config("vary-by-query-parameter", &[], Content::Text);

static CACHE_LOOKUP: ElementSpec = statement(
    "cache-lookup",
    IN,
    &[
        attr("vary-by-developer").required().of(BOOL),
        attr("vary-by-developer-groups").required().of(BOOL),
        attr("downstream-caching-type").of(ValueType::OneOf(&["none", "private", "public"])),
        attr("must-revalidate").of(BOOL),
        attr("caching-type").of(CACHING_TYPE).literal(),
        attr("allow-private-response-caching").of(BOOL),
    ],
    Content::Elements(&[any(&VARY_BY_HEADER), any(&VARY_BY_QUERY_PARAMETER)]),
);

static CACHE_STORE: ElementSpec = statement(
    "cache-store",
    OUT,
    &[
        attr("duration").required().of(INT),
        attr("cache-response").of(BOOL),
        attr("caching-mode"),
    ],
    Content::Empty,
);

// docs: all four sections (the catalogue's "except backend" is older).
static CACHE_LOOKUP_VALUE: ElementSpec = statement(
    "cache-lookup-value",
    ALL,
    &[
        attr("key").required(),
        attr("variable-name").required(),
        attr("default-value"),
        attr("caching-type").of(CACHING_TYPE).literal(),
    ],
    Content::Empty,
);

static CACHE_STORE_VALUE: ElementSpec = statement(
    "cache-store-value",
    ALL,
    &[
        attr("key").required(),
        attr("value").required(),
        attr("duration").required().of(INT),
        attr("caching-type").of(CACHING_TYPE).literal(),
    ],
    Content::Empty,
);

static CACHE_REMOVE_VALUE: ElementSpec = statement(
    "cache-remove-value",
    ALL,
    &[
        attr("key").required(),
        attr("caching-type").of(CACHING_TYPE).literal(),
    ],
    Content::Empty,
);

// TK only: the `<value>` child computes the value on a cache miss. APIM's reference does
// not describe the policy (when `<value>` runs, what it yields), so it is not guessed at.
static CACHE_VALUE_BODY: ElementSpec = config("value", &[], Content::Policies);

static CACHE_VALUE: ElementSpec = statement(
    "cache-value",
    ALL,
    &[
        attr("key").required(),
        attr("variable-name").required(),
        attr("expires-after").of(INT),
        attr("refresh-after").of(INT),
        attr("default-value"),
        attr("caching-type").of(CACHING_TYPE).literal(),
    ],
    Content::Elements(&[one(&CACHE_VALUE_BODY)]),
)
.needs(UNDOCUMENTED);

// ----- integration and logging -----

/// What `send-request` and `send-one-way-request` may contain (XSD).
const REQUEST_PARTS: [Child; 9] = [
    optional(&SET_URL),
    optional(&SET_METHOD),
    any(&SET_HEADER),
    optional(&SET_BODY),
    optional(&AUTHENTICATION_CERTIFICATE),
    optional(&AUTHENTICATION_TOKEN),
    optional(&AUTHENTICATION_TOKEN_STORE),
    optional(&AUTHENTICATION_MANAGED_IDENTITY),
    optional(&PROXY),
];

static SEND_REQUEST: ElementSpec = statement(
    "send-request",
    ALL,
    &[
        attr("mode").of(ValueType::OneOf(&["new", "copy"])),
        attr("response-variable-name"),
        attr("timeout").of(INT),
        attr("timeout-ms").of(INT),
        flag("ignore-error"),
        flag("buffer-response"),
        flag("fail-on-error-status-code"),
    ],
    Content::Elements(&REQUEST_PARTS),
);

static SEND_ONE_WAY_REQUEST: ElementSpec = statement(
    "send-one-way-request",
    ALL,
    &[
        attr("mode").of(ValueType::OneOf(&["new", "copy"])),
        attr("timeout").of(INT).literal(),
    ],
    Content::Elements(&REQUEST_PARTS),
);

static PAYLOAD: ElementSpec = config("payload", &[], Content::Text);

static MESSAGE_PROPERTY: ElementSpec = config(
    "message-property",
    &[attr("name").required()],
    Content::Text,
);

static MESSAGE_PROPERTIES: ElementSpec = config(
    "message-properties",
    &[],
    Content::Elements(&[any(&MESSAGE_PROPERTY)]),
);

// docs and TK (no XSD).
static SEND_SERVICE_BUS_MESSAGE: ElementSpec = statement(
    "send-service-bus-message",
    IN.and(OUT).and(ERR),
    &[
        attr("queue-name"),
        attr("topic-name"),
        attr("namespace"),
        attr("client-id"),
    ],
    Content::Elements(&[one(&PAYLOAD), optional(&MESSAGE_PROPERTIES)]),
)
.needs("Azure Service Bus");

// The message is the element's text.
static LOG_TO_EVENTHUB: ElementSpec = statement(
    "log-to-eventhub",
    ALL,
    &[
        attr("logger-id").required(),
        attr("partition-id"),
        attr("partition-key"),
    ],
    Content::Text,
)
.needs("Azure Event Hubs");

static MESSAGE: ElementSpec = config("message", &[], Content::Text);

static METADATA: ElementSpec = config(
    "metadata",
    &[attr("name").required(), attr("value").required()],
    Content::Empty,
);

// docs: all four sections.
static TRACE: ElementSpec = statement(
    "trace",
    ALL,
    &[
        attr("source").required(),
        attr("severity")
            .of(ValueType::OneOf(&["verbose", "information", "error"]))
            .literal(),
    ],
    Content::TextAndElements(&[optional(&MESSAGE), any(&METADATA)]),
);

// XSD: up to ten dimensions.
static EMIT_METRIC: ElementSpec = statement(
    "emit-metric",
    ALL,
    &[
        attr("name").required(),
        attr("namespace"),
        attr("value").of(NUMBER),
        flag("default-dimensions"),
    ],
    Content::Elements(&[any(&DIMENSION)]),
)
.needs(AZURE_MONITOR);

static SET_REQUEST_METRIC_DIMENSION_VALUE: ElementSpec = statement(
    "set-request-metric-dimension-value",
    ALL,
    &[attr("name").required(), attr("value").required()],
    Content::Empty,
)
.needs(AZURE_MONITOR);

// The message is the element's content (text, or markup with a liquid template).
static PUBLISH_TO_DAPR: ElementSpec = statement(
    "publish-to-dapr",
    IN.and(OUT).and(ERR),
    &[
        attr("topic").required(),
        attr("pubsub-name"),
        attr("template").of(LIQUID).literal(),
        attr("response-variable-name"),
        attr("timeout").of(INT),
        flag("ignore-error"),
        attr("content-type")
            .of(ValueType::OneOf(&["application/json"]))
            .literal(),
    ],
    Content::Payload,
)
.needs(DAPR);

static ITEM: ElementSpec = config("item", &[attr("key").required()], Content::Text);

static DAPR_METADATA: ElementSpec = config("metadata", &[], Content::Elements(&[any(&ITEM)]));

static DATA: ElementSpec = config("data", &[], Content::Payload);

static INVOKE_DAPR_BINDING: ElementSpec = statement(
    "invoke-dapr-binding",
    IN.and(OUT).and(ERR),
    &[
        attr("name").required(),
        attr("operation"),
        attr("template").of(LIQUID).literal(),
        attr("response-variable-name"),
        attr("timeout").of(INT),
        flag("ignore-error"),
    ],
    Content::TextAndElements(&[optional(&DAPR_METADATA), optional(&DATA)]),
)
.needs(DAPR);

// ----- content validation -----

static CONTENT_TYPE: ElementSpec = config(
    "type",
    &[attr("from"), attr("when").of(BOOL), attr("to").required()],
    Content::Empty,
);

static CONTENT_TYPE_MAP: ElementSpec = config(
    "content-type-map",
    &[
        attr("any-content-type-value"),
        attr("missing-content-type-value"),
    ],
    Content::Elements(&[any(&CONTENT_TYPE)]),
);

static CONTENT: ElementSpec = config(
    "content",
    &[
        attr("validate-as")
            .required()
            .of(ValueType::OneOf(&["json", "xml", "soap"]))
            .literal(),
        attr("type"),
        attr("action").required().of(VALIDATION_ACTION),
        attr("schema-id"),
        attr("schema-ref"),
        flag("allow-additional-properties"),
        flag("case-insensitive-property-names"),
    ],
    Content::Empty,
);

static VALIDATE_CONTENT: ElementSpec = statement(
    "validate-content",
    IN.and(OUT).and(ERR),
    &[
        attr("unspecified-content-type-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("max-size").required().of(INT),
        attr("size-exceeded-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("errors-variable-name"),
    ],
    Content::Elements(&[optional(&CONTENT_TYPE_MAP), any(&CONTENT)]),
)
.needs(API_SCHEMAS);

static PARAMETER: ElementSpec = config(
    "parameter",
    &[
        attr("name").required(),
        attr("action").required().of(VALIDATION_ACTION),
    ],
    Content::Empty,
);

static HEADER_PARAMETERS: ElementSpec = config(
    "headers",
    &[
        attr("specified-parameter-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("unspecified-parameter-action")
            .required()
            .of(VALIDATION_ACTION),
    ],
    Content::Elements(&[any(&PARAMETER)]),
);

static QUERY_PARAMETERS: ElementSpec = config(
    "query",
    &[
        attr("specified-parameter-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("unspecified-parameter-action")
            .required()
            .of(VALIDATION_ACTION),
    ],
    Content::Elements(&[any(&PARAMETER)]),
);

static PATH_PARAMETERS: ElementSpec = config(
    "path",
    &[attr("specified-parameter-action")
        .required()
        .of(VALIDATION_ACTION)],
    Content::Elements(&[any(&PARAMETER)]),
);

static VALIDATE_PARAMETERS: ElementSpec = statement(
    "validate-parameters",
    IN,
    &[
        attr("specified-parameter-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("unspecified-parameter-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("errors-variable-name"),
    ],
    Content::Elements(&[
        optional(&HEADER_PARAMETERS),
        optional(&QUERY_PARAMETERS),
        optional(&PATH_PARAMETERS),
    ]),
)
.needs(API_SCHEMAS);

static VALIDATED_HEADER: ElementSpec = config(
    "header",
    &[
        attr("name").required(),
        attr("action").required().of(VALIDATION_ACTION),
    ],
    Content::Empty,
);

static VALIDATE_HEADERS: ElementSpec = statement(
    "validate-headers",
    OUT.and(ERR),
    &[
        attr("specified-header-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("unspecified-header-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("errors-variable-name"),
    ],
    Content::Elements(&[any(&VALIDATED_HEADER)]),
)
.needs(API_SCHEMAS);

static STATUS_CODE: ElementSpec = config(
    "status-code",
    &[
        attr("code").required().of(INT).literal(),
        attr("action").required().of(VALIDATION_ACTION),
    ],
    Content::Empty,
);

static VALIDATE_STATUS_CODE: ElementSpec = statement(
    "validate-status-code",
    OUT.and(ERR),
    &[
        attr("unspecified-status-code-action")
            .required()
            .of(VALIDATION_ACTION),
        attr("errors-variable-name"),
    ],
    Content::Elements(&[any(&STATUS_CODE)]),
)
.needs(API_SCHEMAS);

static VALIDATE_ODATA_REQUEST: ElementSpec = statement(
    "validate-odata-request",
    IN,
    &[
        attr("error-variable-name"),
        attr("default-odata-version"),
        attr("min-odata-version"),
        attr("max-odata-version"),
        attr("max-size"),
    ],
    Content::Empty,
)
.needs(API_SCHEMAS);

static RULE: ElementSpec = config(
    "rule",
    &[
        attr("path").required(),
        attr("action").of(ValueType::OneOf(&["allow", "reject", "remove"])),
    ],
    Content::Empty,
);

// XSD: one to a hundred rules.
static AUTHORIZE: ElementSpec = config("authorize", &[], Content::Elements(&[some(&RULE)]));

static VALIDATE_GRAPHQL_REQUEST: ElementSpec = statement(
    "validate-graphql-request",
    IN,
    &[
        attr("error-variable-name"),
        attr("max-depth"),
        attr("max-size"),
        attr("max-total-depth"),
        attr("max-complexity"),
    ],
    Content::Elements(&[optional(&AUTHORIZE)]),
)
.needs(GRAPHQL);

// ----- GraphQL resolvers -----
//
// Resolver policies are documents of their own, not statements of a section. Their inner
// elements are kept raw: the gateway refuses resolvers, so checking them in depth would only
// produce findings nobody can act on.

static HTTP_REQUEST: ElementSpec = config("http-request", &[], Content::Payload);

static RESOLVER_BACKEND: ElementSpec = config("backend", &[], Content::Payload);

static HTTP_RESPONSE: ElementSpec = config("http-response", &[], Content::Payload);

static HTTP_DATA_SOURCE: ElementSpec = statement(
    "http-data-source",
    Sections::NONE,
    &[],
    Content::Elements(&[
        one(&HTTP_REQUEST),
        optional(&RESOLVER_BACKEND),
        optional(&HTTP_RESPONSE),
    ]),
)
.needs(GRAPHQL);

static CONNECTION_INFO: ElementSpec = config("connection-info", &[], Content::Payload);

static RESOLVER_REQUEST: ElementSpec = config(
    "request",
    &[attr("single-result").of(BOOL)],
    Content::Payload,
);

static RESOLVER_RESPONSE: ElementSpec = config("response", &[], Content::Payload);

static SQL_DATA_SOURCE: ElementSpec = statement(
    "sql-data-source",
    Sections::NONE,
    &[],
    Content::Elements(&[
        one(&CONNECTION_INFO),
        any(&INCLUDE_FRAGMENT),
        one(&RESOLVER_REQUEST),
        optional(&RESOLVER_RESPONSE),
    ]),
)
.needs(GRAPHQL);

static QUERY_REQUEST: ElementSpec = config("query-request", &[], Content::Payload);

static READ_REQUEST: ElementSpec = config("read-request", &[], Content::Payload);

static DELETE_REQUEST: ElementSpec = config("delete-request", &[], Content::Payload);

static WRITE_REQUEST: ElementSpec = config("write-request", &[], Content::Payload);

static COSMOSDB_DATA_SOURCE: ElementSpec = statement(
    "cosmosdb-data-source",
    Sections::NONE,
    &[],
    Content::Elements(&[
        one(&CONNECTION_INFO),
        optional(&QUERY_REQUEST),
        optional(&READ_REQUEST),
        optional(&DELETE_REQUEST),
        optional(&WRITE_REQUEST),
        optional(&RESOLVER_RESPONSE),
    ]),
)
.needs(GRAPHQL);

static GRAPHQL_DATA_SOURCE: ElementSpec = statement(
    "graphql-data-source",
    Sections::NONE,
    &[],
    Content::Elements(&[one(&RESOLVER_REQUEST), optional(&RESOLVER_RESPONSE)]),
)
.needs(GRAPHQL);

static GRAPHQL_SUBSCRIPTION: ElementSpec = config(
    "graphql-subscription",
    &[attr("id").required()],
    Content::Empty,
);

static TARGETS: ElementSpec = config(
    "targets",
    &[],
    Content::Elements(&[some(&GRAPHQL_SUBSCRIPTION)]),
);

static PUBLISH_EVENT: ElementSpec = statement(
    "publish-event",
    Sections::NONE,
    &[],
    Content::Elements(&[one(&TARGETS)]),
)
.needs(GRAPHQL);

// ----- AI gateway -----

const TOKEN_LIMIT_ATTRIBUTES: [AttributeSpec; 15] = [
    attr("counter-key").required(),
    flag("estimate-prompt-tokens").required(),
    attr("tokens-per-minute").of(INT),
    attr("token-quota").of(INT),
    attr("token-quota-period")
        .of(ValueType::OneOf(&[
            "Indefinite",
            "Hourly",
            "Daily",
            "Weekly",
            "Monthly",
            "Yearly",
        ]))
        .literal(),
    attr("prompt-type")
        .of(ValueType::OneOf(&[
            "auto",
            "chat-completion",
            "completion",
            "embeddings",
        ]))
        .literal(),
    attr("retry-after-header-name"),
    attr("retry-after-variable-name"),
    attr("remaining-tokens-header-name"),
    attr("remaining-tokens-variable-name"),
    attr("remaining-quota-tokens-header-name"),
    attr("remaining-quota-tokens-variable-name"),
    attr("tokens-consumed-header-name"),
    attr("tokens-consumed-variable-name"),
    flag("ignore-prompt"),
];

static AZURE_OPENAI_TOKEN_LIMIT: ElementSpec = statement(
    "azure-openai-token-limit",
    IN,
    &TOKEN_LIMIT_ATTRIBUTES,
    Content::Empty,
)
.needs(LLM_TOKENS);

static LLM_TOKEN_LIMIT: ElementSpec = statement(
    "llm-token-limit",
    IN,
    &TOKEN_LIMIT_ATTRIBUTES,
    Content::Empty,
)
.needs(LLM_TOKENS);

const TOKEN_METRIC_ATTRIBUTES: [AttributeSpec; 4] = [
    attr("namespace"),
    attr("name"),
    attr("value-type")
        .of(ValueType::OneOf(&[
            "all",
            "total-tokens",
            "prompt-tokens",
            "completion-tokens",
        ]))
        .literal(),
    flag("ignore-prompt"),
];

static AZURE_OPENAI_EMIT_TOKEN_METRIC: ElementSpec = statement(
    "azure-openai-emit-token-metric",
    IN,
    &TOKEN_METRIC_ATTRIBUTES,
    Content::Elements(&[any(&DIMENSION)]),
)
.needs(AZURE_MONITOR);

static LLM_EMIT_TOKEN_METRIC: ElementSpec = statement(
    "llm-emit-token-metric",
    IN,
    &TOKEN_METRIC_ATTRIBUTES,
    Content::Elements(&[any(&DIMENSION)]),
)
.needs(AZURE_MONITOR);

static VARY_BY: ElementSpec = config("vary-by", &[], Content::Text);

const SEMANTIC_LOOKUP_ATTRIBUTES: [AttributeSpec; 6] = [
    attr("score-threshold").required().of(NUMBER).literal(),
    attr("embeddings-backend-id").required(),
    attr("embeddings-backend-auth")
        .of(ValueType::OneOf(&["system-assigned", "header"]))
        .literal(),
    attr("ignore-system-messages").of(BOOL),
    attr("cache-id"),
    attr("max-message-count").of(INT),
];

static AZURE_OPENAI_SEMANTIC_CACHE_LOOKUP: ElementSpec = statement(
    "azure-openai-semantic-cache-lookup",
    IN,
    &SEMANTIC_LOOKUP_ATTRIBUTES,
    Content::Elements(&[any(&VARY_BY)]),
)
.needs(SEMANTIC_CACHE);

static LLM_SEMANTIC_CACHE_LOOKUP: ElementSpec = statement(
    "llm-semantic-cache-lookup",
    IN,
    &SEMANTIC_LOOKUP_ATTRIBUTES,
    Content::Elements(&[any(&VARY_BY)]),
)
.needs(SEMANTIC_CACHE);

static AZURE_OPENAI_SEMANTIC_CACHE_STORE: ElementSpec = statement(
    "azure-openai-semantic-cache-store",
    OUT,
    &[attr("duration").required().of(INT)],
    Content::Empty,
)
.needs(SEMANTIC_CACHE);

static LLM_SEMANTIC_CACHE_STORE: ElementSpec = statement(
    "llm-semantic-cache-store",
    OUT,
    &[attr("duration").required().of(INT)],
    Content::Empty,
)
.needs(SEMANTIC_CACHE);

static CATEGORY: ElementSpec = config(
    "category",
    &[
        attr("name").required().of(ValueType::OneOf(&[
            "Hate", "SelfHarm", "Sexual", "Violence",
        ])),
        attr("threshold").required().of(INT),
    ],
    Content::Empty,
);

static CATEGORIES: ElementSpec = config(
    "categories",
    &[attr("output-type").of(ValueType::OneOf(&[
        "FourSeverityLevels",
        "EightSeverityLevels",
    ]))],
    Content::Elements(&[some(&CATEGORY)]),
);

static BLOCKLIST_ID: ElementSpec = config("id", &[], Content::Text);

static BLOCKLISTS: ElementSpec =
    config("blocklists", &[], Content::Elements(&[some(&BLOCKLIST_ID)]));

static LLM_CONTENT_SAFETY: ElementSpec = statement(
    "llm-content-safety",
    IN,
    &[
        attr("backend-id").required(),
        attr("shield-prompt").of(BOOL),
    ],
    Content::Elements(&[optional(&CATEGORIES), optional(&BLOCKLISTS)]),
)
.needs("Azure AI Content Safety");
