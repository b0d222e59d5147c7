//! `<set-header name="X" exists-action="override|skip|append|delete"><value>..</value></set-header>`:
//! changes a request header in inbound and backend, a response header in outbound and on-error.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExistsAction {
    Append,
    Delete,
    Override,
    Skip,
}

#[derive(Clone, Debug)]
pub(crate) struct SetHeader {
    name: HeaderName,
    action: ExistsAction,
    values: Vec<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetHeader> {
    let attribute = element.attribute("name")?;
    let Ok(name) = HeaderName::from_bytes(attribute.value.text.trim().as_bytes()) else {
        let message = format!("'{}' is not a valid header name", attribute.value.text);
        cx.error(attribute.value.position, Code::InvalidValue, message);
        return None;
    };
    let action = match element
        .attribute("exists-action")
        .map(|a| a.value.text.as_str())
    {
        None | Some("override") => ExistsAction::Override,
        Some("skip") => ExistsAction::Skip,
        Some("append") => ExistsAction::Append,
        Some("delete") => ExistsAction::Delete,
        Some(other) => {
            let message =
                format!("exists-action '{other}' must be override, skip, append or delete");
            cx.error(element.position, Code::InvalidValue, message);
            return None;
        }
    };
    let values = element
        .elements()
        .filter(|child| child.name == "value")
        .map(|child| match child.texts().next() {
            Some(text) => cx.value(text),
            None => Some(Text::Literal("".into())),
        })
        .collect::<Option<Vec<Text>>>()?;
    Some(SetHeader {
        name,
        action,
        values,
    })
}

impl SetHeader {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend(&self.values);
    }

    /// Applies the change to the message the current section works on.
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let values = self.evaluate(ex)?;
        let headers = if ex.section.works_on_request() {
            &mut ex.request.headers
        } else {
            &mut ex.response.headers
        };
        self.change(headers, values);
        Ok(())
    }

    /// Applies the change to `headers` (a response being built by `return-response`).
    pub(crate) fn apply_to(&self, ex: &Exchange, headers: &mut HeaderMap) -> Result<(), Failure> {
        let values = self.evaluate(ex)?;
        self.change(headers, values);
        Ok(())
    }

    fn evaluate(&self, ex: &Exchange) -> Result<Vec<HeaderValue>, Failure> {
        let mut values = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let text = value
                .string(ex)
                .map_err(|e| Failure::expression("set-header", &e))?;
            let header = HeaderValue::from_str(&text)
                .map_err(|_| Failure::invalid_value("set-header", self.name.as_str(), &text))?;
            values.push(header);
        }
        ex.record("set-header", || self.trace_data(&values));
        Ok(values)
    }

    fn change(&self, headers: &mut HeaderMap, values: Vec<HeaderValue>) {
        match self.action {
            ExistsAction::Delete => _ = headers.remove(&self.name),
            ExistsAction::Skip if headers.contains_key(&self.name) => {}
            ExistsAction::Override | ExistsAction::Skip => {
                headers.remove(&self.name);
                append_all(headers, &self.name, values);
            }
            ExistsAction::Append => append_all(headers, &self.name, values),
        }
    }

    fn trace_data(&self, values: &[HeaderValue]) -> serde_json::Value {
        let shown: Vec<String> = values
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let message = match self.action {
            ExistsAction::Delete => "Specified header was removed.",
            _ => "Specified value was assigned to the header (see below).",
        };
        json!({ "message": message, "header": { "name": self.name.as_str(), "value": shown.join(",") } })
    }
}

fn append_all(headers: &mut HeaderMap, name: &HeaderName, values: Vec<HeaderValue>) {
    for value in values {
        headers.append(name.clone(), value);
    }
}
