//! One module per policy element: how it compiles and what it does.
//!
//! Elements the schema marks as needing a service this gateway lacks compile only to a "not
//! supported by this gateway" error; elements not implemented yet are refused as "not
//! supported by Gatehouse yet". Nothing is ever skipped at run time.

mod authentication_basic;
mod authentication_certificate;
mod cache_lookup;
mod cache_lookup_value;
mod cache_remove_value;
mod cache_store;
mod cache_store_value;
mod check_header;
mod choose;
mod cors;
mod counting;
mod cross_domain;
mod find_and_replace;
mod forward_request;
mod ip_filter;
mod json_to_xml;
mod jsonp;
mod jwe;
mod jwt;
mod limit_concurrency;
mod liquid;
mod mock_response;
mod proxy;
mod quota;
mod quota_by_key;
mod rate_limit;
mod rate_limit_by_key;
mod redirect_content_urls;
mod retry;
mod return_response;
mod rewrite_uri;
mod send_one_way_request;
mod send_request;
mod set_backend_service;
mod set_body;
mod set_header;
mod set_method;
mod set_query_parameter;
mod set_status;
mod set_variable;
mod trace;
mod validate_client_certificate;
mod validate_jwt;
mod wait;
mod xml;
mod xml_to_json;

pub(crate) use choose::Choose;
pub(crate) use cors::{Cors, Verdict as CorsVerdict};
pub(crate) use forward_request::ForwardRequest;
pub(crate) use limit_concurrency::LimitConcurrency;
pub(crate) use retry::Retry;
pub(crate) use return_response::ReturnResponse;
pub(crate) use set_body::SetBody;
pub(crate) use set_header::SetHeader;
pub(crate) use set_status::SetStatus;
pub(crate) use wait::Wait;

use crate::compile::{Compiler, Step, StepMeta, Text};
use crate::reader::{Code, Element};
use crate::runtime::execute::{Cx, Flow};
use crate::runtime::{Backend, Exchange, Failure, Section};
use crate::schema::{self, Support};

/// A compiled policy statement.
#[derive(Clone, Debug)]
pub(crate) enum Action {
    /// `<base/>`: replaced by the parent scope's section when scopes are joined.
    Base,
    AuthenticationBasic(authentication_basic::AuthenticationBasic),
    AuthenticationCertificate(authentication_certificate::AuthenticationCertificate),
    CacheLookup(cache_lookup::CacheLookup),
    CacheLookupValue(cache_lookup_value::CacheLookupValue),
    CacheRemoveValue(cache_remove_value::CacheRemoveValue),
    CacheStore(cache_store::CacheStore),
    CacheStoreValue(cache_store_value::CacheStoreValue),
    CheckHeader(check_header::CheckHeader),
    Choose(Choose),
    Cors(Cors),
    CrossDomain(cross_domain::CrossDomain),
    FindAndReplace(find_and_replace::FindAndReplace),
    ForwardRequest(ForwardRequest),
    IpFilter(ip_filter::IpFilter),
    JsonToXml(json_to_xml::JsonToXml),
    Jsonp(jsonp::Jsonp),
    LimitConcurrency(LimitConcurrency),
    MockResponse(mock_response::MockResponse),
    Quota(quota::Quota),
    QuotaByKey(quota_by_key::QuotaByKey),
    RateLimit(rate_limit::RateLimit),
    RateLimitByKey(rate_limit_by_key::RateLimitByKey),
    RedirectContentUrls(redirect_content_urls::RedirectContentUrls),
    Retry(Retry),
    ReturnResponse(ReturnResponse),
    RewriteUri(rewrite_uri::RewriteUri),
    Proxy(proxy::Proxy),
    SendOneWayRequest(send_one_way_request::SendOneWayRequest),
    SendRequest(send_request::SendRequest),
    SetBackendService(set_backend_service::SetBackendService),
    SetBody(SetBody),
    SetHeader(SetHeader),
    SetMethod(set_method::SetMethod),
    SetQueryParameter(set_query_parameter::SetQueryParameter),
    SetStatus(SetStatus),
    SetVariable(set_variable::SetVariable),
    Trace(trace::Trace),
    ValidateClientCertificate(validate_client_certificate::ValidateClientCertificate),
    ValidateJwt(validate_jwt::ValidateJwt),
    Wait(Wait),
    XmlToJson(xml_to_json::XmlToJson),
}

