//! `<set-header name="X" exists-action="override|skip|append|delete"><value>..</value></set-header>`:
//! changes a request header in inbound and backend, a response header in outbound and on-error.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure};

/// What `exists-action` says to do with the values a message already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExistsAction {
    Append,
    Delete,
    Override,
    Skip,
}

#[derive(Clone, Debug)]
pub(crate) struct SetHeader {
    name: Name,
    action: ExistsAction,
    values: Vec<Text>,
}

/// A header name: fixed, or computed per request (APIM allows expressions in `name`).
#[derive(Clone, Debug)]
enum Name {
    Fixed(HeaderName),
    Computed(Text),
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetHeader> {
    let attribute = element.attribute("name")?;
    let name = match cx.value(&attribute.value)? {
        Text::Literal(text) => match HeaderName::from_bytes(text.trim().as_bytes()) {
            Ok(name) => Name::Fixed(name),
            Err(_) => {
                let message = format!("'{}' is not a valid header name", text.trim());
                cx.error(attribute.value.position, Code::InvalidValue, message);
                return None;
            }
        },
        computed => Name::Computed(computed),
    };
    let action = exists_action(element, cx)?;
    let values = values(element, cx)?;
    Some(SetHeader {
        name,
        action,
        values,
    })
}

/// The `exists-action` attribute (override when absent).
pub(crate) fn exists_action(element: &Element, cx: &mut Compiler<'_>) -> Option<ExistsAction> {
    let Some(attribute) = element.attribute("exists-action") else {
        return Some(ExistsAction::Override);
    };
    let text = cx.value(&attribute.value)?;
    match text
        .literal()
        .map(|t| t.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("override") => Some(ExistsAction::Override),
        Some("skip") => Some(ExistsAction::Skip),
        Some("append") => Some(ExistsAction::Append),
        Some("delete") => Some(ExistsAction::Delete),
        _ => {
            let message = format!(
                "exists-action '{}' must be override, skip, append or delete",
                text.source()
            );
            cx.error(attribute.value.position, Code::InvalidValue, message);
            None
        }
    }
}

/// The `<value>` children, compiled.
pub(crate) fn values(element: &Element, cx: &mut Compiler<'_>) -> Option<Vec<Text>> {
    element
        .elements()
        .filter(|child| child.name == "value")
        .map(|child| match child.texts().next() {
            Some(text) => cx.value(text),
            None => Some(Text::Literal("".into())),
        })
        .collect()
}

impl SetHeader {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend(&self.values);
        if let Name::Computed(name) = &self.name {
            out.push(name);
        }
    }

    /// Applies the change to the message the current section works on.
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let (name, values) = self.evaluate(ex)?;
        let headers = if ex.section.works_on_request() {
            &mut ex.request.headers
        } else {
            &mut ex.response.headers
        };
        self.change(headers, &name, values);
        Ok(())
    }

    /// Applies the change to `headers` (a response being built by `return-response`).
    pub(crate) fn apply_to(&self, ex: &Exchange, headers: &mut HeaderMap) -> Result<(), Failure> {
        let (name, values) = self.evaluate(ex)?;
        self.change(headers, &name, values);
        Ok(())
    }

    fn evaluate(&self, ex: &Exchange) -> Result<(HeaderName, Vec<HeaderValue>), Failure> {
        let name = match &self.name {
            Name::Fixed(name) => name.clone(),
            Name::Computed(text) => {
                let text = text
                    .string(ex)
                    .map_err(|e| Failure::expression("set-header", &e))?;
                HeaderName::from_bytes(text.trim().as_bytes())
                    .map_err(|_| Failure::invalid_value("set-header", "a header name", &text))?
            }
        };
        let mut values = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let text = value
                .string(ex)
                .map_err(|e| Failure::expression("set-header", &e))?;
            let header = HeaderValue::from_str(&text)
                .map_err(|_| Failure::invalid_value("set-header", name.as_str(), &text))?;
            values.push(header);
        }
        ex.record("set-header", || self.trace_data(&name, &values));
        Ok((name, values))
    }

    fn change(&self, headers: &mut HeaderMap, name: &HeaderName, values: Vec<HeaderValue>) {
        match self.action {
            ExistsAction::Delete => _ = headers.remove(name),
            ExistsAction::Skip if headers.contains_key(name) => {}
            ExistsAction::Override | ExistsAction::Skip => {
                headers.remove(name);
                append_all(headers, name, values);
            }
            ExistsAction::Append => append_all(headers, name, values),
        }
    }

    fn trace_data(&self, name: &HeaderName, values: &[HeaderValue]) -> serde_json::Value {
        let shown: Vec<String> = values
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        let message = match self.action {
            ExistsAction::Delete => "Specified header was removed.",
            _ => "Specified value was assigned to the header (see below).",
        };
        json!({ "message": message, "header": { "name": name.as_str(), "value": shown.join(",") } })
    }
}

fn append_all(headers: &mut HeaderMap, name: &HeaderName, values: Vec<HeaderValue>) {
    for value in values {
        headers.append(name.clone(), value);
    }
}
