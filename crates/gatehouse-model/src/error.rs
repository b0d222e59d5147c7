use thiserror::Error;

/// Why a resource path or body was refused. Every message is meant for the API owner who sent it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// A resource name breaks the naming rules.
    #[error("invalid {what} '{id}': {reason}")]
    InvalidId {
        /// What the name names (`apiId`, `subscriptionId`, ...).
        what: &'static str,
        /// The offending name.
        id: String,
        /// Which rule it breaks.
        reason: &'static str,
    },

    /// A JSON body does not match the resource's shape.
    #[error("invalid body: {0}")]
    InvalidBody(String),

    /// A property has a value outside what is allowed.
    #[error("property '{property}' {reason}")]
    InvalidProperty {
        /// The property's JSON name.
        property: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A resource refers to another one that does not exist.
    #[error("{from} refers to {to}, which does not exist")]
    MissingReference {
        /// The referring resource.
        from: String,
        /// The missing resource.
        to: String,
    },

    /// The path names no resource Gatehouse knows.
    #[error("unknown resource path '{0}'")]
    UnknownPath(String),

    /// Two resources claim what must be unique.
    #[error("{0}")]
    Conflict(String),
}