/// Compiles one policy element found in `section` at `path`.
pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
    section: Section,
    path: &str,
) -> Option<Action> {
    if let Some(spec) = schema::policy(&element.name)
        && let Support::Unsupported(what) = spec.support
    {
        cx.needs_service(element, what);
        return None;
    }
    let action = match element.name.as_str() {
        "base" => Action::Base,
        "authentication-basic" => {
            Action::AuthenticationBasic(authentication_basic::compile(element, cx)?)
        }
        "authentication-certificate" => {
            Action::AuthenticationCertificate(authentication_certificate::compile(element, cx)?)
        }
        "cache-lookup" => Action::CacheLookup(cache_lookup::compile(element, cx)?),
        "cache-lookup-value" => Action::CacheLookupValue(cache_lookup_value::compile(element, cx)?),
        "cache-remove-value" => Action::CacheRemoveValue(cache_remove_value::compile(element, cx)?),
        "cache-store" => Action::CacheStore(cache_store::compile(element, cx)?),
        "cache-store-value" => Action::CacheStoreValue(cache_store_value::compile(element, cx)?),
        "check-header" => Action::CheckHeader(check_header::compile(element, cx)?),
        "choose" => Action::Choose(choose::compile(element, cx, section, path)?),
        "cors" => Action::Cors(cors::compile(element, cx)?),
        "cross-domain" => Action::CrossDomain(cross_domain::compile(element, cx)?),
        "find-and-replace" => Action::FindAndReplace(find_and_replace::compile(element, cx)?),
        "forward-request" => Action::ForwardRequest(forward_request::compile(element, cx)?),
        "ip-filter" => Action::IpFilter(ip_filter::compile(element, cx)?),
        "json-to-xml" => Action::JsonToXml(json_to_xml::compile(element, cx)?),
        "jsonp" => Action::Jsonp(jsonp::compile(element, cx)?),
        "limit-concurrency" => {
            Action::LimitConcurrency(limit_concurrency::compile(element, cx, section, path)?)
        }
        "mock-response" => Action::MockResponse(mock_response::compile(element, cx)?),
        "proxy" => Action::Proxy(proxy::compile(element, cx)?),
        "quota" => Action::Quota(quota::compile(element, cx)?),
        "quota-by-key" => Action::QuotaByKey(quota_by_key::compile(element, cx)?),
        "rate-limit" => Action::RateLimit(rate_limit::compile(element, cx)?),
        "rate-limit-by-key" => Action::RateLimitByKey(rate_limit_by_key::compile(element, cx)?),
        "redirect-content-urls" => {
            Action::RedirectContentUrls(redirect_content_urls::compile(element, cx)?)
        }
        "retry" => Action::Retry(retry::compile(element, cx, section, path)?),
        "return-response" => Action::ReturnResponse(return_response::compile(element, cx)?),
        "rewrite-uri" => Action::RewriteUri(rewrite_uri::compile(element, cx)?),
        "send-one-way-request" => {
            Action::SendOneWayRequest(send_one_way_request::compile(element, cx)?)
        }
        "send-request" => Action::SendRequest(send_request::compile(element, cx)?),
        "set-backend-service" => {
            Action::SetBackendService(set_backend_service::compile(element, cx)?)
        }
        "set-body" => Action::SetBody(set_body::compile(element, cx)?),
        "set-header" => Action::SetHeader(set_header::compile(element, cx)?),
        "set-method" => Action::SetMethod(set_method::compile(element, cx)?),
        "set-query-parameter" => {
            Action::SetQueryParameter(set_query_parameter::compile(element, cx)?)
        }
        "set-status" => Action::SetStatus(set_status::compile(element, cx)?),
        "set-variable" => Action::SetVariable(set_variable::compile(element, cx)?),
        "trace" => Action::Trace(trace::compile(element, cx)?),
        "validate-client-certificate" => {
            Action::ValidateClientCertificate(validate_client_certificate::compile(element, cx)?)
        }
        "validate-jwt" => Action::ValidateJwt(validate_jwt::compile(element, cx)?),
        "wait" => Action::Wait(wait::compile(element, cx, section, path)?),
        "xml-to-json" => Action::XmlToJson(xml_to_json::compile(element, cx)?),
        other => {
            let message = format!("policy <{other}> is not supported by Gatehouse yet");
            cx.error(element.position, Code::Unsupported, message);
            return None;
        }
    };
    Some(action)
}

