//! `<cache-store-value key="@(...)" value="@(...)" duration="3600"/>`: keeps a value in the
//! key/value cache for `duration` seconds.

use std::time::Duration;

use serde_json::json;

use super::counting;
use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct CacheStoreValue {
    key: Text,
    value: Text,
    duration: Text,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<CacheStoreValue> {
    let key = cx.required_text(element, "key");
    let value = cx.required_text(element, "value");
    let duration = counting::number_text(element, cx, "duration");
    Some(CacheStoreValue {
        key: key?,
        value: value?,
        duration: duration?,
    })
}

impl CacheStoreValue {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend([&self.key, &self.value, &self.duration]);
    }

    pub(crate) fn run(&self, ex: &mut Exchange, services: &Services) -> Result<(), Failure> {
        let source = "cache-store-value";
        let key = self
            .key
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let value = self
            .value
            .value(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let seconds = counting::number(&self.duration, ex, source, "duration")?;
        services
            .values
            .set(&key, value, Duration::from_secs(seconds));
        ex.record(source, || json!({ "message": "Value was stored in the cache.", "key": &*key, "duration": seconds }));
        Ok(())
    }
}
