//! Resource names, as APIM restricts them.

use crate::ModelError;

/// The longest resource name APIM accepts.
const MAX_ID_LEN: usize = 80;

/// Checks a resource name: 1 to 80 characters, ASCII letters, digits, `-`, `_` and `.`, starting
/// and ending with a letter or digit. Names end up in URLs, file-free keys and log fields, so
/// nothing that needs escaping is allowed.
///
/// # Errors
/// [`ModelError::InvalidId`] naming the rule that was broken.
pub fn validate_id(what: &'static str, id: &str) -> Result<(), ModelError> {
    let fail = |reason| {
        Err(ModelError::InvalidId {
            what,
            id: id.to_owned(),
            reason,
        })
    };

    if id.is_empty() || id.len() > MAX_ID_LEN {
        return fail("must be 1 to 80 characters long");
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return fail("may contain only letters, digits, '-', '_' and '.'");
    }

    let edges_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !edges_ok(id.bytes().next()) || !edges_ok(id.bytes().last()) {
        return fail("must start and end with a letter or digit");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_apim_style_names() {
        for id in ["echo-api", "retrieve-resource", "demo", "a", "v1.2_beta"] {
            assert_eq!(validate_id("apiId", id), Ok(()), "{id}");
        }
    }

    #[test]
    fn refuses_names_that_need_escaping_or_are_too_long() {
        let long = "a".repeat(81);
        for id in [
            "",
            "-lead",
            "trail-",
            "sp ace",
            "sl/ash",
            "dot..",
            "ü",
            long.as_str(),
        ] {
            assert!(validate_id("apiId", id).is_err(), "{id}");
        }
    }
}
