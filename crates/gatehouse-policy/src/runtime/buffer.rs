//! Reading bodies into memory before a step that needs their content.
//!
//! Bodies stay streams unless a policy reads or rewrites them. A step that does (an
//! expression mentioning `Body`, `find-and-replace`, `cache-store`...) first has the bodies it
//! may see read here, within a size limit: a body over the limit fails the step rather than
//! being cut.

use gatehouse_expr::Message;

use super::message::{Body, BodyError};
use super::{Exchange, Failure};

/// The largest body read into memory for a policy.
pub const MAX_BUFFERED_BODY: usize = 16 * 1024 * 1024;

impl Exchange {
    /// Reads the request body, and the response body once there is one, into memory.
    ///
    /// # Errors
    /// A body over [`MAX_BUFFERED_BODY`], or a stream that breaks off.
    pub(crate) async fn buffer_bodies(&mut self) -> Result<(), Failure> {
        self.buffer_body(Message::Request).await?;
        if self.responded {
            self.buffer_body(Message::Response).await?;
        }
        Ok(())
    }

    /// Reads the response body into memory (for tools that print it).
    ///
    /// # Errors
    /// A body over [`MAX_BUFFERED_BODY`], or a stream that breaks off.
    pub async fn buffer_response_body(&mut self) -> Result<(), Failure> {
        self.buffer_body(Message::Response).await
    }

    /// Reads the body of `message` into memory.
    ///
    /// # Errors
    /// As [`Exchange::buffer_bodies`].
    pub(crate) async fn buffer_body(&mut self, message: Message) -> Result<(), Failure> {
        let body = match message {
            Message::Request => &mut self.request.body,
            Message::Response => &mut self.response.body,
        };
        if !matches!(body, Body::Stream(_)) {
            return Ok(());
        }
        let stream = std::mem::take(body);
        let bytes = stream
            .collect(MAX_BUFFERED_BODY)
            .await
            .map_err(|e| body_failure(message, &e))?;
        *body = Body::from(bytes);
        Ok(())
    }
}

fn body_failure(message: Message, error: &BodyError) -> Failure {
    let (source, reason) = match message {
        Message::Request => ("request", "ClientConnectionFailure"),
        Message::Response => ("response", "BackendConnectionFailure"),
    };
    Failure::internal(
        source,
        reason,
        format!("The {source} body could not be read: {error}"),
    )
}
