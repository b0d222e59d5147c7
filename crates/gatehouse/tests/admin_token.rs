//! The admin token at start: a token file that is empty, blank or too short to be a secret is
//! refused, naming the file and never showing its content, so the management API is never
//! served with a token anyone can guess; a generated token is kept across starts.

use std::path::{Path, PathBuf};

use anyhow::Result;
use gatehouse_testkit::{Curl, GatewayProcess};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

/// Starts the gateway expecting it to refuse, and returns the error line it printed.
fn refused(data: &Path) -> String {
    GatewayProcess::refused(Path::new(BINARY), data, &[])
}

/// A data directory a first start made, and its token file.
fn started_once() -> Result<(tempfile::TempDir, PathBuf, PathBuf)> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    GatewayProcess::start(Path::new(BINARY), &data)?.stop()?;
    let token = data.join("admin-token");
    Ok((dir, data, token))
}

#[test]
fn an_empty_blank_or_short_token_file_is_refused_at_start() -> Result<()> {
    let (_dir, data, token) = started_once()?;

    let mut errors = Vec::new();
    for content in ["", "  \n", "x", "short-token-9f3a1"] {
        std::fs::write(&token, content)?;
        errors.push((content, refused(&data)));
    }

    for (content, error) in &errors {
        assert!(error.contains(&token.display().to_string()), "{error}");
        assert!(error.contains("at least 32 characters"), "{error}");
        if content.trim().len() > 8 {
            assert!(
                !error.contains(content.trim()),
                "the token is never shown: {error}"
            );
        }
    }
    Ok(())
}

#[test]
fn a_token_with_spaces_inside_is_refused_at_start() -> Result<()> {
    let (_dir, data, token) = started_once()?;

    std::fs::write(&token, "0123456789abcdef 0123456789abcdef0123\n")?;
    let error = refused(&data);

    assert!(error.contains("spaces or control characters"), "{error}");
    Ok(())
}

#[test]
fn the_generated_token_opens_the_management_api_and_is_kept() -> Result<()> {
    let (_dir, data, token) = started_once()?;
    let first = std::fs::read_to_string(&token)?;

    let gateway = GatewayProcess::start(Path::new(BINARY), &data)?;
    let with_token = gateway.admin("GET", "/subscriptions", None)?;
    let without = Curl::new(
        &format!("{}/subscriptions", gateway.admin_url),
        &gateway.ca(),
    )
    .send()?;
    gateway.stop()?;

    assert_eq!(std::fs::read_to_string(&token)?, first);
    assert_eq!(first.trim().len(), 64);
    assert_eq!(with_token.status, 200);
    assert_eq!(without.status, 401);
    Ok(())
}