/// Runs a step that holds no block of steps (containers are run by the runner).
pub(crate) async fn run_leaf<B: Backend>(
    action: &Action,
    ex: &mut Exchange,
    cx: &Cx<'_, B>,
    meta: &StepMeta,
) -> Result<Flow, Failure> {
    let services = cx.services;
    match action {
        Action::CacheLookup(a) => a.run(ex, services),
        Action::CacheStore(a) => a.run(ex, services),
        Action::ForwardRequest(a) => a.run(ex, cx).await,
        Action::SendOneWayRequest(a) => a.run(ex, cx).await,
        Action::SendRequest(a) => a.run(ex, cx).await,
        Action::RateLimit(a) => a.run(ex, services, meta),
        Action::Quota(a) => a.run(ex, services, meta),
        action => run_sync(action, ex, services),
    }
}

/// Steps that neither wait nor need to know where they are.
fn run_sync(
    action: &Action,
    ex: &mut Exchange,
    services: &crate::runtime::Services,
) -> Result<Flow, Failure> {
    let next = |result: Result<(), Failure>| result.map(|()| Flow::Next);
    match action {
        Action::AuthenticationBasic(a) => next(a.run(ex)),
        Action::Proxy(a) => next(a.run(ex)),
        Action::AuthenticationCertificate(a) => next(a.run(ex)),
        Action::CacheLookupValue(a) => next(a.run(ex, services)),
        Action::CacheRemoveValue(a) => next(a.run(ex, services)),
        Action::CacheStoreValue(a) => next(a.run(ex, services)),
        Action::CheckHeader(a) => next(a.run(ex)),
        Action::Cors(a) => a.run(ex),
        Action::CrossDomain(a) => a.run(ex),
        Action::FindAndReplace(a) => next(a.run(ex)),
        Action::IpFilter(a) => next(a.run(ex)),
        Action::JsonToXml(a) => next(a.run(ex)),
        Action::Jsonp(a) => next(a.run(ex)),
        Action::MockResponse(a) => a.run(ex),
        Action::QuotaByKey(a) => next(a.run(ex, services)),
        Action::RateLimitByKey(a) => next(a.run(ex, services)),
        Action::RedirectContentUrls(a) => next(a.run(ex)),
        Action::ReturnResponse(a) => a.run(ex).map(|()| Flow::Stop),
        Action::RewriteUri(a) => next(a.run(ex)),
        Action::SetBackendService(a) => next(a.run(ex)),
        Action::SetBody(a) => next(a.run(ex)),
        Action::SetHeader(a) => next(a.run(ex)),
        Action::SetMethod(a) => next(a.run(ex)),
        Action::SetQueryParameter(a) => next(a.run(ex)),
        Action::SetStatus(a) => next(a.run(ex)),
        Action::SetVariable(a) => next(a.run(ex)),
        Action::Trace(a) => next(a.run(ex)),
        Action::ValidateClientCertificate(a) => next(a.run(ex)),
        Action::ValidateJwt(a) => next(a.run(ex)),
        Action::XmlToJson(a) => next(a.run(ex)),
        // `<base/>` is gone after joining; the rest are run by `run_leaf` or the runner.
        Action::Base
        | Action::CacheLookup(_)
        | Action::CacheStore(_)
        | Action::Choose(_)
        | Action::ForwardRequest(_)
        | Action::LimitConcurrency(_)
        | Action::Quota(_)
        | Action::RateLimit(_)
        | Action::Retry(_)
        | Action::SendOneWayRequest(_)
        | Action::SendRequest(_)
        | Action::Wait(_) => Ok(Flow::Next),
    }
}

