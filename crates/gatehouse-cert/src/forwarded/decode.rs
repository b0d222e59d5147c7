//! The encodings the forwarding formats share: size limits, percent-encoding, base64, PEM
//! text, and turning DER into the leaf and its chain.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::forwarded::{ForwardedCertificate, ForwardedError, MAX_CERTIFICATES, MAX_HEADER_BYTES};
use crate::{Certificate, pem};

/// Standard base64, padded or not; RFC 8941 asks byte-sequence parsers to accept both, and
/// to tolerate non-zero pad bits.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Refuses values over [`MAX_HEADER_BYTES`] and blank ones.
pub(crate) fn check_size(header: &str, value: &str) -> Result<(), ForwardedError> {
    if value.len() > MAX_HEADER_BYTES {
        return Err(ForwardedError::TooLarge {
            header: header.to_owned(),
            length: value.len(),
            limit: MAX_HEADER_BYTES,
        });
    }
    if value.trim().is_empty() {
        return Err(ForwardedError::Empty {
            header: header.to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn base64(header: &str, text: &str) -> Result<Vec<u8>, ForwardedError> {
    BASE64
        .decode(text)
        .map_err(|_| ForwardedError::InvalidBase64 {
            header: header.to_owned(),
        })
}

/// Decodes `%XX` escapes (either hex case). A `+` stays a `+`: in base64 text it is a digit,
/// and the only spaces of PEM text, in its boundary lines, are handled by [`pem_certificates`].
pub(crate) fn percent_decode(header: &str, text: &str) -> Result<Vec<u8>, ForwardedError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;

    while let Some(&byte) = bytes.get(index) {
        if byte != b'%' {
            out.push(byte);
            index += 1;
            continue;
        }
        let escape = bytes.get(index + 1..index + 3).and_then(hex_pair);
        let decoded = escape.ok_or_else(|| ForwardedError::InvalidPercentEncoding {
            header: header.to_owned(),
            offset: index,
        })?;
        out.push(decoded);
        index += 3;
    }
    Ok(out)
}

/// Two hex digits; `pair` is the two-byte slice after a `%`.
fn hex_pair(pair: &[u8]) -> Option<u8> {
    let digit = |b: &u8| char::from(*b).to_digit(16);
    let [high, low] = pair else {
        return None;
    };
    let (high, low) = (digit(high)?, digit(low)?);
    u8::try_from(high * 16 + low).ok()
}

/// The DER of every CERTIFICATE block of PEM text, in order. Anything else is refused: other
/// blocks (a private key has no business in a request), text between blocks, no block.
pub(crate) fn pem_certificates(header: &str, text: &[u8]) -> Result<Vec<Vec<u8>>, ForwardedError> {
    let invalid = |reason: &str| ForwardedError::InvalidPem {
        header: header.to_owned(),
        reason: reason.to_owned(),
    };
    let text = std::str::from_utf8(text).map_err(|_| invalid("the text is not UTF-8"))?;
    let text = normalise_boundaries(text);
    check_nothing_between_blocks(&text).map_err(invalid)?;

    let blocks = pem::parse(&text).map_err(|e| invalid(&e.to_string()))?;
    if let Some(other) = blocks.iter().find(|block| block.label != "CERTIFICATE") {
        return Err(ForwardedError::UnexpectedPemBlock {
            header: header.to_owned(),
            label: other.label.clone(),
        });
    }
    Ok(blocks.iter().map(|block| block.der.to_vec()).collect())
}

/// Form-encoders write the spaces of `-----BEGIN CERTIFICATE-----` as `+`; base64 lines
/// never contain spaces, so boundary lines are the only place to put them back.
fn normalise_boundaries(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.trim();
            if line.starts_with("-----") {
                line.replace('+', " ")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_nothing_between_blocks(text: &str) -> Result<(), &'static str> {
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("-----BEGIN ") {
            inside = true;
        } else if line.starts_with("-----END ") {
            inside = false;
        } else if !inside && !line.is_empty() {
            return Err("text outside the PEM blocks");
        }
    }
    Ok(())
}

/// The leaf (first) and its chain; copies of the leaf in the chain are dropped, as RFC 9440
/// and Envoy's `Chain` (which repeats the leaf) both allow for.
pub(crate) fn assemble(
    header: &str,
    ders: Vec<Vec<u8>>,
) -> Result<ForwardedCertificate, ForwardedError> {
    if ders.len() > MAX_CERTIFICATES {
        return Err(ForwardedError::TooManyCertificates {
            header: header.to_owned(),
            count: ders.len(),
            limit: MAX_CERTIFICATES,
        });
    }
    let mut certificates = ders.iter().map(|der| certificate(header, der));
    let leaf = certificates
        .next()
        .ok_or_else(|| ForwardedError::NoCertificate {
            header: header.to_owned(),
        })??;

    let mut chain = Vec::new();
    for certificate in certificates {
        let certificate = certificate?;
        if certificate != leaf {
            chain.push(certificate);
        }
    }
    Ok(ForwardedCertificate { leaf, chain })
}

fn certificate(header: &str, der: &[u8]) -> Result<Certificate, ForwardedError> {
    Certificate::from_der(der).map_err(|source| ForwardedError::Certificate {
        header: header.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_is_strict_about_escapes() {
        assert_eq!(percent_decode("h", "a%20b%0Ac%0a+").unwrap(), b"a b\nc\n+");
        for bad in ["%", "%4", "%G1", "ab%2"] {
            assert!(
                matches!(
                    percent_decode("h", bad),
                    Err(ForwardedError::InvalidPercentEncoding { .. })
                ),
                "{bad}"
            );
        }
        let error = percent_decode("X-Client-Cert", "abc%zz").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the X-Client-Cert header has an invalid percent-escape at byte 3"
        );
    }

    #[test]
    fn pem_text_holds_certificates_only() {
        let key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            pem_certificates("h", key),
            Err(ForwardedError::UnexpectedPemBlock { label, .. }) if label == "PRIVATE KEY"
        ));
        let stray = b"hello\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            pem_certificates("h", stray),
            Err(ForwardedError::InvalidPem { .. })
        ));
        let form = b"-----BEGIN+CERTIFICATE-----\nAAAA\n-----END+CERTIFICATE-----";
        assert_eq!(pem_certificates("h", form).unwrap(), vec![vec![0, 0, 0]]);
        assert_eq!(pem_certificates("h", b"").unwrap(), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn limits_are_enforced() {
        let big = "A".repeat(MAX_HEADER_BYTES + 1);
        assert!(matches!(
            check_size("h", &big),
            Err(ForwardedError::TooLarge { .. })
        ));
        assert!(matches!(
            check_size("h", "  "),
            Err(ForwardedError::Empty { .. })
        ));
        let many = vec![vec![0x30]; MAX_CERTIFICATES + 1];
        assert!(matches!(
            assemble("h", many),
            Err(ForwardedError::TooManyCertificates { count, .. }) if count == MAX_CERTIFICATES + 1
        ));
        assert!(matches!(
            assemble("h", Vec::new()),
            Err(ForwardedError::NoCertificate { .. })
        ));
    }
}
