//! `<forward-request timeout="300" follow-redirects="false" fail-on-error-status-code="false"/>`:
//! sends the request to the backend; the answer becomes the response outbound policies see.

use std::time::Duration;

use crate::compile::Compiler;
use crate::reader::{Code, Element};
use crate::runtime::ForwardOptions;

#[derive(Clone, Debug)]
pub(crate) struct ForwardRequest {
    pub(crate) options: ForwardOptions,
    pub(crate) fail_on_error_status: bool,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<ForwardRequest> {
    let mut options = ForwardOptions::default();
    if let Some(seconds) = cx.literal::<u64>(element, "timeout", "a whole number of seconds") {
        options.timeout = Duration::from_secs(seconds);
    }
    if let Some(millis) = cx.literal::<u64>(element, "timeout-ms", "a whole number of milliseconds")
    {
        options.timeout = Duration::from_millis(millis);
    }
    if cx.literal::<bool>(element, "follow-redirects", "true or false") == Some(true) {
        let message = "follow-redirects=\"true\" is not supported by Gatehouse yet; redirects are returned to the caller";
        cx.error(element.position, Code::Unsupported, message);
        return None;
    }
    let fail_on_error_status = cx
        .literal::<bool>(element, "fail-on-error-status-code", "true or false")
        .unwrap_or(false);
    Some(ForwardRequest {
        options,
        fail_on_error_status,
    })
}
