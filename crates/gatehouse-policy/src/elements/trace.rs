//! `<trace source="name" severity="verbose|information|error">` with `<message>` and
//! `<metadata name value>`: adds an entry under `source` to the request trace.
//!
//! APIM also sends these entries to Application Insights and resource logs, which this gateway
//! does not have; here they go to the request trace only, so nothing is evaluated for
//! requests that are not traced.

use serde_json::{Map, Value, json};

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct Trace {
    source: String,
    severity: String,
    message: Text,
    metadata: Vec<(String, Text)>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<Trace> {
    let source = cx
        .required_text(element, "source")?
        .source()
        .trim()
        .to_owned();
    let severity = element
        .attribute("severity")
        .map_or("verbose".to_owned(), |a| {
            a.value.text.trim().to_ascii_lowercase()
        });
    let message = match element.elements().find(|c| c.name == "message") {
        Some(message) => cx.content(message)?,
        None => cx.content(element)?,
    };
    let mut metadata = Vec::new();
    for item in element.elements().filter(|c| c.name == "metadata") {
        let name = item
            .attribute("name")
            .map(|a| a.value.text.trim().to_owned())?;
        metadata.push((name, cx.required_text(item, "value")?));
    }
    Some(Trace {
        source,
        severity,
        message,
        metadata,
    })
}

impl Trace {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.message);
        out.extend(self.metadata.iter().map(|(_, v)| v));
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        if !ex.is_traced() {
            return Ok(());
        }
        let message = self
            .message
            .string(ex)
            .map_err(|e| Failure::expression("trace", &e))?;
        let mut metadata = Map::new();
        for (name, value) in &self.metadata {
            let value = value
                .string(ex)
                .map_err(|e| Failure::expression("trace", &e))?;
            metadata.insert(name.clone(), Value::from(&*value));
        }
        let data = if metadata.is_empty() && self.severity == "verbose" {
            json!(&*message)
        } else {
            json!({ "message": &*message, "severity": &self.severity, "metadata": metadata })
        };
        ex.record_as(ex.section, self.source.clone().into(), || data);
        Ok(())
    }
}
