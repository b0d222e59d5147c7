use thiserror::Error;

use crate::seal::SealError;

/// Why the store could not do what was asked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// A stored row cannot be read back: its path or JSON is damaged.
    #[error("stored resource '{path}' is corrupt: {reason}")]
    Corrupt {
        /// The row's path as stored.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A stored secret does not open with the secrets key the store was opened with. Nothing
    /// was changed: the store refuses to open rather than serve without the secret.
    #[error("stored secret '{property}' of '{path}' cannot be opened: {cause}")]
    Unseal {
        /// The resource path.
        path: String,
        /// The property's JSON name.
        property: &'static str,
        /// Why it does not open.
        cause: SealError,
    },

    /// A secret could not be sealed for writing; nothing of the batch was written.
    #[error("secret '{property}' of '{path}' cannot be sealed: {cause}")]
    Seal {
        /// The resource path.
        path: String,
        /// The property's JSON name.
        property: &'static str,
        /// Why it could not be sealed.
        cause: SealError,
    },

    /// Another writer changed the configuration since the writer loaded it.
    #[error(
        "the configuration changed (generation {actual}, expected {expected}); reload and retry"
    )]
    Stale {
        /// The generation the writer checked its change against.
        expected: u64,
        /// The generation in the store.
        actual: u64,
    },
}
