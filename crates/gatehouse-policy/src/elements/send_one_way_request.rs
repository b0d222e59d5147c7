//! `<send-one-way-request mode="new|copy" timeout="60">` with the children of `send-request`:
//! sends a request and goes on without waiting for, or looking at, the answer.

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::execute::{Cx, Flow};
use crate::runtime::{Backend, Exchange, Failure};

use super::send_request::{self, SendRequest};

#[derive(Clone, Debug)]
pub(crate) struct SendOneWayRequest {
    request: SendRequest,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SendOneWayRequest> {
    Some(SendOneWayRequest {
        request: send_request::compile(element, cx)?,
    })
}

impl SendOneWayRequest {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        self.request.texts(out);
    }

    /// Whether the request starts as a copy of the current one.
    pub(crate) fn copies_request(&self) -> bool {
        self.request.copies_request()
    }

    pub(crate) async fn run<B: Backend>(
        &self,
        ex: &mut Exchange,
        cx: &Cx<'_, B>,
    ) -> Result<Flow, Failure> {
        let prepared = self.request.prepare(ex, "send-one-way-request")?;
        cx.backend
            .send_one_way(prepared.request, prepared.options)
            .await;
        Ok(Flow::Next)
    }
}
