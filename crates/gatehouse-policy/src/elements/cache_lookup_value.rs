//! `<cache-lookup-value key="@(...)" variable-name="x" default-value="..."/>`: reads a value
//! from the key/value cache into `context.Variables`. On a miss the variable gets the default
//! value when one is given, and is left unset otherwise.

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct CacheLookupValue {
    key: Text,
    variable: gatehouse_expr::context::Str,
    default: Option<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<CacheLookupValue> {
    let key = cx.required_text(element, "key")?;
    let variable = cx.required_text(element, "variable-name")?;
    Some(CacheLookupValue {
        key,
        variable: variable.source().trim().into(),
        default: cx.text(element, "default-value"),
    })
}

impl CacheLookupValue {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.key);
        out.extend(&self.default);
    }

    pub(crate) fn run(&self, ex: &mut Exchange, services: &Services) -> Result<(), Failure> {
        let source = "cache-lookup-value";
        let key = self
            .key
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let found = services.values.get(&key);
        let hit = found.is_some();
        let value = match (found, &self.default) {
            (Some(value), _) => Some(value),
            (None, Some(default)) => Some(
                default
                    .value(ex)
                    .map_err(|e| Failure::expression(source, &e))?,
            ),
            (None, None) => None,
        };
        ex.record(source, || {
            let message = if hit {
                "Cache lookup resulted in a hit."
            } else {
                "Cache lookup resulted in a miss."
            };
            json!({ "message": message, "key": &*key, "variable": &*self.variable })
        });
        if let Some(value) = value {
            ex.set_variable(&self.variable, value);
        }
        Ok(())
    }
}
