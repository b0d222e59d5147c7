//! `<send-request mode="new|copy" response-variable-name="r" timeout="60" ignore-error="false">`
//! with `<set-url>`, `<set-method>`, `<set-header>` and `<set-body>`: calls another service
//! and keeps its response in a variable as an `IResponse`.
//!
//! The request is built against the exchange, sent through the [`Backend`] (so `wait` can
//! send several at once), and its whole response read into memory. With `ignore-error` a
//! failed call leaves the variable `null` instead of failing the pipeline.

use std::sync::Arc;
use std::time::Duration;

use gatehouse_expr::context::{MessageData, Str};
use gatehouse_expr::{MessagePart, MessageRef, Value};
use http::{HeaderMap, Method};
use serde_json::json;

use super::authentication_certificate::{self, AuthenticationCertificate};
use super::proxy::{self, Proxy};
use super::set_method::SetMethod;
use super::{SetBody, SetHeader, set_body, set_header, set_method};
use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::execute::{Cx, Flow};
use crate::runtime::{
    Backend, Body, DEFAULT_SEND_TIMEOUT, Exchange, Failure, ForwardError, ForwardOptions,
    MAX_BUFFERED_BODY, Request, Response, Url,
};

#[derive(Clone, Debug)]
pub(crate) struct SendRequest {
    copy: bool,
    variable: Option<Str>,
    options: ForwardOptions,
    ignore_error: bool,
    url: Option<Text>,
    method: Option<SetMethod>,
    headers: Vec<SetHeader>,
    body: Option<SetBody>,
    certificate: Option<AuthenticationCertificate>,
    proxy: Option<Proxy>,
}

/// A request built against the exchange, ready to send.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) request: Request,
    pub(crate) options: ForwardOptions,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SendRequest> {
    let copy = element
        .attribute("mode")
        .is_some_and(|m| m.value.text.trim().eq_ignore_ascii_case("copy"));
    let mut options = ForwardOptions {
        timeout: DEFAULT_SEND_TIMEOUT,
        ..ForwardOptions::default()
    };
    if let Some(seconds) = cx.literal::<u64>(element, "timeout", "a whole number of seconds") {
        options.timeout = Duration::from_secs(seconds);
    }
    if let Some(millis) = cx.literal::<u64>(element, "timeout-ms", "a whole number of milliseconds")
    {
        options.timeout = Duration::from_millis(millis);
    }
    let mut send = SendRequest {
        copy,
        variable: element
            .attribute("response-variable-name")
            .map(|a| a.value.text.trim().into()),
        options,
        ignore_error: cx.flag(element, "ignore-error").unwrap_or(false),
        url: None,
        method: None,
        headers: Vec::new(),
        body: None,
        certificate: None,
        proxy: None,
    };
    parts(element, cx, &mut send, "send-request").then_some(send)
}

/// Compiles the children that build the request; false when one does not compile.
pub(crate) fn parts(
    element: &Element,
    cx: &mut Compiler<'_>,
    send: &mut SendRequest,
    name: &str,
) -> bool {
    let mut ok = true;
    for child in element.elements() {
        let compiled = match child.name.as_str() {
            "set-url" => cx.content(child).map(|url| send.url = Some(url)),
            "set-method" => set_method::compile(child, cx).map(|m| send.method = Some(m)),
            "set-header" => set_header::compile(child, cx).map(|h| send.headers.push(h)),
            "set-body" => set_body::compile(child, cx).map(|b| send.body = Some(b)),
            "authentication-certificate" => {
                authentication_certificate::compile(child, cx).map(|c| send.certificate = Some(c))
            }
            "proxy" => proxy::compile(child, cx).map(|p| send.proxy = Some(p)),
            other => {
                refuse_child(child, cx, other, name);
                None
            }
        };
        ok &= compiled.is_some();
    }
    let has_url = element.elements().any(|child| child.name == "set-url");
    if !has_url && !send.copy {
        let message = format!("<{name}> needs a <set-url> (or mode=\"copy\")");
        cx.error(element.position, Code::MissingAttribute, message);
        ok = false;
    }
    ok
}

fn refuse_child(child: &Element, cx: &mut Compiler<'_>, other: &str, name: &str) {
    if let Some(spec) = crate::schema::policy(other)
        && let crate::schema::Support::Unsupported(what) = spec.support
    {
        cx.needs_service(child, what);
        return;
    }
    let message = format!("<{other}> inside <{name}> is not supported by Gatehouse yet");
    cx.unsupported(child.position, message);
}

