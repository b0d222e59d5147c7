//! `<set-query-parameter name="x" exists-action="override|skip|append|delete">` with `<value>`
//! children: changes a query parameter of the request's URL (inbound and backend).

use serde_json::json;

use super::set_header::{ExistsAction, exists_action, values};
use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure, decode_component, encode_component};

#[derive(Clone, Debug)]
pub(crate) struct SetQueryParameter {
    name: String,
    action: ExistsAction,
    values: Vec<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetQueryParameter> {
    let attribute = element.attribute("name")?;
    let name = match cx.value(&attribute.value)? {
        Text::Literal(name) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => {
            let message = "the query parameter's name must be literal text";
            cx.error(attribute.value.position, Code::InvalidValue, message);
            return None;
        }
    };
    Some(SetQueryParameter {
        name,
        action: exists_action(element, cx)?,
        values: values(element, cx)?,
    })
}

impl SetQueryParameter {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend(&self.values);
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let mut values = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let text = value
                .string(ex)
                .map_err(|e| Failure::expression("set-query-parameter", &e))?;
            values.push(text);
        }

        let mut url = ex.request.url.clone();
        url.query = self.change(&url.query, &values);
        ex.record("set-query-parameter", || {
            let message = match self.action {
                ExistsAction::Delete => "Specified query parameter was removed.",
                _ => "Specified value was assigned to the query parameter.",
            };
            json!({ "message": message, "parameter": { "name": &self.name, "value": values.join(",") } })
        });
        ex.set_request_url(url);
        Ok(())
    }

    /// `query` with the change applied; other parameters keep their order and encoding.
    fn change(&self, query: &str, values: &[std::sync::Arc<str>]) -> String {
        let pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
        let is_ours = |pair: &&str| {
            let name = pair.split_once('=').map_or(*pair, |(n, _)| n);
            decode_component(name) == self.name
        };
        let present = pairs.iter().any(is_ours);
        let keep_existing = match self.action {
            ExistsAction::Skip if present => return query.to_owned(),
            ExistsAction::Append => true,
            _ => false,
        };
        let mut out: Vec<String> = pairs
            .iter()
            .filter(|pair| keep_existing || !is_ours(pair))
            .map(|pair| (*pair).to_owned())
            .collect();
        if self.action != ExistsAction::Delete {
            let name = encode_component(&self.name);
            out.extend(
                values
                    .iter()
                    .map(|v| format!("{name}={}", encode_component(v))),
            );
        }
        out.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: ExistsAction, query: &str, values: &[&str]) -> String {
        let policy = SetQueryParameter {
            name: "a".into(),
            action,
            values: Vec::new(),
        };
        let values: Vec<std::sync::Arc<str>> = values.iter().map(|v| (*v).into()).collect();
        policy.change(query, &values)
    }

    #[test]
    fn exists_actions_follow_apim() {
        assert_eq!(
            change(ExistsAction::Override, "a=1&b=2&a=3", &["x"]),
            "b=2&a=x"
        );
        assert_eq!(change(ExistsAction::Skip, "a=1", &["x"]), "a=1");
        assert_eq!(change(ExistsAction::Skip, "b=2", &["x y"]), "b=2&a=x%20y");
        assert_eq!(change(ExistsAction::Append, "a=1", &["2"]), "a=1&a=2");
        assert_eq!(change(ExistsAction::Delete, "a=1&b=2", &[]), "b=2");
    }
}
