//! Errors raised while a pipeline runs: what sends it to `on-error`.

use std::sync::Arc;

use gatehouse_expr::EvalError;
use http::{HeaderName, HeaderValue};

/// An error in the pipeline, with what APIM puts in `context.LastError` and the response the
/// caller gets when `on-error` does not shape another one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The policy or gateway component that failed (`LastError.Source`).
    pub source: Arc<str>,
    /// A machine-readable code (`LastError.Reason`).
    pub reason: Arc<str>,
    /// A human-readable message (`LastError.Message`).
    pub message: String,
    /// The status of the default error response.
    pub status: u16,
    /// The message of the default error response body.
    pub response_message: String,
    /// Headers of the default error response (`Retry-After`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// The body APIM sends for failures inside the gateway.
const INTERNAL_ERROR: &str = "Internal server error";

impl Failure {
    /// An expression that threw (`ExpressionValueEvaluationFailure`): a 500 for the caller.
    pub fn expression(source: &str, error: &EvalError) -> Self {
        Self {
            source: source.into(),
            reason: "ExpressionValueEvaluationFailure".into(),
            // The error's text already starts with APIM's "Expression evaluation failed. ".
            message: error.to_string(),
            status: 500,
            response_message: INTERNAL_ERROR.to_owned(),
            headers: Vec::new(),
        }
    }

    /// A policy computed a value it cannot use (an invalid header value, a status of 42).
    pub fn invalid_value(source: &str, what: &str, value: &str) -> Self {
        Self {
            source: source.into(),
            reason: "ExpressionValueEvaluationFailure".into(),
            message: format!(
                "Expression evaluation failed. '{value}' is not a valid value for {what}."
            ),
            status: 500,
            response_message: INTERNAL_ERROR.to_owned(),
            headers: Vec::new(),
        }
    }

    /// The backend could not be reached or did not answer in time.
    pub fn backend(reason: &str, message: String) -> Self {
        let status = if reason == "Timeout" { 504 } else { 500 };
        Self {
            source: "forward-request".into(),
            reason: reason.into(),
            message,
            status,
            response_message: INTERNAL_ERROR.to_owned(),
            headers: Vec::new(),
        }
    }

    /// A failure with its own status and caller-facing message (access denials and the like).
    pub fn denied(source: &str, reason: &str, message: &str, status: u16) -> Self {
        Self {
            source: source.into(),
            reason: reason.into(),
            message: message.to_owned(),
            status,
            response_message: message.to_owned(),
            headers: Vec::new(),
        }
    }

    /// A failure of `source` whose details stay in `LastError` while the caller gets APIM's
    /// neutral 500 body.
    pub fn internal(source: &str, reason: &str, message: String) -> Self {
        Self {
            source: source.into(),
            reason: reason.into(),
            message,
            status: 500,
            response_message: INTERNAL_ERROR.to_owned(),
            headers: Vec::new(),
        }
    }

    /// The same failure under another source (a backend failure of `send-request`).
    pub fn from_source(mut self, source: &str) -> Self {
        self.source = source.into();
        self
    }

    /// Adds a header to the default error response.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The caller-facing message of the default error response, when it differs from
    /// `LastError.Message` (APIM's rate-limit body says when to try again).
    pub fn with_response_message(mut self, message: String) -> Self {
        self.response_message = message;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expression_failure_says_expression_evaluation_failed_once() {
        let error = EvalError::InvalidCast {
            from: "System.String".into(),
            to: "System.Int32".into(),
        };

        let failure = Failure::expression("set-header", &error);

        assert_eq!(
            failure.message,
            "Expression evaluation failed. Unable to cast object of type 'System.String' to type 'System.Int32'."
        );
    }
}
