//! `<redirect-content-urls/>`: rewrites links in bodies so callers never see the backend's
//! address: in inbound, the gateway's URL becomes the backend's in the request body; in
//! outbound, the backend's URL becomes the gateway's in the response body.

use bytes::Bytes;
use serde_json::json;

use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::{Body, Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct RedirectContentUrls;

pub(crate) fn compile(_element: &Element, _cx: &mut Compiler<'_>) -> Option<RedirectContentUrls> {
    Some(RedirectContentUrls)
}

impl RedirectContentUrls {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let Some(backend) = &ex.backend_base else {
            return Ok(());
        };
        let backend = backend.to_string().trim_end_matches('/').to_owned();
        let gateway = gateway_base(ex);
        let (from, to) = if ex.section.works_on_request() {
            (gateway, backend)
        } else {
            (backend, gateway)
        };
        let message = ex.current_message();
        let Some(bytes) = ex.body_of(message).bytes() else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(bytes);
        if from.is_empty() || !text.contains(&from) {
            return Ok(());
        }
        let replaced = text.replace(&from, &to);
        ex.record(
            "redirect-content-urls",
            || json!({ "message": format!("Links to {from} were rewritten to {to}.") }),
        );
        ex.set_body(message, Body::from(Bytes::from(replaced)));
        Ok(())
    }
}

/// `scheme://host[:port]/api-path` of the URL the caller used.
fn gateway_base(ex: &Exchange) -> String {
    let url = ex.original_url();
    let default_port = matches!((&*url.scheme, url.port), ("https", 443) | ("http", 80));
    let port = if default_port {
        String::new()
    } else {
        format!(":{}", url.port)
    };
    let api_path = ex
        .resolved
        .api
        .as_ref()
        .map_or("", |a| a.path.trim_matches('/'));
    let path = if api_path.is_empty() {
        String::new()
    } else {
        format!("/{api_path}")
    };
    format!("{}://{}{port}{path}", url.scheme, url.host)
}
