//! Requests refused before anything reads them: an ambiguous `Host`, paths that could mean
//! one thing to the router and another to the backend, and heads over the size limits.
//!
//! The router matches the path as sent, and the backend receives it below the API's service
//! URL. A `..` segment (or `%2e%2e`, or one hidden behind an encoded `/` or `\`) would let a
//! caller match an operation with a lax policy and reach another one, or leave the service
//! URL's base path, once the backend resolves it. Refusing such paths closes the whole class;
//! rewriting them would route a different request than the one the caller sent.
//!
//! The header-block limit is checked here, not left to the HTTP libraries, so callers get the
//! same 431 over HTTP/1.1 and HTTP/2. (A request target over 65,534 bytes cannot even be
//! represented by the `http` crate: HTTP/1.1 callers get hyper's 414, HTTP/2 ones a reset.)

use http::header::HOST;

use crate::handler::Refusal;

/// The largest header block answered, counted as HTTP/2 counts it (name, value and 32 bytes
/// per field).
pub(crate) const MAX_HEADER_BLOCK: usize = 64 * 1024;

/// The longest request target the `http` crate represents.
const MAX_URI_LEN: usize = 65_534;

/// How much an HTTP/2 header block may hold before the library refuses the stream itself:
/// room for a target and a header block at their limits, so the handler can answer them.
pub(crate) const H2_MAX_HEADER_LIST: u32 = 160 * 1024;

const _: () = assert!(H2_MAX_HEADER_LIST as usize > MAX_URI_LEN + MAX_HEADER_BLOCK);

/// Refuses a request whose head is too large or whose `Host` or path cannot be taken at
/// face value.
///
/// # Errors
/// [`Refusal::HeadersTooLarge`] over the limit above;
/// [`Refusal::AmbiguousHost`] for an HTTP/1.1 request without exactly one `Host`, or any
/// request with several; [`Refusal::UnsafePath`] for a dot segment or a malformed
/// percent-escape in the path.
pub(crate) fn check(parts: &http::request::Parts) -> Result<(), Refusal> {
    if header_block_size(&parts.headers) > MAX_HEADER_BLOCK {
        return Err(Refusal::HeadersTooLarge);
    }
    let hosts = parts.headers.get_all(HOST).iter().count();
    let needs_host = parts.version == http::Version::HTTP_11;
    if hosts > 1 || (needs_host && hosts == 0) {
        return Err(Refusal::AmbiguousHost);
    }
    if !is_safe_path(parts.uri.path()) {
        return Err(Refusal::UnsafePath);
    }
    Ok(())
}

/// The size of `headers` as HTTP/2's `SETTINGS_MAX_HEADER_LIST_SIZE` counts it.
fn header_block_size(headers: &http::HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 32)
        .sum()
}

/// Whether no segment of `path`, split at `/` and `\` after percent-decoding, is `.` or
/// `..`, and every `%` starts a valid escape.
fn is_safe_path(path: &str) -> bool {
    if !path.contains(['%', '.', '\\']) {
        return true;
    }
    let Some(decoded) = percent_decode(path.as_bytes()) else {
        return false;
    };
    !decoded
        .split(|b| *b == b'/' || *b == b'\\')
        .any(|segment| segment == b"." || segment == b"..")
}

/// The bytes `text` percent-encodes; `None` when a `%` is not followed by two hex digits.
fn percent_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&byte, tail)) = rest.split_first() {
        if byte != b'%' {
            decoded.push(byte);
            rest = tail;
            continue;
        }
        let [high, low, ..] = tail else {
            return None;
        };
        decoded.push(hex(*high)? << 4 | hex(*low)?);
        rest = &tail[2..];
    }
    Some(decoded)
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(target: &str, headers: &[(&str, String)]) -> http::request::Parts {
        let mut request = http::Request::builder()
            .uri(target)
            .version(http::Version::HTTP_2);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_header_block_over_the_limit_gets_431_counted_as_http2_counts_it() {
        let fields = |count: usize| -> Vec<(&str, String)> {
            (0..count).map(|_| ("x-a", "b".repeat(1000))).collect()
        };
        // Each field counts 3 + 1000 + 32 = 1035 bytes: 63 fit in 64 KiB, 64 do not.
        assert!(check(&head("/", &fields(63))).is_ok());
        assert!(matches!(
            check(&head("/", &fields(64))),
            Err(Refusal::HeadersTooLarge)
        ));
    }

    #[test]
    fn ordinary_paths_pass() {
        for path in [
            "/",
            "/echo/resource",
            "/files/report.v2.json",
            "/a/..b/c.",
            "/a/%41%2F",
            "/users/%E2%82%AC",
        ] {
            assert!(is_safe_path(path), "{path}");
        }
    }

    #[test]
    fn dot_segments_are_refused_however_they_are_spelled() {
        for path in [
            "/pub/public/../admin",
            "/pub/public/./admin",
            "/pub/public/..",
            "/pub/public/%2e%2e/admin",
            "/pub/public/%2E./admin",
            "/pub/public/..%2fadmin",
            "/pub/public/..%5cadmin",
            "/pub/public/..\\admin",
            "/pub/public%2f..%2fadmin",
        ] {
            assert!(!is_safe_path(path), "{path}");
        }
    }

    #[test]
    fn malformed_escapes_are_refused() {
        for path in ["/be/x/%ZZ", "/be/x/%", "/be/x/%4", "/be/%g0"] {
            assert!(!is_safe_path(path), "{path}");
        }
    }

    fn parts(version: http::Version, hosts: &[&str]) -> http::request::Parts {
        let mut builder = http::Request::get("/echo/resource").version(version);
        for host in hosts {
            builder = builder.header(HOST, *host);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn http11_needs_exactly_one_host() {
        use http::Version;

        assert!(check(&parts(Version::HTTP_11, &["localhost"])).is_ok());
        assert!(check(&parts(Version::HTTP_10, &[])).is_ok());
        assert!(check(&parts(Version::HTTP_2, &[])).is_ok());
        for (version, hosts) in [
            (Version::HTTP_11, &[][..]),
            (Version::HTTP_11, &["localhost", "secure.test"][..]),
            (Version::HTTP_2, &["localhost", "secure.test"][..]),
        ] {
            assert!(
                matches!(check(&parts(version, hosts)), Err(Refusal::AmbiguousHost)),
                "{version:?} {hosts:?}"
            );
        }
    }
}
