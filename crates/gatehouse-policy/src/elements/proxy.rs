//! `<proxy url="http://host:port" username="..." password="..."/>`: the request goes to the
//! backend through an HTTP proxy. In `inbound` it applies to `forward-request`; inside
//! `send-request` and `send-one-way-request` to that request only.
//!
//! As in APIM the gateway speaks plain HTTP to the proxy, with Basic credentials when a user
//! name is given. NTLM is refused when the policy is saved: it needs a Windows domain.

use std::sync::Arc;

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure, HttpProxy};

#[derive(Clone, Debug)]
pub(crate) struct Proxy {
    url: Text,
    username: Option<Text>,
    password: Option<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<Proxy> {
    let url = cx.required_text(element, "url")?;
    if let Some(literal) = url.literal()
        && let Err(reason) = HttpProxy::parse(literal)
    {
        let position = element
            .attribute("url")
            .map_or(element.position, |a| a.value.position);
        cx.error(position, Code::InvalidValue, format!("url: {reason}"));
        return None;
    }
    let username = cx.text(element, "username");
    if let Some(literal) = username.as_ref().and_then(Text::literal)
        && literal.contains(':')
    {
        let message = "<proxy> 'username' cannot contain ':' (Basic credentials are user:password)";
        cx.error(element.position, Code::InvalidValue, message);
        return None;
    }
    let password = cx.text(element, "password");
    if password.is_some() && username.is_none() {
        let message = "<proxy> has a 'password' but no 'username'";
        cx.error(element.position, Code::MissingAttribute, message);
        return None;
    }
    Some(Proxy {
        url,
        username,
        password,
    })
}

impl Proxy {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.url);
        out.extend(&self.username);
        out.extend(&self.password);
    }

    /// The inbound statement: later `forward-request`s go through the proxy.
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let proxy = self.resolve(ex, "proxy")?;
        ex.record("proxy", || {
            json!({
                "message": format!("Requests to the backend will go through the HTTP proxy http://{}", proxy.authority()),
                "authenticated": proxy.username.is_some(),
            })
        });
        ex.proxy = Some(proxy);
        Ok(())
    }

    /// The proxy as this request's expressions make it.
    pub(crate) fn resolve(&self, ex: &Exchange, source: &str) -> Result<Arc<HttpProxy>, Failure> {
        let evaluate = |text: &Text| {
            text.string(ex)
                .map(|value| value.to_string())
                .map_err(|e| Failure::expression(source, &e))
        };
        let url = evaluate(&self.url)?;
        let mut proxy = HttpProxy::parse(&url)
            .map_err(|_| Failure::invalid_value(source, "the proxy URL", &url))?;
        proxy.username = self.username.as_ref().map(evaluate).transpose()?;
        if let Some(username) = proxy.username.as_deref().filter(|u| u.contains(':')) {
            return Err(Failure::invalid_value(
                source,
                "the proxy user name",
                username,
            ));
        }
        proxy.password = self.password.as_ref().map(evaluate).transpose()?;
        Ok(Arc::new(proxy))
    }
}
