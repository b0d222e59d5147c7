//! `<jsonp callback-parameter-name="cb"/>`: wraps the response body in a call of the function
//! the request names in that query parameter (`cb(...)`), for JavaScript clients.

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use serde_json::json;

use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::{Body, Exchange, Failure, query_pairs};

#[derive(Clone, Debug)]
pub(crate) struct Jsonp {
    parameter: String,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<Jsonp> {
    let parameter = cx.required_text(element, "callback-parameter-name")?;
    Some(Jsonp {
        parameter: parameter.source().trim().to_owned(),
    })
}

impl Jsonp {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let callback = query_pairs(&ex.request.url.query)
            .chain(
                ex.original_url()
                    .query
                    .iter()
                    .flat_map(|(n, v)| v.iter().map(move |v| (n.to_string(), v.to_string()))),
            )
            .find(|(name, _)| *name == self.parameter)
            .map(|(_, value)| value);
        let Some(callback) = callback else {
            return Ok(());
        };
        if !is_identifier(&callback) {
            let message = format!(
                "Value of callback parameter {} is not a valid JavaScript identifier.",
                self.parameter
            );
            return Err(Failure::denied(
                "jsonp",
                "CallbackParameterInvalid",
                &message,
                400,
            ));
        }
        let body = ex.response.body.bytes().unwrap_or_default();
        let wrapped = format!("{callback}({})", String::from_utf8_lossy(body));
        ex.response.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/javascript"),
        );
        ex.set_body(
            gatehouse_expr::Message::Response,
            Body::from(Bytes::from(wrapped)),
        );
        ex.record(
            "jsonp",
            || json!({ "message": format!("Response was wrapped in a call of {callback}.") }),
        );
        Ok(())
    }
}

/// A JavaScript identifier, or a dotted path of them (`ns.cb`).
fn is_identifier(text: &str) -> bool {
    let part = |p: &str| {
        let mut chars = p.chars();
        chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    !text.is_empty() && text.split('.').all(part)
}
