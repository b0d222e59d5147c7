//! `<find-and-replace from="old" to="new"/>`: replaces every occurrence of a text in the body
//! of the message the section works on.

use bytes::Bytes;
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Body, Exchange, Failure, MAX_BUFFERED_BODY};

#[derive(Clone, Debug)]
pub(crate) struct FindAndReplace {
    from: Text,
    to: Text,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<FindAndReplace> {
    let from = cx.required_text(element, "from")?;
    let to = cx.required_text(element, "to")?;
    if from.literal().is_some_and(str::is_empty) {
        cx.error(
            element.position,
            Code::InvalidValue,
            "attribute 'from' of <find-and-replace> must not be empty",
        );
        return None;
    }
    Some(FindAndReplace { from, to })
}

impl FindAndReplace {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend([&self.from, &self.to]);
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let source = "find-and-replace";
        let from = self
            .from
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let to = self
            .to
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let message = ex.current_message();
        let Some(bytes) = ex.body_of(message).bytes() else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(bytes);
        let count = if from.is_empty() {
            0
        } else {
            text.matches(&*from).count()
        };
        if count == 0 {
            ex.record(
                source,
                || json!({ "message": "No occurrences were found; the body is unchanged." }),
            );
            return Ok(());
        }
        check_length(&text, count, from.len(), to.len())?;
        let replaced = text.replace(&*from, &to);
        ex.record(
            source,
            || json!({ "message": format!("{count} occurrence(s) were replaced.") }),
        );
        ex.set_body(message, Body::from(Bytes::from(replaced)));
        Ok(())
    }
}

/// Fails before replacing when the new body would be longer than a body read into memory may
/// be. The request's body decides how many occurrences there are, so a one-character `from`
/// and a long `to` would otherwise multiply a 16 MiB body into gigabytes.
fn check_length(text: &str, count: usize, from: usize, to: usize) -> Result<(), Failure> {
    let kept = text.len() - count * from;
    let length = count.checked_mul(to).and_then(|n| n.checked_add(kept));
    if length.is_some_and(|n| n <= MAX_BUFFERED_BODY) {
        return Ok(());
    }
    Err(Failure::internal(
        "find-and-replace",
        "BodyLimitExceeded",
        format!(
            "Replacing {count} occurrence(s) would make the body longer than {MAX_BUFFERED_BODY} bytes."
        ),
    ))
}
