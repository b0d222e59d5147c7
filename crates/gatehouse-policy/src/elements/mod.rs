//! One module per policy element: how it compiles and what it does.
//!
//! Elements the schema knows but this gateway does not run yet are refused when the policy is
//! saved, never skipped at run time.

mod choose;
mod forward_request;
mod return_response;
mod set_body;
mod set_header;
mod set_status;
mod set_variable;

pub(crate) use choose::Choose;
pub(crate) use forward_request::ForwardRequest;
pub(crate) use return_response::ReturnResponse;
pub(crate) use set_body::SetBody;
pub(crate) use set_header::SetHeader;
pub(crate) use set_status::SetStatus;
pub(crate) use set_variable::SetVariable;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::Section;

/// A compiled policy statement.
#[derive(Clone, Debug)]
pub(crate) enum Action {
    /// `<base/>`: replaced by the parent scope's section when scopes are joined.
    Base,
    Choose(Choose),
    ForwardRequest(ForwardRequest),
    ReturnResponse(ReturnResponse),
    SetBody(SetBody),
    SetHeader(SetHeader),
    SetStatus(SetStatus),
    SetVariable(SetVariable),
}

/// The source text of every expression in `action`, nested steps included.
pub(crate) fn expression_sources(action: &Action) -> impl Iterator<Item = &str> {
    let mut texts = Vec::new();
    collect_texts(action, &mut texts);
    texts
        .into_iter()
        .filter(|t| t.is_expression())
        .map(Text::source)
}

fn collect_texts<'a>(action: &'a Action, out: &mut Vec<&'a Text>) {
    match action {
        Action::Base | Action::ForwardRequest(_) => {}
        Action::Choose(choose) => {
            for (condition, steps) in &choose.branches {
                out.push(condition);
                steps.iter().for_each(|s| collect_texts(&s.action, out));
            }
            choose
                .otherwise
                .iter()
                .flatten()
                .for_each(|s| collect_texts(&s.action, out));
        }
        Action::ReturnResponse(r) => r.texts(out),
        Action::SetBody(b) => b.texts(out),
        Action::SetHeader(h) => h.texts(out),
        Action::SetStatus(s) => s.texts(out),
        Action::SetVariable(v) => v.texts(out),
    }
}

/// Compiles one policy element found in `section` at `path`.
pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
    section: Section,
    path: &str,
) -> Option<Action> {
    let action = match element.name.as_str() {
        "base" => Action::Base,
        "choose" => Action::Choose(choose::compile(element, cx, section, path)?),
        "forward-request" => Action::ForwardRequest(forward_request::compile(element, cx)?),
        "return-response" => Action::ReturnResponse(return_response::compile(element, cx)?),
        "set-body" => Action::SetBody(set_body::compile(element, cx)?),
        "set-header" => Action::SetHeader(set_header::compile(element, cx)?),
        "set-status" => Action::SetStatus(set_status::compile(element, cx)?),
        "set-variable" => Action::SetVariable(set_variable::compile(element, cx)?),
        other => {
            let message = format!("policy <{other}> is not supported by Gatehouse yet");
            cx.error(element.position, Code::Unsupported, message);
            return None;
        }
    };
    Some(action)
}