/// The steps nested directly in `action`: `choose` branches and container bodies.
pub(crate) fn nested_steps(action: &Action) -> Vec<&Step> {
    match action {
        Action::Choose(choose) => choose
            .branches
            .iter()
            .flat_map(|(_, steps)| steps)
            .chain(choose.otherwise.iter().flatten())
            .collect(),
        Action::Retry(retry) => retry.steps.iter().collect(),
        Action::LimitConcurrency(limit) => limit.steps.iter().collect(),
        Action::Wait(wait) => wait.steps.iter().collect(),
        _ => Vec::new(),
    }
}

/// Whether `step` forwards the request, itself or in a nested step.
pub(crate) fn forwards(step: &Step) -> bool {
    matches!(step.action, Action::ForwardRequest(_))
        || nested_steps(&step.action).into_iter().any(forwards)
}

/// Whether a step must have bodies in memory before it runs: one of its own expressions
/// mentions `Body` (conservative: a false positive only buffers a body that did not need it),
/// or the policy itself reads or rewrites a body.
// TODO(gatehouse): ask the expression compiler which context members an expression reads,
// once it reports them, instead of looking at the source text.
pub(crate) fn touches_body(action: &Action) -> bool {
    let mut texts = Vec::new();
    collect_texts(action, &mut texts);
    let reads = texts
        .iter()
        .any(|t| t.is_expression() && t.source().contains("Body"));
    reads || rewrites_body(action)
}

fn rewrites_body(action: &Action) -> bool {
    match action {
        Action::CacheStore(_)
        | Action::FindAndReplace(_)
        | Action::JsonToXml(_)
        | Action::Jsonp(_)
        | Action::RedirectContentUrls(_)
        | Action::XmlToJson(_) => true,
        Action::SetBody(body) => body.reads_body(),
        Action::SendRequest(send) => send.copies_request(),
        Action::SendOneWayRequest(send) => send.copies_request(),
        // A redirect (307, 308) may send the body again, so it must be in memory.
        Action::ForwardRequest(forward) => forward.follow_redirects,
        _ => false,
    }
}

fn collect_texts<'a>(action: &'a Action, out: &mut Vec<&'a Text>) {
    match action {
        Action::Choose(choose) => out.extend(choose.branches.iter().map(|(c, _)| c)),
        Action::ReturnResponse(a) => a.texts(out),
        Action::SetBody(a) => a.texts(out),
        Action::SetHeader(a) => a.texts(out),
        Action::SetStatus(a) => a.texts(out),
        Action::SetVariable(a) => a.texts(out),
        Action::SetQueryParameter(a) => a.texts(out),
        Action::SetMethod(a) => a.texts(out),
        Action::RewriteUri(a) => a.texts(out),
        Action::SetBackendService(a) => a.texts(out),
        Action::FindAndReplace(a) => a.texts(out),
        Action::Trace(a) => a.texts(out),
        Action::SendRequest(a) => a.texts(out),
        Action::SendOneWayRequest(a) => a.texts(out),
        Action::RateLimitByKey(a) => a.texts(out),
        Action::QuotaByKey(a) => a.texts(out),
        Action::CacheLookupValue(a) => a.texts(out),
        Action::CacheStoreValue(a) => a.texts(out),
        Action::CacheRemoveValue(a) => a.texts(out),
        Action::CheckHeader(a) => a.texts(out),
        Action::ValidateJwt(a) => a.texts(out),
        Action::Retry(a) => a.texts(out),
        Action::LimitConcurrency(a) => a.texts(out),
        Action::AuthenticationBasic(a) => a.texts(out),
        Action::Proxy(a) => a.texts(out),
        Action::AuthenticationCertificate(a) => a.texts(out),
        _ => {}
    }
}

/// The statuses a policy may give a response: final ones. A 1xx status is not a response
/// (HTTP/1.1 would answer `101` and drop the connection, HTTP/2 resets the stream), so it is
/// refused when saved and fails the request when computed.
pub(crate) const FINAL_STATUSES: std::ops::Range<u16> = 200..600;
