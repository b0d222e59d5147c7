//! `<cache-store duration="3600" cache-response="true"/>`: keeps the response in the response
//! cache under the key its `cache-lookup` missed, for `duration` seconds. Without
//! `cache-response`, only 200 responses are kept (APIM's rule).

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use super::counting;
use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::execute::Flow;
use crate::runtime::{CachedResponse, Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct CacheStore {
    duration: Text,
    cache_response: Option<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<CacheStore> {
    Some(CacheStore {
        duration: counting::number_text(element, cx, "duration")?,
        cache_response: cx.text(element, "cache-response"),
    })
}

impl CacheStore {
    pub(crate) fn run(&self, ex: &mut Exchange, services: &Services) -> Result<Flow, Failure> {
        let source = "cache-store";
        let Some(key) = ex.cache_key.take() else {
            ex.record(source, || json!({ "message": "Response was not cached: no cache-lookup missed for this request." }));
            return Ok(Flow::Next);
        };
        if !self.cacheable(ex)? {
            ex.record(source, || json!({ "message": format!("Response was not cached: status code {}.", ex.response.status) }));
            return Ok(Flow::Next);
        }
        let seconds = counting::number(&self.duration, ex, source, "duration")?;
        let Some(body) = ex.response.body.bytes() else {
            return Ok(Flow::Next);
        };
        let cached = CachedResponse {
            status: ex.response.status,
            reason: ex.response.reason.clone(),
            headers: ex.response.headers.clone(),
            body: Bytes::copy_from_slice(body),
        };
        services
            .responses
            .put(&key, cached, Duration::from_secs(seconds));
        ex.record(
            source,
            || json!({ "message": format!("Response was cached for {seconds} seconds.") }),
        );
        Ok(Flow::Next)
    }

    fn cacheable(&self, ex: &Exchange) -> Result<bool, Failure> {
        match &self.cache_response {
            None => Ok(ex.response.status == 200),
            Some(Text::Literal(text)) => Ok(text.trim().eq_ignore_ascii_case("true")),
            Some(Text::Expression(e)) => e
                .evaluate_bool(ex)
                .map_err(|e| Failure::expression("cache-store", &e)),
        }
    }
}
