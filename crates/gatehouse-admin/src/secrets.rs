//! Generated secrets: subscription keys and the admin token.

use std::sync::Arc;

use rand::RngCore;
use subtle::ConstantTimeEq;

/// A subscription key as APIM makes them: 32 lowercase hex characters (128 random bits).
pub fn generate_key() -> String {
    random_hex(16)
}

/// An admin token: 64 lowercase hex characters (256 random bits).
pub fn generate_token() -> String {
    random_hex(32)
}

/// The admin token the management API requires. Only a token long enough to be a secret can
/// be made: an empty or short token file must never leave the API open to a guess.
#[derive(Clone)]
pub struct AdminToken(Arc<str>);

/// Why a token cannot be the admin token. Messages never show the token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdminTokenError {
    /// Empty, blank, or shorter than [`AdminToken::MIN_LEN`].
    #[error("it holds {0} characters; the admin token needs at least {min} characters", min = AdminToken::MIN_LEN)]
    TooShort(usize),
    /// Whitespace or control characters inside, which `Authorization: Bearer` cannot carry
    /// intact.
    #[error("it has spaces or control characters inside; the admin token is one word")]
    NotOneWord,
}

impl AdminToken {
    /// The shortest admin token accepted (generated tokens have 64 characters).
    pub const MIN_LEN: usize = 32;

    /// The token in `text`, without surrounding whitespace (a file's final newline).
    ///
    /// # Errors
    /// When what is left is shorter than [`Self::MIN_LEN`] or is not one word.
    pub fn parse(text: &str) -> Result<Self, AdminTokenError> {
        let token = text.trim();
        let length = token.chars().count();
        if length < Self::MIN_LEN {
            return Err(AdminTokenError::TooShort(length));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AdminTokenError::NotOneWord);
        }
        Ok(Self(token.into()))
    }

    /// Whether `presented` is this token, compared in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        presented.as_bytes().ct_eq(self.0.as_bytes()).into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(***)")
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_accepted_and_match_only_themselves() {
        let text = generate_token();
        let token = AdminToken::parse(&format!("{text}\n")).unwrap();

        assert!(token.matches(&text));
        assert!(!token.matches(""));
        assert!(!token.matches(&text[..63]));
        assert_eq!(format!("{token:?}"), "AdminToken(***)");
    }

    #[test]
    fn empty_blank_short_and_spaced_tokens_are_refused() {
        assert_eq!(
            AdminToken::parse("").unwrap_err(),
            AdminTokenError::TooShort(0)
        );
        assert_eq!(
            AdminToken::parse(" \n\t").unwrap_err(),
            AdminTokenError::TooShort(0)
        );
        assert_eq!(
            AdminToken::parse(&"a".repeat(31)).unwrap_err(),
            AdminTokenError::TooShort(31)
        );
        let spaced = format!("{} {}", "a".repeat(20), "b".repeat(20));
        assert_eq!(
            AdminToken::parse(&spaced).unwrap_err(),
            AdminTokenError::NotOneWord
        );
        assert!(AdminToken::parse(&"a".repeat(32)).is_ok());
    }
}
