//! `<check-header name="X" failed-check-httpcode="401" failed-check-error-message="..."
//! ignore-case="true">` with `<value>` children: refuses a request that lacks the header, or
//! whose header has a value outside the listed ones.

use serde_json::json;

use super::set_header::values;
use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct CheckHeader {
    name: http::HeaderName,
    status: u16,
    message: Option<Text>,
    ignore_case: bool,
    values: Vec<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<CheckHeader> {
    let attribute = element.attribute("name")?;
    let Ok(name) = http::HeaderName::from_bytes(attribute.value.text.trim().as_bytes()) else {
        let message = format!("'{}' is not a valid header name", attribute.value.text);
        cx.error(attribute.value.position, Code::InvalidValue, message);
        return None;
    };
    let status: u16 = cx.literal(element, "failed-check-httpcode", "a status code")?;
    if !super::FINAL_STATUSES.contains(&status) {
        let message = format!("failed-check-httpcode {status} must be from 200 to 599");
        cx.error(element.position, Code::InvalidValue, message);
        return None;
    }
    Some(CheckHeader {
        name,
        status,
        message: cx.text(element, "failed-check-error-message"),
        ignore_case: cx.flag(element, "ignore-case").unwrap_or(false),
        values: values(element, cx)?,
    })
}

impl CheckHeader {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend(&self.values);
        out.extend(&self.message);
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let message = ex.current_message();
        let present: Vec<String> = ex
            .headers(message)
            .get_all(&self.name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if present.is_empty() {
            let reason = format!(
                "Header {} was not found in the request. Access denied.",
                self.name
            );
            return Err(self.failure(ex, "HeaderNotFound", reason));
        }

        let allowed = self.allowed(ex)?;
        if let Some(refused) = present.iter().find(|v| !self.accepts(&allowed, v)) {
            let reason = format!(
                "Header {} value of {refused} is not allowed. Access denied.",
                self.name
            );
            return Err(self.failure(ex, "HeaderValueNotAllowed", reason));
        }
        ex.record(
            "check-header",
            || json!({ "message": "Header validated.", "header": self.name.as_str() }),
        );
        Ok(())
    }

    fn allowed(&self, ex: &Exchange) -> Result<Vec<std::sync::Arc<str>>, Failure> {
        self.values
            .iter()
            .map(|v| {
                v.string(ex)
                    .map_err(|e| Failure::expression("check-header", &e))
            })
            .collect()
    }

    /// No listed values means any value will do.
    fn accepts(&self, allowed: &[std::sync::Arc<str>], value: &str) -> bool {
        allowed.is_empty()
            || allowed.iter().any(|a| {
                if self.ignore_case {
                    a.eq_ignore_ascii_case(value)
                } else {
                    **a == *value
                }
            })
    }

    /// LastError carries APIM's reason text; the caller gets the configured status and
    /// message (the reason text when none is configured).
    fn failure(&self, ex: &Exchange, reason: &str, text: String) -> Failure {
        let shown = self
            .message
            .as_ref()
            .and_then(|m| m.string(ex).ok())
            .map_or_else(|| text.clone(), |m| m.to_string());
        ex.record("check-header", || json!({ "message": &text }));
        Failure::denied("check-header", reason, &text, self.status).with_response_message(shown)
    }
}
