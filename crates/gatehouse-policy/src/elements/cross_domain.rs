//! `<cross-domain><cross-domain-policy>...</cross-domain-policy></cross-domain>`: answers
//! Flash and Silverlight clients' requests for `/crossdomain.xml` with the policy document
//! written inside, and lets every other request through.

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use serde_json::json;

use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::execute::Flow;
use crate::runtime::{Body, Exchange, Failure, Response};

#[derive(Clone, Debug)]
pub(crate) struct CrossDomain {
    document: Bytes,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<CrossDomain> {
    let policy = element
        .elements()
        .find(|child| child.name == "cross-domain-policy")
        .map(|child| cx.document.slice(child.span).to_owned())
        .unwrap_or_else(|| "<cross-domain-policy />".to_owned());
    let policy = cx.raw_value(&policy, element.position, false)?;
    let document = format!("<?xml version=\"1.0\"?>\n{policy}");
    Some(CrossDomain {
        document: Bytes::from(document),
    })
}

impl CrossDomain {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<Flow, Failure> {
        if !ex.original_url().path.ends_with("/crossdomain.xml") {
            return Ok(Flow::Next);
        }
        let mut response = Response::default();
        response
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        response.body = Body::from(self.document.clone());
        ex.record(
            "cross-domain",
            || json!({ "message": "The cross-domain policy document was returned." }),
        );
        ex.response = response;
        ex.responded = true;
        Ok(Flow::Stop)
    }
}
