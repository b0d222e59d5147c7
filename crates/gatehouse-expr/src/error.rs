//! Run-time failures of an expression.

use thiserror::Error;

/// The `LastError.Reason` APIM uses for any failure inside a policy expression.
pub const EXPRESSION_FAILURE_REASON: &str = "ExpressionValueEvaluationFailure";

const PREFIX: &str = "Expression evaluation failed. ";

/// Why evaluating an expression failed.
///
/// `Display` gives APIM's text for `LastError.Message`: "Expression evaluation failed. " followed
/// by the .NET exception message. The limit variants are Gatehouse's own and cannot be caught
/// by a `try`/`catch` inside the expression.
#[derive(Clone, Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum EvalError {
    /// An argument was out of range or otherwise invalid (`ArgumentException`).
    #[error("Expression evaluation failed. {message}")]
    Argument { message: String },

    /// A cryptographic operation failed (`CryptographicException`): a key or IV of the wrong
    /// size, or padding that does not check out when decrypting.
    #[error("Expression evaluation failed. {message}")]
    Cryptographic { message: String },

    /// A collection grew past the size limit.
    #[error("Expression evaluation failed. A collection exceeded the limit of {limit} items.")]
    CollectionLimit { limit: usize },

    /// Calls or nesting went deeper than the depth limit.
    #[error("Expression evaluation failed. The expression exceeded its nesting limit of {limit}.")]
    DepthLimit { limit: usize },

    /// Integer division or remainder by zero.
    #[error("Expression evaluation failed. Attempted to divide by zero.")]
    DivideByZero,

    /// Text could not be parsed as a number, date, GUID or base64 (`FormatException`).
    #[error("Expression evaluation failed. {message}")]
    Format { message: String },

    /// The host could not provide something (for example a body it failed to read).
    #[error("Expression evaluation failed. {message}")]
    Host { message: String },

    /// An index past the end of an array, list or string.
    #[error("Expression evaluation failed. Index was outside the bounds of the array.")]
    IndexOutOfRange,

    /// A cast or conversion between incompatible types.
    #[error("Expression evaluation failed. Unable to cast object of type '{from}' to type '{to}'.")]
    InvalidCast { from: String, to: String },

    /// An operation not valid in the object's state (`InvalidOperationException`), such as
    /// `First()` on an empty sequence.
    #[error("Expression evaluation failed. {message}")]
    InvalidOperation { message: String },

    /// JSON text that does not parse (`JsonReaderException`).
    #[error("Expression evaluation failed. {message}")]
    Json { message: String },

    /// A dictionary indexer with a key that is not there.
    #[error(
        "Expression evaluation failed. The given key '{key}' was not present in the dictionary."
    )]
    KeyNotFound { key: String },

    /// A value construct Gatehouse compiled but cannot evaluate for these operand types.
    #[error("Expression evaluation failed. {what} is not supported by Gatehouse.")]
    NotSupported { what: String },

    /// A member read on `null`.
    #[error("Expression evaluation failed. Object reference not set to an instance of an object.")]
    NullReference,

    /// Checked arithmetic or a conversion overflowed.
    #[error("Expression evaluation failed. Arithmetic operation resulted in an overflow.")]
    Overflow,

    /// More steps than the step limit allows.
    #[error("Expression evaluation failed. The expression exceeded its limit of {limit} steps.")]
    StepLimit { limit: u64 },

    /// A string grew past the size limit.
    #[error("Expression evaluation failed. A string exceeded the limit of {limit} characters.")]
    StringLimit { limit: usize },

    /// Text that is not XML, or XML a tree cannot hold (`XmlException`).
    #[error("Expression evaluation failed. {message}")]
    Xml { message: String },

    /// The expression threw (`throw new Exception("…")`).
    #[error("Expression evaluation failed. {message}")]
    Thrown { type_name: String, message: String },
}

impl EvalError {
    /// The .NET exception message alone (`ex.Message` inside a `catch`).
    pub fn dotnet_message(&self) -> String {
        let text = self.to_string();
        text.strip_prefix(PREFIX).unwrap_or(&text).to_owned()
    }

    /// The .NET exception type, for `catch (FormatException)` clauses.
    pub fn exception_type(&self) -> &str {
        match self {
            EvalError::Argument { .. } => "ArgumentException",
            EvalError::Cryptographic { .. } => "CryptographicException",
            EvalError::DivideByZero => "DivideByZeroException",
            EvalError::Format { .. } => "FormatException",
            EvalError::IndexOutOfRange => "IndexOutOfRangeException",
            EvalError::InvalidCast { .. } => "InvalidCastException",
            EvalError::InvalidOperation { .. } | EvalError::Host { .. } => {
                "InvalidOperationException"
            }
            EvalError::Json { .. } => "JsonReaderException",
            EvalError::KeyNotFound { .. } => "KeyNotFoundException",
            EvalError::NullReference => "NullReferenceException",
            EvalError::NotSupported { .. } => "NotSupportedException",
            EvalError::Overflow => "OverflowException",
            EvalError::Xml { .. } => "XmlException",
            EvalError::Thrown { type_name, .. } => type_name,
            EvalError::StepLimit { .. }
            | EvalError::CollectionLimit { .. }
            | EvalError::DepthLimit { .. }
            | EvalError::StringLimit { .. } => "LimitExceeded",
        }
    }

    /// Whether this is one of Gatehouse's limits, which `catch` never intercepts.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            EvalError::StepLimit { .. }
                | EvalError::CollectionLimit { .. }
                | EvalError::DepthLimit { .. }
                | EvalError::StringLimit { .. }
        )
    }

    /// `LastError.Reason` for this failure.
    pub fn reason(&self) -> &'static str {
        EXPRESSION_FAILURE_REASON
    }

    pub(crate) fn cast(from: &str, to: &str) -> Self {
        EvalError::InvalidCast {
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    pub(crate) fn format(message: &str) -> Self {
        EvalError::Format {
            message: message.to_owned(),
        }
    }

    pub(crate) fn invalid(message: &str) -> Self {
        EvalError::InvalidOperation {
            message: message.to_owned(),
        }
    }

    pub(crate) fn argument(message: impl Into<String>) -> Self {
        EvalError::Argument {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_like_apim() {
        assert_eq!(
            EvalError::NullReference.to_string(),
            "Expression evaluation failed. Object reference not set to an instance of an object."
        );
        assert_eq!(
            EvalError::NullReference.dotnet_message(),
            "Object reference not set to an instance of an object."
        );
    }
}
