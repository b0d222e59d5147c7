//! `<cache-remove-value key="@(...)"/>`: forgets a key of the key/value cache.

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct CacheRemoveValue {
    key: Text,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<CacheRemoveValue> {
    Some(CacheRemoveValue {
        key: cx.required_text(element, "key")?,
    })
}

impl CacheRemoveValue {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.key);
    }

    pub(crate) fn run(&self, ex: &mut Exchange, services: &Services) -> Result<(), Failure> {
        let key = self
            .key
            .string(ex)
            .map_err(|e| Failure::expression("cache-remove-value", &e))?;
        services.values.remove(&key);
        ex.record(
            "cache-remove-value",
            || json!({ "message": "Value was removed from the cache.", "key": &*key }),
        );
        Ok(())
    }
}