impl SendRequest {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend(&self.url);
        self.method.iter().for_each(|m| m.texts(out));
        self.headers.iter().for_each(|h| h.texts(out));
        self.body.iter().for_each(|b| b.texts(out));
        self.certificate.iter().for_each(|c| c.texts(out));
        self.proxy.iter().for_each(|p| p.texts(out));
    }

    /// Whether the request starts as a copy of the current one (whose body must then be in
    /// memory).
    pub(crate) fn copies_request(&self) -> bool {
        self.copy
    }

    pub(crate) async fn run<B: Backend>(
        &self,
        ex: &mut Exchange,
        cx: &Cx<'_, B>,
    ) -> Result<Flow, Failure> {
        let prepared = self.prepare(ex, "send-request")?;
        let result = exchange(cx.backend, prepared.request, &prepared.options).await;
        self.store(ex, result)?;
        Ok(Flow::Next)
    }

    /// The request and how to send it, built against `ex`.
    pub(crate) fn prepare(&self, ex: &Exchange, source: &str) -> Result<Prepared, Failure> {
        let mut request = if self.copy {
            copy_of(&ex.request)
        } else {
            empty_request()
        };
        if let Some(url) = &self.url {
            let text = url
                .string(ex)
                .map_err(|e| Failure::expression(source, &e))?;
            request.url = Url::parse(text.trim())
                .map_err(|_| Failure::invalid_value(source, "the request URL", &text))?;
        }
        if let Some(method) = &self.method {
            request.method = method.evaluate(ex, source)?;
        }
        for header in &self.headers {
            header.apply_to(ex, &mut request.headers)?;
        }
        if let Some(body) = &self.body {
            request.body = body.body(ex)?;
        }
        let mut options = self.options.clone();
        if let Some(certificate) = &self.certificate {
            options.client_identity = Some(certificate.resolve(ex)?);
        }
        if let Some(proxy) = &self.proxy {
            options.proxy = Some(proxy.resolve(ex, source)?);
        }
        ex.record("send-request", || {
            json!({ "message": "Request is being sent.", "request": { "method": request.method.as_str(), "url": request.url.to_string() } })
        });
        Ok(Prepared { request, options })
    }

    /// Keeps the response (or `null` after an ignored error) in the variable.
    pub(crate) fn store(
        &self,
        ex: &mut Exchange,
        result: Result<MessageData, ForwardError>,
    ) -> Result<(), Failure> {
        let value = match result {
            Ok(message) => {
                ex.record("send-request", || json!({ "message": "Response was received.", "response": { "status": { "code": message.status_code, "reason": &*message.status_reason } } }));
                Value::Message(MessageRef {
                    data: Arc::new(message),
                    part: MessagePart::Whole,
                })
            }
            Err(error) if self.ignore_error => {
                ex.record("send-request", || json!({ "message": format!("The request failed and the error was ignored: {error}") }));
                Value::Null
            }
            Err(error) => {
                let failure =
                    Failure::backend(error.reason(), error.to_string()).from_source("send-request");
                return Err(failure);
            }
        };
        if let Some(variable) = &self.variable {
            ex.set_variable(variable, value);
        }
        Ok(())
    }
}

/// Sends `request` and reads the whole response.
pub(crate) async fn exchange<B: Backend>(
    backend: &B,
    request: Request,
    options: &ForwardOptions,
) -> Result<MessageData, ForwardError> {
    let response = backend.send(request, options).await?;
    message_data(response).await
}

async fn message_data(response: Response) -> Result<MessageData, ForwardError> {
    let status_reason: Str = response.reason_phrase().into();
    let headers = grouped_headers(&response.headers);
    let body = response
        .body
        .collect(MAX_BUFFERED_BODY)
        .await
        .map_err(|e| ForwardError::Connection(e.to_string()))?;
    Ok(MessageData {
        status_code: i32::from(response.status),
        status_reason,
        headers,
        body: (!body.is_empty()).then(|| Arc::from(&body[..])),
    })
}

fn grouped_headers(headers: &HeaderMap) -> Arc<[(Str, Arc<[Str]>)]> {
    headers
        .keys()
        .map(|name| {
            let values: Vec<Str> = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into())
                .collect();
            (Str::from(name.as_str()), Arc::from(values))
        })
        .collect()
}

fn copy_of(request: &Request) -> Request {
    let body = match &request.body {
        Body::Full(bytes) => Body::Full(bytes.clone()),
        _ => Body::Empty,
    };
    Request {
        method: request.method.clone(),
        url: request.url.clone(),
        headers: request.headers.clone(),
        body,
    }
}

fn empty_request() -> Request {
    Request {
        method: Method::GET,
        url: Url {
            scheme: "http".into(),
            host: "localhost".into(),
            port: 80,
            path: "/".into(),
            query: String::new(),
        },
        headers: HeaderMap::new(),
        body: Body::Empty,
    }
}
