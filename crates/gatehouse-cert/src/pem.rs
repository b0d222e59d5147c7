//! PEM text (RFC 7468): `-----BEGIN LABEL-----`, base64, `-----END LABEL-----`.
//!
//! A small reader of our own instead of a PEM crate, because import needs to see every block
//! label (to say "this is a certificate request" or "this key is encrypted") and the legacy
//! RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) that generic readers either skip or choke on.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;
use zeroize::Zeroizing;

/// One decoded block.
pub(crate) struct Block {
    /// The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`.
    pub(crate) label: String,
    /// The decoded content; wiped on drop because it may be a private key.
    pub(crate) der: Zeroizing<Vec<u8>>,
    /// True when an RFC 1421 `Proc-Type: 4,ENCRYPTED` header was present.
    pub(crate) legacy_encrypted: bool,
}

/// Why PEM text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum PemError {
    #[error("PEM block {label} has no matching END line")]
    MissingEnd { label: String },
    #[error("PEM block {label} does not contain valid base64")]
    BadBase64 { label: String },
}

/// True when the text contains at least one BEGIN line.
pub(crate) fn looks_like_pem(text: &[u8]) -> bool {
    text.windows(11).any(|window| window == b"-----BEGIN ")
}

/// Decodes every block in `text`; text outside blocks is ignored, as OpenSSL does.
pub(crate) fn parse(text: &str) -> Result<Vec<Block>, PemError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);

    while let Some(line) = lines.next() {
        let Some(label) = boundary(line, "-----BEGIN ") else {
            continue;
        };
        blocks.push(read_block(label, &mut lines)?);
    }
    Ok(blocks)
}

/// The label of a `-----BEGIN X-----` or `-----END X-----` line.
fn boundary<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_suffix("-----")
}

fn read_block<'a>(
    label: &str,
    lines: &mut impl Iterator<Item = &'a str>,
) -> Result<Block, PemError> {
    let mut body = Zeroizing::new(String::new());
    let mut legacy_encrypted = false;

    for line in lines.by_ref() {
        if boundary(line, "-----END ") == Some(label) {
            let der = decode_body(&body).ok_or_else(|| PemError::BadBase64 {
                label: label.to_owned(),
            })?;
            return Ok(Block {
                label: label.to_owned(),
                der,
                legacy_encrypted,
            });
        }
        if let Some((name, value)) = line.split_once(':') {
            legacy_encrypted |= name.trim() == "Proc-Type" && value.contains("ENCRYPTED");
            continue;
        }
        body.push_str(line);
    }
    Err(PemError::MissingEnd {
        label: label.to_owned(),
    })
}

fn decode_body(body: &str) -> Option<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<String> =
        Zeroizing::new(body.chars().filter(|c| !c.is_whitespace()).collect());
    STANDARD.decode(compact.as_bytes()).ok().map(Zeroizing::new)
}

/// Encodes one block with 64-character lines and a trailing newline.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let body = Zeroizing::new(STANDARD.encode(der));
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);

    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for chunk in body.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_blocks_and_ignores_surrounding_text() {
        let der: Vec<u8> = (0..=200).collect();
        let text = format!(
            "Bag Attributes\n  friendlyName: x\n{}junk\n{}",
            encode("CERTIFICATE", &der),
            encode("PRIVATE KEY", &[1, 2, 3])
        );
        let blocks = parse(&text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(*blocks[0].der, der);
        assert_eq!(blocks[1].label, "PRIVATE KEY");
        assert!(!blocks[0].legacy_encrypted);
    }

    #[test]
    fn notices_legacy_encryption_headers() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n";
        let blocks = parse(text).unwrap();
        assert!(blocks[0].legacy_encrypted);
        assert_eq!(*blocks[0].der, vec![1, 2, 3]);
    }

    #[test]
    fn reports_broken_blocks() {
        let missing_end = "-----BEGIN CERTIFICATE-----\nAQID\n";
        assert!(matches!(
            parse(missing_end),
            Err(PemError::MissingEnd { .. })
        ));
        let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(matches!(parse(bad), Err(PemError::BadBase64 { .. })));
    }

    #[test]
    fn accepts_windows_line_endings() {
        let text = encode("CERTIFICATE", &[9, 9, 9]).replace('\n', "\r\n");
        assert_eq!(*parse(&text).unwrap()[0].der, vec![9, 9, 9]);
        assert!(looks_like_pem(text.as_bytes()));
    }
}
